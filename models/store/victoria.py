"""VictoriaMetrics history: samples pushed through vmagent's import API, read with query_range."""

from __future__ import annotations

import http.client
import logging
import math
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from sqlalchemy import Engine, text

from models.store import postgres as pg_store
from models.store.samples import (
    NEXT_CHANGE_SQL,
    RAW,
    History,
    Row,
    WriterStats,
    _empty,
    placeholder,
)

log = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# Every RackWatch series is one VictoriaMetrics series named rackwatch_<metric>, carrying
# the meaning the collector wrote into its `series` row (docs/deployment.md, "Grafana").
METRIC_PREFIX = "rackwatch_"
LABELS = ("series_id", "site", "rack", "device", "metric", "channel", "channel_class", "role")
# query_range refuses more points per series than this by default (-search.maxPointsPerTimeseries).
_MAX_POINTS = 30_000
# Series ids per query: a regex of a few thousand ids keeps the request line short.
_IDS_PER_QUERY = 2_000
_AGGREGATES = ("avg", "min", "max")  # what History carries for each downsampled step


class VictoriaError(RuntimeError):
    """VictoriaMetrics or vmagent refused a request or could not be reached."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int
    path: str = ""
    tls: bool = False

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        u = urllib.parse.urlsplit(url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        tls = u.scheme == "https"
        return cls(u.hostname, u.port or (443 if tls else 80), u.path.rstrip("/"), tls)


class _Http:
    """One keep-alive HTTP connection, reopened after an error (thread-local use only)."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.ep = Endpoint.parse(url)
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        for attempt in (0, 1):
            if self._conn is None:
                cls = http.client.HTTPSConnection if self.ep.tls else http.client.HTTPConnection
                self._conn = cls(self.ep.host, self.ep.port, timeout=self.timeout)
            try:
                self._conn.request(method, self.ep.path + path, body=body, headers=headers or {})
                resp = self._conn.getresponse()
                return resp.status, resp.read()
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                # A kept-alive connection closed by the server is retried once on a new one.
                if attempt:
                    raise VictoriaError(f"{self.ep.host}:{self.ep.port}: {exc}") from exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


# -- labels -------------------------------------------------------------------------------------


def _label_value(v: object) -> str:
    return "" if v is None else str(v)


def load_labels(
    engine: Engine, series_ids: Iterable[int] | None = None
) -> dict[int, dict[str, str]]:
    """Labels of series from their `series` rows (all of them when series_ids is None)."""
    base = (
        "SELECT s.id, st.code, COALESCE(r.name, ''), d.name, s.metric, s.channel, "
        "s.channel_class, s.role FROM series s JOIN device d ON d.id = s.device_id "
        "JOIN site st ON st.id = d.site_id LEFT JOIN rack r ON r.id = d.rack_id"
    )
    out: dict[int, dict[str, str]] = {}
    with engine.connect() as conn:
        if series_ids is None:
            chunks: list[str | None] = [None]
        else:
            ids = sorted({int(s) for s in series_ids})
            chunks = [",".join(map(str, ids[i : i + 900])) for i in range(0, len(ids), 900)]
        for chunk in chunks:
            sql = base if chunk is None else f"{base} WHERE s.id IN ({chunk})"
            if chunk == "":
                continue
            for row in conn.execute(text(sql)):
                out[int(row[0])] = {
                    name: _label_value(v) for name, v in zip(LABELS, row, strict=True)
                }
    return out


def _as_array(rows: Sequence[Row] | FloatArray) -> FloatArray:
    return np.asarray(rows, dtype=np.float64).reshape(-1, 3)


