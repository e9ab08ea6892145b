"""Time-series store: batched writer with rollups, latest values, change sequence, history."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Engine, text

from models.store import postgres as pg_store

RAW = 0
RES_5M = 300
RES_1H = 3600
ROLLUP_RESOLUTIONS = (RES_5M, RES_1H)
DAY = 86_400

# One row handed to the writer: (series_id, ts in UTC epoch seconds, value).
Row = tuple[int, int, float]


@dataclass(frozen=True, slots=True)
class Retention:
    """How long each resolution is kept, in seconds."""

    raw_s: int = 14 * DAY
    rollup_5m_s: int = 365 * DAY
    rollup_1h_s: int = 5 * 365 * DAY

    def for_resolution(self, res: int) -> int:
        return {RAW: self.raw_s, RES_5M: self.rollup_5m_s, RES_1H: self.rollup_1h_s}[res]


@dataclass(slots=True)
class WriterStats:
    batches: int = 0
    rows: int = 0
    duplicate_batches: int = 0
    rollup_rows: int = 0
    last_seq: int = 0
    seconds: float = 0.0


def placeholder(engine: Engine) -> str:
    """The DBAPI parameter marker of engine's driver (raw cursors skip SQLAlchemy's binding)."""
    return "?" if engine.dialect.paramstyle == "qmark" else "%s"


NEXT_CHANGE_SQL = "UPDATE counter SET value = value + 1 WHERE name = 'change' RETURNING value"


def next_change_seq(conn: Connection) -> int:
    """Advance the change sequence inside conn's transaction; readers follow it."""
    row = conn.execute(text(NEXT_CHANGE_SQL)).first()
    if row is None:
        raise RuntimeError("counter 'change' missing: run `app.py db upgrade`")
    return int(row[0])


RollupRow = tuple[int, int, int, float, float, float, int]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class _Accumulators:
    """Open rollup bucket per series for one resolution, in dense arrays indexed by series id."""

    def __init__(self, res: int) -> None:
        self.res = res
        self.bucket: IntArray = np.full(0, -1, dtype=np.int64)
        self.lo: FloatArray = np.zeros(0)
        self.hi: FloatArray = np.zeros(0)
        self.total: FloatArray = np.zeros(0)
        self.count: IntArray = np.zeros(0, dtype=np.int64)

    def _grow(self, size: int) -> None:
        old = len(self.bucket)
        if size <= old:
            return
        size = max(size, old * 2, 1024)
        extra = size - old
        self.bucket = np.concatenate((self.bucket, np.full(extra, -1, dtype=np.int64)))
        self.lo = np.concatenate((self.lo, np.zeros(extra)))
        self.hi = np.concatenate((self.hi, np.zeros(extra)))
        self.total = np.concatenate((self.total, np.zeros(extra)))
        self.count = np.concatenate((self.count, np.zeros(extra, dtype=np.int64)))

    def add(self, sid: IntArray, ts: IntArray, val: FloatArray) -> list[RollupRow]:
        """Fold rows sorted by (sid, ts) into open buckets; return the buckets that closed."""
        self._grow(int(sid[-1]) + 1)
        res = self.res
        b = ts - ts % res
        # Groups of equal (sid, bucket); rows are sorted so groups are contiguous.
        brk = np.flatnonzero((sid[1:] != sid[:-1]) | (b[1:] != b[:-1])) + 1
        starts = np.concatenate(([0], brk))
        g_sid = sid[starts]
        g_b = b[starts]
        g_lo = np.minimum.reduceat(val, starts)
        g_hi = np.maximum.reduceat(val, starts)
        g_sum = np.add.reduceat(val, starts)
        g_cnt = np.diff(np.concatenate((starts, [len(sid)])))
        last = np.ones(len(g_sid), dtype=bool)
        last[:-1] = g_sid[1:] != g_sid[:-1]
        cur = self.bucket[g_sid]
        merge = g_b == cur
        ms = g_sid[merge]
        g_lo[merge] = np.minimum(g_lo[merge], self.lo[ms])
        g_hi[merge] = np.maximum(g_hi[merge], self.hi[ms])
        g_sum[merge] += self.total[ms]
        g_cnt[merge] += self.count[ms]
        merged = np.zeros(len(self.bucket), dtype=bool)
        merged[ms] = True
        # An open bucket that no group merged into and that newer data moved past is closed.
        adv = last & (cur >= 0) & (g_b > cur)
        es = g_sid[adv]
        es = es[~merged[es]]
        closed: list[RollupRow] = list(
            zip(
                es.tolist(),
                [res] * len(es),
                self.bucket[es].tolist(),
                self.lo[es].tolist(),
                self.hi[es].tolist(),
                self.total[es].tolist(),
                self.count[es].tolist(),
                strict=True,
            )
        )
        # Late data (older than the open bucket) is merged into the table directly.
        keep = last & ~(g_b < cur)
        ks = g_sid[keep]
        self.bucket[ks] = g_b[keep]
        self.lo[ks] = g_lo[keep]
        self.hi[ks] = g_hi[keep]
        self.total[ks] = g_sum[keep]
        self.count[ks] = g_cnt[keep]
        out = ~keep
        if out.any():
            closed.extend(
                zip(
                    g_sid[out].tolist(),
                    [res] * int(out.sum()),
                    g_b[out].tolist(),
                    g_lo[out].tolist(),
                    g_hi[out].tolist(),
                    g_sum[out].tolist(),
                    g_cnt[out].tolist(),
                    strict=True,
                )
            )
        return closed

    def drain(self) -> list[RollupRow]:
        """Every open bucket, emptied (for shutdown)."""
        open_ = np.flatnonzero(self.bucket >= 0)
        rows = list(
            zip(
                open_.tolist(),
                [self.res] * len(open_),
                self.bucket[open_].tolist(),
                self.lo[open_].tolist(),
                self.hi[open_].tolist(),
                self.total[open_].tolist(),
                self.count[open_].tolist(),
                strict=True,
            )
        )
        self.bucket[:] = -1
        return rows


