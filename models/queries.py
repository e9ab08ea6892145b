"""Read-side queries and small writers for the GUI, returning immutable plain data."""

from __future__ import annotations

import array
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Engine, bindparam, event, text

from models.store import next_change_seq, placeholder

# Worst-last ranking of the states shown everywhere; a parent shows its worst child.
STATES: tuple[str, ...] = ("ok", "unknown", "stale", "warning", "unreachable", "critical")
STATE_RANK: dict[str, int] = {s: i for i, s in enumerate(STATES)}
ALARM_OPEN_STATES = ("active", "acknowledged")
# A device whose last good poll is older than this many poll intervals shows as stale.
STALE_INTERVALS = 3
# ASHRAE recommended / allowable A1 upper bounds, used when a series has no own thresholds.
INLET_WARN_C = 27.0
INLET_CRIT_C = 32.0
TOTAL_CHANNELS = ("", "total", "input", "inlet")
# Power channel names differ per profile: "total", "input", "inlet I1", "cord A" are a whole
# device; "outlet 3 web01" is one outlet; anything else ("phase 1", "input L2") is a part
# that sums to the whole when no total is reported.
_TOTAL_PREFIXES = ("inlet", "cord")


def is_total_channel(channel: str) -> bool:
    c = channel.strip().lower()
    return c in TOTAL_CHANNELS or c.startswith(_TOTAL_PREFIXES)


def is_outlet_channel(channel: str) -> bool:
    return channel.strip().lower().startswith("outlet")


_TOTAL_SQL = (
    "(lower(s.channel) IN ('', 'total', 'input', 'inlet') OR lower(s.channel) LIKE 'inlet%' "
    "OR lower(s.channel) LIKE 'cord%')"
)
_OUTLET_SQL = "lower(s.channel) LIKE 'outlet%'"
_CHUNK = 900

IntArray = npt.NDArray[np.int64]


def worst(a: str, b: str) -> str:
    """The worse of two states."""
    return a if STATE_RANK.get(a, 0) >= STATE_RANK.get(b, 0) else b


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else int(now)


def _chunks(items: Sequence[int], size: int = _CHUNK) -> Iterable[list[int]]:
    for i in range(0, len(items), size):
        yield [int(x) for x in items[i : i + size]]


# -- inventory (the tree and the search index) -------------------------------------------------


@dataclass(frozen=True, slots=True)
class SiteInfo:
    id: int
    code: str
    name: str
    tz: str


@dataclass(frozen=True, slots=True)
class RackInfo:
    id: int  # 0 for the synthetic "unracked" group of a site
    site_id: int
    name: str
    row: str
    position: int
    height_u: int
    rated_power_w: float | None


class _Column(Sequence[str]):
    """A read-only column of text backed by compact arrays; subclasses say how to read one."""

    __slots__ = ()

    def _item(self, i: int) -> str:
        raise NotImplementedError

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self._item(j) for j in range(*i.indices(len(self)))]
        return self._item(i)


class Names(_Column):
    """Device names kept in one string with offsets: 2,000,000 str objects would cost ~130 MB
    of object headers alone. Indexing slices the name out."""

    __slots__ = ("_ends", "_starts", "_text")

    def __init__(self, text: str, starts: IntArray, ends: IntArray) -> None:
        self._text, self._starts, self._ends = text, starts, ends

    def __len__(self) -> int:
        return len(self._starts)

    def _item(self, i: int) -> str:
        return self._text[int(self._starts[i]) : int(self._ends[i])]


class Kinds(_Column):
    """Device kinds as one byte per device plus the list of distinct kinds."""

    __slots__ = ("_codes", "_names")

    def __init__(self, codes: npt.NDArray[np.uint8], names: tuple[str, ...]) -> None:
        self._codes, self._names = codes, names

    def __len__(self) -> int:
        return len(self._codes)

    def _item(self, i: int) -> str:
        return self._names[int(self._codes[i])]


