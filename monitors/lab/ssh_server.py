"""Paramiko SSH servers on loopback, one port and host key per simulated Linux server."""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import selectors
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import paramiko
from paramiko.common import (
    AUTH_FAILED,
    AUTH_SUCCESSFUL,
    OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
    OPEN_SUCCEEDED,
)

from monitors.lab.physics import Physics
from monitors.lab.ssh_text import run_command
from monitors.lab.topology import LabServer

log = logging.getLogger(__name__)

MAX_COMMAND = 64 * 1024
CLOSE_DELAY_S = 0.05


def new_host_key() -> paramiko.PKey:
    return paramiko.ECDSAKey.generate(bits=256)


def public_line(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.get_base64()}"


def known_hosts_name(address: str, port: int) -> str:
    return address if port == 22 else f"[{address}]:{port}"


class _Iface(paramiko.ServerInterface):
    def __init__(self, lab: SshLab, srv: LabServer) -> None:
        self.lab = lab
        self.srv = srv

    def get_allowed_auths(self, username: str) -> str:
        return "publickey,password"

    def check_auth_password(self, username: str, password: str) -> int:
        ok = username == self.lab.user and password == self.lab.password
        return AUTH_SUCCESSFUL if ok else AUTH_FAILED

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        ok = username == self.lab.user and key.get_base64() == self.lab.client_key_b64
        return AUTH_SUCCESSFUL if ok else AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return OPEN_SUCCEEDED
        return OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        if len(command) > MAX_COMMAND:
            return False
        self.lab.pool.submit(self.lab.run_exec, self.srv, channel, command)
        return True

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        return False

    def check_channel_pty_request(self, *args: object) -> bool:
        return False


class SshLab:
    """Accepts connections for every SSH server of the topology on its own TCP port."""

    def __init__(
        self,
        servers: list[LabServer],
        physics: Physics,
        user: str,
        password: str,
        client_key: paramiko.PKey,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.servers = servers
        self.physics = physics
        self.user = user
        self.password = password
        self.client_key_b64 = client_key.get_base64()
        self.clock = clock
        self.host_keys: dict[str, paramiko.PKey] = {s.name: new_host_key() for s in servers}
        self.pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="lab-ssh-exec")
        self.execs = 0
        self._listeners: dict[int, tuple[socket.socket, LabServer]] = {}
        self._transports: dict[str, list[paramiko.Transport]] = {}
        self._lock = threading.Lock()
        self._sel = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seq = itertools.count()
        self._closer: queue.PriorityQueue[tuple[float, int, paramiko.Channel | None]] = (
            queue.PriorityQueue()
        )
        self._closer_thread = threading.Thread(
            target=self._close_loop, name="lab-ssh-close", daemon=True
        )
        self._closer_thread.start()

    def bind(self) -> None:
        for srv in self.servers:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((srv.address, srv.port))
            except OSError as exc:
                sock.close()
                raise OSError(
                    f"lab SSH server cannot bind TCP {srv.address}:{srv.port} for {srv.name}: {exc}"
                ) from exc
            sock.listen(64)
            sock.setblocking(False)
            srv.port = sock.getsockname()[1]
            self._listeners[sock.fileno()] = (sock, srv)
            self._sel.register(sock, selectors.EVENT_READ, srv)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._accept_loop, name="lab-ssh-accept", daemon=True
        )
        self._thread.start()

    def known_hosts(self) -> str:
        return "".join(
            f"{known_hosts_name(s.address, s.port)} {public_line(self.host_keys[s.name])}\n"
            for s in self.servers
        )

    def rotate_host_key(self, name: str) -> str:
        """Give a server a new host key (as after a reinstall) and drop its open sessions."""
        key = new_host_key()
        with self._lock:
            self.host_keys[name] = key
            open_transports = self._transports.pop(name, [])
        for t in open_transports:
            t.close()
        return key.get_fingerprint().hex()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            for sel_key, _ in self._sel.select(timeout=0.2):
                srv: LabServer = sel_key.data
                sock = sel_key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    conn, _addr = sock.accept()
                except OSError:
                    continue
                self._serve(conn, srv)

    def _serve(self, conn: socket.socket, srv: LabServer) -> None:
        if self.physics.scenarios.is_active("pdu-down", srv.name, self.clock()):
            conn.close()  # the host is down: connection refused/reset
            return
        conn.setblocking(True)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            t = paramiko.Transport(conn)
            with self._lock:
                t.add_server_key(self.host_keys[srv.name])
                self._transports.setdefault(srv.name, []).append(t)
                self._transports[srv.name] = [
                    x for x in self._transports[srv.name] if x.is_active() or x is t
                ]
            t.start_server(event=threading.Event(), server=_Iface(self, srv))
        except (paramiko.SSHException, OSError, EOFError) as exc:
            log.debug("lab ssh %s: handshake failed: %s", srv.name, exc)
            conn.close()

    def run_exec(self, srv: LabServer, channel: paramiko.Channel, command: bytes) -> None:
        try:
            t = self.clock()
            state = self.physics.server(srv, t)
            out, err, status = run_command(srv, state, t, command.decode("utf-8", "replace"))
            if out:
                channel.sendall(out.encode())
            if err:
                channel.sendall_stderr(err.encode())
            channel.send_exit_status(status)
            self.execs += 1
        except Exception as exc:  # a dropped client must not kill the worker
            log.debug("lab ssh %s: exec failed: %s", srv.name, exc)
        # paramiko confirms the exec request only after check_channel_exec_request returns, in
        # the transport thread; a close that overtakes that reply makes the client see a
        # refused command, so closing waits a little on the closer thread.
        self._closer.put((time.monotonic() + CLOSE_DELAY_S, next(self._seq), channel))

    def _close_loop(self) -> None:
        while True:
            due, _n, channel = self._closer.get()
            if channel is None:
                return
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            with contextlib.suppress(Exception):
                channel.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        for sock, _srv in self._listeners.values():
            with contextlib.suppress(OSError):
                self._sel.unregister(sock)
            sock.close()
        self._listeners.clear()
        with self._lock:
            transports = [t for ts in self._transports.values() for t in ts]
            self._transports.clear()
        for t in transports:
            t.close()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self._closer.put((float("inf"), -1, None))
