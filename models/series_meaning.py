"""What a series means: channel class, role, effective limits and stale horizon, decided once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from models import staleness
from models.rules import Levels, Rules
from models.vocabulary import CHANNEL_CLASSES

# Metrics that describe electrical load: their channel says which part of the PDU is measured.
ELECTRICAL = frozenset(
    {
        "power_w",
        "apparent_power_va",
        "energy_kwh",
        "current_a",
        "voltage_v",
        "power_factor",
        "frequency_hz",
    }
)
# Which rule watches a series' own value ("" = none).
RULE_NONE, RULE_TEMP, RULE_HUM, RULE_PHASE, RULE_DEVLIM = (
    "",
    "temperature",
    "humidity",
    "phase_current",
    "device_limit",
)

Limits = tuple[float | None, float | None, float | None, float | None]  # wl, wh, cl, ch


@dataclass(frozen=True, slots=True)
class Feed:
    """The feed a PDU hangs on, as far as its per-phase current limits need it."""

    breaker_a: float
    phases: int


@dataclass(frozen=True, slots=True)
class Meaning:
    channel_class: str
    role: str | None
    phase: int | None  # 1..3 for a phase channel (or a single-phase total current)
    rule: str  # RULE_* above
    levels: Levels  # effective levels and hysteresis
    limits_source: str | None  # device | rules | override | None (not watched)
    interval_s: int
    stale_after_s: int

    @property
    def limits(self) -> Limits:
        lv = self.levels
        return (lv.low_warning, lv.warning, lv.low_critical, lv.critical)


def channel_class(metric: str, channel: str, declared: str | None, rules: Rules) -> str:
    """The profile's or driver's class when it says; else the rules' label patterns."""
    if declared in CHANNEL_CLASSES:
        return str(declared)
    if metric not in ELECTRICAL:
        return "part"
    c = channel.strip()
    if any(p.search(c) for p in rules.outlet_channel):
        return "outlet"
    if any(p.search(c) for p in rules.not_phase_channel):
        return "branch"
    if rules.phase_of(c) is not None:
        return "phase"
    if any(p.search(c) for p in rules.total_channel):
        return "total"
    # Anything else is one part of the device: a PSU, a sensor, a component.
    return "part"


def phase_number(channel: str, cls: str, rules: Rules, feed_phases: int | None) -> int | None:
    """Phase (1..3) of a phase channel; a single-phase PDU's total is its only phase."""
    phases = max(1, feed_phases or 1)
    if cls == "phase":
        n = rules.phase_of(channel, ignore_exclusions=True)
        if n is None:
            return 1 if phases <= 1 else None
        return n if n <= phases else None
    if cls == "total" and phases <= 1:
        return 1
    return None


def _stricter_high(a: float | None, b: float | None) -> float | None:
    vals = [v for v in (a, b) if v is not None]
    return min(vals) if vals else None


def _stricter_low(a: float | None, b: float | None) -> float | None:
    vals = [v for v in (a, b) if v is not None]
    return max(vals) if vals else None


def sane_device_limits(metric: str, limits: Limits, rules: Rules) -> Limits:
    """The device's own limits when the rules use them and they make sense, else all None."""
    if not rules.device_limits_enabled or metric not in rules.device_limits_metrics:
        return (None, None, None, None)
    wl, wh, cl, ch = (
        None if v is None or (v == 0 and rules.device_limits_ignore_zero) else float(v)
        for v in limits
    )
    # A high limit below a low one is a misread table, not a policy.
    lows = [v for v in (wl, cl) if v is not None]
    highs = [v for v in (wh, ch) if v is not None]
    if lows and highs and min(highs) <= max(lows):
        return (None, None, None, None)
    return (wl, wh, cl, ch)


