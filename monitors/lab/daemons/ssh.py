"""A real OpenSSH sshd on a loopback port with a test account whose PATH holds fake tools."""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from monitors.collection.targets import SshCredential, SshTarget
from monitors.lab.daemons.common import REPO, find_binary, free_port, wait_tcp

FIXTURES = REPO / "tests" / "fixtures" / "ssh"
HOSTS = FIXTURES / "hosts"  # one directory of recorded tool outputs per simulated server
TEST_USER = "rwtest"
TEST_HOME = Path("/home/rwtest")
# The account only exists for loopback tests; a fresh password per test run.
TEST_PASSWORD = "rw-" + secrets.token_hex(8)
_password_set = False


def sshd_binary() -> str | None:
    return find_binary("sshd")


def ensure_test_user() -> None:
    """Create rwtest (shell /bin/sh, no rc files) if missing and give it this run's password."""
    global _password_set
    try:
        entry = pwd.getpwnam(TEST_USER)
    except KeyError:
        made = subprocess.run(
            [
                "useradd",
                "--create-home",
                "--home-dir",
                str(TEST_HOME),
                "--shell",
                "/bin/sh",
                "--comment",
                "RackWatch test account",
                TEST_USER,
            ],
            capture_output=True,
            text=True,
        )
        # Another test process may have created it in the meantime (useradd exit 9).
        if made.returncode not in (0, 9):
            raise RuntimeError(f"useradd {TEST_USER} failed: {made.stderr.strip()}") from None
        entry = pwd.getpwnam(TEST_USER)
    if entry.pw_shell != "/bin/sh":
        # A login shell that reads rc files runs them on every exec and dominates a poll.
        subprocess.run(
            ["usermod", "--shell", "/bin/sh", TEST_USER], check=True, capture_output=True
        )
    if not _password_set:
        # Also unlocks the account: sshd refuses even key logins to a locked ('!') account.
        subprocess.run(
            ["chpasswd"],
            input=f"{TEST_USER}:{TEST_PASSWORD}\n",
            text=True,
            check=True,
            capture_output=True,
        )
        _password_set = True


def keygen(path: Path, kind: str = "ed25519") -> str:
    """Write a new key pair at path (and path.pub); return the public key line."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "rackwatch-test", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path.with_name(path.name + ".pub").read_text().strip()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            child = int(stat.parent.name)
            found += [child, *_children(child)]
    return found


@dataclass
class Sshd:
    """One sshd serving the recorded outputs of one simulated host variant."""

    binary: str
    base: Path
    variant: str
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    host_key_line: str = ""
    extra_config: list[str] = field(default_factory=list)

    @property
    def conf(self) -> Path:
        return self.base / "sshd_config"

    @property
    def known_hosts(self) -> Path:
        return self.base / "known_hosts"

    @property
    def client_key(self) -> Path:
        return self.base / "id_ed25519"

    @property
    def outputs(self) -> Path:
        return self.base / "outputs"

    def setup(self) -> None:
        self.port = free_port()
        self.base.mkdir(parents=True, exist_ok=True)
        os.chmod(self.base, 0o755)  # the test account reads its tools and outputs here
        src = HOSTS / self.variant
        shutil.copytree(src, self.outputs, dirs_exist_ok=True)
        bindir = self.base / "bin"
        bindir.mkdir(exist_ok=True)
        tool = bindir / "fake-tool"
        shutil.copy2(FIXTURES / "bin" / "fake-tool", tool)
        for name in ("ipmitool", "sensors"):
            if any(self.outputs.glob(f"{name}-*.txt")):
                (bindir / name).symlink_to(tool)
        self.host_key_line = keygen(self.base / "ssh_host_ed25519_key")
        self.write_known_hosts(self.host_key_line)
        client_pub = keygen(self.client_key)
        (self.base / "authorized_keys").write_text(client_pub + "\n")
        self.write_config()

    def write_known_hosts(self, key_line: str) -> None:
        keytype, blob = key_line.split()[:2]
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {keytype} {blob}\n")

    def write_config(self) -> None:
        env = (
            f"PATH={self.base / 'bin'}:/usr/local/bin:/usr/bin:/bin "
            f"RACKWATCH_FAKE_OUTPUT={self.outputs} RACKWATCH_SYSFS={self.outputs / 'sysfs'}"
        )
        lines = [
            "ListenAddress 127.0.0.1",
            f"Port {self.port}",
            f"HostKey {self.base / 'ssh_host_ed25519_key'}",
            f"PidFile {self.base / 'sshd.pid'}",
            f"AuthorizedKeysFile {self.base / 'authorized_keys'}",
            "UsePAM no",
            "StrictModes no",
            "PubkeyAuthentication yes",
            "PasswordAuthentication yes",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin no",
            f"AllowUsers {TEST_USER}",
            f"SetEnv {env}",
            "UseDNS no",
            "PrintMotd no",
            "PrintLastLog no",
            "MaxSessions 64",
            "MaxStartups 200:30:400",
            "LogLevel ERROR",
            *self.extra_config,
        ]
        self.conf.write_text("\n".join(lines) + "\n")

    def start(self) -> None:
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
        log = (self.base / "sshd.log").open("ab")
        self.proc = subprocess.Popen(
            [self.binary, "-D", "-e", "-f", str(self.conf)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        if not wait_tcp(self.port, timeout=15):
            self.stop()
            text = (self.base / "sshd.log").read_text(errors="replace")
            raise RuntimeError(f"sshd did not start on 127.0.0.1:{self.port}: {text[-2000:]}")

    def stop(self) -> None:
        """Stop the listener and every session it forked (a real host going down)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for pid in [proc.pid, *_children(proc.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def target(
        self,
        *,
        key: bool = True,
        password: str | None = None,
        known_hosts: Path | None = None,
        timeout_s: float = 5.0,
    ) -> SshTarget:
        cred = SshCredential(
            user=TEST_USER,
            key_file=str(self.client_key) if key else "",
            password=password or "",
        )
        return SshTarget(
            host="127.0.0.1",
            port=self.port,
            credential=cred,
            known_hosts=str(known_hosts or self.known_hosts),
            timeout_s=timeout_s,
        )


SshdFactory = Callable[..., Sshd]


def wait_until(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()
