"""Lab cooling failure -> collector -> alarm engine -> the main window's alarm dock, timed."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from models.db import make_engine
from monitors.lab import LabHandle
from tests.daemons import REPO
from tests.test_alarm_lab import INTERVAL, FastClock, _app, _env, _rows, lab

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
    env = _env(tmp_path)
    out = handle.out_dir
    for args in (
        ("import", str(out / "inventory.yaml"), "--db", sqlite_url),
        ("credentials", "import", str(out / "credentials.yaml")),
    ):
        res = _app(env, *args)
        assert res.returncode == 0, f"{args[0]}: {res.stderr[-2000:]}"
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE device SET poll_interval_s = :i"), {"i": INTERVAL})
    collector = subprocess.Popen(
        [sys.executable, str(REPO / "app.py"), "collect", "--db", sqlite_url,
         "--known-hosts", str(out / "known_hosts"), "--duration", "150"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
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