def rule_levels(
    metric: str, role: str | None, phase: int | None, kind: str, feed: Feed | None, rules: Rules
) -> tuple[str, Levels | None, frozenset[str]]:
    """The rule that watches this series, its default levels and the levels an operator set."""
    if metric == "temperature_c":
        key = role or ""
        return (
            RULE_TEMP,
            rules.temperature.get(key),
            rules.overridden_levels(f"temperature.roles.{key}"),
        )
    if metric == "humidity_pct":
        return RULE_HUM, rules.humidity, rules.overridden_levels("humidity")
    if metric == "current_a" and kind == "pdu" and phase is not None and feed is not None:
        lv = rules.phase_current_levels(feed.breaker_a)
        over = rules.overridden_levels("phase_current")
        return RULE_PHASE, lv, frozenset({"warning", "critical"}) if over else frozenset()
    return RULE_NONE, None, frozenset()


def effective_levels(
    metric: str,
    role: str | None,
    phase: int | None,
    kind: str,
    feed: Feed | None,
    device_limits: Limits,
    rules: Rules,
) -> tuple[str, Levels, str | None]:
    """(rule, levels, source): the stricter of the rule's and the device's levels, then what
    an operator set in the rules file, which wins over both."""
    wl, wh, cl, ch = sane_device_limits(metric, device_limits, rules)
    has_dev = any(v is not None for v in (wl, wh, cl, ch))
    code, base, over = rule_levels(metric, role, phase, kind, feed, rules)
    if base is None or not base.any():
        if not has_dev:
            return RULE_NONE, Levels(), None
        mag = max(abs(v) for v in (wl, wh, cl, ch) if v is not None)
        hyst = mag * rules.device_limits_hysteresis_pct / 100.0
        return RULE_DEVLIM, Levels(wh, ch, wl, cl, hyst), "device"
    if not has_dev:
        return code, base, "override" if over else "rules"
    merged = Levels(
        base.warning if "warning" in over else _stricter_high(base.warning, wh),
        base.critical if "critical" in over else _stricter_high(base.critical, ch),
        base.low_warning if "low_warning" in over else _stricter_low(base.low_warning, wl),
        base.low_critical if "low_critical" in over else _stricter_low(base.low_critical, cl),
        base.hysteresis,
    )
    if merged != base:
        return code, merged, "device"
    return code, merged, "override" if over else "rules"


def decide(
    *,
    metric: str,
    channel: str,
    role: str | None,
    declared_class: str | None,
    kind: str,
    interval_s: int,
    device_limits: Limits = (None, None, None, None),
    feed: Feed | None = None,
    rules: Rules,
) -> Meaning:
    """Everything the desks, the alarm engine and the report need to know about one series."""
    cls = channel_class(metric, channel, declared_class, rules)
    role = rules.temperature_role(role, channel) if metric == "temperature_c" else role or None
    phase = phase_number(channel, cls, rules, feed.phases if feed else None)
    if metric != "current_a" or kind != "pdu":
        phase = phase if cls == "phase" else None
    code, levels, source = effective_levels(metric, role, phase, kind, feed, device_limits, rules)
    interval = max(1, int(interval_s))
    return Meaning(
        channel_class=cls,
        role=role,
        phase=phase,
        rule=code,
        levels=levels,
        limits_source=source,
        interval_s=interval,
        # The one stale rule (models.staleness: two intervals), which every desk shows;
        # the `stale` alarm waits longer (rules.stale_intervals) before it calls anyone.
        stale_after_s=int(staleness.stale_after(None, interval, interval)),
    )


# -- what a device and a rack draw ---------------------------------------------------------------

T = TypeVar("T")


def device_power(kind: str, series: Sequence[tuple[T, str]]) -> list[T]:
    """Which of a device's power series (item, channel class) sum to its whole draw.

    Its totals (a PDU with two inlets or cords has two), else its phases; outlets and
    branches are never added. A server or probe without either sums its parts (PSUs).
    """
    totals = [s for s, c in series if c == "total"]
    if totals:
        return totals
    phases = [s for s, c in series if c == "phase"]
    if phases:
        return phases
    if kind != "pdu":
        return [s for s, c in series if c == "part"]
    return []
