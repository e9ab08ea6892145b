"""Power truth: a server's own power against its PDU outlets, failover headroom, and what-if."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from models.rules import PowerTruthRule

# Cross-check verdicts (also the alarm level tracker's "which problem" detail).
OK, MISMATCH, PSU_SINGLE = 0, 1, 2
VERDICT_NAMES = {OK: "ok", MISMATCH: "mismatch", PSU_SINGLE: "one PSU carries all"}
BUCKET_S = 300  # peaks are taken over 5-minute buckets, the store's finest rollup
DAY_S = 86_400
WEEK_S = 7 * DAY_S


def outlet_number(channel: str) -> int | None:
    """The outlet number of an outlet-class channel: its first whole number ("outlet 7 web1").

    Profiles label outlets "outlet {index} {name}" (docs/profiles.md), so the number is the
    first run of digits; the class itself comes from series.channel_class, not from here.
    """
    digits = ""
    for ch in channel:
        if ch.isdigit():
            digits += ch
        elif digits:
            break
    return int(digits) if digits else None


# -- outlet groups -------------------------------------------------------------------------


def group_links(links: Iterable[tuple[int, tuple[int, int]]]) -> dict[int, int]:
    """Servers joined by a shared outlet are one group (a Y-cable, or the lab's wrap-around):
    only their sum can be checked. links: (server id, (pdu id, outlet)); returns server -> group
    (the smallest server id in it)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner: dict[tuple[int, int], int] = {}
    for server, outlet in links:
        parent.setdefault(server, server)
        other = owner.setdefault(outlet, server)
        a, b = find(server), find(other)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {s: find(s) for s in parent}


# -- the cross-check -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    code: int
    server_w: float
    outlet_w: float
    ratio: float  # outlets / server (nan when the server reports nothing)

    @property
    def name(self) -> str:
        return VERDICT_NAMES[self.code]


def check_arrays(
    server_w: npt.NDArray[np.float64],
    outlet_w: npt.NDArray[np.float64],
    min_share: npt.NDArray[np.float64],
    rule: PowerTruthRule,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Verdicts of many groups at once: (codes, ratios).

    server_w: what the servers of a group report; outlet_w: the sum of their outlets;
    min_share: the smallest share one mapped PSU outlet carries of a single-server group
    with two or more PSUs (nan when not applicable). NaN inputs give OK (nothing to judge).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(server_w > 0, outlet_w / server_w, math.nan)
    slack = np.abs(server_w) * rule.tolerance_pct / 100.0 + rule.floor_w
    bad = np.abs(outlet_w - server_w) > slack
    bad &= ~np.isnan(server_w) & ~np.isnan(outlet_w)
    single = (min_share < rule.psu_share_pct / 100.0) & (outlet_w > rule.floor_w)
    single &= ~np.isnan(min_share)
    codes = np.where(bad, MISMATCH, np.where(single, PSU_SINGLE, OK)).astype(np.int64)
    return codes, ratio


def check(server_w: float, outlets_w: Sequence[float], rule: PowerTruthRule) -> Verdict:
    """One server (or group): its own power against the outlets that feed it."""
    total = float(sum(outlets_w))
    share = (
        min(outlets_w) / total if len(outlets_w) >= 2 and total > 0 else math.nan
    )  # a dead PSU leaves its outlet at zero while the other carries everything
    codes, ratio = check_arrays(
        np.array([server_w], dtype=np.float64),
        np.array([total], dtype=np.float64),
        np.array([share], dtype=np.float64),
        rule,
    )
    return Verdict(int(codes[0]), server_w, total, float(ratio[0]))


# -- failover headroom ---------------------------------------------------------------------


def bucket_peak(
    per_feed: Mapping[str, Mapping[int, float]], *, need: Sequence[str] = ("A", "B")
) -> float | None:
    """Peak of the combined load: per 5-minute bucket the feeds' maxima added, then the largest
    bucket. Only buckets where every feed in `need` reported count (half a sum is no peak)."""
    common: set[int] | None = None
    for f in need:
        buckets = set(per_feed.get(f, {}))
        common = buckets if common is None else common & buckets
    if not common:
        return None
    return max(sum(per_feed[f][b] for f in need) for b in common)


@dataclass(frozen=True, slots=True)
class PhaseHeadroom:
    phase: int
    peak_1d_a: float | None  # combined A+B peak current of the phase, last day
    peak_7d_a: float | None  # ... last seven days
    feed_peak_7d_a: dict[str, float]  # each feed's own weekly peak (normal operation)
    limit_a: float  # surviving breaker x limit %

    @property
    def headroom_7d_a(self) -> float | None:
        return None if self.peak_7d_a is None else self.limit_a - self.peak_7d_a

    @property
    def headroom_1d_a(self) -> float | None:
        return None if self.peak_1d_a is None else self.limit_a - self.peak_1d_a


@dataclass(frozen=True, slots=True)
class FeedHeadroom:
    """If feed `lost` fails, feed `survivor` carries every phase's combined load."""

    lost: str
    survivor: str
    breaker_a: float
    phases: list[PhaseHeadroom] = field(default_factory=list)

    @property
    def worst(self) -> PhaseHeadroom | None:
        known = [p for p in self.phases if p.headroom_7d_a is not None]
        return min(known, key=lambda p: p.headroom_7d_a or 0.0) if known else None

    @property
    def survives(self) -> bool | None:
        w = self.worst
        return None if w is None else (w.headroom_7d_a or 0.0) >= 0.0

    @property
    def peak_pct_of_breaker(self) -> float | None:
        """The worst phase's weekly A+B peak as % of the surviving breaker (80 = at the limit)."""
        w = self.worst
        if w is None or w.peak_7d_a is None or self.breaker_a <= 0:
            return None
        return 100.0 * w.peak_7d_a / self.breaker_a

    @property
    def headroom_pct(self) -> float | None:
        """Worst phase's spare capacity as % of the surviving limit (negative: would not hold)."""
        w = self.worst
        if w is None or w.headroom_7d_a is None or w.limit_a <= 0:
            return None
        return 100.0 * w.headroom_7d_a / w.limit_a


def failover_headroom(
    buckets: Mapping[tuple[str, int], Mapping[int, float]],
    breakers: Mapping[str, float],
    now: int,
    rule: PowerTruthRule,
) -> list[FeedHeadroom]:
    """Headroom per lost feed from per-bucket phase currents.

    buckets: (feed, phase) -> {bucket start ts: max current A in that bucket};
    breakers: feed -> breaker A. Needs both feeds; returns one entry per feed that can be lost.
    """
    if not {"A", "B"} <= set(breakers):
        return []
    phases = sorted({p for _, p in buckets})
    out: list[FeedHeadroom] = []
    for lost, survivor in (("A", "B"), ("B", "A")):
        limit = breakers[survivor] * rule.failover_limit_pct / 100.0
        rows: list[PhaseHeadroom] = []
        for p in phases:
            week = {f: dict(buckets.get((f, p), {})) for f in ("A", "B")}
            day = {f: {b: v for b, v in week[f].items() if b >= now - DAY_S} for f in week}
            rows.append(
                PhaseHeadroom(
                    p,
                    bucket_peak(day),
                    bucket_peak(week),
                    {f: max(week[f].values()) for f in week if week[f]},
                    limit,
                )
            )
        out.append(FeedHeadroom(lost, survivor, breakers[survivor], rows))
    return out


# -- what-if -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelPeak:
    model: str
    servers: int  # sample size: servers of the model with a measured peak
    peak_w: float  # 95th percentile (nearest rank) of their weekly peaks
    mean_w: float
    max_w: float


def model_peak(model: str, peaks_w: Sequence[float]) -> ModelPeak | None:
    """The planning figure of a model from its servers' measured weekly peaks (not nameplate):
    the 95th percentile, so one busy outlier neither hides nor dominates."""
    vals = sorted(v for v in peaks_w if not math.isnan(v))
    if not vals:
        return None
    rank = max(1, math.ceil(0.95 * len(vals)))
    return ModelPeak(model, len(vals), vals[rank - 1], sum(vals) / len(vals), vals[-1])


@dataclass(frozen=True, slots=True)
class PhaseWhatIf:
    phase: int
    added_servers: int
    added_a: float  # the added servers' whole current (each feed carries half normally)
    normal_headroom_a: dict[str, float | None]  # per feed, after the addition
    failover_headroom_a: dict[str, float | None]  # per lost feed, after the addition


@dataclass(frozen=True, slots=True)
class WhatIf:
    model: ModelPeak
    count: int
    added_w: float
    phases: list[PhaseWhatIf]

    @property
    def fits(self) -> bool:
        vals = [
            v
            for p in self.phases
            for v in (*p.normal_headroom_a.values(), *p.failover_headroom_a.values())
            if v is not None
        ]
        return bool(vals) and min(vals) >= 0.0


def what_if(
    headroom: Sequence[FeedHeadroom],
    model: ModelPeak,
    count: int,
    voltage_v: float,
    rule: PowerTruthRule,
) -> WhatIf:
    """Add `count` servers of a model: each lands on the phase with the most failover headroom
    left at that moment (greedy, as a technician would patch), half its load on each feed."""
    amps_each = model.peak_w / (voltage_v * rule.power_factor)
    by_lost = {h.lost: h for h in headroom}
    phase_ids = sorted({p.phase for h in headroom for p in h.phases}) or [1]
    added = dict.fromkeys(phase_ids, 0)

    def spare(p: int) -> float:
        vals = []
        for h in headroom:
            for ph in h.phases:
                if ph.phase == p and ph.headroom_7d_a is not None:
                    vals.append(ph.headroom_7d_a - added[p] * amps_each)
        return min(vals) if vals else -math.inf

    for _ in range(count):
        best = max(phase_ids, key=lambda p: (spare(p), -p))
        added[best] += 1
    rows: list[PhaseWhatIf] = []
    for p in phase_ids:
        extra = added[p] * amps_each
        normal: dict[str, float | None] = {}
        failover: dict[str, float | None] = {}
        for lost, h in by_lost.items():
            ph = next((x for x in h.phases if x.phase == p), None)
            if ph is None:
                continue
            survivor = h.survivor
            own = ph.feed_peak_7d_a.get(survivor)
            normal[survivor] = None if own is None else ph.limit_a - own - extra / 2.0
            failover[lost] = None if ph.headroom_7d_a is None else ph.headroom_7d_a - extra
        rows.append(PhaseWhatIf(p, added[p], extra, normal, failover))
    return WhatIf(model, count, model.peak_w * count, rows)