def encode_import(
    rows: Sequence[Row] | FloatArray, labels: dict[int, dict[str, str]]
) -> tuple[bytes, list[int]]:
    """JSON-lines body for /api/v1/import (one line per series); also the ids without labels.

    Grouped with numpy and serialised by orjson straight from the arrays: a collector's
    batch is tens of thousands of rows, and per-row Python would cost more than the push.
    """
    arr = _as_array(rows)
    if not len(arr):
        return b"", []
    sid = arr[:, 0].astype(np.int64)
    ts = arr[:, 1].astype(np.int64) * 1000
    order = np.lexsort((ts, sid))
    sid, ts, val = sid[order], ts[order], arr[order, 2]
    bounds = np.flatnonzero(np.diff(sid)) + 1
    starts = np.concatenate(([0], bounds)).tolist()
    ends = np.concatenate((bounds, [len(sid)])).tolist()
    lines: list[bytes] = []
    unknown: list[int] = []
    opt = orjson.OPT_SERIALIZE_NUMPY
    for a, b in zip(starts, ends, strict=True):
        key = int(sid[a])
        lab = labels.get(key)
        if lab is None:
            unknown.append(key)
            continue
        metric = {"__name__": METRIC_PREFIX + lab["metric"], **lab}
        lines.append(
            orjson.dumps({"metric": metric, "values": val[a:b], "timestamps": ts[a:b]}, option=opt)
        )
    return (b"\n".join(lines) + b"\n") if lines else b"", unknown


# -- writing ------------------------------------------------------------------------------------


@dataclass(slots=True)
class PushStats:
    pushed: int = 0
    pushes: int = 0
    failed_pushes: int = 0
    unlabelled: int = 0
    latest_failures: int = 0
    pending: int = 0


