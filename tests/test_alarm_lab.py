"""End to end in the lab: cooling failure -> collector + alarm engine -> alarms -> snapshot."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from models.alarms.desk import open_alarms
from models.alarms.lifecycle import acknowledge_alarm
from models.db import make_engine
from models.snapshot.bundle import verify_snapshot
from models.snapshot.data import alarm_window
from monitors.lab import LabHandle, start_lab
from tests.daemons import REPO, require

pytestmark = pytest.mark.daemon  # every test here runs real agents or tools

INTERVAL = 2  # seconds between polls of every device
SPEED = 5.0  # lab physics runs this many times faster than the wall clock


class FastClock:
    """The lab's clock, running SPEED times faster than wall time from start() on."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __call__(self) -> float:
        return time.time() + self.offset

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(0.05):
            now = time.monotonic()
            self.offset += (SPEED - 1.0) * (now - last)
            last = now

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[LabHandle, FastClock]]:
    clock = FastClock()
    handle = start_lab(
        tmp_path / "lab",
        sites=1,
        racks=2,
        servers=3,
        seed=11,
        net=random.randint(100, 250),
        port_base=random.randint(21_000, 60_000),
        clock=clock,
    )
    try:
        yield handle, clock
    finally:
        clock.stop()
        handle.stop()


# The forecast window scaled to the test's fast polling (the shipped 15 min holds 450 polls
# here): the collector stays quiet for its first window, then needs 80 % of one covered.
FORECAST_WINDOW_S = 16 * INTERVAL


def _env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "config" / "rackwatch"
    config.mkdir(parents=True, exist_ok=True)
    (config / "alarms.yaml").write_text(
        f"forecast: {{window_s: {FORECAST_WINDOW_S}}}\n", encoding="utf-8"
    )
    return {
        **os.environ,
        "RACKWATCH_CREDENTIALS": "file",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "QT_QPA_PLATFORM": "offscreen",
    }


def _app(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "app.py"), *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
        env=env,
        check=False,
    )


def _rows(url: str, sql: str, **params: Any) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params))
    finally:
        engine.dispose()


