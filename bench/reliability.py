"""The issue 15 targets at full length: 60 s outages, kills, a 20,000 packets/s flood, a bomb.

    .venv/bin/python bench/reliability.py [--outage 60] [--flood 30] [--only NAME ...]

Real daemons only: snmpsim serving the APC AP8853 capture (../shared/captures or
$RACKWATCH_CAPTURES), a private PostgreSQL cluster, SQLite files locked by a second
process, `app.py collect` killed with SIGKILL. Prints one line per scenario and writes
bench/out/reliability.json.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from models.db import make_engine, upgrade  # noqa: E402
from monitors.collection.collector import CollectorOptions  # noqa: E402
from monitors.lab.daemons.common import captures_dir  # noqa: E402
from monitors.lab.daemons.pg import PgCluster  # noqa: E402
from monitors.lab.daemons.snmp import start_snmpsim  # noqa: E402
from monitors.lab.faults import (  # noqa: E402
    Recording,
    alias_bomb,
    apc_pdus,
    collector_env,
    hold_sqlite_lock,
    rollup_mismatches,
    run_in_thread,
    snmp_driver,
    spooled,
    start_flood,
    stored,
    wait_for,
)

OUT = REPO / "bench" / "out" / "reliability.json"


def _opts(url: str, work: Path, duration: float) -> CollectorOptions:
    return CollectorOptions(
        url=url, duration_s=duration, spool_path=str(work / "spool.sqlite"), heartbeat_s=2.0
    )


def outage(kind: str, seconds: float, port: int, work: Path) -> dict[str, Any]:
    """Collect 8 PDUs every 2 s; take the database away for `seconds` in the middle."""
    pg: PgCluster | None = None
    if kind == "postgresql":
        pg = PgCluster()
        pg.start()
        url = pg.create_database("outage")
    else:
        url = f"sqlite:///{work / 'outage.db'}"
    try:
        upgrade(url)
        engine = make_engine(url)
        apc_pdus(engine, port, 8, interval_s=2)
        drv = Recording(snmp_driver({"apc": "apc_ap8853"}))
        thread, out = run_in_thread(_opts(url, work, seconds + 30), {"snmp": drv})
        wait_for(lambda: len(stored(engine)) > 100, 60, "first samples")
        engine.dispose()
        started = time.monotonic()
        if pg is not None:
            pg.halt()
            time.sleep(seconds)
            pg.resume()
        else:
            locker = hold_sqlite_lock(Path(url.removeprefix("sqlite:///")), seconds)
            locker.wait(seconds + 30)
        down = time.monotonic() - started
        thread.join(120)
        want, got = drv.expected(), stored(engine)
        result = {
            "scenario": f"{kind} away {down:.0f} s",
            "polled_samples": len(want),
            "lost": len(want - got),
            "rollup_mismatches": len(rollup_mismatches(engine)),
            "left_in_spool": spooled(work / "spool.sqlite"),
            "collector_error": repr(out[0]) if out and isinstance(out[0], BaseException) else None,
        }
        engine.dispose()
        return result
    finally:
        if pg is not None:
            pg.stop()


def kills(port: int, work: Path, count: int = 3) -> dict[str, Any]:
    """SIGKILL `app.py collect` at random moments, then compare every bucket with raw rows."""
    import random

    url = f"sqlite:///{work / 'kills.db'}"
    upgrade(url)
    engine = make_engine(url)
    apc_pdus(engine, port, 10, interval_s=1)
    env = collector_env(work, "apc_ap8853")
    env["RACKWATCH_DATA_DIR"] = str(work / "data")
    cmd = [sys.executable, str(REPO / "app.py"), "collect", "--db", url]
    committed: set[Any] = set()
    lost = 0
    for _ in range(count):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        floor = len(committed) + 300
        wait_for(lambda floor=floor: len(stored(engine)) > floor, 120, "samples")
        time.sleep(random.uniform(0.0, 3.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        now = stored(engine)
        lost += len(committed - now)
        committed = now
    subprocess.run([*cmd, "--duration", "3"], env=env, capture_output=True, timeout=120, check=True)
    lost += len(committed - stored(engine))
    with engine.connect() as c:
        from sqlalchemy import text

        buckets = c.execute(text("SELECT count(*) FROM rollup")).scalar_one()
    result = {
        "scenario": f"{count} x kill -9",
        "committed_samples": len(committed),
        "lost": lost,
        "buckets": int(buckets),
        "rollup_mismatches": len(rollup_mismatches(engine)),
    }
    engine.dispose()
    return result


def flood(port: int, work: Path, seconds: float, devices: int = 10) -> dict[str, Any]:
    """20,000 packets/s at the collector's SNMP socket while it polls `devices` every 1 s."""
    from sqlalchemy import text

    from monitors.alarms.engine import make_hook

    url = f"sqlite:///{work / 'flood.db'}"
    upgrade(url)
    engine = make_engine(url)
    apc_pdus(engine, port, devices, interval_s=1)
    inner = snmp_driver({"apc": "apc_ap8853"})
    inner.timeout_s, inner.retries = 2.0, 1
    drv = Recording(inner)
    opts = _opts(url, work, seconds + 8)
    opts.hooks = [make_hook(url)]
    thread, _out = run_in_thread(opts, {"snmp": drv})
    wait_for(lambda: len(drv.results) > 2 * devices, 60, "first polls")
    fast = drv.inner.client.fast_path()
    started = time.time()
    flooder = start_flood(fast.local_ports()[0], 20_000, seconds)
    line, _ = flooder.communicate(timeout=seconds * 3)
    ended = time.time()
    thread.join(60)
    lo, hi = math.ceil(started) + 1, math.floor(ended) - 1
    window = [r for r in drv.results if lo <= r.ts < hi]
    with engine.connect() as c:
        false_alarms = c.execute(
            text("SELECT count(*) FROM alarm WHERE rule IN ('unreachable', 'stale')")
        ).scalar_one()
    engine.dispose()
    return {
        "scenario": f"flood 20,000 packets/s for {seconds:.0f} s",
        "packets_sent": int(line.split()[1]),
        "dropped_undecoded": fast.dropped_stranger,
        "schedule_kept_pct": round(100 * len(window) / (devices * (hi - lo)), 1),
        "failed_polls": sum(1 for r in window if not r.ok),
        "false_alarms": int(false_alarms),
    }