class VictoriaWriter:
    """SampleWriter's twin for VictoriaMetrics: samples to vmagent, `latest` to the database.

    Samples go to the site's vmagent (/api/v1/import), which buffers on disk while the
    centre is away, so a cut link costs nothing here. Batches vmagent could not take are
    kept in memory, oldest first, up to max_pending samples, and re-sent before newer ones.
    The database part (latest values and the change sequence desks follow) is best effort:
    latest is a cache that the next batch refreshes, so a database outage only delays it.
    """

    def __init__(
        self,
        engine: Engine | None,
        write_url: str,
        *,
        labels: dict[int, dict[str, str]] | None = None,
        max_pending: int = 5_000_000,
        timeout_s: float = 10.0,
    ) -> None:
        self.engine = engine
        self.http = _Http(write_url, timeout=timeout_s)
        self.labels: dict[int, dict[str, str]] = labels if labels is not None else {}
        self.stats = WriterStats()
        self.push_stats = PushStats()
        self.max_pending = max_pending
        self._pending: list[bytes] = []
        self._pending_rows: list[int] = []
        self._lock = threading.Lock()

    def learn(self, series_ids: Iterable[int]) -> None:
        """Load labels of series not yet known (needs the database)."""
        missing = [s for s in series_ids if s not in self.labels]
        if missing and self.engine is not None:
            self.labels.update(load_labels(self.engine, missing))

    def write(self, rows: Sequence[Row] | FloatArray) -> int:
        """Push one batch; returns the change sequence given to `latest` (0 if not updated)."""
        if not len(rows):
            return 0
        started = time.perf_counter()
        arr = _as_array(rows)
        ids = np.unique(arr[:, 0].astype(np.int64)).tolist()
        unknown = [s for s in ids if s not in self.labels]
        if unknown:
            try:
                self.learn(unknown)
            except Exception as exc:  # the centre is away: those series wait in pending
                log.warning("labels for %d new series not loaded: %s", len(unknown), exc)
        body, missing = encode_import(arr, self.labels)
        skipped = int(np.isin(arr[:, 0], missing).sum()) if missing else 0
        if missing:
            self.push_stats.unlabelled += skipped
            log.warning("%d series without labels were not pushed", len(missing))
        if body:
            self._push(body, len(arr) - skipped)
        seq = self._latest(arr)
        st = self.stats
        st.batches += 1
        st.rows += len(rows)
        st.last_seq = seq or st.last_seq
        st.seconds += time.perf_counter() - started
        return seq

    def _push(self, body: bytes, n: int) -> None:
        with self._lock:
            self._pending.append(body)
            self._pending_rows.append(n)
            self._drain_locked()
            while sum(self._pending_rows) > self.max_pending and len(self._pending) > 1:
                # Oldest first goes: the newest data matters most for the live view.
                lost = self._pending_rows.pop(0)
                self._pending.pop(0)
                log.error("vmagent unreachable too long: %d samples dropped", lost)
            self.push_stats.pending = sum(self._pending_rows)

    def _drain_locked(self) -> None:
        while self._pending:
            try:
                status, reply = self.http.request(
                    "POST", "/api/v1/import", self._pending[0], {"Content-Type": "application/json"}
                )
            except VictoriaError as exc:
                self.push_stats.failed_pushes += 1
                log.warning("vmagent push failed, %d batches kept: %s", len(self._pending), exc)
                return
            if status >= 500:
                self.push_stats.failed_pushes += 1
                log.warning("vmagent push answered %d, kept: %s", status, reply[:200])
                return
            if status >= 300:
                # A 4xx will not get better by retrying: report and drop that batch.
                log.error("vmagent refused a batch (%d): %s", status, reply[:300])
            else:
                self.push_stats.pushed += self._pending_rows[0]
                self.push_stats.pushes += 1
            self._pending.pop(0)
            self._pending_rows.pop(0)

    def retry(self) -> int:
        """Try again to hand kept batches to vmagent; returns samples still pending."""
        with self._lock:
            self._drain_locked()
            self.push_stats.pending = sum(self._pending_rows)
            return self.push_stats.pending

    def _latest(self, arr: FloatArray) -> int:
        if self.engine is None:
            return 0
        # The newest row of each series (ties: the later row, as on re-poll).
        order = np.lexsort((np.arange(len(arr)), arr[:, 1], arr[:, 0]))
        srt = arr[order]
        last = np.ones(len(srt), dtype=bool)
        last[:-1] = srt[1:, 0] != srt[:-1, 0]
        pick = srt[last]
        latest = list(
            zip(
                pick[:, 0].astype(np.int64).tolist(),
                pick[:, 1].astype(np.int64).tolist(),
                pick[:, 2].tolist(),
                strict=True,
            )
        )
        try:
            raw = self.engine.raw_connection()
        except Exception as exc:
            self.push_stats.latest_failures += 1
            log.warning("latest values not updated (database away): %s", exc)
            return 0
        try:
            cur = raw.cursor()
            cur.execute(NEXT_CHANGE_SQL)
            got = cur.fetchone()
            seq = int(got[0]) if got else 0
            if self.engine.dialect.name == "postgresql":
                pg_store.upsert_latest(cur, latest, seq)
            else:
                p = placeholder(self.engine)
                cur.executemany(
                    f"INSERT INTO latest (series_id, ts, value, status, seq) VALUES ({p}, {p}, "
                    f"{p}, 'ok', {seq}) ON CONFLICT (series_id) DO UPDATE SET ts = excluded.ts, "
                    "value = excluded.value, seq = excluded.seq WHERE excluded.ts >= latest.ts",
                    latest,
                )
            raw.commit()
            return seq
        except Exception as exc:
            self.push_stats.latest_failures += 1
            log.warning("latest values not updated: %s", exc)
            try:
                raw.rollback()
            except Exception:  # the connection itself is gone
                log.debug("rollback after a failed latest update failed too")
            return 0
        finally:
            try:
                raw.close()
            except Exception:
                log.debug("closing a broken connection failed")

    def flush(self) -> int:
        return self.retry()

    def close(self) -> int:
        left = self.retry()
        self.http.close()
        return left


# -- reading ------------------------------------------------------------------------------------

_MATRIX_ITEM = b'{"metric":'
_MATRIX_VALUES = b',"values":['
_NO_TIMES: IntArray = np.zeros(0, dtype=np.int64)
# [ts,"value"] pairs become "ts value" for numpy's text parser.
_PAIR_CHARS = bytes.maketrans(b'[],"', b"    ")


