"""Vectorised alarm state: levels with consecutive-sample counting, and trend forecasts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
LevelArray = npt.NDArray[np.int8]
CountArray = npt.NDArray[np.int32]
# Trend samples are kept compact (int32 seconds from this base, float32 values): a forecast
# slot per inlet sensor of a large site adds up.
TS_BASE = 1_600_000_000

NONE, WARNING, CRITICAL = 0, 1, 2
SEVERITY_NAME = {WARNING: "warning", CRITICAL: "critical"}
SEVERITY_LEVEL = {"warning": WARNING, "critical": CRITICAL}
# A metadata reload may take at most this share of the engine's time: a small site reloads
# within a second of a new series (its alarms start judging it at once), the pilot zone's
# multi-second reloads stay spaced by their ceiling.
RELOAD_SHARE = 0.05
RELOAD_FLOOR_S = 0.5


def reload_gap(cost_s: float, ceiling_s: float) -> float:
    """Seconds to wait after a reload that took `cost_s` before the next one."""
    return min(ceiling_s, max(RELOAD_FLOOR_S, cost_s / RELOAD_SHARE))


class LevelTracker:
    """Current level (0 none, 1 warning, 2 critical) of many conditions in dense arrays.

    A condition moves up only after `raise_after` consecutive candidates above its level
    (to the lowest level that whole run reached) and down only after `clear_after`
    consecutive candidates below it (to the highest level of that run), so a value that
    flaps across a threshold never moves it. Hysteresis is applied by the caller when it
    computes candidates, since it depends on the quantity.
    """

    def __init__(self, raise_after: int, clear_after: int, size: int = 0) -> None:
        self.raise_after = max(1, int(raise_after))
        self.clear_after = max(1, int(clear_after))
        self.level: LevelArray = np.zeros(0, dtype=np.int8)
        self.run_up: CountArray = np.zeros(0, dtype=np.int32)
        self.up_min: LevelArray = np.zeros(0, dtype=np.int8)
        self.run_down: CountArray = np.zeros(0, dtype=np.int32)
        self.down_max: LevelArray = np.zeros(0, dtype=np.int8)
        self.grow(size)

    def __len__(self) -> int:
        return len(self.level)

    def grow(self, size: int) -> None:
        old = len(self.level)
        if size <= old:
            return
        extra = max(size, old * 2) - old
        self.level = np.concatenate((self.level, np.zeros(extra, dtype=np.int8)))
        self.run_up = np.concatenate((self.run_up, np.zeros(extra, dtype=np.int32)))
        self.up_min = np.concatenate((self.up_min, np.zeros(extra, dtype=np.int8)))
        self.run_down = np.concatenate((self.run_down, np.zeros(extra, dtype=np.int32)))
        self.down_max = np.concatenate((self.down_max, np.zeros(extra, dtype=np.int8)))

    def update(self, idx: IntArray, cand: LevelArray) -> tuple[IntArray, LevelArray, LevelArray]:
        """Feed one candidate per index (indices unique); returns (changed, old, new) levels."""
        cur = self.level[idx]
        up = cand > cur
        down = cand < cur
        ru = self.run_up[idx]
        rd = self.run_down[idx]
        um = np.where(up & (ru > 0), np.minimum(self.up_min[idx], cand), cand).astype(np.int8)
        dm = np.where(down & (rd > 0), np.maximum(self.down_max[idx], cand), cand).astype(np.int8)
        ru = np.where(up, ru + 1, 0)
        rd = np.where(down, rd + 1, 0)
        go_up = up & (ru >= self.raise_after)
        go_down = down & (rd >= self.clear_after)
        new = np.where(go_up, um, np.where(go_down, dm, cur)).astype(np.int8)
        moved = go_up | go_down
        ru[moved] = 0
        rd[moved] = 0
        self.level[idx] = new
        self.run_up[idx] = ru
        self.up_min[idx] = um
        self.run_down[idx] = rd
        self.down_max[idx] = dm
        changed = np.flatnonzero(moved)
        return idx[changed], cur[changed], new[changed]

    def seed(self, idx: int, level: int, run_up: int = 0) -> None:
        """Set a known level (an alarm already open in the database) or a pending run."""
        self.grow(idx + 1)
        self.level[idx] = level
        self.run_up[idx] = run_up
        self.up_min[idx] = level


def threshold_candidates(
    value: FloatArray,
    cur: LevelArray,
    warn_hi: FloatArray,
    crit_hi: FloatArray,
    warn_lo: FloatArray,
    crit_lo: FloatArray,
    hyst: FloatArray,
) -> tuple[LevelArray, npt.NDArray[np.bool_]]:
    """Candidate level of each value and whether it is on the high side.

    A level already reached is kept until the value is back inside it by the hysteresis;
    NaN thresholds never match.
    """
    hc = np.where(cur >= CRITICAL, hyst, 0.0)
    hw = np.where(cur >= WARNING, hyst, 0.0)
    with np.errstate(invalid="ignore"):
        hi2 = value > crit_hi - hc
        hi1 = value > warn_hi - hw
        lo2 = value < crit_lo + hc
        lo1 = value < warn_lo + hw
    cand = np.where(hi2 | lo2, CRITICAL, np.where(hi1 | lo1, WARNING, NONE)).astype(np.int8)
    high = hi2 | (hi1 & ~lo2)
    return cand, high


class TrendBuffer:
    """The last `depth` samples of each forecast slot, for least-squares trends."""

    def __init__(self, depth: int = 64) -> None:
        self.depth = depth
        self.ts: CountArray = np.zeros((0, depth), dtype=np.int32)
        self.val: npt.NDArray[np.float32] = np.zeros((0, depth), dtype=np.float32)
        self.count: IntArray = np.zeros(0, dtype=np.int64)
        self.pos: IntArray = np.zeros(0, dtype=np.int64)

    def grow(self, size: int) -> None:
        old = len(self.count)
        if size <= old:
            return
        extra = max(size, old * 2) - old
        self.ts = np.concatenate((self.ts, np.zeros((extra, self.depth), dtype=np.int32)))
        self.val = np.concatenate((self.val, np.zeros((extra, self.depth), dtype=np.float32)))
        self.count = np.concatenate((self.count, np.zeros(extra, dtype=np.int64)))
        self.pos = np.concatenate((self.pos, np.zeros(extra, dtype=np.int64)))

    def add(self, slot: IntArray, ts: IntArray, val: FloatArray) -> None:
        """Append one sample per slot (slots unique)."""
        p = self.pos[slot]
        self.ts[slot, p] = (ts - TS_BASE).astype(np.int32)
        self.val[slot, p] = val.astype(np.float32)
        self.pos[slot] = (p + 1) % self.depth
        self.count[slot] = np.minimum(self.count[slot] + 1, self.depth)

    def trend(self, slot: IntArray, now: IntArray, window_s: int) -> Trend:
        """Per slot: the least-squares line over the window before now, and what backs it."""
        ts = self.ts[slot].astype(np.int64) + TS_BASE
        val = self.val[slot].astype(np.float64)
        filled = np.arange(self.depth)[None, :] < self.count[slot][:, None]
        rel = (ts - now[:, None]).astype(np.float64)
        mask = filled & (rel > -float(window_s)) & (rel <= 0)
        n = mask.sum(axis=1)
        w = mask.astype(np.float64)
        nn = np.maximum(n, 1).astype(np.float64)
        mt = (rel * w).sum(axis=1) / nn
        mv = (val * w).sum(axis=1) / nn
        dt = (rel - mt[:, None]) * w
        sxx = (dt * dt).sum(axis=1)
        sxy = (dt * (val - mv[:, None])).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = np.where(sxx > 0, sxy / np.where(sxx > 0, sxx, 1.0), 0.0)
        fitted = mv - slope * mt
        oldest = np.where(mask, rel, 0.0).min(axis=1)
        hi = np.where(mask, val, -np.inf).max(axis=1)
        lo = np.where(mask, val, np.inf).min(axis=1)
        # The sensor's resolution: the smallest step between samples next to each other in
        # time (the ring buffer rolled into order). A flat series has no step (inf).
        order = (self.pos[slot][:, None] + np.arange(self.depth)[None, :]) % self.depth
        v_ord = np.take_along_axis(val, order, axis=1)
        m_ord = np.take_along_axis(mask, order, axis=1)
        step = np.abs(np.diff(v_ord, axis=1))
        pair = m_ord[:, 1:] & m_ord[:, :-1] & (step > 1e-4)
        resolution = np.where(pair, step, np.inf).min(axis=1)
        return Trend(fitted, slope, n.astype(np.int64), -oldest, np.where(n > 0, hi - lo, 0.0),
                     resolution)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Trend:
    fitted: FloatArray  # the line's value at now
    slope: FloatArray  # per second
    points: IntArray  # samples inside the window
    span_s: FloatArray  # from the oldest sample in the window to now
    spread: FloatArray  # max - min of the samples in the window
    resolution: FloatArray  # smallest step between neighbouring samples (inf when flat)


# A forecast needs this share of the window covered by samples (count and time span).
MIN_COVERAGE = 0.8
# ...and a rise over the window of more than this many sensor steps: a whole-degree sensor
# stepping 22 -> 23 is one step, not a trend.
MIN_STEPS = 2.0


def trend_trustworthy(
    tr: Trend, interval_s: FloatArray, window_s: int, depth: int
) -> npt.NDArray[np.bool_]:
    """Which trends are backed well enough to forecast from (docs/alarms.md, "Forecasts")."""
    interval = np.maximum(interval_s, 1.0)
    # With fewer slots than the window holds samples, the buffer's reach is the window.
    reach = np.minimum(float(window_s), (depth - 1) * interval)
    expected = np.minimum(float(depth), np.floor(window_s / interval))
    covered = (tr.points >= MIN_COVERAGE * expected) & (tr.span_s >= MIN_COVERAGE * reach)
    rise = tr.slope * tr.span_s
    stepped = (tr.spread > tr.resolution) & (rise >= MIN_STEPS * tr.resolution)
    ok: npt.NDArray[np.bool_] = covered & stepped & np.isfinite(tr.resolution)
    return ok
