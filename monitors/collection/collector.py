"""Headless collector process: scheduler on asyncio, a writer thread, heartbeat and requests."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Engine, insert, select, update

from models.db import make_engine
from models.inventory.device_specs import DeviceSpec, load_device_specs
from models.schema import CollectorHeartbeat, PollRequest
from models.store.samples import Retention, SampleWriter, apply_retention, placeholder
from models.store.series import SeriesRegistry, SeriesSpec
from monitors.collection.poll_log import PollLog
from monitors.collection.readings import PollResult
from monitors.collection.scheduler import Driver, Scheduler

log = logging.getLogger("rackwatch.collector")

ResultHook = Callable[[list[PollResult], list[tuple[int, int, float]], list[int]], None]


@dataclass
class CollectorOptions:
    url: str
    shard: int = 0
    shards: int = 1
    once: bool = False
    duration_s: float | None = None
    max_in_flight: int = 48
    batch_interval_s: float = 0.5
    heartbeat_s: float = 5.0
    requests_s: float = 1.0
    summary_s: float = 60.0
    collector_id: str = ""
    retention: Retention = field(default_factory=Retention)
    retention_every_s: float = 3600.0
    device_filter: Callable[[DeviceSpec], bool] | None = None
    hooks: list[ResultHook] = field(default_factory=list)


@dataclass
class CollectorReport:
    devices: int = 0
    polls_ok: int = 0
    polls_failed: int = 0
    samples: int = 0
    errors_by_device: Counter[str] = field(default_factory=Counter)


class ResultWriter(threading.Thread):
    """Owns all database writes of poll results so the asyncio loop never waits on SQL."""

    def __init__(
        self, engine: Engine, devices: Mapping[int, DeviceSpec], hooks: list[ResultHook]
    ) -> None:
        super().__init__(name="rackwatch-writer", daemon=True)
        self.engine = engine
        self.devices = devices
        self.hooks = hooks
        # Bounded: when the database falls behind, the scheduler waits (backpressure).
        self.inbox: queue.Queue[list[PollResult] | None] = queue.Queue(maxsize=8)
        self.writer = SampleWriter(engine)
        self.registry = SeriesRegistry(engine)
        self.report = CollectorReport(devices=len(devices))
        self.poll_log = PollLog(log)
        self.failed: BaseException | None = None
        p = placeholder(engine)
        self._sql_state = (
            "INSERT INTO device_state (device_id, status, detected_profile, last_poll_ts, "
            "last_ok_ts, consecutive_failures, error, seq) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}) "
            "ON CONFLICT (device_id) DO UPDATE SET status = excluded.status, "
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
            self.registry.preload(self.devices)
            while True:
                batch = self.inbox.get()
                if batch is None:
                    break
                self._write(batch)
        except BaseException as exc:  # surfaced by the collector, which then stops cleanly
            self.failed = exc
            log.exception("writer thread failed")
        finally:
            with contextlib.suppress(Exception):
                self.writer.flush()

    def _write(self, results: list[PollResult]) -> None:
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
                    )
                )
                values.append((r.ts, rd.value))
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
        for hook in self.hooks:
            try:
                hook(results, rows, ids)
            except Exception:
                log.exception("result hook failed")

    def _write_states(self, results: list[PollResult], seq: int) -> None:
        params = []
        for r in results:
            if r.ok:
                status, last_ok, fails, error = "ok", r.ts, 0, None
            else:
                status = "unreachable" if r.error_kind == "unreachable" else "error"
                last_ok, fails, error = None, 1, (r.error or "unknown error")[:2000]
            params.append((r.device_id, status, r.profile, r.ts, last_ok, fails, error, seq))
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
        self.engine = make_engine(options.url)
        self.collector_id = options.collector_id or (
            f"{socket.gethostname()}:{os.getpid()}:{options.shard}/{options.shards}"
        )
        devices = load_device_specs(self.engine, options.shard, options.shards)
        if options.device_filter is not None:
            devices = [d for d in devices if options.device_filter(d)]
        self.devices = {d.id: d for d in devices}
        self.writer = ResultWriter(self.engine, self.devices, options.hooks)
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
        if self.writer.failed is not None:
            raise RuntimeError(f"database writer failed: {self.writer.failed}")
        await asyncio.to_thread(self.writer.inbox.put, batch)

    async def _flusher(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.opt.batch_interval_s)
            await self._hand_over()

    async def _heartbeat(self, stop: asyncio.Event, scheduler: Scheduler) -> None:
        while not stop.is_set():
            await asyncio.to_thread(self._beat, scheduler)
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
        }
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

    async def _requests(self, stop: asyncio.Event, scheduler: Scheduler) -> None:
        # Requests older than a few minutes are history, not instructions.
        horizon = int(time.time()) - 300
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
            except Exception:
                log.exception("reading poll requests failed")
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
            # Graceful shutdown: every buffered sample is written and rollups flushed.
            await asyncio.to_thread(self.writer.inbox.put, None)
            await asyncio.to_thread(self.writer.join)
            with contextlib.suppress(Exception):
                self._beat(scheduler)
            self.engine.dispose()
        if self.writer.failed is not None:
            raise RuntimeError(f"database writer failed: {self.writer.failed}")
        rep = self.writer.report
        log.info(
            "collector %s stopped: polls_ok=%d polls_failed=%d samples=%d",
            self.collector_id,
            rep.polls_ok,
            rep.polls_failed,
            rep.samples,
        )
        return rep


def supervise(commands: list[list[str]], *, grace_s: float = 20.0) -> int:
    """Run one child process per shard; SIGINT/SIGTERM reach all of them; no orphans."""
    import subprocess

    children = [subprocess.Popen(cmd) for cmd in commands]
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
