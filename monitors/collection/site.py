"""A site collector: polls the racks it leases from the centre, pushes samples to its vmagent."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.db import make_engine
from models.inventory.device_specs import DeviceSpec, load_device_specs
from models.leases import DEFAULT_HEARTBEAT_S, DEFAULT_TTL_S, Assignment, LeaseManager
from models.store.backend import HistoryConfig, publish_config
from models.store.series import SeriesSpec
from models.store.victoria import VictoriaWriter
from monitors.collection.collector import (
    Collector,
    CollectorOptions,
    CollectorReport,
    ResultHook,
    ResultWriter,
    series_specs,
)
from monitors.collection.readings import PollResult
from monitors.collection.scheduler import Driver, Scheduler
from monitors.collection.site_state import SiteState

log = logging.getLogger("rackwatch.site")

# Connections to the centre give up quickly: a cut link must not hang a heartbeat for the
# kernel's 15-minute TCP retransmission timeout (libpq parameters, passed through psycopg).
CENTRE_CONNECT_ARGS: dict[str, Any] = {
    "connect_timeout": 3,
    "tcp_user_timeout": 10_000,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    # The same on the server's side of each session: a transaction cut off mid-way would
    # otherwise keep its row locks until the server noticed the client gone (its default
    # keepalive is two hours), and the outbox's first delivery after the cut waited on them
    # (50 s in a CI run).
    "options": (
        "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3 "
        "-c tcp_user_timeout=10000 -c idle_in_transaction_session_timeout=30000"
    ),
}


@dataclass
class SiteOptions:
    url: str  # the central PostgreSQL
    site: str  # site code
    vm_url: str  # VictoriaMetrics (select side), published for desks
    vmagent_url: str  # this site's vmagent (or VictoriaMetrics itself)
    collector_id: str = ""
    ttl_s: int = DEFAULT_TTL_S
    heartbeat_s: float = DEFAULT_HEARTBEAT_S
    max_in_flight: int = 48
    duration_s: float | None = None
    batch_interval_s: float = 0.5
    inventory_every_s: float = 60.0
    trace_polls: str = ""  # append "ts collector device ok" per poll (tests and benches)
    # The last assignment with its series on local disk (monitors.collection.site_state).
    state_path: str = ""
    hooks: list[ResultHook] = field(default_factory=list)
    # Called with each new assignment (the alarm engine's restrict(), tests).
    on_assignment: list[Callable[[Assignment], None]] = field(default_factory=list)


class SiteResultWriter(ResultWriter):
    """ResultWriter whose database writes survive the centre being away.

    Samples go to vmagent (which buffers on disk); series ids come from the registry cache
    when the centre cannot create new ones; device states are skipped while it is away
    (the next successful poll rewrites them). Only readings of series never seen before
    wait for the centre, and they are counted.
    """

    def __init__(
        self,
        engine: Any,
        devices: Mapping[int, DeviceSpec],
        hooks: list[ResultHook],
        sink: VictoriaWriter,
        site_code: str,
    ) -> None:
        super().__init__(engine, devices, hooks)
        self.writer = sink  # type: ignore[assignment]
        self.sink = sink
        self.site_code = site_code
        self._preloaded_devices: set[int] = set()
        self.unresolved = 0
        self.state_failures = 0
        # Cleared by the lease loop while the centre is unreachable: the writer then skips
        # the database (each attempt would cost a connect timeout) and only feeds vmagent.
        self.centre_up = True

    def run(self) -> None:
        # The base preloads every device at start; here devices arrive with leases.
        try:
            while True:
                batch = self.inbox.get()
                if batch is None:
                    break
                try:
                    self._write(batch)
                except Exception:
                    log.exception("writing a batch failed; collection goes on")
        finally:
            with contextlib.suppress(Exception):
                self.sink.close()

    def _resolve(self, specs: list[SeriesSpec]) -> list[int | None]:
        fresh = {s.device_id for s in specs} - self._preloaded_devices
        try:
            if fresh:
                self.registry.preload(fresh)
                self._preloaded_devices |= fresh
            return list(self.registry.resolve(specs))
        except Exception as exc:
            log.warning("centre away, series from the cache only: %s", exc)
            return [self.registry.get(s.key) for s in specs]

    def _write(self, results: list[PollResult]) -> None:
        results = [self._screen(r) for r in results]
        if self.centre_up:
            try:
                if self.registry.refresh_rules():
                    log.info("alarm rules changed: %d series re-decided", self.registry.redecided)
            except Exception as exc:
                log.warning("series meaning not refreshed (centre away): %s", exc)
        specs, values = series_specs(results)
        if self.centre_up:
            ids = self._resolve(specs) if specs else []
        else:
            ids = [self.registry.get(s.key) for s in specs]
        rows = [(sid, ts, v) for sid, (ts, v) in zip(ids, values, strict=True) if sid is not None]
        self.unresolved += len(values) - len(rows)
        self.sink.engine = self.engine if self.centre_up else None
        seq = self.sink.write(rows) if rows else 0
        try:
            if self.centre_up:
                self._write_states(results, seq)
        except Exception as exc:
            self.state_failures += 1
            log.warning("device states not written (centre away): %s", exc)
        rep = self.report
        rep.samples += len(rows)
        for r in results:
            if r.ok:
                rep.polls_ok += 1
            else:
                rep.polls_failed += 1
        self._run_hooks(results, rows, [i for i in ids if i is not None])


class PollTrace:
    """Appends a line per poll to a file: wall time, collector, device, ok, sample ts, readings."""

    def __init__(self, path: str, collector_id: str) -> None:
        self.path = Path(path)
        self.collector_id = collector_id

    def __call__(self, results: list[PollResult], _rows: object, _ids: object) -> None:
        now = time.time()
        lines = "".join(
            f"{now:.3f} {self.collector_id} {r.device_id} {int(r.ok)} {r.ts} {len(r.readings)}\n"
            for r in results
        )
        with self.path.open("a") as f:
            f.write(lines)


class SiteCollector(Collector):
    """One collector of one site, sharing the site's racks with its peers through leases."""

    def __init__(self, options: SiteOptions, drivers: Mapping[str, Driver]) -> None:
        self.site_opt = options
        cid = options.collector_id or f"{options.site}:{socket.gethostname()}:{os.getpid()}"
        base = CollectorOptions(
            url=options.url,
            batch_interval_s=options.batch_interval_s,
            collector_id=cid,
            max_in_flight=options.max_in_flight,
            duration_s=options.duration_s,
            hooks=list(options.hooks),
        )
        if options.trace_polls:
            base.hooks.insert(0, PollTrace(options.trace_polls, cid))
        # Not Collector.__init__: devices come from leases, not a shard of the inventory.
        self.opt = base
        self.drivers = drivers
        self.engine = make_engine(options.url, connect_args=CENTRE_CONNECT_ARGS)
        self.collector_id = cid
        self.devices: dict[int, DeviceSpec] = {}
        self.catalogue: dict[int, DeviceSpec] = {}
        self.config = HistoryConfig("victoria", options.vm_url, options.vmagent_url)
        self.sink = VictoriaWriter(self.engine, options.vmagent_url)
        self.site_writer = SiteResultWriter(
            self.engine, self.devices, base.hooks, self.sink, options.site
        )
        self.writer = self.site_writer
        self.leases = LeaseManager(
            self.engine,
            options.site,
            cid,
            host=socket.gethostname(),
            pid=os.getpid(),
            ttl_s=options.ttl_s,
        )
        self._pending: list[PollResult] = []
        self._last_request_id = 0
        self._started = int(time.time())
        self.stop_event: asyncio.Event | None = None
        self.assignment: Assignment | None = None
        self.centre_ok = False
        self.centre_failures = 0
        self._catalogue_ts = -1e18
        self._claim_after = 0.0  # set when the centre answers (first, or after an outage)
        self.state = SiteState(options.state_path) if options.state_path else None
        self._saved_mark: tuple[frozenset[int], int, int] | None = None

    def _load_catalogue(self) -> None:
        specs = load_device_specs(self.engine)
        self.catalogue = {d.id: d for d in specs if d.site == self.site_opt.site}
        self._catalogue_ts = time.monotonic()

    def _lease_beat(self) -> Assignment:
        if time.monotonic() - self._catalogue_ts > self.site_opt.inventory_every_s:
            self._load_catalogue()
        # No claims on the first beat, nor for one TTL after the centre comes back: peers
        # that started together, or that were cut off together, first renew what they hold,
        # so the fastest one does not take everything and hand it back a beat later.
        claim = self.centre_ok and time.monotonic() >= self._claim_after
        return self.leases.beat(len(self.devices), claim=claim)

    async def _lease_loop(self, stop: asyncio.Event, scheduler: Scheduler) -> None:
        first = True
        while not stop.is_set():
            try:
                a = await asyncio.to_thread(self._lease_beat)
            except Exception as exc:
                # Partition rule: without the centre keep polling the last assignment.
                self.centre_failures += 1
                if first and not self.devices:
                    self._restore(scheduler, exc)
                elif self.centre_ok or self.centre_failures == 1:
                    log.warning(
                        "centre unreachable; keeping %d devices of the last assignment: %s",
                        len(self.devices),
                        exc,
                    )
                self.centre_ok = False
                self.site_writer.centre_up = False
            else:
                self.site_writer.centre_up = True
                if not self.centre_ok:
                    log.info("centre reachable: %d units leased", len(a.units))
                    # Back after an outage: wait a TTL for peers to renew before claiming.
                    grace = self.site_opt.heartbeat_s * 0.9 if first else float(self.site_opt.ttl_s)
                    self._claim_after = time.monotonic() + grace
                self.centre_ok = True
                self._apply(a, scheduler, first)
                first = False
                await asyncio.to_thread(self._save_state)
                # The sink also retries any batch vmagent could not take.
                await asyncio.to_thread(self.sink.retry)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.site_opt.heartbeat_s)

    def _apply(self, a: Assignment, scheduler: Scheduler, first: bool) -> None:
        missing = [d for d in a.devices if d not in self.catalogue]
        if missing:
            self._load_catalogue()
        wanted = {d: self.catalogue[d] for d in a.devices if d in self.catalogue}
        gone = [d for d in self.devices if d not in wanted]
        new = [spec for d, spec in wanted.items() if d not in self.devices]
        scheduler.remove(gone)
        for d in gone:
            self.devices.pop(d, None)
        self.devices.update({s.id: s for s in new})
        # At start-up spread first polls over an interval; an orphan from failover at once.
        spread = min((s.interval_s for s in new), default=0) if first else 0.0
        scheduler.add(new, spread_s=float(spread))
        if new or gone or a.claimed or a.released or a.lost:
            log.info(
                "leases collector=%s units=%d devices=%d live=%d claimed=%d released=%d lost=%d",
                self.collector_id,
                len(a.units),
                len(self.devices),
                a.live_collectors,
                len(a.claimed),
                len(a.released),
                len(a.lost),
            )
        self.assignment = a
        for hook in self.site_opt.on_assignment:
            try:
                hook(a)
            except Exception:
                log.exception("assignment hook failed")

    def _restore(self, scheduler: Scheduler, why: Exception) -> None:
        """Started while the centre is away: poll what this collector held when it last
        heard from it (the partition rule of a running collector, across a restart)."""
        saved = self.state.load() if self.state is not None else None
        if saved is None:
            log.warning("centre unreachable at start, no saved assignment to poll: %s", why)
            return
        self.site_writer.registry.remember(saved.series)
        for sid, labels in saved.labels.items():
            self.sink.labels.setdefault(sid, labels)
        self.devices.update({d.id: d for d in saved.devices})
        scheduler.add(list(saved.devices), spread_s=float(min(d.interval_s for d in saved.devices)))
        age = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(saved.saved_ts))
        log.warning(
            "centre unreachable at start: polling the %d devices (%d series) of the "
            "assignment saved at %s: %s",
            len(saved.devices),
            len(saved.series),
            age,
            why,
        )

    def _save_state(self) -> None:
        if self.state is None or self.assignment is None:
            return
        # Every beat calls this; in steady state nothing changed, so nothing is serialised.
        registry = self.site_writer.registry
        mark = (frozenset(self.devices), len(registry), len(self.sink.labels))
        if mark == self._saved_mark:
            return
        try:
            self.state.save_devices(self.devices)
            labels = self.sink.labels
            self.state.save_series(
                (key, sid, labels[sid])
                for key, sid in registry.known()
                if key[0] in self.devices and sid in labels
            )
            self._saved_mark = mark
        except Exception as exc:  # a full disk must not stop collection
            log.warning("site state %s not saved: %s", self.state.path, exc)

    def _beat(self, scheduler: Scheduler) -> None:
        """The collector_heartbeat row every collector writes (desks' silent-collector
        alarm). No spool here: samples wait in vmagent, alarm transitions in the outbox."""
        values: dict[str, Any] = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "shard": self.site_opt.site[:32],
            "started_ts": self._started,
            "last_beat_ts": int(time.time()),
            "devices": len(self.devices),
            "polls_ok": scheduler.polls_ok,
            "polls_failed": scheduler.polls_failed,
        }
        self._write_beat(scheduler, values)

    async def _heartbeat(self, stop: asyncio.Event, scheduler: Scheduler) -> None:
        # The lease beat is this collector's heartbeat; collector_heartbeat is kept too
        # (desks' "silent collector" alarm reads it), but its failure is never fatal.
        while not stop.is_set():
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self._beat, scheduler)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.site_opt.heartbeat_s)

    async def run(self) -> CollectorReport:
        import signal

        stop = asyncio.Event()
        self.stop_event = stop
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
        with contextlib.suppress(Exception):
            publish_config(self.engine, self.config)
        self.writer.start()
        scheduler = Scheduler([], self.drivers, self._sink, max_in_flight=self.opt.max_in_flight)
        log.info("site collector %s starting for site %s", self.collector_id, self.site_opt.site)
        helpers = [
            asyncio.create_task(self._lease_loop(stop, scheduler)),
            asyncio.create_task(self._flusher(stop)),
            asyncio.create_task(self._heartbeat(stop, scheduler)),
            asyncio.create_task(self._requests(stop, scheduler)),
        ]
        if self.opt.duration_s is not None:
            loop.call_later(self.opt.duration_s, stop.set)
        try:
            await scheduler.run(stop)
        finally:
            stop.set()
            await asyncio.gather(*helpers, return_exceptions=True)
            await self._hand_over()
            for driver in self.drivers.values():
                with contextlib.suppress(Exception):
                    await driver.close()
            await asyncio.to_thread(self.writer.inbox.put, None)
            await asyncio.to_thread(self.writer.join)
            # Graceful stop: peers take the racks on their next beat instead of after the TTL.
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.leases.leave)
            if self.state is not None:
                self.state.close()
            self.engine.dispose()
        rep = self.writer.report
        log.info(
            "site collector %s stopped: polls_ok=%d polls_failed=%d samples=%d pending=%d",
            self.collector_id,
            rep.polls_ok,
            rep.polls_failed,
            rep.samples,
            self.sink.push_stats.pending,
        )
        return rep
