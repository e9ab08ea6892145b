"""SSH polling over persistent asyncssh connections on the caller's event loop, host keys strict."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncssh
from asyncssh.public_key import get_default_public_key_algs

from monitors.collection.readings import PollResult
from monitors.collection.targets import SshTarget
from monitors.ssh.commands import POLL_COMMAND
from monitors.ssh.parsers import parse_poll_output

log = logging.getLogger(__name__)
# asyncssh logs every connect, channel and authentication at INFO: noise across thousands of hosts.
if logging.getLogger("asyncssh").level == logging.NOTSET:
    logging.getLogger("asyncssh").setLevel(logging.WARNING)

PROFILE = "ssh"  # PollResult.profile for SSH polls
MAX_OUTPUT_BYTES = 1 << 20
DEFAULT_COMMAND_TIMEOUT_S = 30.0  # ipmitool over a slow KCS interface takes seconds
KEEPALIVE_S = 15  # notices a silently dead peer between polls
# A collector restart reconnects every host at once; key exchanges are the costly part
# (CPU on both ends, sshd MaxStartups), so only this many run at a time per event loop.
MAX_HANDSHAKES = 64

_T = TypeVar("_T")


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
    reconnected: bool  # a new connection was opened for this run


def fingerprint(key: asyncssh.SSHKey) -> str:
    """OpenSSH-style SHA256 fingerprint: 'SHA256:<base64 without padding>'."""
    return key.get_fingerprint("sha256")


def known_hosts_name(host: str, port: int) -> str:
    """The name a host is filed under in known_hosts: host, or [host]:port off port 22."""
    return host if port == 22 else f"[{host}]:{port}"


def _known_hosts_path(target: SshTarget) -> Path:
    # Empty means the account's own file, like ssh(1); it is still checked strictly.
    return Path(target.known_hosts or os.path.expanduser("~/.ssh/known_hosts"))


# known_hosts files are re-read only when they change, so a fix by the operator is picked up.
_known_cache: dict[Path, tuple[float, asyncssh.SSHKnownHosts]] = {}
_known_lock = threading.Lock()


def _load_known_hosts(path: Path, where: str) -> asyncssh.SSHKnownHosts:
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
        try:
            keys = asyncssh.read_known_hosts(str(path))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise HostKeyRejected(f"{where}: known_hosts {path} is unreadable: {exc}") from None
        _known_cache[path] = (mtime, keys)
        return keys


def _listed_keys(target: SshTarget, where: str) -> dict[str, asyncssh.SSHKey]:
    """The keys known_hosts lists under exactly host or [host]:port, by key type."""
    known = _load_known_hosts(_known_hosts_path(target), where)
    # By name only, like ssh(1) and paramiko: asyncssh's match() would also fall back from
    # [host]:port to the bare host, trusting another port's key.
    host_keys = known.match(known_hosts_name(target.host, target.port), "", None)[0]
    return {key.get_algorithm(): key for key in host_keys}


def check_host_key(target: SshTarget, key: asyncssh.SSHKey) -> None:
    """Raise HostKeyRejected unless known_hosts lists exactly this key for host:port."""
    where = f"{target.host}:{target.port}"
    path = _known_hosts_path(target)
    entry = _listed_keys(target, where)
    offered = f"{key.get_algorithm()} {fingerprint(key)}"
    if not entry:
        raise HostKeyRejected(
            f"{where}: unknown host key {offered}: not in known_hosts {path}; refused "
            "(verify the fingerprint, then add the key to that file)"
        )
    expected = entry.get(key.get_algorithm())
    if expected is None:
        listed = ", ".join(f"{k} {fingerprint(v)}" for k, v in entry.items())
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


def _preferred_key_types(target: SshTarget) -> list[str]:
    """Ask first for the key types known_hosts has, so a second host key is not misread."""
    available = [alg.decode("ascii") for alg in get_default_public_key_algs()]
    try:
        entry = _listed_keys(target, "")
    except HostKeyRejected:
        return available
    wanted: list[str] = []
    for keytype in entry:
        if keytype == "ssh-rsa":
            wanted += ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]
        else:
            wanted.append(keytype)
    first = [k for k in wanted if k in available]
    return first + [k for k in available if k not in first]


class _Client(asyncssh.SSHClient):
    """Checks the host key during key exchange and offers each credential once, noting which."""

    def __init__(self, target: SshTarget, key: asyncssh.SSHKey | None) -> None:
        cred = target.credential
        self.target = target
        self.key = key
        self.key_file = cred.key_file if cred else ""
        self.password = cred.password if cred and cred.password else None
        self.rejection: HostKeyRejected | None = None
        self.tried: list[str] = []

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        # Called inside key exchange: a refused key ends the connection before any
        # authentication request, so no password or signature reaches an unverified host.
        try:
            check_host_key(self.target, key)
        except HostKeyRejected as exc:
            self.rejection = exc
            return False
        return True

    def public_key_auth_requested(self) -> asyncssh.SSHKey | None:
        key, self.key = self.key, None
        if key is not None:
            self.tried.append(f"key {self.key_file}")
        return key

    def password_auth_requested(self) -> str | None:
        if self.password is None or "password" in self.tried:
            return None
        self.tried.append("password")
        return self.password

    def kbdint_auth_requested(self) -> str | None:
        return "" if self.password is not None and "password" not in self.tried else None

    def kbdint_challenge_received(
        self, name: str, instructions: str, lang: str, prompts: Sequence[tuple[str, bool]]
    ) -> list[str] | None:
        if not prompts:
            return []  # a message-only round
        if self.password is None or "keyboard-interactive password" in self.tried:
            return None
        self.tried.append("keyboard-interactive password")
        return [self.password for _ in prompts]


class _Output(asyncssh.SSHClientSession[bytes]):
    """Collects one command's stdout and stderr together, up to a byte limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.chunks: list[bytes] = []
        self.size = 0
        self.truncated = False
        self.exit_status: int | None = None
        # Resolves to the reason the channel closed (None: normally).
        self.done: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        self._chan: asyncssh.SSHClientChannel[bytes] | None = None

    def connection_made(self, chan: asyncssh.SSHClientChannel[bytes]) -> None:
        self._chan = chan

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        if self.truncated:
            return
        self.chunks.append(data)
        self.size += len(data)
        if self.size > self.limit:
            self.truncated = True
            if self._chan is not None:
                self._chan.close()

    def exit_status_received(self, status: int) -> None:
        self.exit_status = status

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(exc)


