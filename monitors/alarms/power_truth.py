"""The power-truth alarms run by the alarm engine: outlet cross-check, unlisted loads, failover."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, text

from models.power_truth import MISMATCH, OK, PSU_SINGLE, check_arrays
from models.read.power import load_power_map
from models.rules import Rules
from monitors.alarms.meta import AlarmMeta
from monitors.alarms.state import WARNING, LevelTracker, reload_gap

log = logging.getLogger("rackwatch.alarms")

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
RULE_CABLING, RULE_UNLISTED, RULE_FAILOVER = "power_truth", "unlisted_load", "failover"
# A reading older than this many poll intervals is not compared (a slow PDU is not a cable).
FRESH_INTERVALS = 3
FRESH_MIN_S = 30  # ... but never less: a busy collector's 2 s polls drift by seconds
HOUR_S = 3600
WEEK_HOURS = 168
FOLD_S = 5.0  # how often the live phase currents are folded into the hourly peaks


@dataclass(slots=True)
class Finding:
    """A level change, in the engine's terms (it turns these into alarm changes)."""

    key: str
    rule: str
    old: int
    new: int
    message: str
    site_id: int | None
    rack_id: int | None
    device_id: int | None
    series_id: int | None
    value: float | None
    threshold: float | None


def _w(v: float) -> str:
    return f"{v:.0f} W"


def _utc(t: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(t))


