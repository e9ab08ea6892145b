"""Ingest and query benchmark of the store against raw sqlite3 and the SQLAlchemy ORM."""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text
from sqlalchemy.orm import Session

from models.db import make_engine, upgrade
from models.schema import Sample
from models.store.samples import SampleWriter, history

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
TICK = 30
METRICS_PER_SERVER = 4
RACK = 42


def tick_rows(n_series: int, tick: int, rng: random.Random) -> list[tuple[int, int, float]]:
    """One poll tick in device completion order: devices shuffled, a device's series together."""
    devices = list(range(n_series // METRICS_PER_SERVER))
    rng.shuffle(devices)
    ts = T0 + tick * TICK
    rows = []
    for d in devices:
        base = d * METRICS_PER_SERVER + 1
        for m in range(METRICS_PER_SERVER):
            rows.append((base + m, ts, 20.0 + (d % 17) + m + rng.random()))
    return rows


def raw_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    # Same pragmas as the store gets from models.db.make_engine, so the comparison is fair.
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA cache_size=-262144")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS sample (series_id INTEGER NOT NULL, ts BIGINT NOT NULL, "
        "value FLOAT NOT NULL, PRIMARY KEY (series_id, ts)) WITHOUT ROWID"
    )
    return conn


def raw_insert(conn: sqlite3.Connection, rows: list[tuple[int, int, float]]) -> None:
    conn.executemany("INSERT INTO sample (series_id, ts, value) VALUES (?, ?, ?)", rows)
    conn.commit()


def timed(fn: Any, *args: Any) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--series", type=int, default=632_000)
    ap.add_argument("--prefill-ticks", type=int, default=16, help="ticks stored before timing")
    ap.add_argument("--ticks", type=int, default=3, help="timed ticks per contender")
    ap.add_argument("--orm-rows", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=7, help="history of the rack for queries")
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=Path("bench/out/ingest.json"))
    args = ap.parse_args()

    work = args.dir or Path(tempfile.mkdtemp(prefix="rw-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    ours_path, raw_path, orm_path = work / "ours.db", work / "raw.db", work / "orm.db"
    for p in (ours_path, raw_path, orm_path):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{p}{suffix}").unlink(missing_ok=True)
    rng = random.Random(7)
    n = args.series

    url = f"sqlite:///{ours_path}"
    upgrade(url)
    engine = make_engine(url)
    writer = SampleWriter(engine)
    raw = raw_connect(raw_path)

    print(f"prefill: {args.prefill_ticks} ticks x {n:,} series into both databases ...", flush=True)
    for t in range(args.prefill_ticks):
        rows = tick_rows(n, t, rng)
        writer.write(rows)
        raw_insert(raw, rows)
    with engine.connect() as c:
        stored = int(c.execute(text("SELECT count(*) FROM sample")).scalar_one())
    print(f"  {stored:,} rows stored before timing", flush=True)

    ours_s, raw_s = [], []
    for k in range(args.ticks):
        rows = tick_rows(n, args.prefill_ticks + k, rng)
        # Alternate who goes first so cache warmth does not favour one side.
        if k % 2 == 0:
            ours_s.append(timed(writer.write, rows))
            raw_s.append(timed(raw_insert, raw, rows))
        else:
            raw_s.append(timed(raw_insert, raw, rows))
            ours_s.append(timed(writer.write, rows))

    orm_url = f"sqlite:///{orm_path}"
    upgrade(orm_url)
    orm_engine = make_engine(orm_url)
    orm_rows = tick_rows(n, 0, rng)[: args.orm_rows]
    start = time.perf_counter()
    with Session(orm_engine) as session:
        for sid, ts, value in orm_rows:
            session.add(Sample(series_id=sid, ts=ts, value=value))
        session.commit()
    orm_s = time.perf_counter() - start

    # Rack history: 42 series (one per device) at 30 s for `days`, through the same writer.
    rack_ids = list(range(10_000_001, 10_000_001 + RACK))
    end = T0 + args.days * 86_400
    hour = 3600
    for h0 in range(T0, end, hour):
        batch = [
            (sid, ts, 22.0 + (sid % 5) + ((ts // 600) % 7) * 0.3)
            for ts in range(h0, h0 + hour, TICK)
            for sid in rack_ids
        ]
        writer.write(batch)
    writer.flush()

    def q_day() -> None:
        history(engine, [rack_ids[0]], end - 86_400, end, 2000)

    def q_rack() -> None:
        history(engine, rack_ids, end - args.days * 86_400, end, 2000)

    def q_rack_raw() -> None:
        with engine.connect() as c:
            c.execute(
                text(
                    f"SELECT series_id, ts, value FROM sample WHERE series_id IN "
                    f"({','.join(map(str, rack_ids))}) AND ts >= :a AND ts <= :b "
                    "ORDER BY series_id, ts"
                ),
                {"a": end - args.days * 86_400, "b": end},
            ).all()

    def best(fn: Any, repeat: int = 5) -> float:
        return min(timed(fn) for _ in range(repeat))

    points = history(engine, rack_ids, end - args.days * 86_400, end, 2000)
    day_ms, rack_ms, rack_raw_ms = best(q_day) * 1e3, best(q_rack) * 1e3, best(q_rack_raw) * 1e3

    ours_rate = n / statistics.median(ours_s)
    raw_rate = n / statistics.median(raw_s)
    result = {
        "series": n,
        "rows_before_timing": stored,
        "writer_rows_per_s": round(ours_rate),
        "raw_sqlite3_rows_per_s": round(raw_rate),
        "orm_session_add_rows_per_s": round(len(orm_rows) / orm_s),
        "writer_vs_raw": round(ours_rate / raw_rate, 3),
        "writer_tick_s": [round(x, 3) for x in ours_s],
        "raw_tick_s": [round(x, 3) for x in raw_s],
        "query_24h_one_series_ms": round(day_ms, 2),
        "query_7d_rack_rollup_ms": round(rack_ms, 2),
        "query_7d_rack_raw_scan_ms": round(rack_raw_ms, 2),
        "rack_rollup_speedup": round(rack_raw_ms / rack_ms, 1),
        "rack_points_per_series": max(len(h) for h in points.values()),
        "rack_source": next(iter(points.values())).source,
    }
    print()
    print(f"{'contender':<42}{'rows/s':>12}")
    print(f"{'RackWatch SampleWriter (+rollups, latest)':<42}{ours_rate:>12,.0f}")
    print(f"{'raw sqlite3 executemany':<42}{raw_rate:>12,.0f}")
    print(f"{'SQLAlchemy ORM session.add per row':<42}{result['orm_session_add_rows_per_s']:>12,}")
    print(f"writer / raw = {result['writer_vs_raw']}")
    print()
    print(f"{'query':<42}{'ms':>12}")
    print(f"{'24 h of one series (history)':<42}{day_ms:>12.2f}")
    print(f"{'7 d of a 42-device rack (history)':<42}{rack_ms:>12.2f}")
    print(f"{'7 d of a 42-device rack (raw scan)':<42}{rack_raw_ms:>12.2f}")
    print(f"rollup speed-up = {result['rack_rollup_speedup']}x; source {result['rack_source']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