def parse_matrix(
    reply: bytes, *, times: bool = True
) -> list[tuple[dict[str, str], IntArray, FloatArray]]:
    """(labels, timestamps, values) of each series in a query_range answer.

    A 7-day rack at 2,000 points is 250,000 [ts, "value"] pairs: building a Python list
    and string for each (json or orjson) costs most of a second on a busy core, while
    numpy parses the numbers of one series' values array in one C call. The labels of
    each series are still parsed as JSON. VictoriaMetrics writes every item as
    {"metric":{...},"values":[[ts,"v"],...]}; anything else falls back to orjson.
    With times=False only the values are parsed (empty timestamps): a caller that knows
    the steps from another answer saves a third of the work.
    """
    out: list[tuple[dict[str, str], IntArray, FloatArray]] = []
    pos = 0
    try:
        while True:
            start = reply.find(_MATRIX_ITEM, pos)
            if start < 0:
                break
            vals_at = reply.find(_MATRIX_VALUES, start)
            metric = orjson.loads(reply[start + len(_MATRIX_ITEM) : vals_at])
            seg_start = vals_at + len(_MATRIX_VALUES)
            seg_end = reply.find(b"]]", seg_start)
            seg = reply[seg_start : seg_end + 1] if seg_end >= 0 else b""
            if times:
                nums = np.array(seg.translate(_PAIR_CHARS).split(), dtype=np.float64)
                if len(nums) % 2:
                    raise ValueError("odd number of fields")
                pairs = nums.reshape(-1, 2)
                ts, val = pairs[:, 0].astype(np.int64), np.ascontiguousarray(pairs[:, 1])
            else:  # every value is quoted: the strings between quotes, nothing else
                ts, val = _NO_TIMES, np.array(seg.split(b'"')[1::2], dtype=np.float64)
            out.append((metric, ts, val))
            pos = seg_end + 2 if seg_end >= 0 else seg_start
    except (ValueError, orjson.JSONDecodeError):
        data = orjson.loads(reply)
        out = []
        for res in data["data"]["result"]:
            values = res["values"]
            out.append(
                (
                    res["metric"],
                    np.array([int(p[0]) for p in values], dtype=np.int64),
                    np.array([float(p[1]) for p in values], dtype=np.float64),
                )
            )
    return out


def _align(
    ts: IntArray, other: tuple[IntArray, FloatArray] | None, fallback: FloatArray
) -> FloatArray:
    """other's values at ts (VictoriaMetrics drops empty steps per aggregate), else fallback."""
    if other is None:
        return fallback
    o_ts, o_val = other
    if len(o_ts) == len(ts) and np.array_equal(o_ts, ts):
        return o_val
    pos = np.searchsorted(o_ts, ts)
    pos = np.minimum(pos, max(0, len(o_ts) - 1))
    hit = (len(o_ts) > 0) & (o_ts[pos] == ts) if len(o_ts) else np.zeros(len(ts), dtype=bool)
    return np.where(hit, o_val[pos] if len(o_ts) else fallback, fallback)


Matrix = list[tuple[dict[str, str], IntArray, FloatArray]]


def _series_of(matrix: Matrix, wanted: set[int]) -> dict[int, tuple[IntArray, FloatArray]]:
    """{series id: (ts, values)} of one answer; one id under two label sets (a renamed
    rack) is merged by timestamp."""
    out: dict[int, tuple[IntArray, FloatArray]] = {}
    for metric, ts, val in matrix:
        sid = int(metric.get("series_id", -1))
        if sid not in wanted:
            continue
        if sid in out:
            old_ts, old_val = out[sid]
            ts, idx = np.unique(np.concatenate((old_ts, ts)), return_index=True)
            val = np.concatenate((old_val, val))[idx]
        out[sid] = (ts, val)
    return out


def _on_steps(
    matrix: Matrix, steps: dict[int, tuple[IntArray, FloatArray]], wanted: set[int]
) -> dict[int, tuple[IntArray, FloatArray]] | None:
    """Values parsed without times put on the steps of another aggregate of the same
    query; None unless every series has one label set and exactly that many values."""
    out: dict[int, tuple[IntArray, FloatArray]] = {}
    for metric, _ts, val in matrix:
        sid = int(metric.get("series_id", -1))
        if sid not in wanted:
            continue
        if sid in out or sid not in steps or len(steps[sid][0]) != len(val):
            return None
        out[sid] = (steps[sid][0], val)
    return out


