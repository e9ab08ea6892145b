"""What every read shares: the state ranking, chunked id lists and the clock."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from models import staleness as _staleness

# Worst-last ranking of the states shown everywhere; a parent shows its worst child.
STATES: tuple[str, ...] = ("ok", "unknown", "stale", "warning", "unreachable", "critical")
STATE_RANK: dict[str, int] = {s: i for i, s in enumerate(STATES)}
ALARM_OPEN_STATES = ("active", "acknowledged")
# A device whose last good poll is older than this many poll intervals shows as stale; the rule
# has one owner (models.staleness), re-exported for the readers that import it from here.
STALE_INTERVALS = _staleness.STALE_INTERVALS
# ASHRAE recommended / allowable A1 upper bounds, used when a series has no own thresholds.
INLET_WARN_C = 27.0
INLET_CRIT_C = 32.0
TOTAL_CHANNELS = ("", "total", "input", "inlet")
# Power channel names differ per profile: "total", "input", "inlet I1", "cord A" are a whole
# device; "outlet 3 web01" is one outlet; anything else ("phase 1", "input L2") is a part
# that sums to the whole when no total is reported.
_TOTAL_PREFIXES = ("inlet", "cord")


def is_total_channel(channel: str) -> bool:
    c = channel.strip().lower()
    return c in TOTAL_CHANNELS or c.startswith(_TOTAL_PREFIXES)


def is_outlet_channel(channel: str) -> bool:
    return channel.strip().lower().startswith("outlet")


_TOTAL_SQL = (
    "(lower(s.channel) IN ('', 'total', 'input', 'inlet') OR lower(s.channel) LIKE 'inlet%' "
    "OR lower(s.channel) LIKE 'cord%')"
)
_OUTLET_SQL = "lower(s.channel) LIKE 'outlet%'"
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
