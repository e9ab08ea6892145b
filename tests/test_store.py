"""Time-series store on SQLite and PostgreSQL: writer, rollups, latest, history, retention."""

from __future__ import annotations

import itertools
import math
import multiprocessing as mp
import queue
import threading
import traceback
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, text

from models.db import make_engine
from models.store import postgres as pg_store
from models.store.samples import (
    RES_1H,
    RES_5M,
    Retention,
    SampleWriter,
    apply_retention,
    change_seq,
    history,
    latest_changed_since,
    latest_values,
)

DAY = 86_400
T0 = 1_767_225_600  # 2026-01-01 00:00:00 UTC: bucket and partition boundaries line up
Row = tuple[int, int, float]


def _value(sid: int, ts: int) -> float:
    # Deterministic, not monotonic, distinct per series: min/max bands mean something.
    return round(20.0 + sid + 5.0 * math.sin(ts / 1234.0) + (ts % 7) * 0.1, 3)


def _series(sid: int, start: int, end: int, step: int = 30) -> list[Row]:
    return [(sid, ts, _value(sid, ts)) for ts in range(start, end, step)]


def _rows(engine: Engine, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params).all()]


def _scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def _rollups(engine: Engine, res: int) -> dict[tuple[int, int], tuple[float, float, float, int]]:
    rows = _rows(
        engine, "SELECT series_id, bucket, min, max, sum, count FROM rollup WHERE res = :r", r=res
    )
    return {(int(r[0]), int(r[1])): (r[2], r[3], r[4], int(r[5])) for r in rows}


def _expected_rollups(
    rows: Sequence[Row], res: int
) -> dict[tuple[int, int], tuple[float, float, float, int]]:
    groups: dict[tuple[int, int], list[float]] = defaultdict(list)
    for sid, ts, value in rows:
        groups[(sid, ts - ts % res)].append(value)
    return {k: (min(v), max(v), sum(v), len(v)) for k, v in groups.items()}


def _assert_rollups_equal(
    got: dict[tuple[int, int], tuple[float, float, float, int]],
    want: dict[tuple[int, int], tuple[float, float, float, int]],
) -> None:
    assert got.keys() == want.keys()
    for key, (lo, hi, total, count) in want.items():
        g = got[key]
        assert (g[0], g[1], g[3]) == (lo, hi, count), key
        assert g[2] == pytest.approx(total, rel=1e-12), key


@pytest.fixture
def writer(db_engine: Engine) -> Iterator[SampleWriter]:
    w = SampleWriter(db_engine)
    yield w
    w.flush()


# -- change sequence and latest ----------------------------------------------------------------


def test_change_sequence_strictly_increases_across_batches(
    db_engine: Engine, writer: SampleWriter
) -> None:
    assert change_seq(db_engine) == 0
    seqs = [writer.write([(sid, T0 + 30 * i, float(i)) for sid in (1, 2, 3)]) for i in range(5)]
    assert all(b > a for a, b in itertools.pairwise(seqs)), seqs
    assert seqs[0] > 0
    assert change_seq(db_engine) == seqs[-1]
    # A reader following the cursor sees exactly what changed after its last seq.
    writer.write([(2, T0 + 1000, 42.0)])
    changed = latest_changed_since(db_engine, seqs[-1])
    assert [(c.series_id, c.ts, c.value) for c in changed] == [(2, T0 + 1000, 42.0)]
    assert changed[0].seq == change_seq(db_engine) > seqs[-1]


def test_latest_moves_only_forward_in_time(db_engine: Engine, writer: SampleWriter) -> None:
    s1 = writer.write([(7, T0 + 60, 5.0)])
    writer.write([(7, T0 + 30, 9.0)])  # a late sample: stored, but not the latest
    lv = latest_values(db_engine, [7])[7]
    assert (lv.ts, lv.value, lv.seq) == (T0 + 60, 5.0, s1)
    s3 = writer.write([(7, T0 + 90, 7.0), (7, T0 + 75, 1.0)])
    lv = latest_values(db_engine, [7])[7]
    assert (lv.ts, lv.value, lv.seq) == (T0 + 90, 7.0, s3)
    assert _scalar(db_engine, "SELECT count(*) FROM sample WHERE series_id = 7") == 4