@dataclass(frozen=True, slots=True)
class _Batch:
    rows: list[Row]
    latest: list[Row]
    sid: IntArray
    ts: IntArray
    val: FloatArray


class SampleWriter:
    """Writes batches of samples in one transaction each, keeping rollups and `latest` current.

    Rows are sorted by (series_id, ts) first: a collector's tick arrives in device completion
    order, and inserting it sorted halves the B-tree work (measured in bench/ingest.py).
    Rollups are accumulated in memory per open bucket and merged into the table when the
    bucket closes (and on flush()), because upserting every sample into two rollup tables
    would triple the write cost. Merging is associative (min, max, sum, count), so partial
    buckets written by a restarted or second writer combine correctly.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        rollups: bool = True,
        owned_devices: Sequence[int] | None = None,
    ) -> None:
        self.engine = engine
        self.rollups = rollups
        self.stats = WriterStats()
        self._acc = [_Accumulators(res) for res in ROLLUP_RESOLUTIONS]
        # Open buckets lived only in memory in the previous run (a kill loses them) and a
        # failed transaction leaves the accumulators ahead of the table: both are repaired by
        # recomputing each series' newest buckets from raw samples in the next transaction.
        # Only this writer's devices are rebuilt (other shards keep their own open buckets);
        # a writer that owns no devices (several writers sharing series) only merges.
        self._owned = sorted({int(d) for d in owned_devices or ()})
        self._needs_rebuild = rollups and bool(self._owned)
        self._integrity_error: type[BaseException] = engine.dialect.loaded_dbapi.IntegrityError
        p = placeholder(engine)
        self._p = p
        self._sql_sample = f"INSERT INTO sample (series_id, ts, value) VALUES ({p}, {p}, {p})"
        least, greatest = (
            ("min", "max") if engine.dialect.name == "sqlite" else ("LEAST", "GREATEST")
        )
        self._sql_rollup = (
            "INSERT INTO rollup (series_id, res, bucket, min, max, sum, count) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}) "
            "ON CONFLICT (series_id, res, bucket) DO UPDATE SET "
            f"min = {least}(rollup.min, excluded.min), max = {greatest}(rollup.max, excluded.max), "
            "sum = rollup.sum + excluded.sum, count = rollup.count + excluded.count"
        )
        # PostgreSQL: COPY into daily partitions (models/store/postgres.py) handles duplicates.
        self._pg = engine.dialect.name == "postgresql"

    def _sql_latest(self, seq: int) -> str:
        p = self._p
        # seq is our own integer, inlined so the row tuples can be passed through unchanged.
        return (
            f"INSERT INTO latest (series_id, ts, value, status, seq) VALUES ({p}, {p}, {p}, 'ok', "
            f"{int(seq)}) ON CONFLICT (series_id) DO UPDATE SET ts = excluded.ts, "
            "value = excluded.value, seq = excluded.seq WHERE excluded.ts >= latest.ts"
        )

    # -- writing -----------------------------------------------------------------------------

    def write(self, rows: Sequence[Row]) -> int:
        """Insert one batch; returns the change sequence number assigned to it (0 if empty)."""
        if not len(rows):
            return 0
        started = time.perf_counter()
        arr = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
        sid = arr[:, 0].astype(np.int64)
        ts = arr[:, 1].astype(np.int64)
        val = arr[:, 2]
        order = np.lexsort((ts, sid))
        sid, ts, val = sid[order], ts[order], val[order]
        same = (sid[1:] == sid[:-1]) & (ts[1:] == ts[:-1])
        if same.any():
            # The same (series, ts) twice in one batch: the later value wins, as on re-poll.
            keep = np.ones(len(sid), dtype=bool)
            keep[:-1] = ~same
            sid, ts, val = sid[keep], ts[keep], val[keep]
        sorted_rows = list(zip(sid.tolist(), ts.tolist(), val.tolist(), strict=True))
        last = np.ones(len(sid), dtype=bool)
        last[:-1] = sid[1:] != sid[:-1]
        if last.all():
            latest = sorted_rows
        else:
            latest = [sorted_rows[i] for i in np.flatnonzero(last).tolist()]
        batch = _Batch(sorted_rows, latest, sid, ts, val)
        try:
            seq = self._commit(batch, tolerant=False)
        except self._integrity_error:
            # A duplicate (series_id, ts) is rare; only then pay for conflict handling.
            self.stats.duplicate_batches += 1
            seq = self._commit(batch, tolerant=True)
        st = self.stats
        st.batches += 1
        st.rows += len(sorted_rows)
        st.last_seq = seq
        st.seconds += time.perf_counter() - started
        return seq

    def _commit(self, batch: _Batch, *, tolerant: bool) -> int:
        raw = self.engine.raw_connection()
        touched = False  # whether the accumulators hold this (maybe uncommitted) batch
        try:
            cur = raw.cursor()
            cur.execute(NEXT_CHANGE_SQL)
            row = cur.fetchone()
            if row is None:
                raise RuntimeError("counter 'change' missing: run `app.py db upgrade`")
            seq = int(row[0])
            if self._needs_rebuild:
                self.stats.rollup_rows += self._rebuild_open(cur)
            inserted = self._insert_samples(cur, batch.rows, tolerant)
            if self._pg:
                pg_store.upsert_latest(cur, batch.latest, seq)
            else:
                cur.executemany(self._sql_latest(seq), batch.latest)
            if self.rollups:
                sid, ts, val = batch.sid, batch.ts, batch.val
                if inserted is not None:
                    # Only samples the database did not already hold count in the rollups.
                    keep = np.fromiter(
                        ((s, t) in inserted for s, t, _v in batch.rows),
                        dtype=bool,
                        count=len(batch.rows),
                    )
                    sid, ts, val = sid[keep], ts[keep], val[keep]
                closed: list[RollupRow] = []
                touched = True
                if len(sid):
                    for acc in self._acc:
                        closed.extend(acc.add(sid, ts, val))
                if closed:
                    self._merge_rollups(cur, closed)
                self.stats.rollup_rows += len(closed)
            raw.commit()
            self._needs_rebuild = False
            return seq
        except BaseException:
            if touched:
                self._forget_open()
            with contextlib.suppress(Exception):
                raw.rollback()
            raise
        finally:
            with contextlib.suppress(Exception):
                raw.close()

    def _forget_open(self) -> None:
        """Drop the in-memory buckets; the next commit rebuilds them from raw samples."""
        if self.rollups:
            self._acc = [_Accumulators(res) for res in ROLLUP_RESOLUTIONS]
            self._needs_rebuild = bool(self._owned)

    def _rebuild_open(self, cur: Any) -> int:
        """Recompute the bucket holding each owned series' newest sample from raw samples."""
        if not self._owned:
            return 0
        ids = ",".join(str(d) for d in self._owned)  # our own ints: nothing to inject
        owned = f" AND l.series_id IN (SELECT id FROM series WHERE device_id IN ({ids}))"
        total = 0
        for res in ROLLUP_RESOLUTIONS:
            cur.execute(
                "INSERT INTO rollup (series_id, res, bucket, min, max, sum, count) "
                f"SELECT s.series_id, {res}, (s.ts / {res}) * {res}, min(s.value), "
                "max(s.value), sum(s.value), count(*) FROM latest l JOIN sample s "
                f"ON s.series_id = l.series_id AND s.ts >= l.ts - (l.ts % {res}) "
                f"WHERE TRUE{owned} GROUP BY s.series_id, (s.ts / {res}) * {res} "
                "ON CONFLICT (series_id, res, bucket) DO UPDATE SET min = excluded.min, "
                "max = excluded.max, sum = excluded.sum, count = excluded.count"
            )
            total += max(0, int(cur.rowcount or 0))
        return total

    def _merge_rollups(self, cur: Any, rows: list[RollupRow]) -> None:
        if self._pg:
            pg_store.upsert_rollups(cur, rows)
        else:
            cur.executemany(self._sql_rollup, rows)

    def _insert_samples(
        self, cur: Any, rows: list[Row], tolerant: bool
    ) -> set[tuple[int, int]] | None:
        """Insert rows; None if all were new, else the keys of those that were."""
        if self._pg:
            keys: set[tuple[int, int]] = set()
            count = pg_store.insert_samples(cur, rows, keys)
            return None if count == len(rows) else keys
        if not tolerant:
            cur.executemany(self._sql_sample, rows)
            return None
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS rw_batch_keys (series_id INTEGER, ts INTEGER, "
            "PRIMARY KEY (series_id, ts)) WITHOUT ROWID"
        )
        cur.execute("DELETE FROM rw_batch_keys")
        cur.executemany("INSERT INTO rw_batch_keys VALUES (?, ?)", [(s, t) for s, t, _v in rows])
        cur.execute(
            "SELECT k.series_id, k.ts FROM rw_batch_keys k JOIN sample s "
            "ON s.series_id = k.series_id AND s.ts = k.ts"
        )
        stored = {(int(a), int(b)) for a, b in cur.fetchall()}
        cur.execute("DELETE FROM rw_batch_keys")
        new = [r for r in rows if (r[0], r[1]) not in stored]
        cur.executemany(self._sql_sample, new)
        return {(r[0], r[1]) for r in new}

    def flush(self) -> int:
        """Merge every open bucket into the rollup table (on shutdown); returns rows merged."""
        pending: list[RollupRow] = []
        for acc in self._acc:
            pending.extend(acc.drain())
        if not pending:
            return 0
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            self._merge_rollups(cur, pending)
            raw.commit()
        except BaseException:
            # Drained buckets are gone from memory: the next start rebuilds them from raw.
            self._needs_rebuild = bool(self._owned)
            with contextlib.suppress(Exception):
                raw.rollback()
            raise
        finally:
            with contextlib.suppress(Exception):
                raw.close()
        self.stats.rollup_rows += len(pending)
        return len(pending)

    close = flush