@dataclass
class VictoriaHistory:
    """Reads history of RackWatch series from VictoriaMetrics (select side: query_url)."""

    query_url: str
    timeout_s: float = 30.0
    # The interval samples are written at; a window no coarser than this is returned raw.
    raw_interval_s: int = 30
    _local: threading.local = field(default_factory=threading.local)

    _open: list[_Http] = field(default_factory=list)
    _executor: ThreadPoolExecutor | None = None

    def _http(self) -> _Http:
        conn: _Http | None = getattr(self._local, "http", None)
        if conn is None:
            conn = _Http(self.query_url, timeout=self.timeout_s)
            self._local.http = conn
            self._open.append(conn)
        return conn

    def close(self) -> None:
        """Close the keep-alive connections of every thread that read through this reader."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        for conn in self._open:
            conn.close()
        self._open.clear()
        self._local = threading.local()

    def __enter__(self) -> VictoriaHistory:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _get(self, path: str, params: dict[str, str]) -> Any:
        body = urllib.parse.urlencode(params).encode()
        status, reply = self._http().request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status != 200:
            raise VictoriaError(f"{path} answered {status}: {reply[:300]!r}")
        return reply

    @staticmethod
    def _selector(ids: Sequence[int]) -> str:
        return '{series_id=~"' + "|".join(str(int(s)) for s in ids) + '"}'

    def history(
        self, series_ids: Sequence[int], start: int, end: int, max_points: int = 2000
    ) -> dict[int, History]:
        """Like models.store.samples.history: at most max_points per series, avg/min/max.

        Short windows come back raw from /api/v1/export; longer ones from one query_range
        whose step is the window divided by max_points, with avg/min/max_over_time over
        each step (VictoriaMetrics' own downsampling), so a 7-day rack is one request.
        """
        ids = sorted({int(s) for s in series_ids})
        out = {sid: _empty(sid, RAW, "raw") for sid in ids}
        if not ids or end <= start:
            return out
        start, end = int(start), int(end)
        max_points = max(1, min(int(max_points), _MAX_POINTS))
        step = max(1, math.ceil((end - start) / max_points))
        for i in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[i : i + _IDS_PER_QUERY]
            if step <= self.raw_interval_s:
                out.update(self._raw(chunk, start, end))
            else:
                out.update(self._rollup(chunk, start, end, step))
        return out

    def _raw(self, ids: Sequence[int], start: int, end: int) -> dict[int, History]:
        reply = self._get(
            "/api/v1/export",
            {"match[]": self._selector(ids), "start": str(start), "end": str(end)},
        )
        merged: dict[int, dict[int, float]] = defaultdict(dict)
        for line in reply.splitlines():
            if not line.strip():
                continue
            obj = orjson.loads(line)
            sid = int(obj["metric"].get("series_id", -1))
            # Labels of a series may change (a renamed rack): several VM series, one id.
            merged[sid].update(
                zip((int(t) // 1000 for t in obj["timestamps"]), obj["values"], strict=True)
            )
        out: dict[int, History] = {}
        for sid, points in merged.items():
            if sid not in ids:
                continue
            ts = np.array(sorted(points), dtype=np.int64)
            val = np.array([points[int(t)] for t in ts], dtype=np.float64)
            out[sid] = History(sid, RAW, ts, val, val, val, "raw")
        return out

    def _rollup(self, ids: Sequence[int], start: int, end: int, step: int) -> dict[int, History]:
        # A point at t normally summarises (t - step, t]. Shifted forward by step - 1 s it
        # covers [t, t + step) of whole-second samples, the rows' bucket starting at t; t on
        # multiples of step is also what VictoriaMetrics' result cache aligns to.
        sel = self._selector(ids)
        params = {"start": str(start - start % step), "end": str(end), "step": f"{step}s"}

        def fetch(agg: str) -> bytes:
            query = f"{agg}_over_time({sel}[{step}s] offset -{step - 1}s)"
            reply: bytes = self._get("/api/v1/query_range", {"query": query, **params})
            if not reply.startswith(b'{"status":"success"'):
                raise VictoriaError(f"query_range failed: {reply[:300]!r}")
            return reply

        def fetch_parsed(agg: str) -> tuple[bytes, Matrix]:
            # min and max have a value wherever avg has one (the same samples in the same
            # steps), so only avg's timestamps are parsed.
            reply = fetch(agg)
            return reply, parse_matrix(reply, times=agg == "avg")

        # One query per aggregate, in parallel: VictoriaMetrics answers one while this
        # process parses another (parsing holds the GIL, waiting on the socket does not).
        # A single rollup() answer took as long to send as the three together, then parsed
        # serially after it (131 ms against 100 for a 7-day rack, docs/benchmarks.md).
        answers = dict(zip(_AGGREGATES, self._pool().map(fetch_parsed, _AGGREGATES), strict=True))
        wanted = set(ids)
        avg = _series_of(answers["avg"][1], wanted)
        bounds: dict[str, dict[int, tuple[IntArray, FloatArray]]] = {}
        for agg in ("min", "max"):
            reply, matrix = answers[agg]
            got = _on_steps(matrix, avg, wanted)
            # Steps that do not line up (a renamed rack's two label sets): parse the times.
            bounds[agg] = got if got is not None else _series_of(parse_matrix(reply), wanted)
        out: dict[int, History] = {}
        source = f"vm_{step}s"
        for sid, (ts, mean) in avg.items():
            keep = (ts > start - step) & (ts <= end)
            ts, mean = ts[keep], mean[keep]
            lo = _align(ts, bounds["min"].get(sid), mean)
            hi = _align(ts, bounds["max"].get(sid), mean)
            out[sid] = History(sid, step, ts, mean, lo, hi, source)
        return out

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            # Each worker thread keeps its own keep-alive connection (_http is per thread).
            self._executor = ThreadPoolExecutor(len(_AGGREGATES), thread_name_prefix="vm-read")
        return self._executor

    def stats(
        self, series_ids: Sequence[int], start: int, end: int
    ) -> dict[int, tuple[float, float]]:
        """(mean, max) of each series over [start, end], for the snapshot's summaries."""
        ids = sorted({int(s) for s in series_ids})
        out: dict[int, tuple[float, float]] = {}
        # (end - span, end] with span one second longer than the window: [start, end].
        span = max(1, int(end) - int(start)) + 1
        for i in range(0, len(ids), _IDS_PER_QUERY):
            sel = self._selector(ids[i : i + _IDS_PER_QUERY])
            query = (
                f'union(label_set(avg_over_time({sel}[{span}s]), "rw_agg", "avg"), '
                f'label_set(max_over_time({sel}[{span}s]), "rw_agg", "max"))'
            )
            data = orjson.loads(self._get("/api/v1/query", {"query": query, "time": str(int(end))}))
            got: dict[int, dict[str, float]] = defaultdict(dict)
            for res in data["data"]["result"]:
                m = res["metric"]
                got[int(m.get("series_id", -1))][m.get("rw_agg", "avg")] = float(res["value"][1])
            for sid, v in got.items():
                if "avg" in v:
                    out[sid] = (v["avg"], v.get("max", v["avg"]))
        return out

    def count(self, series_ids: Sequence[int], start: int, end: int) -> dict[int, int]:
        """Stored (deduplicated) samples per series in [start, end], from the raw export."""
        got = {}
        ids = sorted({int(s) for s in series_ids})
        for i in range(0, len(ids), _IDS_PER_QUERY):
            got.update(self._raw(ids[i : i + _IDS_PER_QUERY], start, end))
        return {sid: len(h) for sid, h in got.items()}

    def raw_timestamps(
        self, series_ids: Sequence[int], start: int, end: int
    ) -> dict[int, set[int]]:
        """Whole-second timestamps each series holds in [start, end] (for loss accounting)."""
        ids = sorted({int(s) for s in series_ids})
        out: dict[int, set[int]] = {}
        for i in range(0, len(ids), _IDS_PER_QUERY):
            for sid, h in self._raw(ids[i : i + _IDS_PER_QUERY], start, end).items():
                out[sid] = set(h.ts.tolist())
        return out
