"""The one stale rule: when a series, a device, a collector or the whole feed counts as stale."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from models.rules import current_rules

# How often a collector writes its heartbeat row; it misses two before it counts as dead
# (plus a second, since beat times are whole seconds and a beat write takes a moment).
HEARTBEAT_S = 5
HEARTBEAT_MISSES = 2
DEFAULT_INTERVAL_S = 60


def stale_intervals() -> int:
    """Intervals without a sample after which data is stale (`stale.shown_after_intervals`)."""
    return current_rules().stale_shown_intervals


def stale_after(
    stale_after_s: float | None, interval_s: float | None, poll_interval_s: float | None
) -> float:
    """Seconds without a sample after which a series is stale.

    The series' own horizon when the collector wrote one (models.series_meaning), else two of
    its expected intervals, else two of its device's poll interval.
    """
    if stale_after_s:
        return float(stale_after_s)
    interval = interval_s or poll_interval_s or DEFAULT_INTERVAL_S
    return float(stale_intervals() * interval)


def stale_after_sql(series: str = "s", device: str = "d") -> str:
    """stale_after() as an SQL expression over a series and its device (for desk reads)."""
    return (
        f"COALESCE({series}.stale_after_s, {stale_intervals()} * "
        f"COALESCE({series}.interval_s, {device}.poll_interval_s, {DEFAULT_INTERVAL_S}))"
    )


def device_stale_sql(device: str = "d") -> str:
    """Seconds after a device's last good poll at which it shows as stale."""
    return f"{stale_intervals()} * {device}.poll_interval_s"


def collector_dead_after(heartbeat_s: float = HEARTBEAT_S) -> int:
    """Seconds since a collector's last heartbeat after which it counts as dead."""
    return int(HEARTBEAT_MISSES * heartbeat_s + 1)


@dataclass(frozen=True, slots=True)
class Beat:
    """One collector_heartbeat row, as the liveness rule needs it."""

    collector_id: str
    host: str
    shard: str
    started_ts: int
    last_beat_ts: int


def current_collectors(beats: Iterable[Beat]) -> list[Beat]:
    """Collectors that count: per host and shard only the newest started one.

    A collector restarted on the same host and shard gets a new id (it carries the pid); its
    predecessor's row is history, not a second collector that is down.
    """
    newest: dict[tuple[str, str], Beat] = {}
    for b in beats:
        cur = newest.get((b.host, b.shard))
        if cur is None or (b.started_ts, b.last_beat_ts) > (cur.started_ts, cur.last_beat_ts):
            newest[(b.host, b.shard)] = b
    return sorted(newest.values(), key=lambda b: b.collector_id)


def is_alive(beat: Beat, now: float) -> bool:
    return now - beat.last_beat_ts <= collector_dead_after()


@dataclass(frozen=True, slots=True)
class FeedState:
    """Whether what the desks show is live, and if not since when."""

    stale: bool
    since_ts: int | None  # newest heartbeat or sample, whichever stopped first
    newest_sample_ts: int | None
    last_beat_ts: int | None
    reason: str  # "", "collectors", "samples", "none"


def feed_state(
    now: float,
    last_beat_ts: int | None,
    collectors_alive: int,
    collectors_total: int,
    newest_sample_ts: int | None,
    interval_s: float | None,
) -> FeedState:
    """The banner rule: stale when no collector is alive or no sample came for two intervals.

    interval_s is the shortest poll interval of the polled devices: if even those have
    nothing new for two intervals, nothing is arriving.
    """
    limit = stale_intervals() * (interval_s or DEFAULT_INTERVAL_S)
    if collectors_total == 0 and newest_sample_ts is None:
        return FeedState(False, None, None, last_beat_ts, "none")
    if collectors_total and collectors_alive == 0:
        since = last_beat_ts
        if newest_sample_ts is not None and since is not None:
            since = min(since, newest_sample_ts)
        return FeedState(True, since, newest_sample_ts, last_beat_ts, "collectors")
    if newest_sample_ts is None:
        # Collectors alive and nothing written yet: starting up, not stale.
        return FeedState(False, None, None, last_beat_ts, "none")
    if now - newest_sample_ts > limit:
        return FeedState(True, newest_sample_ts, newest_sample_ts, last_beat_ts, "samples")
    return FeedState(False, None, newest_sample_ts, last_beat_ts, "")