class PowerTruthWatch:
    """Mapped servers' own power against their outlets, and unmapped outlets drawing power.

    The mapping is loaded from the database (device_psu and the series rows) at start and on
    the engine's full reloads; evaluation is a few vectorised passes over dense arrays.
    """

    def __init__(
        self, engine: Engine, rules: Rules, min_gap_s: float = 1.0, reload_gap_s: float = 10.0
    ) -> None:
        self.engine = engine
        self.rules = rules
        self.min_gap_s = min_gap_s
        self.gap_s: float | None = None
        self._gap_at = -math.inf
        self.reload_gap_s = reload_gap_s
        self.dirty = False
        self._last = -math.inf
        self._loaded = -math.inf
        self._load_cost = 0.0
        r = rules
        self.group_lv = LevelTracker(r.raise_after, r.clear_after)
        self.free_lv = LevelTracker(r.raise_after, r.clear_after)
        self.since: dict[str, int] = {}
        self._empty()

    def _empty(self) -> None:
        z = np.zeros(0, dtype=np.int64)
        self.srv_sid, self.srv_group = z, z
        self.out_sid, self.out_group, self.out_slot = z, z, z
        self.ngroups = 0
        self.group_dev: list[int] = []
        self.group_site: list[int] = []
        self.group_rack: list[int] = []
        self.group_label: list[str] = []
        self.group_series: list[int | None] = []
        self.group_single: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self.group_seen = z
        self.group_code: dict[int, int] = {}
        self.free_seen = z
        self.free_sid = z
        self.free_info: list[tuple[int, int, int, str, int]] = []  # pdu, site, rack, name, n

    def load(self) -> None:
        """(Re)build the arrays from the mapping in the database."""
        self._loaded = time.monotonic()
        try:
            self._load()
        finally:
            self._load_cost = time.monotonic() - self._loaded

    def _load(self) -> None:
        self.dirty = False
        self.gap_s = None
        prev_dev = list(self.group_dev)
        prev_free = self.free_sid.tolist()
        prev_code = {self.group_dev[g]: c for g, c in self.group_code.items()}
        seen_dev = dict(zip(prev_dev, self.group_seen.tolist(), strict=False))
        seen_free = dict(zip(prev_free, self.free_seen.tolist(), strict=False))
        open_keys = {
            f"{RULE_CABLING}:server:{d}"
            for g, d in enumerate(self.group_dev)
            if g < len(self.group_lv.level) and self.group_lv.level[g]
        }
        open_keys |= {
            f"{RULE_UNLISTED}:outlet:{s}"
            for i, s in enumerate(self.free_sid.tolist())
            if i < len(self.free_lv.level) and self.free_lv.level[i]
        }
        try:
            with self.engine.connect() as conn:
                pmap = load_power_map(conn, None, self.rules)
        except Exception:
            log.exception("power truth: loading the outlet mapping failed")
            return
        groups = pmap.groups()
        gid: dict[int, int] = {}
        by_group: dict[int, list[int]] = {}
        for s in pmap.servers:
            g = groups.get(s.device_id, s.device_id)
            by_group.setdefault(g, []).append(s.device_id)
        server_of = {s.device_id: s for s in pmap.servers}
        srv_sid: list[int] = []
        srv_group: list[int] = []
        out_sid: list[int] = []
        out_group: list[int] = []
        out_slot: list[int] = []
        self._empty()
        single: list[bool] = []
        for members in by_group.values():
            links = [server_of[d] for d in members]
            # Only fully metered groups are judged: an unmetered outlet is not a zero.
            if any(p.outlet_sid is None for s in links for p in s.psus):
                continue
            if any(not s.power_sids for s in links):
                continue
            g = len(self.group_dev)
            gid[members[0]] = g
            first = links[0]
            self.group_dev.append(first.device_id)
            self.group_site.append(first.site_id)
            self.group_rack.append(first.rack_id)
            names = ", ".join(s.name for s in links)
            outlets = " + ".join(
                f"{p.pdu_name} outlet {p.outlet}"
                for p in sorted(
                    {p for s in links for p in s.psus}, key=lambda p: (p.feed, p.outlet)
                )
            )
            self.group_label.append(f"{names} | {outlets}")
            self.group_series.append(first.power_sids[0])
            single.append(len(links) == 1 and len(first.psus) >= 2)
            for s in links:
                for sid in s.power_sids:
                    srv_sid.append(sid)
                    srv_group.append(g)
            seen: set[int] = set()
            for slot, sid in enumerate(
                p.outlet_sid for s in links for p in s.psus if p.outlet_sid is not None
            ):
                if sid in seen:
                    continue
                seen.add(sid)
                out_sid.append(sid)
                out_group.append(g)
                out_slot.append(slot)
        self.ngroups = len(self.group_dev)
        self.srv_sid = np.asarray(srv_sid, dtype=np.int64)
        self.srv_group = np.asarray(srv_group, dtype=np.int64)
        self.out_sid = np.asarray(out_sid, dtype=np.int64)
        self.out_group = np.asarray(out_group, dtype=np.int64)
        self.out_slot = np.asarray(out_slot, dtype=np.int64)
        self.group_single = np.asarray(single, dtype=bool)
        # An open alarm keeps its diagnosis, so a reload does not re-announce it.
        self.group_code = {g: prev_code[d] for g, d in enumerate(self.group_dev) if d in prev_code}
        self.free_sid = np.asarray([f.sid for f in pmap.free_outlets], dtype=np.int64)
        self.free_info = [
            (f.pdu_id, f.site_id, f.rack_id, f.pdu_name, f.outlet) for f in pmap.free_outlets
        ]
        old_group, old_free = self.group_lv, self.free_lv
        self.group_lv = LevelTracker(self.rules.raise_after, self.rules.clear_after, self.ngroups)
        self.free_lv = LevelTracker(
            self.rules.raise_after, self.rules.clear_after, len(self.free_info)
        )
        # A reload (new series, a re-import) keeps levels and pending runs of what stays.
        _carry(old_group, prev_dev, self.group_lv, self.group_dev)
        _carry(old_free, prev_free, self.free_lv, self.free_sid.tolist())
        # Readings already judged stay judged (else a reload would count them twice).
        self.group_seen = np.asarray([seen_dev.get(d, 0) for d in self.group_dev], dtype=np.int64)
        self.free_seen = np.asarray(
            [seen_free.get(f, 0) for f in self.free_sid.tolist()], dtype=np.int64
        )
        self.seed(open_keys)

    def seed(self, open_keys: set[str]) -> None:
        """Alarms still open from before a restart keep their level (so they can clear)."""
        for g, dev in enumerate(self.group_dev):
            if f"{RULE_CABLING}:server:{dev}" in open_keys:
                self.group_lv.seed(g, WARNING)
        for i, sid in enumerate(self.free_sid.tolist()):
            if f"{RULE_UNLISTED}:outlet:{sid}" in open_keys:
                self.free_lv.seed(i, WARNING)

    @property
    def size(self) -> int:
        return self.ngroups + len(self.free_info)

    def _values(
        self, sids: IntArray, last_val: FloatArray, last_ts: IntArray, interval: FloatArray, t: int
    ) -> FloatArray:
        inside = sids < len(last_val)
        out = np.full(len(sids), math.nan)
        s = sids[inside]
        v = last_val[s]
        limit = np.maximum(np.maximum(interval[s], 1) * FRESH_INTERVALS, FRESH_MIN_S)
        out[inside] = np.where((t - last_ts[s]) > limit, math.nan, v)
        return out

    def evaluate(
        self,
        last_val: FloatArray,
        last_ts: IntArray,
        interval: FloatArray,
        t: int,
        *,
        force: bool = False,
    ) -> list[Finding]:
        """Judge every group and free outlet on the engine's latest values."""
        rule = self.rules.power_truth
        mono = time.monotonic()
        if self.dirty and mono - self._loaded >= reload_gap(self._load_cost, self.reload_gap_s):
            self.load()
        if not rule.enabled or not self.size:
            return []
        if (self.gap_s is None or mono - self._gap_at > 30.0) and len(self.srv_sid):
            self._gap_at = mono
            # Judge about twice per poll interval of the fastest mapped server (1..10 s):
            # new readings arrive no faster, and a 158,000-server pass costs ~70 ms.
            known = self.srv_sid[self.srv_sid < len(interval)]
            fastest = float(np.min(interval[known])) if len(known) else 60.0
            self.gap_s = min(10.0, max(self.min_gap_s, fastest / 2.0))
        if not force and mono - self._last < (self.gap_s or self.min_gap_s):
            return []
        self._last = mono
        out: list[Finding] = []
        n = self.ngroups
        if n:
            sv = self._values(self.srv_sid, last_val, last_ts, interval, t)
            ov = self._values(self.out_sid, last_val, last_ts, interval, t)
            # A group with any stale or missing reading is not judged (NaN propagates).
            server_w = np.bincount(self.srv_group, weights=sv, minlength=n).astype(np.float64)
            outlet_w = np.bincount(self.out_group, weights=ov, minlength=n).astype(np.float64)
            share = np.full(n, math.nan)
            single = self.group_single[self.out_group]
            if single.any():
                g = self.out_group[single]
                frac = ov[single] / np.where(outlet_w[g] > 0, outlet_w[g], math.nan)
                mins = np.full(n, np.inf)
                np.minimum.at(mins, g, np.nan_to_num(frac, nan=np.inf))
                share = np.where(np.isfinite(mins), mins, math.nan)
            codes, ratio = check_arrays(server_w, outlet_w, share, rule)
            # Judge a group once per new reading, so `raise_after` counts readings, not ticks.
            newest = np.zeros(n, dtype=np.int64)
            inside = self.srv_sid < len(last_ts)
            np.maximum.at(newest, self.srv_group[inside], last_ts[self.srv_sid[inside]])
            inside = self.out_sid < len(last_ts)
            np.maximum.at(newest, self.out_group[inside], last_ts[self.out_sid[inside]])
            if len(self.group_seen) < n:
                self.group_seen = np.zeros(n, dtype=np.int64)
            fresh = newest > self.group_seen[:n]
            self.group_seen[:n] = np.maximum(self.group_seen[:n], newest)
            judged = ~np.isnan(server_w) & ~np.isnan(outlet_w) & fresh
            idx = np.flatnonzero(judged)
            cand = np.where(codes[idx] != OK, WARNING, 0).astype(np.int8)
            changed, old, new = self.group_lv.update(idx, cand)
            moved = set(changed.tolist())
            for gi, o, nw in zip(changed.tolist(), old.tolist(), new.tolist(), strict=True):
                self.group_code[gi] = int(codes[gi]) if nw else OK
                out.append(
                    self._group_finding(
                        gi, o, nw, int(codes[gi]), server_w[gi], outlet_w[gi], ratio[gi], t
                    )
                )
            # An open alarm whose diagnosis changed (a failing PSU first looks like a
            # mismatch until both outlets are read again) gets its message updated.
            lv = self.group_lv.level
            for gi in idx[(lv[idx] > 0) & (codes[idx] != OK)].tolist():
                if gi in moved or self.group_code.get(gi) == int(codes[gi]):
                    continue
                self.group_code[gi] = int(codes[gi])
                level = int(lv[gi])
                out.append(
                    self._group_finding(
                        gi, level, level, int(codes[gi]), server_w[gi], outlet_w[gi], ratio[gi], t
                    )
                )
        if len(self.free_sid):
            fv = self._values(self.free_sid, last_val, last_ts, interval, t)
            inside = self.free_sid < len(last_ts)
            ts = np.zeros(len(self.free_sid), dtype=np.int64)
            ts[inside] = last_ts[self.free_sid[inside]]
            if len(self.free_seen) < len(ts):
                self.free_seen = np.zeros(len(ts), dtype=np.int64)
            ok = ~np.isnan(fv) & (ts > self.free_seen)
            self.free_seen = np.maximum(self.free_seen, ts)
            idx = np.flatnonzero(ok)
            cand = np.where(fv[idx] > rule.unlisted_w, WARNING, 0).astype(np.int8)
            changed, old, new = self.free_lv.update(idx, cand)
            for i, o, nw in zip(changed.tolist(), old.tolist(), new.tolist(), strict=True):
                out.append(self._free_finding(i, o, nw, float(fv[i]), t))
        return out

    def _group_finding(
        self,
        g: int,
        old: int,
        new: int,
        code: int,
        server_w: float,
        outlet_w: float,
        ratio: float,
        t: int,
    ) -> Finding:
        dev = self.group_dev[g]
        key = f"{RULE_CABLING}:server:{dev}"
        servers, outlets = self.group_label[g].split(" | ", 1)
        if new:
            since = self.since.setdefault(key, t)
            if code == PSU_SINGLE:
                what = "one PSU outlet carries everything (PSU failed or cord out)"
            elif code == MISMATCH and outlet_w > server_w:
                what = "its outlets deliver more than it draws (swapped cord or unlisted load)"
            else:
                what = "its outlets deliver less than it draws (swapped cord or wrong outlet)"
            msg = (
                f"{servers}: cabling / PSU: {what}; server reports {_w(server_w)}, "
                f"{outlets} = {_w(outlet_w)}, ratio {ratio:.2f}, since {_utc(since)}"
            )
        else:
            self.since.pop(key, None)
            msg = (
                f"{servers}: server and outlet power agree again ({_w(server_w)} vs "
                f"{_w(outlet_w)}, ratio {ratio:.2f})"
            )
        return Finding(
            key,
            RULE_CABLING,
            old,
            new,
            msg,
            self.group_site[g],
            self.group_rack[g],
            dev,
            self.group_series[g],
            float(ratio) if not math.isnan(ratio) else None,
            1.0,
        )

    def _free_finding(self, i: int, old: int, new: int, watts: float, t: int) -> Finding:
        pdu, site, rack, name, n = self.free_info[i]
        sid = int(self.free_sid[i])
        key = f"{RULE_UNLISTED}:outlet:{sid}"
        if new:
            since = self.since.setdefault(key, t)
            msg = (
                f"{name} outlet {n}: draws {_w(watts)} but no device in the inventory is "
                f"mapped to it (unlisted load), since {_utc(since)}"
            )
        else:
            self.since.pop(key, None)
            msg = f"{name} outlet {n}: unlisted load gone ({_w(watts)})"
        return Finding(
            key,
            RULE_UNLISTED,
            old,
            new,
            msg,
            site,
            rack,
            pdu,
            sid,
            watts,
            self.rules.power_truth.unlisted_w,
        )


