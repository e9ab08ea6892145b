"""Logs device failures like Home Assistant's coordinator: once at the start, once on recovery."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Failing:
    since_ts: int
    kind: str | None
    error: str | None
    polls: int = 1


@dataclass(slots=True)
class PollLog:
    """Remembers which devices are failing and which problems were already reported."""

    log: logging.Logger
    failing: dict[str, _Failing] = field(default_factory=dict)
    problems: dict[str, frozenset[str]] = field(default_factory=dict)
    # The writer thread records, the collector's loop reads the summary.
    lock: threading.Lock = field(default_factory=threading.Lock)

    def failed(self, device: str, ts: int, kind: str | None, error: str | None) -> None:
        with self.lock:
            self._failed(device, ts, kind, error)

    def _failed(self, device: str, ts: int, kind: str | None, error: str | None) -> None:
        state = self.failing.get(device)
        if state is None:
            self.failing[device] = _Failing(ts, kind, error)
            self.log.warning("device %s failing: %s (%s)", device, error, kind)
            return
        state.polls += 1
        if kind != state.kind:
            # A different failure family (timeout became auth error) is news; the same one is not.
            self.log.warning("device %s still failing, now: %s (%s)", device, error, kind)
            state.kind, state.error = kind, error

    def succeeded(self, device: str, ts: int) -> None:
        with self.lock:
            state = self.failing.pop(device, None)
        if state is not None:
            self.log.info(
                "device %s recovered after %d failed polls over %d s",
                device,
                state.polls,
                max(0, ts - state.since_ts),
            )

    def saw_problems(self, device: str, problems: tuple[str, ...] | list[str]) -> None:
        now = frozenset(problems)
        before = self.problems.get(device, frozenset())
        for problem in sorted(now - before)[:5]:
            self.log.info("device %s problem: %s", device, problem)
        if now:
            self.problems[device] = now
        else:
            self.problems.pop(device, None)

    def failing_count(self) -> int:
        with self.lock:
            return len(self.failing)

    def summary(self) -> str:
        """The failing devices, worst first, for the periodic summary line."""
        with self.lock:
            worst = sorted(self.failing.items(), key=lambda kv: -kv[1].polls)[:10]
        return ", ".join(f"{name}={s.polls} ({s.kind})" for name, s in worst)
