"""Lab cooling failure -> collector -> alarm engine -> the main window's alarm dock, timed."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from models.db import make_engine
from monitors.lab import LabHandle
from tests.test_alarm_lab import INTERVAL, FastClock, _rows, lab, start_collecting

__all__ = ["lab"]

# The crossing is known to the second (sample timestamps are whole seconds).
TS_RESOLUTION_S = 1.0


def test_critical_alarm_reaches_the_dock_within_one_interval_plus_2s(
    lab: tuple[LabHandle, FastClock], tmp_path: Path, sqlite_url: str, qtbot: Any, qapp: Any
) -> None:
    from PySide6.QtCore import QCoreApplication, QSettings

    from ui.context import Context
    from ui.main_window import MainWindow
    from ui.workers import Loader

    handle, clock = lab
    collector = start_collecting(handle, tmp_path, sqlite_url)
    engine = make_engine(sqlite_url)
    QCoreApplication.setOrganizationName("RackWatchTest")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    ctx = Context(engine=engine, url=sqlite_url, loader=Loader(), user="operator")
    win = MainWindow(ctx, restore=False)
    qtbot.addWidget(win)
    win.show()
    win.start()
    seen: dict[int, float] = {}

    def record() -> bool:
        for a in win.alarms.alarms:
            if a.severity == "critical" and a.rule == "temperature" and "inlet" in a.message:
                seen.setdefault(a.id, time.time())
        return bool(seen)

    try:
        qtbot.waitUntil(
            lambda: bool(_rows(sqlite_url, "SELECT 1 FROM latest LIMIT 1")), timeout=60_000
        )
        srv = handle.topology.servers()[0]
        clock.start()
        handle.inject("cooling-failure", site=srv.rack.site.code, row=srv.rack.row)
        qtbot.waitUntil(record, timeout=120_000)
    finally:
        win.close()
        collector.terminate()
        log, _ = collector.communicate(timeout=60)
        engine.dispose()
    assert collector.returncode == 0, log[-3000:]
    alarm_id, dock_ts = min(seen.items(), key=lambda kv: kv[1])
    (series_id,) = _rows(sqlite_url, "SELECT series_id FROM alarm WHERE id = :a", a=alarm_id)[0]
    (crossed,) = _rows(
        sqlite_url,
        "SELECT min(ts) FROM sample WHERE series_id = :s AND value > 32",
        s=series_id,
    )[0]
    latency = dock_ts - crossed
    print(
        f"alarm {alarm_id}: first sample over 32 °C at {crossed}, in the dock {latency:.2f} s later"
    )
    # From the first sample above 32 °C to the row in the operator's alarm dock.
    assert 0 <= latency <= INTERVAL + 2 + TS_RESOLUTION_S, f"latency {latency:.2f} s"
