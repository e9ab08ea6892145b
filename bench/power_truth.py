"""Cost of the power-truth checks inside the alarm engine at pilot-zone scale.

    python bench/power_truth.py [--racks 13400 --servers 158000] [--ticks 3]

Builds a zone of the pilot preset's size in SQLite (two metered PDUs per rack, every server's
two PSUs mapped to outlet n on feed A and B), then pushes whole 30 s ticks of samples through
the AlarmEngine in collector-sized batches, and reports the share of the engine's time spent
in the power-truth hook (cross-check + unlisted outlets + failover peaks).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

import numpy as np
from sqlalchemy import Engine, Table, insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models import schema as s
from models.db import make_engine, upgrade
from monitors.alarms.engine import AlarmEngine
from monitors.collection.readings import PollResult

END = 1_796_000_400


def _bulk(engine: Engine, table: Any, rows: list[dict[str, Any]], ids: bool = True) -> list[int]:
    out: list[int] = []
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            chunk = rows[i : i + 5000]
            if ids:
                out.extend(conn.execute(insert(table).returning(table.id), chunk).scalars())
            else:
                conn.execute(insert(cast(Table, table.__table__)), chunk)
    return out


def build_zone(engine: Engine, racks: int, servers: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """Returns series ids, their device ids and typical values."""
    with engine.begin() as conn:
        site = conn.execute(
            insert(s.Site)
            .values(code="PZ1", name="Pilot zone", tz="Asia/Shanghai")
            .returning(s.Site.id)
        ).scalar_one()
    rack_ids = _bulk(
        engine,
        s.Rack,
        [
            dict(site_id=site, name=f"R{r:05d}", row=f"R{r // 20:03d}", position=r % 20 + 1)
            for r in range(racks)
        ],
    )
    _bulk(
        engine,
        s.RackFeed,
        [
            dict(rack_id=r, feed=f, breaker_a=32.0, phases=3, voltage_v=230.0)
            for r in rack_ids
            for f in ("A", "B")
        ],
        ids=False,
    )
    per = [servers // racks + (1 if i < servers % racks else 0) for i in range(racks)]
    devices: list[dict[str, Any]] = []
    for r, rid in enumerate(rack_ids):
        for f in ("A", "B"):
            devices.append(
                dict(site_id=site, rack_id=rid, name=f"R{r:05d}-pdu-{f}", kind="pdu", feed=f,
                     model="Raritan PX3-5190R", address="127.0.0.1", u_position=None)
            )  # fmt: skip
        for n in range(per[r]):
            devices.append(
                dict(site_id=site, rack_id=rid, name=f"R{r:05d}-s{n + 1:02d}", kind="server",
                     feed=None, model="Dell PowerEdge R650", address="127.0.0.1",
                     u_position=2 + n)
            )  # fmt: skip
    dev_ids = _bulk(engine, s.Device, devices)
    series: list[dict[str, Any]] = []
    psus: list[dict[str, Any]] = []
    typical: list[float] = []
    for did, d in zip(dev_ids, devices, strict=True):
        if d["kind"] == "pdu":
            n_out = 24
            r_of = int(d["name"][1:6])
            spec = (
                [("power_w", "total", "total", 1500.0)]
                + [("current_a", f"L{i}", "phase", 2.2) for i in (1, 2, 3)]
                # Outlets without a server draw nothing (else: unlisted-load alarms).
                + [
                    ("power_w", f"outlet {o}", "outlet", 150.0 if o <= per[r_of] else 0.0)
                    for o in range(1, n_out + 1)
                ]
            )
        else:
            n = int(d["name"][-2:])
            psus += [
                dict(device_id=did, psu=1, feed="A", outlet=n, pdu_name=None),
                dict(device_id=did, psu=2, feed="B", outlet=n, pdu_name=None),
            ]
            spec = [("power_w", "System Board Pwr Consumption", "total", 300.0),
                    ("temperature_c", "Inlet Temp", "part", 23.0)]  # fmt: skip
        for metric, ch, cls, v in spec:
            series.append(
                dict(device_id=did, metric=metric, channel=ch, channel_class=cls,
                     unit="W" if metric == "power_w" else "A" if metric == "current_a" else "°C",
                     role="inlet" if metric == "temperature_c" else None, interval_s=60)
            )  # fmt: skip
            typical.append(v)
    sids = _bulk(engine, s.Series, series)
    _bulk(engine, s.DevicePsu, psus, ids=False)
    dev_of = np.array([x["device_id"] for x in series], dtype=np.int64)
    return np.asarray(sids, dtype=np.int64), dev_of, {"typical": np.asarray(typical)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--racks", type=int, default=13_400)
    ap.add_argument("--servers", type=int, default=158_000)
    ap.add_argument("--ticks", type=int, default=3)
    ap.add_argument("--batches", type=int, default=60)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rw-pt-"))
    url = f"sqlite:///{work / 'zone.db'}"
    upgrade(url)
    engine = make_engine(url)
    t = time.perf_counter()
    ids, dev_of, extra = build_zone(engine, args.racks, args.servers)
    build_s = time.perf_counter() - t
    base = extra["typical"]
    alarms = AlarmEngine(engine)
    t = time.perf_counter()
    alarms.start(END)
    start_s = time.perf_counter() - t
    t = time.perf_counter()
    alarms.power_truth.load()
    load_s = time.perf_counter() - t
    rng = np.random.default_rng(5)
    order = rng.permutation(len(ids))
    ticks: list[dict[str, float]] = []
    for tick in range(args.ticks):
        ts = END + 30 * tick
        vals = base * (1.0 + rng.normal(0, 0.002, len(ids)))
        before = (alarms.stats.seconds, alarms.stats.power_truth_seconds)
        for chunk in np.array_split(order, args.batches):
            rows = list(
                zip(ids[chunk].tolist(), [ts] * len(chunk), vals[chunk].tolist(), strict=True)
            )
            results = [PollResult(int(d), ts, True) for d in np.unique(dev_of[chunk]).tolist()]
            alarms.process(results, rows, now=ts)
        eng = alarms.stats.seconds - before[0]
        pt = alarms.stats.power_truth_seconds - before[1]
        ticks.append({"engine_s": round(eng, 3), "power_truth_s": round(pt, 3),
                      "share_pct": round(100 * pt / eng, 2)})  # fmt: skip
    # Worst case: the cross-check forced on every batch (no 2 s gap).
    t = time.perf_counter()
    alarms.power_truth.evaluate(
        alarms.last_val, alarms.last_ts, alarms.meta.interval, END + 30 * args.ticks, force=True
    )
    one_eval = time.perf_counter() - t
    out = {
        "racks": args.racks,
        "servers_mapped": alarms.power_truth.ngroups,
        "free_outlets": len(alarms.power_truth.free_info),
        "series": len(ids),
        "build_s": round(build_s, 1),
        "engine_start_s": round(start_s, 2),
        "mapping_load_s": round(load_s, 2),
        "ticks": ticks,
        "one_full_cross_check_s": round(one_eval, 4),
        "peak_rss_mb": int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "alarms_raised": alarms.stats.raised,
    }
    print(json.dumps(out, indent=1))
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
