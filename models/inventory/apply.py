"""Plan and apply an inventory against the database: checks that need the stored state, then one
transaction of bulk inserts and updates matched by site code, rack name and device name."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update

from models.inventory.format import DEFAULT_RACK_HEIGHT_U, DEFAULT_TZ, FeedRec, Inventory
from models.inventory.problems import Problem
from models.schema import Device, Rack, RackFeed, Site

SITE_T = cast(Table, Site.__table__)
RACK_T = cast(Table, Rack.__table__)
FEED_T = cast(Table, RackFeed.__table__)
DEVICE_T = cast(Table, Device.__table__)

# Device columns compared to decide "unchanged" (everything the inventory sets but the keys).
DEVICE_FIELDS = (
    "rack_id",
    "kind",
    "u_position",
    "u_height",
    "feed",
    "model",
    "serial",
    "address",
    "port",
    "protocol",
    "profile",
    "credential",
    "poll_interval_s",
    "enabled",
)
RACK_FIELDS = ("row", "position", "height_u", "rated_power_w")
CHUNK = 20_000
IN_CHUNK = 500


@dataclass(slots=True)
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def __str__(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        return text + (f", {self.removed} removed" if self.removed else "")


@dataclass(slots=True)
class ImportReport:
    path: str
    dry_run: bool
    prune: bool
    sites: Counts = field(default_factory=Counts)
    racks: Counts = field(default_factory=Counts)
    devices: Counts = field(default_factory=Counts)

    @property
    def total(self) -> Counts:
        parts = (self.sites, self.racks, self.devices)
        return Counts(
            sum(p.created for p in parts),
            sum(p.updated for p in parts),
            sum(p.unchanged for p in parts),
            sum(p.removed for p in parts),
        )

    @property
    def changed(self) -> bool:
        total = self.total
        return bool(total.created or total.updated or total.removed)

    def summary(self) -> str:
        head = f"{self.path}: " + ("dry run, nothing written" if self.dry_run else "imported")
        return "\n".join(
            (
                head,
                f"  sites:   {self.sites}",
                f"  racks:   {self.racks}",
                f"  devices: {self.devices}",
                f"  total:   {self.total}",
            )
        )


@dataclass(slots=True)
class _Plan:
    report: ImportReport
    problems: list[Problem]
    site_inserts: list[dict[str, Any]] = field(default_factory=list)
    site_updates: list[dict[str, Any]] = field(default_factory=list)
    rack_inserts: list[dict[str, Any]] = field(default_factory=list)  # with "site" code and "tmp"
    rack_updates: list[dict[str, Any]] = field(default_factory=list)
    feed_sets: dict[int, list[FeedRec]] = field(default_factory=dict)  # rack id or tmp id
    # (site code, name, values in DEVICE_FIELDS order): tuples, as dicts cost 4x the memory
    device_inserts: list[tuple[str, str, tuple[Any, ...]]] = field(default_factory=list)
    device_updates: list[dict[str, Any]] = field(default_factory=list)
    device_deletes: list[int] = field(default_factory=list)
    rack_deletes: list[int] = field(default_factory=list)


def import_plan(conn: Connection, inv: Inventory, *, prune: bool, dry_run: bool) -> _Plan:
    """Compare inv with the database; collect the changes and the problems that need its state."""
    report = ImportReport(inv.path, dry_run, prune)
    plan = _Plan(report, [])
    yaml_mode = inv.fmt == "yaml"

    codes = [s.code for s in inv.sites] if yaml_mode else list(inv.named_sites)
    db_sites = {
        row.code: row
        for chunk in _chunks(codes, IN_CHUNK)
        for row in conn.execute(
            select(SITE_T.c.id, SITE_T.c.code, SITE_T.c.name, SITE_T.c.tz).where(
                SITE_T.c.code.in_(chunk)
            )
        )
    }
    # Sites -------------------------------------------------------------------------------
    if yaml_mode:
        for s in inv.sites:
            old = db_sites.get(s.code)
            if old is None:
                plan.site_inserts.append({"code": s.code, "name": s.name, "tz": s.tz})
                report.sites.created += 1
            elif (old.name, old.tz) != (s.name, s.tz):
                plan.site_updates.append({"b_id": old.id, "name": s.name, "tz": s.tz})
                report.sites.updated += 1
            else:
                report.sites.unchanged += 1
    else:
        for code in inv.named_sites:
            if code in db_sites:
                report.sites.unchanged += 1
            else:
                plan.site_inserts.append({"code": code, "name": code, "tz": DEFAULT_TZ})
                report.sites.created += 1

    site_ids = [row.id for row in db_sites.values()]
    code_of = {row.id: code for code, row in db_sites.items()}
    db_racks: dict[tuple[str, str], Any] = {}
    for chunk in _chunks(site_ids, IN_CHUNK):
        for row in conn.execute(
            select(
                RACK_T.c.id, RACK_T.c.site_id, RACK_T.c.name, *(RACK_T.c[f] for f in RACK_FIELDS)
            ).where(RACK_T.c.site_id.in_(chunk))
        ):
            db_racks[code_of[row.site_id], row.name] = row
    db_feeds: dict[int, list[FeedRec]] = defaultdict(list)
    for chunk in _chunks(site_ids, IN_CHUNK):
        for row in conn.execute(
            select(FEED_T)
            .join(RACK_T, RACK_T.c.id == FEED_T.c.rack_id)
            .where(RACK_T.c.site_id.in_(chunk))
        ):
            db_feeds[row.rack_id].append(
                FeedRec(row.feed, row.breaker_a, row.phases, row.voltage_v)
            )

    # Racks: id (existing, > 0) or temporary id (new, < 0); height and feeds for placement checks.
    rack_id: dict[tuple[str, str], int] = {}
    rack_height: dict[tuple[str, str], int] = {}
    rack_feeds: dict[tuple[str, str], set[str]] = {}
    rack_line: dict[tuple[str, str], int] = {}
    if yaml_mode:
        for r in inv.racks:
            key = (r.site, r.name)
            new_feeds = sorted((f.feed, f.breaker_a, f.phases, f.voltage_v) for f in r.feeds)
            rack_height[key], rack_feeds[key], rack_line[key] = (
                r.height_u,
                {f.feed for f in r.feeds},
                r.line,
            )
            values = {
                "row": r.row,
                "position": r.position,
                "height_u": r.height_u,
                "rated_power_w": r.rated_power_w,
            }
            old = db_racks.get(key)
            if old is None:
                tmp = -(len(plan.rack_inserts) + 1)
                plan.rack_inserts.append({"site": r.site, "name": r.name, "tmp": tmp, **values})
                plan.feed_sets[tmp] = r.feeds
                rack_id[key] = tmp
                report.racks.created += 1
                continue
            rack_id[key] = old.id
            old_feeds = sorted(
                (f.feed, f.breaker_a, f.phases, f.voltage_v) for f in db_feeds.get(old.id, [])
            )
            same_row = tuple(getattr(old, f) for f in RACK_FIELDS) == tuple(values.values())
            if same_row and old_feeds == new_feeds:
                report.racks.unchanged += 1
                continue
            if not same_row:
                plan.rack_updates.append({"b_id": old.id, **values})
            if old_feeds != new_feeds:
                plan.feed_sets[old.id] = r.feeds
            report.racks.updated += 1
    else:
        for key, line in inv.named_racks.items():
            old = db_racks.get(key)
            rack_line[key] = line
            if old is None:
                tmp = -(len(plan.rack_inserts) + 1)
                plan.rack_inserts.append(
                    {
                        "site": key[0],
                        "name": key[1],
                        "tmp": tmp,
                        "row": "",
                        "position": 0,
                        "height_u": DEFAULT_RACK_HEIGHT_U,
                        "rated_power_w": None,
                    }
                )
                rack_id[key], rack_height[key], rack_feeds[key] = tmp, DEFAULT_RACK_HEIGHT_U, set()
                report.racks.created += 1
            else:
                rack_id[key], rack_height[key] = old.id, old.height_u
                rack_feeds[key] = {f.feed for f in db_feeds.get(old.id, [])}
                report.racks.unchanged += 1

    # Devices -----------------------------------------------------------------------------
    cols = [
        DEVICE_T.c.id,
        DEVICE_T.c.site_id,
        DEVICE_T.c.name,
        *(DEVICE_T.c[f] for f in DEVICE_FIELDS),
    ]
    db_devices: dict[tuple[str, str], Any] = {}
    for chunk in _chunks(site_ids, IN_CHUNK):
        for row in conn.execute(select(*cols).where(DEVICE_T.c.site_id.in_(chunk))):
            db_devices[code_of[row.site_id], row.name] = row

    seen_devices: set[tuple[str, str]] = set()
    for d in inv.devices:
        key = (d.site, d.name)
        seen_devices.add(key)
        rid = rack_id.get((d.site, d.rack)) if d.rack is not None else None
        wanted = (
            rid,
            d.kind,
            d.u,
            d.height_u,
            d.feed,
            d.model,
            d.serial,
            d.address,
            d.port,
            d.protocol,
            d.profile,
            d.credential,
            d.poll_interval_s,
            d.enabled,
        )
        old = db_devices.get(key)
        if old is None:
            plan.device_inserts.append((d.site, d.name, wanted))
            report.devices.created += 1
        elif tuple(old[3:]) != wanted:
            plan.device_updates.append(
                {"b_id": old.id, **dict(zip(DEVICE_FIELDS, wanted, strict=True))}
            )
            report.devices.updated += 1
        else:
            report.devices.unchanged += 1

    # Prune: racks and devices of the file's sites that the file no longer lists.
    pruned_racks: set[int] = set()
    if prune:
        if yaml_mode:
            listed = {(r.site, r.name) for r in inv.racks}
            for key, row in db_racks.items():
                if key not in listed:
                    plan.rack_deletes.append(row.id)
                    pruned_racks.add(row.id)
            report.racks.removed = len(plan.rack_deletes)
        for key, row in db_devices.items():
            if key not in seen_devices:
                plan.device_deletes.append(row.id)
        report.devices.removed = len(plan.device_deletes)

    _check_placement(
        inv, plan, rack_id, rack_height, rack_feeds, rack_line, db_devices, seen_devices, prune
    )
    return plan


def _check_placement(
    inv: Inventory,
    plan: _Plan,
    rack_id: dict[tuple[str, str], int],
    rack_height: dict[tuple[str, str], int],
    rack_feeds: dict[tuple[str, str], set[str]],
    rack_line: dict[tuple[str, str], int],
    db_devices: dict[tuple[str, str], Any],
    seen: set[tuple[str, str]],
    prune: bool,
) -> None:
    """U range, overlapping U and PDU feeds, including devices that stay in the database."""
    # (u, top, name, line or 0 when the device is only in the database)
    slots: dict[tuple[str, str], list[tuple[int, int, str, int]]] = defaultdict(list)
    for d in inv.devices:
        if d.rack is None:
            continue
        key = (d.site, d.rack)
        if (
            d.kind == "pdu"
            and d.feed is not None
            and rack_feeds.get(key)
            and d.feed not in rack_feeds[key]
        ):
            have = ", ".join(sorted(rack_feeds[key]))
            plan.problems.append(
                Problem(
                    inv.path,
                    d.feed_line,
                    "feed",
                    f"PDU {d.name}: rack {d.rack} has no feed {d.feed} (it has {have})",
                )
            )
        if d.u is not None:
            slots[key].append((d.u, d.u + d.height_u - 1, d.name, d.u_line))
    if not prune:
        by_rack_id = {rid: key for key, rid in rack_id.items() if rid > 0}
        for key, row in db_devices.items():
            if key in seen or row.rack_id not in by_rack_id or row.u_position is None:
                continue
            slots[by_rack_id[row.rack_id]].append(
                (row.u_position, row.u_position + row.u_height - 1, key[1], 0)
            )
    for key, items in slots.items():
        height = rack_height.get(key, DEFAULT_RACK_HEIGHT_U)
        where_rack = f"rack {key[0]}/{key[1]}"
        items.sort()
        owner: tuple[int, int, str, int] | None = None  # the item reaching highest so far
        for item in items:
            u, top, name, line = item
            if top > height:
                if line:
                    problem = Problem(
                        inv.path,
                        line,
                        "u",
                        f"device {name} at U {u}-{top} is outside {where_rack} (U 1-{height})",
                    )
                else:
                    problem = Problem(
                        inv.path,
                        rack_line.get(key, 1),
                        "height_u",
                        f"device {name} (in the database, not in this file) at U {u}-{top}"
                        f" is outside {where_rack} (U 1-{height})",
                    )
                plan.problems.append(problem)
            if owner is not None and u <= owner[1] and (line or owner[3]):
                mine, other = (item, owner) if line else (owner, item)
                origin = (
                    f"line {other[3]}"
                    if other[3]
                    else "in the database, not in this file; --prune removes it"
                )
                plan.problems.append(
                    Problem(
                        inv.path,
                        mine[3],
                        "u",
                        f"device {mine[2]} at U {mine[0]}-{mine[1]} overlaps {other[2]}"
                        f" at U {other[0]}-{other[1]} ({origin}) in {where_rack}",
                    )
                )
            if owner is None or top > owner[1]:
                owner = item


def apply_plan(conn: Connection, plan: _Plan) -> None:
    """Write the plan; the caller owns the transaction."""
    if plan.site_inserts:
        conn.execute(insert(SITE_T), plan.site_inserts)
    if plan.site_updates:
        conn.execute(
            update(SITE_T)
            .where(SITE_T.c.id == bindparam("b_id"))
            .values(name=bindparam("name"), tz=bindparam("tz")),
            plan.site_updates,
        )
    site_codes = {r["site"] for r in plan.rack_inserts} | {d[0] for d in plan.device_inserts}
    site_id = {
        row.code: row.id
        for chunk in _chunks(sorted(site_codes), IN_CHUNK)
        for row in conn.execute(select(SITE_T.c.id, SITE_T.c.code).where(SITE_T.c.code.in_(chunk)))
    }
    real_id: dict[int, int] = {}
    if plan.rack_inserts:
        rows = [
            {
                "site_id": site_id[r["site"]],
                **{k: v for k, v in r.items() if k not in ("site", "tmp")},
            }
            for r in plan.rack_inserts
        ]
        for chunk in _chunks(rows, CHUNK):
            conn.execute(insert(RACK_T), chunk)
        wanted = {(r["site"], r["name"]): r["tmp"] for r in plan.rack_inserts}
        code_of = {v: k for k, v in site_id.items()}
        for chunk in _chunks(sorted(code_of), IN_CHUNK):
            for row in conn.execute(
                select(RACK_T.c.id, RACK_T.c.site_id, RACK_T.c.name).where(
                    RACK_T.c.site_id.in_(chunk)
                )
            ):
                tmp = wanted.get((code_of[row.site_id], row.name))
                if tmp is not None:
                    real_id[tmp] = row.id
    if plan.rack_updates:
        rack_params: dict[str, Any] = {f: bindparam(f) for f in RACK_FIELDS}
        conn.execute(
            update(RACK_T).where(RACK_T.c.id == bindparam("b_id")).values(**rack_params),
            plan.rack_updates,
        )
    if plan.feed_sets:
        replaced = [rid for rid in plan.feed_sets if rid > 0]
        for chunk in _chunks(replaced, IN_CHUNK):
            conn.execute(delete(FEED_T).where(FEED_T.c.rack_id.in_(chunk)))
        feed_rows = [
            {
                "rack_id": real_id.get(rid, rid),
                "feed": f.feed,
                "breaker_a": f.breaker_a,
                "phases": f.phases,
                "voltage_v": f.voltage_v,
            }
            for rid, feeds in plan.feed_sets.items()
            for f in feeds
        ]
        for chunk in _chunks(feed_rows, CHUNK):
            conn.execute(insert(FEED_T), chunk)
    if plan.device_deletes:
        for chunk in _chunks(plan.device_deletes, IN_CHUNK):
            conn.execute(delete(DEVICE_T).where(DEVICE_T.c.id.in_(chunk)))
    if plan.rack_deletes:
        for chunk in _chunks(plan.rack_deletes, IN_CHUNK):
            conn.execute(delete(RACK_T).where(RACK_T.c.id.in_(chunk)))
    if plan.device_inserts:
        for chunk in _chunks(plan.device_inserts, CHUNK):
            device_rows: list[dict[str, Any]] = []
            for site, name, wanted in chunk:
                device_row = dict(zip(DEVICE_FIELDS, wanted, strict=True))
                device_row["name"] = name
                device_row["site_id"] = site_id[site]
                rid = device_row["rack_id"]
                if rid is not None and rid < 0:
                    device_row["rack_id"] = real_id[rid]
                device_rows.append(device_row)
            conn.execute(insert(DEVICE_T), device_rows)
    if plan.device_updates:
        device_params: dict[str, Any] = {f: bindparam(f) for f in DEVICE_FIELDS}
        for d in plan.device_updates:
            rid = d["rack_id"]
            if rid is not None and rid < 0:
                d["rack_id"] = real_id[rid]
        stmt = update(DEVICE_T).where(DEVICE_T.c.id == bindparam("b_id")).values(**device_params)
        for chunk in _chunks(plan.device_updates, CHUNK):
            conn.execute(stmt, chunk)


def _chunks(items: Sequence[Any] | Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
