"""How many SNMP devices one collector core keeps at 100 % of a 10 s schedule (issue 15).

    .venv/bin/python bench/capacity.py [--devices 1000 2000 3000] [--seconds 60]

The whole collector (scheduler, SnmpDriver, writer with rollups into SQLite, alarm engine)
runs in a child process pinned to one CPU; net-snmp `snmpd` answers on loopback (8 OIDs per
poll, the bench/poll.py profile). For each device count it reports the share of scheduled
polls done, how many started late, and the collector's own health verdict.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from poll import PROFILE  # noqa: E402  (bench/poll.py: the same eight OIDs)
from sqlalchemy.orm import Session  # noqa: E402

from models.db import make_engine, upgrade  # noqa: E402
from models.schema import Device, Rack, Site  # noqa: E402
from monitors.collection.collector import Collector, CollectorOptions  # noqa: E402
from monitors.collection.drivers import SnmpDriver  # noqa: E402
from monitors.collection.targets import SnmpCredential  # noqa: E402
from monitors.lab.daemons.snmp import start_snmpd  # noqa: E402
from monitors.lab.faults import Recording  # noqa: E402
from monitors.profiles.engine import ProfileSet  # noqa: E402

OUT = REPO / "bench" / "out" / "capacity.json"
INTERVAL = 10


def one(port: int, community: str, devices: int, seconds: float, work: Path) -> dict[str, Any]:
    os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})  # one core, as one shard gets
    (work / "profiles").mkdir()
    (work / "profiles" / "bench.yaml").write_text(PROFILE)
    url = f"sqlite:///{work / 'cap.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        site = Site(code="B1", name="Bench", tz="UTC")
        racks = [Rack(site=site, name=f"R{i:03d}", row="A", position=i) for i in range(50)]
        s.add_all([site, *racks])
        s.flush()
        s.add_all(
            Device(
                site_id=site.id,
                rack_id=racks[i % 50].id,
                name=f"d{i}",
                kind="server",
                protocol="snmp",
                address="127.0.0.1",
                port=port,
                profile="bench",
                credential="c",
                poll_interval_s=INTERVAL,
            )
            for i in range(devices)
        )
        s.commit()
    engine.dispose()
    from monitors.alarms.engine import make_hook

    driver = SnmpDriver(
        lambda _n: SnmpCredential(version="2c", community=community),
        ProfileSet.load(work / "profiles"),
        timeout_s=2.0,
    )
    drv = Recording(driver)
    opts = CollectorOptions(
        url=url,
        duration_s=seconds,
        spool_path=str(work / "spool.sqlite"),
        hooks=[make_hook(url)],
        max_in_flight=128,
    )
    collector = Collector(opts, {"snmp": drv})
    started = time.time()
    c0 = time.process_time()
    asyncio.run(collector.run())
    cpu = time.process_time() - c0
    # The first interval spreads the first polls (and discovers plans): judge the rest.
    lo, hi = math.ceil(started) + INTERVAL + 2, math.floor(started + seconds) - 2
    window = [r for r in drv.results if lo <= r.ts < hi]
    expected = devices * (hi - lo) / INTERVAL
    engine = make_engine(url)
    with engine.connect() as c:
        from sqlalchemy import text

        stale = c.execute(text("SELECT count(*) FROM alarm WHERE rule = 'stale'")).scalar_one()
        health = c.execute(text("SELECT health, health_detail FROM collector_heartbeat")).one()
    engine.dispose()
    return {
        "devices": devices,
        "interval_s": INTERVAL,
        "schedule_kept_pct": round(100 * len(window) / expected, 1),
        "failed_polls": sum(1 for r in window if not r.ok),
        "collector_cpu_pct": round(100 * cpu / seconds, 1),
        "stale_alarms": int(stale),
        "health": health[0],
        "health_detail": health[1],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--devices", type=int, nargs="*", default=[1000, 2000, 3000])
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--one", nargs=3, help=argparse.SUPPRESS)  # port community devices
    args = p.parse_args(argv)
    if args.one:
        work = Path(tempfile.mkdtemp(prefix="rw-cap-"))
        try:
            port, community, n = args.one
            print(json.dumps(one(int(port), community, int(n), args.seconds, work)))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return 0
    import subprocess

    agent = start_snmpd()
    results = []
    try:
        for n in args.devices:
            done = subprocess.run(
                [sys.executable, __file__, "--seconds", str(args.seconds),
                 "--one", str(agent.port), agent.community, str(n)],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "{}"
            results.append(json.loads(line) if line.startswith("{") else {"error": done.stderr})
            print(results[-1], flush=True)
    finally:
        agent.stop()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
