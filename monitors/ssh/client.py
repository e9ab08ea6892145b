"""SSH polling over persistent paramiko transports, with strict known_hosts checking."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
import socket
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import paramiko
from paramiko.hostkeys import HostKeys

from monitors.collection.readings import PollResult
from monitors.collection.targets import SshTarget
from monitors.ssh.commands import POLL_COMMAND
from monitors.ssh.parsers import parse_poll_output

log = logging.getLogger(__name__)
# paramiko logs every connect and authentication at INFO: noise across thousands of hosts.
if logging.getLogger("paramiko").level == logging.NOTSET:
    logging.getLogger("paramiko").setLevel(logging.WARNING)

PROFILE = "ssh"  # PollResult.profile for SSH polls
MAX_OUTPUT_BYTES = 1 << 20
DEFAULT_COMMAND_TIMEOUT_S = 30.0  # ipmitool over a slow KCS interface takes seconds
KEEPALIVE_S = 15  # notices a silently dead peer between polls


class SshError(Exception):
    """A device-level failure with a message that names host:port; safe to show and log.

    kind is PollResult.error_kind: unreachable, auth, hostkey, protocol or config.
    """

    def __init__(self, message: str, kind: str = "unreachable") -> None:
        super().__init__(message)
        self.kind = kind


class HostKeyRejected(SshError):
    """The host offered a key that known_hosts does not list (unknown or changed)."""

    def __init__(self, message: str, *, changed: bool = False) -> None:
        # A changed key (not merely unknown) gets its own critical alarm (alarms engine).
        super().__init__(message, "hostkey_changed" if changed else "hostkey")


@dataclass(frozen=True, slots=True)
class SshOutput:
    text: str
    exit_status: int | None
    truncated: bool
    duration_s: float
    reconnected: bool  # a new transport was opened for this run


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH-style SHA256 fingerprint: 'SHA256:<base64 without padding>'."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def known_hosts_name(host: str, port: int) -> str:
    """The name a host is filed under in known_hosts: host, or [host]:port off port 22."""
    return host if port == 22 else f"[{host}]:{port}"


def _known_hosts_path(target: SshTarget) -> Path:
    # Empty means the account's own file, like ssh(1); it is still checked with RejectPolicy.
    return Path(target.known_hosts or os.path.expanduser("~/.ssh/known_hosts"))


# known_hosts files are re-read only when they change, so a fix by the operator is picked up.
_known_cache: dict[Path, tuple[float, HostKeys]] = {}
_known_lock = threading.Lock()


def _load_known_hosts(path: Path, where: str) -> HostKeys:
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise HostKeyRejected(
            f"{where}: known_hosts file {path} cannot be read ({exc.strerror or exc}); "
            "refusing to trust any host key"
        ) from None
    with _known_lock:
        cached = _known_cache.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
        keys = HostKeys()
        try:
            keys.load(str(path))
        except (OSError, UnicodeDecodeError) as exc:
            raise HostKeyRejected(f"{where}: known_hosts {path} is unreadable: {exc}") from None
        _known_cache[path] = (mtime, keys)
        return keys


def check_host_key(target: SshTarget, key: paramiko.PKey) -> None:
    """Raise HostKeyRejected unless known_hosts lists exactly this key for host:port."""
    where = f"{target.host}:{target.port}"
    path = _known_hosts_path(target)
    entry = _load_known_hosts(path, where).lookup(known_hosts_name(target.host, target.port))
    offered = f"{key.get_name()} {fingerprint(key)}"
    if entry is None:
        raise HostKeyRejected(
            f"{where}: unknown host key {offered}: not in known_hosts {path}; refused "
            "(verify the fingerprint, then add the key to that file)"
        )
    expected = entry.get(key.get_name())
    if expected is None:
        listed = ", ".join(f"{k} {fingerprint(entry[k])}" for k in entry)
        raise HostKeyRejected(
            f"{where}: HOST KEY CHANGED: host offered {offered} but known_hosts {path} "
            f"lists {listed}; refused",
            changed=True,
        )
    if expected != key:
        raise HostKeyRejected(
            f"{where}: HOST KEY CHANGED: host offered {offered} but known_hosts {path} "
            f"has {fingerprint(expected)}; refused (possible man-in-the-middle, or the host "
            "was reinstalled)",
            changed=True,
        )


def _preferred_key_types(target: SshTarget, available: tuple[str, ...]) -> list[str] | None:
    """Ask first for the key types known_hosts has, so a second host key is not misread."""
    try:
        keys = _load_known_hosts(_known_hosts_path(target), "")
    except HostKeyRejected:
        return None
    entry = keys.lookup(known_hosts_name(target.host, target.port))
    if not entry:
        return None
    wanted: list[str] = []
    for keytype in entry:
        if keytype == "ssh-rsa":
            wanted += ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]
        else:
            wanted.append(keytype)
    first = [k for k in wanted if k in available]
    return first + [k for k in available if k not in first] if first else None


class SshSession:
    """One persistent SSH transport to one host; run() reconnects when the transport died."""

    def __init__(
        self,
        target: SshTarget,
        *,
        command_timeout_s: float = DEFAULT_COMMAND_TIMEOUT_S,
        max_output_bytes: int = MAX_OUTPUT_BYTES,
    ) -> None:
        self.target = target
        self.where = f"{target.host}:{target.port}"
        self.command_timeout_s = command_timeout_s
        self.max_output_bytes = max_output_bytes
        self.last_used = time.monotonic()
        self._transport: paramiko.Transport | None = None
        self._pkey: paramiko.PKey | None = None
        self._lock = threading.Lock()

    @property
    def connected(self) -> bool:
        t = self._transport
        return t is not None and t.is_active() and t.is_authenticated()

    def close(self) -> None:
        t, self._transport = self._transport, None
        if t is not None:
            t.close()

    def close_if_idle(self) -> bool:
        """Close the transport unless a poll is running on it; True if one was closed."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            was_open = self._transport is not None
            self.close()
            return was_open
        finally:
            self._lock.release()

    def run(self) -> SshOutput:
        """Run POLL_COMMAND once and return its output; raises SshError with a clear reason."""
        with self._lock:
            self.last_used = time.monotonic()
            reused = self.connected
            if not reused:
                self._connect()
            try:
                return self._exec(reconnected=not reused)
            except _TransportLost as exc:
                self.close()
                if not reused:
                    raise SshError(f"{self.where}: {exc}") from None
            # The kept transport had died since the last poll (sshd restart, idle cut): one
            # fresh connection, then the error counts.
            log.debug("%s: transport lost, reconnecting", self.where)
            self._connect()
            try:
                return self._exec(reconnected=True)
            except _TransportLost as exc:
                self.close()
                raise SshError(f"{self.where}: {exc}") from None

    # -- connection -----------------------------------------------------------------------

    def _connect(self) -> None:
        self.close()
        t = self.target
        timeout = t.timeout_s
        try:
            sock = socket.create_connection((t.host, t.port), timeout=timeout)
        except ConnectionRefusedError:
            raise SshError(f"{self.where}: connection refused (is sshd running?)") from None
        except TimeoutError:
            raise SshError(f"{self.where}: no answer within {timeout:g} s (host down?)") from None
        except socket.gaierror as exc:
            raise SshError(f"{self.where}: cannot resolve host name ({exc.strerror})") from None
        except OSError as exc:
            raise SshError(f"{self.where}: cannot connect ({exc.strerror or exc})") from None
        # paramiko leaves Nagle on; small request/response packets then wait for delayed ACKs.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport = paramiko.Transport(sock)
        try:
            transport.banner_timeout = timeout
            transport.handshake_timeout = timeout
            transport.auth_timeout = timeout
            options = transport.get_security_options()
            preferred = _preferred_key_types(t, tuple(options.key_types))
            if preferred:
                options.key_types = preferred
            try:
                transport.start_client(timeout=timeout)
            except (paramiko.SSHException, EOFError, OSError) as exc:
                raise SshError(f"{self.where}: SSH handshake failed ({_why(exc)})") from None
            try:
                key = transport.get_remote_server_key()
            except paramiko.SSHException:
                # start_client returns quietly when its timeout ends before key exchange does.
                raise SshError(
                    f"{self.where}: SSH handshake failed (no key exchange within {timeout:g} s)"
                ) from None
            check_host_key(t, key)
            self._authenticate(transport)
            transport.set_keepalive(KEEPALIVE_S)
        except BaseException:
            transport.close()
            raise
        self._transport = transport

    def _authenticate(self, transport: paramiko.Transport) -> None:
        cred = self.target.credential
        if cred is None or not cred.user:
            raise SshError(
                f"{self.where}: no SSH credential (user) configured for this device", "config"
            )
        tried: list[str] = []
        if cred.key_file:
            pkey = self._load_key()
            try:
                transport.auth_publickey(cred.user, pkey)
                return
            except paramiko.AuthenticationException:
                tried.append(f"key {cred.key_file}")
            except (paramiko.SSHException, EOFError, OSError) as exc:
                raise SshError(f"{self.where}: authentication aborted ({_why(exc)})") from None
        if cred.password:
            try:
                transport.auth_password(cred.user, cred.password)
                return
            except paramiko.BadAuthenticationType as exc:
                if "keyboard-interactive" not in exc.allowed_types:
                    tried.append(f"password (server allows only {', '.join(exc.allowed_types)})")
                elif self._auth_interactive(transport, cred.user, cred.password):
                    return
                else:
                    tried.append("keyboard-interactive password")
            except paramiko.AuthenticationException:
                tried.append("password")
            except (paramiko.SSHException, EOFError, OSError) as exc:
                raise SshError(f"{self.where}: authentication aborted ({_why(exc)})") from None
        if not tried:
            raise SshError(
                f"{self.where}: credential {cred.user!r} has no password or key file", "config"
            )
        raise SshError(
            f"{self.where}: authentication failed for user {cred.user!r} "
            f"(tried {'; '.join(tried)})",
            "auth",
        )

    @staticmethod
    def _auth_interactive(transport: paramiko.Transport, user: str, password: str) -> bool:
        def answer(_title: str, _instr: str, prompts: list[tuple[str, bool]]) -> list[str]:
            return [password for _ in prompts]

        try:
            transport.auth_interactive(user, answer)
        except paramiko.AuthenticationException:
            return False
        return True

    def _load_key(self) -> paramiko.PKey:
        if self._pkey is not None:
            return self._pkey
        cred = self.target.credential
        assert cred is not None
        try:
            self._pkey = paramiko.PKey.from_path(cred.key_file, cred.key_passphrase or None)
        except paramiko.PasswordRequiredException:
            raise SshError(
                f"{self.where}: key file {cred.key_file} is encrypted and no passphrase is set",
                "config",
            ) from None
        except OSError as exc:
            raise SshError(
                f"{self.where}: key file {cred.key_file} cannot be read ({exc.strerror or exc})",
                "config",
            ) from None
        except (paramiko.SSHException, ValueError) as exc:
            raise SshError(
                f"{self.where}: key file {cred.key_file} is not a usable private key ({exc})",
                "config",
            ) from None
        return self._pkey

    # -- one poll -------------------------------------------------------------------------

    def _exec(self, *, reconnected: bool) -> SshOutput:
        transport = self._transport
        if transport is None:
            raise _TransportLost("not connected")
        start = time.monotonic()
        try:
            channel = transport.open_session(timeout=self.target.timeout_s)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise _TransportLost(f"cannot open a channel ({_why(exc)})") from None
        try:
            channel.set_combine_stderr(True)
            channel.settimeout(self.command_timeout_s)
            try:
                channel.exec_command(POLL_COMMAND)
            except (paramiko.SSHException, EOFError, OSError) as exc:
                raise _TransportLost(f"command refused ({_why(exc)})") from None
            chunks: list[bytes] = []
            size = 0
            truncated = False
            deadline = start + self.command_timeout_s
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                channel.settimeout(remaining)
                data = channel.recv(65536)
                if not data:
                    break
                chunks.append(data)
                size += len(data)
                if size > self.max_output_bytes:
                    truncated = True
                    break
            status = channel.recv_exit_status() if channel.exit_status_ready() else None
        except TimeoutError:
            # A hung tool (ipmitool on a wedged BMC) may keep the channel busy: start clean.
            self.close()
            raise SshError(
                f"{self.where}: command gave no complete output within "
                f"{self.command_timeout_s:g} s",
                "protocol",
            ) from None
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise _TransportLost(f"connection lost during the poll ({_why(exc)})") from None
        finally:
            channel.close()
        text = b"".join(chunks)[: self.max_output_bytes].decode("utf-8", errors="replace")
        return SshOutput(text, status, truncated, time.monotonic() - start, reconnected)


