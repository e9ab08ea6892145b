"""Headless collector process: scheduler on asyncio, a writer thread, heartbeat and requests."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import queue
import signal
import socket
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update

from models.db import make_engine
from models.inventory.device_specs import DeviceSpec, load_device_specs
from models.schema import CollectorHeartbeat, PollRequest
from models.staleness import HEARTBEAT_S
from models.store.samples import Retention, SampleWriter, apply_retention, placeholder
from models.store.series import SeriesRegistry, SeriesSpec
from models.vocabulary import EMPTY, implausible, no_data_reason
from monitors.collection.poll_log import PollLog
from monitors.collection.readings import PollResult, Reading
from monitors.collection.scheduler import Driver, Scheduler
from monitors.collection.spool import DEFAULT_MAX_BYTES, Spool, SpoolFull

log = logging.getLogger("rackwatch.collector")

ResultHook = Callable[[list[PollResult], list[tuple[int, int, float]], list[int]], None]

# Prefix of a poll problem (and device_state.error) naming an implausible reading.
SENSOR_FAULT = "sensor fault:"

# Exit status of a collector that could not write for longer than its spool holds.
EXIT_CANNOT_WRITE = 3


_POLL_FIELDS = tuple(f.name for f in dataclasses.fields(PollResult))
_READING_FIELDS = tuple(f.name for f in dataclasses.fields(Reading))


def encode_results(results: list[PollResult]) -> bytes:
    """Poll results for the spool: JSON rows under a header naming every field (so a replay
    by a newer version still maps them), compressed (about 25 bytes per reading)."""
    rows = []
    for r in results:
        row = [getattr(r, f) for f in _POLL_FIELDS]
        row[_POLL_FIELDS.index("readings")] = [
            [getattr(rd, f) for f in _READING_FIELDS] for rd in r.readings
        ]
        rows.append(row)
    doc = {"poll": _POLL_FIELDS, "reading": _READING_FIELDS, "rows": rows}
    return zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 1)


def decode_results(payload: bytes) -> list[PollResult]:
    doc = json.loads(zlib.decompress(payload))
    same = tuple(doc["reading"]) == _READING_FIELDS
    fields = list(doc["reading"])
    keep = [i for i, k in enumerate(fields) if k in _READING_FIELDS]
    at = _READING_FIELDS.index("plausible")

    def reading(rd: list[Any]) -> Reading:
        if not same:  # written by another version: map by name, drop unknown fields
            return Reading(**{fields[i]: rd[i] for i in keep})
        if rd[at] is not None:
            rd[at] = tuple(rd[at])
        return Reading(*rd)

    out = []
    for row in doc["rows"]:
        d = {k: v for k, v in zip(doc["poll"], row, strict=True) if k in _POLL_FIELDS}
        d["readings"] = tuple(reading(rd) for rd in d.get("readings", ()))
        d["problems"] = tuple(d.get("problems", ()))
        out.append(PollResult(**d))
    return out


def _name(hook: object) -> str:
    return str(getattr(hook, "__name__", None) or type(hook).__name__)


def _transient(exc: BaseException) -> bool:
    """Whether a database error means "not now" (away, locked, disconnected), not "never"."""
    names = {c.__name__ for c in type(exc).__mro__}
    orig = getattr(exc, "orig", None)
    if orig is not None:
        names |= {c.__name__ for c in type(orig).__mro__}
    return bool(
        names & {"OperationalError", "InterfaceError", "DisconnectionError", "TimeoutError"}
    ) or isinstance(exc, OSError)


def default_spool_path(url: str, shard: int, shards: int) -> Path:
    """Beside the collector's data: one spool file per database and shard.

    The database is part of the name because spooled rows carry that database's series and
    device ids: they must never be replayed into another one.
    """
    import hashlib

    from sqlalchemy.engine import make_url

    from models.paths import data_dir

    ident = make_url(url).render_as_string(hide_password=True)
    tag = hashlib.sha256(ident.encode()).hexdigest()[:12]
    return data_dir() / "spool" / f"collector-{tag}-{shard}of{shards}.sqlite"


@dataclass
class CollectorOptions:
    url: str
    shard: int = 0
    shards: int = 1
    once: bool = False
    duration_s: float | None = None
    max_in_flight: int = 48
    batch_interval_s: float = 0.5
    heartbeat_s: float = HEARTBEAT_S  # desks count a collector dead after two missed beats
    requests_s: float = 1.0
    summary_s: float = 60.0
    collector_id: str = ""
    retention: Retention = field(default_factory=Retention)
    retention_every_s: float = 3600.0
    device_filter: Callable[[DeviceSpec], bool] | None = None
    hooks: list[ResultHook] = field(default_factory=list)
    # Where results wait while the database is away (None: default_spool_path), and its bound.
    spool_path: str | None = None
    spool_max_bytes: int = DEFAULT_MAX_BYTES
    # Seconds one statement may wait for a lock or a connection before the batch is spooled.
    db_timeout_s: float = 5.0
    retry_max_s: float = 30.0


class CannotWrite(RuntimeError):
    """The database refused writes for longer than the spool holds."""


@dataclass
class CollectorReport:
    devices: int = 0
    polls_ok: int = 0
    polls_failed: int = 0
    samples: int = 0
    errors_by_device: Counter[str] = field(default_factory=Counter)
    implausible: int = 0  # readings dropped as physically impossible (sensor faults)


def series_specs(
    results: list[PollResult],
) -> tuple[list[SeriesSpec], list[tuple[int, float]]]:
    """The series of every reading in a batch, and its (ts, value), in the same order."""
    specs: list[SeriesSpec] = []
    values: list[tuple[int, float]] = []
    for r in results:
        for rd in r.readings:
            specs.append(
                SeriesSpec(
                    r.device_id,
                    rd.metric,
                    rd.channel,
                    rd.unit,
                    rd.role,
                    rd.warn_low,
                    rd.warn_high,
                    rd.crit_low,
                    rd.crit_high,
                    rd.channel_class,
                )
            )
            values.append((r.ts, rd.value))
    return specs, values


class ResultWriter(threading.Thread):
    """Owns all database writes of poll results so the asyncio loop never waits on SQL.

    With a spool, a failed write never kills it: the batch goes to the spool, the database is
    retried with exponential backoff, and the spool is replayed oldest first once it answers
    (samples are keyed by (series, ts), so a batch replayed twice is stored once).
    """

    def __init__(
        self,
        engine: Engine,
        devices: Mapping[int, DeviceSpec],
        hooks: list[ResultHook],
        *,
        spool: Spool | None = None,
        retry_max_s: float = 30.0,
    ) -> None:
        super().__init__(name="rackwatch-writer", daemon=True)
        self.engine = engine
        self.devices = devices
        self.hooks = hooks
        self._failing_hooks: set[int] = set()
        # Bounded: when the database falls behind, the scheduler waits (backpressure).
        self.inbox: queue.Queue[list[PollResult] | None] = queue.Queue(maxsize=64)
        self.writer = SampleWriter(engine, owned_devices=list(devices))
        self.registry = SeriesRegistry(engine)
        self.report = CollectorReport(devices=len(devices))
        self.poll_log = PollLog(log)
        self.failed: BaseException | None = None
        self.spool = spool
        self.retry_max_s = retry_max_s
        # Why this writer cannot go on (the spool is full); the collector exits non-zero.
        self.fatal: str | None = None
        self.db_ok = True
        self.last_error: str | None = None
        self.spooled_batches = 0
        self.replayed_batches = 0
        self.lost_results = 0
        self._preloaded = False
        self._backoff = 0.5
        self._retry_at = 0.0
        self._down_since = 0.0
        self._poison: Counter[int] = Counter()
        p = placeholder(engine)
        self._sql_state = (
            "INSERT INTO device_state (device_id, status, detected_profile, last_poll_ts, "
            "last_ok_ts, consecutive_failures, error, seq, reason) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}) "
            "ON CONFLICT (device_id) DO UPDATE SET status = excluded.status, "
            "reason = excluded.reason, "
            "detected_profile = "
            "COALESCE(excluded.detected_profile, device_state.detected_profile), "
            "last_poll_ts = excluded.last_poll_ts, "
            "last_ok_ts = COALESCE(excluded.last_ok_ts, device_state.last_ok_ts), "
            "consecutive_failures = CASE WHEN excluded.consecutive_failures = 0 THEN 0 "
            "ELSE device_state.consecutive_failures + 1 END, "
            "error = excluded.error, seq = excluded.seq"
        )

    def run(self) -> None:
        try:
            if self.spool is None:
                self._run_direct()
            else:
                self._run_spooled()
        except BaseException as exc:  # surfaced by the collector, which then stops cleanly
            self.failed = exc
            log.exception("writer thread failed")
        finally:
            with contextlib.suppress(Exception):
                self.writer.flush()

    def _run_direct(self) -> None:
        """Without a spool (tests, tools): the first database error ends the writer."""
        self.registry.preload(self.devices)
        while True:
            batch = self.inbox.get()
            if batch is None:
                break
            self._write(batch)

    def _run_spooled(self) -> None:
        while True:
            timeout = max(0.05, self._retry_at - time.monotonic()) if self._backlog() else None
            try:
                batch = self.inbox.get(timeout=timeout)
            except queue.Empty:
                batch = []
            if batch is None:
                break
            if batch:
                self._accept(batch)
            if self._backlog() and time.monotonic() >= self._retry_at:
                self._replay(deadline=time.monotonic() + 2.0)
        # Stopping: one last bounded attempt, then what is left waits in the spool.
        if self._backlog():
            self._replay(deadline=time.monotonic() + 3.0)
        if self.spool is not None and len(self.spool):
            log.warning(
                "stopping with %d batches (%d bytes) in the spool %s; they are written "
                "when the collector next starts and reaches the database",
                len(self.spool),
                self.spool.bytes_used,
                self.spool.path,
            )

    def _backlog(self) -> bool:
        return not self._preloaded or bool(self.spool is not None and len(self.spool))

    def _ready(self) -> None:
        if not self._preloaded:
            self.registry.preload(self.devices)
            self._preloaded = True

    def _accept(self, batch: list[PollResult]) -> None:
        if self.db_ok and not self._backlog():
            try:
                self._write(batch)
                return
            except Exception as exc:
                self._down(exc)
        self._to_spool(batch)

    def _to_spool(self, batch: list[PollResult]) -> None:
        assert self.spool is not None
        try:
            self.spool.append(encode_results(batch))
            self.spooled_batches += 1
        except SpoolFull as exc:
            self.lost_results += len(batch)
            if self.fatal is None:
                self.fatal = (
                    f"{exc}; the database has not accepted writes for "
                    f"{time.monotonic() - self._down_since:.0f} s ({self.last_error}); "
                    "new results are being lost"
                )
                log.critical("COLLECTOR CANNOT WRITE: %s", self.fatal)

    def _replay(self, deadline: float) -> None:
        assert self.spool is not None
        entry_id = 0
        try:
            self._ready()
            while time.monotonic() < deadline:
                entries = self.spool.oldest(8)
                if not entries:
                    break
                for entry in entries:
                    entry_id = entry.id
                    self._write(decode_results(entry.payload))
                    self.spool.ack(entry.id)
                    self.replayed_batches += 1
                    self._poison.pop(entry.id, None)
            self._up()
        except Exception as exc:
            if entry_id and not _transient(exc):
                # The database answers but refuses this batch: after a few tries it is
                # dropped (counted and logged) so one bad batch cannot block the rest.
                self._poison[entry_id] += 1
                if self._poison[entry_id] >= 3:
                    log.error("dropping spooled batch %d the database refuses: %s", entry_id, exc)
                    self.spool.ack(entry_id)
                    del self._poison[entry_id]
            self._down(exc)

    def _down(self, exc: BaseException) -> None:
        self.last_error = f"{type(exc).__name__}: {str(exc).strip()[:300]}"
        now = time.monotonic()
        if self.db_ok:
            self.db_ok = False
            self._down_since = now
            self._backoff = 0.5
            log.error(
                "database write failed (%s); results go to the spool %s until it answers",
                self.last_error,
                self.spool.path if self.spool is not None else "-",
            )
        else:
            log.warning(
                "database still unavailable (%s); retry in %.1f s", self.last_error, self._backoff
            )
        self._retry_at = now + self._backoff
        self._backoff = min(self._backoff * 2, self.retry_max_s)
        with contextlib.suppress(Exception):
            self.engine.dispose()  # broken connections are not reused

    def _up(self) -> None:
        if not self.db_ok:
            log.warning(
                "database answers again after %.0f s; %d spooled batches written so far",
                time.monotonic() - self._down_since,
                self.replayed_batches,
            )
        self.db_ok = True
        self._backoff = 0.5
        self._retry_at = 0.0

    def health(self) -> tuple[str, str | None]:
        """(ok|spooling|failed, detail) for the heartbeat and logs."""
        if self.fatal is not None:
            return "failed", self.fatal
        if not self.db_ok or (self.spool is not None and len(self.spool)):
            n = len(self.spool) if self.spool is not None else 0
            return "spooling", f"{n} batches spooled; last error: {self.last_error}"
        return "ok", None

    def _write(self, results: list[PollResult]) -> None:
        results = [self._screen(r) for r in results]
        # An edited rules file reaches the series rows (and so every desk) before the alarm
        # hooks judge this batch with the same rules.
        if self.registry.refresh_rules():
            log.info("alarm rules changed: %d series re-decided", self.registry.redecided)
        specs, values = series_specs(results)
        ids = self.registry.resolve(specs) if specs else []
        rows = [(sid, ts, v) for sid, (ts, v) in zip(ids, values, strict=True)]
        seq = self.writer.write(rows) if rows else 0
        self._write_states(results, seq)
        rep = self.report
        rep.samples += len(rows)
        for r in results:
            dev = self.devices.get(r.device_id)
            name = dev.name if dev else str(r.device_id)
            if r.ok:
                rep.polls_ok += 1
                self.poll_log.succeeded(name, r.ts)
            else:
                rep.polls_failed += 1
                rep.errors_by_device[name] += 1
                self.poll_log.failed(name, r.ts, r.error_kind, r.error)
            self.poll_log.saw_problems(name, r.problems)
        self._run_hooks(results, rows, ids)

    def _run_hooks(
        self, results: list[PollResult], rows: list[tuple[int, int, float]], ids: list[int]
    ) -> None:
        """Every hook sees every batch; a failing one is logged when it starts failing and
        when it recovers (a site collector's alarm engine waits for the centre)."""
        for hook in self.hooks:
            key = id(hook)
            try:
                hook(results, rows, ids)
            except Exception:
                if key not in self._failing_hooks:
                    self._failing_hooks.add(key)
                    log.exception("result hook %s failed; retried with every batch", _name(hook))
            else:
                if key in self._failing_hooks:
                    self._failing_hooks.discard(key)
                    log.info("result hook %s works again", _name(hook))

    def _screen(self, result: PollResult) -> PollResult:
        """Drop physically impossible readings (every protocol, one table); they are counted
        and reported as a sensor fault of the device instead of being stored as data."""
        faults = []
        kept = []
        for rd in result.readings:
            why = implausible(rd.metric, rd.value, rd.plausible)
            if why is None:
                kept.append(rd)
            else:
                faults.append(f"{SENSOR_FAULT} {rd.channel} ({rd.metric}): {why}")
        if not faults:
            return result
        self.report.implausible += len(faults)
        dev = self.devices.get(result.device_id)
        log.warning(
            "implausible readings dropped device=%s %s",
            dev.name if dev else result.device_id,
            "; ".join(faults[:5]),
        )
        return dataclasses.replace(
            result, readings=tuple(kept), problems=(*faults, *result.problems)
        )

    def _write_states(self, results: list[PollResult], seq: int) -> None:
        params = []
        for r in results:
            if r.ok:
                faults = [p for p in r.problems if p.startswith(SENSOR_FAULT)]
                status, last_ok, fails = "ok", r.ts, 0
                # A reachable device with a broken sensor: the state says which and why.
                error = "; ".join(faults[:5])[:2000] if faults else None
            else:
                # empty: it answered but gave nothing to read (never shown as OK).
                status = r.error_kind if r.error_kind in ("unreachable", EMPTY) else "error"
                last_ok, fails, error = None, 1, (r.error or "unknown error")[:2000]
            reason = no_data_reason(r.ok, r.error_kind)
            params.append(
                (r.device_id, status, r.profile, r.ts, last_ok, fails, error, seq, reason)
            )
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.executemany(self._sql_state, params)
            raw.commit()
        finally:
            raw.close()


class Collector:
    """One collector process (or one shard of several)."""

    def __init__(self, options: CollectorOptions, drivers: Mapping[str, Driver]) -> None:
        self.opt = options
        self.drivers = drivers
        self.engine = make_engine(options.url, busy_timeout_s=options.db_timeout_s)
        self.collector_id = options.collector_id or (
            f"{socket.gethostname()}:{os.getpid()}:{options.shard}/{options.shards}"
        )
        devices = load_device_specs(self.engine, options.shard, options.shards)
        if options.device_filter is not None:
            devices = [d for d in devices if options.device_filter(d)]
        self.devices = {d.id: d for d in devices}
        self.spool = Spool(
            options.spool_path or default_spool_path(options.url, options.shard, options.shards),
            options.spool_max_bytes,
        )
        if len(self.spool):
            log.warning(
                "spool %s holds %d batches from an earlier run; writing them first",
                self.spool.path,
                len(self.spool),
            )
        self.writer = ResultWriter(
            self.engine,
            self.devices,
            options.hooks,
            spool=self.spool,
            retry_max_s=options.retry_max_s,
        )
        self._beat_failing = False
        self._pending: list[PollResult] = []
        self._last_request_id = 0
        self._started = int(time.time())
        self.stop_event: asyncio.Event | None = None

    async def _sink(self, result: PollResult) -> None:
        self._pending.append(result)
        if len(self._pending) >= 5000:
            await self._hand_over()

    async def _hand_over(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        if not self.writer.is_alive() and self.writer.ident is not None:
            self._spool_directly(batch)
            return
        await asyncio.to_thread(self.writer.inbox.put, batch)

    def _spool_directly(self, batch: list[PollResult]) -> None:
        """The writer is gone (stopped or crashed): keep the batch in the spool ourselves."""
        try:
            self.spool.append(encode_results(batch))
        except SpoolFull:
            self.writer.lost_results += len(batch)
            log.critical("spool full; %d poll results lost", len(batch))

    async def _flusher(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.opt.batch_interval_s)
            await self._hand_over()
            if self.writer.fatal is not None or self.writer.failed is not None:
                # Cannot write and cannot keep: stop so the supervisor sees a non-zero exit.
                stop.set()

    async def _heartbeat(self, stop: asyncio.Event, scheduler: Scheduler) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(self._beat, scheduler)
                if self._beat_failing:
                    log.warning("heartbeat written again")
                self._beat_failing = False
            except Exception as exc:
                # The heartbeat shares the database that is away; polling and spooling go on
                # and the missing beats are what desks see (a silent collector alarm).
                if not self._beat_failing:
                    log.error("heartbeat not written (%s: %s)", type(exc).__name__, exc)
                self._beat_failing = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.opt.heartbeat_s)

    def _beat(self, scheduler: Scheduler) -> None:
        now = int(time.time())
        values = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "shard": f"{self.opt.shard}/{self.opt.shards}",
            "started_ts": self._started,
            "last_beat_ts": now,
            "devices": len(self.devices),
            "polls_ok": scheduler.polls_ok,
            "polls_failed": scheduler.polls_failed,
            "spool_batches": len(self.spool),
        }
        self._write_beat(scheduler, values)

    def _write_beat(self, scheduler: Scheduler, values: dict[str, Any]) -> None:
        """Upsert this collector's collector_heartbeat row with its health verdict."""
        health, detail = self.writer.health()
        late = scheduler.overload_detail()
        if health == "ok" and late is not None:
            health, detail = "overloaded", late
        values["health"], values["health_detail"] = health, detail
        with self.engine.begin() as conn:
            res = conn.execute(
                update(CollectorHeartbeat)
                .where(CollectorHeartbeat.collector_id == self.collector_id)
                .values(**values)
            )
            if res.rowcount == 0:
                conn.execute(
                    insert(CollectorHeartbeat).values(collector_id=self.collector_id, **values)
                )

    def _stop_writer(self, grace_s: float) -> None:
        deadline = time.monotonic() + grace_s
        while self.writer.is_alive():
            try:
                self.writer.inbox.put(None, timeout=0.2)
                break
            except queue.Full:
                if time.monotonic() > deadline:
                    break
        self.writer.join(max(0.0, deadline - time.monotonic()))
        if self.writer.is_alive():
            log.error("writer still busy after %.0f s; stopping without it", grace_s)
            # What it has not taken yet goes to the spool, so nothing handed over is lost.
            while True:
                try:
                    item = self.writer.inbox.get_nowait()
                except queue.Empty:
                    break
                if item:
                    self._spool_directly(item)

    async def _requests(self, stop: asyncio.Event, scheduler: Scheduler) -> None:
        # Requests older than a few minutes are history, not instructions.
        horizon = int(time.time()) - 300
        failing = False
        while not stop.is_set():
            try:
                reqs = await asyncio.to_thread(self._read_requests, horizon)
                for req_id, kind, device_id, rack_id, interval, until in reqs:
                    self._last_request_id = max(self._last_request_id, req_id)
                    targets = [
                        d.id
                        for d in self.devices.values()
                        if d.id == device_id or (rack_id is not None and d.rack_id == rack_id)
                    ]
                    if not targets:
                        continue
                    if kind == "focus" and until and until > time.time():
                        scheduler.focus(targets, float(interval or 5), float(until))
                    else:
                        scheduler.poll_now(targets)
                    await asyncio.to_thread(self._mark_done, req_id)
            except Exception as exc:
                if not failing:  # the database away: once, not every few seconds
                    log.warning("reading poll requests failed: %s", exc)
                failing = True
            else:
                if failing:
                    log.info("reading poll requests works again")
                failing = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.opt.requests_s)

    def _read_requests(
        self, horizon: int
    ) -> list[tuple[int, str, int | None, int | None, int | None, int | None]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    PollRequest.id,
                    PollRequest.kind,
                    PollRequest.device_id,
                    PollRequest.rack_id,
                    PollRequest.interval_s,
                    PollRequest.until_ts,
                )
                .where(PollRequest.id > self._last_request_id, PollRequest.requested_ts >= horizon)
                .order_by(PollRequest.id)
            )
            return [tuple(r) for r in rows]  # type: ignore[misc]

    def _mark_done(self, req_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(PollRequest)
                .where(PollRequest.id == req_id, PollRequest.done_ts.is_(None))
                .values(done_ts=int(time.time()))
            )

    async def _retention(self, stop: asyncio.Event) -> None:
        """Shard 0 trims history to the configured retention, first soon after start."""
        delay = min(60.0, self.opt.retention_every_s)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            if stop.is_set():
                break
            delay = self.opt.retention_every_s
            try:
                removed = await asyncio.to_thread(
                    apply_retention, self.engine, int(time.time()), self.opt.retention
                )
                log.info("retention collector=%s removed=%s", self.collector_id, removed)
            except Exception:
                log.exception("retention failed; collection goes on")

    async def _summary(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.opt.summary_s)
            rep = self.writer.report
            log.info(
                "summary collector=%s devices=%d failing=%d polls_ok=%d polls_failed=%d "
                "samples=%d failing_devices=[%s]",
                self.collector_id,
                rep.devices,
                self.writer.poll_log.failing_count(),
                rep.polls_ok,
                rep.polls_failed,
                rep.samples,
                self.writer.poll_log.summary(),
            )

    async def run(self) -> CollectorReport:
        stop = asyncio.Event()
        self.stop_event = stop
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
        self.writer.start()
        scheduler = Scheduler(
            self.devices.values(), self.drivers, self._sink, max_in_flight=self.opt.max_in_flight
        )
        log.info(
            "collector %s starting: %d devices, shard %d/%d",
            self.collector_id,
            len(self.devices),
            self.opt.shard,
            self.opt.shards,
        )
        helpers = [
            asyncio.create_task(self._flusher(stop)),
            asyncio.create_task(self._heartbeat(stop, scheduler)),
            asyncio.create_task(self._requests(stop, scheduler)),
            asyncio.create_task(self._summary(stop)),
        ]
        if self.opt.shard == 0 and not self.opt.once:
            helpers.append(asyncio.create_task(self._retention(stop)))
        if self.opt.duration_s is not None:
            loop.call_later(self.opt.duration_s, stop.set)
        try:
            await scheduler.run(stop, once=self.opt.once)
        finally:
            stop.set()
            await asyncio.gather(*helpers, return_exceptions=True)
            await self._hand_over()
            for driver in self.drivers.values():
                with contextlib.suppress(Exception):
                    await driver.close()
            # Graceful shutdown: buffered samples are written (or spooled) and rollups flushed,
            # within a bound: SIGTERM must stop the collector in seconds even with the
            # database away or locked.
            await asyncio.to_thread(self._stop_writer, 10.0)
            if not self.writer.db_ok:
                log.warning("final heartbeat skipped: the database is unavailable")
            else:
                with contextlib.suppress(Exception):
                    self._beat(scheduler)
            self.spool.close()
            self.engine.dispose()
        if self.writer.fatal is not None:
            raise CannotWrite(self.writer.fatal)
        if self.writer.failed is not None:
            raise RuntimeError(f"database writer failed: {self.writer.failed}")
        rep = self.writer.report
        # What was polled, whether it reached the database yet or waits in the spool.
        rep.polls_ok, rep.polls_failed = scheduler.polls_ok, scheduler.polls_failed
        log.info(
            "collector %s stopped: polls_ok=%d polls_failed=%d samples=%d",
            self.collector_id,
            rep.polls_ok,
            rep.polls_failed,
            rep.samples,
        )
        return rep


def supervise(
    commands: list[list[str]], *, grace_s: float = 20.0, env: Mapping[str, str] | None = None
) -> int:
    """Run one child process per shard; SIGINT/SIGTERM reach all of them; no orphans."""
    import subprocess

    children = [subprocess.Popen(cmd, env=None if env is None else dict(env)) for cmd in commands]
    stopping = threading.Event()

    def forward(signum: int, _frame: object) -> None:
        stopping.set()
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        codes = []
        for child in children:
            try:
                codes.append(child.wait())
            except KeyboardInterrupt:
                forward(signal.SIGINT, None)
                codes.append(child.wait(timeout=grace_s))
        return max((c for c in codes if c is not None), default=0) if not stopping.is_set() else 0
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
        for s, h in previous.items():
            signal.signal(s, h)