def test_duplicate_samples_are_ignored_without_failing_the_batch(
    db_engine: Engine, writer: SampleWriter
) -> None:
    first = _series(1, T0, T0 + 600)
    writer.write(first)
    # Re-sent rows (a collector restarting), a duplicate inside the batch and new rows.
    again = [(sid, ts, v + 100.0) for sid, ts, v in first[5:]]
    new = _series(1, T0 + 600, T0 + 900)
    seq = writer.write([*again, *new, new[0]])
    assert seq > 0
    stored = _rows(db_engine, "SELECT ts, value FROM sample WHERE series_id = 1 ORDER BY ts")
    assert stored == [(ts, v) for _sid, ts, v in [*first, *new]]
    # The batch with duplicates still moved latest and the change sequence.
    lv = latest_values(db_engine, [1])[1]
    assert (lv.ts, lv.seq) == (new[-1][1], seq)
    assert change_seq(db_engine) == seq


def test_resent_samples_are_not_counted_twice_in_rollups(
    db_engine: Engine, writer: SampleWriter
) -> None:
    first = _series(1, T0, T0 + 600)
    writer.write(first)
    writer.write(first[5:])
    writer.flush()
    _assert_rollups_equal(_rollups(db_engine, RES_5M), _expected_rollups(first, RES_5M))


# -- rollups -----------------------------------------------------------------------------------


def test_rollups_across_batches_and_a_late_sample(db_engine: Engine, writer: SampleWriter) -> None:
    rows = _series(1, T0, T0 + 2 * 3600) + _series(2, T0, T0 + 2 * 3600)
    rows.sort(key=lambda r: (r[1], r[0]))
    # Batch boundaries at T0 + 7.5 min and T0 + 65 min: the 5-min bucket at T0 + 5 min and
    # the 1-h bucket at T0 each span two batches.
    cut1 = next(i for i, r in enumerate(rows) if r[1] >= T0 + 450)
    cut2 = next(i for i, r in enumerate(rows) if r[1] >= T0 + 3900)
    for batch in (rows[:cut1], rows[cut1:cut2], rows[cut2:]):
        writer.write(batch)
    late = (1, T0 + 15, 99.5)  # lands in buckets that were closed long ago
    writer.write([late])
    writer.flush()
    everything = [*rows, late]
    _assert_rollups_equal(_rollups(db_engine, RES_5M), _expected_rollups(everything, RES_5M))
    _assert_rollups_equal(_rollups(db_engine, RES_1H), _expected_rollups(everything, RES_1H))
    # A second writer (a restarted collector) merges into the same buckets.
    other = SampleWriter(db_engine)
    more = [*_series(1, T0 + 2 * 3600, T0 + 2 * 3600 + 90), (2, T0 + 3599 - 9, 12.0)]
    other.write(more)
    other.flush()
    everything += more
    _assert_rollups_equal(_rollups(db_engine, RES_1H), _expected_rollups(everything, RES_1H))


# -- history -----------------------------------------------------------------------------------


@pytest.fixture
def three_days(db_engine: Engine) -> dict[int, list[Row]]:
    data = {sid: _series(sid, T0, T0 + 3 * DAY) for sid in (11, 12)}
    w = SampleWriter(db_engine)
    all_rows = sorted((r for rows in data.values() for r in rows), key=lambda r: r[1])
    for i in range(0, len(all_rows), 2000):
        w.write(all_rows[i : i + 2000])
    w.flush()
    return data


