"""What the report counts as a rack's power and an inlet's limits (stand-in until issue 9)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

# STAND-IN (issue 9): series.channel_class and the effective limits are written by the
# collector once models/series_meaning.py lands. Until every series has them, the report falls
# back to the label rule and the defaults the rack view uses; this module is the only place the
# report decides either, so switching to the series meaning is a change here alone.
from models.read.common import INLET_CRIT_C, INLET_WARN_C, is_outlet_channel, is_total_channel


class SeriesLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def device_id(self) -> int: ...
    @property
    def metric(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def channel_class(self) -> str | None: ...
    @property
    def warn_high(self) -> float | None: ...
    @property
    def crit_high(self) -> float | None: ...


def channel_class(s: SeriesLike) -> str:
    """series.channel_class when the collector wrote it, else the label rule's answer."""
    if s.channel_class:
        return s.channel_class
    if is_total_channel(s.channel):
        return "total"
    return "outlet" if is_outlet_channel(s.channel) else "part"


def device_power_series(series: Sequence[SeriesLike]) -> list[SeriesLike]:
    """The power_w series whose sum is one device's power, counted once.

    One total per device: a PDU that reports the same whole under two names (APC's legacy
    "total" and rPDU2 "device 1") or a cord next to its phases (ServerTech) must not add them.
    Without a total, the phases / branches (never outlets, which are parts of those).
    """
    power = sorted((s for s in series if s.metric == "power_w"), key=lambda s: s.channel)
    totals = [s for s in power if channel_class(s) == "total"]
    if totals:
        return totals[:1]
    phases = [s for s in power if channel_class(s) == "phase"]
    if phases:
        return phases
    return [s for s in power if channel_class(s) not in ("outlet", "total")]


def rack_power_series(
    series: Iterable[SeriesLike], device_kind: dict[int, str]
) -> list[SeriesLike]:
    """The series whose sum at one instant is the rack's power: each PDU's total, else (a
    rack without metered PDUs) each server's."""
    by_dev: dict[int, list[SeriesLike]] = {}
    for s in series:
        if s.metric == "power_w":
            by_dev.setdefault(s.device_id, []).append(s)
    pdus = [d for d in by_dev if device_kind.get(d) == "pdu"]
    use = pdus or list(by_dev)
    return [s for d in sorted(use) for s in device_power_series(by_dev[d])]


def inlet_limits(series: Iterable[SeriesLike]) -> tuple[float, float]:
    """(warning, critical) upper inlet limits of a rack: the lowest effective ones among its
    inlet series (the defaults when a series has none)."""
    warn = [s.warn_high for s in series if s.warn_high is not None]
    crit = [s.crit_high for s in series if s.crit_high is not None]
    return (min(warn) if warn else INLET_WARN_C, min(crit) if crit else INLET_CRIT_C)
