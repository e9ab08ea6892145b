"""The export dialog runs the export off the GUI thread, shows progress and can cancel."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from models.db import upgrade
from models.snapshot.bundle import verify_snapshot
from tests.test_alarm_rig import STEP, T0, Rig
from ui.snapshot_dialog import SnapshotDialog


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    url = f"sqlite:///{tmp_path_factory.mktemp('dialog') / 'rackwatch.db'}"
    upgrade(url)
    rig = Rig(url, racks=2)
    t = T0
    for i in range(120):
        for r in ("R01", "R02"):
            rig.rack_poll(t, r, inlet=34.0 if r == "R01" and i > 60 else 23.0)
        t += STEP
    yield rig
    rig.close()


def test_dialog_exports_in_a_worker_thread(small: Rig, qtbot: QtBot, tmp_path: Path) -> None:
    crit = next(a for a in small.alarms_rows() if a.severity == "critical")
    dlg = SnapshotDialog.for_alarm(small.url, crit.id)
    qtbot.addWidget(dlg)
    assert dlg.scope_edit.text() == "rack:S1/R01"
    assert dlg.start_edit.dateTime().toSecsSinceEpoch() == crit.raised_ts - 3600
    out = tmp_path / "from-dialog.zip"
    dlg.file_edit.setText(str(out))
    dlg.note_edit.setPlainText("CRAC-1 filter clogged")
    seen: list[int] = []
    dlg.bar.valueChanged.connect(seen.append)
    with qtbot.waitSignal(dlg.finished_export, timeout=120_000):
        dlg.export_button.click()
        assert dlg.busy()  # returned at once: the work is on the worker thread
    assert dlg.export_result is not None and dlg.export_result.alarms >= 1
    assert seen and max(seen) == 100
    assert verify_snapshot(out).ok
    assert "Written" in dlg.status.text() and not dlg.busy()
    with zipfile.ZipFile(out) as zf:
        assert json.loads(zf.read("manifest.json"))["note"] == "CRAC-1 filter clogged"


def test_dialog_cancel_leaves_no_file(small: Rig, qtbot: QtBot, tmp_path: Path) -> None:
    dlg = SnapshotDialog(small.url, scope="site:S1", start=T0, end=T0 + 120 * STEP)
    qtbot.addWidget(dlg)
    out = tmp_path / "cancelled.zip"
    dlg.file_edit.setText(str(out))
    dlg.export_button.click()
    dlg.cancel_export()
    qtbot.waitUntil(lambda: not dlg.busy(), timeout=120_000)
    assert not out.exists() and not list(tmp_path.glob("*.part"))
    assert "cancelled" in dlg.status.text()


def test_dialog_refuses_a_bad_scope(small: Rig, qtbot: QtBot) -> None:
    dlg = SnapshotDialog(small.url, scope="aisle:3")
    qtbot.addWidget(dlg)
    dlg.export_button.click()
    assert not dlg.busy() and "expected site:CODE" in dlg.status.text()
