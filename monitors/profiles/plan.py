"""Poll plans: the concrete OIDs of one device with their scaling, and the fast pure decoder."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from monitors.collection.readings import Reading
from monitors.snmp.values import SnmpValue

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
PLAN_FORMAT = 2  # 2: signed_bits, skip_below/above, channel_class


def parse_number(raw: SnmpValue) -> float | None:
    """Numeric value of an SNMP value: integers as is, text by its first number, else None."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    text = str(raw).strip()
    try:
        value = float(text)
    except ValueError:
        m = _NUMBER.search(text)
        if m is None:
            return None
        value = float(m.group(0))
    return value if math.isfinite(value) else None


def unwrap(number: float, bits: int) -> float:
    """Undo an agent's two's-complement wrap: with bits=32, 4294944255 becomes -23041."""
    if bits and number.is_integer():
        span = float(1 << bits)
        if span / 2 <= number < span:
            return number - span
    return number


def is_sentinel(
    number: float, values: tuple[float, ...], below: float | None, above: float | None
) -> bool:
    """Whether a raw number means "not available": one of values, or outside [below, above]."""
    return (
        number in values
        or (below is not None and number < below)
        or (above is not None and number > above)
    )


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One reading of a poll plan: where it comes from and how raw becomes SI."""

    oid: str
    metric: str
    channel: str
    unit: str
    scale: float = 1.0  # multiplier / divisor, already folded
    fahrenheit: bool = False
    skip: tuple[float, ...] = ()  # raw sentinel values meaning "no probe"
    role: str | None = None
    warn_low: float | None = None
    warn_high: float | None = None
    crit_low: float | None = None
    crit_high: float | None = None
    signed_bits: int = 0  # see unwrap()
    skip_below: float | None = None
    skip_above: float | None = None
    channel_class: str | None = None
    plausible: tuple[float, float] | None = None


class Decoded(NamedTuple):
    readings: list[Reading]
    problems: list[str]


@dataclass(slots=True)
class PollPlan:
    """What to GET from one device and how to turn the answers into Readings.

    Built once by discovery (cacheable, see to_json/from_json), then used for every poll:
    ``values = await client.get(target, plan.oids)``; ``plan.decode(values)``.
    """

    profile: str
    items: tuple[PlanItem, ...]
    oids: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # what discovery could not use (shown by probe, logged)
    _pos: tuple[int, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        order: dict[str, int] = {}
        for item in self.items:
            order.setdefault(item.oid, len(order))
        self.oids = tuple(order)
        self._pos = tuple(order[item.oid] for item in self.items)

    @property
    def empty(self) -> bool:
        """Discovery found nothing to read: the profile matched but the device gives no data."""
        return not self.items

    def empty_reason(self) -> str:
        """Operator-facing reason for an empty plan ('' when the plan has items)."""
        if self.items:
            return ""
        why = f"; first problem: {self.problems[0]}" if self.problems else ""
        return f"profile {self.profile} matched but found nothing to read{why}"

    def decode(self, values: Sequence[SnmpValue]) -> Decoded:
        """Turn values aligned with self.oids into Readings (pure, no I/O, never raises)."""
        readings: list[Reading] = []
        problems: list[str] = []
        if len(values) != len(self.oids):
            return Decoded(readings, [f"expected {len(self.oids)} values, got {len(values)}"])
        for item, pos in zip(self.items, self._pos, strict=True):
            raw = values[pos]
            if raw is None:
                problems.append(f"{item.metric} {item.channel}: no value at {item.oid}")
                continue
            if isinstance(raw, int):  # the common case, kept short on purpose
                number: float | None = float(raw)
            else:
                number = parse_number(raw)
                if number is None:
                    problems.append(
                        f"{item.metric} {item.channel}: not a number at {item.oid}: {raw!r:.40}"
                    )
                    continue
            assert number is not None
            if item.signed_bits:
                number = unwrap(number, item.signed_bits)
            if item.skip and number in item.skip:
                continue
            if (item.skip_below is not None and number < item.skip_below) or (
                item.skip_above is not None and number > item.skip_above
            ):
                continue
            value = number * item.scale
            if item.fahrenheit:
                value = (value - 32.0) * 5.0 / 9.0
            readings.append(
                Reading(
                    item.metric,
                    item.channel,
                    value,
                    item.unit,
                    item.role,
                    item.oid,
                    str(raw),
                    item.warn_low,
                    item.warn_high,
                    item.crit_low,
                    item.crit_high,
                    item.channel_class,
                    item.plausible,
                )
            )
        return Decoded(readings, problems)

    def to_json(self) -> str:
        """Serialise for a per-device cache; from_json() restores an equal plan."""
        return json.dumps(
            {
                "format": PLAN_FORMAT,
                "profile": self.profile,
                "problems": list(self.problems),
                "items": [asdict(i) for i in self.items],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> PollPlan:
        """Restore a cached plan; raises ValueError on a foreign or damaged cache entry."""
        try:
            data: dict[str, Any] = json.loads(text)
            if data.get("format") != PLAN_FORMAT:
                raise ValueError(f"plan format {data.get('format')!r} is not {PLAN_FORMAT}")
            items = tuple(
                PlanItem(
                    **{
                        **i,
                        "skip": tuple(i.get("skip", ())),
                        "plausible": tuple(i["plausible"]) if i.get("plausible") else None,
                    }
                )
                for i in data["items"]
            )
            return cls(str(data["profile"]), items, problems=tuple(data.get("problems", ())))
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"damaged poll plan cache: {exc}") from None
