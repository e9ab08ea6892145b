"""The report and the window draw the whole window: gaps, the open bucket, formulas in CSV."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import zipfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from sqlalchemy import text

from models.db import upgrade
from models.snapshot.data import combine, parse_scope
from models.store.samples import History, history
from tests.test_alarm_rig import STEP, T0, Rig


def _inlet_sid(rig: Rig, rack: str = "R01") -> int:
    with rig.engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT s.id FROM series s JOIN device d ON d.id = s.device_id "
                    "WHERE d.name = :d AND s.metric = 'temperature_c'"
                ),
                {"d": f"{rack}-ENV"},
            ).scalar_one()
        )


def _drawn_coverage(x: np.ndarray, y: np.ndarray, start: int, end: int) -> float:
    """Share of [start, end] under drawn line segments (runs of finite points)."""
    ok = np.isfinite(y)
    covered = 0.0
    i = 0
    while i < len(x):
        if not ok[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(x) and ok[j + 1]:
            j += 1
        covered += min(x[j], end) - max(x[i], start)
        i = j + 1
    return covered / (end - start)


def test_sparse_backfill_is_drawn_and_an_outage_is_a_gap(tmp_path: Path) -> None:
    """5-minute history followed by 30-s polls is one line; a 20-minute outage breaks it."""
    from PySide6.QtWidgets import QApplication

    from models.read import racks as read_racks
    from ui.plots import PlotPanel

    _app = QApplication.instance() or QApplication([])
    url = f"sqlite:///{tmp_path / 'r.db'}"
    upgrade(url)
    rig = Rig(url)
    try:
        t = T0
        while t < T0 + 3600:  # an hour of backfill at 5-minute spacing
            rig.rack_poll(t, inlet=23.0)
            t += 300
        while t < T0 + 7200:  # then live polls
            rig.rack_poll(t, inlet=24.0)
            t += STEP
        end = t - STEP
        sid = _inlet_sid(rig)
        rows = read_racks.rack_series(rig.engine, 1, "temperature_c", role="inlet")
        hist = history(rig.engine, [sid], T0, end)
        panel = PlotPanel(None, static=True)
        panel.show_data("rack_inlet", rows, hist, T0, end)
        x, y = panel._curves[sid].getData()
        assert _drawn_coverage(np.asarray(x), np.asarray(y), T0, end) >= 0.95
        assert hist[sid].covered_s() >= 0.95 * (end - T0)

        # A 20-minute silence among 30-s polls is a gap: the line breaks there.
        t = end + 1200
        for _ in range(20):
            rig.rack_poll(t, inlet=24.0)
            t += STEP
        h2 = history(rig.engine, [sid], T0, t)[sid]
        assert int(h2.breaks().sum()) == 1
        gx, gy = h2.gapped()
        k = int(np.flatnonzero(np.isnan(gy))[0])
        assert end < gx[k] < end + 1200
        panel.deleteLater()
    finally:
        rig.close()


def test_long_plots_include_the_open_bucket(tmp_path: Path) -> None:
    """An incident in the newest, still-open rollup bucket shows at 7 and 30 days."""
    url = f"sqlite:///{tmp_path / 'r.db'}"
    upgrade(url)
    rig = Rig(url)
    try:
        t = T0 - T0 % 3600
        end = t + 3 * 3600 - 60
        while t <= end:
            # Hot only in the last 4 minutes: inside the open 5-minute (and 1-hour) bucket.
            rig.rack_poll(t, inlet=36.0 if t > end - 240 else 23.0)
            t += STEP
        # No flush: the collector is still running, its open buckets are in memory only.
        sid = _inlet_sid(rig)
        with rig.engine.connect() as conn:
            top = conn.execute(
                text("SELECT max(max) FROM rollup WHERE series_id = :s"), {"s": sid}
            ).scalar()
        assert top is not None and top < 30  # the rollups alone miss the incident
        for days in (7, 30, 90):
            h = history(rig.engine, [sid], end - days * 86_400, end, 2000)[sid]
            assert h.source.startswith("rollup")
            assert float(np.nanmax(h.hi)) >= 36.0, days
            assert np.all(np.diff(h.ts) > 0)
    finally:
        rig.close()


def test_combine_sums_each_pdu_at_the_same_instant() -> None:
    """Two PDUs polled at different seconds: the sum holds each one's latest value."""
    a = History(1, 0, np.array([0, 60, 120]), np.array([1000.0, 2000.0, 1000.0]),
                np.zeros(3), np.zeros(3), "raw", 60)  # fmt: skip
    b = History(2, 0, np.array([30, 90, 150]), np.array([500.0, 700.0, 600.0]),
                np.zeros(3), np.zeros(3), "raw", 60)  # fmt: skip
    c = combine([a, b], "sum")
    assert c.peak() == (2700.0, 90)  # 2000 (a at 60) + 700 (b at 90)
    assert c.at(150) == 1600.0
    # A PDU silent past the hold (3 intervals) no longer counts.
    late = History(3, 0, np.array([0]), np.array([9999.0]), np.zeros(1), np.zeros(1), "raw", 10)
    assert combine([late, b], "sum").at(150) == 600.0