@pytest.mark.parametrize(
    ("span", "max_points", "source", "resolution"),
    [
        (3600, 2000, "raw", 0),  # 120 raw points fit
        (DAY, 1000, "raw", 87),  # 2,880 raw points bucketed on the fly, 87 s wide
        pytest.param(
            DAY,
            2000,
            "raw",
            44,  # 2,880 raw points: bucketed on the fly, 44 s wide
        ),
        (3 * DAY, 864, "rollup_300", 300),  # 5-min rollups as stored
        (3 * DAY, 500, "rollup_300", 600),  # 5-min rollups merged in pairs
        (3 * DAY, 72, "rollup_3600", 3600),  # 1-h rollups as stored
        (3 * DAY, 30, "rollup_3600", 3 * 3600),  # 1-h rollups merged in threes
    ],
)
def test_history_picks_the_resolution_for_max_points(
    db_engine: Engine,
    three_days: dict[int, list[Row]],
    span: int,
    max_points: int,
    source: str,
    resolution: int,
) -> None:
    start, end = T0, T0 + span
    result = history(db_engine, [11, 12, 404], start, end, max_points)
    assert set(result) == {11, 12, 404}
    assert len(result[404]) == 0  # a series with no data is present and empty
    for sid in (11, 12):
        h = result[sid]
        assert (h.source, h.resolution) == (source, resolution)
        assert 0 < len(h) <= max_points
        assert h.ts.dtype == np.int64 and h.avg.dtype == np.float64
        assert h.lo.dtype == np.float64 and h.hi.dtype == np.float64
        assert np.all(np.diff(h.ts) > 0)
        # UTC epoch seconds on bucket boundaries.
        assert h.ts[0] >= start - max(resolution, 1) and h.ts[-1] <= end
        if resolution:
            assert np.all(h.ts % resolution == 0)
        assert np.all(h.lo <= h.avg + 1e-9) and np.all(h.avg <= h.hi + 1e-9)
        # The band covers exactly the raw extremes of what it summarises.
        lo_edge = int(h.ts[0])
        hi_edge = int(h.ts[-1]) + max(resolution, 1)
        raw = [v for _s, ts, v in three_days[sid] if lo_edge <= ts < hi_edge and ts <= end]
        assert float(h.lo.min()) == min(raw)
        assert float(h.hi.max()) == max(raw)
        if source == "raw" and resolution == 0:
            want = [(ts, v) for _s, ts, v in three_days[sid] if start <= ts <= end]
            assert list(zip(h.ts.tolist(), h.avg.tolist(), strict=True)) == want
        else:
            assert float(h.avg.mean()) == pytest.approx(
                float(np.mean(raw)), rel=0.02
            )  # bucket means average back to about the raw mean


def test_history_of_nothing(db_engine: Engine) -> None:
    assert history(db_engine, [], T0, T0 + 10) == {}
    empty = history(db_engine, [5], T0 + 10, T0)
    assert len(empty[5]) == 0


# -- retention ---------------------------------------------------------------------------------


def test_retention_removes_old_raw_and_rollups(db_engine: Engine) -> None:
    now = T0 + 400 * DAY
    w = SampleWriter(db_engine)
    w.write([(1, now - 400 * DAY, 1.0)])
    w.write([(1, now - 20 * DAY, 2.0)])
    w.write([(1, now - 13 * DAY, 3.0)])
    w.write([(1, now - 60, 4.0)])
    w.flush()
    removed = apply_retention(db_engine, now, Retention())
    if db_engine.dialect.name == "postgresql":
        # Whole days and months dropped: -400 d and -20 d raw, the -400 d 5-min month.
        assert removed["sample_partitions"] >= 2
        assert removed["rollup_300_partitions"] >= 1
        assert removed["rollup_3600_partitions"] == 0
    else:
        assert removed["sample"] == 2
    kept = _rows(db_engine, "SELECT ts FROM sample ORDER BY ts")
    assert kept == [(now - 13 * DAY,), (now - 60,)]
    five = {b for (_s, b) in _rollups(db_engine, RES_5M)}
    hour = {b for (_s, b) in _rollups(db_engine, RES_1H)}
    old_bucket = now - 400 * DAY
    assert old_bucket - old_bucket % RES_5M not in five  # 5-min kept one year
    assert old_bucket - old_bucket % RES_1H in hour  # 1-h kept five years
    if db_engine.dialect.name == "postgresql":
        parts = set(
            _rows(db_engine, "SELECT relname FROM pg_class WHERE relispartition AND relkind = 'r'")
        )
        names = {p[0] for p in parts}
        for gone in (now - 400 * DAY, now - 20 * DAY):
            assert pg_store.sample_partition(gone // DAY)[0] not in names
        assert pg_store.sample_partition((now - 13 * DAY) // DAY)[0] in names
        # And the process keeps writing into days whose partitions were dropped.
        w.write([(1, now - 20 * DAY, 5.0)])
        assert _scalar(db_engine, "SELECT count(*) FROM sample WHERE value = 5.0") == 1


# -- concurrency -------------------------------------------------------------------------------


def _collect(procs: list[Any], out: Any) -> list[Any]:
    """Results put by each child; a child that raised reports its traceback instead."""
    results: list[Any] = []
    while len(results) < len(procs):
        try:
            kind, payload = out.get(timeout=1)
        except queue.Empty:
            dead = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
            assert not dead, f"writer process died with exit code {dead}"
            continue
        assert kind == "ok", payload
        results.append(payload)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return results


def _child(target: Any, out: Any, *args: Any) -> None:
    try:
        out.put(("ok", target(*args)))
    except BaseException:
        out.put(("error", traceback.format_exc()))
        raise


BATCHES = 25
PER_BATCH = 200


def _writer_process(url: str, proc: int, barrier: Any) -> tuple[int, list[int]]:
    eng = make_engine(url)
    w = SampleWriter(eng)
    seqs = []
    barrier.wait(timeout=300)
    for b in range(BATCHES):
        # Each process writes its own series plus a shared series at its own timestamps.
        rows = [(1000 * proc + i, T0 + 30 * b, float(b)) for i in range(PER_BATCH - 1)]
        rows.append((1, T0 + 30 * b + proc, float(proc)))
        seqs.append(w.write(rows))
    w.flush()
    eng.dispose()
    return proc, seqs


def test_two_writer_processes_on_one_database(db_url: str, db_engine: Engine) -> None:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_child, args=(_writer_process, out, db_url, p, barrier), daemon=True)
        for p in (1, 2)
    ]
    for p in procs:
        p.start()
    results = dict(_collect(procs, out))
    all_seqs = results[1] + results[2]
    assert len(set(all_seqs)) == len(all_seqs) == 2 * BATCHES
    for seqs in results.values():
        assert all(b > a for a, b in itertools.pairwise(seqs))
    assert change_seq(db_engine) == max(all_seqs)
    assert _scalar(db_engine, "SELECT count(*) FROM sample") == 2 * BATCHES * PER_BATCH
    assert _scalar(db_engine, "SELECT count(*) FROM sample WHERE series_id = 1") == 2 * BATCHES
    # Every sample is in exactly one 5-min rollup, whichever process wrote it.
    assert _scalar(db_engine, "SELECT sum(count) FROM rollup WHERE res = 300") == (
        2 * BATCHES * PER_BATCH
    )


