"""A centre (PostgreSQL, VictoriaMetrics) and site collectors on one machine: tests, benches."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, text

from models.db import make_engine
from monitors.lab.daemons.common import REPO


@dataclass
class Poll:
    wall: float
    collector: str
    device: int
    ok: bool
    ts: int
    readings: int


def read_trace(paths: list[Path]) -> list[Poll]:
    """Every poll the collectors traced (--trace-polls), oldest first."""
    out: list[Poll] = []
    for p in paths:
        if not p.exists():
            continue
        for line in p.read_text().splitlines():
            parts = line.split()
            if len(parts) == 6:
                out.append(
                    Poll(
                        float(parts[0]),
                        parts[1],
                        int(parts[2]),
                        parts[3] == "1",
                        int(parts[4]),
                        int(parts[5]),
                    )
                )
    out.sort(key=lambda x: x.wall)
    return out


def pollers(polls: list[Poll], since: float, until: float) -> dict[int, set[str]]:
    """device -> collectors that polled it in [since, until)."""
    got: dict[int, set[str]] = defaultdict(set)
    for p in polls:
        if since <= p.wall < until:
            got[p.device].add(p.collector)
    return got


@dataclass
class CollectorProcess:
    """`app.py collect --site` as a child process (optionally inside a network namespace)."""

    collector_id: str
    site: str
    db_url: str
    vm_url: str
    vmagent_url: str
    workdir: Path
    env: dict[str, str]
    ttl_s: int = 6
    heartbeat_s: float = 2.0
    known_hosts: str = ""
    netns: str = ""
    alarms: bool = True
    proc: subprocess.Popen[bytes] | None = None
    extra: list[str] = field(default_factory=list)

    @property
    def trace(self) -> Path:
        return self.workdir / f"trace-{self.collector_id}.txt"

    @property
    def log(self) -> Path:
        return self.workdir / f"collector-{self.collector_id}.log"

    def start(self) -> None:
        cmd = [
            sys.executable,
            str(REPO / "app.py"),
            "collect",
            "--site",
            self.site,
            "--db",
            self.db_url,
            "--vm-url",
            self.vm_url,
            "--vmagent-url",
            self.vmagent_url,
            "--collector-id",
            self.collector_id,
            "--lease-ttl",
            str(self.ttl_s),
            "--heartbeat",
            str(self.heartbeat_s),
            "--trace-polls",
            str(self.trace),
            *(["--known-hosts", self.known_hosts] if self.known_hosts else []),
            *([] if self.alarms else ["--no-alarms"]),
            *self.extra,
        ]
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns, *cmd]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=REPO
            )

    def kill(self) -> None:
        """kill -9: no lease is given back, nothing is flushed."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def app_env(workdir: Path) -> dict[str, str]:
    """Environment of child app.py processes: their own config, data and log dirs."""
    return {
        **os.environ,
        "RACKWATCH_CREDENTIALS": "file",
        "XDG_CONFIG_HOME": str(workdir / "config"),
        "XDG_DATA_HOME": str(workdir / "data"),
        "RACKWATCH_CONFIG_DIR": str(workdir / "config" / "rackwatch"),
        "RACKWATCH_LOG_DIR": str(workdir / "logs"),
    }


def app(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = subprocess.run(
        [sys.executable, str(REPO / "app.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=env,
    )
    if done.returncode != 0:
        raise RuntimeError(f"app.py {args[0]} failed: {done.stderr[-2000:]}")
    return done.stdout


def set_interval(engine: Engine, seconds: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE device SET poll_interval_s = :s"), {"s": seconds})


def series_of_devices(engine: Engine) -> dict[int, list[int]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT device_id, id FROM series")).all()
    out: dict[int, list[int]] = defaultdict(list)
    for dev, sid in rows:
        out[int(dev)].append(int(sid))
    return out


def wait_for(cond: object, timeout: float, step: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(cond) and cond():
            return True
        time.sleep(step)
    return bool(callable(cond) and cond())


def central_engine(url: str) -> Engine:
    return make_engine(url)


def samples_lost(
    polls: list[Poll],
    device_series: dict[int, list[int]],
    stored: dict[int, set[int]],
    dedup_s: int,
    since: float = 0.0,
    until: float = float("inf"),
) -> tuple[int, int]:
    """(expected, lost) samples: what polls read versus what VictoriaMetrics kept.

    VictoriaMetrics keeps one sample per series per dedup interval (buckets closed on the
    right: (k*d - d, k*d]), so overlapping polls of one device count once. stored maps
    series id -> the whole-second timestamps it holds.
    """
    want: dict[tuple[int, int], int] = {}
    for p in polls:
        if not p.ok or not p.readings or not since <= p.ts < until:
            continue
        key = (p.device, -(-p.ts // dedup_s))
        want[key] = max(want.get(key, 0), p.readings)
    have: dict[tuple[int, int], int] = defaultdict(int)
    for dev, sids in device_series.items():
        for sid in sids:
            for b in {-(-t // dedup_s) for t in stored.get(sid, ())}:
                have[(dev, b)] += 1
    expected = sum(want.values())
    lost = sum(max(0, n - have.get(k, 0)) for k, n in want.items())
    return expected, lost


def queued_transitions(log_path: Path, since: int, until: int) -> list[tuple[str, str, int]]:
    """(key, severity or 'cleared', t) a collector put in its alarm outbox, from its log."""
    out: list[tuple[str, str, int]] = []
    if not log_path.exists():
        return out
    for line in log_path.read_text(errors="replace").splitlines():
        at = line.find("outbox queued batch=")
        if at < 0:
            continue
        fields = line[at:].split()
        t = int(fields[3].removeprefix("t="))
        if not since <= t <= until:
            continue
        for item in fields[4:]:
            key, _, state = item.rpartition("=")
            out.append((key, state, t))
    return out


def alarm_events_lost(
    queued: list[tuple[str, str, int]], central: list[tuple[str, str, int]]
) -> int:
    """Transitions the site queued that the centre does not hold (same key, state, time)."""
    have: dict[tuple[str, str, int], int] = defaultdict(int)
    for key, state, t in central:
        have[(key, "cleared" if state == "cleared" else "open", t)] += 1
    lost = 0
    for key, sev, t in queued:
        k = (key, "cleared" if sev == "cleared" else "open", t)
        if have[k] > 0:
            have[k] -= 1
        else:
            lost += 1
    return lost
