"""The inventory index desks keep in memory: sites, racks, device columns, search."""

from __future__ import annotations

import array
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Engine, event, text

from models.inventory.format import DEFAULT_PORTS
from models.read.common import IntArray
from models.store.samples import placeholder

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
    # "name\taddress\tserial\tmodel\taddress:port\n" per device, lower-cased, in device order.
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
            "SELECT o.pos, d.id, d.u_position, d.name, d.kind, d.address, d.serial, d.model, "
            "d.port, d.protocol "
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
            for pos, ident, u, name, kind, address, serial, model, port, protocol in chunk:
                cols.rack.append(pos)
                cols.ids.append(ident)
                cols.u.append(-1 if u is None else u)
                code = kind_code.get(kind)
                if code is None:
                    code = kind_code[kind] = len(kind_code)
                    cols.kind_names.append(kind)
                cols.kind.append(code)
                end = _endpoint(address or "", port, protocol)
                line = f"{name}\t{address or ''}\t{serial or ''}\t{model or ''}\t{end}".lower()
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


def _endpoint(address: str, port: int | None, protocol: str | None) -> str:
    """'10.0.0.5:161', so IP:port finds a device (with the protocol's port when none is set)."""
    port = port or DEFAULT_PORTS.get(protocol or "")
    if not address or not port or "://" in address:  # a Redfish URL says its own port
        return ""
    host = f"[{address}]" if ":" in address else address
    return f"{host}:{port}"


def _natural(name: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", name))


def search_devices(inv: Inventory, query: str) -> IntArray:
    """Indexes (into the inventory's device columns) of devices whose name, address (or
    address:port, the protocol's default port when none is set), serial or model contains every
    word of query, case-insensitive; in tree order."""
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