def bomb(work: Path) -> dict[str, Any]:
    path = alias_bomb(work / "bomb.yaml")
    code = (
        "import re, sys, time\n"
        "t = time.perf_counter()\n"
        "from models.inventory.importer import parse_inventory\n"
        "t0 = time.perf_counter()\n"
        "inv, problems = parse_inventory(sys.argv[1])\n"
        "t1 = time.perf_counter()\n"
        "hwm = re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1)\n"
        "print(t1 - t0, t1 - t, hwm, len(problems))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], cwd=REPO, capture_output=True, text=True
    )
    parse_s, total_s, hwm, problems = done.stdout.split()
    started = time.monotonic()
    cli = subprocess.run(
        [sys.executable, str(REPO / "app.py"), "import", str(path), "--dry-run"],
        capture_output=True,
        text=True,
    )
    return {
        "scenario": f"alias bomb {path.stat().st_size:,} bytes",
        "parse_s": round(float(parse_s), 4),
        "process_s_with_imports": round(float(total_s), 2),
        "peak_rss_mib": round(int(hwm) / 1024, 1),
        "problems": int(problems),
        "cli_s": round(time.monotonic() - started, 2),
        "cli_rc": cli.returncode,
        "cli_lines": len(cli.stderr.splitlines()),
        "refusal": re.sub(r"^.*?: ", "", cli.stderr.splitlines()[0]) if cli.stderr else "",
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--outage", type=float, default=60.0)
    p.add_argument("--flood", type=float, default=30.0)
    p.add_argument("--only", nargs="*", default=None)
    args = p.parse_args(argv)
    want = set(args.only or ["sqlite", "postgresql", "kills", "flood", "bomb"])
    src = captures_dir()
    if src is None:
        print("captures not found: set RACKWATCH_CAPTURES", file=sys.stderr)
        return 2
    results = []
    server = start_snmpsim(src)
    try:
        with tempfile.TemporaryDirectory(prefix="rw-rel-") as tmp:
            work = Path(tmp)
            for name in ("sqlite", "postgresql"):
                if name in want:
                    (work / name).mkdir()
                    results.append(outage(name, args.outage, server.port, work / name))
                    print(results[-1], flush=True)
            if "kills" in want:
                (work / "k").mkdir()
                results.append(kills(server.port, work / "k"))
                print(results[-1], flush=True)
            if "flood" in want:
                (work / "f").mkdir()
                results.append(flood(server.port, work / "f", args.flood))
                print(results[-1], flush=True)
            if "bomb" in want:
                results.append(bomb(work))
                print(results[-1], flush=True)
    finally:
        server.stop()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
