"""Incident snapshot data: scope resolution, inventory, alarms, rack curves and the timeline."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, bindparam, text

from models.messages import render_stored
from models.rules import current_rules
from models.series_meaning import device_power
from models.store.samples import History, history

SCOPE_KINDS = ("site", "row", "rack", "device")
# Above this many raw rows, series outside the affected racks are exported as rollup means:
# a site-day of raw samples is gigabytes nobody reads, while the incident racks stay raw.
RAW_ROW_BUDGET = 2_000_000
SAMPLE_COLUMNS = (
    "time_utc",
    "site",
    "rack",
    "device",
    "metric",
    "channel",
    "value",
    "unit",
    "resolution_s",
)

Progress = Callable[[int, str], None]
Cancelled = Callable[[], bool]


class SnapshotError(ValueError):
    """A snapshot that cannot be made: unknown scope, bad window, nothing to export."""


class ExportCancelled(RuntimeError):
    """The user cancelled the export."""


@dataclass(frozen=True, slots=True)
class Scope:
    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


def parse_scope(value: str) -> Scope:
    """'site:CODE', 'row:ROW', 'rack:NAME', 'device:NAME' (the last three may be SITE/NAME)."""
    kind, sep, name = value.partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in SCOPE_KINDS or not name.strip():
        raise SnapshotError(
            f"scope {value!r}: expected site:CODE, row:ROW, rack:NAME or device:NAME "
            "(NAME may be SITE/NAME)"
        )
    return Scope(kind, name.strip())


def parse_time(value: str, what: str = "time") -> int:
    """ISO 8601 to UTC epoch seconds; a time without zone is taken as UTC."""
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SnapshotError(
            f"{what} {value!r}: not an ISO 8601 time such as 2026-11-28T14:00:00Z"
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


def iso_utc(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class SiteRec:
    id: int
    code: str
    name: str
    tz: str


@dataclass(frozen=True, slots=True)
class FeedRec:
    feed: str
    breaker_a: float
    phases: int
    voltage_v: float


@dataclass(frozen=True, slots=True)
class RackRec:
    id: int
    name: str
    row: str
    position: int
    height_u: int
    rated_power_w: float | None
    feeds: tuple[FeedRec, ...]


@dataclass(frozen=True, slots=True)
class DeviceRec:
    id: int
    name: str
    kind: str
    rack_id: int | None
    u_position: int | None
    u_height: int
    feed: str | None
    model: str
    serial: str
    address: str
    protocol: str
    profile: str | None
    poll_interval_s: int


@dataclass(frozen=True, slots=True)
class SeriesRec:
    id: int
    device_id: int
    metric: str
    channel: str
    role: str | None
    unit: str
    warn_high: float | None  # effective limits, as the collector decided them
    crit_high: float | None
    channel_class: str = "part"  # as the collector decided it (models.series_meaning)
    interval_s: int | None = None


@dataclass(frozen=True, slots=True)
class AlarmRec:
    id: int
    rule: str
    key: str
    severity: str
    state: str
    rack_id: int | None
    device_id: int | None
    series_id: int | None
    message: str
    value: float | None
    threshold: float | None
    raised_ts: int
    cleared_ts: int | None
    ack_by: str | None
    ack_ts: int | None
    ack_note: str | None
    message_id: str | None = None
    message_args: str | None = None
    incident_id: int | None = None  # the incident the alarm engine folded it into

    def text(self, locale: str | None = None) -> str:
        """The message in the reader's locale (models.messages); the CSV keeps the English."""
        return render_stored(self.message, self.message_id, self.message_args, locale)


@dataclass(frozen=True, slots=True)
class IncidentRec:
    """An incident (models/alarms/incidents.py) holding alarms of the scope."""

    id: int
    family: str
    severity: str
    state: str
    row: str
    title: str
    alarms_total: int
    first_ts: int
    last_ts: int
    cleared_ts: int | None
    ack_by: str | None
    ack_ts: int | None
    ack_note: str | None
    title_id: str | None = None
    title_args: str | None = None

    def text(self, locale: str | None = None) -> str:
        """The title in the reader's locale (models.messages)."""
        return render_stored(self.title, self.title_id, self.title_args, locale)


@dataclass(frozen=True, slots=True)
class EventRec:
    alarm_id: int
    ts: int
    action: str
    from_state: str | None
    to_state: str
    user: str
    note: str | None
    message_id: str | None = None
    message_args: str | None = None

    def text(self, locale: str | None = None) -> str:
        """A system event's note (the condition then) in the reader's locale."""
        return render_stored(self.note or "", self.message_id, self.message_args, locale)


@dataclass(frozen=True, slots=True)
class DeviceStat:
    """A device's peak inlet temperature or mean power over the window."""

    device_id: int
    value: float
    peak: float