def _carry(old: LevelTracker, old_keys: list[int], new: LevelTracker, new_keys: list[int]) -> None:
    where = {k: i for i, k in enumerate(old_keys) if i < len(old.level)}
    pairs = [(j, where[k]) for j, k in enumerate(new_keys) if k in where]
    if not pairs:
        return
    dst = np.asarray([p[0] for p in pairs], dtype=np.int64)
    src = np.asarray([p[1] for p in pairs], dtype=np.int64)
    for name in ("level", "run_up", "up_min", "run_down", "down_max"):
        getattr(new, name)[dst] = getattr(old, name)[src]


class FailoverWatch:
    """Hourly peaks of every rack phase's A+B current, against the weaker feed's breaker.

    The last week comes from the 1-hour rollups at start; live values then raise the open
    hour's peak. A rack that would not survive losing a feed at its weekly peak gets a
    warning (the redundancy rule already watches the load right now).
    """

    def __init__(self, engine: Engine, rules: Rules) -> None:
        self.engine = engine
        self.rules = rules
        self.lv = LevelTracker(rules.raise_after, rules.clear_after)
        self.peaks: FloatArray = np.zeros((0, WEEK_HOURS))
        self._last_check = -math.inf
        self._last_fold = -math.inf
        self._hour = -1
        self._open_keys: set[str] = set()
        self._seeded = True
        self.started = False

    def seed(
        self, ph_sid: IntArray, ph_group: IntArray, groups: int, t: int, open_keys: set[str]
    ) -> None:
        self.peaks = np.full((groups, WEEK_HOURS), math.nan)
        self.lv = LevelTracker(self.rules.raise_after, self.rules.clear_after, groups // 3)
        start = (t // HOUR_S - WEEK_HOURS + 1) * HOUR_S
        if len(ph_sid):
            group_of = dict(zip(ph_sid.tolist(), ph_group.tolist(), strict=True))
            try:
                with self.engine.connect() as conn:
                    for i in range(0, len(ph_sid), 900):
                        ids = ",".join(str(int(s)) for s in ph_sid[i : i + 900])
                        for row in conn.execute(
                            text(
                                "SELECT series_id, bucket, max FROM rollup WHERE res = 3600 "
                                f"AND bucket >= :s AND series_id IN ({ids})"
                            ),
                            {"s": start},
                        ):
                            h = (int(row.bucket) // HOUR_S) % WEEK_HOURS
                            g = group_of[int(row.series_id)]
                            cur = self.peaks[g, h]
                            # Feeds add up per hour (their hourly maxima: a safe upper bound).
                            self.peaks[g, h] = float(row.max) + (0.0 if math.isnan(cur) else cur)
            except Exception:
                log.exception("failover: reading the weekly peaks failed")
        self._open_keys = open_keys
        self._seeded = False

    def update(
        self,
        meta: AlarmMeta,
        fresh: Callable[[IntArray, int], FloatArray],
        t: int,
        redundancy_level: npt.NDArray[np.int8] | None = None,
    ) -> list[Finding]:
        """Fold the current A+B phase currents into this hour's peak; judge now and then."""
        rule = self.rules.power_truth
        nr = len(meta.rack_list)
        if not rule.failover_enabled or not nr or not len(meta.ph_sid):
            return []
        if not self.started:
            self.started = True
            self.seed(meta.ph_sid, meta.ph_group, nr * 3, t, self._open_keys)
        mono = time.monotonic()
        # Readings change once per poll: sampling the latest ones every few seconds sees
        # every value without paying a pass over all phases per batch.
        if mono - self._last_fold < FOLD_S and self._hour == t // HOUR_S:
            return []
        self._last_fold = mono
        ng = nr * 3
        cv = fresh(meta.ph_sid, t)
        amps = np.bincount(meta.ph_group, weights=cv, minlength=ng).reshape(nr, 3)
        has_a = np.bincount(meta.ph_group, weights=(meta.ph_feed == 0), minlength=ng)
        has_b = np.bincount(meta.ph_group, weights=(meta.ph_feed == 1), minlength=ng)
        ok = ((has_a > 0) & (has_b > 0)).reshape(nr, 3)
        cap = meta.min_breaker[:nr]
        if self.peaks.shape[0] < nr * 3:
            grow = np.full((nr * 3 - self.peaks.shape[0], WEEK_HOURS), math.nan)
            self.peaks = np.concatenate((self.peaks, grow))
            self.lv.grow(nr)
        h = (t // HOUR_S) % WEEK_HOURS
        hour = t // HOUR_S
        # A new hour overwrites the slot it reuses from a week ago.
        if self._hour != hour:
            self.peaks[:, h] = math.nan
            self._hour = hour
        flat = np.where(ok, amps, math.nan).reshape(-1)
        col = self.peaks[: nr * 3, h]
        self.peaks[: nr * 3, h] = np.fmax(col, flat)
        if mono - self._last_check < min(rule.failover_check_s, 60):
            return []
        self._last_check = mono
        week = np.max(np.nan_to_num(self.peaks[: nr * 3], nan=-np.inf), axis=1).reshape(nr, 3)
        week[np.isneginf(week)] = math.nan  # no hour of this phase seen both feeds
        worst = np.nanargmax(np.where(np.isnan(week), -1.0, week), axis=1)
        top = week[np.arange(nr), worst]
        limit = cap * rule.failover_limit_pct / 100.0
        judge = ~np.isnan(top) & ~np.isnan(limit)
        if redundancy_level is not None:
            # Over the limit right now is the redundancy alarm's; this one warns of the peak.
            busy = np.zeros(nr, dtype=bool)
            m = min(nr, len(redundancy_level))
            busy[:m] = redundancy_level[:m] > 0
            judge &= ~(busy & (self.lv.level[:nr] == 0))
        idx = np.flatnonzero(judge)
        cand = np.where(top[idx] > limit[idx], WARNING, 0).astype(np.int8)
        if not self._seeded:
            self._seeded = True
            for r, rk in enumerate(meta.rack_list):
                if f"{RULE_FAILOVER}:rack-feed:{rk.id}" in self._open_keys:
                    self.lv.seed(r, WARNING)
        changed, old, new = self.lv.update(idx, cand)
        out: list[Finding] = []
        for r, o, nw in zip(changed.tolist(), old.tolist(), new.tolist(), strict=True):
            rk = meta.rack_list[r]
            pk, lim = float(top[r]), float(limit[r])
            phase = int(worst[r]) + 1
            if nw:
                msg = (
                    f"{rk.name}: would not survive losing a feed at its weekly peak: "
                    f"L{phase} A+B peak {pk:.1f} A is over {lim:.1f} A "
                    f"({rule.failover_limit_pct:.0f} % of the surviving {cap[r]:.0f} A breaker)"
                )
            else:
                msg = (
                    f"{rk.name}: failover headroom back: weekly L{phase} peak {pk:.1f} A "
                    f"within {lim:.1f} A"
                )
            out.append(
                Finding(
                    f"{RULE_FAILOVER}:rack-feed:{rk.id}",
                    RULE_FAILOVER,
                    o,
                    nw,
                    msg,
                    rk.site_id,
                    rk.id,
                    None,
                    None,
                    pk,
                    lim,
                )
            )
        return out