def test_csv_neutralises_formulas_but_keeps_numbers(tmp_path: Path) -> None:
    from ui.snapshot_export import ensure_gui_app, export_snapshot

    ensure_gui_app()
    url = f"sqlite:///{tmp_path / 'r.db'}"
    upgrade(url)
    rig = Rig(url)
    evil = '=HYPERLINK("http://evil.example/","click")'
    try:
        t = T0
        for _ in range(10):
            rig.rack_poll(t, inlet=-5.5)
            t += STEP
        with rig.engine.begin() as conn:
            conn.execute(text("UPDATE device SET name = :n WHERE name = 'R01-ENV'"), {"n": evil})
            conn.execute(text("UPDATE device SET name = '+cmd' WHERE name = 'R01-PDUB'"))
        res = export_snapshot(rig.engine, parse_scope("rack:R01"), T0, t, tmp_path / "s.zip")
        with zipfile.ZipFile(res.path) as zf:
            raw = zf.read("data/samples.csv")
            inventory = zf.read("inventory.json").decode()
        assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        devices = {r[3] for r in rows[1:]}
        assert "'" + evil in devices and "'+cmd" in devices
        assert not any(d.startswith(("=", "+", "-", "@")) for d in devices)
        inlet = [r for r in rows[1:] if r[4] == "temperature_c"]
        assert inlet and all(r[6] == "-5.5" for r in inlet)  # a number stays a number
        assert float(inlet[0][6]) == -5.5
        assert evil in {d["name"] for d in json.loads(inventory)["devices"]}  # JSON: as named
    finally:
        rig.close()


@pytest.mark.parametrize("scope", ["row:S1/A", "row:A"])
def test_row_scope_covers_the_racks_of_the_row(tmp_path: Path, scope: str) -> None:
    from models.snapshot.data import gather

    url = f"sqlite:///{tmp_path / 'r.db'}"
    upgrade(url)
    rig = Rig(url, racks=3)
    try:
        for r in ("R01", "R02", "R03"):
            rig.rack_poll(T0, r)
        with rig.engine.begin() as conn:
            conn.execute(text("UPDATE rack SET row = 'B' WHERE name = 'R03'"))
        data = gather(rig.engine, parse_scope(scope), T0 - 60, T0 + 60)
        assert [r.name for r in data.racks] == ["R01", "R02"]
        assert {d.rack_id for d in data.devices} == {r.id for r in data.racks}
    finally:
        rig.close()


