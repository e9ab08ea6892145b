"""The rack view's reads: rack contents, feeds, device series and PDU loads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, bindparam, text

from models.read.inventory import RackInfo, SiteInfo, _natural
from models.read.status import Summary, summaries
from models.rules import current_rules
from models.series_meaning import device_power, phase_number

# -- rack view -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedInfo:
    feed: str
    breaker_a: float
    phases: int
    voltage_v: float


@dataclass(frozen=True, slots=True)
class DeviceSlot:
    id: int
    name: str
    kind: str
    u_position: int | None
    u_height: int
    feed: str | None
    model: str
    serial: str
    address: str
    protocol: str
    poll_interval_s: int
    status: Summary | None
    error: str | None


@dataclass(frozen=True, slots=True)
class RackContents:
    site: SiteInfo
    rack: RackInfo
    feeds: tuple[FeedInfo, ...]
    devices: tuple[DeviceSlot, ...]
    summary: Summary | None


def find_rack(engine: Engine, name: str) -> int | None:
    """Rack id by 'NAME' or 'SITE/NAME' (site code), None when there is no such rack."""
    site, _, rack = name.rpartition("/")
    with engine.connect() as conn:
        if site:
            row = conn.execute(
                text(
                    "SELECT r.id FROM rack r JOIN site s ON s.id = r.site_id "
                    "WHERE s.code = :s AND r.name = :r"
                ),
                {"s": site, "r": rack},
            ).first()
        else:
            row = conn.execute(
                text("SELECT id FROM rack WHERE name = :r ORDER BY site_id LIMIT 1"), {"r": rack}
            ).first()
    return None if row is None else int(row[0])


def find_site(engine: Engine, code: str) -> SiteInfo | None:
    with engine.connect() as conn:
        r = conn.execute(
            text("SELECT id, code, name, tz FROM site WHERE code = :c OR name = :c"), {"c": code}
        ).first()
    return None if r is None else SiteInfo(r[0], r[1], r[2], r[3] or "UTC")


def rack_contents(engine: Engine, rack_id: int, now: int | None = None) -> RackContents:
    """A rack with its feeds and every device (position, height, status)."""
    with engine.connect() as conn:
        r = conn.execute(
            text(
                "SELECT r.id, r.site_id, r.name, r.row, r.position, r.height_u, r.rated_power_w, "
                "s.code, s.name, s.tz FROM rack r JOIN site s ON s.id = r.site_id WHERE r.id = :r"
            ),
            {"r": rack_id},
        ).first()
        if r is None:
            raise LookupError(f"rack {rack_id} does not exist")
        rack = RackInfo(r[0], r[1], r[2], r[3] or "", r[4] or 0, r[5] or 42, r[6])
        site = SiteInfo(r[1], r[7], r[8], r[9] or "UTC")
        feeds = tuple(
            FeedInfo(f[0], float(f[1]), int(f[2]), float(f[3]))
            for f in conn.execute(
                text(
                    "SELECT feed, breaker_a, phases, voltage_v FROM rack_feed WHERE rack_id = :r "
                    "ORDER BY feed"
                ),
                {"r": rack_id},
            )
        )
        rows = conn.execute(
            text(
                "SELECT d.id, d.name, d.kind, d.u_position, d.u_height, d.feed, d.model, d.serial, "
                "d.address, d.protocol, d.poll_interval_s, ds.error FROM device d "
                "LEFT JOIN device_state ds ON ds.device_id = d.id WHERE d.rack_id = :r "
                "ORDER BY d.u_position DESC, d.name"
            ),
            {"r": rack_id},
        ).all()
    dev_sum = summaries(engine, "device", [d[0] for d in rows], now=now) if rows else {}
    rack_sum = summaries(engine, "rack", [rack_id], now=now).get(rack_id)
    devices = tuple(
        DeviceSlot(
            d[0],
            d[1],
            d[2],
            d[3],
            d[4] or 1,
            d[5],
            d[6] or "",
            d[7] or "",
            d[8] or "",
            d[9] or "",
            d[10] or 60,
            dev_sum.get(d[0]),
            d[11],
        )
        for d in rows
    )
    return RackContents(site, rack, feeds, devices, rack_sum)


@dataclass(frozen=True, slots=True)
class SeriesRow:
    id: int
    device_id: int
    device_name: str
    metric: str
    channel: str
    role: str | None
    unit: str
    warn_low: float | None
    warn_high: float | None
    crit_low: float | None
    crit_high: float | None
    value: float | None
    ts: int | None
    status: str  # ok, stale, unreachable, none
    # The collector's decision (models.series_meaning): the limits above are effective ones.
    channel_class: str = "part"
    limits_source: str | None = None
    stale_after_s: int | None = None
    device_kind: str = ""

    @property
    def label(self) -> str:
        parts = [self.metric]
        if self.role:
            parts.append(self.role)
        if self.channel:
            parts.append(self.channel)
        return " ".join(parts)


_SERIES_SQL = (
    "SELECT s.id, s.device_id, d.name, s.metric, s.channel, s.role, s.unit, s.warn_low, "
    "s.warn_high, s.crit_low, s.crit_high, l.value, l.ts, l.status, s.channel_class, "
    "s.limits_source, s.stale_after_s, d.kind FROM series s "
    "JOIN device d ON d.id = s.device_id LEFT JOIN latest l ON l.series_id = s.id "
)


def _series_row(r: Any) -> SeriesRow:
    return SeriesRow(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4] or "",
        r[5],
        r[6] or "",
        r[7],
        r[8],
        r[9],
        r[10],
        r[11],
        r[12],
        r[13] or ("none" if r[12] is None else "ok"),
        r[14] or "part",
        r[15],
        r[16],
        r[17] or "",
    )


def device_series(engine: Engine, device_id: int) -> tuple[SeriesRow, ...]:
    """Every series of a device with its latest value, in a stable display order."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(_SERIES_SQL + "WHERE s.device_id = :d ORDER BY s.metric, s.role, s.channel"),
            {"d": device_id},
        ).all()
    return tuple(_series_row(r) for r in rows)


