"""What every read shares: the state ranking, chunked id lists and the clock."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

# Worst-last ranking of the states shown everywhere; a parent shows its worst child.
STATES: tuple[str, ...] = ("ok", "unknown", "stale", "warning", "unreachable", "critical")
STATE_RANK: dict[str, int] = {s: i for i, s in enumerate(STATES)}
ALARM_OPEN_STATES = ("active", "acknowledged")
# What a series means (channel class, role, limits, stale horizon) is in its series row,
# decided by the collector (models.series_meaning); reads never re-derive it from labels.
# Per device: its whole power is its total channels, else its phases; a server or probe
# without either sums its parts. Outlets and branches are never added (series_meaning).
_DEVICE_POWER_SQL = (
    "COALESCE(sum(CASE WHEN s.metric = 'power_w' AND s.channel_class = 'total' THEN l.value END), "
    "sum(CASE WHEN s.metric = 'power_w' AND s.channel_class = 'phase' THEN l.value END), "
    "CASE WHEN d.kind <> 'pdu' THEN sum(CASE WHEN s.metric = 'power_w' "
    "AND s.channel_class = 'part' THEN l.value END) END)"
)
_CHUNK = 900

IntArray = npt.NDArray[np.int64]


def worst(a: str, b: str) -> str:
    """The worse of two states."""
    return a if STATE_RANK.get(a, 0) >= STATE_RANK.get(b, 0) else b


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else int(now)


def _chunks(items: Sequence[int], size: int = _CHUNK) -> Iterable[list[int]]:
    for i in range(0, len(items), size):
        yield [int(x) for x in items[i : i + size]]