class _TransportLost(Exception):
    pass


def _why(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def poll_session(session: SshSession, device_id: int) -> PollResult:
    """Run one poll on a session and parse it; never raises."""
    ts = int(time.time())
    start = time.monotonic()
    try:
        output = session.run()
    except SshError as exc:
        return PollResult(
            device_id,
            ts,
            ok=False,
            error=str(exc),
            error_kind=exc.kind,
            profile=PROFILE,
            duration_s=time.monotonic() - start,
        )
    except Exception as exc:  # a paramiko surprise must not reach the collector
        log.exception("%s: unexpected SSH failure", session.where)
        session.close()
        return PollResult(
            device_id,
            ts,
            ok=False,
            profile=PROFILE,
            error=f"{session.where}: unexpected SSH failure ({_why(exc)})",
            error_kind="internal",
            duration_s=time.monotonic() - start,
        )
    parsed = parse_poll_output(output.text)
    problems = list(parsed.problems)
    if output.truncated:
        problems.append(f"output larger than {session.max_output_bytes} bytes was cut")
    if not parsed.readings:
        problems.append("no sensor readings (ipmitool, sensors, hwmon and thermal gave none)")
    return PollResult(
        device_id,
        ts,
        ok=True,
        readings=parsed.readings,
        profile=PROFILE,
        duration_s=time.monotonic() - start,
        problems=tuple(problems),
    )


class SshPool:
    """Keeps one SshSession per host:port and polls through a small thread pool.

    At most max_open transports stay open (each holds a socket and a paramiko thread); past
    that the least recently polled idle one is closed and reconnects on its next poll.
    """

    def __init__(
        self,
        max_workers: int = 16,
        *,
        command_timeout_s: float = DEFAULT_COMMAND_TIMEOUT_S,
        max_output_bytes: int = MAX_OUTPUT_BYTES,
        max_open: int = 1024,
    ) -> None:
        self.command_timeout_s = command_timeout_s
        self.max_output_bytes = max_output_bytes
        self.max_open = max_open
        self._sessions: dict[tuple[str, int], SshSession] = {}
        self._open: OrderedDict[tuple[str, int], SshSession] = OrderedDict()  # LRU order
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ssh-poll")

    def session(self, target: SshTarget) -> SshSession:
        """The session for target's host:port; a changed target (credential, file) replaces it."""
        key = (target.host, target.port)
        with self._lock:
            current = self._sessions.get(key)
            if current is not None and current.target == target:
                return current
            session = SshSession(
                target,
                command_timeout_s=self.command_timeout_s,
                max_output_bytes=self.max_output_bytes,
            )
            self._sessions[key] = session
        if current is not None:
            current.close()
        return session

    def poll(self, device_id: int, target: SshTarget) -> PollResult:
        """Poll one device synchronously (blocks up to the timeouts); never raises."""
        session = self.session(target)
        result = poll_session(session, device_id)
        key = (target.host, target.port)
        evict: list[SshSession] = []
        with self._lock:
            if session.connected:
                self._open[key] = session
                self._open.move_to_end(key)
            else:
                self._open.pop(key, None)
            while len(self._open) > self.max_open:
                evict.append(self._open.popitem(last=False)[1])
        for old in evict:
            old.close_if_idle()
        return result

    async def poll_async(self, device_id: int, target: SshTarget) -> PollResult:
        """Poll one device from asyncio code without blocking the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.poll, device_id, target)

    def forget(self, host: str, port: int) -> None:
        with self._lock:
            session = self._sessions.pop((host, port), None)
            self._open.pop((host, port), None)
        if session is not None:
            session.close()

    def close_idle(self, idle_s: float) -> int:
        """Close transports unused for idle_s seconds (each holds a socket and a thread)."""
        cutoff = time.monotonic() - idle_s
        closed = 0
        with self._lock:
            sessions = list(self._sessions.values())
        for s in sessions:
            if s.last_used < cutoff and s.close_if_idle():
                closed += 1
        return closed

    def __len__(self) -> int:
        return len(self._sessions)

    @property
    def open_count(self) -> int:
        """Transports currently kept open (at most max_open)."""
        return len(self._open)

    def close(self) -> None:
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
            self._open.clear()
        for s in sessions:
            s.close()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> SshPool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