@dataclass
class SnapshotData:
    scope: Scope
    start: int
    end: int
    site: SiteRec
    racks: list[RackRec]
    devices: list[DeviceRec]
    series: list[SeriesRec]
    alarms: list[AlarmRec]
    events: list[EventRec]
    incidents: list[IncidentRec] = field(default_factory=list)
    hottest: list[DeviceStat] = field(default_factory=list)
    most_loaded: list[DeviceStat] = field(default_factory=list)
    rack_inlet_max: dict[int, float] = field(default_factory=dict)
    device_inlet_max: dict[int, float] = field(default_factory=dict)
    affected_rack_ids: list[int] = field(default_factory=list)
    # The affected racks' curves and their peak power (W): what the report's table states.
    curves: RackCurves | None = None
    rack_power_max: dict[int, float] = field(default_factory=dict)

    def rack(self, rack_id: int | None) -> RackRec | None:
        return next((r for r in self.racks if r.id == rack_id), None)

    def device(self, device_id: int | None) -> DeviceRec | None:
        return next((d for d in self.devices if d.id == device_id), None)


def _in(name: str) -> Any:
    return bindparam(name, expanding=True)


def _resolve(engine: Engine, scope: Scope) -> tuple[SiteRec, list[int], list[int] | None]:
    """Site, rack ids and (for a device scope) device ids the scope covers."""
    site_code, _, name = scope.name.rpartition("/")
    with engine.connect() as conn:
        if scope.kind == "site":
            r = conn.execute(
                text("SELECT id, code, name, tz FROM site WHERE code = :c OR name = :c"),
                {"c": scope.name},
            ).first()
            if r is None:
                raise SnapshotError(f"scope {scope}: no site with code {scope.name!r}")
            site = SiteRec(r[0], r[1], r[2], r[3] or "UTC")
            racks = [
                int(x[0])
                for x in conn.execute(
                    text("SELECT id FROM rack WHERE site_id = :s"), {"s": site.id}
                )
            ]
            return site, racks, None
        if scope.kind == "row":
            found = _at_one_site(conn, scope, "rack", "row", "row", name, site_code)
            f0 = found[0]
            return SiteRec(f0[1], f0[2], f0[3], f0[4] or "UTC"), [int(r[0]) for r in found], None
        table = "rack" if scope.kind == "rack" else "device"
        r = _at_one_site(conn, scope, table, "name", table, name, site_code)[0]
        site = SiteRec(r[1], r[2], r[3], r[4] or "UTC")
        if scope.kind == "rack":
            return site, [int(r[0])], None
        rack = conn.execute(text("SELECT rack_id FROM device WHERE id = :d"), {"d": r[0]}).scalar()
        return site, [int(rack)] if rack is not None else [], [int(r[0])]


def alarm_window(
    engine: Engine,
    alarm_id: int,
    *,
    before_s: int = 3600,
    after_s: int = 900,
    now: int | None = None,
) -> tuple[Scope, int, int]:
    """Default snapshot of an alarm: its rack (else device, else site) over its span + margins."""
    import time

    with engine.connect() as conn:
        r = conn.execute(
            text(
                "SELECT a.raised_ts, a.cleared_ts, s.code, r.name, d.name FROM alarm a "
                "LEFT JOIN device d ON d.id = a.device_id "
                "LEFT JOIN rack r ON r.id = COALESCE(a.rack_id, d.rack_id) "
                "LEFT JOIN site s ON s.id = COALESCE(a.site_id, r.site_id, d.site_id) "
                "WHERE a.id = :a"
            ),
            {"a": alarm_id},
        ).first()
    if r is None:
        raise SnapshotError(f"alarm {alarm_id} does not exist")
    raised, cleared, site, rack, device = r
    if rack and site:
        scope = Scope("rack", f"{site}/{rack}")
    elif device and site:
        scope = Scope("device", f"{site}/{device}")
    elif site:
        scope = Scope("site", site)
    else:
        raise SnapshotError(f"alarm {alarm_id} is not tied to a site, rack or device")
    t = int(time.time()) if now is None else int(now)
    end = min(t, int(cleared or t) + after_s)
    return scope, int(raised) - before_s, max(end, int(raised) + 60)