@dataclass(frozen=True)
class Inventory:
    """Sites, racks and devices in tree order, held column-wise so 2M devices stay compact.

    Racks are sorted by site; devices by rack (index into racks), so the children of site s are
    racks[site_rack_start[s]:site_rack_start[s+1]] and likewise for devices of rack r.
    """

    sites: tuple[SiteInfo, ...]
    racks: tuple[RackInfo, ...]
    site_rack_start: IntArray
    rack_site: IntArray
    rack_device_start: IntArray
    device_ids: IntArray
    device_rack: IntArray
    device_u: IntArray  # -1 when the device has no U position
    device_names: Names
    device_kinds: Kinds
    # "name\taddress\tserial\tmodel\n" per device, lower-cased, in device order.
    search_text: str
    search_offsets: IntArray

    @property
    def device_count(self) -> int:
        return len(self.device_ids)

    def device_index(self, device_id: int) -> int | None:
        pos = _id_lookup(self, "device", device_id)
        return pos

    def rack_index(self, rack_id: int) -> int | None:
        return _id_lookup(self, "rack", rack_id)

    def site_index(self, site_id: int) -> int | None:
        for i, s in enumerate(self.sites):
            if s.id == site_id:
                return i
        return None


_ID_MAPS: dict[int, dict[str, Any]] = {}


def _id_lookup(inv: Inventory, what: str, ident: int) -> int | None:
    # Built on first use and cached per inventory; sorted id arrays keep it to two arrays.
    maps = _ID_MAPS.setdefault(id(inv), {})
    if what not in maps:
        if what == "device":
            ids = inv.device_ids
        else:
            ids = np.fromiter((r.id for r in inv.racks), dtype=np.int64, count=len(inv.racks))
        order = np.argsort(ids, kind="stable")
        maps[what] = (ids[order], order)
        if len(_ID_MAPS) > 8:
            _ID_MAPS.pop(next(iter(_ID_MAPS)))
    sorted_ids, order = maps[what]
    pos = int(np.searchsorted(sorted_ids, ident))
    if pos < len(sorted_ids) and int(sorted_ids[pos]) == ident:
        return int(order[pos])
    return None