def start_collecting(
    handle: LabHandle,
    tmp_path: Path,
    url: str,
    interval: int = INTERVAL,
    *,
    imported: bool = False,
    duration: int = 150,
) -> subprocess.Popen[str]:
    """Import the lab into url, poll every `interval` s, and start `app.py collect` on it."""
    env = _env(tmp_path)
    out = handle.out_dir
    if not imported:
        for args in (
            ("import", str(out / "inventory.yaml"), "--db", url),
            ("credentials", "import", str(out / "credentials.yaml")),
        ):
            res = _app(env, *args)
            assert res.returncode == 0, f"{args[0]}: {res.stderr[-2000:]}"
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE device SET poll_interval_s = :i"), {"i": interval})
        engine.dispose()
    return subprocess.Popen(
        [sys.executable, str(REPO / "app.py"), "collect", "--db", url,
         "--known-hosts", str(out / "known_hosts"), "--duration", str(duration)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def test_cooling_failure_warns_early_then_critical_then_exports(
    lab: tuple[LabHandle, FastClock], tmp_path: Path, sqlite_url: str
) -> None:
    require(shutil.which("pdftotext") is not None, "poppler-utils (pdftotext) not installed")
    handle, clock = lab
    collector = start_collecting(handle, tmp_path, sqlite_url)
    try:
        # Some quiet polls first: nothing may be raised while the hall is normal.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _rows(
            sqlite_url, "SELECT 1 FROM sample GROUP BY series_id HAVING count(*) >= 4 LIMIT 1"
        ):
            time.sleep(1)
        time.sleep(3 * INTERVAL)
        assert _rows(sqlite_url, "SELECT rule, message FROM alarm WHERE rule != 'stale'") == []
        srv = handle.topology.servers()[0]
        site, row = srv.rack.site.code, srv.rack.row
        injected = time.time()
        clock.start()
        handle.inject("cooling-failure", site=site, row=row)
        crit: list[Any] = []
        deadline = time.monotonic() + 100
        while time.monotonic() < deadline and not crit:
            time.sleep(1)
            crit = _rows(
                sqlite_url,
                "SELECT id, series_id, rack_id FROM alarm WHERE rule = 'temperature' "
                "AND severity = 'critical' AND message LIKE '%inlet%'",
            )
        assert crit, (
            "no critical inlet alarm within 100 s of the injection: "
            + repr(_rows(sqlite_url, "SELECT rule, severity, message FROM alarm LIMIT 20"))
            + repr(_rows(sqlite_url, "SELECT max(value), max(ts) FROM sample"))
        )
    finally:
        collector.terminate()
        log, _ = collector.communicate(timeout=60)
    assert collector.returncode == 0, log[-3000:]

    alarm_id, series_id, rack_id = crit[0]
    # The early warning came first: a forecast on the same rack before the critical alarm.
    [(crit_ts,)] = _rows(
        sqlite_url,
        "SELECT min(ts) FROM alarm_event WHERE alarm_id = :a AND action IN ('raise', 'escalate')"
        " AND note LIKE '%critical%'",
        a=alarm_id,
    )
    forecasts = _rows(
        sqlite_url,
        "SELECT raised_ts, message FROM alarm WHERE rule = 'forecast' AND rack_id = :r "
        "ORDER BY raised_ts",
        r=rack_id,
    )
    # ...at least one poll interval ahead of it.
    assert forecasts and forecasts[0][0] <= crit_ts - INTERVAL, (forecasts, crit_ts)
    assert "will reach" in forecasts[0][1] and forecasts[0][0] >= injected - INTERVAL
    # Latency in data time: raised on the second sample past 32 °C, one poll interval after
    # the first (plus the scheduler's jitter).
    [(first_over,)] = _rows(
        sqlite_url,
        "SELECT min(ts) FROM sample WHERE series_id = :s AND value > 32.0",
        s=series_id,
    )
    assert first_over is not None and 0 <= crit_ts - first_over <= 1.5 * INTERVAL + 1

    # The operator sees it in the dock's query and acknowledges it.
    engine = make_engine(sqlite_url)
    try:
        dock = {a.id: a for a in open_alarms(engine)}
        assert dock[alarm_id].severity == "critical"
        # The same row reads in Chinese on a zh_CN desk (catalogue id + arguments).
        assert dock[alarm_id].message_id == "series.threshold"
        assert "高于严重" in dock[alarm_id].text("zh_CN.UTF-8")
        acknowledge_alarm(engine, alarm_id, "operator.wang", "CRAC in the row tripped")
        assert {a.id: a for a in open_alarms(engine)}[alarm_id].state == "acknowledged"
        scope, start, end = alarm_window(engine, alarm_id)
    finally:
        engine.dispose()

    # The shift lead exports the incident; it verifies and its PDF names rack and alarm.
    from models.snapshot.data import iso_utc

    snap = tmp_path / "incident.zip"
    res = _app(
        _env(tmp_path),
        "export",
        "--db",
        sqlite_url,
        "--scope",
        str(scope),
        "--start",
        iso_utc(start),
        "--end",
        iso_utc(end),
        "-o",
        str(snap),
        "--user",
        "shift.lead",
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert verify_snapshot(snap).ok
    import zipfile

    with zipfile.ZipFile(snap) as zf:
        (tmp_path / "report.pdf").write_bytes(zf.read("report.pdf"))
    pdf_text = " ".join(
        subprocess.run(
            ["pdftotext", str(tmp_path / "report.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    )
    rack_name = str(scope).split("/")[-1]
    assert f"Rack {rack_name}" in pdf_text
    assert "above critical 32 °C" in pdf_text
    assert "will reach" in pdf_text
    assert "CRAC in the row tripped" in pdf_text


@pytest.fixture
def row_lab(tmp_path: Path) -> Iterator[tuple[LabHandle, FastClock]]:
    """A site of eight racks (a row or two), so a cooling failure floods many sensors."""
    clock = FastClock()
    handle = start_lab(
        tmp_path / "lab",
        sites=1,
        racks=8,
        servers=4,
        seed=5,
        net=random.randint(100, 250),
        port_base=random.randint(21_000, 60_000),
        clock=clock,
    )
    try:
        yield handle, clock
    finally:
        clock.stop()
        handle.stop()


def test_cooling_failure_on_a_row_is_a_few_incidents_acknowledged_at_once(
    row_lab: tuple[LabHandle, FastClock], tmp_path: Path, sqlite_url: str
) -> None:
    handle, clock = row_lab
    collector = start_collecting(handle, tmp_path, sqlite_url)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not _rows(
            sqlite_url, "SELECT 1 FROM sample GROUP BY series_id HAVING count(*) >= 4 LIMIT 1"
        ):
            time.sleep(1)
        srv = handle.topology.servers()[0]
        row_racks = {r.name for r in handle.topology.racks() if r.row == srv.rack.row}
        clock.start()
        handle.inject("cooling-failure", site=srv.rack.site.code, row=srv.rack.row)
        # Let the flood develop: every inlet of the row past critical, CPUs following.
        deadline = time.monotonic() + 150
        crit = 0
        while time.monotonic() < deadline and crit < len(row_racks):
            time.sleep(2)
            [(crit,)] = _rows(
                sqlite_url,
                "SELECT count(DISTINCT rack_id) FROM alarm WHERE rule = 'temperature' "
                "AND severity = 'critical'",
            )
        time.sleep(6 * INTERVAL)
    finally:
        collector.terminate()
        log, _ = collector.communicate(timeout=60)
    assert collector.returncode == 0, log[-3000:]
    assert crit == len(row_racks), f"{crit} of {len(row_racks)} racks critical"
    alarms = _rows(sqlite_url, "SELECT id, rule, incident_id FROM alarm")
    outside = [a for a in alarms if a[2] is None]
    assert len(alarms) > len(row_racks) and outside == [], outside[:5]
    top = _rows(sqlite_url, "SELECT id, title, alarms_total FROM incident WHERE state = 'active'")
    print(f"{len(alarms)} alarms in {len(top)} active incidents: {top}")
    assert 1 <= len(top) <= 3, top
    # One action acknowledges the cooling incident and every alarm in it.
    [(thermal, n_open)] = _rows(
        sqlite_url,
        "SELECT id, alarms_open FROM incident WHERE family = 'thermal' AND state = 'active'",
    )
    res = _app(
        _env(tmp_path), "alarms", "ack", f"I{thermal}", "--note", "CRAC 1 tripped",
        "--user", "op.wang", "--db", sqlite_url,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    [(left,)] = _rows(
        sqlite_url,
        "SELECT count(*) FROM alarm WHERE incident_id = :i AND state = 'active'",
        i=thermal,
    )
    assert left == 0 and n_open > len(row_racks)
