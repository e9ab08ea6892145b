"""Incident snapshot end to end: an incident through SampleWriter and the alarm engine, exported."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.alarms.lifecycle import acknowledge_alarm
from models.db import upgrade
from models.snapshot.bundle import verify_snapshot
from models.snapshot.csvfmt import iso_time
from models.snapshot.data import (
    ExportCancelled,
    SnapshotError,
    alarm_window,
    iso_utc,
    parse_scope,
)
from tests.daemons import REPO, require
from tests.test_alarm_rig import STEP, T0, Rig

END = T0 + 240 * STEP
ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}


@pytest.fixture(scope="module")
def incident(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    """Three racks for two hours; R02 loses cooling after 30 min and is acknowledged.

    Built once per module: the tests only read it.
    """
    url = f"sqlite:///{tmp_path_factory.mktemp('incident') / 'rackwatch.db'}"
    upgrade(url)
    rig = Rig(url, racks=3)
    t = T0
    for i in range(240):
        for r in ("R01", "R02", "R03"):
            inlet = 23.0 + (min(12.0, (i - 60) * 0.12) if r == "R02" and i >= 60 else 0.0)
            rig.rack_poll(t, r, inlet=inlet + (0.1 if i % 2 else -0.1), watts=(2500.0, 2450.0))
        if i == 150:
            crit = [a for a in rig.alarms_rows() if a.rule == "temperature"]
            acknowledge_alarm(rig.engine, crit[0].id, "li.wei", "CRAC-3 compressor tripped", now=t)
        t += STEP
    rig.writer.writer.flush()
    yield rig
    rig.close()


def _year(ts: int) -> int:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).year


def _app(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "app.py"), *args],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=REPO,
        check=False,
    )


def _rewrite(src: Path, dst: Path, member: str, offset: int) -> None:
    """Copy a zip, changing one byte of one member."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == member:
                b = bytearray(data)
                b[offset] = ord("9") if b[offset] != ord("9") else ord("8")
                data = bytes(b)
            zout.writestr(info, data)


