"""Private VictoriaMetrics and vmagent processes for tests and benches (Debian victoria-metrics)."""

from __future__ import annotations

import http.client
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from monitors.lab.daemons.common import find_binary, free_port

PACKAGE_HINT = "apt-get install victoria-metrics (Debian 12: VictoriaMetrics 1.79.5 with vmagent)"


def missing_reason() -> str | None:
    """Why VictoriaMetrics and vmagent cannot be started here, or None when they can."""
    for name in ("victoria-metrics", "vmagent"):
        if find_binary(name) is None:
            return f"{name} not found; {PACKAGE_HINT}"
    return None


def wait_http(host: str, port: int, path: str = "/health", timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(host, port, timeout=1.0)
            conn.request("GET", path)
            ok = conn.getresponse().status == 200
            conn.close()
            if ok:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


class _Process:
    """One daemon in its own temp dir; a watchdog stops it if the test process dies."""

    binary = ""

    def __init__(self, host: str = "127.0.0.1", root: Path | None = None) -> None:
        path = find_binary(self.binary)
        if path is None:
            raise RuntimeError(missing_reason() or f"{self.binary} missing")
        self.path = path
        self.host = host
        self.root = root or Path(tempfile.mkdtemp(prefix=f"rackwatch-{self.binary}-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = self.root / "daemon.log"
        # Commands are prefixed with this (for example `ip netns exec NS`) to run elsewhere.
        self.prefix: list[str] = []
        self._watchdog: subprocess.Popen[bytes] | None = None

    def args(self) -> list[str]:
        raise NotImplementedError

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        if not self.port:
            self.port = free_port()
        cmd = [*self.prefix, self.path, *self.args()]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        if not wait_http(self.host, self.port, timeout=30):
            self.stop(remove=False)
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{self.binary} did not answer on {self.url}:\n{tail}")
        self._start_watchdog()

    def _start_watchdog(self) -> None:
        if self._watchdog is not None or self.proc is None:
            return
        script = (
            f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
            f"kill -9 {self.proc.pid} 2>/dev/null; rm -rf {shlex.quote(str(self.root))}"
        )
        self._watchdog = subprocess.Popen(
            ["sh", "-c", script],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop(self, *, remove: bool = True, kill: bool = False) -> None:
        if self.proc is not None and self.proc.poll() is None:
            # SIGTERM lets VictoriaMetrics flush its in-memory parts and vmagent its queue.
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if remove:
            if self._watchdog is not None:
                self._watchdog.kill()
                self._watchdog.wait()
                self._watchdog = None
            shutil.rmtree(self.root, ignore_errors=True)

    def restart(self) -> None:
        """Stop and start on the same port and data directory."""
        self.stop(remove=False)
        self._watchdog_reset()
        self.start()

    def _watchdog_reset(self) -> None:
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait()
            self._watchdog = None


class VictoriaMetrics(_Process):
    """Single-node VictoriaMetrics; dedup at the poll interval, as in production."""

    binary = "victoria-metrics"

    def __init__(
        self,
        host: str = "127.0.0.1",
        *,
        dedup_s: int = 30,
        extra: Sequence[str] = (),
        root: Path | None = None,
    ) -> None:
        super().__init__(host, root)
        self.dedup_s = dedup_s
        self.extra = list(extra)
        self.data = self.root / "data"

    def args(self) -> list[str]:
        return [
            f"-storageDataPath={self.data}",
            f"-httpListenAddr={self.host}:{self.port}",
            f"-dedup.minScrapeInterval={self.dedup_s}s",
            "-retentionPeriod=100y",
            # Tests read back what they wrote at once; production keeps the 30 s default.
            "-search.latencyOffset=1s",
            "-search.cacheTimestampOffset=1s",
            "-loggerLevel=WARN",
            *self.extra,
        ]

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.data.rglob("*") if p.is_file())

    def flush(self) -> None:
        """Make recently imported samples searchable and their parts land on disk."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        conn.request("GET", "/internal/force_flush")
        conn.getresponse().read()
        conn.close()


class VmAgent(_Process):
    """vmagent accepting the import API and remote-writing to `remote`, buffering on disk."""

    binary = "vmagent"

    def __init__(
        self,
        remote: str,
        host: str = "127.0.0.1",
        *,
        extra: Sequence[str] = (),
        root: Path | None = None,
    ) -> None:
        super().__init__(host, root)
        self.remote = remote.rstrip("/")
        self.extra = list(extra)

    def args(self) -> list[str]:
        return [
            f"-httpListenAddr={self.host}:{self.port}",
            f"-remoteWrite.url={self.remote}/api/v1/write",
            f"-remoteWrite.tmpDataPath={self.root / 'queue'}",
            "-remoteWrite.maxDiskUsagePerURL=1GB",
            "-remoteWrite.flushInterval=1s",
            "-loggerLevel=WARN",
            *self.extra,
        ]

    def pending_bytes(self) -> int:
        """Bytes vmagent still holds for the remote (its persistent queue), from /metrics."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
        conn.request("GET", "/metrics")
        body = conn.getresponse().read().decode()
        conn.close()
        total = 0
        for line in body.splitlines():
            if line.startswith("vm_persistentqueue_bytes_pending"):
                total += int(float(line.rsplit(" ", 1)[1]))
        return total
