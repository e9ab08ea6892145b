"""A quiet lab hall (no injection) for 30 minutes: how many forecast (and other) alarms it raises.

Starts the demo stack (simulated lab + `app.py collect` as child processes, no history, no
GUI) on a fresh SQLite file with the shipped alarm rules, lets it run, then counts alarms by
rule. The target is 0 forecast alarms (docs/alarms.md, "Forecasts").

    .venv/bin/python bench/quiet_soak.py [--minutes 30] [--racks 10] [--servers 10]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUT = REPO / "bench" / "out" / "quiet_soak.json"


def main() -> int:
    from models.db import make_engine
    from monitors.lab.demo_stack import DemoStack

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--sites", type=int, default=1)
    ap.add_argument("--racks", type=int, default=10)
    ap.add_argument("--servers", type=int, default=10)
    ap.add_argument("--interval", type=int, default=10)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rackwatch-soak-"))
    url = f"sqlite:///{folder / 'soak.db'}"
    stack = DemoStack(
        folder,
        url,
        sites=args.sites,
        racks=args.racks,
        servers=args.servers,
        interval_s=args.interval,
        backfill_days=0,
    )
    started = time.time()
    try:
        stack.start(progress=lambda m: print(m, flush=True))
        end = time.monotonic() + args.minutes * 60
        while time.monotonic() < end:
            time.sleep(30)
            stack.check()
    finally:
        stack.stop()
    engine = make_engine(url)
    with engine.connect() as conn:
        by_rule = {
            str(r[0]): int(r[1])
            for r in conn.execute(text("SELECT rule, count(*) FROM alarm GROUP BY rule"))
        }
        forecasts = [
            str(r[0])
            for r in conn.execute(text("SELECT message FROM alarm WHERE rule = 'forecast'"))
        ]
        devices = conn.execute(text("SELECT count(*) FROM device WHERE enabled")).scalar()
        samples = conn.execute(text("SELECT count(*) FROM sample")).scalar()
        inlets = conn.execute(
            text("SELECT count(*) FROM series WHERE metric = 'temperature_c' AND role = 'inlet'")
        ).scalar()
    engine.dispose()
    result = {
        "minutes": args.minutes,
        "interval_s": args.interval,
        "devices": devices,
        "inlet_series": inlets,
        "samples": samples,
        "alarms_by_rule": by_rule,
        "forecast_alarms": len(forecasts),
        "forecast_messages": forecasts[:20],
        "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(started)),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0 if not forecasts else 1


if __name__ == "__main__":
    sys.exit(main())
