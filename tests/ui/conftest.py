"""Qt offscreen set-up and a populated data-hall database shared by the GUI tests."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"

import pytest
from sqlalchemy import Engine, text

from models.db import make_engine, upgrade
from monitors.lab.hall_dataset import Hall, populate

_SETTINGS_DIR = tempfile.mkdtemp(prefix="rackwatch-test-settings-")
HEARTBEAT_GRACE_S = 600


@pytest.fixture(scope="session")
def hall_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Hall]:
    path = tmp_path_factory.mktemp("hall") / "hall.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    hall = populate(engine, now=int(time.time()), hours=2.0, step_s=120)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path, hall


@pytest.fixture
def hall_url(hall_template: tuple[Path, Hall], tmp_path: Path) -> str:
    """A private copy of the populated database, so tests may write to it."""
    src, hall = hall_template
    dst = tmp_path / "hall.db"
    shutil.copyfile(src, dst)
    url = f"sqlite:///{dst}"
    # Tests that read "now" from the clock must see the hall as just polled, however long the
    # session has run: move the freshness timestamps forward by the time since populate().
    delta = max(0, int(time.time()) - hall.now)
    engine = make_engine(url)
    with engine.begin() as conn:
        for sql in (
            "UPDATE device_state SET last_ok_ts = last_ok_ts + :d, "
            "last_poll_ts = last_poll_ts + :d",
            "UPDATE latest SET ts = ts + :d",
        ):
            conn.execute(text(sql), {"d": delta})
        # Nothing beats for the hall's collectors: keep them alive for a slow test's length
        # (10 min), or a window would rightly report them down and raise an alarm mid-test.
        conn.execute(
            text("UPDATE collector_heartbeat SET last_beat_ts = last_beat_ts + :d"),
            {"d": delta + HEARTBEAT_GRACE_S},
        )
    engine.dispose()
    return url


@pytest.fixture
def hall(hall_template: tuple[Path, Hall]) -> Hall:
    return hall_template[1]


@pytest.fixture
def hall_engine(hall_url: str) -> Iterator[Engine]:
    eng = make_engine(hall_url)
    yield eng
    eng.dispose()


@pytest.fixture
def ctx(qapp: object, hall_engine: Engine, hall_url: str) -> Iterator[object]:
    from PySide6.QtCore import QCoreApplication, QSettings, QThreadPool

    from ui.context import Context
    from ui.workers import Loader

    QCoreApplication.setOrganizationName("RackWatchTest")
    QCoreApplication.setApplicationName("RackWatchTest")
    # QSettings of the tests must never touch the user's real configuration.
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, _SETTINGS_DIR)
    c = Context(engine=hall_engine, url=hall_url, loader=Loader(), user="tester")
    yield c
    QThreadPool.globalInstance().waitForDone(10_000)


@pytest.fixture
def wait_idle(qtbot: object) -> Callable[[object], None]:
    """Wait until a context's background loader has nothing in flight."""

    def wait(c: object) -> None:
        qtbot.waitUntil(lambda: not c.loader.busy(), timeout=20_000)  # type: ignore[attr-defined]

    return wait
