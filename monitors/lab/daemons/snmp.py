"""Real SNMP agents for tests and scripts: net-snmp snmpd and snmpsim serving the captures."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from monitors.lab.daemons.common import find_binary, free_port

V2C_COMMUNITY = "rw-test-public"
V3_USERS = {
    # user: (auth proto, auth key, priv proto, priv key) in RackWatch's names
    "rw-sha256-aes128": ("sha256", "auth-key-256", "aes128", "priv-key-128"),
    "rw-sha512-aes256": ("sha512", "auth-key-512", "aes256", "priv-key-256"),
    "rw-sha1-aes128": ("sha", "auth-key-sha1", "aes128", "priv-key-sha1"),
    "rw-sha-authnopriv": ("sha", "auth-key-only", "none", ""),
    "rw-noauth": ("none", "", "none", ""),
}
_NETSNMP_AUTH = {"sha": "SHA", "sha256": "SHA-256", "sha512": "SHA-512"}
_NETSNMP_PRIV = {"aes128": "AES", "aes256": "AES-256"}


def udp_port_answers(port: int, community: str, timeout: float = 10.0) -> bool:
    """Wait until an SNMP agent on 127.0.0.1:port answers a v2c GET of sysObjectID."""
    # A hand-built GetRequest keeps this helper free of pysnmp.
    comm = community.encode()
    oid = bytes([0x06, 0x08, 0x2B, 6, 1, 2, 1, 1, 2, 0])
    vb = bytes([0x30, len(oid) + 2]) + oid + b"\x05\x00"
    vbl = bytes([0x30, len(vb)]) + vb
    pdu_body = b"\x02\x01\x01\x02\x01\x00\x02\x01\x00" + vbl
    pdu = bytes([0xA0, len(pdu_body)]) + pdu_body
    body = b"\x02\x01\x01" + bytes([0x04, len(comm)]) + comm + pdu
    msg = bytes([0x30, len(body)]) + body
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.3)
        while time.monotonic() < deadline:
            try:
                s.sendto(msg, ("127.0.0.1", port))
                s.recvfrom(65535)
                return True
            except OSError:
                time.sleep(0.1)
    return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


# -- net-snmp snmpd ---------------------------------------------------------------------------


@dataclass
class SnmpdAgent:
    """A private snmpd on 127.0.0.1:port with a v2c community and v3 users (see V3_USERS)."""

    host: str
    port: int
    community: str
    users: dict[str, tuple[str, str, str, str]]
    workdir: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)

    def pause(self) -> None:
        """SIGSTOP the agent: it keeps its port but answers nothing (a hung device)."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGCONT)


def snmpd_config(community: str, extra: str = "") -> str:
    lines = [f"rocommunity {community} 127.0.0.1"]
    for user, (auth, akey, priv, pkey) in V3_USERS.items():
        if auth == "none":
            lines += [f"createUser {user}", f"rouser {user} noauth"]
        elif priv == "none":
            lines += [f'createUser {user} {_NETSNMP_AUTH[auth]} "{akey}"', f"rouser {user} auth"]
        else:
            lines += [
                f'createUser {user} {_NETSNMP_AUTH[auth]} "{akey}" {_NETSNMP_PRIV[priv]} "{pkey}"',
                f"rouser {user} priv",
            ]
    return "\n".join(lines) + "\n" + extra


