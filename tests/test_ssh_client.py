"""SSH polling against a real OpenSSH sshd on loopback: auth, host keys, faults, reconnects."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import subprocess
import threading
from collections.abc import Iterator

import asyncssh
import pytest

from monitors.collection.readings import PollResult
from monitors.collection.targets import SshCredential, SshTarget
from monitors.lab.daemons.common import free_port
from monitors.lab.daemons.ssh import TEST_PASSWORD, TEST_USER, Sshd, SshdFactory, keygen
from monitors.ssh.client import (
    HostKeyRejected,
    SshError,
    SshPool,
    SshSession,
    fingerprint,
    poll_session,
    poll_session_async,
)
from monitors.ssh.commands import SCRIPT
from tests.ssh_daemons import sshd as sshd
from tests.ssh_daemons import sshd_factory as sshd_factory

pytestmark = pytest.mark.daemon


@pytest.fixture
def pool() -> Iterator[SshPool]:
    with SshPool(command_timeout_s=20.0) as p:
        yield p


def _channels(result: PollResult) -> dict[str, float]:
    return {r.channel: r.value for r in result.readings}


def test_key_auth_poll_reads_dell_host(sshd: Sshd, pool: SshPool) -> None:
    result = pool.poll(7, sshd.target())
    assert result.ok, result.error
    assert result.device_id == 7 and result.profile == "ssh"
    got = _channels(result)
    assert got["Inlet Temp"] == 22.0
    assert got["DCMI instantaneous"] == 308.0
    assert got["coretemp-isa-0000/Package id 0"] == 47.0
    assert result.problems == ()
    inlet = next(r for r in result.readings if r.channel == "Inlet Temp")
    assert inlet.role == "inlet" and inlet.metric == "temperature_c"


def test_connection_is_reused_across_polls(sshd: Sshd) -> None:
    session = SshSession(sshd.target())
    try:
        first = session.run()
        conn = session._conn
        second = session.run()
        assert first.reconnected and not second.reconnected
        assert session._conn is conn
        sock = conn.get_extra_info("socket") if conn is not None else None
        assert sock is not None
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        assert second.text == first.text
        assert "@@rackwatch:end" in second.text
    finally:
        session.close()


def test_password_auth(sshd: Sshd, pool: SshPool) -> None:
    result = pool.poll(1, sshd.target(key=False, password=TEST_PASSWORD))
    assert result.ok, result.error
    assert _channels(result)["Exhaust Temp"] == 35.0


def test_wrong_password_is_a_clear_error(sshd: Sshd, pool: SshPool) -> None:
    result = pool.poll(1, sshd.target(key=False, password="not-the-password"))
    assert not result.ok
    assert result.error is not None
    assert f"127.0.0.1:{sshd.port}" in result.error
    assert "authentication failed" in result.error and TEST_USER in result.error
    assert result.error_kind == "auth"
    assert "not-the-password" not in result.error


def test_wrong_key_falls_back_to_password(sshd: Sshd, pool: SshPool) -> None:
    other = sshd.base / "other_key"
    keygen(other)
    target = sshd.target(password=TEST_PASSWORD)
    assert target.credential is not None
    target = dataclasses.replace(
        target, credential=dataclasses.replace(target.credential, key_file=str(other))
    )
    result = pool.poll(1, target)
    assert result.ok, result.error


def test_missing_key_file_and_no_credential(sshd: Sshd, pool: SshPool) -> None:
    target = dataclasses.replace(
        sshd.target(), credential=SshCredential(user=TEST_USER, key_file="/nonexistent/key")
    )
    result = pool.poll(1, target)
    assert not result.ok and result.error is not None
    assert "/nonexistent/key" in result.error and "cannot be read" in result.error
    assert result.error_kind == "config"
    result = pool.poll(1, dataclasses.replace(sshd.target(), credential=None))
    assert not result.ok and result.error is not None and "no SSH credential" in result.error


def test_unknown_host_key_is_refused_with_fingerprint(sshd: Sshd, pool: SshPool) -> None:
    empty = sshd.base / "empty_known_hosts"
    empty.write_text("")
    result = pool.poll(1, sshd.target(known_hosts=empty))
    assert not result.ok and result.error is not None
    offered = asyncssh.read_private_key(sshd.base / "ssh_host_ed25519_key")
    assert fingerprint(offered) in result.error
    assert f"127.0.0.1:{sshd.port}" in result.error
    assert "unknown host key" in result.error and "refused" in result.error
    assert result.error_kind == "hostkey"
    assert result.readings == ()


def test_changed_host_key_is_refused(sshd: Sshd, pool: SshPool) -> None:
    # The known_hosts file still lists the old key; the host now shows a new one.
    assert pool.poll(1, sshd.target()).ok
    old_known = sshd.known_hosts.read_text()
    keygen(sshd.base / "new_host_key")
    sshd.stop()
    (sshd.base / "ssh_host_ed25519_key").unlink()
    (sshd.base / "ssh_host_ed25519_key.pub").unlink()
    (sshd.base / "new_host_key").rename(sshd.base / "ssh_host_ed25519_key")
    sshd.start()
    assert sshd.known_hosts.read_text() == old_known
    result = pool.poll(1, sshd.target())
    assert not result.ok and result.error is not None
    new_key = asyncssh.read_private_key(sshd.base / "ssh_host_ed25519_key")
    assert "HOST KEY CHANGED" in result.error
    assert fingerprint(new_key) in result.error


def test_hashed_known_hosts_entry_is_accepted(sshd: Sshd, pool: SshPool) -> None:
    subprocess.run(
        ["ssh-keygen", "-H", "-f", str(sshd.known_hosts)], check=True, capture_output=True
    )
    assert sshd.known_hosts.read_text().startswith("|1|")
    result = pool.poll(1, sshd.target())
    assert result.ok, result.error


def test_missing_known_hosts_file_is_refused(sshd: Sshd) -> None:
    session = SshSession(sshd.target(known_hosts=sshd.base / "nope"))
    with pytest.raises(HostKeyRejected, match="cannot be read"):
        session.run()


def test_connection_refused_is_a_clear_error(pool: SshPool) -> None:
    port = free_port()
    target = SshTarget("127.0.0.1", port, SshCredential(user="x", password="y"), "/dev/null")
    result = pool.poll(3, target)
    assert not result.ok
    assert result.error == f"127.0.0.1:{port}: connection refused (is sshd running?)"
    assert result.error_kind == "unreachable"


def test_silent_server_times_out() -> None:
    # Accepts TCP but never says a word, like a wedged host.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        target = SshTarget(
            "127.0.0.1", port, SshCredential(user="x", password="y"), "/dev/null", timeout_s=0.5
        )
        session = SshSession(target)
        with pytest.raises(SshError, match=f"127.0.0.1:{port}: SSH handshake failed"):
            session.run()


def test_reconnects_after_sshd_restart(sshd: Sshd, pool: SshPool) -> None:
    target = sshd.target()
    assert pool.poll(1, target).ok
    session = pool.session(target)
    assert session.connected
    sshd.stop()
    down = pool.poll(1, target)
    assert not down.ok and down.error is not None and "connection refused" in down.error
    sshd.start()
    up = pool.poll(1, target)
    assert up.ok, up.error
    assert _channels(up)["Inlet Temp"] == 22.0
    assert pool.session(target) is session and session.connected


def test_restart_between_polls_is_invisible(sshd: Sshd) -> None:
    session = SshSession(sshd.target())
    try:
        session.run()
        sshd.restart()
        again = session.run()  # the kept transport is dead: one transparent reconnect
        assert again.reconnected
        assert "Inlet Temp" in again.text
    finally:
        session.close()


def test_odd_broken_and_empty_hosts(sshd_factory: SshdFactory, pool: SshPool) -> None:
    odd = pool.poll(1, sshd_factory("odd").target())
    assert odd.ok
    assert _channels(odd)["Inlet Temp"] == pytest.approx(22.0)
    assert any("NaN RPM" in p for p in odd.problems)
    broken = pool.poll(2, sshd_factory("broken").target())
    assert broken.ok
    assert _channels(broken) == {"Inlet Temp": 23.0, "Fan1": 5880.0}
    assert any("not valid JSON" in p for p in broken.problems)
    empty = pool.poll(3, sshd_factory("notools").target())
    assert empty.ok and empty.readings == ()
    assert any("no sensor readings" in p for p in empty.problems)


def test_supermicro_falls_back_to_hwmon(sshd_factory: SshdFactory, pool: SshPool) -> None:
    result = pool.poll(1, sshd_factory("supermicro").target())
    assert result.ok, result.error
    got = _channels(result)
    assert got["CPU1 Temp"] == 41.0
    assert got["coretemp/Package id 0"] == 47.0
    assert got["nct6779/power1"] == pytest.approx(235.0)
    assert got["nct6779/Vcore"] == pytest.approx(1.024)
    assert "acpitz/thermal_zone0" not in got  # hwmon already gave readings
    assert any("Invalid command" in p for p in result.problems)


def test_hung_command_times_out_and_next_poll_works(sshd_factory: SshdFactory) -> None:
    def slow(daemon: Sshd) -> None:
        (daemon.outputs / "sensors-j.sleep").write_text("30\n")

    daemon = sshd_factory("hpe", prepare=slow)
    session = SshSession(daemon.target(), command_timeout_s=1.0)
    try:
        result = poll_session(session, 5)
        assert not result.ok and result.error is not None
        assert "no complete output within 1 s" in result.error
        (daemon.outputs / "sensors-j.sleep").unlink()
        assert poll_session(session, 5).ok
    finally:
        session.close()


def test_output_size_limit(sshd: Sshd) -> None:
    session = SshSession(sshd.target(), max_output_bytes=500)
    try:
        result = poll_session(session, 1)
        assert result.ok
        assert any("was cut" in p for p in result.problems)
    finally:
        session.close()


def test_async_polls_do_not_block_the_loop(sshd_factory: SshdFactory, pool: SshPool) -> None:
    hosts = [sshd_factory(v) for v in ("dell", "hpe", "supermicro")]
    ticks = 0

    async def ticker(stop: asyncio.Event) -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    async def main() -> list[PollResult]:
        stop = asyncio.Event()
        tick_task = asyncio.create_task(ticker(stop))
        results = await asyncio.gather(
            *(pool.poll_async(i, h.target()) for i, h in enumerate(hosts))
        )
        stop.set()
        await tick_task
        assert len(pool) == 3
        await pool.aclose()  # the connections live on this loop, which asyncio.run then closes
        return list(results)

    results = asyncio.run(main())
    assert [r.device_id for r in results] == [0, 1, 2]
    assert all(r.ok for r in results), [r.error for r in results]
    assert ticks > 3  # the loop kept running while the polls waited on sshd


def test_pool_replaces_session_when_target_changes(sshd: Sshd, pool: SshPool) -> None:
    first = pool.session(sshd.target())
    assert pool.poll(1, sshd.target()).ok
    changed = pool.session(sshd.target(key=False, password=TEST_PASSWORD))
    assert changed is not first and not first.connected
    assert pool.close_idle(0.0) == 0  # changed has not connected yet
    assert pool.poll(1, sshd.target(key=False, password=TEST_PASSWORD)).ok
    assert pool.close_idle(0.0) == 1 and not changed.connected


def test_concurrent_polls_share_one_transport(sshd: Sshd, pool: SshPool) -> None:
    target = sshd.target()
    results: list[PollResult] = []

    def work() -> None:
        results.extend(pool.poll(1, target) for _ in range(5))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 20 and all(r.ok for r in results)
    assert len(pool) == 1


def test_pool_keeps_at_most_max_open_transports(sshd_factory: SshdFactory) -> None:
    hosts = [sshd_factory("dell") for _ in range(3)]
    with SshPool(max_open=2) as small:
        for h in hosts:
            assert small.poll(1, h.target()).ok
        assert small.open_count == 2
        first = small.session(hosts[0].target())
        assert not first.connected  # least recently polled: closed
        assert small.session(hosts[2].target()).connected
        assert small.poll(1, hosts[0].target()).ok  # reconnects on demand
        assert first.connected and not small.session(hosts[1].target()).connected


def test_forced_command_key_runs_the_poll_script(sshd_factory: SshdFactory) -> None:
    # docs/credentials.md: a key restricted to the poll script on the server still polls.
    def restrict(d: Sshd) -> None:
        script = d.base / "rackwatch-poll.sh"
        script.write_text(SCRIPT + "\n")
        line = (d.base / "authorized_keys").read_text().strip()
        (d.base / "authorized_keys").write_text(f'restrict,command="/bin/sh {script}" {line}\n')

    daemon = sshd_factory("hpe", prepare=restrict)
    with SshPool() as p:
        result = p.poll(1, daemon.target())
    assert result.ok, result.error
    assert _channels(result)["01-Inlet Ambient"] == 21.0


def _os_threads() -> int:
    return len(os.listdir("/proc/self/task"))  # native threads too, not only Python's


def test_200_open_connections_add_no_thread_per_session(sshd: Sshd) -> None:
    # issue 15: a collector shard holds thousands of sessions; paramiko needed a thread each.
    async def main() -> tuple[int, int, int, list[PollResult]]:
        sessions = [SshSession(sshd.target(timeout_s=30.0)) for _ in range(200)]
        before = _os_threads()
        results = await asyncio.gather(*(poll_session_async(s, i) for i, s in enumerate(sessions)))
        during = _os_threads()
        connected = sum(s.connected for s in sessions)
        await asyncio.gather(*(s.aclose() for s in sessions))
        return before, during, connected, list(results)

    before, during, connected, results = asyncio.run(main())
    assert all(r.ok for r in results), {r.error for r in results if not r.ok}
    assert connected == 200
    # asyncssh builds connection options in the loop's default executor: a bounded pool.
    pool = min(32, (os.cpu_count() or 1) + 4)
    assert during - before <= pool + 2, (before, during)
