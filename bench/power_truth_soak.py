"""Quiet-lab soak: a mapped lab collected for N minutes must raise no cabling / PSU alarm.

    python bench/power_truth_soak.py --minutes 30 [--interval 10] [--keep DIR]

Starts a lab (one site, the vendor mix, outlets mapped in its inventory), imports it, runs
`app.py collect` with the alarm engine, and counts power-truth alarms and comparisons.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from models.db import make_engine, upgrade
from models.read.power import truth_rows
from monitors.lab import start_lab

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--interval", type=int, default=10, help="poll interval of every device")
    ap.add_argument("--racks", type=int, default=4)
    ap.add_argument("--servers", type=int, default=8)
    ap.add_argument("--keep", type=Path, help="work directory to keep (default: a temp dir)")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="rw-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "RACKWATCH_CREDENTIALS": "file",
        "XDG_CONFIG_HOME": str(work / "config"),
        "XDG_DATA_HOME": str(work / "data"),
    }
    lab = start_lab(
        work / "lab",
        sites=1,
        racks=args.racks,
        servers=args.servers,
        seed=7,
        net=random.randint(100, 250),
        port_base=random.randint(21_000, 60_000),
    )
    url = f"sqlite:///{work / 'soak.db'}"
    upgrade(url)
    try:
        for cmd in (
            ["import", str(lab.out_dir / "inventory.yaml"), "--db", url],
            ["credentials", "import", str(lab.out_dir / "credentials.yaml")],
        ):
            subprocess.run([sys.executable, str(REPO / "app.py"), *cmd], env=env, check=True)
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE device SET poll_interval_s = :i"), {"i": args.interval})
        duration = int(args.minutes * 60)
        started = time.time()
        collector = subprocess.run(
            [sys.executable, str(REPO / "app.py"), "collect", "--db", url,
             "--known-hosts", str(lab.out_dir / "known_hosts"), "--duration", str(duration)],
            env=env, cwd=REPO, capture_output=True, text=True, check=False,
        )  # fmt: skip
        elapsed = time.time() - started
        with engine.connect() as conn:
            alarms = conn.execute(
                text(
                    "SELECT rule, message FROM alarm WHERE rule IN "
                    "('power_truth', 'unlisted_load', 'failover')"
                )
            ).all()
            samples = conn.execute(text("SELECT count(*) FROM sample")).scalar()
        rows = truth_rows(engine)
        judged = [r for r in rows if r.verdict is not None]
        ratios = [r.ratio for r in judged if r.ratio is not None]
        result = {
            "minutes": round(elapsed / 60, 1),
            "interval_s": args.interval,
            "collector_rc": collector.returncode,
            "mapped_servers": len(rows),
            "servers_cross_checked": len(judged),
            "samples": samples,
            "power_truth_alarms": len([a for a in alarms if a[0] == "power_truth"]),
            "unlisted_load_alarms": len([a for a in alarms if a[0] == "unlisted_load"]),
            "failover_alarms": len([a for a in alarms if a[0] == "failover"]),
            "last_ratio_min": round(min(ratios), 3) if ratios else None,
            "last_ratio_max": round(max(ratios), 3) if ratios else None,
        }
        print(json.dumps(result, indent=1))
        for a in alarms:
            print("ALARM", a[0], a[1])
        return 0 if not result["power_truth_alarms"] and not result["unlisted_load_alarms"] else 1
    finally:
        lab.stop()


if __name__ == "__main__":
    sys.exit(main())
