"""Screenshots of the demo during a cooling-failure incident and after the collector is killed.

Starts the demo stack (lab + collector, no history) on a fresh SQLite file, injects a cooling
failure on one row, waits for the critical incident, renders the desk and the wall, then
`kill -9`s the collector and renders both again once the desk would show them stale.
Writes docs/screenshots/{incident-desk,incident-wall,stale-desk,stale-wall}.png (1280x720).

    .venv/bin/python scripts/incident_screenshots.py [--offscreen]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import text  # noqa: E402

from models.alarms.lifecycle import sync_collector_alarms  # noqa: E402
from models.db import make_engine  # noqa: E402
from models.staleness import collector_dead_after  # noqa: E402
from monitors.lab.demo_stack import DemoStack  # noqa: E402


def shoot(url: str, target: Path, view: str, size: tuple[int, int], offscreen: bool) -> None:
    env = dict(os.environ, XDG_CONFIG_HOME=str(target.parent / ".shots-config"))
    prefix: list[str] = []
    if offscreen or not shutil.which("xvfb-run"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    elif not os.environ.get("DISPLAY"):
        prefix = ["xvfb-run", "-a", "-s", f"-screen 0 {size[0]}x{size[1]}x24"]
    cmd = [
        *prefix, sys.executable, str(REPO / "app.py"), "gui", "--db", url,
        "--screenshot", str(target), "--view", view, "--theme", "light",
        "--width", str(size[0]), "--height", str(size[1]),
    ]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    print(("ok " if proc.returncode == 0 else "FAILED ") + str(target), flush=True)
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    ap.add_argument("--offscreen", action="store_true")
    ap.add_argument("--interval", type=int, default=10)
    args = ap.parse_args()
    size = (1280, 720)
    folder = Path(tempfile.mkdtemp(prefix="rackwatch-incident-shots-"))
    url = f"sqlite:///{folder / 'incident.db'}"
    stack = DemoStack(folder, url, interval_s=args.interval, backfill_days=0)
    engine = make_engine(url)
    try:
        stack.start(progress=lambda m: print(m, flush=True))
        site, row = stack.first_row()
        time.sleep(4 * args.interval)
        subprocess.run(
            [sys.executable, str(REPO / "app.py"), "lab", "--control", str(stack.lab_dir),
             "inject", "cooling-failure", "--site", site, "--row", row],
            check=True, env=stack.env,
        )  # fmt: skip
        print(f"cooling failure injected on {site} row {row}; waiting for the incident", flush=True)
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                racks = conn.execute(
                    text(
                        "SELECT racks FROM incident WHERE family = 'thermal' "
                        "AND severity = 'critical' AND state = 'active'"
                    )
                ).scalar()
            if racks and racks >= 5:
                break
            time.sleep(10)
        time.sleep(3 * args.interval)
        shoot(url, args.out / "incident-desk.png", "alarms", size, args.offscreen)
        shoot(url, args.out / "incident-wall.png", "wall", size, args.offscreen)
        assert stack.collector is not None
        os.kill(stack.collector.pid, signal.SIGKILL)
        stack.collector.wait()
        print("collector killed (-9)", flush=True)
        time.sleep(collector_dead_after() + 60)
        # What the first desk to notice does (the screenshot windows are too short-lived).
        sync_collector_alarms(engine)
        shoot(url, args.out / "stale-desk.png", "site:" + site, size, args.offscreen)
        shoot(url, args.out / "stale-wall.png", "wall", size, args.offscreen)
    finally:
        engine.dispose()
        stack.stop()
    shutil.rmtree(args.out / ".shots-config", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