# -- change sequence -----------------------------------------------------------------------


def change_seq(engine: Engine) -> int:
    """The newest change sequence; readers poll this cheaply and re-read when it moves."""
    with engine.connect() as conn:
        value = conn.execute(text("SELECT value FROM counter WHERE name = 'change'")).scalar()
    return int(value or 0)


@dataclass(frozen=True, slots=True)
class LatestValue:
    series_id: int
    ts: int
    value: float
    status: str
    seq: int


def latest_values(engine: Engine, series_ids: Sequence[int]) -> dict[int, LatestValue]:
    """Latest value of each given series (only what is on screen is asked for)."""
    out: dict[int, LatestValue] = {}
    with engine.connect() as conn:
        for chunk in _chunks(list(series_ids), 900):
            rows = conn.execute(
                text(
                    "SELECT series_id, ts, value, status, seq FROM latest "
                    f"WHERE series_id IN ({','.join(str(int(s)) for s in chunk)})"
                )
            )
            for r in rows:
                out[r[0]] = LatestValue(r[0], r[1], r[2], r[3], r[4])
    return out


def latest_changed_since(engine: Engine, seq: int) -> list[LatestValue]:
    """Every latest row with a change sequence above seq."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT series_id, ts, value, status, seq FROM latest WHERE seq > :s"), {"s": seq}
        )
        return [LatestValue(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# -- history -------------------------------------------------------------------------------


# A step longer than this many expected intervals breaks the line (the stale horizon).
GAP_FACTOR = 3


@dataclass(frozen=True)
class History:
    """Points of one series; for raw data lo and hi equal avg."""

    series_id: int
    resolution: int  # 0 = raw, else the bucket width in seconds actually returned
    ts: npt.NDArray[np.int64]
    avg: npt.NDArray[np.float64]
    lo: npt.NDArray[np.float64]
    hi: npt.NDArray[np.float64]
    source: str = "raw"  # raw, rollup_300, rollup_3600 (rollups end with a raw tail)
    interval_s: int = 0  # the series' expected spacing (series.interval_s, else the poll's)

    def __len__(self) -> int:
        return len(self.ts)

    def breaks(self) -> npt.NDArray[np.bool_]:
        """True at each point that starts a new line: the step before it is a gap.

        A step is a gap when it is longer than GAP_FACTOR times the largest of the series'
        own interval, the bucket width and the steps on either side of it: a stretch of
        5-minute backfill among 10-second samples is sparse data, not a gap, while a
        collector outage among regular samples is one.
        """
        n = len(self.ts)
        out = np.zeros(n, dtype=bool)
        if n < 2:
            return out
        dt = np.diff(self.ts).astype(np.float64)
        prev = np.concatenate(([0.0], dt[:-1]))
        nxt = np.concatenate((dt[1:], [0.0]))
        base = np.maximum(np.maximum(prev, nxt), float(max(self.interval_s, self.resolution, 1)))
        out[1:] = dt > GAP_FACTOR * base
        return out

    def gapped(
        self, values: npt.NDArray[np.float64] | None = None
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(x, y) with a NaN point inserted at every gap, for curves drawn connect='finite'."""
        y = self.avg if values is None else values
        x = self.ts.astype(np.float64)
        at = np.flatnonzero(self.breaks())
        if not len(at):
            return x, np.asarray(y, dtype=np.float64)
        mid = (x[at - 1] + x[at]) / 2
        return np.insert(x, at, mid), np.insert(np.asarray(y, dtype=np.float64), at, np.nan)

    def covered_s(self) -> float:
        """Seconds of the time axis the drawn lines cover: each run from its first point to
        one interval past its last (a sample stands for its interval)."""
        n = len(self.ts)
        if not n:
            return 0.0
        starts = np.concatenate(([0], np.flatnonzero(self.breaks())))
        ends = np.concatenate((starts[1:] - 1, [n - 1]))
        one = float(max(self.interval_s, self.resolution, 1))
        spans = self.ts[ends].astype(np.float64) - self.ts[starts].astype(np.float64)
        return float((spans + one).sum())