def limit_page_cache(engine: Engine, mebibytes: int = 16) -> None:
    """Cap SQLite's page cache per connection for a reader such as the GUI.

    The writer's default (256 MiB per connection) is right for the collector, but a GUI keeps a
    pooled connection per worker thread and would grow by that much for each of them.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _cache(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA cache_size=-{int(mebibytes) * 1024}")
        cur.close()


def load_inventory(engine: Engine) -> Inventory:
    """Read every site, rack and device once; the GUI keeps this and refreshes only states.

    Devices stream from the database already in tree order (racks ranked through a temporary
    table) and go straight into compact columns and text blocks, so 2,000,000 devices never
    exist as row objects at once.
    """
    with engine.connect() as conn:
        sites = tuple(
            SiteInfo(r[0], r[1], r[2], r[3] or "UTC")
            for r in conn.execute(text("SELECT id, code, name, tz FROM site ORDER BY code"))
        )
        rack_rows = conn.execute(
            text(
                "SELECT id, site_id, name, row, position, height_u, rated_power_w FROM rack "
                "ORDER BY site_id, name"
            )
        ).all()
        unracked_sites = {
            int(r[0])
            for r in conn.execute(text("SELECT DISTINCT site_id FROM device WHERE rack_id IS NULL"))
        }
        by_site: dict[int, list[RackInfo]] = {s.id: [] for s in sites}
        for r in rack_rows:
            if r[1] in by_site:
                by_site[r[1]].append(
                    RackInfo(r[0], r[1], r[2], r[3] or "", r[4] or 0, r[5] or 42, r[6])
                )
        for sid in unracked_sites:
            if sid in by_site:
                by_site[sid].append(RackInfo(0, sid, "(unracked)", "", 0, 0, None))
        for racks_of_site in by_site.values():
            racks_of_site.sort(key=lambda r: (r.id == 0, _natural(r.name)))
        racks: list[RackInfo] = []
        site_rack_start = [0]
        rack_site: list[int] = []
        for i, s in enumerate(sites):
            racks.extend(by_site[s.id])
            rack_site.extend([i] * len(by_site[s.id]))
            site_rack_start.append(len(racks))
        cols = _stream_devices(conn, racks)
    n = len(cols.ids)
    device_rack = np.frombuffer(cols.rack, dtype=np.int64).copy() if n else np.empty(0, np.int64)
    device_ids = np.frombuffer(cols.ids, dtype=np.int64).copy() if n else np.empty(0, np.int64)
    device_u = np.frombuffer(cols.u, dtype=np.int64).copy() if n else np.empty(0, np.int64)
    line_len = np.frombuffer(cols.line_len, dtype=np.int64) if n else np.empty(0, np.int64)
    name_len = np.frombuffer(cols.name_len, dtype=np.int64) if n else np.empty(0, np.int64)
    offsets = np.concatenate(([0], np.cumsum(line_len + 1)[:-1])) if n else np.empty(0, np.int64)
    name_ends = np.cumsum(name_len) if n else np.empty(0, np.int64)
    name_starts = name_ends - name_len
    rack_device_start = np.searchsorted(device_rack, np.arange(len(racks) + 1), side="left")
    kind_codes = np.frombuffer(cols.kind, dtype=np.uint8).copy() if n else np.empty(0, np.uint8)
    arrays: list[Any] = [
        np.asarray(site_rack_start, dtype=np.int64),
        np.asarray(rack_site, dtype=np.int64),
        rack_device_start.astype(np.int64),
        device_ids,
        device_rack,
        device_u,
        offsets.astype(np.int64),
        name_starts.astype(np.int64),
        name_ends.astype(np.int64),
        kind_codes,
    ]
    for a in arrays:
        a.setflags(write=False)
    return Inventory(
        sites=sites,
        racks=tuple(racks),
        site_rack_start=arrays[0],
        rack_site=arrays[1],
        rack_device_start=arrays[2],
        device_ids=arrays[3],
        device_rack=arrays[4],
        device_u=arrays[5],
        device_names=Names("".join(cols.name_parts), arrays[7], arrays[8]),
        device_kinds=Kinds(arrays[9], tuple(cols.kind_names)),
        search_text="".join(cols.line_parts),
        search_offsets=arrays[6],
    )


@dataclass
class _Columns:
    rack: array.array[int] = field(default_factory=lambda: array.array("q"))
    ids: array.array[int] = field(default_factory=lambda: array.array("q"))
    u: array.array[int] = field(default_factory=lambda: array.array("q"))
    name_len: array.array[int] = field(default_factory=lambda: array.array("q"))
    line_len: array.array[int] = field(default_factory=lambda: array.array("q"))
    kind: array.array[int] = field(default_factory=lambda: array.array("B"))
    kind_names: list[str] = field(default_factory=list)
    name_parts: list[str] = field(default_factory=list)
    line_parts: list[str] = field(default_factory=list)


_ORDER_TABLE = "rackwatch_rack_order"


def _stream_devices(conn: Connection, racks: list[RackInfo]) -> _Columns:
    cols = _Columns()
    kind_code: dict[str, int] = {}
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cur = raw.cursor()
    ph = placeholder(conn.engine)
    try:
        cur.execute(f"DROP TABLE IF EXISTS {_ORDER_TABLE}")
        cur.execute(
            f"CREATE TEMPORARY TABLE {_ORDER_TABLE} (site_id INTEGER NOT NULL, "
            "rack_id INTEGER NOT NULL, pos INTEGER NOT NULL, PRIMARY KEY (site_id, rack_id))"
        )
        cur.executemany(
            f"INSERT INTO {_ORDER_TABLE} (site_id, rack_id, pos) VALUES ({ph}, {ph}, {ph})",
            [(r.site_id, r.id, i) for i, r in enumerate(racks)],
        )
        cur.execute(
            "SELECT o.pos, d.id, d.u_position, d.name, d.kind, d.address, d.serial, d.model "
            f"FROM device d JOIN {_ORDER_TABLE} o "
            "ON o.site_id = d.site_id AND o.rack_id = COALESCE(d.rack_id, 0) "
            "ORDER BY o.pos, d.u_position DESC, d.name"
        )
        while True:
            chunk = cur.fetchmany(20_000)
            if not chunk:
                break
            names: list[str] = []
            lines: list[str] = []
            for pos, ident, u, name, kind, address, serial, model in chunk:
                cols.rack.append(pos)
                cols.ids.append(ident)
                cols.u.append(-1 if u is None else u)
                code = kind_code.get(kind)
                if code is None:
                    code = kind_code[kind] = len(kind_code)
                    cols.kind_names.append(kind)
                cols.kind.append(code)
                line = f"{name}\t{address or ''}\t{serial or ''}\t{model or ''}".lower()
                names.append(name)
                lines.append(line)
                cols.name_len.append(len(name))
                cols.line_len.append(len(line))
            # One string per chunk: large blocks go back to the system when freed.
            cols.name_parts.append("".join(names))
            cols.line_parts.append("\n".join(lines) + "\n")
        cur.execute(f"DROP TABLE IF EXISTS {_ORDER_TABLE}")
        raw.commit()
    finally:
        cur.close()
    return cols


def _natural(name: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", name))


def search_devices(inv: Inventory, query: str) -> IntArray:
    """Indexes (into the inventory's device columns) of devices whose name, address, serial or
    model contains every word of query, case-insensitive; in tree order."""
    words = [w for w in query.lower().split() if w and "\n" not in w]
    if not words or not inv.search_text:
        return np.arange(inv.device_count, dtype=np.int64)
    # The longest word narrows fastest; the others are checked on the candidate lines.
    words.sort(key=len, reverse=True)
    first, rest = words[0], words[1:]
    hay = inv.search_text
    find = hay.find
    hits: list[int] = []
    pos = find(first)
    while pos >= 0:
        hits.append(pos)
        end = find("\n", pos)
        pos = find(first, end + 1)
    if not hits:
        return np.empty(0, dtype=np.int64)
    idx = np.searchsorted(inv.search_offsets, np.asarray(hits, dtype=np.int64), side="right") - 1
    if rest:
        offs = inv.search_offsets
        keep = []
        for i in idx:
            a = int(offs[i])
            line = hay[a : hay.find("\n", a)]
            if all(w in line for w in rest):
                keep.append(int(i))
        idx = np.asarray(keep, dtype=np.int64)
    return idx.astype(np.int64)


# -- status summaries (tree rows, floor map tiles) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    """Rolled-up status of a site, rack or device at one moment."""

    id: int
    state: str
    devices_ok: int
    devices_unreachable: int
    devices_stale: int
    devices_unknown: int
    alarms_warning: int
    alarms_critical: int
    inlet_c: float | None
    power_w: float | None
    newest_ts: int | None

    @property
    def devices(self) -> int:
        return (
            self.devices_ok + self.devices_unreachable + self.devices_stale + self.devices_unknown
        )


_STATE_SQL = (
    "CASE WHEN ds.status IS NULL OR ds.status IN ('unknown', 'pending', 'new') THEN 'unknown' "
    "WHEN ds.status IN ('ok', 'up') AND (ds.last_ok_ts IS NULL "
    f"OR ds.last_ok_ts < :now - {STALE_INTERVALS} * d.poll_interval_s) THEN 'stale' "
    "WHEN ds.status IN ('ok', 'up') THEN 'ok' "
    "WHEN ds.status = 'stale' THEN 'stale' ELSE 'unreachable' END"
)

_LEVEL_KEY = {"site": "d.site_id", "rack": "COALESCE(d.rack_id, 0)", "device": "d.id"}
_FILTER_COL = {"site": "d.site_id", "rack": "d.rack_id", "device": "d.id"}
_ALARM_KEY = {
    "site": "COALESCE(a.site_id, d.site_id)",
    "rack": "COALESCE(a.rack_id, d.rack_id)",
    "device": "a.device_id",
}


def summaries(
    engine: Engine,
    level: str,
    ids: Sequence[int] | None = None,
    *,
    site_id: int | None = None,
    now: int | None = None,
    measures: bool = True,
) -> dict[int, Summary]:
    """Status roll-up per site, rack or device, for the given ids (or all of a site, or all).

    measures=False skips hottest inlet, power and newest reading (a scan of every latest value
    below the level), leaving those None: the cheap part for frequent whole-site refreshes.
    """
    if level not in _LEVEL_KEY:
        raise ValueError(f"summaries: level must be site, rack or device, not {level!r}")
    t = _now(now)
    with engine.connect() as conn:
        if ids is None:
            return _summaries_where(conn, level, None, site_id, t, measures)
        out: dict[int, Summary] = {}
        for chunk in _chunks(sorted(set(ids))):
            out.update(_summaries_where(conn, level, chunk, site_id, t, measures))
        return out


def _summaries_where(
    conn: Connection,
    level: str,
    ids: list[int] | None,
    site_id: int | None,
    now: int,
    with_measures: bool = True,
) -> dict[int, Summary]:
    key = _LEVEL_KEY[level]
    conds = ["d.enabled"]
    params: dict[str, Any] = {"now": now}
    if ids is not None:
        # Filter on the bare column so the index on it is used (COALESCE would scan).
        col = _FILTER_COL[level]
        conds.append(
            f"({col} IN :ids OR d.rack_id IS NULL)"
            if level == "rack" and 0 in ids
            else f"{col} IN :ids"
        )
        params["ids"] = ids
    if site_id is not None:
        conds.append("d.site_id = :site")
        params["site"] = site_id
    where = " AND ".join(conds)

    def q(sql: str) -> Any:
        stmt = text(sql)
        if ids is not None:
            stmt = stmt.bindparams(bindparam("ids", expanding=True))
        return conn.execute(stmt, params)

    counts: dict[int, dict[str, int]] = {}
    for k, st, n in q(
        f"SELECT {key} AS k, {_STATE_SQL} AS st, count(*) FROM device d "
        # Passive devices (protocol none) are inventory only: they do not roll up as unknown.
        f"LEFT JOIN device_state ds ON ds.device_id = d.id WHERE {where} "
        "AND d.protocol <> 'none' GROUP BY k, st"
    ):
        counts.setdefault(int(k), {})[st] = int(n)
    measures: dict[int, tuple[Any, ...]] = {}
    # Per device first: its whole power is the total channel, else the sum of its parts.
    device_power = (
        "COALESCE(sum(CASE WHEN s.metric = 'power_w' AND "
        f"{_TOTAL_SQL} THEN l.value END), "
        "sum(CASE WHEN s.metric = 'power_w' AND NOT "
        f"{_OUTLET_SQL} THEN l.value END))"
    )
    for row in (
        ()
        if not with_measures
        else q(
            "SELECT k, max(inlet), sum(pdu_w), sum(dev_w), max(ts), sum(stale) FROM ("
            f"SELECT {key} AS k, "
            "max(CASE WHEN s.metric = 'temperature_c' AND s.role = 'inlet' THEN l.value END) "
            "AS inlet, "
            f"CASE WHEN d.kind = 'pdu' THEN {device_power} END AS pdu_w, "
            f"CASE WHEN d.kind <> 'pdu' THEN {device_power} END AS dev_w, "
            "max(l.ts) AS ts, "
            "sum(CASE WHEN l.status IN ('stale', 'unreachable') THEN 1 ELSE 0 END) AS stale "
            "FROM device d JOIN series s ON s.device_id = d.id JOIN latest l ON l.series_id = s.id "
            f"WHERE {where} GROUP BY k, d.id, d.kind) per_device GROUP BY k"
        )
    ):
        measures[int(row[0])] = tuple(row[1:])
    alarms: dict[int, dict[str, int]] = {}
    akey = _ALARM_KEY[level]
    aconds = ["a.state IN ('active', 'acknowledged')"]
    if ids is not None:
        aconds.append(f"{akey} IN :ids")
    if site_id is not None:
        aconds.append("COALESCE(a.site_id, d.site_id) = :site")
    for k, sev, n in q(
        f"SELECT {akey} AS k, a.severity, count(*) FROM alarm a "
        f"LEFT JOIN device d ON d.id = a.device_id WHERE {' AND '.join(aconds)} "
        "GROUP BY k, a.severity"
    ):
        if k is not None:
            alarms.setdefault(int(k), {})[sev] = int(n)
    out: dict[int, Summary] = {}
    for k in set(counts) | set(measures) | set(alarms):
        c = counts.get(k, {})
        m = measures.get(k, (None, None, None, None, 0))
        a = alarms.get(k, {})
        state = "ok" if c.get("ok") else "unknown"
        for st in c:
            state = worst(state, st)
        if m[4] and level == "device":
            state = worst(state, "stale")
        if a.get("critical"):
            state = worst(state, "critical")
        if a.get("warning"):
            state = worst(state, "warning")
        power = m[1] if m[1] is not None else m[2]
        out[k] = Summary(
            id=k,
            state=state,
            devices_ok=c.get("ok", 0),
            devices_unreachable=c.get("unreachable", 0),
            devices_stale=c.get("stale", 0),
            devices_unknown=c.get("unknown", 0),
            alarms_warning=a.get("warning", 0),
            alarms_critical=a.get("critical", 0),
            inlet_c=None if m[0] is None else float(m[0]),
            power_w=None if power is None else float(power),
            newest_ts=None if m[3] is None else int(m[3]),
        )
    return out


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

    @property
    def label(self) -> str:
        parts = [self.metric]
        if self.role:
            parts.append(self.role)
        if self.channel:
            parts.append(self.channel)
        return " ".join(parts)

    @property
    def effective_warn_high(self) -> float | None:
        if self.warn_high is None and self.metric == "temperature_c" and self.role == "inlet":
            return INLET_WARN_C
        return self.warn_high

    @property
    def effective_crit_high(self) -> float | None:
        if self.crit_high is None and self.metric == "temperature_c" and self.role == "inlet":
            return INLET_CRIT_C
        return self.crit_high


_SERIES_SQL = (
    "SELECT s.id, s.device_id, d.name, s.metric, s.channel, s.role, s.unit, s.warn_low, "
    "s.warn_high, s.crit_low, s.crit_high, l.value, l.ts, l.status FROM series s "
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
    limit: float | None
    unit: str
    series_id: int
    ts: int | None


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
                "SELECT d.id, d.name, d.feed, f.breaker_a FROM device d "
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
    series = [_series_row(r) for r in rows]
    out = []
    for dev_id, name, feed, breaker in pdus:
        mine = [s for s in series if s.device_id == dev_id]
        power = [s for s in mine if s.metric == "power_w" and s.value is not None]
        totals = [s.value for s in power if is_total_channel(s.channel) and s.value is not None]
        parts = [s.value for s in power if not is_outlet_channel(s.channel) and s.value is not None]
        total = sum(totals) if totals else (sum(parts) if parts else None)
        phases = tuple(
            sorted(
                (
                    Load(s.channel or "L1", s.value, s.crit_high or breaker, s.unit, s.id, s.ts)
                    for s in mine
                    if s.metric == "current_a" and not is_outlet_channel(s.channel)
                ),
                key=lambda x: _natural(x.label),
            )
        )
        # Outlet power where the PDU meters it, else outlet current.
        outlet_metric = (
            "power_w"
            if any(s.metric == "power_w" and is_outlet_channel(s.channel) for s in mine)
            else "current_a"
        )
        outlets = tuple(
            sorted(
                (
                    Load(s.channel, s.value, None, s.unit, s.id, s.ts)
                    for s in mine
                    if s.metric == outlet_metric and is_outlet_channel(s.channel)
                ),
                key=lambda x: _natural(x.label),
            )
        )
        out.append(PduLoad(dev_id, name, feed, breaker, total, phases, outlets))
    return tuple(out)


# -- floor map -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RackTile:
    rack: RackInfo
    summary: Summary | None

    @property
    def power_pct(self) -> float | None:
        s = self.summary
        if s is None or s.power_w is None or not self.rack.rated_power_w:
            return None
        return 100.0 * s.power_w / self.rack.rated_power_w


@dataclass(frozen=True, slots=True)
class FloorMap:
    site: SiteInfo
    rows: tuple[str, ...]
    tiles: tuple[RackTile, ...]
    loaded_ts: int


def floor_map(engine: Engine, site_id: int, now: int | None = None) -> FloorMap:
    """Every rack of a site at its row and position with hottest inlet, kW and worst state."""
    t = _now(now)
    with engine.connect() as conn:
        s = conn.execute(
            text("SELECT id, code, name, tz FROM site WHERE id = :s"), {"s": site_id}
        ).first()
        if s is None:
            raise LookupError(f"site {site_id} does not exist")
        racks = [
            RackInfo(r[0], r[1], r[2], r[3] or "", r[4] or 0, r[5] or 42, r[6])
            for r in conn.execute(
                text(
                    "SELECT id, site_id, name, row, position, height_u, rated_power_w FROM rack "
                    "WHERE site_id = :s"
                ),
                {"s": site_id},
            )
        ]
    sums = summaries(engine, "rack", site_id=site_id, now=t)
    racks.sort(key=lambda r: (_natural(r.row), r.position, _natural(r.name)))
    rows = tuple(dict.fromkeys(r.row for r in racks))
    tiles = tuple(RackTile(r, sums.get(r.id)) for r in racks)
    return FloorMap(SiteInfo(s[0], s[1], s[2], s[3] or "UTC"), rows, tiles, t)


# -- alarms --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlarmRow:
    id: int
    rule: str
    severity: str
    state: str
    site_id: int | None
    site_code: str
    rack_id: int | None
    rack_name: str
    device_id: int | None
    device_name: str
    series_id: int | None
    message: str
    value: float | None
    threshold: float | None
    raised_ts: int
    ack_by: str | None
    ack_ts: int | None
    ack_note: str | None
    shelved_until: int | None
    seq: int


def open_alarms(
    engine: Engine, *, include_shelved: bool = True, limit: int = 2000
) -> tuple[AlarmRow, ...]:
    """Active, acknowledged (and shelved) alarms, critical first, newest first."""
    states = ["active", "acknowledged"] + (["shelved"] if include_shelved else [])
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT a.id, a.rule, a.severity, a.state, "
                "COALESCE(a.site_id, d.site_id), COALESCE(s.code, ''), "
                "COALESCE(a.rack_id, d.rack_id), COALESCE(r.name, ''), a.device_id, "
                "COALESCE(d.name, ''), a.series_id, a.message, a.value, a.threshold, a.raised_ts, "
                "a.ack_by, a.ack_ts, a.ack_note, a.shelved_until, a.seq FROM alarm a "
                "LEFT JOIN device d ON d.id = a.device_id "
                "LEFT JOIN site s ON s.id = COALESCE(a.site_id, d.site_id) "
                "LEFT JOIN rack r ON r.id = COALESCE(a.rack_id, d.rack_id) "
                "WHERE a.state IN :st "
                "ORDER BY CASE a.severity WHEN 'critical' THEN 0 ELSE 1 END, a.raised_ts DESC "
                "LIMIT :lim"
            ).bindparams(bindparam("st", expanding=True)),
            {"st": states, "lim": limit},
        ).all()
    return tuple(AlarmRow(*r) for r in rows)


def _transition(
    engine: Engine,
    alarm_id: int,
    *,
    action: str,
    allowed_from: tuple[str, ...],
    to_state: str,
    user: str,
    note: str | None,
    now: int,
    sets: dict[str, Any],
) -> None:
    with engine.begin() as conn:
        row = conn.execute(text("SELECT state FROM alarm WHERE id = :a"), {"a": alarm_id}).first()
        if row is None:
            raise LookupError(f"alarm {alarm_id} does not exist")
        if row[0] not in allowed_from:
            raise ValueError(f"alarm {alarm_id} is {row[0]}; cannot {action} it")
        seq = next_change_seq(conn)
        assign = ", ".join(f"{k} = :{k}" for k in sets)
        conn.execute(
            text(
                f"UPDATE alarm SET state = :to, seq = :seq{', ' + assign if assign else ''} "
                "WHERE id = :a"
            ),
            {"to": to_state, "seq": seq, "a": alarm_id, **sets},
        )
        conn.execute(
            text(
                "INSERT INTO alarm_event "
                '(alarm_id, ts, action, from_state, to_state, "user", note) '
                "VALUES (:a, :ts, :act, :f, :t, :u, :n)"
            ),
            {
                "a": alarm_id,
                "ts": now,
                "act": action,
                "f": row[0],
                "t": to_state,
                "u": user,
                "n": note,
            },
        )


def acknowledge_alarm(
    engine: Engine, alarm_id: int, user: str, note: str, now: int | None = None
) -> None:
    """Mark an alarm acknowledged by user with a note, and record the audit event."""
    if not user.strip():
        raise ValueError("acknowledge: a user name is required")
    t = _now(now)
    _transition(
        engine,
        alarm_id,
        action="acknowledge",
        allowed_from=("active", "shelved"),
        to_state="acknowledged",
        user=user,
        note=note,
        now=t,
        sets={"ack_by": user, "ack_ts": t, "ack_note": note, "shelved_until": None},
    )


def shelve_alarm(
    engine: Engine,
    alarm_id: int,
    user: str,
    until_ts: int,
    note: str = "",
    now: int | None = None,
) -> None:
    """Shelve an alarm until a time (it stays recorded, but out of the operators' way)."""
    t = _now(now)
    if until_ts <= t:
        raise ValueError("shelve: the end time must be in the future")
    _transition(
        engine,
        alarm_id,
        action="shelve",
        allowed_from=("active", "acknowledged"),
        to_state="shelved",
        user=user,
        note=note or None,
        now=t,
        sets={"shelved_until": int(until_ts)},
    )


@dataclass(frozen=True, slots=True)
class AlarmEventRow:
    alarm_id: int
    ts: int
    action: str
    from_state: str | None
    to_state: str
    user: str
    note: str | None


def alarm_events(engine: Engine, alarm_id: int) -> tuple[AlarmEventRow, ...]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                'SELECT alarm_id, ts, action, from_state, to_state, "user", note FROM alarm_event '
                "WHERE alarm_id = :a ORDER BY ts, id"
            ),
            {"a": alarm_id},
        ).all()
    return tuple(AlarmEventRow(*r) for r in rows)


