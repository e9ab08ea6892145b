"""A refused host key ends the SSH connection before any credential is sent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncssh

from monitors.collection.readings import PollResult
from monitors.collection.targets import SshCredential, SshTarget
from monitors.ssh.client import SshPool

SECRET = "do-not-send-me"


class _RecordingServer(asyncssh.SSHServer):
    """Offers password auth and records every password a client sends."""

    def __init__(self, seen: list[str]) -> None:
        self.seen = seen

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        self.seen.append(password)
        return False


async def _poll(tmp_path: Path, *, trust_host_key: bool) -> tuple[PollResult, list[str]]:
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    # Untrusted: known_hosts lists another key for this host, as after a reinstall or a MITM.
    listed = host_key if trust_host_key else asyncssh.generate_private_key("ssh-ed25519")
    seen: list[str] = []
    server = await asyncssh.create_server(
        lambda: _RecordingServer(seen), "127.0.0.1", 0, server_host_keys=[host_key]
    )
    port = server.sockets[0].getsockname()[1]
    keytype, blob = listed.export_public_key("openssh").decode().split()[:2]
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port} {keytype} {blob}\n")
    target = SshTarget("127.0.0.1", port, SshCredential(user="u", password=SECRET), str(known))
    pool = SshPool()
    try:
        result = await pool.poll_async(1, target)
    finally:
        await pool.aclose()
        server.close()
        await server.wait_closed()
    return result, seen


def test_changed_host_key_never_sends_the_password(tmp_path: Path) -> None:
    result, seen = asyncio.run(_poll(tmp_path, trust_host_key=False))
    assert result.error_kind == "hostkey_changed", result.error
    assert result.error is not None and "HOST KEY CHANGED" in result.error
    assert seen == []


def test_a_trusted_host_does_receive_the_password(tmp_path: Path) -> None:
    # The control for the test above: the recording server sees a password when one is sent.
    result, seen = asyncio.run(_poll(tmp_path, trust_host_key=True))
    assert result.error_kind == "auth", result.error
    assert seen == [SECRET]
    assert result.error is not None and SECRET not in result.error