@pytest.mark.daemon  # pdftotext reads the PDF
def test_export_report_names_rack_and_alarm_and_verifies(incident: Rig, tmp_path: Path) -> None:
    require(shutil.which("pdftotext") is not None, "poppler-utils (pdftotext) not installed")
    alarms = {a.rule: a for a in incident.alarms_rows()}
    assert alarms["temperature"].severity == "critical"
    assert alarms["temperature"].state == "acknowledged"
    assert "forecast" in alarms
    out = tmp_path / "incident.zip"
    res = _app(
        "export",
        "--db",
        incident.url,
        "--scope",
        "rack:R02",
        "--start",
        iso_utc(T0),
        "--end",
        iso_utc(END),
        "-o",
        str(out),
        "--user",
        "zhang.shift-lead",
        "--note",
        "CRAC-3 compressor tripped; vendor on site 10:40",
    )
    assert res.returncode == 0, res.stderr
    assert out.exists() and not out.with_name(out.name + ".part").exists()
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert {
            "report.pdf",
            "data/samples.csv",
            "alarms.csv",
            "inventory.json",
            "manifest.json",
            "plots/row-A-inlet.png",
            "plots/row-A-power.png",
            "plots/R02-elevation.png",
        } <= names
        manifest = json.loads(zf.read("manifest.json"))
        raw_samples = zf.read("data/samples.csv")
        samples = list(csv.reader(io.StringIO(raw_samples.decode("utf-8-sig"))))
        inventory = zf.read("inventory.json").decode()
        alarms_csv = zf.read("alarms.csv").decode()
        (tmp_path / "report.pdf").write_bytes(zf.read("report.pdf"))
    assert manifest["query"] == {
        "scope": "rack:R02",
        "start_utc": iso_utc(T0),
        "end_utc": iso_utc(END),
        "site": "S1",
        "site_tz": "Asia/Shanghai",
        "database": incident.url,
    }
    assert set(manifest["files"]) == names - {"manifest.json"}
    assert manifest["app_version"] and manifest["exported_by"] == "zhang.shift-lead"
    assert samples[0][:8] == [
        "time_utc",
        "site",
        "rack",
        "device",
        "metric",
        "channel",
        "value",
        "unit",
    ]
    inlet = [r for r in samples[1:] if r[3] == "R02-ENV" and r[4] == "temperature_c"]
    assert len(inlet) == 240
    assert raw_samples.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads it as UTF-8
    assert inlet[0][:3] == [iso_time(T0), "S1", "R02"] and inlet[0][7] == "°C"
    assert inlet[0][0].endswith("+00:00")
    assert float(inlet[-1][6]) == pytest.approx(35.1)
    assert {r[2] for r in samples[1:]} == {"R02"}
    assert "secret-community-name" not in inventory and "credential" not in inventory
    assert "CRAC-3 compressor tripped" in alarms_csv

    # The PDF renders, and its text names the rack, the alarm and who acknowledged it.
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", str(tmp_path / "report.pdf"), str(tmp_path / "page")],
        check=True,
    )
    assert (tmp_path / "page-1.png").stat().st_size > 10_000
    raw = subprocess.run(
        ["pdftotext", str(tmp_path / "report.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = " ".join(raw.split())  # table cells wrap; compare on collapsed whitespace
    assert "Rack R02" in text
    assert "above critical 32 °C" in text
    page1 = " ".join(
        subprocess.run(
            ["pdftotext", "-f", "1", "-l", "1", str(tmp_path / "report.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    )
    assert "CRAC-3 compressor tripped; vendor on site 10:40" in page1
    assert "Affected racks" in page1 and str(_year(T0)) in page1
    assert "will reach 32 °C in ~" in text
    assert "li.wei" in text and "CRAC-3 compressor tripped" in text
    assert "Asia/Shanghai" in text and "UTC" in text and "zhang.shift-lead" in text

    ok = _app("verify", str(out))
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout
    bad = tmp_path / "tampered.zip"
    _rewrite(out, bad, "data/samples.csv", 200)
    fail = _app("verify", str(bad))
    assert fail.returncode != 0
    assert "changed: data/samples.csv" in fail.stderr
    assert "report.pdf" not in fail.stderr


def test_site_export_plots_the_alarmed_rack_first(incident: Rig, tmp_path: Path) -> None:
    from ui.snapshot_export import ensure_gui_app, export_snapshot

    ensure_gui_app()
    seen: list[int] = []
    res = export_snapshot(
        incident.engine,
        parse_scope("site:S1"),
        T0,
        END,
        tmp_path / "site.zip",
        user="tester",
        progress=lambda p, _m: seen.append(p),
    )
    assert seen[-1] == 100 and seen == sorted(seen)
    assert res.racks_plotted == 3
    assert res.sample_rows == 3 * 240 * 10  # 3 racks, 10 series each, every sample raw
    with zipfile.ZipFile(res.path) as zf:
        assert "plots/R02-elevation.png" in zf.namelist()
        assert "plots/row-A-inlet.png" in zf.namelist()
    v = verify_snapshot(res.path)
    assert v.ok and v.checked == len(res.files)


def test_cancelled_export_leaves_no_file(incident: Rig, tmp_path: Path) -> None:
    from ui.snapshot_export import ensure_gui_app, export_snapshot

    ensure_gui_app()
    stop = threading.Event()

    def progress(pct: int, _msg: str) -> None:
        if pct >= 12:
            stop.set()

    out = tmp_path / "never.zip"
    with pytest.raises(ExportCancelled):
        export_snapshot(
            incident.engine, parse_scope("site:S1"), T0, END, out, progress=progress, cancel=stop
        )
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def test_bad_scope_and_window_are_explained(incident: Rig, tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="expected site:CODE"):
        parse_scope("aisle:3")
    res = _app(
        "export",
        "--db",
        incident.url,
        "--scope",
        "rack:NOPE",
        "--start",
        iso_utc(T0),
        "--end",
        iso_utc(END),
        "-o",
        str(tmp_path / "x.zip"),
    )
    assert res.returncode == 2 and "no rack named 'NOPE'" in res.stderr
    res = _app(
        "export",
        "--db",
        incident.url,
        "--scope",
        "rack:R01",
        "--start",
        "yesterday",
        "--end",
        iso_utc(END),
        "-o",
        str(tmp_path / "x.zip"),
    )
    assert res.returncode == 2 and "--start 'yesterday'" in res.stderr
    missing = _app("verify", str(tmp_path / "absent.zip"))
    assert missing.returncode != 0 and "not a readable zip" in missing.stderr


def test_alarm_window_defaults_to_its_rack_and_span(incident: Rig) -> None:
    crit = next(a for a in incident.alarms_rows() if a.rule == "temperature")
    scope, start, end = alarm_window(incident.engine, crit.id, now=END + 7200)
    assert str(scope) == "rack:S1/R02"
    assert start == crit.raised_ts - 3600
    assert end == END + 7200  # still open: up to now
    forecast = next(a for a in incident.alarms_rows() if a.rule == "forecast")
    _, _, fend = alarm_window(incident.engine, forecast.id, now=END + 7200)
    assert fend == forecast.cleared_ts + 900
    with pytest.raises(SnapshotError, match="alarm 9999 does not exist"):
        alarm_window(incident.engine, 9999)


def test_export_on_each_backend(db_url: str, tmp_path: Path) -> None:
    from ui.snapshot_export import ensure_gui_app, export_snapshot

    ensure_gui_app()
    rig = Rig(db_url)
    try:
        t = T0
        for i in range(20):
            rig.rack_poll(t, inlet=33.0 if i >= 10 else 23.0)
            t += STEP
        res = export_snapshot(rig.engine, parse_scope("rack:R01"), T0, t, tmp_path / "s.zip")
        assert res.alarms == 1 and res.sample_rows == 20 * 10
        with zipfile.ZipFile(res.path) as zf:
            rows = list(csv.reader(io.StringIO(zf.read("data/samples.csv").decode("utf-8-sig"))))
        inlet = [r for r in rows if r[4] == "temperature_c"]
        assert inlet[0][0] == iso_time(T0) and float(inlet[-1][6]) == 33.0
        assert verify_snapshot(res.path).ok
    finally:
        rig.close()


def test_peaks_from_rollups_equal_raw_samples(incident: Rig) -> None:
    from sqlalchemy import text

    from models.snapshot.data import _aggregate

    start, end = T0 + 77, END - 13  # ragged edges: raw, 5-min and hourly parts all used
    with incident.engine.connect() as conn:
        ids = [int(r[0]) for r in conn.execute(text("SELECT id FROM series"))]
        raw = {
            int(r[0]): (float(r[1]), float(r[2]))
            for r in conn.execute(
                text(
                    "SELECT series_id, avg(value), max(value) FROM sample "
                    "WHERE ts >= :s AND ts <= :e GROUP BY series_id"
                ),
                {"s": start, "e": end},
            )
        }
    got = _aggregate(incident.engine, ids, start, end)
    assert set(got) == set(raw)
    for sid, (mean, peak) in raw.items():
        assert got[sid][0] == pytest.approx(mean, rel=1e-9)
        assert got[sid][1] == peak


def test_rollup_means_and_peaks_on_each_backend(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the row budget the quiet rack is exported as 5-minute means from the rollups."""
    from models.snapshot import data as snapshot_data
    from ui.snapshot_export import ensure_gui_app, export_snapshot

    ensure_gui_app()
    monkeypatch.setattr(snapshot_data, "RAW_ROW_BUDGET", 2000)
    rig = Rig(db_url, racks=2)
    try:
        t = T0
        for i in range(160):  # 80 minutes
            rig.rack_poll(t, "R01", inlet=33.0 if i >= 100 else 23.0)
            rig.rack_poll(t, "R02", inlet=22.0 + (i % 10) * 0.1)
            t += STEP
        rig.writer.writer.flush()
        res = export_snapshot(rig.engine, parse_scope("site:S1"), T0, t, tmp_path / "s.zip")
        with zipfile.ZipFile(res.path) as zf:
            rows = list(csv.reader(io.StringIO(zf.read("data/samples.csv").decode("utf-8-sig"))))
        r01 = [r for r in rows[1:] if r[2] == "R01"]
        r02 = [r for r in rows[1:] if r[2] == "R02"]
        assert {r[8] for r in r01} == {"0"} and len(r01) == 160 * 10
        assert {r[8] for r in r02} == {"300"}
        inlet = [r for r in r02 if r[4] == "temperature_c"]
        # The first bucket holds the window's first 4 samples, the next a whole cycle.
        assert float(inlet[0][6]) == pytest.approx(22.15, abs=0.001)
        assert float(inlet[1][6]) == pytest.approx(22.45, abs=0.001)
        assert inlet[0][0] == iso_time(T0 - T0 % 300)
        assert verify_snapshot(res.path).ok
    finally:
        rig.close()
