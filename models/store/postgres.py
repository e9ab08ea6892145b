"""PostgreSQL pieces of the store: on-demand time partitions, COPY ingest, partition retention."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, text

log = logging.getLogger(__name__)

DAY = 86_400
SAMPLE = "sample"
# Must match the partitions created by migration 0001 and models.store.ROLLUP_RESOLUTIONS.
ROLLUP_RESOLUTIONS = (300, 3600)
# A batch whose timestamps span more than this gets partitions only for the days it really
# holds, so one absurd timestamp cannot create thousands of empty partitions.
_DENSE_SPAN_DAYS = 3
# Partition DDL must never wait long behind readers: the writer waits for it.
_DDL_LOCK_TIMEOUT = "30s"

_COPY_SAMPLE = "COPY sample (series_id, ts, value) FROM STDIN (FORMAT BINARY)"
_STAGE_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS sample_stage "
    "(series_id integer, ts bigint, value double precision) ON COMMIT DELETE ROWS"
)
_COPY_STAGE = "COPY sample_stage (series_id, ts, value) FROM STDIN (FORMAT BINARY)"
# The stage is emptied by the same statement, so a second batch in one transaction
# cannot see the first one's rows again.
_MERGE_STAGE = (
    "WITH moved AS (DELETE FROM sample_stage RETURNING series_id, ts, value) "
    "INSERT INTO sample (series_id, ts, value) SELECT series_id, ts, value FROM moved "
    "ON CONFLICT (series_id, ts) DO NOTHING RETURNING series_id, ts"
)
_COPY_TYPES = ("int4", "int8", "float8")
_BOUND_RE = re.compile(r"FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)")

# Per database (host, port, dbname): names of partitions known to exist.
_known: dict[tuple[str, int, str], set[str]] = {}
_known_lock = threading.Lock()


# -- naming -----------------------------------------------------------------------------------


def sample_partition(day: int) -> tuple[str, int, int]:
    """(name, lower ts, upper ts) of the daily sample partition for epoch day number `day`."""
    start = day * DAY
    return f"sample_p{datetime.fromtimestamp(start, UTC):%Y%m%d}", start, start + DAY


def rollup_partition(res: int, year: int, month: int) -> tuple[str, int, int]:
    """(name, lower bucket, upper bucket) of the monthly partition of one rollup resolution."""
    start = int(datetime(year, month, 1, tzinfo=UTC).timestamp())
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    end = int(datetime(ny, nm, 1, tzinfo=UTC).timestamp())
    return f"rollup_{res}_p{year:04d}{month:02d}", start, end


def _month_of_day(day: int) -> tuple[int, int]:
    d = datetime.fromtimestamp(day * DAY, UTC)
    return d.year, d.month


def _db_key(dbapi_conn: Any) -> tuple[str, int, str]:
    info = dbapi_conn.info
    return (str(info.host), int(info.port), str(info.dbname))


# -- partitions -------------------------------------------------------------------------------


def ensure_partitions(cursor: Any, ts_min: int, ts_max: int) -> list[str]:
    """Make sure sample and rollup partitions exist for every day in [ts_min, ts_max].

    The day after ts_max is created too, so the partition for tomorrow is normally made a
    day before it is needed. Known partitions are cached in-process: in the steady state
    this costs no round trip. Returns the names created by this call.
    """
    first, last = int(ts_min) // DAY, int(ts_max) // DAY
    return _ensure_days(cursor, range(first, last + 2))


def _wanted(days: Iterable[int]) -> dict[str, tuple[str, int, int]]:
    """Partition name -> (parent, lower, upper) for the sample days and their rollup months."""
    wanted: dict[str, tuple[str, int, int]] = {}
    months: set[tuple[int, int]] = set()
    for day in days:
        name, lo, hi = sample_partition(day)
        wanted[name] = (SAMPLE, lo, hi)
        months.add(_month_of_day(day))
    for year, month in months:
        for res in ROLLUP_RESOLUTIONS:
            name, lo, hi = rollup_partition(res, year, month)
            wanted[name] = (f"rollup_{res}", lo, hi)
    return wanted


def _ensure_days(cursor: Any, days: Iterable[int]) -> list[str]:
    wanted = _wanted(days)
    dbapi_conn = cursor.connection
    key = _db_key(dbapi_conn)
    with _known_lock:
        known = _known.setdefault(key, set())
        missing = sorted(n for n in wanted if n not in known)
    if not missing:
        return []
    # relispartition: a table left unattached by a crash between CREATE and ATTACH counts
    # as missing, and is attached now.
    cursor.execute(
        "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relispartition "
        "AND pg_table_is_visible(oid)",
        (missing,),
    )
    present = {row[0] for row in cursor.fetchall()}
    to_create = [n for n in missing if n not in present]
    if to_create:
        _create_autocommit(dbapi_conn, [(n, *wanted[n]) for n in to_create])
        log.info("created partitions %s", ", ".join(to_create))
    with _known_lock:
        _known.setdefault(key, set()).update(missing)
    return to_create


def _create_autocommit(dbapi_conn: Any, parts: Sequence[tuple[str, str, int, int]]) -> None:
    """Create and attach partitions on a separate, autocommitted connection.

    CREATE TABLE ... PARTITION OF would lock the parent exclusively: every reader and
    writer would queue behind it, and inside the writer's batch transaction the lock would
    last until the batch commits. A plain table attached afterwards needs only SHARE UPDATE
    EXCLUSIVE on the parent, which conflicts with neither. Its own transaction also means
    a rolled-back batch cannot take the new partition with it while our cache keeps it.
    Safe against other processes doing the same at the same moment.
    """
    import psycopg
    from psycopg import errors

    info = dbapi_conn.info
    with psycopg.connect(info.dsn, password=info.password, autocommit=True) as ddl:
        ddl.execute(f"SET lock_timeout = '{_DDL_LOCK_TIMEOUT}'")
        for name, parent, lo, hi in parts:
            # Another process may create it between its check and ours.
            with contextlib.suppress(
                errors.DuplicateTable, errors.DuplicateObject, errors.UniqueViolation
            ):
                ddl.execute(f"CREATE TABLE IF NOT EXISTS {name} (LIKE {parent} INCLUDING DEFAULTS)")
            try:
                ddl.execute(
                    f"ALTER TABLE {parent} ATTACH PARTITION {name} FOR VALUES FROM ({lo}) TO ({hi})"
                )
            except errors.WrongObjectType:
                pass  # "already a partition": another process attached it first
            except errors.InvalidObjectDefinition as exc:
                # An overlapping partition under another name already covers this range.
                log.warning("partition %s not attached: %s", name, exc)


def known_partitions(dbapi_conn: Any) -> set[str]:
    """Partitions this process believes exist in the database of dbapi_conn."""
    with _known_lock:
        return set(_known.get(_db_key(dbapi_conn), set()))


def forget_partitions(dbapi_conn: Any | None = None) -> None:
    """Drop the in-process cache (for one database, or all)."""
    with _known_lock:
        if dbapi_conn is None:
            _known.clear()
        else:
            _known.pop(_db_key(dbapi_conn), None)


# -- ingest -----------------------------------------------------------------------------------


def _batch_days(rows: Sequence[tuple[int, int, float]]) -> list[int]:
    stamps = list(map(itemgetter(1), rows))
    first, last = min(stamps) // DAY, max(stamps) // DAY
    if last - first <= _DENSE_SPAN_DAYS:
        return list(range(first, last + 2))
    return sorted({ts // DAY for ts in stamps} | {last + 1})


def _copy_rows(cursor: Any, statement: str, rows: Sequence[tuple[int, int, float]]) -> None:
    with cursor.copy(statement) as copy:
        copy.set_types(_COPY_TYPES)
        write_row = copy.write_row
        for row in rows:
            write_row(row)


def _no_partition(exc: Exception) -> bool:
    diag = getattr(exc, "diag", None)
    return bool(diag and (diag.message_primary or "").startswith("no partition of relation"))


def insert_samples(
    cursor: Any,
    rows: Sequence[tuple[int, int, float]],
    inserted_keys: set[tuple[int, int]] | None = None,
) -> int:
    """Insert (series_id, ts, value) rows; duplicates of stored (series_id, ts) are skipped.

    Runs inside the caller's transaction. The fast path is one binary COPY straight into
    the partitioned table under a savepoint (half the cost of going through a stage). If
    the batch repeats a stored (series_id, ts) (a collector re-sending after a restart),
    the savepoint is rolled back and the rows go through a temp stage and INSERT ... ON
    CONFLICT DO NOTHING, so duplicates never fail the batch. A partition dropped behind our
    cache by another process's retention is re-created and the batch retried once.
    Returns the number of rows inserted; when some were duplicates, inserted_keys (if given)
    receives the (series_id, ts) of the new ones, so the writer folds only those into rollups.
    """
    from psycopg import errors

    if not rows:
        return 0
    days = _batch_days(rows)
    _ensure_days(cursor, days)
    merge = False
    healed = False
    while True:
        cursor.execute("SAVEPOINT rackwatch_samples")
        try:
            if merge:
                cursor.execute(_STAGE_DDL)
                _copy_rows(cursor, _COPY_STAGE, rows)
                cursor.execute(_MERGE_STAGE)
                keys = {(int(r[0]), int(r[1])) for r in cursor.fetchall()}
                if inserted_keys is not None:
                    inserted_keys.update(keys)
                inserted = len(keys)
            else:
                _copy_rows(cursor, _COPY_SAMPLE, rows)
                inserted = len(rows)
        except errors.UniqueViolation:
            cursor.execute("ROLLBACK TO SAVEPOINT rackwatch_samples")
            if merge:
                raise
            merge = True
            continue
        except errors.CheckViolation as exc:
            cursor.execute("ROLLBACK TO SAVEPOINT rackwatch_samples")
            if healed or not _no_partition(exc):
                raise
            healed = True
            forget_partitions(cursor.connection)
            _ensure_days(cursor, days)
            continue
        cursor.execute("RELEASE SAVEPOINT rackwatch_samples")
        return inserted


_LATEST_STAGE_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS latest_stage "
    "(series_id integer, ts bigint, value double precision) ON COMMIT DELETE ROWS"
)
_ROLLUP_STAGE_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS rollup_stage (series_id integer, res integer, "
    "bucket bigint, min double precision, max double precision, sum double precision, "
    "count integer) ON COMMIT DELETE ROWS"
)
_ROLLUP_TYPES = ("int4", "int4", "int8", "float8", "float8", "float8", "int4")


def upsert_latest(cursor: Any, rows: Sequence[tuple[int, int, float]], seq: int) -> int:
    """Upsert `latest` from (series_id, ts, value) rows through COPY; same rules as SQLite.

    A row only replaces the stored one when its ts is not older, and it takes the batch's
    change sequence. Several rows of one series keep the newest. About three times faster
    than executemany at 100,000 rows. Returns rows inserted or updated.
    """
    if not rows:
        return 0
    cursor.execute(_LATEST_STAGE_DDL)
    _copy_rows(cursor, "COPY latest_stage FROM STDIN (FORMAT BINARY)", rows)
    cursor.execute(
        "WITH moved AS (DELETE FROM latest_stage RETURNING series_id, ts, value) "
        "INSERT INTO latest (series_id, ts, value, status, seq) "
        "SELECT DISTINCT ON (series_id) series_id, ts, value, 'ok', %s FROM moved "
        "ORDER BY series_id, ts DESC "
        "ON CONFLICT (series_id) DO UPDATE SET ts = excluded.ts, value = excluded.value, "
        "seq = excluded.seq WHERE excluded.ts >= latest.ts",
        (int(seq),),
    )
    return int(cursor.rowcount)


def upsert_rollups(
    cursor: Any, rows: Sequence[tuple[int, int, int, float, float, float, int]]
) -> int:
    """Merge (series_id, res, bucket, min, max, sum, count) rows into `rollup` through COPY.

    Rows for the same bucket, in the batch or already stored, combine associatively.
    Returns rows inserted or updated.
    """
    if not rows:
        return 0
    # Normally a no-op (the samples' partitions were made first); costs a set of days.
    _ensure_days(cursor, sorted({int(r[2]) // DAY for r in rows}))
    cursor.execute(_ROLLUP_STAGE_DDL)
    with cursor.copy("COPY rollup_stage FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(_ROLLUP_TYPES)
        write_row = copy.write_row
        for row in rows:
            write_row(row)
    cursor.execute(
        "WITH moved AS (DELETE FROM rollup_stage RETURNING *) "
        "INSERT INTO rollup (series_id, res, bucket, min, max, sum, count) "
        "SELECT series_id, res, bucket, min(min), max(max), sum(sum), sum(count) FROM moved "
        "GROUP BY series_id, res, bucket "
        "ON CONFLICT (series_id, res, bucket) DO UPDATE SET "
        "min = LEAST(rollup.min, excluded.min), max = GREATEST(rollup.max, excluded.max), "
        "sum = rollup.sum + excluded.sum, count = rollup.count + excluded.count"
    )
    return int(cursor.rowcount)


# -- retention --------------------------------------------------------------------------------


def _partitions_of(conn: Connection, parent: str) -> list[tuple[str, int, int]]:
    rows = conn.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = CAST(:p AS regclass)"
        ),
        {"p": parent},
    ).all()
    out: list[tuple[str, int, int]] = []
    for name, bound in rows:
        m = _BOUND_RE.search(bound or "")
        if m:
            out.append((str(name), int(m.group(1)), int(m.group(2))))
    return sorted(out, key=itemgetter(1))


def _drop_before(conn: Connection, parent: str, cutoff_ts: int) -> list[str]:
    dropped: list[str] = []
    for name, _lo, hi in _partitions_of(conn, parent):
        # Only partitions entirely older than the cutoff: retention is per partition, so
        # data is kept at most one partition width longer than asked.
        if hi <= cutoff_ts:
            conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
            dropped.append(name)
    if dropped:
        dbapi_conn = conn.connection.dbapi_connection
        with _known_lock:
            _known.get(_db_key(dbapi_conn), set()).difference_update(dropped)
        log.info("retention dropped partitions %s", ", ".join(dropped))
    return dropped


def drop_old_partitions(conn: Connection, cutoff_ts: int) -> list[str]:
    """Drop daily sample partitions whose whole range is older than cutoff_ts."""
    return _drop_before(conn, SAMPLE, cutoff_ts)


def drop_old_rollup_partitions(conn: Connection, res: int, cutoff_ts: int) -> list[str]:
    """Drop monthly partitions of one rollup resolution whose whole range is before cutoff_ts."""
    if res not in ROLLUP_RESOLUTIONS:
        raise ValueError(f"rollup resolution {res} has no partitions (known: {ROLLUP_RESOLUTIONS})")
    return _drop_before(conn, f"rollup_{res}", cutoff_ts)


def apply_retention(
    conn: Connection, raw_cutoff: int, rollup_cutoffs: dict[int, int]
) -> dict[str, int]:
    """Drop sample and rollup partitions older than their cutoffs; returns counts dropped."""
    out = {"sample_partitions": len(drop_old_partitions(conn, raw_cutoff))}
    for res, cutoff in sorted(rollup_cutoffs.items()):
        out[f"rollup_{res}_partitions"] = len(drop_old_rollup_partitions(conn, res, cutoff))
    return out
