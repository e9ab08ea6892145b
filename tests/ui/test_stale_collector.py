"""kill -9 of the collector, seen in the real main window: stale banner, collector-down alarm."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from models.db import make_engine
from monitors.lab import LabHandle
from tests.test_alarm_lab import FastClock, _rows, lab, start_collecting

__all__ = ["lab"]
pytestmark = pytest.mark.daemon  # real lab agents and a real collector process

# The demo's poll interval; the collector beats every 5 s (models.staleness.HEARTBEAT_S).
INTERVAL = 10


def test_killed_collector_turns_the_window_stale_and_raises_collector_down(
    lab: tuple[LabHandle, FastClock], tmp_path: Path, sqlite_url: str, qtbot: Any, qapp: Any
) -> None:
    from PySide6.QtCore import QCoreApplication, QSettings

    from ui.context import Context
    from ui.main_window import MainWindow
    from ui.workers import Loader

    handle, _clock = lab
    collector = start_collecting(handle, tmp_path, sqlite_url, INTERVAL, duration=600)
    engine = make_engine(sqlite_url)
    QCoreApplication.setOrganizationName("RackWatchTest")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    ctx = Context(engine=engine, url=sqlite_url, loader=Loader(), user="operator")
    win = MainWindow(ctx, restore=False)
    qtbot.addWidget(win)
    win.show()
    win.start()
    second: Any = None
    try:
        # Live first: samples and heartbeats arrive, no banner.
        qtbot.waitUntil(
            lambda: (
                win.health is not None
                and win.health.newest_sample_ts is not None
                and win.liveness is not None
                and win.liveness.alive == 1
            ),
            timeout=90_000,
        )
        qtbot.wait(2000)
        assert not win.stale_banner.isVisible() and not win.feed.stale
        assert win.status.collectors.text() == "Collectors alive: 1 of 1"

        os.kill(collector.pid, signal.SIGKILL)
        killed = time.time()
        collector.communicate(timeout=10)  # reap it and close its pipe
        qtbot.waitUntil(lambda: win.stale_banner.isVisible(), timeout=4 * INTERVAL * 1000)
        banner_s = time.time() - killed
        text = win.stale_banner.text()
        assert text.startswith("DATA STALE — no collector has reported for "), text
        assert "newest sample" in text
        assert win.floor.map.feed_stale and win.alarms.model.stale
        assert win.status.collectors.text() == "Collectors alive: 0 of 1"

        def down() -> list[Any]:
            return _rows(
                sqlite_url,
                "SELECT id, severity, state, incident_id FROM alarm WHERE rule = 'collector_down'",
            )

        qtbot.waitUntil(lambda: bool(down()), timeout=5 * INTERVAL * 1000)
        alarm_s = time.time() - killed
        [(aid, severity, state, incident)] = down()
        assert (severity, state) == ("critical", "active") and incident is not None
        qtbot.waitUntil(lambda: any(a.id == aid for a in win.alarms.alarms), timeout=10_000)
        print(f"kill -9: banner after {banner_s:.1f} s, collector-down alarm after {alarm_s:.1f} s")
        assert banner_s <= 2 * INTERVAL, f"banner {banner_s:.1f} s after the kill"
        assert alarm_s <= 3 * INTERVAL, f"collector-down alarm {alarm_s:.1f} s after the kill"

        # A new collector on the same host and shard: the heartbeat resumes, the alarm clears,
        # the banner goes.
        second = start_collecting(handle, tmp_path, sqlite_url, INTERVAL, imported=True)
        qtbot.waitUntil(lambda: not win.stale_banner.isVisible(), timeout=90_000)
        qtbot.waitUntil(lambda: down()[0][2] == "cleared", timeout=30_000)
        [(action,)] = _rows(
            sqlite_url,
            "SELECT action FROM alarm_event WHERE alarm_id = :a AND action = 'clear'",
            a=aid,
        )
        assert action == "clear"
    finally:
        win.close()
        for proc in (collector, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.communicate(timeout=60)
        engine.dispose()