# -- PostgreSQL specifics ----------------------------------------------------------------------


class _CountingCursor:
    """Wraps a DBAPI cursor and counts statements sent."""

    def __init__(self, cur: Any) -> None:
        self._cur = cur
        self.statements = 0
        self.connection = cur.connection

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        self.statements += 1
        return self._cur.execute(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)


def test_pg_partitions_are_cached_and_cost_nothing_when_known(pg_url: str) -> None:
    eng = make_engine(pg_url)
    raw = eng.raw_connection()
    try:
        cur = _CountingCursor(raw.cursor())
        created = pg_store.ensure_partitions(cur, T0 + 100, T0 + DAY + 100)
        assert set(created) >= {
            pg_store.sample_partition(T0 // DAY)[0],
            pg_store.sample_partition(T0 // DAY + 1)[0],
            pg_store.sample_partition(T0 // DAY + 2)[0],  # the day after, made in advance
            pg_store.rollup_partition(300, 2026, 1)[0],
            pg_store.rollup_partition(3600, 2026, 1)[0],
        }
        cur.statements = 0
        assert pg_store.ensure_partitions(cur, T0 + 5000, T0 + DAY + 5000) == []
        assert cur.statements == 0
        raw.commit()
    finally:
        raw.close()
        eng.dispose()


def test_pg_one_absurd_timestamp_does_not_create_thousands_of_partitions(pg_url: str) -> None:
    eng = make_engine(pg_url)
    raw = eng.raw_connection()
    try:
        cur = raw.cursor()
        inserted = pg_store.insert_samples(cur, [(1, 0, 1.0), (1, T0, 2.0), (2, T0 + 1, 3.0)])
        raw.commit()
        assert inserted == 3
    finally:
        raw.close()
    count = _scalar(eng, "SELECT count(*) FROM pg_class WHERE relispartition AND relkind = 'r'")
    eng.dispose()
    # 1970-01-01, 1970-01-02?, 2026-01-01, 2026-01-02 plus two months of two resolutions.
    assert count <= 8


def test_pg_leftover_unattached_table_is_attached(pg_url: str) -> None:
    eng = make_engine(pg_url)
    name = pg_store.sample_partition(T0 // DAY)[0]
    with eng.begin() as conn:
        # What a crash between CREATE TABLE and ATTACH PARTITION leaves behind.
        conn.execute(text(f"CREATE TABLE {name} (LIKE sample INCLUDING DEFAULTS)"))
    pg_store.forget_partitions()
    raw = eng.raw_connection()
    try:
        assert pg_store.insert_samples(raw.cursor(), [(1, T0 + 5, 1.0)]) == 1
        raw.commit()
    finally:
        raw.close()
    assert _scalar(eng, f"SELECT count(*) FROM {name}") == 1
    eng.dispose()


def _race_process(url: str, barrier: Any) -> int:
    eng = make_engine(url)
    inserted = 0
    for round_ in range(4):
        barrier.wait(timeout=300)
        raw = eng.raw_connection()
        try:
            day0 = T0 + 10 * DAY * round_
            rows = [(sid, day0 + d * DAY + 7, 1.0) for sid in range(50) for d in range(3)]
            inserted += pg_store.insert_samples(raw.cursor(), rows)
            raw.commit()
        finally:
            raw.close()
    eng.dispose()
    return inserted


def test_pg_two_processes_racing_to_create_the_same_partitions(pg_url: str) -> None:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_child, args=(_race_process, out, pg_url, barrier), daemon=True)
        for _ in "ab"
    ]
    for p in procs:
        p.start()
    inserted = _collect(procs, out)
    # Both wrote the same rows: each row stored once, neither batch failed.
    assert sum(inserted) == 4 * 150
    eng = make_engine(pg_url)
    assert _scalar(eng, "SELECT count(*) FROM sample") == 4 * 150
    dup_names = _scalar(
        eng,
        "SELECT count(*) - count(DISTINCT relname) FROM pg_class WHERE relname LIKE 'sample_p%'",
    )
    eng.dispose()
    assert dup_names == 0


def test_pg_partition_dropped_by_another_process_is_recreated(pg_url: str) -> None:
    eng = make_engine(pg_url)
    raw = eng.raw_connection()
    try:
        cur = raw.cursor()
        pg_store.insert_samples(cur, [(1, T0 + 5, 1.0)])
        raw.commit()
        # Retention elsewhere drops the day behind this process's cache.
        other = make_engine(pg_url)
        with other.begin() as conn:
            dropped = pg_store.drop_old_partitions(conn, T0 + DAY)
        other.dispose()
        assert pg_store.sample_partition(T0 // DAY)[0] in dropped
        pg_store._known[pg_store._db_key(raw.dbapi_connection)].update(dropped)
        assert pg_store.insert_samples(cur, [(1, T0 + 6, 2.0)]) == 1
        raw.commit()
    finally:
        raw.close()
    assert _scalar(eng, "SELECT count(*) FROM sample") == 1
    eng.dispose()


def test_pg_concurrent_threads_share_the_partition_cache(pg_url: str) -> None:
    eng = make_engine(pg_url, pool_size=4)
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            raw = eng.raw_connection()
            try:
                pg_store.insert_samples(raw.cursor(), [(k, T0 + 40 * DAY + k, 1.0)])
                raw.commit()
            finally:
                raw.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _scalar(eng, "SELECT count(*) FROM sample") == 4
    eng.dispose()


def test_pg_copy_upserts_of_latest_and_rollups(pg_url: str) -> None:
    eng = make_engine(pg_url)
    raw = eng.raw_connection()
    try:
        cur = raw.cursor()
        assert pg_store.upsert_latest(cur, [(1, T0 + 60, 1.0), (2, T0 + 60, 2.0)], seq=5) == 2
        # Older rows never win; several rows of one series keep the newest.
        pg_store.upsert_latest(cur, [(1, T0 + 30, 9.0), (2, T0 + 90, 3.0), (2, T0 + 120, 4.0)], 6)
        first = (1, 300, T0, 1.0, 4.0, 5.0, 2)
        pg_store.upsert_rollups(cur, [first, (1, 300, T0, 0.5, 2.0, 2.5, 1)])
        pg_store.upsert_rollups(cur, [(1, 300, T0, 2.0, 7.0, 9.0, 2), (1, 3600, T0, 1, 1, 1, 1)])
        raw.commit()
    finally:
        raw.close()
    assert _rows(eng, "SELECT series_id, ts, value, seq FROM latest ORDER BY series_id") == [
        (1, T0 + 60, 1.0, 5),
        (2, T0 + 120, 4.0, 6),
    ]
    assert _rollups(eng, 300) == {(1, T0): (0.5, 7.0, 16.5, 5)}
    assert _rollups(eng, 3600) == {(1, T0): (1.0, 1.0, 1.0, 1)}
    eng.dispose()
