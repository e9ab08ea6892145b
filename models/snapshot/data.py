"""Incident snapshot data: scope resolution, inventory, alarms, samples CSV, and verification."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, text

from models.store.samples import History, history

SCOPE_KINDS = ("site", "rack", "device")
MANIFEST = "manifest.json"
FORMAT = "rackwatch-snapshot/1"
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
    """'site:CODE', 'rack:NAME' (or SITE/NAME), 'device:NAME' (or SITE/NAME)."""
    kind, sep, name = value.partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in SCOPE_KINDS or not name.strip():
        raise SnapshotError(
            f"scope {value!r}: expected site:CODE, rack:NAME or device:NAME (NAME may be SITE/NAME)"
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
    warn_high: float | None
    crit_high: float | None


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


@dataclass(frozen=True, slots=True)
class EventRec:
    alarm_id: int
    ts: int
    action: str
    from_state: str | None
    to_state: str
    user: str
    note: str | None


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
    hottest: list[DeviceStat] = field(default_factory=list)
    most_loaded: list[DeviceStat] = field(default_factory=list)
    rack_inlet_max: dict[int, float] = field(default_factory=dict)
    rack_power_max: dict[int, float] = field(default_factory=dict)
    device_inlet_max: dict[int, float] = field(default_factory=dict)
    affected_rack_ids: list[int] = field(default_factory=list)

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
        table = "rack" if scope.kind == "rack" else "device"
        sql = (
            f"SELECT t.id, t.site_id, s.code, s.name, s.tz FROM {table} t "
            "JOIN site s ON s.id = t.site_id WHERE t.name = :n"
        )
        params: dict[str, Any] = {"n": name}
        if site_code:
            sql += " AND s.code = :c"
            params["c"] = site_code
        rows = conn.execute(text(sql + " ORDER BY t.id"), params).all()
        if not rows:
            raise SnapshotError(f"scope {scope}: no {table} named {name!r}")
        if len({r[1] for r in rows}) > 1:
            sites = ", ".join(sorted({r[2] for r in rows}))
            raise SnapshotError(
                f"scope {scope}: {table} {name!r} exists at several sites ({sites}); "
                f"write {scope.kind}:SITE/{name}"
            )
        r = rows[0]
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
                SeriesRec(int(s[0]), int(s[1]), s[2], s[3] or "", s[4], s[5] or "", s[6], s[7])
                for s in conn.execute(
                    text(
                        "SELECT id, device_id, metric, channel, role, unit, warn_high, crit_high "
                        "FROM series WHERE device_id IN :d"
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
                EventRec(int(e[0]), int(e[1]), e[2], e[3], e[4], e[5], e[6])
                for e in conn.execute(
                    text(
                        'SELECT alarm_id, ts, action, from_state, to_state, "user", note '
                        "FROM alarm_event WHERE alarm_id IN :a"
                    ).bindparams(_in("a")),
                    {"a": aids[i : i + 900]},
                )
            )
        events.sort(key=lambda e: (e.ts, e.alarm_id))
    if cancelled and cancelled():
        raise ExportCancelled("export cancelled")
    data = SnapshotData(scope, start, end, site, racks, devices, series, alarms, events)
    say(10, "computing peaks")
    _stats(engine, data)
    data.affected_rack_ids = _affected(data)
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
    elif scope.kind == "rack":
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
        "a.ack_note FROM alarm a WHERE (" + " OR ".join(conds) + ") AND a.raised_ts <= :e "
        "AND (a.cleared_ts IS NULL OR a.cleared_ts >= :s) ORDER BY a.raised_ts, a.id"
    )
    stmt = text(sql)
    if "racks" in params:
        stmt = stmt.bindparams(_in("racks"))
    if "devs" in params:
        stmt = stmt.bindparams(_in("devs"))
    return [AlarmRec(*r) for r in conn.execute(stmt, params)]


def _stats(engine: Engine, data: SnapshotData) -> None:
    """Peak inlet per device and rack, mean and peak power per device, rack power peaks."""
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
    # A device's power: its total channel when it has one, else the sum of its channels.
    dev_power: dict[int, tuple[float, float]] = {}
    by_dev: dict[int, list[SeriesRec]] = defaultdict(list)
    for s in power:
        if s.id in agg:
            by_dev[s.device_id].append(s)
    for d, ss in by_dev.items():
        totals = [s for s in ss if s.channel.lower() in ("", "total", "input", "system")]
        use = totals[:1] or [s for s in ss if "outlet" not in s.channel.lower()]
        if use:
            dev_power[d] = (sum(agg[s.id][0] for s in use), sum(agg[s.id][1] for s in use))
    data.most_loaded = sorted(
        (DeviceStat(d, mean, peak) for d, (mean, peak) in dev_power.items()),
        key=lambda x: -x.value,
    )[:10]
    for d, v in peak_inlet.items():
        r = dev_rack.get(d)
        if r is not None:
            data.rack_inlet_max[r] = max(data.rack_inlet_max.get(r, -1e9), v)
    rack_pdu: dict[int, float] = {}
    rack_srv: dict[int, float] = {}
    for d, (_mean, peak) in dev_power.items():
        r = dev_rack.get(d)
        if r is None:
            continue
        target = rack_pdu if dev_kind.get(d) == "pdu" else rack_srv
        target[r] = target.get(r, 0.0) + peak
    for r in set(rack_pdu) | set(rack_srv):
        data.rack_power_max[r] = rack_pdu.get(r, rack_srv.get(r, 0.0))


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
    """Racks to plot: those with alarms, else the hottest; at most six."""
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
    return seen[:6]


# -- series for plots ------------------------------------------------------------------------


@dataclass(frozen=True)
class PlotSeries:
    label: str
    unit: str
    history: History


def rack_plot_series(
    engine: Engine, data: SnapshotData, rack_id: int, what: str, max_points: int = 600
) -> list[PlotSeries]:
    """Inlet temperatures ('temperature') or PDU / device power ('power') of one rack."""
    devs = {d.id: d for d in data.devices if d.rack_id == rack_id}
    if what == "temperature":
        chosen = [
            s
            for s in data.series
            if s.device_id in devs and s.metric == "temperature_c" and s.role == "inlet"
        ]
    else:
        pdus = [
            s
            for s in data.series
            if s.device_id in devs
            and devs[s.device_id].kind == "pdu"
            and s.metric == "power_w"
            and s.channel.lower() in ("", "total", "input", "device 1")
        ]
        chosen = pdus or [
            s
            for s in data.series
            if s.device_id in devs
            and s.metric == "power_w"
            and s.channel.lower() in ("", "total", "input", "system")
        ]
    chosen = chosen[:16]
    hist = history(engine, [s.id for s in chosen], data.start, data.end, max_points)
    out = []
    for s in chosen:
        dev = devs[s.device_id]
        label = dev.name + (f" {s.channel}" if s.channel and what == "temperature" else "")
        if what == "power" and dev.feed:
            label = f"{dev.name} (feed {dev.feed})"
        out.append(PlotSeries(label, s.unit, hist[s.id]))
    return out


# -- files -------------------------------------------------------------------------------------


def inventory_json(data: SnapshotData) -> dict[str, Any]:
    """Inventory of the scope; credentials (even their names) are never included."""
    return {
        "site": asdict(data.site),
        "racks": [
            {
                **{k: v for k, v in asdict(r).items() if k != "feeds"},
                "feeds": [asdict(f) for f in r.feeds],
            }
            for r in data.racks
        ],
        "devices": [asdict(d) for d in data.devices],
        "series": [asdict(s) for s in data.series],
    }


def alarms_csv(data: SnapshotData) -> bytes:
    racks = {r.id: r.name for r in data.racks}
    devs = {d.id: d for d in data.devices}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "alarm_id",
            "raised_utc",
            "cleared_utc",
            "severity",
            "state",
            "rule",
            "site",
            "rack",
            "device",
            "message",
            "value",
            "threshold",
            "ack_by",
            "ack_utc",
            "ack_note",
            "key",
        ]
    )
    for a in data.alarms:
        dev = devs.get(a.device_id or -1)
        rack = racks.get(a.rack_id or (dev.rack_id if dev else -1) or -1, "")
        w.writerow(
            [
                a.id,
                iso_utc(a.raised_ts),
                iso_utc(a.cleared_ts) if a.cleared_ts else "",
                a.severity,
                a.state,
                a.rule,
                data.site.code,
                rack,
                dev.name if dev else "",
                a.message,
                "" if a.value is None else a.value,
                "" if a.threshold is None else a.threshold,
                a.ack_by or "",
                iso_utc(a.ack_ts) if a.ack_ts else "",
                a.ack_note or "",
                a.key,
            ]
        )
    return buf.getvalue().encode("utf-8")


def _csv_field(v: str) -> str:
    if any(c in v for c in ',"\n\r'):
        return '"' + v.replace('"', '""') + '"'
    return v


def sample_plan(data: SnapshotData) -> list[tuple[int, int]]:
    """(series id, resolution) in export order: 0 = raw, 300 / 3600 = rollup means.

    Everything raw while the estimated rows fit RAW_ROW_BUDGET; otherwise the affected
    racks stay raw and the rest of the scope takes the finest rollup that fits.
    """
    interval = {d.id: max(1, d.poll_interval_s) for d in data.devices}
    span = max(1, data.end - data.start)
    est = sum(span // interval[s.device_id] + 1 for s in data.series)
    if est <= RAW_ROW_BUDGET:
        return [(s.id, 0) for s in data.series]
    dev_rack = {d.id: d.rack_id for d in data.devices}
    # Racks with alarms stay raw; without alarms, the racks the report plots do.
    alarmed = {
        a.rack_id if a.rack_id is not None else dev_rack.get(a.device_id or -1) for a in data.alarms
    }
    affected = (alarmed & set(data.affected_rack_ids)) or set(data.affected_rack_ids)
    raw = {s.id for s in data.series if dev_rack.get(s.device_id) in affected}
    raw_est = sum(span // interval[s.device_id] + 1 for s in data.series if s.id in raw)
    rest = len(data.series) - len(raw)
    res = 300 if raw_est + rest * (span // 300 + 1) <= RAW_ROW_BUDGET else 3600
    return [(s.id, 0 if s.id in raw else res) for s in data.series]


def write_samples_csv(
    engine: Engine,
    data: SnapshotData,
    out: Any,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    span: tuple[int, int] = (15, 80),
) -> int:
    """Stream data/samples.csv into a binary file object; returns the rows written.

    The database formats each line (time, value) itself: Python-side formatting of millions
    of rows would dominate the export time.
    """
    plan = sample_plan(data)
    racks = {r.id: r.name for r in data.racks}
    devs = {d.id: d for d in data.devices}
    prefix: dict[int, tuple[str, str]] = {}
    for s in data.series:
        d = devs[s.device_id]
        head = ",".join(
            _csv_field(x)
            for x in (data.site.code, racks.get(d.rack_id or -1, ""), d.name, s.metric, s.channel)
        )
        prefix[s.id] = (head, _csv_field(s.unit))
    out.write((",".join(SAMPLE_COLUMNS) + "\n").encode("utf-8"))
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        iso_raw = "strftime('%Y-%m-%dT%H:%M:%SZ', ts, 'unixepoch')"
        iso_bucket = "strftime('%Y-%m-%dT%H:%M:%SZ', bucket, 'unixepoch')"
        val = "CAST(value AS TEXT)"
        avg = "CAST(round(sum / count, 4) AS TEXT)"
    else:
        iso_raw = "to_char(to_timestamp(ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        iso_bucket = iso_raw.replace("(ts)", "(bucket)")
        val = "CAST(value AS TEXT)"
        avg = "CAST(round(CAST(sum / count AS numeric), 4) AS TEXT)"
    rows = 0
    lo, hi = span
    from models.store.backend import reader_for

    reader = reader_for(engine)
    if reader is not None:
        return _write_samples_vm(reader, data, plan, prefix, out, progress, cancelled, span)
    raw_conn = engine.raw_connection()
    try:
        cur = raw_conn.cursor()
        for n, (sid, res) in enumerate(plan):
            if cancelled and n % 50 == 0 and cancelled():
                raise ExportCancelled("export cancelled")
            head, unit = prefix[sid]
            if res == 0:
                sql = (
                    f"SELECT {iso_raw}, {val} FROM sample WHERE series_id = {int(sid)} "
                    f"AND ts >= {int(data.start)} AND ts <= {int(data.end)} ORDER BY ts"
                )
            else:
                sql = (
                    f"SELECT {iso_bucket}, {avg} FROM rollup WHERE series_id = {int(sid)} "
                    f"AND res = {int(res)} AND bucket >= {int(data.start - data.start % res)} "
                    f"AND bucket <= {int(data.end)} ORDER BY bucket"
                )
            cur.execute(sql)
            got = cur.fetchall()
            if got:
                tail = f",{unit},{res}\n"
                mid = f",{head},"
                out.write("".join(t + mid + v + tail for t, v in got).encode("utf-8"))
                rows += len(got)
            if progress and n % 200 == 0:
                progress(lo + (hi - lo) * n // max(1, len(plan)), f"samples: {rows:,} rows")
        raw_conn.rollback()
    finally:
        raw_conn.close()
    return rows


def _write_samples_vm(
    reader: Any,
    data: SnapshotData,
    plan: list[tuple[int, int]],
    prefix: dict[int, tuple[str, str]],
    out: Any,
    progress: Progress | None,
    cancelled: Cancelled | None,
    span: tuple[int, int],
) -> int:
    """samples.csv from VictoriaMetrics: raw points, or its own means per 5-min/1-h step."""
    import time as _time

    rows = 0
    lo, hi = span
    width = max(1, data.end - data.start)
    for n, (sid, res) in enumerate(plan):
        if cancelled and n % 50 == 0 and cancelled():
            raise ExportCancelled("export cancelled")
        head, unit = prefix[sid]
        points = width // res + 1 if res else 30_000
        h = reader.history([sid], data.start, data.end, points).get(sid)
        if h is not None and len(h):
            tail = f",{unit},{res}\n"
            mid = f",{head},"
            vals = [round(v, 4) for v in h.avg.tolist()] if res else h.avg.tolist()
            out.write(
                "".join(
                    _time.strftime("%Y-%m-%dT%H:%M:%SZ", _time.gmtime(int(t)))
                    + mid
                    + repr(float(v))
                    + tail
                    for t, v in zip(h.ts.tolist(), vals, strict=True)
                ).encode("utf-8")
            )
            rows += len(h)
        if progress and n % 200 == 0:
            progress(lo + (hi - lo) * n // max(1, len(plan)), f"samples: {rows:,} rows")
    return rows


# -- manifest and verification ---------------------------------------------------------------


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    problem: str | None = None

    def lines(self) -> list[str]:
        out = [f"changed: {n}" for n in self.changed]
        out += [f"missing: {n}" for n in self.missing]
        out += [f"not in manifest: {n}" for n in self.extra]
        if self.problem:
            out.append(self.problem)
        return out


def verify_snapshot(path: str | Path) -> VerifyResult:
    """Check every file of a snapshot zip against the SHA-256 in its manifest."""
    p = Path(path)
    try:
        zf = zipfile.ZipFile(p)
    except (OSError, zipfile.BadZipFile) as exc:
        return VerifyResult(False, 0, problem=f"{p}: not a readable zip ({exc})")
    with zf:
        names = set(zf.namelist())
        if MANIFEST not in names:
            return VerifyResult(False, 0, problem=f"{p}: no {MANIFEST}")
        try:
            manifest = json.loads(zf.read(MANIFEST))
            files: dict[str, Any] = manifest["files"]
        except (ValueError, KeyError, TypeError) as exc:
            return VerifyResult(False, 0, problem=f"{p}: {MANIFEST} unreadable ({exc})")
        res = VerifyResult(True, 0)
        for name, meta in sorted(files.items()):
            if name not in names:
                res.missing.append(name)
                continue
            h = hashlib.sha256()
            try:
                with zf.open(name) as f:
                    for chunk in iter(lambda f=f: f.read(1 << 20), b""):  # type: ignore[misc]
                        h.update(chunk)
            except (zipfile.BadZipFile, OSError):
                # A flipped byte inside deflated data can break the stream (bad CRC).
                res.changed.append(name)
                continue
            res.checked += 1
            if h.hexdigest() != meta.get("sha256"):
                res.changed.append(name)
        res.extra = sorted(n for n in names - set(files) - {MANIFEST} if not n.endswith("/"))
        res.ok = not (res.changed or res.missing or res.extra)
        return res