def rack_series(
    engine: Engine, rack_id: int, metric: str, role: str | None = None, kind: str | None = None
) -> tuple[SeriesRow, ...]:
    """Series of one metric (and role / device kind) across a rack, for rack plots."""
    conds = ["d.rack_id = :r", "s.metric = :m"]
    params: dict[str, Any] = {"r": rack_id, "m": metric}
    if role is not None:
        conds.append("s.role = :role")
        params["role"] = role
    if kind is not None:
        conds.append("d.kind = :k")
        params["k"] = kind
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                _SERIES_SQL
                + "WHERE "
                + " AND ".join(conds)
                + " ORDER BY d.u_position DESC, d.name, s.channel"
            ),
            params,
        ).all()
    return tuple(_series_row(r) for r in rows)


@dataclass(frozen=True, slots=True)
class Load:
    label: str
    value: float | None
    limit: float | None  # the bar's full scale (the feed's breaker for a phase)
    unit: str
    series_id: int
    ts: int | None
    warning: float | None = None  # the series' effective warning level
    critical: float | None = None
    phase: int | None = None


@dataclass(frozen=True, slots=True)
class PduLoad:
    device_id: int
    name: str
    feed: str | None
    breaker_a: float | None
    total_w: float | None
    phases: tuple[Load, ...]
    outlets: tuple[Load, ...]


def pdu_loads(engine: Engine, rack_id: int) -> tuple[PduLoad, ...]:
    """Per-phase current against the feed's breaker, and per-outlet power, of each PDU."""
    with engine.connect() as conn:
        pdus = conn.execute(
            text(
                "SELECT d.id, d.name, d.feed, f.breaker_a, f.phases FROM device d "
                "LEFT JOIN rack_feed f ON f.rack_id = d.rack_id AND f.feed = d.feed "
                "WHERE d.rack_id = :r AND d.kind = 'pdu' ORDER BY d.feed, d.name"
            ),
            {"r": rack_id},
        ).all()
        if not pdus:
            return ()
        rows = conn.execute(
            text(
                _SERIES_SQL + "WHERE s.device_id IN :ids AND s.metric IN ('current_a', 'power_w')"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": [p[0] for p in pdus]},
        ).all()
    rules = current_rules()
    series = [_series_row(r) for r in rows]
    out = []
    for dev_id, name, feed, breaker, feed_phases in pdus:
        mine = [s for s in series if s.device_id == dev_id]
        power = [s for s in mine if s.metric == "power_w" and s.value is not None]
        used = device_power("pdu", [(s, s.channel_class) for s in power])
        total = sum(s.value for s in used if s.value is not None) if used else None
        loads = []
        for s in mine:
            if s.metric != "current_a":
                continue
            n = phase_number(s.channel, s.channel_class, rules, feed_phases if feed else None)
            if n is None:
                continue
            loads.append(
                Load(
                    s.channel or "L1",
                    s.value,
                    breaker or s.crit_high,
                    s.unit,
                    s.id,
                    s.ts,
                    s.warn_high,
                    s.crit_high,
                    n,
                )
            )
        phases = tuple(sorted(loads, key=lambda x: _natural(x.label)))
        # Outlet power where the PDU meters it, else outlet current.
        outlet_metric = (
            "power_w"
            if any(s.metric == "power_w" and s.channel_class == "outlet" for s in mine)
            else "current_a"
        )
        outlets = tuple(
            sorted(
                (
                    Load(s.channel, s.value, None, s.unit, s.id, s.ts, s.warn_high, s.crit_high)
                    for s in mine
                    if s.metric == outlet_metric and s.channel_class == "outlet"
                ),
                key=lambda x: _natural(x.label),
            )
        )
        out.append(PduLoad(dev_id, name, feed, breaker, total, phases, outlets))
    return tuple(out)


def power_series(rows: Sequence[SeriesRow]) -> tuple[SeriesRow, ...]:
    """The power series whose sum is a rack's power, as the tree, floor map and alarm engine
    add them: per device its totals, else its phases (a server: its parts); PDUs' only when
    the rack has PDUs."""
    by_dev: dict[int, list[SeriesRow]] = {}
    for r in rows:
        if r.metric == "power_w":
            by_dev.setdefault(r.device_id, []).append(r)
    has_pdu = any(ss[0].device_kind == "pdu" for ss in by_dev.values())
    out: list[SeriesRow] = []
    for ss in by_dev.values():
        kind = ss[0].device_kind or "server"
        if has_pdu and kind != "pdu":
            continue
        out.extend(device_power(kind, [(s, s.channel_class) for s in ss]))
    return tuple(out)