# -- poll requests -------------------------------------------------------------------------------


def request_poll_now(
    engine: Engine,
    *,
    device_id: int | None = None,
    rack_id: int | None = None,
    user: str = "",
    now: int | None = None,
) -> int:
    """Ask the collectors to poll a device or a whole rack at once; returns the request id."""
    if device_id is None and rack_id is None:
        raise ValueError("poll now: give a device or a rack")
    return _insert_request(engine, "poll_now", device_id, rack_id, None, None, user, _now(now))


def request_focus(
    engine: Engine,
    rack_id: int,
    *,
    interval_s: int = 10,
    duration_s: int = 1800,
    user: str = "",
    now: int | None = None,
) -> int:
    """Ask the collectors to poll a rack every interval_s seconds for duration_s seconds."""
    if interval_s < 1 or duration_s < 1:
        raise ValueError("focus: interval and duration must be positive")
    t = _now(now)
    return _insert_request(engine, "focus", None, rack_id, interval_s, t + duration_s, user, t)


def _insert_request(
    engine: Engine,
    kind: str,
    device_id: int | None,
    rack_id: int | None,
    interval_s: int | None,
    until_ts: int | None,
    user: str,
    now: int,
) -> int:
    with engine.begin() as conn:
        row = conn.execute(
            text(
                "INSERT INTO poll_request (kind, device_id, rack_id, interval_s, requested_ts, "
                "until_ts, requested_by) VALUES (:k, :d, :r, :i, :t, :u, :by) RETURNING id"
            ),
            {
                "k": kind,
                "d": device_id,
                "r": rack_id,
                "i": interval_s,
                "t": now,
                "u": until_ts,
                "by": user,
            },
        ).first()
    assert row is not None
    return int(row[0])


