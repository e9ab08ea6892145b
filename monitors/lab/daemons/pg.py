"""A private, throw-away PostgreSQL cluster for tests (initdb in a temp dir, loopback port)."""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import secrets
import shlex
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from monitors.lab.daemons.common import free_port, wait_tcp

SUPERUSER = "rackwatch"
# Debian's layout first; any PATH install as a fallback.
_BINDIR_GLOBS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/*/bin")


def find_bindir() -> Path | None:
    """Directory holding initdb and pg_ctl (PostgreSQL 15 preferred), or None."""
    for pattern in _BINDIR_GLOBS:
        for candidate in sorted(glob.glob(pattern), reverse=True):
            if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
                return Path(candidate)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    return None


def missing_reason() -> str | None:
    """Why a cluster cannot be started here, or None when it can."""
    if find_bindir() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) not found; apt-get install postgresql"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root but there is no 'postgres' user to run the server as"
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing (util-linux)"
    return None


class PgCluster:
    """initdb + pg_ctl in a temporary directory; password auth on 127.0.0.1 only.

    The server refuses to run as root, so as root every server command runs as the
    `postgres` user through runuser, and the temp dir is handed to that user.
    """

    def __init__(self, extra_listen: tuple[str, ...] = ()) -> None:
        # Addresses besides 127.0.0.1, only on veths of network namespaces a test created.
        self.extra_listen = extra_listen
        bindir = find_bindir()
        if bindir is None:
            raise RuntimeError(missing_reason() or "PostgreSQL binaries not found")
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="rackwatch-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "run"
        self.log = self.root / "server.log"
        self.password = secrets.token_hex(16)
        self.port = 0
        self._as_postgres = os.geteuid() == 0
        self._names = itertools.count(1)
        self._lock = threading.Lock()
        self._template: str | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def _cmd(self, tool: str, *args: str) -> list[str]:
        cmd = [str(self.bindir / tool), *args]
        return ["runuser", "-u", "postgres", "--", *cmd] if self._as_postgres else cmd

    def _run(self, tool: str, *args: str) -> None:
        # cwd inside our dir: as postgres the caller's cwd (root's home) may be unreadable.
        proc = subprocess.run(
            self._cmd(tool, *args), cwd=self.root, capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            log = self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{tool} {' '.join(args)} failed ({proc.returncode}):\n"
                f"{proc.stdout}{proc.stderr}\n{log}"
            )

    def start(self) -> None:
        self.sockets.mkdir()
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        if self._as_postgres:
            pg = pwd.getpwnam("postgres")
            for path in (self.root, self.sockets, pwfile):
                os.chown(path, pg.pw_uid, pg.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--pwfile",
            str(pwfile),
            "--auth=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        pwfile.unlink()
        if self.extra_listen:
            with (self.data / "pg_hba.conf").open("a") as f:
                f.writelines(f"host all all {a}/24 scram-sha-256\n" for a in self.extra_listen)
        # Durability is irrelevant for a throw-away cluster; speed is not.
        settings = {
            "listen_addresses": "'" + ",".join(("127.0.0.1", *self.extra_listen)) + "'",
            "unix_socket_directories": f"'{self.sockets}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
            "shared_buffers": "64MB",
            "log_min_messages": "warning",
            "timezone": "'UTC'",
        }
        last_error: Exception | None = None
        for _attempt in range(5):
            # The port can be taken between free_port() and the server's bind: retry.
            self.port = free_port()
            conf = dict(settings, port=str(self.port))
            with (self.data / "postgresql.auto.conf").open("a") as f:
                f.writelines(f"{k} = {v}\n" for k, v in conf.items())
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "start")
            except RuntimeError as exc:
                last_error = exc
                continue
            if wait_tcp(self.port, timeout=30):
                self._start_watchdog()
                return
            last_error = RuntimeError(f"postgres did not listen on 127.0.0.1:{self.port}")
        raise RuntimeError(f"could not start the test PostgreSQL cluster: {last_error}")

    def _start_watchdog(self) -> None:
        # If this process is killed (a CI timeout, SIGKILL) no finaliser runs; the watchdog
        # then stops the server and removes the directory, so no postgres is left behind.
        pg_ctl = " ".join(shlex.quote(a) for a in self._cmd("pg_ctl", "-D", str(self.data)))
        script = (
            f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
            f"{pg_ctl} -m immediate stop >/dev/null 2>&1; rm -rf {shlex.quote(str(self.root))}"
        )
        self._watchdog = subprocess.Popen(
            ["sh", "-c", script],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait()
            self._watchdog = None
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def halt(self) -> None:
        """Stop the server but keep its data (an outage); resume() brings it back."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        """Start the halted server again on the same port."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "start")
        if not wait_tcp(self.port, timeout=30):
            raise RuntimeError(f"postgres did not listen again on 127.0.0.1:{self.port}")

    # -- databases ---------------------------------------------------------------------------

    def url(self, database: str, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=SUPERUSER,
            password=self.password,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(sql)

    def create_database(self, prefix: str = "t", template: str | None = None) -> str:
        """A new empty (or template-copied) database; returns its SQLAlchemy URL."""
        name = f"{prefix}_{next(self._names)}"
        tpl = template or "template0"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{tpl}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def migrated_database(self) -> str:
        """A new database at the head revision, copied from a template migrated once."""
        with self._lock:
            if self._template is None:
                from models.db import upgrade

                url = self.create_database("migrated_template")
                upgrade(url)
                self._template = url.rsplit("/", 1)[1]
        return self.create_database("t", template=self._template)
