"""Asyncio poll scheduler: per-device intervals with jitter, bounded concurrency, backoff."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from models.inventory.device_specs import DeviceSpec
from monitors.collection.readings import PollResult

log = logging.getLogger("rackwatch.scheduler")

MAX_BACKOFF_S = 300.0
OVERLOAD_WINDOW_S = 30.0
OVERLOAD_LATE_SHARE = 0.05


class Driver(Protocol):
    """One protocol's poller; poll() must return a PollResult and never raise."""

    async def poll(self, device: DeviceSpec) -> PollResult: ...

    async def close(self) -> None: ...


Sink = Callable[[PollResult], Awaitable[None]]


@dataclass(slots=True)
class _Job:
    device: DeviceSpec
    failures: int = 0
    focus_interval: float | None = None
    focus_until: float = 0.0
    running: bool = False
    polls: int = 0

    def interval(self, now: float) -> float:
        if self.focus_interval is not None and now < self.focus_until:
            return min(self.focus_interval, float(self.device.interval_s))
        return float(self.device.interval_s)


class Scheduler:
    """Polls every device at its interval; a dead device costs only its own timeout.

    At most `max_in_flight` polls run at once across all devices (more than about 50
    requests in flight on one UDP socket overflow the receive buffer, see DESIGN.md).
    """

    def __init__(
        self,
        devices: Iterable[DeviceSpec],
        drivers: Mapping[str, Driver],
        sink: Sink,
        *,
        max_in_flight: int = 48,
        hard_timeout_s: float = 60.0,
        rng: random.Random | None = None,
    ) -> None:
        self.drivers = drivers
        self.sink = sink
        self.hard_timeout_s = hard_timeout_s
        self._rng = rng or random.Random()
        self._jobs: dict[int, _Job] = {d.id: _Job(d) for d in devices}
        self._heap: list[tuple[float, int, int]] = []
        self._counter = 0
        self._sem = asyncio.Semaphore(max_in_flight)
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.polls_ok = 0
        self.polls_failed = 0
        # Lateness of poll starts, in windows of OVERLOAD_WINDOW_S: a collector that cannot
        # keep its schedule says so (heartbeat health, log) instead of letting data go stale.
        self._window_started = time.monotonic()
        self._window_polls = 0
        self._window_late = 0
        self._window_lag = 0.0
        self.overloaded: str | None = None

    @property
    def device_count(self) -> int:
        return len(self._jobs)

    def _push(self, due: float, device_id: int) -> None:
        self._counter += 1
        heapq.heappush(self._heap, (due, self._counter, device_id))

    def poll_now(self, device_ids: Iterable[int]) -> int:
        """Make devices due immediately; returns how many of them this scheduler owns."""
        now = time.monotonic()
        n = 0
        for did in device_ids:
            job = self._jobs.get(did)
            if job is not None:
                self._push(now, did)
                n += 1
        self._wake.set()
        return n

    def focus(self, device_ids: Iterable[int], interval_s: float, until_wall: float) -> int:
        """Poll devices at a faster interval until the wall-clock time until_wall."""
        now = time.monotonic()
        until = now + max(0.0, until_wall - time.time())
        n = 0
        for did in device_ids:
            job = self._jobs.get(did)
            if job is not None:
                job.focus_interval = interval_s
                job.focus_until = until
                self._push(now, did)
                n += 1
        self._wake.set()
        return n

    def add(self, devices: Iterable[DeviceSpec], *, spread_s: float = 0.0) -> int:
        """Start polling devices (a lease gained); first polls within spread_s. Returns added."""
        now = time.monotonic()
        n = 0
        for d in devices:
            if d.id in self._jobs:
                continue
            self._jobs[d.id] = _Job(d)
            self._push(now + (self._rng.uniform(0, spread_s) if spread_s > 0 else 0.0), d.id)
            n += 1
        self._wake.set()
        return n

    def remove(self, device_ids: Iterable[int]) -> int:
        """Stop polling devices (a lease given back or lost); a poll in flight still lands."""
        return sum(1 for did in device_ids if self._jobs.pop(did, None) is not None)

    def device_ids(self) -> set[int]:
        return set(self._jobs)

    async def run(self, stop: asyncio.Event, *, once: bool = False) -> None:
        """Run until stop is set (or, with once, until every device was polled once)."""
        now = time.monotonic()
        for did, job in self._jobs.items():
            # Spread first polls over one interval so a restart does not burst every device.
            offset = 0.0 if once else self._rng.uniform(0, job.interval(now))
            self._push(now + offset, did)
        pending_once = set(self._jobs) if once else set()
        while not stop.is_set():
            if once and not pending_once and not self._tasks:
                break
            now = time.monotonic()
            while self._heap and self._heap[0][0] <= now and not stop.is_set():
                due, _, did = heapq.heappop(self._heap)
                found = self._jobs.get(did)
                if found is None:  # removed (its lease moved to another collector)
                    continue
                job = found
                if job.running:
                    continue
                if once:
                    if did not in pending_once:
                        continue
                    pending_once.discard(did)
                await self._sem.acquire()
                self._note_start(job, due)
                job.running = True
                task = asyncio.create_task(self._poll(job, once))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            delay = (self._heap[0][0] - time.monotonic()) if self._heap else 1.0
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(0.0, min(delay, 1.0)))
            if once and not pending_once and self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _note_start(self, job: _Job, due: float) -> None:
        now = time.monotonic()
        lag = now - due
        self._window_polls += 1
        # Late means a poll started later than a fifth of its interval (and at least 1 s).
        if lag > max(1.0, job.interval(now) / 5):
            self._window_late += 1
        self._window_lag = max(self._window_lag, lag)
        if now - self._window_started >= OVERLOAD_WINDOW_S:
            polls, late = self._window_polls, self._window_late
            was = self.overloaded
            if polls and late / polls > OVERLOAD_LATE_SHARE:
                self.overloaded = (
                    f"collector overloaded: {late} of {polls} polls started late in the last "
                    f"{now - self._window_started:.0f} s (up to {self._window_lag:.1f} s); "
                    "add a collector process (--workers) or lengthen intervals"
                )
                log.warning("%s", self.overloaded)
            else:
                self.overloaded = None
                if was is not None:
                    log.warning("collector keeps its schedule again")
            self._window_started = now
            self._window_polls = self._window_late = 0
            self._window_lag = 0.0

    def overload_detail(self) -> str | None:
        """Why the schedule is not kept (None when it is)."""
        return self.overloaded

    async def _poll(self, job: _Job, once: bool) -> None:
        device = job.device
        started = time.monotonic()
        try:
            result = await self._call_driver(device)
        finally:
            self._sem.release()
        job.running = False
        job.polls += 1
        if result.ok:
            job.failures = 0
            self.polls_ok += 1
        else:
            job.failures += 1
            self.polls_failed += 1
        try:
            await self.sink(result)
        except Exception:  # the sink is ours; still never let one result kill the loop
            log.exception("result sink failed for %s", device.label)
        if not once and self._jobs.get(device.id) is job:
            interval = job.interval(time.monotonic())
            if job.failures:
                # Back off a dead device, but never below its own interval.
                cap = max(MAX_BACKOFF_S, interval)
                interval = min(interval * 2 ** min(job.failures - 1, 8), cap)
            self._push(started + interval, device.id)
            self._wake.set()

    async def _call_driver(self, device: DeviceSpec) -> PollResult:
        ts = int(time.time())
        driver = self.drivers.get(device.protocol)
        if driver is None:
            return PollResult(
                device.id,
                ts,
                False,
                error=f"{device.label}: no driver for protocol {device.protocol!r}",
                error_kind="config",
            )
        try:
            return await asyncio.wait_for(driver.poll(device), timeout=self.hard_timeout_s)
        except TimeoutError:
            return PollResult(
                device.id,
                ts,
                False,
                error=f"{device.label}: poll did not finish within {self.hard_timeout_s:.0f} s",
                error_kind="unreachable",
            )
        except Exception as exc:  # a driver bug must cost one device, not the collector
            log.exception("driver %s crashed on %s", device.protocol, device.label)
            return PollResult(
                device.id,
                ts,
                False,
                error=f"{device.label}: internal error: {type(exc).__name__}: {exc}",
                error_kind="internal",
            )