def choose_source(span_s: int, max_points: int) -> tuple[str, int]:
    """Pick the coarsest-needed source so each series returns at most max_points points."""
    width = max(1, math.ceil(span_s / max(1, max_points)))
    if width < RES_5M:
        return "raw", width
    if width < RES_1H:
        return "rollup_300", width
    return "rollup_3600", width


def history(
    engine: Engine, series_ids: Sequence[int], start: int, end: int, max_points: int = 2000
) -> dict[int, History]:
    """History of several series, from wherever the deployment keeps it (models.store.backend).

    Every reader (plots, the snapshot, the alarm engine's needs) comes through here, so the
    single-file SQLite default, PostgreSQL rows and VictoriaMetrics answer the same call.
    """
    from models.store.backend import reader_for

    reader = reader_for(engine)
    if reader is not None:
        return reader.history(series_ids, start, end, max_points)
    return rows_history(engine, series_ids, start, end, max_points)


def rows_history(
    engine: Engine, series_ids: Sequence[int], start: int, end: int, max_points: int = 2000
) -> dict[int, History]:
    """History from sample and rollup rows between start and end, at most max_points each.

    Raw samples are returned as stored when they fit; otherwise they are bucketed on the fly,
    and long spans read the 5-min or 1-h rollups (bucketed again if still too many) followed
    by a raw tail: the collector writes a rollup bucket only once it closes, so without the
    tail the newest hour (an ongoing incident) would be missing from a 7-day plot.
    """
    ids = sorted({int(s) for s in series_ids})
    if not ids or end <= start:
        return {sid: _empty(sid, RAW, "raw") for sid in ids}
    start, end = int(start), int(end)
    source, width = choose_source(end - start, max_points)
    # Every value inlined below is an int we produced, so no injection is possible, and the
    # plain DBAPI cursor fetches about twice as fast as Row objects.
    id_list = ",".join(str(s) for s in ids)
    where = f"series_id IN ({id_list})"
    intervals = {
        int(r[0]): int(r[1] or 0)
        for r in _fetch(
            engine,
            "SELECT s.id, COALESCE(s.interval_s, d.poll_interval_s) FROM series s "
            f"JOIN device d ON d.id = s.device_id WHERE s.id IN ({id_list})",
        )
    }
    if source == "raw":
        span = f"ts >= {start} AND ts <= {end}"
        counts = _fetch(
            engine, f"SELECT count(*) FROM sample WHERE {where} AND {span} GROUP BY series_id"
        )
        if max((int(c[0]) for c in counts), default=0) <= max_points:
            sql = (
                f"SELECT series_id, ts, value, value, value FROM sample WHERE {where} AND {span} "
                "ORDER BY series_id, ts"
            )
            resolution = RAW
        else:
            sql = _raw_buckets(where, span, width)
            resolution = width
        return _split(ids, _fetch(engine, sql), resolution, source, intervals)
    res = RES_5M if source == "rollup_300" else RES_1H
    span = f"res = {res} AND bucket >= {start - start % res} AND bucket <= {end}"
    if width <= res:
        sql = (
            f"SELECT series_id, bucket, sum / count, min, max FROM rollup WHERE {where} "
            f"AND {span} ORDER BY series_id, bucket"
        )
        resolution = res
    else:
        width = math.ceil(width / res) * res
        sql = (
            f"SELECT series_id, (bucket / {width}) * {width} AS b, sum(sum) / sum(count), "
            f"min(min), max(max) FROM rollup WHERE {where} AND {span} "
            "GROUP BY series_id, b ORDER BY series_id, b"
        )
        resolution = width
    rows = _fetch(engine, sql)
    # The raw tail starts where each series' rollups end (for a series without rollups in
    # the window, at the oldest raw sample kept), in buckets of the rollup's own width.
    covered = {
        int(r[0]): int(r[1]) + res
        for r in _fetch(
            engine,
            f"SELECT series_id, max(bucket) FROM rollup WHERE {where} AND {span} "
            "GROUP BY series_id",
        )
    }
    tail_from = min((covered.get(sid, start) for sid in ids), default=start)
    tail = [
        r
        for r in _fetch(
            engine, _raw_buckets(where, f"ts >= {max(start, tail_from)} AND ts <= {end}", res)
        )
        if int(r[1]) >= covered.get(int(r[0]), start)
    ]
    if tail:
        rows = sorted([*rows, *tail], key=lambda r: (int(r[0]), int(r[1])))
    return _split(ids, rows, resolution, source, intervals)