_handshakes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _handshake_slot() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    slot = _handshakes.get(loop)
    if slot is None:
        slot = _handshakes[loop] = asyncio.Semaphore(MAX_HANDSHAKES)
    return slot


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class SshSession:
    """One persistent SSH connection to one host; run() reconnects when the connection died.

    The connection lives on the event loop that opened it. run() and close() are for
    synchronous callers (CLI, bench) and use one private loop thread; the collector awaits
    run_async() and aclose() on its own loop.
    """

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
        self._conn: asyncssh.SSHClientConnection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._key: asyncssh.SSHKey | None = None
        self._lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        c = self._conn
        return c is not None and not c.is_closed()

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def run(self) -> SshOutput:
        """Run POLL_COMMAND once from synchronous code (blocks up to the timeouts)."""
        return run_sync(self.run_async())

    async def run_async(self) -> SshOutput:
        """Run POLL_COMMAND once and return its output; raises SshError with a clear reason."""
        async with self._lock:
            self.last_used = time.monotonic()
            reused = self.connected and self._loop is asyncio.get_running_loop()
            if not reused:
                await self._connect()
            try:
                return await self._exec(reconnected=not reused)
            except _TransportLost as exc:
                await self.aclose()
                if not reused:
                    raise SshError(f"{self.where}: {exc}") from None
            # The kept connection had died since the last poll (sshd restart, idle cut): one
            # fresh connection, then the error counts.
            log.debug("%s: connection lost, reconnecting", self.where)
            await self._connect()
            try:
                return await self._exec(reconnected=True)
            except _TransportLost as exc:
                await self.aclose()
                raise SshError(f"{self.where}: {exc}") from None

    async def aclose(self) -> None:
        """Close the connection and wait until its socket is shut."""
        conn = self._conn
        if conn is None:
            return
        if self._loop is not _running_loop():
            self.close()
            return
        self._conn = None
        conn.close()
        await conn.wait_closed()

    def close(self) -> None:
        """Close the connection from any thread; it finishes closing on its own loop."""
        conn, self._conn = self._conn, None
        loop = self._loop
        if conn is None or loop is None or loop.is_closed():
            return
        if loop is _running_loop():
            conn.close()
        elif loop.is_running():
            asyncio.run_coroutine_threadsafe(_close(conn), loop).result(timeout=10)
        else:
            loop.run_until_complete(_close(conn))

    def close_if_idle(self) -> bool:
        """Close the connection unless a poll is running on it; True if one was closed."""
        if self.busy:
            return False
        was_open = self._conn is not None
        self.close()
        return was_open

    # -- connection -----------------------------------------------------------------------

    async def _connect(self) -> None:
        await self.aclose()
        t = self.target
        client = _Client(t, self._load_key())
        if client.key is None and client.password is None:
            raise SshError(
                f"{self.where}: credential {client_user(t)!r} has no password or key file",
                "config",
            )
        async with _handshake_slot():
            sock = await self._open_socket()
            try:
                conn = await self._handshake(sock, client)
            except BaseException:
                sock.close()  # asyncssh shuts its transport, not always a socket it was lent
                raise
        self._conn, self._loop = conn, asyncio.get_running_loop()

    async def _open_socket(self) -> socket.socket:
        t = self.target
        timeout = t.timeout_s
        loop = asyncio.get_running_loop()
        try:
            # A literal address needs no resolver; names go to asyncio's resolver thread.
            addrs = socket.getaddrinfo(
                t.host, t.port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
            )
        except socket.gaierror:
            try:
                addrs = await loop.getaddrinfo(t.host, t.port, type=socket.SOCK_STREAM)
            except socket.gaierror as exc:
                raise SshError(f"{self.where}: cannot resolve host name ({exc.strerror})") from None
        error: OSError = OSError("no address")
        for family, kind, proto, _name, addr in addrs:
            sock = socket.socket(family, kind, proto)
            sock.setblocking(False)
            try:
                async with asyncio.timeout(timeout):
                    await loop.sock_connect(sock, addr)
                return sock
            except OSError as exc:  # TimeoutError is one
                sock.close()
                error = exc
            except BaseException:
                sock.close()
                raise
        if isinstance(error, ConnectionRefusedError):
            raise SshError(f"{self.where}: connection refused (is sshd running?)")
        if isinstance(error, TimeoutError):
            raise SshError(f"{self.where}: no answer within {timeout:g} s (host down?)")
        raise SshError(f"{self.where}: cannot connect ({error.strerror or error})")

    async def _handshake(
        self, sock: socket.socket, client: _Client
    ) -> asyncssh.SSHClientConnection:
        timeout = self.target.timeout_s
        try:
            async with asyncio.timeout(timeout):
                return await self._open_ssh(sock, client)
        except TimeoutError:
            if client.tried:
                raise SshError(
                    f"{self.where}: no answer to authentication within {timeout:g} s"
                ) from None
            raise SshError(
                f"{self.where}: SSH handshake failed (no key exchange within {timeout:g} s)"
            ) from None
        except asyncssh.PermissionDenied:
            raise self._auth_failed(client) from None
        except (asyncssh.Error, OSError, EOFError) as exc:
            if client.rejection is not None:
                raise client.rejection from None
            if client.tried:
                raise SshError(f"{self.where}: authentication aborted ({_why(exc)})") from None
            raise SshError(f"{self.where}: SSH handshake failed ({_why(exc)})") from None

    async def _open_ssh(self, sock: socket.socket, client: _Client) -> asyncssh.SSHClientConnection:
        loop = asyncio.get_running_loop()
        t = self.target
        options = asyncssh.SSHClientConnectionOptions(
            loop=loop,
            host=t.host,
            port=t.port,
            config=[],
            client_factory=lambda: client,
            username=client_user(t),
            # Checked by _Client during key exchange; an empty trust list makes asyncssh ask it.
            known_hosts=([], [], []),
            x509_trusted_certs=None,
            server_host_key_algs=_preferred_key_types(t),
            # Nothing from the collector account: no ~/.ssh keys, agent or config.
            client_keys=None,
            agent_path=None,
            # Like ssh(1) and paramiko before: keyboard-interactive only when password is not
            # offered (_Client declines it after a password was refused).
            preferred_auth="publickey,password,keyboard-interactive",
            public_key_auth=client.key is not None,
            password_auth=client.password is not None,
            kbdint_auth=client.password is not None,
            keepalive_interval=KEEPALIVE_S,
            keepalive_count_max=3,
        )

        # connect() copies the options in the loop's default executor (a small bounded pool
        # shared by every connection: no thread per session); TCP_NODELAY is asyncssh's own.
        # It reads ~/.ssh/config unless told not to; nothing of the account is used.
        return await asyncssh.connect(t.host, t.port, sock=sock, config=[], options=options)

    def _auth_failed(self, client: _Client) -> SshError:
        tried = list(client.tried)
        if client.key is not None:
            tried.append(f"key {client.key_file} (server does not offer publickey)")
        if client.password is not None and not any("password" in m for m in tried):
            tried.append("password (server offers neither password nor keyboard-interactive)")
        return SshError(
            f"{self.where}: authentication failed for user {client_user(self.target)!r} "
            f"(tried {'; '.join(tried)})",
            "auth",
        )

    def _load_key(self) -> asyncssh.SSHKey | None:
        cred = self.target.credential
        if cred is None or not cred.user:
            raise SshError(
                f"{self.where}: no SSH credential (user) configured for this device", "config"
            )
        if not cred.key_file:
            return None
        if self._key is not None:
            return self._key
        try:
            # Once per session: an encrypted key's KDF costs a few ms of this loop's time.
            self._key = asyncssh.read_private_key(cred.key_file, cred.key_passphrase or None)
        except OSError as exc:
            raise SshError(
                f"{self.where}: key file {cred.key_file} cannot be read ({exc.strerror or exc})",
                "config",
            ) from None
        except ValueError as exc:  # KeyImportError, or KeyEncryptionError: a wrong passphrase
            if "Passphrase must be specified" in str(exc):
                raise SshError(
                    f"{self.where}: key file {cred.key_file} is encrypted and no passphrase is set",
                    "config",
                ) from None
            raise SshError(
                f"{self.where}: key file {cred.key_file} is not a usable private key ({exc})",
                "config",
            ) from None
        return self._key

    # -- one poll -------------------------------------------------------------------------

    async def _exec(self, *, reconnected: bool) -> SshOutput:
        conn = self._conn
        if conn is None:
            raise _TransportLost("not connected")
        start = time.monotonic()
        out = _Output(self.max_output_bytes)
        chan: asyncssh.SSHClientChannel[bytes] | None = None
        try:
            async with asyncio.timeout(self.command_timeout_s):
                try:
                    chan, _ = await conn.create_session(lambda: out, POLL_COMMAND, encoding=None)
                except asyncssh.ChannelOpenError as exc:
                    raise _TransportLost(f"cannot open a channel ({_why(exc)})") from None
                lost = await out.done
        except TimeoutError:
            # A hung tool (ipmitool on a wedged BMC) may keep the channel busy: start clean.
            await self.aclose()
            raise SshError(
                f"{self.where}: command gave no complete output within "
                f"{self.command_timeout_s:g} s",
                "protocol",
            ) from None
        except (asyncssh.Error, OSError, EOFError) as exc:
            raise _TransportLost(f"connection lost during the poll ({_why(exc)})") from None
        finally:
            if chan is not None:
                chan.close()
        if lost is not None and not out.truncated:
            raise _TransportLost(f"connection lost during the poll ({_why(lost)})")
        text = b"".join(out.chunks)[: self.max_output_bytes].decode("utf-8", errors="replace")
        return SshOutput(
            text, out.exit_status, out.truncated, time.monotonic() - start, reconnected
        )