def start_snmpd(extra_config: str = "") -> SnmpdAgent:
    """Start snmpd in the foreground on a free loopback port; the caller stops it."""
    binary = find_binary("snmpd")
    if binary is None:
        raise FileNotFoundError("snmpd not installed (apt-get install snmpd)")
    work = Path(tempfile.mkdtemp(prefix="rw-snmpd-"))
    conf = work / "snmpd.conf"
    conf.write_text(snmpd_config(V2C_COMMUNITY, extra_config))
    port = free_port(socket.SOCK_DGRAM)
    env = {
        **os.environ,
        "SNMP_PERSISTENT_DIR": str(work / "persist"),
        "MIBS": "",  # numeric OIDs only; spares the log the MIB parser's complaints
        "MIBDIRS": str(work),
    }
    # No agentAddress in the config: an endpoint on the command line plus one there fails.
    # The child keeps its own copy of the log descriptor; ours closes at once.
    with (work / "snmpd.log").open("wb") as log:
        proc = subprocess.Popen(
            [
                binary,
                "-f",
                "-Lo",
                "-C",
                "-c",
                str(conf),
                "-p",
                str(work / "pid"),
                f"udp:127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    agent = SnmpdAgent("127.0.0.1", port, V2C_COMMUNITY, dict(V3_USERS), work, proc)
    if not udp_port_answers(port, V2C_COMMUNITY):
        agent.stop()
        raise RuntimeError(
            f"snmpd did not answer on port {port}: {(work / 'snmpd.log').read_text()[-2000:]}"
        )
    return agent


# -- snmpsim serving the captures -------------------------------------------------------------


@dataclass
class SnmpsimServer:
    """snmpsim-command-responder on 127.0.0.1:port; community = capture file stem."""

    host: str
    port: int
    communities: list[str]
    workdir: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)


def _oid_key(line: str) -> tuple[int, ...]:
    head = line.split("|", 1)[0].strip().lstrip(".")
    try:
        return tuple(int(p) for p in head.split("."))
    except ValueError:
        return (1 << 30,)


def sorted_snmprec(text: str) -> str:
    """Lines of a .snmprec sorted by numeric OID (snmpsim walks assume order)."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    lines.sort(key=_oid_key)
    return "\n".join(lines) + "\n"


def _world_traversable(path: Path) -> bool:
    for p in [path, *path.parents]:
        try:
            mode = p.stat().st_mode
        except OSError:
            return False
        if not mode & stat.S_IXOTH:
            return False
    return True


def responder_binary() -> str | None:
    cand = Path(sys.executable).parent / "snmpsim-command-responder"
    return str(cand) if cand.exists() else shutil.which("snmpsim-command-responder")


def start_snmpsim(source: Path, names: list[str] | None = None) -> SnmpsimServer:
    """Serve source/*.snmprec (sorted copies in a private data dir) on a free loopback port."""
    binary = responder_binary()
    if binary is None:
        raise FileNotFoundError("snmpsim-command-responder not installed (pip snmpsim)")
    work = Path(tempfile.mkdtemp(prefix="rw-snmpsim-"))
    data = work / "data"
    cache = work / "cache"
    data.mkdir()
    cache.mkdir()
    stems = []
    for rec in sorted(source.glob("*.snmprec")):
        if names is not None and rec.stem not in names:
            continue
        (data / rec.name).write_text(sorted_snmprec(rec.read_text(errors="replace")))
        stems.append(rec.stem)
    port = free_port(socket.SOCK_DGRAM)
    cmd = [
        binary,
        f"--data-dir={data}",
        f"--cache-dir={cache}",
        f"--agent-udpv4-endpoint=127.0.0.1:{port}",
    ]
    env = dict(os.environ)
    if os.getuid() == 0:
        real_python = Path(os.path.realpath(sys.executable))
        if _world_traversable(real_python) and _world_traversable(Path(binary).resolve()):
            for p in (work, data, cache):
                p.chmod(0o755)
            for f in data.iterdir():
                f.chmod(0o644)
            shutil.chown(cache, "nobody", "nogroup")
            cmd += ["--process-user=nobody", "--process-group=nogroup"]
        else:
            # The interpreter lives where nobody cannot read it (e.g. /root, mode 0700), so the
            # responder would fail after dropping privileges; it only serves loopback files.
            env["SNMPSIM_ALLOW_ROOT"] = "true"
    # The child keeps its own copy of the descriptor; ours is closed at once.
    with (work / "snmpsim.log").open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    server = SnmpsimServer("127.0.0.1", port, stems, work, proc)
    if not stems or not udp_port_answers(port, stems[0], timeout=60):
        server.stop()
        tail = (work / "snmpsim.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"snmpsim did not answer on port {port}: {tail}")
    return server