def _raw_buckets(where: str, span: str, width: int) -> str:
    return (
        f"SELECT series_id, (ts / {width}) * {width} AS b, avg(value), min(value), "
        f"max(value) FROM sample WHERE {where} AND {span} "
        "GROUP BY series_id, b ORDER BY series_id, b"
    )


def _fetch(engine: Engine, sql: str) -> list[Any]:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(sql)
        rows = list(cur.fetchall())
        raw.rollback()
        return rows
    finally:
        raw.close()


def _empty(sid: int, resolution: int, source: str, interval_s: int = 0) -> History:
    no_ts = np.empty(0, dtype=np.int64)
    no_v = np.empty(0, dtype=np.float64)
    return History(sid, resolution, no_ts, no_v, no_v, no_v, source, interval_s)


def _split(
    ids: list[int],
    rows: Sequence[Any],
    resolution: int,
    source: str,
    intervals: dict[int, int] | None = None,
) -> dict[int, History]:
    every = intervals or {}
    out = {sid: _empty(sid, resolution, source, every.get(sid, 0)) for sid in ids}
    if not rows:
        return out
    arr = np.array(rows, dtype=np.float64)
    arr_sid = arr[:, 0].astype(np.int64)
    arr_ts = arr[:, 1].astype(np.int64)
    bounds = np.flatnonzero(np.diff(arr_sid)) + 1
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [len(rows)]))
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        sid = int(arr_sid[a])
        out[sid] = History(
            sid,
            resolution,
            arr_ts[a:b],
            np.ascontiguousarray(arr[a:b, 2]),
            np.ascontiguousarray(arr[a:b, 3]),
            np.ascontiguousarray(arr[a:b, 4]),
            source,
            every.get(sid, 0),
        )
    return out


# -- retention -----------------------------------------------------------------------------


def apply_retention(engine: Engine, now: int, retention: Retention | None = None) -> dict[str, int]:
    """Delete what is older than each resolution's retention; returns rows deleted per table."""
    keep = retention or Retention()
    if engine.dialect.name == "postgresql":
        # Drops whole day/month partitions; returns partitions dropped, not rows.
        with engine.begin() as conn:
            return pg_store.apply_retention(
                conn,
                now - keep.raw_s,
                {r: now - keep.for_resolution(r) for r in ROLLUP_RESOLUTIONS},
            )
    deleted: dict[str, int] = {}
    with engine.begin() as conn:
        res = conn.execute(text("DELETE FROM sample WHERE ts < :c"), {"c": now - keep.raw_s})
        deleted["sample"] = res.rowcount
        for r in ROLLUP_RESOLUTIONS:
            res = conn.execute(
                text("DELETE FROM rollup WHERE res = :r AND bucket < :c"),
                {"r": r, "c": now - keep.for_resolution(r)},
            )
            deleted[f"rollup_{r}"] = res.rowcount
    return deleted
