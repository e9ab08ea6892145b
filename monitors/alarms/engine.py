"""The alarm engine: evaluates every written batch in the collector and persists transitions."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, text

from models import staleness
from models.alarms.lifecycle import (
    AlarmChange,
    MaintenanceEntry,
    OpenAlarm,
    apply_changes,
    maintenance_windows,
    open_alarms_by_key,
    sync_collector_alarms,
    unshelve_expired,
)
from models.messages import Message
from models.rules import PctRule, Rules, load_rules
from monitors.alarms.meta import R_NONE, RULE_NAMES, AlarmMeta, DeviceMeta
from monitors.alarms.power_truth import FailoverWatch, Finding, PowerTruthWatch
from monitors.alarms.state import (
    CRITICAL,
    SEVERITY_LEVEL,
    SEVERITY_NAME,
    WARNING,
    LevelTracker,
    TrendBuffer,
    reload_gap,
    threshold_candidates,
    trend_trustworthy,
)
from monitors.collection.readings import PollResult

# PollResult.error_kind of a host that offered a key other than the one known_hosts lists.
HOSTKEY_CHANGED = "hostkey_changed"
HOSTKEY_RULE = "hostkey"

log = logging.getLogger("rackwatch.alarms")

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Row = tuple[int, int, float]


@dataclass(slots=True)
class EngineStats:
    batches: int = 0
    samples: int = 0
    seconds: float = 0.0
    raised: int = 0
    cleared: int = 0
    suppressed: int = 0
    reloads: int = 0
    duplicates: int = 0
    power_truth_seconds: float = 0.0  # of `seconds`, spent in the power-truth checks


@dataclass(slots=True)
class _Pending:
    """A level change found in this batch, turned into an AlarmChange after evaluation."""

    key: str
    rule: str
    old: int
    new: int
    message: Message | str  # a catalogue message (models.messages); plain text renders as is
    site_id: int | None = None
    rack_id: int | None = None
    device_id: int | None = None
    series_id: int | None = None
    value: float | None = None
    threshold: float | None = None


@dataclass
class _Windows:
    entries: list[MaintenanceEntry] = field(default_factory=list)

    def covers(self, t: int, site: int | None, rack: int | None, device: int | None) -> bool:
        for w in self.entries:
            if not w.start_ts <= t < w.end_ts:
                continue
            if (
                (w.scope == "site" and w.target_id == site)
                or (w.scope == "rack" and w.target_id == rack)
                or (w.scope == "device" and w.target_id == device)
            ):
                return True
        return False


def _fmt(v: float, digits: int = 1) -> str:
    return f"{v:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{v:.0f}"


def _unit(u: str) -> str:
    return f" {u}" if u else ""


class AlarmEngine:
    """Per-series and per-rack alarm state kept in memory, fed by the collector's writer.

    Use as a collector hook: `engine(results, rows, series_ids)`. Every level change becomes
    a raise, update or clear in the database (models.alarms) in one transaction per batch.
    """

    def __init__(
        self,
        engine: Engine,
        rules: Rules | None = None,
        *,
        housekeeping_s: float = 10.0,
        reload_min_s: float = 5.0,
        full_reload_s: float = 600.0,
        foreign_refresh_s: float = 10.0,
    ) -> None:
        self.engine = engine
        self.rules = rules or load_rules()
        # Where newer rules come from (make_hook: the operator's file, re-read on change).
        self.rules_source: Callable[[], Rules] | None = None
        self.meta = AlarmMeta(engine, self.rules)
        r = self.rules
        self.series_lv = LevelTracker(r.raise_after, r.clear_after)
        self.rack_power_lv = LevelTracker(r.raise_after, r.clear_after)
        self.redundancy_lv = LevelTracker(r.raise_after, r.clear_after)
        self.forecast_lv = LevelTracker(r.forecast.raise_after, r.forecast.clear_after)
        self.unreach_lv = LevelTracker(r.unreachable_failures, r.unreachable_clear_after)
        self.stale_lv = LevelTracker(1, 1)
        self.power_truth = PowerTruthWatch(engine, self.rules)
        self.failover = FailoverWatch(engine, self.rules)
        # A changed SSH host key: critical at once, cleared by the next accepted key.
        self.hostkey_lv = LevelTracker(1, 1)
        self.trend = TrendBuffer()
        self.fc_slot: IntArray = np.zeros(0, dtype=np.int64)
        self.fc_sid: list[int] = []
        self.last_val: FloatArray = np.zeros(0)
        self.last_ts: IntArray = np.zeros(0, dtype=np.int64)
        self.dev_ok_ts: IntArray = np.zeros(0, dtype=np.int64)
        self.dev_polled: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self.open: dict[str, OpenAlarm] = {}
        self.suppressed: dict[str, AlarmChange] = {}
        self._retry: list[AlarmChange] = []
        self.windows = _Windows()
        self.stats = EngineStats()
        self.housekeeping_s = housekeeping_s
        self.reload_min_s = reload_min_s
        self.full_reload_s = full_reload_s
        self.foreign_refresh_s = foreign_refresh_s
        self._last_foreign = -math.inf
        self._started = False
        self._last_housekeeping = -math.inf
        self._last_reload = -math.inf
        self._reload_cost = 0.0
        self._last_full = -math.inf
        self._last_stale = -math.inf
        self._now = 0
        self._first_data_ts = 0

    # -- start-up ----------------------------------------------------------------------------

    def start(self, now: int | None = None) -> None:
        """Load metadata, open alarms (so a restart updates them) and maintenance windows."""
        t = int(time.time()) if now is None else int(now)
        self.meta.load_all()
        self._last_full = self._last_reload = time.monotonic()
        self._sync_forecast_slots()
        self.open = open_alarms_by_key(self.engine)
        for key, alarm in self.open.items():
            self._seed(key, SEVERITY_LEVEL.get(alarm.severity, WARNING))
        with self.engine.connect() as conn:
            for dev_id, fails in conn.execute(
                text("SELECT device_id, consecutive_failures FROM device_state")
            ):
                if fails and f"unreachable:device:{dev_id}" not in self.open:
                    self.unreach_lv.seed(int(dev_id), 0, run_up=int(fails))
        self.windows = _Windows(maintenance_windows(self.engine, t))
        self.power_truth.load()
        self.power_truth.seed(set(self.open))
        self.failover._open_keys = set(self.open)
        self._started = True

    def _seed(self, key: str, level: int) -> None:
        rule, _, rest = key.partition(":")
        kind, _, ident = rest.partition(":")
        if not ident.isdigit():
            return
        i = int(ident)
        if kind == "series" and rule == "forecast":
            slot = self._forecast_slot(i)
            if slot is not None:
                self.forecast_lv.seed(slot, level)
        elif kind == "series":
            self.series_lv.seed(i, level)
        elif kind == "rack" and i in self.meta.racks:
            idx = self.meta.racks[i].index
            (self.rack_power_lv if rule == "rack_power" else self.redundancy_lv).seed(idx, level)
        elif kind == "device":
            tracker = {"unreachable": self.unreach_lv, HOSTKEY_RULE: self.hostkey_lv}
            tracker.get(rule, self.stale_lv).seed(i, level)

    def _forecast_slot(self, sid: int) -> int | None:
        if sid < len(self.fc_slot) and self.fc_slot[sid] >= 0:
            return int(self.fc_slot[sid])
        return None

    def _sync_forecast_slots(self) -> None:
        need = len(self.meta.known)
        if len(self.fc_slot) < need:
            self.fc_slot = np.concatenate(
                (self.fc_slot, np.full(need - len(self.fc_slot), -1, dtype=np.int64))
            )
        for sid in self.meta.forecast_sids[len(self.fc_sid) :]:
            self.fc_slot[sid] = len(self.fc_sid)
            self.fc_sid.append(sid)
        self.trend.grow(len(self.fc_sid))
        self.forecast_lv.grow(len(self.fc_sid))

    def _grow_series(self, size: int) -> None:
        old = len(self.last_val)
        if size > old:
            extra = max(size, old * 2, 1024) - old
            self.last_val = np.concatenate((self.last_val, np.full(extra, math.nan)))
            self.last_ts = np.concatenate((self.last_ts, np.zeros(extra, dtype=np.int64)))
        self.series_lv.grow(size)

    def _grow_devices(self, size: int) -> None:
        old = len(self.dev_ok_ts)
        if size > old:
            extra = max(size, old * 2, 1024) - old
            self.dev_ok_ts = np.concatenate((self.dev_ok_ts, np.zeros(extra, dtype=np.int64)))
            self.dev_polled = np.concatenate((self.dev_polled, np.zeros(extra, dtype=bool)))
        # Trackers span the same ids as the arrays above, which _stale indexes together.
        self.unreach_lv.grow(len(self.dev_ok_ts))
        self.stale_lv.grow(len(self.dev_ok_ts))
        self.hostkey_lv.grow(len(self.dev_ok_ts))

    # -- the hook ----------------------------------------------------------------------------

    def __call__(self, results: list[PollResult], rows: list[Row], series_ids: list[int]) -> None:
        self.follow_rules()
        self.process(results, rows)

    def follow_rules(self) -> bool:
        """Apply an edited rules file (models.rules.current_rules) without a restart; the
        collector has re-decided the series rows with the same rules before this batch."""
        if self.rules_source is None:
            return False
        rules = self.rules_source()
        if rules is self.rules:
            return False
        self.rules = self.meta.rules = rules
        for tracker, up, down in (
            (self.series_lv, rules.raise_after, rules.clear_after),
            (self.rack_power_lv, rules.raise_after, rules.clear_after),
            (self.redundancy_lv, rules.raise_after, rules.clear_after),
            (self.forecast_lv, rules.forecast.raise_after, rules.forecast.clear_after),
            (self.unreach_lv, rules.unreachable_failures, rules.unreachable_clear_after),
        ):
            tracker.raise_after, tracker.clear_after = max(1, up), max(1, down)
        if self._started:
            self.meta.load_all()
            self._sync_forecast_slots()
        log.info("alarm rules changed, now from %s", " + ".join(rules.sources))
        return True

    def process(
        self, results: Sequence[PollResult], rows: Sequence[Row], now: int | None = None
    ) -> list[AlarmChange]:
        """Evaluate one written batch; returns the changes persisted (or held by maintenance)."""
        started = time.perf_counter()
        if not self._started:
            self.start(now)
        data_now = max(
            [r.ts for r in results] + ([max(r[1] for r in rows)] if rows else []), default=0
        )
        t = int(now if now is not None else (data_now or time.time()))
        self._now = t
        if not self._first_data_ts and rows:
            self._first_data_ts = int(min(r[1] for r in rows))
        pending: list[_Pending] = []
        sid = np.zeros(0, dtype=np.int64)
        if rows:
            arr = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
            sid = arr[:, 0].astype(np.int64)
            ts = arr[:, 1].astype(np.int64)
            val = arr[:, 2]
            self._learn(sid)
            known = sid < len(self.meta.known)
            known[known] = self.meta.known[sid[known]]
            sid, ts, val = sid[known], ts[known], val[known]
            # lexsort is stable: readings of one (series, ts) stay in arrival order.
            order = np.lexsort((ts, sid))
            sid, ts, val = sid[order], ts[order], val[order]
            # Two readings for one (series, ts) (a device listing a sensor twice): the store
            # keeps the later one (docs/storage.md), so judge the same value it keeps.
            dup = np.zeros(len(sid), dtype=bool)
            dup[:-1] = (sid[:-1] == sid[1:]) & (ts[:-1] == ts[1:])
            if dup.any():
                self.stats.duplicates += int(dup.sum())
                sid, ts, val = sid[~dup], ts[~dup], val[~dup]
            self._grow_series(len(self.meta.known))
            if len(sid):
                first = np.ones(len(sid), dtype=bool)
                first[1:] = sid[1:] != sid[:-1]
                starts = np.flatnonzero(first)
                rank = np.arange(len(sid)) - np.repeat(starts, np.diff(np.append(starts, len(sid))))
                for k in range(int(rank.max()) + 1):
                    m = rank == k
                    self._series_round(sid[m], ts[m], val[m], pending)
        if results:
            self._devices(results, pending)
        if len(sid):
            mono = time.monotonic()
            if mono - self._last_foreign >= self.foreign_refresh_s:
                self._last_foreign = mono
                self._refresh_foreign()
            self._racks(np.unique(sid), t, pending)
            self._power_truth(t, pending)
        if self.rules.stale_enabled and t - self._last_stale >= 5:
            self._last_stale = t
            self._stale(t, pending)
        changes = self._persist(pending, t)
        mono = time.monotonic()
        if mono - self._last_housekeeping >= self.housekeeping_s:
            self._last_housekeeping = mono
            changes.extend(self._housekeeping(t))
        st = self.stats
        st.batches += 1
        st.samples += len(rows)
        st.seconds += time.perf_counter() - started
        return changes

    def _learn(self, sid: IntArray) -> None:
        meta = self.meta
        mono = time.monotonic()
        if mono - self._last_full >= self.full_reload_s:
            self._last_full = self._last_reload = mono
            meta.load_all()
            self.power_truth.load()  # a re-import may have changed the outlet mapping
            self.stats.reloads += 1
        unknown = sid[sid >= len(meta.known)]
        inside = sid[sid < len(meta.known)]
        unknown = np.concatenate((unknown, inside[~meta.known[inside]]))
        if len(unknown) and mono - self._last_reload >= reload_gap(
            self._reload_cost, self.reload_min_s
        ):
            self._last_reload = mono
            loaded = meta.load_new(np.unique(unknown).tolist())
            self._reload_cost = time.monotonic() - mono
            if loaded:
                self.stats.reloads += 1
                self.power_truth.dirty = True  # new outlet or server series to join
        self._sync_forecast_slots()

    # -- per-series rules --------------------------------------------------------------------

    def _series_round(
        self, sid: IntArray, ts: IntArray, val: FloatArray, pending: list[_Pending]
    ) -> None:
        meta = self.meta
        newer = ts >= self.last_ts[sid]
        self.last_val[sid[newer]] = val[newer]
        self.last_ts[sid[newer]] = ts[newer]
        ruled = meta.rule[sid] != R_NONE
        if ruled.any():
            s, v = sid[ruled], val[ruled]
            cur = self.series_lv.level[s]
            cand, high = threshold_candidates(
                v,
                cur,
                meta.warn_hi[s],
                meta.crit_hi[s],
                meta.warn_lo[s],
                meta.crit_lo[s],
                meta.hyst[s],
            )
            changed, old, new = self.series_lv.update(s, cand)
            if len(changed):
                pos = np.searchsorted(s, changed)
                for i, o, n, p in zip(
                    changed.tolist(), old.tolist(), new.tolist(), pos.tolist(), strict=True
                ):
                    pending.append(self._series_change(i, o, n, float(v[p]), bool(high[p])))
        if self.fc_sid:
            slot = self.fc_slot[sid]
            has = slot >= 0
            if has.any():
                self._forecast(slot[has], sid[has], ts[has], val[has], pending)

    def _series_change(self, sid: int, old: int, new: int, value: float, high: bool) -> _Pending:
        meta = self.meta
        s = meta.series[sid]
        dev = meta.devices.get(s.device_id)
        rule = RULE_NAMES[int(meta.rule[sid])]
        where = meta.describe_device(s.device_id)
        unit = _unit(s.unit)
        level = new or old
        if high:
            thr = float(meta.crit_hi[sid] if level == CRITICAL else meta.warn_hi[sid])
        else:
            thr = float(meta.crit_lo[sid] if level == CRITICAL else meta.warn_lo[sid])
        if math.isnan(thr):
            thr = float(meta.warn_hi[sid] if high else meta.warn_lo[sid])
        if new == 0:
            msg = Message(
                "series.normal",
                {"where": where, "label": s.label, "value": _fmt(value), "unit": unit},
            )
        elif rule == "phase_current":
            feed = meta.racks[dev.rack_id].feeds[dev.feed or ""] if dev and dev.rack_id else None
            breaker = feed.breaker_a if feed else thr
            msg = Message(
                "series.phase_current",
                {
                    "where": where,
                    "channel": s.channel or "phase",
                    "value": _fmt(value),
                    "pct": _fmt(100 * value / breaker, 0),
                    "breaker": _fmt(breaker),
                    "severity": SEVERITY_NAME[new],
                    "thr_pct": _fmt(100 * thr / breaker, 0),
                    "limit_pct": _fmt(self.rules.phase_current.warning_pct, 0),
                },
            )
        else:
            level_word = SEVERITY_NAME[new] + (" limit" if rule == "device_limit" else "")
            msg = Message(
                "series.threshold",
                {
                    "where": where,
                    "label": s.label,
                    "value": _fmt(value),
                    "unit": unit,
                    "side": "above" if high else "below",
                    "level": level_word,
                    "thr": _fmt(thr),
                    "src": " (device limit)" if meta.device_limited[sid] else "",
                },
            )
        return _Pending(
            f"{rule}:series:{sid}",
            rule,
            old,
            new,
            msg,
            dev.site_id if dev else None,
            dev.rack_id if dev else None,
            s.device_id,
            sid,
            value,
            None if math.isnan(thr) else thr,
        )

    def _forecast(
        self, slot: IntArray, sid: IntArray, ts: IntArray, val: FloatArray, pending: list[_Pending]
    ) -> None:
        fc = self.rules.forecast
        self.trend.add(slot, ts, val)
        tr = self.trend.trend(slot, ts, fc.window_s)
        fitted, slope = tr.fitted, tr.slope
        trusted = trend_trustworthy(tr, self.meta.interval[sid], fc.window_s, self.trend.depth)
        # Never in the first window after this collector (re)started: the buffer holds only
        # the start of it, and a restart's first samples are not a trend.
        warmed = (ts - self._first_data_ts) >= fc.window_s
        thr = self.meta.crit_hi[sid]
        cur = self.forecast_lv.level[slot]
        per_min = slope * 60.0
        with np.errstate(divide="ignore", invalid="ignore"):
            eta = np.where(slope > 0, (thr - fitted) / np.where(slope > 0, slope, 1.0), np.inf)
        # Once raised, the warning holds until the trend is clearly gone (hysteresis).
        horizon = np.where(cur > 0, fc.horizon_s * 1.5, fc.horizon_s)
        min_slope = np.where(cur > 0, fc.min_slope_per_min * 0.5, fc.min_slope_per_min)
        ok = (
            (tr.points >= fc.min_points)
            & warmed
            & (trusted | (cur > 0))
            & (per_min >= min_slope)
            & (val < thr)
            & (fitted < thr)
            & (eta >= 0)
            & (eta <= horizon)
        )
        cand = np.where(ok, WARNING, 0).astype(np.int8)
        changed, old, new = self.forecast_lv.update(slot, cand)
        if not len(changed):
            return
        pos = {int(s_): i for i, s_ in enumerate(slot.tolist())}
        for sl, o, nw in zip(changed.tolist(), old.tolist(), new.tolist(), strict=True):
            i = pos[sl]
            s_id = int(sid[i])
            s = self.meta.series[s_id]
            dev = self.meta.devices.get(s.device_id)
            where = self.meta.describe_device(s.device_id)
            unit = _unit(s.unit)
            base = {"where": where, "label": s.label, "thr": _fmt(float(thr[i])), "unit": unit}
            if nw:
                minutes = max(1, round(float(eta[i]) / 60.0))
                msg = Message(
                    "forecast.rising",
                    base
                    | {
                        "what": s.role or s.label,
                        "minutes": str(minutes),
                        "value": _fmt(float(val[i])),
                        "rate": _fmt(float(per_min[i]), 2),
                    },
                )
            elif float(val[i]) >= float(thr[i]):
                msg = Message("forecast.reached", base)
            else:
                msg = Message("forecast.gone", base)
            pending.append(
                _Pending(
                    f"forecast:series:{s_id}",
                    "forecast",
                    o,
                    nw,
                    msg,
                    dev.site_id if dev else None,
                    dev.rack_id if dev else None,
                    s.device_id,
                    s_id,
                    float(val[i]),
                    float(thr[i]),
                )
            )

    # -- devices -----------------------------------------------------------------------------

    def _devices(self, results: Sequence[PollResult], pending: list[_Pending]) -> None:
        self._grow_devices(max(r.device_id for r in results) + 1)
        rules = self.rules
        by_round: list[dict[int, PollResult]] = []
        for res in sorted(results, key=lambda r: r.ts):
            for rnd in by_round:
                if res.device_id not in rnd:
                    rnd[res.device_id] = res
                    break
            else:
                by_round.append({res.device_id: res})
        for rnd in by_round:
            ids = np.fromiter(rnd.keys(), dtype=np.int64, count=len(rnd))
            ok = np.fromiter((r.ok for r in rnd.values()), dtype=bool, count=len(rnd))
            tss = np.fromiter((r.ts for r in rnd.values()), dtype=np.int64, count=len(rnd))
            self.dev_polled[ids] = True
            self.dev_ok_ts[ids[ok]] = np.maximum(self.dev_ok_ts[ids[ok]], tss[ok])
            self._host_keys(rnd, pending)
            if not rules.unreachable_enabled:
                continue
            cand = np.zeros(len(rnd), dtype=np.int8)
            if not ok.all():
                # Severity by device kind, looked up only for the failed polls. A refused
                # host key has its own alarm (above), so it does not count as unreachable.
                keyed = np.fromiter(
                    (r.error_kind == HOSTKEY_CHANGED for r in rnd.values()),
                    dtype=bool,
                    count=len(rnd),
                )
                bad = np.flatnonzero(~ok & ~keyed)
                cand[bad] = [
                    SEVERITY_LEVEL[rules.unreachable_severity.get(self._kind(int(d)), "warning")]
                    for d in ids[bad].tolist()
                ]
            changed, old, new = self.unreach_lv.update(ids, cand)
            for d, o, n in zip(changed.tolist(), old.tolist(), new.tolist(), strict=True):
                res = rnd[d]
                dev = self.meta.devices.get(d)
                where = self.meta.describe_device(d)
                if n:
                    msg = Message(
                        "device.unreachable",
                        {
                            "where": where,
                            "failures": str(rules.unreachable_failures),
                            "error": (res.error or "no answer")[:200],
                        },
                    )
                else:
                    msg = Message("device.answers", {"where": where})
                pending.append(
                    _Pending(
                        f"unreachable:device:{d}",
                        "unreachable",
                        o,
                        n,
                        msg,
                        dev.site_id if dev else None,
                        dev.rack_id if dev else None,
                        d,
                    )
                )

    def _host_keys(self, rnd: dict[int, PollResult], pending: list[_Pending]) -> None:
        """A changed host key is its own critical alarm (not a generic unreachable one)."""
        changed_key = [d for d, r in rnd.items() if r.error_kind == HOSTKEY_CHANGED]
        # Only an accepted key clears it; a timeout says nothing about the key.
        judged = changed_key + [d for d, r in rnd.items() if r.ok]
        if not judged:
            return
        ids = np.asarray(judged, dtype=np.int64)
        cand = np.zeros(len(ids), dtype=np.int8)
        cand[: len(changed_key)] = CRITICAL
        moved, old, new = self.hostkey_lv.update(ids, cand)
        for d, o, n in zip(moved.tolist(), old.tolist(), new.tolist(), strict=True):
            dev = self.meta.devices.get(d)
            where = self.meta.describe_device(d)
            msg = (
                f"{where}: SSH host key changed, polling refused: {(rnd[d].error or '')[:400]}"
                if n
                else f"{where}: SSH host key accepted again"
            )
            pending.append(
                _Pending(
                    f"{HOSTKEY_RULE}:device:{d}",
                    HOSTKEY_RULE,
                    o,
                    n,
                    msg,
                    dev.site_id if dev else None,
                    dev.rack_id if dev else None,
                    d,
                )
            )

    def _kind(self, device_id: int) -> str:
        dev = self.meta.devices.get(device_id)
        return dev.kind if dev else "server"

    def _stale(self, t: int, pending: list[_Pending]) -> None:
        meta = self.meta
        n = min(len(meta.known), len(self.last_ts))
        seen = np.flatnonzero(self.last_ts[:n] > 0)
        if not len(seen) or not len(self.dev_polled):
            return
        dev = meta.device_of[seen]
        # Only devices this collector polls (others' values may come in through `latest`).
        ok = self._polled(dev)
        seen, dev = seen[ok], dev[ok]
        reachable = self.unreach_lv.level[dev] == 0
        limit = meta.interval[seen] * self.rules.stale_intervals
        stale = reachable & ((t - self.last_ts[seen]) > limit)
        counts = np.bincount(dev[stale], minlength=len(self.dev_polled))
        polled = np.flatnonzero(self.dev_polled)
        cand = np.where(counts[polled] > 0, SEVERITY_LEVEL[self.rules.stale_severity], 0).astype(
            np.int8
        )
        changed, old, new = self.stale_lv.update(polled, cand)
        for d, o, nw in zip(changed.tolist(), old.tolist(), new.tolist(), strict=True):
            dm = meta.devices.get(d)
            where = meta.describe_device(d)
            if nw:
                mine = seen[stale & (dev == d)]
                sample = meta.series[int(mine[0])].label if len(mine) else ""
                age = int(t - int(self.last_ts[mine].max())) if len(mine) else 0
                msg = Message(
                    "device.stale",
                    {
                        "where": where,
                        "count": str(int(counts[d])),
                        "minutes": str(max(1, age // 60)),
                        "sample": sample,
                    },
                )
            else:
                msg = Message("device.current", {"where": where})
            pending.append(
                _Pending(
                    f"stale:device:{d}",
                    "stale",
                    o,
                    nw,
                    msg,
                    dm.site_id if dm else None,
                    dm.rack_id if dm else None,
                    d,
                )
            )

    # -- rack rules --------------------------------------------------------------------------

    def _fresh_values(self, sids: IntArray, t: int) -> FloatArray:
        v = self.last_val[sids]
        # Past the stale horizon (models.staleness) a value no longer counts in a rack's sum.
        limit = self.meta.interval[sids] * staleness.stale_intervals()
        old = (t - self.last_ts[sids]) > limit
        return np.where(old | np.isnan(v), 0.0, v)

    def _polled(self, devices: IntArray) -> npt.NDArray[np.bool_]:
        """Whether this collector polls each device (it has delivered results for it)."""
        ok = (devices >= 0) & (devices < len(self.dev_polled))
        out = np.zeros(len(devices), dtype=bool)
        out[ok] = self.dev_polled[devices[ok]]
        return out

    def _owned(self, racks: IntArray) -> IntArray:
        return racks[self._polled(self.meta.rack_owner[racks])]

    def _refresh_foreign(self) -> None:
        """Values of rack contributors another shard polls, from `latest`, for racks we judge."""
        meta = self.meta
        if not len(meta.rack_owner):
            return
        sids = np.concatenate((meta.rp_sid, meta.ph_sid))
        racks = np.concatenate((meta.rp_rack, meta.ph_group // 3))
        if not len(sids):
            return
        foreign = ~self._polled(meta.device_of[sids]) & self._polled(meta.rack_owner[racks])
        want = np.unique(sids[foreign]).tolist()
        if not want:
            return
        got: list[tuple[int, int, float]] = []
        try:
            with self.engine.connect() as conn:
                for i in range(0, len(want), 900):
                    chunk = ",".join(str(int(x)) for x in want[i : i + 900])
                    got.extend(
                        (int(r[0]), int(r[1]), float(r[2]))
                        for r in conn.execute(
                            text(
                                "SELECT series_id, ts, value FROM latest "
                                + f"WHERE series_id IN ({chunk})"
                            )
                        )
                    )
        except Exception:
            log.exception("reading other shards' rack values failed")
            return
        if got:
            arr = np.array(got, dtype=np.float64)
            s_ = arr[:, 0].astype(np.int64)
            ts = arr[:, 1].astype(np.int64)
            newer = ts > self.last_ts[s_]
            self.last_ts[s_[newer]] = ts[newer]
            self.last_val[s_[newer]] = arr[newer, 2]

    def _racks(self, batch_sids: IntArray, t: int, pending: list[_Pending]) -> None:
        meta = self.meta
        nr = len(meta.rack_list)
        if not nr:
            return
        self.rack_power_lv.grow(nr)
        self.redundancy_lv.grow(nr)
        rules = self.rules
        if len(meta.rp_sid):
            touched = np.unique(meta.rp_rack[np.isin(meta.rp_sid, batch_sids)])
        else:
            touched = np.zeros(0, dtype=np.int64)
        if len(meta.ph_sid):
            touched_ph = np.unique(meta.ph_group[np.isin(meta.ph_sid, batch_sids)] // 3)
        else:
            touched_ph = np.zeros(0, dtype=np.int64)
        touched, touched_ph = self._owned(touched), self._owned(touched_ph)
        pv = self._fresh_values(meta.rp_sid, t)
        power = np.bincount(meta.rp_rack, weights=pv, minlength=nr).astype(np.float64)
        if rules.rack_power.enabled and len(touched):
            idx = touched[~np.isnan(meta.rated[touched])]
            if len(idx):
                self._pct_rule(
                    "rack_power",
                    self.rack_power_lv,
                    idx,
                    power[idx],
                    meta.rated[idx],
                    rules.rack_power,
                    pending,
                    t,
                )
        if not rules.redundancy.enabled:
            return
        both = ~np.isnan(meta.min_breaker)
        ratio_load = np.full(nr, math.nan)
        ratio_cap = np.full(nr, math.nan)
        detail: dict[int, str] = {}
        if len(meta.ph_sid):
            cv = self._fresh_values(meta.ph_sid, t)
            ng = nr * 3
            amps = np.bincount(meta.ph_group, weights=cv, minlength=ng).reshape(nr, 3)
            has_a = np.bincount(meta.ph_group, weights=(meta.ph_feed == 0), minlength=ng)
            has_b = np.bincount(meta.ph_group, weights=(meta.ph_feed == 1), minlength=ng)
            ok = ((has_a > 0) & (has_b > 0)).reshape(nr, 3)
            masked = np.where(ok, amps, -1.0)
            worst = masked.argmax(axis=1)
            top = masked[np.arange(nr), worst]
            use = both & ok.any(axis=1)
            ratio_load[use] = top[use]
            ratio_cap[use] = meta.min_breaker[use]
            for ri in np.flatnonzero(use).tolist():
                detail[ri] = f"L{int(worst[ri]) + 1}"
        # Racks whose PDUs give no phase currents fall back to total power against one feed.
        pdu = meta.rp_feed >= 0
        fa = np.bincount(meta.rp_rack[pdu & (meta.rp_feed == 0)], minlength=nr) > 0
        fb = np.bincount(meta.rp_rack[pdu & (meta.rp_feed == 1)], minlength=nr) > 0
        by_power = both & fa & fb & np.isnan(ratio_load)
        ratio_load[by_power] = power[by_power]
        ratio_cap[by_power] = meta.min_feed_w[by_power]
        cand_racks = np.union1d(touched, touched_ph)
        cand_racks = cand_racks[~np.isnan(ratio_load[cand_racks])]
        if len(cand_racks):
            self._pct_rule(
                "redundancy",
                self.redundancy_lv,
                cand_racks,
                ratio_load[cand_racks],
                ratio_cap[cand_racks],
                rules.redundancy,
                pending,
                t,
                detail=detail,
                by_power=by_power,
            )

    def _power_truth(self, t: int, pending: list[_Pending]) -> None:
        started = time.perf_counter()
        found: list[Finding] = self.power_truth.evaluate(
            self.last_val, self.last_ts, self.meta.interval, t
        )
        found += self.failover.update(self.meta, self._fresh_values, t, self.redundancy_lv.level)
        self.stats.power_truth_seconds += time.perf_counter() - started
        pending.extend(
            _Pending(
                f.key,
                f.rule,
                f.old,
                f.new,
                f.message,
                f.site_id,
                f.rack_id,
                f.device_id,
                f.series_id,
                f.value,
                f.threshold,
            )
            for f in found
        )

    def _pct_rule(
        self,
        rule: str,
        tracker: LevelTracker,
        idx: IntArray,
        load: FloatArray,
        cap: FloatArray,
        pr: PctRule,
        pending: list[_Pending],
        t: int,
        *,
        detail: dict[int, str] | None = None,
        by_power: npt.NDArray[np.bool_] | None = None,
    ) -> None:
        pct = 100.0 * load / cap
        cur = tracker.level[idx]
        nan = np.full(len(idx), math.nan)
        cand, _ = threshold_candidates(
            pct,
            cur,
            np.full(len(idx), pr.warning_pct),
            np.full(len(idx), pr.critical_pct),
            nan,
            nan,
            np.full(len(idx), pr.hysteresis_pct),
        )
        changed, old, new = tracker.update(idx, cand)
        if not len(changed):
            return
        pos = np.searchsorted(idx, changed)
        for ri, o, n, p in zip(
            changed.tolist(), old.tolist(), new.tolist(), pos.tolist(), strict=True
        ):
            rack = self.meta.rack_list[ri]
            lv, cp, pc = float(load[p]), float(cap[p]), float(pct[p])
            level_pct = pr.critical_pct if (n or o) == CRITICAL else pr.warning_pct
            base = {"rack": rack.name, "pct": _fmt(pc, 0), "level_pct": _fmt(level_pct, 0)}
            if rule == "rack_power":
                if n:
                    msg = Message(
                        "rack.power",
                        base
                        | {
                            "kw": _fmt(lv / 1000, 2),
                            "rated_kw": _fmt(cp / 1000, 1),
                            "severity": SEVERITY_NAME[n],
                        },
                    )
                else:
                    msg = Message("rack.power_normal", base)
                value, thr = lv, cp * level_pct / 100.0
            else:
                power_based = by_power is not None and bool(by_power[ri])
                if n:
                    verdict = "would trip" if n == CRITICAL and pc >= 100 else "exceeds"
                    if power_based:
                        msg = Message(
                            "redundancy.lost_power",
                            base
                            | {
                                "kw": _fmt(lv / 1000, 2),
                                "feed_kw": _fmt(cp / 1000, 1),
                                "verdict": verdict,
                            },
                        )
                    else:
                        # Every rack on this path has a worst phase (detail); "?" is a guard.
                        phase = (detail or {}).get(ri, "?")
                        msg = Message(
                            "redundancy.lost_current",
                            base
                            | {
                                "amps": _fmt(lv),
                                "phase": phase,
                                "breaker": _fmt(cp),
                                "verdict": verdict,
                            },
                        )
                else:
                    msg = Message("redundancy.restored", base)
                value, thr = lv, cp * level_pct / 100.0
            pending.append(
                _Pending(
                    f"{rule}:rack:{rack.id}",
                    rule,
                    o,
                    n,
                    msg,
                    rack.site_id,
                    rack.id,
                    None,
                    None,
                    value,
                    thr,
                )
            )

    # -- persistence -------------------------------------------------------------------------

    def _location(self, p: _Pending) -> tuple[int | None, int | None, int | None]:
        return p.site_id, p.rack_id, p.device_id

    def _persist(self, pending: list[_Pending], t: int) -> list[AlarmChange]:
        if not pending and not self._retry:
            return []
        out: list[AlarmChange] = []
        for p in pending:
            change = AlarmChange(
                p.key,
                p.rule,
                SEVERITY_NAME.get(p.new) if p.new else None,
                p.message if isinstance(p.message, str) else p.message.english(),
                p.site_id,
                p.rack_id,
                p.device_id,
                p.series_id,
                p.value,
                p.threshold,
                message_id=None if isinstance(p.message, str) else p.message.id,
                message_args=None if isinstance(p.message, str) else p.message.args_json(),
            )
            if p.new == 0:
                self.suppressed.pop(p.key, None)
                if p.key in self.open or any(c.key == p.key for c in self._retry):
                    out.append(change)
                continue
            if p.key not in self.open and self.windows.covers(t, p.site_id, p.rack_id, p.device_id):
                # Maintenance: keep the level (so the alarm appears if the window ends first)
                # but raise nothing now.
                self.suppressed[p.key] = change
                self.stats.suppressed += 1
                continue
            out.append(change)
        self._write(out, t)
        return out

    def _write(self, changes: list[AlarmChange], t: int) -> None:
        if self._retry:
            changes = self._retry + changes
        if not changes:
            return
        try:
            result = apply_changes(self.engine, changes, t)
        except Exception:
            # The database may be busy or gone: keep the changes (in order) and try again
            # with the next batch, so no transition is lost while the levels move on.
            log.exception("writing %d alarm changes failed; will retry", len(changes))
            self._retry = changes[-10_000:]
            return
        self._retry = []
        self._absorb(result, changes)

    def _absorb(self, result: dict[str, OpenAlarm | None], changes: list[AlarmChange]) -> None:
        """Take what the database now holds for the keys written (open or cleared)."""
        for key, alarm in result.items():
            if alarm is None:
                if self.open.pop(key, None) is not None:
                    self.stats.cleared += 1
            else:
                if key not in self.open:
                    self.stats.raised += 1
                self.open[key] = alarm
        for c in changes:
            log.info("alarm %s %s: %s", c.severity or "cleared", c.key, c.message)

    def _housekeeping(self, t: int) -> list[AlarmChange]:
        try:
            unshelve_expired(self.engine, t)
            # A peer whose heartbeat lapsed is reported by whichever collector notices first;
            # wall-clock time, since heartbeats are wall-clock (data time may lag behind).
            sync_collector_alarms(self.engine)
            self.windows = _Windows(maintenance_windows(self.engine, t))
            self.open = open_alarms_by_key(self.engine)
        except Exception:
            log.exception("alarm housekeeping failed")
            return []
        released = [
            c
            for k, c in self.suppressed.items()
            if not self.windows.covers(t, c.site_id, c.rack_id, c.device_id)
        ]
        for c in released:
            del self.suppressed[c.key]
        self._write(released, t)
        return released

    def restrict(self, device_ids: Iterable[int]) -> None:
        """Judge only these devices from now on (a site collector's leases moved).

        Devices whose lease went to another collector stop counting as polled here, so this
        engine neither calls them stale nor judges their racks; the new holder's engine does.
        """
        keep = np.zeros(len(self.dev_polled), dtype=bool)
        ids = np.fromiter((d for d in device_ids if 0 <= d < len(keep)), dtype=np.int64)
        keep[ids] = True
        self.dev_polled &= keep

    def device(self, device_id: int) -> DeviceMeta | None:
        return self.meta.devices.get(device_id)


def collector_rules(rules_path: str | None = None) -> Rules:
    """The rules a collector runs with.

    It follows the operator's rules file (models.rules.current_rules): a broken file is
    reported and the last good rules (at first the shipped defaults) stay in force, so a
    typo in an operator's edit never leaves the site unwatched.
    """
    from pathlib import Path

    from models.rules import RulesError, current_rules

    path = Path(rules_path) if rules_path else None
    try:
        load_rules(path)
    except RulesError as exc:
        log.error("alarm rules not usable, running with the shipped defaults: %s", exc)
    rules = current_rules(path)
    log.info("alarm rules from %s", " + ".join(rules.sources))
    return rules


def follow_rules_file(hook: AlarmEngine, rules_path: str | None = None) -> AlarmEngine:
    """Make hook pick up edits of the operator's rules file while it runs."""
    from pathlib import Path

    from models.rules import current_rules

    path = Path(rules_path) if rules_path else None
    hook.rules_source = lambda: current_rules(path)
    return hook


def make_hook(url: str, rules_path: str | None = None, **engine_kwargs: Any) -> AlarmEngine:
    """An engine on its own connection pool, for CollectorOptions.hooks."""
    from models.db import make_engine

    hook = AlarmEngine(make_engine(url, **engine_kwargs), collector_rules(rules_path))
    return follow_rules_file(hook, rules_path)