def client_user(target: SshTarget) -> str:
    return target.credential.user if target.credential else ""


async def _close(conn: asyncssh.SSHClientConnection) -> None:
    conn.close()
    await conn.wait_closed()


class _TransportLost(Exception):
    pass


def _why(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- synchronous callers --------------------------------------------------------------------

_sync_loop: asyncio.AbstractEventLoop | None = None
_sync_lock = threading.Lock()


def run_sync(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run coro on the one private loop thread kept for synchronous SSH callers."""
    global _sync_loop
    with _sync_lock:
        if _sync_loop is None:
            _sync_loop = asyncio.new_event_loop()
            threading.Thread(
                target=_sync_loop.run_forever, name="ssh-sync-loop", daemon=True
            ).start()
        loop = _sync_loop
    return asyncio.run_coroutine_threadsafe(coro, loop).result()


def poll_session(session: SshSession, device_id: int) -> PollResult:
    """Run one poll on a session from synchronous code and parse it; never raises."""
    return run_sync(poll_session_async(session, device_id))


async def poll_session_async(session: SshSession, device_id: int) -> PollResult:
    """Run one poll on a session and parse it; never raises."""
    ts = int(time.time())
    start = time.monotonic()
    try:
        output = await session.run_async()
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
    except Exception as exc:  # an asyncssh surprise must not reach the collector
        log.exception("%s: unexpected SSH failure", session.where)
        await session.aclose()
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
    """Keeps one SshSession per host:port; every connection lives on the polling event loop.

    At most max_open connections stay open (each holds a socket and an sshd session on the
    host); past that the least recently polled idle one is closed and reconnects on its next
    poll.
    """

    def __init__(
        self,
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
        self._lock = threading.Lock()  # poll() callers may be threads

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
        """Poll one device from synchronous code (blocks up to the timeouts); never raises."""
        return run_sync(self.poll_async(device_id, target))

    async def poll_async(self, device_id: int, target: SshTarget) -> PollResult:
        """Poll one device on the running event loop; never raises."""
        session = self.session(target)
        result = await poll_session_async(session, device_id)
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
            if not old.busy:
                await old.aclose()
        return result

    def forget(self, host: str, port: int) -> None:
        with self._lock:
            session = self._sessions.pop((host, port), None)
            self._open.pop((host, port), None)
        if session is not None:
            session.close()

    def close_idle(self, idle_s: float) -> int:
        """Close connections unused for idle_s seconds (each holds an sshd session)."""
        cutoff = time.monotonic() - idle_s
        with self._lock:
            sessions = list(self._sessions.values())
        return sum(1 for s in sessions if s.last_used < cutoff and s.close_if_idle())

    def __len__(self) -> int:
        return len(self._sessions)

    @property
    def open_count(self) -> int:
        """Connections currently kept open (at most max_open)."""
        return len(self._open)

    def _take_all(self) -> list[SshSession]:
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
            self._open.clear()
        return sessions

    def close(self) -> None:
        for s in self._take_all():
            s.close()

    async def aclose(self) -> None:
        """Close every connection and wait for them to shut (from the polling loop)."""
        await asyncio.gather(*(s.aclose() for s in self._take_all()))

    def __enter__(self) -> SshPool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
