"""What the alarm engine knows of series, devices and racks: thresholds and rack groupings."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, bindparam, text

from models.rules import Rules
from models.series_meaning import (
    RULE_DEVLIM,
    RULE_HUM,
    RULE_NONE,
    RULE_PHASE,
    RULE_TEMP,
    Feed,
    decide,
    device_power,
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# Which rule watches a series' own value (models.series_meaning decides it).
RULE_NAMES = (RULE_NONE, RULE_TEMP, RULE_HUM, RULE_PHASE, RULE_DEVLIM)
R_NONE, R_TEMP, R_HUM, R_PHASE, R_DEVLIM = range(5)
_RULE_CODE = {name: i for i, name in enumerate(RULE_NAMES)}
FEED_INDEX = {"A": 0, "B": 1}


@dataclass(frozen=True, slots=True)
class DeviceMeta:
    id: int
    name: str
    kind: str
    site_id: int
    rack_id: int | None
    feed: str | None
    interval_s: int


@dataclass(frozen=True, slots=True)
class FeedMeta:
    breaker_a: float
    phases: int
    voltage_v: float

    @property
    def capacity_w(self) -> float:
        return self.breaker_a * self.voltage_v * max(1, self.phases)


@dataclass(frozen=True, slots=True)
class RackMeta:
    id: int
    index: int
    name: str
    site_id: int
    rated_power_w: float | None
    feeds: dict[str, FeedMeta] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SeriesMeta:
    id: int
    device_id: int
    metric: str
    channel: str
    role: str | None
    unit: str
    channel_class: str = "part"
    phase: int | None = None

    @property
    def label(self) -> str:
        """'inlet temperature probe 1', 'voltage L1', 'fan speed FAN1'."""
        what = METRIC_WORDS.get(self.metric, self.metric.replace("_", " "))
        return " ".join(p for p in (self.role or "", what, self.channel) if p).strip()


METRIC_WORDS = {
    "temperature_c": "temperature",
    "humidity_pct": "humidity",
    "current_a": "current",
    "power_w": "power",
    "apparent_power_va": "apparent power",
    "voltage_v": "voltage",
    "frequency_hz": "frequency",
    "fan_rpm": "fan speed",
    "energy_kwh": "energy",
    "power_factor": "power factor",
}


def _nan(v: float | None) -> float:
    return math.nan if v is None else float(v)


_SERIES_COLS = (
    "SELECT id, device_id, metric, channel, role, unit, channel_class, device_warn_low, "
    "device_warn_high, device_crit_low, device_crit_high FROM series"
)


class AlarmMeta:
    """Series thresholds in arrays indexed by series id, plus rack-level groupings.

    Loaded once, then extended with only the new series when samples of unknown series
    arrive (series appear when a device is first polled).
    """

    def __init__(self, engine: Engine, rules: Rules) -> None:
        self.engine = engine
        self.rules = rules
        self.devices: dict[int, DeviceMeta] = {}
        self.racks: dict[int, RackMeta] = {}
        self.rack_list: list[RackMeta] = []
        self.site_tz: dict[int, str] = {}
        self.series: dict[int, SeriesMeta] = {}
        self.known = np.zeros(0, dtype=bool)
        self.rule = np.zeros(0, dtype=np.int8)
        self.warn_hi: FloatArray = np.zeros(0)
        self.crit_hi: FloatArray = np.zeros(0)
        self.warn_lo: FloatArray = np.zeros(0)
        self.crit_lo: FloatArray = np.zeros(0)
        self.hyst: FloatArray = np.zeros(0)
        self.device_of: IntArray = np.zeros(0, dtype=np.int64)
        self.interval: FloatArray = np.zeros(0)
        self.device_limited = np.zeros(0, dtype=bool)  # a level came from the device
        # Per device, its power and current series: (series id, channel).
        self._dev_power: dict[int, list[tuple[int, str]]] = {}
        self._dev_current: dict[int, list[tuple[int, str]]] = {}
        # Rack groupings (rebuilt when series or racks change).
        self.rp_sid: IntArray = np.zeros(0, dtype=np.int64)  # rack power contributors
        self.rp_rack: IntArray = np.zeros(0, dtype=np.int64)
        self.rp_feed: IntArray = np.zeros(0, dtype=np.int64)  # -1 when not a PDU on a feed
        self.ph_sid: IntArray = np.zeros(0, dtype=np.int64)  # PDU phase currents
        self.ph_group: IntArray = np.zeros(0, dtype=np.int64)  # rack index * 3 + phase - 1
        self.ph_feed: IntArray = np.zeros(0, dtype=np.int64)
        self.rack_owner: IntArray = np.zeros(0, dtype=np.int64)  # lowest contributing device
        self.rated: FloatArray = np.zeros(0)
        self.min_breaker: FloatArray = np.zeros(0)  # NaN unless the rack has feeds A and B
        self.min_feed_w: FloatArray = np.zeros(0)
        self.forecast_sids: list[int] = []
        self._forecast_set: set[int] = set()

    # -- loading ---------------------------------------------------------------------------

    def load_all(self) -> None:
        self._load_inventory()
        self.series.clear()
        self._dev_power.clear()
        self._dev_current.clear()
        # Every per-series array starts over, or each periodic reload would append to them.
        self.known = np.zeros(0, dtype=bool)
        self.rule = np.zeros(0, dtype=np.int8)
        self.warn_hi = self.crit_hi = self.warn_lo = self.crit_lo = np.zeros(0)
        self.hyst = np.zeros(0)
        self.device_limited = np.zeros(0, dtype=bool)
        self.device_of = np.zeros(0, dtype=np.int64)
        self.interval = np.zeros(0)
        cols = _SERIES_COLS + " ORDER BY id"
        with self.engine.connect() as conn:
            result = conn.execute(text(cols))
            # In chunks, so 600,000 rows never sit in memory at once next to what they become.
            while chunk := result.fetchmany(50_000):
                self._add_series([tuple(r) for r in chunk])
        self._rebuild_groups()

    def load_new(self, series_ids: Iterable[int]) -> int:
        """Learn series not seen before; returns how many were added."""
        ids = sorted({int(s) for s in series_ids if int(s) not in self.series})
        if not ids:
            return 0
        rows = self._query_series(ids)
        if any(r[1] not in self.devices for r in rows):
            self._load_inventory()
        self._add_series(rows)
        self._rebuild_groups()
        return len(rows)

    def _load_inventory(self) -> None:
        with self.engine.connect() as conn:
            self.site_tz = {
                int(r[0]): r[1] or "UTC" for r in conn.execute(text("SELECT id, tz FROM site"))
            }
            feeds: dict[int, dict[str, FeedMeta]] = {}
            for r in conn.execute(
                text("SELECT rack_id, feed, breaker_a, phases, voltage_v FROM rack_feed")
            ):
                feeds.setdefault(int(r[0]), {})[r[1]] = FeedMeta(
                    float(r[2]), int(r[3] or 1), float(r[4] or 230.0)
                )
            racks = conn.execute(
                text("SELECT id, name, site_id, rated_power_w FROM rack ORDER BY id")
            ).all()
            self.rack_list = [
                RackMeta(int(r[0]), i, r[1], int(r[2]), r[3], feeds.get(int(r[0]), {}))
                for i, r in enumerate(racks)
            ]
            self.racks = {r.id: r for r in self.rack_list}
            self.devices = {
                int(r[0]): DeviceMeta(
                    int(r[0]), r[1], r[2], int(r[3]), r[4], r[5], max(1, int(r[6] or 60))
                )
                for r in conn.execute(
                    text(
                        "SELECT id, name, kind, site_id, rack_id, feed, poll_interval_s FROM device"
                    )
                )
            }
        n = len(self.rack_list)
        self.rated = np.array(
            [_nan(r.rated_power_w) if r.rated_power_w else math.nan for r in self.rack_list]
        ).reshape(n)
        mb = np.full(n, math.nan)
        mw = np.full(n, math.nan)
        for rk in self.rack_list:
            a, b = rk.feeds.get("A"), rk.feeds.get("B")
            if a and b:
                mb[rk.index] = min(a.breaker_a, b.breaker_a)
                mw[rk.index] = min(a.capacity_w, b.capacity_w)
        self.min_breaker, self.min_feed_w = mb, mw
        # Device intervals may have changed; refresh the per-series copy.
        if len(self.known):
            for sid in np.flatnonzero(self.known).tolist():
                dev = self.devices.get(int(self.device_of[sid]))
                if dev is not None:
                    self.interval[sid] = dev.interval_s

    def _query_series(self, ids: list[int]) -> list[Any]:
        cols = _SERIES_COLS
        out: list[Any] = []
        with self.engine.connect() as conn:
            stmt = text(cols + " WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
            for i in range(0, len(ids), 900):
                out.extend(tuple(r) for r in conn.execute(stmt, {"ids": ids[i : i + 900]}))
        return out

    def _grow(self, size: int) -> None:
        old = len(self.known)
        if size <= old:
            return
        extra = max(size, old * 2, 1024) - old
        self.known = np.concatenate((self.known, np.zeros(extra, dtype=bool)))
        self.rule = np.concatenate((self.rule, np.zeros(extra, dtype=np.int8)))
        for name in ("warn_hi", "crit_hi", "warn_lo", "crit_lo"):
            setattr(self, name, np.concatenate((getattr(self, name), np.full(extra, math.nan))))
        self.hyst = np.concatenate((self.hyst, np.zeros(extra)))
        self.device_limited = np.concatenate((self.device_limited, np.zeros(extra, dtype=bool)))
        self.device_of = np.concatenate((self.device_of, np.full(extra, -1, dtype=np.int64)))
        self.interval = np.concatenate((self.interval, np.full(extra, 60.0)))

    def _add_series(self, rows: list[Any]) -> None:
        if not rows:
            return
        self._grow(max(int(r[0]) for r in rows) + 1)
        rules = self.rules
        for r in rows:
            sid, dev_id = int(r[0]), int(r[1])
            # Interned: labels repeat across devices, and 600,000 copies would cost ~100 MB.
            metric, channel = sys.intern(str(r[2])), sys.intern(str(r[3] or ""))
            role, unit = (sys.intern(str(r[4])) if r[4] else None), sys.intern(str(r[5] or ""))
            dev_limits = tuple(None if v is None else float(v) for v in r[7:11])
            dev = self.devices.get(dev_id)
            feed = self._feed(dev)
            # The same decision the collector wrote into the row (models.series_meaning),
            # from the same inputs, so the levels judged here are the levels every desk shows.
            m = decide(
                metric=metric,
                channel=channel,
                role=role,
                declared_class=r[6],
                kind=dev.kind if dev else "server",
                interval_s=dev.interval_s if dev else 60,
                device_limits=(dev_limits[0], dev_limits[1], dev_limits[2], dev_limits[3]),
                feed=feed,
                rules=rules,
            )
            meta = SeriesMeta(
                sid,
                dev_id,
                metric,
                channel,
                sys.intern(m.role) if m.role else None,
                unit,
                sys.intern(m.channel_class),
                m.phase,
            )
            self.series[sid] = meta
            self.known[sid] = True
            self.device_of[sid] = dev_id
            self.interval[sid] = dev.interval_s if dev else 60
            if metric == "power_w":
                self._dev_power.setdefault(dev_id, []).append((sid, meta.channel_class))
            elif metric == "current_a":
                self._dev_current.setdefault(dev_id, []).append((sid, meta.channel_class))
            code = _RULE_CODE[m.rule]
            lv = m.levels
            self.rule[sid] = code
            if code == R_NONE:
                self.warn_hi[sid] = self.crit_hi[sid] = math.nan
                self.warn_lo[sid] = self.crit_lo[sid] = math.nan
                self.hyst[sid] = 0.0
                continue
            self.warn_hi[sid] = _nan(lv.warning)
            self.crit_hi[sid] = _nan(lv.critical)
            self.warn_lo[sid] = _nan(lv.low_warning)
            self.crit_lo[sid] = _nan(lv.low_critical)
            self.hyst[sid] = lv.hysteresis
            self.device_limited[sid] = m.limits_source == "device"
            if rules.forecast.enabled and lv.critical is not None and sid not in self._forecast_set:
                for tg in rules.forecast.targets:
                    if tg.metric == metric and (tg.role is None or tg.role == meta.role):
                        self.forecast_sids.append(sid)
                        self._forecast_set.add(sid)
                        break

    def _feed(self, dev: DeviceMeta | None) -> Feed | None:
        if dev is None or dev.rack_id is None or dev.feed is None:
            return None
        rack = self.racks.get(dev.rack_id)
        f = rack.feeds.get(dev.feed) if rack else None
        return None if f is None else Feed(f.breaker_a, f.phases)

    # -- rack groupings --------------------------------------------------------------------

    def _device_power(self, dev: DeviceMeta) -> list[int]:
        """The series whose sum is the device's power (models.series_meaning.device_power)."""
        return device_power(dev.kind, self._dev_power.get(dev.id, []))

    def _rebuild_groups(self) -> None:
        pdu_rows: list[tuple[int, int, int]] = []
        srv_rows: list[tuple[int, int, int]] = []
        for dev_id in self._dev_power:
            dev = self.devices.get(dev_id)
            if dev is None or dev.rack_id is None or dev.rack_id not in self.racks:
                continue
            ri = self.racks[dev.rack_id].index
            feed = FEED_INDEX.get(dev.feed or "", -1)
            target = pdu_rows if dev.kind == "pdu" else srv_rows
            target.extend(
                (sid, ri, feed if dev.kind == "pdu" else -1) for sid in self._device_power(dev)
            )
        racks_with_pdu = {ri for _, ri, _ in pdu_rows}
        rows = pdu_rows + [r for r in srv_rows if r[1] not in racks_with_pdu]
        arr = np.array(rows, dtype=np.int64).reshape(-1, 3)
        self.rp_sid, self.rp_rack, self.rp_feed = (
            arr[:, 0].copy(),
            arr[:, 1].copy(),
            arr[:, 2].copy(),
        )
        ph: list[tuple[int, int, int]] = []
        for dev_id, series in self._dev_current.items():
            dev = self.devices.get(dev_id)
            if dev is None or dev.kind != "pdu" or dev.rack_id not in self.racks:
                continue
            rack = self.racks[dev.rack_id]
            fmeta = rack.feeds.get(dev.feed or "")
            fidx = FEED_INDEX.get(dev.feed or "", -1)
            if fmeta is None or fidx < 0:
                continue
            for sid, _cls in series:
                n = self.series[sid].phase
                if n is not None:
                    ph.append((sid, rack.index * 3 + n - 1, fidx))
        parr = np.array(ph, dtype=np.int64).reshape(-1, 3)
        self.ph_sid, self.ph_group, self.ph_feed = (
            parr[:, 0].copy(),
            parr[:, 1].copy(),
            parr[:, 2].copy(),
        )
        # With sharded collectors each rack is judged by exactly one shard: the one polling
        # the rack's lowest-id contributing device.
        nr = len(self.rack_list)
        owner = np.full(nr, np.iinfo(np.int64).max, dtype=np.int64)
        sids = np.concatenate((self.rp_sid, self.ph_sid))
        racks = np.concatenate((self.rp_rack, self.ph_group // 3))
        if len(sids):
            np.minimum.at(owner, racks, self.device_of[sids])
        owner[owner == np.iinfo(np.int64).max] = -1
        self.rack_owner = owner

    def describe_device(self, device_id: int) -> str:
        dev = self.devices.get(device_id)
        if dev is None:
            return f"device {device_id}"
        rack = self.racks.get(dev.rack_id) if dev.rack_id is not None else None
        return f"{rack.name} / {dev.name}" if rack else dev.name