# -- status bar ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Health:
    collectors_alive: int
    collectors_total: int
    devices_ok: int
    devices_unreachable: int
    devices_stale: int
    devices_unknown: int
    newest_sample_ts: int | None
    change_seq: int
    alarm_seq: int
    active_alarms: int
    loaded_ts: int


@dataclass(frozen=True, slots=True)
class Cursors:
    change_seq: int
    alarm_seq: int


def cursors(engine: Engine) -> Cursors:
    """The two change cursors (samples, alarms): two indexed reads, cheap enough every second."""
    with engine.connect() as conn:
        seq = conn.execute(text("SELECT value FROM counter WHERE name = 'change'")).scalar()
        aseq = conn.execute(text("SELECT max(seq) FROM alarm")).scalar()
    return Cursors(int(seq or 0), int(aseq or 0))


def health(engine: Engine, now: int | None = None, dead_after_s: int = 60) -> Health:
    """What the status bar shows: live collectors, device reachability, newest data."""
    t = _now(now)
    with engine.connect() as conn:
        alive, total = conn.execute(
            text(
                "SELECT COALESCE(sum(CASE WHEN last_beat_ts >= :c THEN 1 ELSE 0 END), 0), "
                "count(*) FROM collector_heartbeat"
            ),
            {"c": t - dead_after_s},
        ).one()
        counts: dict[str, int] = {}
        for st, n in conn.execute(
            text(
                f"SELECT {_STATE_SQL} AS st, count(*) FROM device d "
                "LEFT JOIN device_state ds ON ds.device_id = d.id "
                "WHERE d.enabled AND d.protocol <> 'none' GROUP BY st"
            ),
            {"now": t},
        ):
            counts[st] = int(n)
        newest = conn.execute(text("SELECT max(last_ok_ts) FROM device_state")).scalar()
        if newest is None:
            newest = conn.execute(text("SELECT max(ts) FROM latest")).scalar()
        seq = conn.execute(text("SELECT value FROM counter WHERE name = 'change'")).scalar()
        aseq, active = conn.execute(
            text(
                "SELECT COALESCE(max(seq), 0), "
                "COALESCE(sum(CASE WHEN state = 'active' THEN 1 ELSE 0 END), 0) FROM alarm"
            )
        ).one()
    return Health(
        int(alive),
        int(total),
        counts.get("ok", 0),
        counts.get("unreachable", 0),
        counts.get("stale", 0),
        counts.get("unknown", 0),
        None if newest is None else int(newest),
        int(seq or 0),
        int(aseq),
        int(active),
        t,
    )
