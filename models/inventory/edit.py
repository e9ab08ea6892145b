"""Inventory changes from a desk: one site, rack or device, validated by the import, audited."""

from __future__ import annotations

import csv
import dataclasses
import json
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from models.inventory.csv_reader import CSV_COLUMNS
from models.inventory.importer import ImportReport, Progress, import_inventory
from models.inventory.problems import InventoryError, Problem
from models.inventory.writer import write_inventory
from models.schema import InventoryEvent, Rack, RackFeed, Site

# A dialog's change is written as a one-entry inventory file and imported like any other, so
# it passes exactly the checks an imported file passes (one validator). Sites and racks go as
# YAML (their full description); a device goes as one CSV row, which names its site and rack
# without restating them, so saving a device never touches its rack's other settings.


def _audit(engine: Engine, user: str, action: str, kind: str, name: str, detail: Any) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(InventoryEvent),
            {
                "ts": int(time.time()),
                "user": user,
                "action": action,
                "kind": kind,
                "name": name[:200],
                "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
            },
        )


def _relabel(exc: InventoryError, label: str) -> InventoryError:
    """Problems of the temporary file, reported against what the dialog edits instead."""
    return InventoryError([dataclasses.replace(p, file=label, line=0) for p in exc.problems])


def _run(
    engine: Engine,
    suffix: str,
    write: Any,
    *,
    label: str,
    user: str,
    kind: str,
    name: str,
    detail: Mapping[str, Any],
) -> ImportReport:
    with tempfile.TemporaryDirectory(prefix="rackwatch-edit-") as tmp:
        path = Path(tmp) / f"change{suffix}"
        write(path)
        try:
            report = import_inventory(engine, path)
        except InventoryError as exc:
            raise _relabel(exc, label) from None
    counts = getattr(report, kind + "s")
    action = "add" if counts.created else "edit" if counts.updated else "unchanged"
    if action != "unchanged":
        _audit(engine, user, action, kind, name, dict(detail))
    return report


def save_site(engine: Engine, site: Mapping[str, Any], *, user: str) -> ImportReport:
    """Add or update a site: keys code, name, timezone (as in the YAML format)."""
    doc = {"sites": [{k: v for k, v in site.items() if v not in (None, "")}]}
    code = str(site.get("code") or "")
    return _run(
        engine,
        ".yaml",
        lambda p: write_inventory(doc, p),
        label=f"site {code}".strip(),
        user=user,
        kind="site",
        name=code,
        detail=site,
    )


def site_entry(engine: Engine, code: str) -> dict[str, Any] | None:
    """A site as the YAML format writes it (code, name, timezone), or None."""
    with engine.connect() as conn:
        row = conn.execute(select(Site.code, Site.name, Site.tz).where(Site.code == code)).first()
    return None if row is None else {"code": row[0], "name": row[1], "timezone": row[2]}


def rack_entry(engine: Engine, site_code: str, name: str) -> dict[str, Any] | None:
    """A rack as the YAML format writes it (with its feeds), or None."""
    with engine.connect() as conn:
        row = conn.execute(
            select(Rack.id, Rack.name, Rack.row, Rack.position, Rack.height_u, Rack.rated_power_w)
            .join(Site, Site.id == Rack.site_id)
            .where(Site.code == site_code, Rack.name == name)
        ).first()
        if row is None:
            return None
        feeds = {
            f.feed: {"breaker_a": f.breaker_a, "phases": f.phases, "voltage_v": f.voltage_v}
            for f in conn.execute(
                select(RackFeed.feed, RackFeed.breaker_a, RackFeed.phases, RackFeed.voltage_v)
                .where(RackFeed.rack_id == row[0])
                .order_by(RackFeed.feed)
            )
        }
    entry: dict[str, Any] = {
        "name": row[1],
        "row": row[2] or "",
        "position": row[3] or 0,
        "height_u": row[4] or 42,
    }
    if row[5] is not None:
        entry["rated_power_w"] = row[5]
    if feeds:
        entry["feeds"] = feeds
    return entry


def save_rack(
    engine: Engine, site_code: str, rack: Mapping[str, Any], *, user: str
) -> ImportReport:
    """Add or update a rack of an existing site: keys as in the YAML format (feeds included).

    The rack's feeds are its complete set, as on import; its devices stay as they are.
    """
    site = site_entry(engine, site_code)
    name = str(rack.get("name") or "")
    label = f"rack {site_code}/{name}"
    if site is None:
        raise InventoryError([Problem(label, 0, "site", f"no site with code {site_code!r}")])
    entry = {k: v for k, v in rack.items() if v not in (None, "")}
    doc = {"sites": [{**site, "racks": [entry]}]}
    return _run(
        engine,
        ".yaml",
        lambda p: write_inventory(doc, p),
        label=label,
        user=user,
        kind="rack",
        name=f"{site_code}/{name}",
        detail=rack,
    )


def save_device(engine: Engine, device: Mapping[str, Any], *, user: str) -> ImportReport:
    """Add or update a device: the CSV columns (site, rack, name, kind, address, ...).

    Like a CSV row it describes the device completely: a column left empty takes the default.
    """

    def write(path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(CSV_COLUMNS)
            w.writerow(["" if device.get(c) is None else str(device.get(c)) for c in CSV_COLUMNS])

    site, name = str(device.get("site") or ""), str(device.get("name") or "")
    return _run(
        engine,
        ".csv",
        write,
        label=f"device {site}/{name}",
        user=user,
        kind="device",
        name=f"{site}/{name}",
        detail=device,
    )


def import_file(
    engine: Engine, path: str | Path, *, user: str, progress: Progress | None = None
) -> ImportReport:
    """Import a YAML or CSV file as `app.py import` does, and audit who did it."""
    report = import_inventory(engine, path, progress=progress)
    if report.changed:
        _audit(
            engine,
            user,
            "import",
            "inventory",
            str(path),
            {
                "sites": str(report.sites),
                "racks": str(report.racks),
                "devices": str(report.devices),
            },
        )
    return report


def inventory_events(engine: Engine, limit: int = 100) -> list[tuple[int, str, str, str, str]]:
    """The newest inventory changes: (ts, user, action, kind, name)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                InventoryEvent.ts,
                InventoryEvent.user,
                InventoryEvent.action,
                InventoryEvent.kind,
                InventoryEvent.name,
            )
            .order_by(InventoryEvent.id.desc())
            .limit(limit)
        ).all()
    return [(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]