@pytest.mark.daemon
def test_row_incident_summary_fits_and_carries_the_note(tmp_path: Path) -> None:
    """Ten racks of one row lose cooling: at most 2 summary pages, 8 in all, note on page 1."""
    import shutil
    import subprocess

    from models.alarms.lifecycle import acknowledge_alarm
    from models.snapshot.data import gather, timeline
    from tests.daemons import require
    from ui.snapshot_export import ensure_gui_app, export_snapshot

    require(shutil.which("pdftotext") is not None, "poppler-utils (pdftotext) not installed")
    ensure_gui_app()
    url = f"sqlite:///{tmp_path / 'r.db'}"
    upgrade(url)
    rig = Rig(url, racks=10)
    note = "CRAC-2 compressor tripped at 10:02; vendor reset it at 10:50."
    try:
        t = T0
        racks = [f"R{i:02d}" for i in range(1, 11)]
        for i in range(120):
            for k, r in enumerate(racks):
                hot = 23.0 + (max(0, i - 30 - k) * 0.25)
                rig.rack_poll(t, r, inlet=min(hot, 36.0), watts=(2400.0 + 10 * k, 2300.0))
            if i == 80:
                crit = [a for a in rig.alarms_rows() if a.severity == "critical"]
                for a in crit[:3]:
                    acknowledge_alarm(rig.engine, a.id, "li.wei", "CRAC-2 tripped", now=t)
            t += STEP
        res = export_snapshot(
            rig.engine, parse_scope("row:S1/A"), T0, t, tmp_path / "row.zip", note=note
        )
        assert res.alarms >= 10
        with zipfile.ZipFile(res.path) as zf:
            (tmp_path / "r.pdf").write_bytes(zf.read("report.pdf"))
        # The alarm engine folded the flood into incidents; the timeline has a line each.
        data = gather(rig.engine, parse_scope("row:S1/A"), T0, t)
        entries = timeline(data)
        assert data.incidents and len(entries) <= 4
        assert {e.what for e in entries} >= {i.title for i in data.incidents}
    finally:
        rig.close()
    pdf = str(tmp_path / "r.pdf")
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    pages = int(next(ln.split()[-1] for ln in info.splitlines() if ln.startswith("Pages:")))

    def page(n: int) -> str:
        out = subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), pdf, "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return " ".join(out.split())

    assert pages <= 8
    appendix = next(n for n in range(1, pages + 1) if page(n).startswith("Appendix"))
    assert appendix - 1 <= 2  # the summary
    first = page(1)
    assert note in first
    assert "Row A (S1)" in first and "Affected racks" in first
    # Condensed: one timeline line per incident (or rule and row), not one per alarm.
    summary = " ".join(page(n) for n in (1, 2))
    assert "on 10 racks of S1 row A" in summary or "on 10 rack(s) of row A" in summary
    assert summary.count("R01 / R01-ENV") <= 2  # the first alarm named once, not every sensor
    # Every affected rack is in the table with its peak kW.
    assert all(f"R{i:02d} " in " ".join(page(n) for n in (1, 2)) for i in range(1, 11))


def test_verify_detects_one_changed_byte_in_every_file(tmp_path: Path) -> None:
    from models.snapshot.bundle import MANIFEST, verify_snapshot
    from ui.snapshot_export import ensure_gui_app, export_snapshot

    ensure_gui_app()
    url = f"sqlite:///{tmp_path / 'r.db'}"
    upgrade(url)
    rig = Rig(url)
    try:
        t = T0
        for i in range(20):
            rig.rack_poll(t, inlet=33.0 if i >= 10 else 23.0)
            t += STEP
        res = export_snapshot(rig.engine, parse_scope("rack:R01"), T0, t, tmp_path / "s.zip")
    finally:
        rig.close()
    assert verify_snapshot(res.path).ok
    with zipfile.ZipFile(res.path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    assert set(members) - {MANIFEST} == set(res.files) and len(res.files) >= 6
    for name in res.files:
        bad = tmp_path / "bad.zip"
        with zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as zout:
            for member, payload in members.items():
                if member == name:
                    b = bytearray(payload)
                    b[len(b) // 2] ^= 0x01
                    payload = bytes(b)
                zout.writestr(member, payload)
        v = verify_snapshot(bad)
        assert not v.ok and v.changed == [name], name


@pytest.mark.parametrize("days", [7, 30, 90])
def test_date_labels_never_touch(days: int) -> None:
    """Every tick label the axis keeps is at least a label's width from the next one."""
    from PySide6.QtWidgets import QApplication

    from ui.plots import PlotPanel

    _app = QApplication.instance() or QApplication([])
    panel = PlotPanel(None, static=True)
    panel.resize(600, 250)
    panel.grab()  # pyqtgraph's date axis learns its font metrics when first painted
    axis = panel.axis
    end = 1_795_000_000.0
    for width in (300.0, 500.0, 900.0):
        levels = axis.tickValues(end - days * 86_400, end, width)
        kept = sorted(v for _spacing, values in levels for v in values)
        assert len(kept) >= 2
        room = days * 86_400 / width * axis._label_px()
        assert min(b - a for a, b in itertools.pairwise(kept)) >= room * 0.999
    panel.deleteLater()
