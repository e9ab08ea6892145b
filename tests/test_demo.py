"""`app.py demo` end to end without a window: lab, import, collector, clean stop, no orphans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from models.db import make_engine
from tests.daemons import REPO


def _children_of(pid: int) -> list[int]:
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(proc.name))
    return out


def _collector_of(pid: int) -> int | None:
    for child in _children_of(pid):
        try:
            args = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"collect" in args:
            return child
    return None


def test_demo_runs_lab_and_collector_and_stops_them_all(tmp_path: Path) -> None:
    env = {**os.environ, "RACKWATCH_DATA_DIR": str(tmp_path)}
    env.pop("DISPLAY", None)
    db = tmp_path / "demo.db"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(REPO / "app.py"),
            "demo",
            "--no-gui",
            "--db",
            f"sqlite:///{db}",
            "--sites",
            "1",
            "--racks",
            "2",
            "--servers",
            "4",
            "--interval",
            "5",
            "--backfill",
            "0.05",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    children: set[int] = set()
    samples = 0
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            children.update(_children_of(proc.pid))
            if db.exists():
                eng = make_engine(f"sqlite:///{db}")
                try:
                    with eng.connect() as c:
                        samples = c.execute(
                            text("SELECT count(*) FROM latest WHERE ts > :t"),
                            {"t": int(time.time()) - 60},
                        ).scalar_one()
                except Exception:
                    samples = 0
                finally:
                    eng.dispose()
            if samples > 20 and len(children) >= 2:
                break
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            time.sleep(0.5)
        # The collector dies hard: the demo notices, says so and starts a new one.
        dead = _collector_of(proc.pid)
        assert dead is not None
        os.kill(dead, signal.SIGKILL)
        deadline = time.monotonic() + 20
        restarted = None
        while time.monotonic() < deadline and restarted in (None, dead):
            time.sleep(0.5)
            restarted = _collector_of(proc.pid)
        assert restarted not in (None, dead), "the demo did not restart its collector"
        children.update(_children_of(proc.pid))
        # Ctrl+C, as an operator would.
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out = proc.stdout.read().decode() if proc.stdout else ""
    if proc.stdout:
        proc.stdout.close()
    assert samples > 20, out
    assert len(children) >= 2, out  # lab and collector (and the backfill)
    time.sleep(0.5)
    alive = [
        pid
        for pid in children
        if Path(f"/proc/{pid}").exists()
        and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    ]
    assert not alive, f"orphans left behind: {alive}\n{out}"
    assert "inject an incident" in out
    assert "the collector died (killed by signal 9); restarted it" in out
