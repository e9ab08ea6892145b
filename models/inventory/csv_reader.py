"""CSV inventory of devices: one row per device, with the site and rack it belongs to."""

from __future__ import annotations

import csv
from pathlib import Path

from models.inventory.format import (
    CREDENTIAL_RE,
    DEFAULT_POLL_INTERVAL_S,
    DEFAULT_PORTS,
    DEVICE_KEY_ORDER,
    DEVICE_KEYS,
    MAX_RACK_HEIGHT_U,
    MIN_REDFISH_INTERVAL_S,
    POLL_INTERVAL_RANGE,
    SITE_CODE_RE,
    Checker,
    DeviceRec,
    Inventory,
)
from models.vocabulary import DEVICE_KINDS, FEEDS, PROTOCOLS

CSV_COLUMNS = ("site", "rack", *DEVICE_KEY_ORDER)
assert set(CSV_COLUMNS) == DEVICE_KEYS | {"site", "rack"}
REQUIRED_COLUMNS = ("site", "name", "kind")
# Spreadsheets in many locales export with semicolons; both are accepted.
DELIMITERS = (",", ";")


def read_csv(path: Path, inv: Inventory, ck: Checker) -> None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        ck.fail(1, "csv", f"not UTF-8 text: {exc.reason} at byte {exc.start}")
        return
    lines = text.splitlines(keepends=True)
    if not lines or not lines[0].strip():
        ck.fail(1, "csv", "the file is empty; expected a header row (site,rack,name,kind,...)")
        return
    header_line = lines[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        ck.fail(1, "csv", f"bad header row: {exc}")
        return
    columns: dict[str, int] = {}
    for index, column in enumerate(header):
        if column not in CSV_COLUMNS:
            ck.fail(
                1,
                column or f"column {index + 1}",
                f"unknown column (allowed: {', '.join(CSV_COLUMNS)})",
            )
        elif column in columns:
            ck.fail(1, column, "duplicate column")
        else:
            columns[column] = index
    for column in REQUIRED_COLUMNS:
        if column not in columns:
            ck.fail(1, column, "missing required column")
    if len(ck.problems):
        return
    seen: dict[tuple[str, str], int] = {}
    line = 1
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            ck.fail(reader.line_num, "csv", str(exc))
            return
        line = start
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            ck.fail(line, "csv", f"{len(row)} cells but the header has {len(header)} columns")
            continue
        cells = {
            col: (row[i] if i < len(row) and row[i].strip() != "" else None)
            for col, i in columns.items()
        }
        rec = _row(cells, line, seen, ck)
        if rec is not None:
            inv.devices.append(rec)
            inv.named_sites.setdefault(rec.site, line)
            if rec.rack is not None:
                inv.named_racks.setdefault((rec.site, rec.rack), line)


def _row(
    cells: dict[str, str | None], line: int, seen: dict[tuple[str, str], int], ck: Checker
) -> DeviceRec | None:
    for column in REQUIRED_COLUMNS:
        if cells.get(column) is None:
            ck.fail(line, column, "missing required value")
    site = ck.pattern(cells.get("site"), line, "site", SITE_CODE_RE, "site code")
    rack = ck.name(cells.get("rack"), line, "rack", max_len=100)
    name = ck.name(cells.get("name"), line, "name")
    if site is not None and name is not None:
        if (site, name) in seen:
            ck.fail(
                line,
                "name",
                f"duplicate device {name!r} in site {site} (first at line {seen[site, name]})",
            )
            name = None
        else:
            seen[site, name] = line
    kind = ck.choice(cells.get("kind"), line, "kind", DEVICE_KINDS)
    protocol = (
        ck.choice(cells.get("protocol"), line, "protocol", PROTOCOLS)
        if cells.get("protocol")
        else "snmp"
    )
    address = ck.address(cells.get("address"), line, "address", protocol)
    if cells.get("address") is None and protocol in DEFAULT_PORTS:
        ck.fail(line, "address", f"required for protocol {protocol}")
    port = ck.integer(cells.get("port"), line, "port", 1, 65_535)
    if port is None and protocol is not None:
        port = DEFAULT_PORTS.get(protocol)
    u = ck.integer(cells.get("u"), line, "u", 1, MAX_RACK_HEIGHT_U)
    if u is not None and cells.get("rack") is None:
        ck.fail(line, "u", "only devices inside a rack have a U position")
    height = ck.integer(cells.get("height_u"), line, "height_u", 1, MAX_RACK_HEIGHT_U)
    feed = ck.choice(cells.get("feed"), line, "feed", FEEDS)
    if feed is not None and kind is not None and kind != "pdu":
        ck.fail(line, "feed", f"only PDUs have a feed (this device is a {kind})")
    if kind == "pdu" and cells.get("rack") is not None and cells.get("feed") is None:
        ck.fail(line, "feed", "missing required value for a PDU in a rack (A or B)")
    credential = ck.pattern(
        cells.get("credential"), line, "credential", CREDENTIAL_RE, "credential name"
    )
    profile = ck.profile(cells.get("profile"), line, "profile")
    interval = ck.integer(
        cells.get("poll_interval_s"), line, "poll_interval_s", *POLL_INTERVAL_RANGE
    )
    if protocol == "redfish" and interval is not None and interval < MIN_REDFISH_INTERVAL_S:
        ck.fail(
            line,
            "poll_interval_s",
            f"{interval} s is too often for protocol redfish (at least "
            f"{MIN_REDFISH_INTERVAL_S} s: BMCs are slow and have few sessions)",
        )
    enabled = ck.boolean(cells.get("enabled"), line, "enabled")
    model = ck.text(cells.get("model"), line, "model")
    serial = ck.text(cells.get("serial"), line, "serial", max_len=100)
    # A row with a bad field still takes part in the U checks (the import is refused anyway).
    if site is None or name is None or kind is None or protocol is None:
        return None
    return DeviceRec(
        site,
        rack,
        name,
        kind,
        u,
        height or 1,
        feed,
        ck.shared(model) or "",
        serial or "",
        address or "",
        port,
        protocol,
        ck.shared(profile),
        ck.shared(credential),
        interval if interval is not None else DEFAULT_POLL_INTERVAL_S,
        True if enabled is None else enabled,
        line,
        line,
        line,
    )