def gather(
    engine: Engine,
    scope: Scope,
    start: int,
    end: int,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> SnapshotData:
    """Inventory, alarms with their audit events, and per-device statistics of a scope."""
    if end <= start:
        raise SnapshotError(f"window {iso_utc(start)} .. {iso_utc(end)}: the end must be later")
    site, rack_ids, device_ids = _resolve(engine, scope)
    say = progress or (lambda _p, _m: None)
    say(2, "reading inventory")
    with engine.connect() as conn:
        feeds: dict[int, list[FeedRec]] = {}
        racks: list[RackRec] = []
        if rack_ids:
            for f in conn.execute(
                text(
                    "SELECT rack_id, feed, breaker_a, phases, voltage_v FROM rack_feed "
                    "WHERE rack_id IN :r ORDER BY feed"
                ).bindparams(_in("r")),
                {"r": rack_ids},
            ):
                feeds.setdefault(int(f[0]), []).append(
                    FeedRec(f[1], float(f[2]), int(f[3] or 1), float(f[4] or 230.0))
                )
            racks = [
                RackRec(
                    int(r[0]),
                    r[1],
                    r[2] or "",
                    int(r[3] or 0),
                    int(r[4] or 42),
                    r[5],
                    tuple(feeds.get(int(r[0]), [])),
                )
                for r in conn.execute(
                    text(
                        "SELECT id, name, row, position, height_u, rated_power_w FROM rack "
                        "WHERE id IN :r"
                    ).bindparams(_in("r")),
                    {"r": rack_ids},
                )
            ]
        racks.sort(key=lambda r: (r.row, r.position, r.name))
        dev_sql = (
            "SELECT id, name, kind, rack_id, u_position, u_height, feed, model, serial, address, "
            "protocol, profile, poll_interval_s FROM device "
        )
        if device_ids is not None:
            rows = conn.execute(
                text(dev_sql + "WHERE id IN :d").bindparams(_in("d")), {"d": device_ids}
            ).all()
        elif scope.kind == "site":
            rows = conn.execute(text(dev_sql + "WHERE site_id = :s"), {"s": site.id}).all()
        else:
            rows = conn.execute(
                text(dev_sql + "WHERE rack_id IN :r").bindparams(_in("r")), {"r": rack_ids}
            ).all()
        devices = [
            DeviceRec(
                int(d[0]),
                d[1],
                d[2],
                d[3],
                d[4],
                int(d[5] or 1),
                d[6],
                d[7] or "",
                d[8] or "",
                d[9] or "",
                d[10] or "",
                d[11],
                int(d[12] or 60),
            )
            for d in rows
        ]
        order = {r.id: i for i, r in enumerate(racks)}
        devices.sort(
            key=lambda d: (order.get(d.rack_id or -1, 1 << 30), -(d.u_position or 0), d.name)
        )
        dev_ids = [d.id for d in devices]
        series: list[SeriesRec] = []
        for i in range(0, len(dev_ids), 900):
            series.extend(
                SeriesRec(
                    int(s[0]),
                    int(s[1]),
                    s[2],
                    s[3] or "",
                    s[4],
                    s[5] or "",
                    s[6],
                    s[7],
                    s[8] or "part",
                    s[9],
                )
                for s in conn.execute(
                    text(
                        "SELECT id, device_id, metric, channel, role, unit, warn_high, crit_high, "
                        "channel_class, interval_s FROM series WHERE device_id IN :d"
                    ).bindparams(_in("d")),
                    {"d": dev_ids[i : i + 900]},
                )
            )
        dev_pos = {d: i for i, d in enumerate(dev_ids)}
        series.sort(key=lambda s: (dev_pos[s.device_id], s.metric, s.role or "", s.channel))
        say(6, "reading alarms")
        alarms = _alarms(conn, scope, site, rack_ids, dev_ids, start, end)
        events: list[EventRec] = []
        aids = [a.id for a in alarms]
        for i in range(0, len(aids), 900):
            events.extend(
                EventRec(int(e[0]), int(e[1]), e[2], e[3], e[4], e[5], e[6], e[7], e[8])
                for e in conn.execute(
                    text(
                        'SELECT alarm_id, ts, action, from_state, to_state, "user", note, '
                        "message_id, message_args FROM alarm_event WHERE alarm_id IN :a"
                    ).bindparams(_in("a")),
                    {"a": aids[i : i + 900]},
                )
            )
        events.sort(key=lambda e: (e.ts, e.alarm_id))
        iids = sorted({a.incident_id for a in alarms if a.incident_id is not None})
        incidents = [
            IncidentRec(*r)
            for i in range(0, len(iids), 900)
            for r in conn.execute(
                text(
                    "SELECT id, family, severity, state, row, title, alarms_total, first_ts, "
                    "last_ts, cleared_ts, ack_by, ack_ts, ack_note, title_id, title_args "
                    "FROM incident WHERE id IN :i"
                ).bindparams(_in("i")),
                {"i": iids[i : i + 900]},
            )
        ]
    if cancelled and cancelled():
        raise ExportCancelled("export cancelled")
    data = SnapshotData(scope, start, end, site, racks, devices, series, alarms, events, incidents)
    say(10, "computing peaks")
    _stats(engine, data)
    data.affected_rack_ids = _affected(data)
    data.curves = rack_curves(engine, data, data.affected_rack_ids)
    for rid, curve in data.curves.power.items():
        peak = curve.peak()
        if peak is not None:
            data.rack_power_max[rid] = peak[0]
    return data


def _alarms(
    conn: Any,
    scope: Scope,
    site: SiteRec,
    rack_ids: list[int],
    dev_ids: list[int],
    start: int,
    end: int,
) -> list[AlarmRec]:
    conds = []
    params: dict[str, Any] = {"s": start, "e": end}
    if scope.kind == "site":
        conds.append("a.site_id = :site")
        params["site"] = site.id
    elif scope.kind in ("rack", "row"):
        conds.append("a.rack_id IN :racks")
        params["racks"] = rack_ids
    if dev_ids:
        conds.append("a.device_id IN :devs")
        params["devs"] = dev_ids
    if not conds:
        return []
    sql = (
        "SELECT a.id, a.rule, a.key, a.severity, a.state, a.rack_id, a.device_id, a.series_id, "
        "a.message, a.value, a.threshold, a.raised_ts, a.cleared_ts, a.ack_by, a.ack_ts, "
        "a.ack_note, a.message_id, a.message_args, a.incident_id FROM alarm a WHERE ("
        + " OR ".join(conds)
        + ") AND a.raised_ts <= :e "
        "AND (a.cleared_ts IS NULL OR a.cleared_ts >= :s) ORDER BY a.raised_ts, a.id"
    )
    stmt = text(sql)
    if "racks" in params:
        stmt = stmt.bindparams(_in("racks"))
    if "devs" in params:
        stmt = stmt.bindparams(_in("devs"))
    return [AlarmRec(*r) for r in conn.execute(stmt, params)]


def _stats(engine: Engine, data: SnapshotData) -> None:
    """Peak inlet per device and rack, mean and peak power per device (for the device tables)."""
    inlet = [s for s in data.series if s.metric == "temperature_c" and s.role == "inlet"]
    power = [s for s in data.series if s.metric == "power_w"]
    dev_rack = {d.id: d.rack_id for d in data.devices}
    dev_kind = {d.id: d.kind for d in data.devices}
    agg = _aggregate(engine, [s.id for s in inlet + power], data.start, data.end)
    peak_inlet: dict[int, float] = {}
    for s in inlet:
        if s.id in agg:
            d = s.device_id
            peak_inlet[d] = max(peak_inlet.get(d, -1e9), agg[s.id][1])
    data.device_inlet_max = peak_inlet
    data.hottest = sorted(
        (DeviceStat(d, v, v) for d, v in peak_inlet.items()), key=lambda x: -x.value
    )[:10]
    # A device's power as every desk and the alarm engine add it (models.series_meaning).
    dev_power: dict[int, tuple[float, float]] = {}
    by_dev: dict[int, list[SeriesRec]] = defaultdict(list)
    for s in power:
        if s.id in agg:
            by_dev[s.device_id].append(s)
    for d, ss in by_dev.items():
        use = device_power(dev_kind.get(d, "server"), [(x, x.channel_class) for x in ss])
        if use:
            dev_power[d] = (sum(agg[x.id][0] for x in use), sum(agg[x.id][1] for x in use))
    data.most_loaded = sorted(
        (DeviceStat(d, mean, peak) for d, (mean, peak) in dev_power.items()),
        key=lambda x: -x.value,
    )[:10]
    for d, v in peak_inlet.items():
        r = dev_rack.get(d)
        if r is not None:
            data.rack_inlet_max[r] = max(data.rack_inlet_max.get(r, -1e9), v)


def _ceil(t: int, res: int) -> int:
    return t + (-t) % res


def _aggregate(
    engine: Engine, ids: Sequence[int], start: int, end: int
) -> dict[int, tuple[float, float]]:
    """Mean and max per series over the window.

    Whole hours come from the 1-h rollups, whole 5-minute buckets around them from the
    5-min rollups (both exact: they keep max, sum and count), and the ragged edges plus
    the newest bucket (possibly still open in the collector) from raw samples. Scanning a
    site-day of raw samples would cost seconds.
    """
    from models.store.backend import reader_for

    reader = reader_for(engine)
    if reader is not None:  # history in VictoriaMetrics: its own rollup functions
        return reader.stats(ids, start, end)
    a5 = _ceil(start, 300)
    b5 = end - end % 300 - 300
    ranges: list[tuple[str, int, int]] = []  # (source, lo inclusive, hi exclusive)
    if b5 - a5 >= 1800:
        a60, b60 = _ceil(a5, 3600), b5 - b5 % 3600
        if b60 > a60:
            ranges += [("r3600", a60, b60), ("r300", a5, a60), ("r300", b60, b5)]
        else:
            ranges.append(("r300", a5, b5))
        ranges += [("raw", start, a5), ("raw", b5, end + 1)]
    else:
        ranges.append(("raw", start, end + 1))
    parts: dict[int, list[tuple[float, float, int]]] = defaultdict(list)
    with engine.connect() as conn:
        for i in range(0, len(ids), 900):
            chunk = ",".join(str(int(x)) for x in ids[i : i + 900])
            if not chunk:
                continue
            for source, lo, hi in ranges:
                if hi <= lo:
                    continue
                if source == "raw":
                    sql = (
                        "SELECT series_id, sum(value), max(value), count(*) FROM sample "
                        f"WHERE series_id IN ({chunk}) AND ts >= :lo AND ts < :hi "
                        "GROUP BY series_id"
                    )
                else:
                    sql = (
                        "SELECT series_id, sum(sum), max(max), sum(count) FROM rollup "
                        f"WHERE series_id IN ({chunk}) AND res = {int(source[1:])} "
                        "AND bucket >= :lo AND bucket < :hi GROUP BY series_id"
                    )
                for sid, total, peak, n in conn.execute(text(sql), {"lo": lo, "hi": hi}):
                    if n:
                        parts[int(sid)].append((float(total), float(peak), int(n)))
    out: dict[int, tuple[float, float]] = {}
    for sid, got in parts.items():
        n = sum(g[2] for g in got)
        out[sid] = (sum(g[0] for g in got) / n, max(g[1] for g in got))
    return out


def _affected(data: SnapshotData) -> list[int]:
    """Racks in the report: those with alarms (critical first), else the three hottest."""
    seen: list[int] = []
    dev_rack = {d.id: d.rack_id for d in data.devices}
    for a in sorted(data.alarms, key=lambda a: (a.severity != "critical", a.raised_ts)):
        r = a.rack_id if a.rack_id is not None else dev_rack.get(a.device_id or -1)
        if r is not None and r not in seen and data.rack(r) is not None:
            seen.append(r)
    if len(seen) < 3:
        for r, _v in sorted(data.rack_inlet_max.items(), key=lambda x: -x[1]):
            if r not in seen:
                seen.append(r)
            if len(seen) >= 3:
                break
    if not seen and data.racks:
        seen.append(data.racks[0].id)
    return seen[:MAX_AFFECTED]


# A whole row or two of racks; beyond, the report lists the first ones (the CSV has all).
MAX_AFFECTED = 40


# -- rack curves: a rack's power and hottest inlet at each instant -----------------------------


@dataclass(frozen=True)
class Curve:
    """One derived value of a rack over time (sum of its PDU totals, or its hottest inlet)."""

    ts: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    interval_s: int

    def peak(self) -> tuple[float, int] | None:
        ok = np.isfinite(self.values)
        if not ok.any():
            return None
        i = int(np.nanargmax(np.where(ok, self.values, -np.inf)))
        return float(self.values[i]), int(self.ts[i])

    def at(self, ts: int) -> float | None:
        i = int(np.searchsorted(self.ts, ts, side="right")) - 1
        if i < 0 or not np.isfinite(self.values[i]):
            return None
        return float(self.values[i])

    def seconds_above(self, limit: float) -> int:
        """Seconds the value was above limit; a step longer than the hold (a gap) counts
        only up to the hold."""
        if len(self.ts) < 2:
            return 0
        dt = np.minimum(np.diff(self.ts), HOLD_INTERVALS * max(1, self.interval_s))
        v = self.values[:-1]
        return int(dt[np.isfinite(v) & (v > limit)].sum())

    def history(self, key: int) -> History:
        return History(
            key, 0, self.ts, self.values, self.values, self.values, "raw", self.interval_s
        )


# A series' value holds until its next sample, for at most this many intervals (the stale
# horizon) or typical steps of its own: a PDU that stopped answering is not counted at its
# last value for an hour.
HOLD_INTERVALS = 3


def combine(hists: Sequence[History], how: str) -> Curve:
    """Sum ('sum') or maximum ('max') of several series at every instant one of them changed,
    each holding its last value until its next sample (at most HOLD_INTERVALS intervals).

    This is what the window shows at that instant: the rack's kW is the sum of the latest
    total of each PDU.
    """
    hs = [h for h in hists if len(h)]
    interval = max((max(h.interval_s, h.resolution, 1) for h in hs), default=60)
    if not hs:
        return Curve(np.empty(0, dtype=np.int64), np.empty(0), interval)
    ts = np.unique(np.concatenate([h.ts for h in hs]))
    stack = np.full((len(hs), len(ts)), np.nan)
    for k, h in enumerate(hs):
        idx = np.searchsorted(h.ts, ts, side="right") - 1
        ok = idx >= 0
        # The series' own spacing counts too: a collector running late polls every 7 s
        # although the interval says 2, and its PDUs are still there between polls.
        step = float(np.median(np.diff(h.ts))) if len(h.ts) > 1 else 0.0
        hold = HOLD_INTERVALS * max(h.interval_s, h.resolution, step, 1)
        age = ts - h.ts[np.maximum(idx, 0)]
        ok &= age <= hold
        stack[k, ok] = h.avg[idx[ok]]
    # Before every series' first sample the value is incomplete (one PDU of two polled so
    # far, three inlets of ten), not a dip in the rack's power or temperature.
    stack[:, ts < max(int(h.ts[0]) for h in hs)] = np.nan
    with np.errstate(all="ignore"):
        if how == "sum":
            vals = np.where(np.isfinite(stack).any(axis=0), np.nansum(stack, axis=0), np.nan)
        else:
            vals = np.where(
                np.isfinite(stack).any(axis=0),
                np.nanmax(np.nan_to_num(stack, nan=-np.inf), axis=0),
                np.nan,
            )
    return Curve(ts.astype(np.int64), vals.astype(np.float64), interval)


# Raw points per series read for a rack curve; beyond it history() buckets (a long window).
CURVE_POINTS = 200_000


def rack_power_series(series: Sequence[SeriesRec], kinds: dict[int, str]) -> list[SeriesRec]:
    """The series whose sum at one instant is a rack's power, as the tree and the alarm
    engine add them: each PDU's whole draw (models.series_meaning.device_power), else (a rack
    without metered PDUs) each server's."""
    power = [s for s in series if s.metric == "power_w"]
    has_pdu = any(kinds.get(s.device_id) == "pdu" for s in power)
    out: list[SeriesRec] = []
    for dev_id in dict.fromkeys(s.device_id for s in power):
        kind = kinds.get(dev_id, "server")
        if has_pdu and kind != "pdu":
            continue
        mine = [s for s in power if s.device_id == dev_id]
        out.extend(device_power(kind, [(s, s.channel_class) for s in mine]))
    return out


def inlet_limits(series: Sequence[SeriesRec]) -> tuple[float, float]:
    """(warning, critical) upper limits of inlet series: the lowest effective ones the
    collector decided, else the rules' inlet levels."""
    lv = current_rules().inlet_levels()
    warn = [s.warn_high for s in series if s.warn_high is not None]
    crit = [s.crit_high for s in series if s.crit_high is not None]
    return (
        min(warn) if warn else float(lv.warning or 0.0),
        min(crit) if crit else float(lv.critical or 0.0),
    )


def rack_plot_limits(data: SnapshotData, rack_id: int, what: str) -> tuple[float | None, ...]:
    """(warning, critical) lines of a rack plot: the lowest effective inlet limits of the
    rack's inlet series (as the window's plots draw them), or the rack power rule's levels
    against the rack's rating, in W."""
    if what == "temperature":
        devs = {d.id for d in data.devices if d.rack_id == rack_id}
        inlet = [
            s
            for s in data.series
            if s.device_id in devs and s.metric == "temperature_c" and s.role == "inlet"
        ]
        return inlet_limits(inlet)
    rack = data.rack(rack_id)
    levels = current_rules().rack_power_levels(rack.rated_power_w if rack else None)
    return (None, None) if levels is None else (levels.warning, levels.critical)


@dataclass(frozen=True)
class RackCurves:
    """Per rack: power (W), hottest inlet (°C), and the largest excess of any inlet sensor
    over its own warning / critical limit (> 0 means some sensor was above its limit)."""

    power: dict[int, Curve]
    inlet: dict[int, Curve]
    over_warn: dict[int, Curve]
    over_crit: dict[int, Curve]


def rack_curves(engine: Engine, data: SnapshotData, rack_ids: Sequence[int]) -> RackCurves:
    """The curves of each rack over the window, from the raw samples where they are kept."""
    kinds = {d.id: d.kind for d in data.devices}
    dev_rack = {d.id: d.rack_id for d in data.devices}
    power_ids: dict[int, list[int]] = {}
    inlets: dict[int, list[SeriesRec]] = {}
    for rid in rack_ids:
        mine = [s for s in data.series if dev_rack.get(s.device_id) == rid]
        power_ids[rid] = [s.id for s in rack_power_series(mine, kinds)]
        inlets[rid] = [s for s in mine if s.metric == "temperature_c" and s.role == "inlet"]
    every = sorted(
        {i for ids in power_ids.values() for i in ids}
        | {s.id for ss in inlets.values() for s in ss}
    )
    hist = history(engine, every, data.start, data.end, CURVE_POINTS) if every else {}

    def excess(ss: list[SeriesRec], which: int) -> Curve:
        shifted = []
        for s in ss:
            h = hist[s.id]
            limit = inlet_limits([s])[which]
            shifted.append(replace(h, avg=h.avg - limit))
        return combine(shifted, "max")

    return RackCurves(
        {r: combine([hist[i] for i in ids], "sum") for r, ids in power_ids.items()},
        {r: combine([hist[s.id] for s in ss], "max") for r, ss in inlets.items()},
        {r: excess(ss, 0) for r, ss in inlets.items()},
        {r: excess(ss, 1) for r, ss in inlets.items()},
    )


@dataclass(frozen=True)
class RackStat:
    """One line of the affected-racks table."""

    rack_id: int
    name: str
    row: str
    peak_inlet: float | None
    peak_inlet_ts: int | None
    warn_c: float
    crit_c: float
    minutes_warn: float
    minutes_crit: float
    peak_w: float | None
    peak_w_ts: int | None
    rated_w: float | None
    ack_by: str | None
    ack_ts: int | None
    worst: str  # critical, warning or "" (no alarm)
    uniform_limits: bool = True  # every inlet sensor of the rack has the same limits

    @property
    def pct_rated(self) -> float | None:
        if self.peak_w is None or not self.rated_w:
            return None
        return 100.0 * self.peak_w / self.rated_w


def rack_stats(data: SnapshotData, curves: RackCurves) -> list[RackStat]:
    """The affected racks' peaks, minutes above the inlet limits and acknowledgement."""
    dev_rack = {d.id: d.rack_id for d in data.devices}
    out = []
    for rid in data.affected_rack_ids:
        rack = data.rack(rid)
        if rack is None:
            continue
        sensors = [
            s
            for s in data.series
            if dev_rack.get(s.device_id) == rid
            and s.metric == "temperature_c"
            and s.role == "inlet"
        ]
        warn, crit = inlet_limits(sensors)
        mine = [a for a in data.alarms if _alarm_rack(a, dev_rack) == rid]
        acked = sorted((a for a in mine if a.ack_by and a.ack_ts), key=lambda a: a.ack_ts or 0)
        worst = (
            "critical"
            if any(a.severity == "critical" for a in mine)
            else ("warning" if mine else "")
        )
        pi = curves.inlet[rid].peak() if rid in curves.inlet else None
        pw = curves.power[rid].peak() if rid in curves.power else None
        ow, oc = curves.over_warn.get(rid), curves.over_crit.get(rid)
        uniform = len({inlet_limits([s]) for s in sensors}) <= 1
        out.append(
            RackStat(
                rid,
                rack.name,
                rack.row,
                pi[0] if pi else None,
                pi[1] if pi else None,
                warn,
                crit,
                ow.seconds_above(0.0) / 60 if ow else 0.0,
                oc.seconds_above(0.0) / 60 if oc else 0.0,
                pw[0] if pw else None,
                pw[1] if pw else None,
                rack.rated_power_w,
                acked[0].ack_by if acked else None,
                acked[0].ack_ts if acked else None,
                worst,
                uniform,
            )
        )
    rank = {"critical": 0, "warning": 1, "": 2}
    order = {r.id: (r.row, r.position, r.name) for r in data.racks}
    return sorted(out, key=lambda s: (rank.get(s.worst, 2), order.get(s.rack_id, ("", 0, ""))))


def _alarm_rack(a: AlarmRec, dev_rack: dict[int, int | None]) -> int | None:
    return a.rack_id if a.rack_id is not None else dev_rack.get(a.device_id or -1)


def rack_groups(data: SnapshotData) -> list[tuple[str, list[int]]]:
    """Affected racks grouped by row (the worst row first), by position within a row."""
    groups: dict[str, list[int]] = {}
    for rid in data.affected_rack_ids:
        rack = data.rack(rid)
        if rack is not None:
            groups.setdefault(rack.row or "-", [])
    affected = set(data.affected_rack_ids)
    for rack in data.racks:  # sorted by row, position, name
        if rack.id in affected:
            groups[rack.row or "-"].append(rack.id)
    return list(groups.items())


# -- the condensed timeline --------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """Alarms of one rule on one row folded into a line, or one operator action."""

    start: int
    end: int | None  # None: still open at the end of the window
    severity: str
    what: str
    racks: tuple[str, ...]
    alarms: int
    detail: str  # the first alarm's message, or the operator's note
    crit_ts: int | None = None  # the first critical alarm of the group
    crit_message: str = ""
    # The first alarm of each other rule in an incident (a forecast before the critical).
    others: tuple[tuple[int, str, str], ...] = ()  # (raised, rule, message)


def timeline(data: SnapshotData, locale: str | None = "en") -> list[TimelineEntry]:
    """The alarm engine's incidents (one line each), the alarms outside them grouped by rule
    and row (one line per group, not per sensor), and the operators' acknowledgements with
    their notes (one line per note); messages in locale (models.messages)."""
    dev_rack = {d.id: d.rack_id for d in data.devices}
    incidents = {i.id: i for i in data.incidents}
    out: list[TimelineEntry] = []
    # The alarm engine's incidents first: one line each, as the dock and the wall show them.
    folded: dict[int, list[AlarmRec]] = defaultdict(list)
    for a in data.alarms:
        if a.incident_id in incidents:
            folded[a.incident_id].append(a)
    for iid, alarms in folded.items():
        inc = incidents[iid]
        racks = sorted({r.name for a in alarms for r in [data.rack(_alarm_rack(a, dev_rack))] if r})
        crit = [a for a in alarms if a.severity == "critical"]
        first = min(alarms, key=lambda a: a.raised_ts)
        c = min(crit, key=lambda a: a.raised_ts) if crit else None
        by_rule: dict[str, AlarmRec] = {}
        for a in sorted(alarms, key=lambda a: a.raised_ts):
            if a.rule != first.rule:
                by_rule.setdefault(a.rule, a)
        out.append(
            TimelineEntry(
                min(inc.first_ts, first.raised_ts),
                inc.cleared_ts,
                inc.severity,
                inc.text(locale),
                tuple(racks),
                len(alarms),
                first.text(locale),
                c.raised_ts if c else None,
                c.text(locale) if c else "",
                tuple((a.raised_ts, a.rule, a.text(locale)) for a in by_rule.values())[:3],
            )
        )
    groups: dict[tuple[str, str], list[AlarmRec]] = defaultdict(list)
    for a in data.alarms:
        if a.incident_id in incidents:
            continue
        rack = data.rack(_alarm_rack(a, dev_rack))
        groups[(a.rule, rack.row if rack else "")].append(a)
    for (rule, row), alarms in groups.items():
        racks = sorted({r.name for a in alarms for r in [data.rack(_alarm_rack(a, dev_rack))] if r})
        crit = [a for a in alarms if a.severity == "critical"]
        first = min(alarms, key=lambda a: a.raised_ts)
        open_ = any(a.cleared_ts is None for a in alarms)
        end = None if open_ else max(a.cleared_ts or 0 for a in alarms)
        where = f"row {row}" if row else data.site.code
        c = min(crit, key=lambda a: a.raised_ts) if crit else None
        out.append(
            TimelineEntry(
                first.raised_ts,
                end,
                "critical" if crit else first.severity,
                f"{rule.replace('_', ' ')} on {len(racks)} rack(s) of {where}",
                tuple(racks),
                len(alarms),
                first.text(locale),
                c.raised_ts if c else None,
                c.text(locale) if c else "",
            )
        )
    by_id = {a.id: a for a in data.alarms}
    notes: dict[tuple[str, str], list[EventRec]] = defaultdict(list)
    for ev in data.events:
        if ev.user != "system" and ev.action in ("acknowledge", "shelve", "unshelve"):
            notes[(ev.user, ev.note or "")].append(ev)
    for (user, note), evs in notes.items():
        racks = sorted(
            {
                r.name
                for e in evs
                for a in [by_id.get(e.alarm_id)]
                if a is not None
                for r in [data.rack(_alarm_rack(a, dev_rack))]
                if r
            }
        )
        verb = {"acknowledge": "acknowledged", "shelve": "shelved"}.get(evs[0].action, "unshelved")
        out.append(
            TimelineEntry(
                min(e.ts for e in evs),
                None,
                "note",
                f"{user} {verb} {len(evs)} alarm(s)",
                tuple(racks),
                len(evs),
                note,
            )
        )
    out.sort(key=lambda e: (e.start, e.severity == "note"))
    return out


def _at_one_site(
    conn: Any, scope: Any, table: str, column: str, what: str, name: str, site_code: str | None
) -> list[Any]:
    """Rows of table whose column is name (at site_code when given), all at one site."""
    sql = (
        f"SELECT t.id, t.site_id, s.code, s.name, s.tz FROM {table} t "
        f'JOIN site s ON s.id = t.site_id WHERE t."{column}" = :n'
    )
    params: dict[str, Any] = {"n": name}
    if site_code:
        sql += " AND s.code = :c"
        params["c"] = site_code
    rows = list(conn.execute(text(sql + " ORDER BY t.id"), params).all())
    if not rows:
        raise SnapshotError(f"scope {scope}: no {what} named {name!r}")
    if len({r[1] for r in rows}) > 1:
        sites = ", ".join(sorted({r[2] for r in rows}))
        raise SnapshotError(
            f"scope {scope}: {what} {name!r} exists at several sites ({sites}); "
            f"write {scope.kind}:SITE/{name}"
        )
    return rows
