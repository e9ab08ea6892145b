"""The snapshot's spreadsheet files: samples.csv, alarms.csv and inventory.json.

CSV is UTF-8 with a byte-order mark (Excel then reads it as UTF-8, LibreOffice ignores it),
comma-delimited, CRLF line ends (RFC 4180), times ISO 8601 in UTC with their offset
(2026-11-28T06:00:00+00:00). Text cells that a spreadsheet would run as a formula (starting
with = + - @, tab or CR) get a leading apostrophe; numeric cells stay numbers.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from models.snapshot import data as snapshot_data
from models.snapshot.data import (
    SAMPLE_COLUMNS,
    Cancelled,
    ExportCancelled,
    Progress,
    SnapshotData,
)

BOM = b"\xef\xbb\xbf"
DELIMITER = ","
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: str) -> str:
    """A text cell a spreadsheet shows as text: '=HYPERLINK(..)' arrives as typed, not run."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def iso_time(ts: int) -> str:
    """ISO 8601 in UTC with an explicit offset, which spreadsheets and parsers all read."""
    return datetime.fromtimestamp(ts, UTC).isoformat()


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
        # Flat records: asdict() recurses and copies, seconds for a site's 10,000 series.
        "devices": _records(data.devices),
        "series": _records(data.series),
    }


def _records(items: Sequence[Any]) -> list[dict[str, Any]]:
    if not items:
        return []
    names = [f.name for f in fields(items[0])]
    return [{n: getattr(x, n) for n in names} for x in items]


def inventory_bytes(data: SnapshotData) -> bytes:
    """inventory.json: one record per line (compact and still diffable; the C encoder is
    used only without indent, ten times faster on a site)."""
    inv = inventory_json(data)
    parts = ["{"]
    for i, (key, value) in enumerate(inv.items()):
        sep = "," if i < len(inv) - 1 else ""
        if isinstance(value, list):
            rows = ",\n  ".join(json.dumps(v, ensure_ascii=False) for v in value)
            parts.append(f'"{key}": [\n  {rows}\n]{sep}')
        else:
            parts.append(f'"{key}": {json.dumps(value, ensure_ascii=False)}{sep}')
    parts.append("}")
    return ("\n".join(parts) + "\n").encode("utf-8")


def alarms_csv(data: SnapshotData) -> bytes:
    """alarms.csv: one line per alarm (every sensor's alarm: the report condenses them)."""
    racks = {r.id: r.name for r in data.racks}
    devs = {d.id: d for d in data.devices}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
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
                iso_time(a.raised_ts),
                iso_time(a.cleared_ts) if a.cleared_ts else "",
                *map(
                    text_cell,
                    (a.severity, a.state, a.rule, data.site.code, rack, dev.name if dev else ""),
                ),
                text_cell(a.message),
                "" if a.value is None else a.value,
                "" if a.threshold is None else a.threshold,
                text_cell(a.ack_by or ""),
                iso_time(a.ack_ts) if a.ack_ts else "",
                text_cell(a.ack_note or ""),
                text_cell(a.key),
            ]
        )
    return BOM + buf.getvalue().encode("utf-8")


def _csv_field(v: str) -> str:
    """A text cell, neutralised and quoted when it must be."""
    v = text_cell(v)
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
    if est <= snapshot_data.RAW_ROW_BUDGET:
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
    res = 300 if raw_est + rest * (span // 300 + 1) <= snapshot_data.RAW_ROW_BUDGET else 3600
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
    out.write(BOM + (",".join(SAMPLE_COLUMNS) + "\r\n").encode("utf-8"))
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        iso_raw = "strftime('%Y-%m-%dT%H:%M:%S+00:00', ts, 'unixepoch')"
        iso_bucket = "strftime('%Y-%m-%dT%H:%M:%S+00:00', bucket, 'unixepoch')"
        val = "CAST(value AS TEXT)"
        avg = "CAST(round(sum / count, 4) AS TEXT)"
    else:
        iso_raw = (
            "to_char(to_timestamp(ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')"
        )
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
                tail = f",{unit},{res}\r\n"
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
            tail = f",{unit},{res}\r\n"
            mid = f",{head},"
            vals = [round(v, 4) for v in h.avg.tolist()] if res else h.avg.tolist()
            out.write(
                "".join(
                    iso_time(int(t)) + mid + repr(float(v)) + tail
                    for t, v in zip(h.ts.tolist(), vals, strict=True)
                ).encode("utf-8")
            )
            rows += len(h)
        if progress and n % 200 == 0:
            progress(lo + (hi - lo) * n // max(1, len(plan)), f"samples: {rows:,} rows")
    return rows
