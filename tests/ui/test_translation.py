"""Under zh_CN every visible text of the window and its dialogs is Chinese (or data, or a unit)."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QDockWidget,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QTabWidget,
    QWidget,
)
from sqlalchemy import Engine, text

import resources
from monitors.lab.hall_dataset import Hall

# A word of letters on its own; tokens with digits or joined by - or _ (GA1, SH1-B03) are data.
WORD = re.compile(r"(?<![\w-])[A-Za-z][A-Za-z']+(?![\w-])")
# Every letter run of a data value (SH1-B03-ENV gives ENV: views shorten names to it).
DATA_WORD = re.compile(r"[A-Za-z][A-Za-z']+")
# Words that stay as they are in Chinese text: product and protocol names, units, keys.
ALLOWED = set(
    """rackwatch snmp ssh pdu pdus cpu utc ip kw kwh hz rpm va rh csv yaml yml pdf zip ctrl shift
    alt esc del sqlite postgresql v2c v3 min max avg phase redfish""".split()  # noqa: SIM905
)
# Shown on purpose in English: command lines to copy (the empty state), file paths.
SKIP_OBJECTS = {"emptyCommand"}


@pytest.fixture
def zh(qapp: QApplication) -> Iterator[None]:
    from ui.main import install_translations

    before, font = QLocale(), qapp.font()
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    translators = install_translations(qapp)
    assert len(translators) == 2  # ours and Qt's own (standard buttons)
    yield
    for t in translators:
        qapp.removeTranslator(t)
    QLocale.setDefault(before)
    qapp.setFont(font)


def _data_words(engine: Engine) -> set[str]:
    """Every word the database itself supplies (names, models, labels): data, not UI text."""
    words: set[str] = set()
    queries = (
        "SELECT code, name, tz FROM site",
        "SELECT name, row FROM rack",
        "SELECT name, model, serial, address, profile, credential, kind FROM device",
        "SELECT channel, role, unit, metric FROM series",
        "SELECT collector_id, host FROM collector_heartbeat",
        "SELECT ack_by, ack_note FROM alarm",
    )
    # Profile names (the device dialog lists them) are file names, not words.
    for path in resources.PROFILES_DIR.glob("*.yaml"):
        words.update(w.lower() for w in DATA_WORD.findall(path.stem))
    with engine.connect() as conn:
        for q in queries:
            for row in conn.execute(text(q)):
                for value in row:
                    words.update(w.lower() for w in DATA_WORD.findall(str(value or "")))
    return words


def _view_texts(view: QAbstractItemView, rows: int = 30) -> list[str]:
    model = view.model()
    if model is None:
        return []
    out = []

    def columns(parent: QModelIndex) -> int:
        try:
            return int(model.columnCount(parent))
        except TypeError:  # list models hide columnCount
            return 1

    for c in range(columns(QModelIndex())):
        out.append(str(model.headerData(c, Qt.Orientation.Horizontal) or ""))

    def walk(parent: QModelIndex, depth: int) -> None:
        for r in range(min(model.rowCount(parent), rows)):
            for c in range(columns(parent)):
                ix = model.index(r, c, parent)
                value = model.data(ix, Qt.ItemDataRole.DisplayRole)
                if value is not None:
                    out.append(str(value))
            if depth < 2:
                walk(model.index(r, 0, parent), depth + 1)

    walk(QModelIndex(), 0)
    return out


def visible_texts(root: QWidget) -> list[tuple[str, str]]:
    """(where, text) of everything a reader of root sees: labels, buttons, menus, tables."""
    out: list[tuple[str, str]] = [("title", root.windowTitle())]
    widgets = [root, *root.findChildren(QWidget)]
    for w in widgets:
        if not w.isVisibleTo(root) and w is not root and not isinstance(w, QMenu):
            continue
        if w.objectName() in SKIP_OBJECTS:
            continue
        where = f"{type(w).__name__}#{w.objectName()}"
        if isinstance(w, (QLabel, QAbstractButton)):
            out.append((where, w.text()))
        elif isinstance(w, QGroupBox):
            out.append((where, w.title()))
        elif isinstance(w, QLineEdit):
            out.append((where, w.placeholderText()))
        elif isinstance(w, QComboBox):
            out += [(where, w.itemText(i)) for i in range(w.count())]
        elif isinstance(w, QTabWidget):
            out += [(where, w.tabText(i)) for i in range(w.count())]
        elif isinstance(w, QDockWidget):
            out.append((where, w.windowTitle()))
        elif isinstance(w, QMenu):
            out.append((where, w.title()))
            out += [(where, a.text()) for a in w.actions()]
        elif isinstance(w, QAbstractItemView):
            out += [(where, t) for t in _view_texts(w)]
    return [(where, t) for where, t in out if t]


def untranslated(texts: list[tuple[str, str]], allowed: set[str]) -> list[str]:
    bad = []
    for where, t in texts:
        # Paths and addresses are data; so is anything in a tag (<b>) of rich text.
        plain = re.sub(r"<[^>]+>", " ", t)
        plain = re.sub(r"\S*[/\\.@:]\S*", " ", plain)
        words = [w for w in WORD.findall(plain) if w.lower() not in allowed]
        if words:
            bad.append(f"{where}: {t!r} ({', '.join(words)})")
    return bad


def test_untranslated_finds_english(zh: None) -> None:
    assert untranslated([("x", "功率 Power")], set()) == ["x: '功率 Power' (Power)"]
    assert untranslated([("x", "功率 12 kW")], ALLOWED) == []


def test_main_window_and_dialogs_in_chinese(
    zh: None,
    ctx: Any,
    hall: Hall,
    hall_engine: Engine,
    qtbot: Any,
    wait_idle: Callable[[Any], None],
) -> None:
    from ui.alarm_dock import NoteDialog
    from ui.inventory_dialogs import (
        CredentialDialog,
        DeviceDialog,
        ImportDialog,
        RackDialog,
        SiteDialog,
    )
    from ui.main_window import MainWindow
    from ui.snapshot_dialog import SnapshotDialog

    allowed = ALLOWED | _data_words(hall_engine)
    win = MainWindow(ctx, restore=False)
    qtbot.addWidget(win)
    win.resize(1500, 950)
    win.show()
    win.start()
    qtbot.waitUntil(lambda: win.ready_for("site"), timeout=30_000)
    problems = untranslated(visible_texts(win), allowed)
    win.open_rack(hall.rack_ids[hall.hot_rack], reveal=True)
    qtbot.waitUntil(lambda: win.ready_for("rack"), timeout=30_000)
    problems += untranslated(visible_texts(win), allowed)
    wall = win.toggle_wall(fullscreen=False)
    assert wall is not None
    wall.show()
    qtbot.waitUntil(lambda: wall.ready, timeout=30_000)
    problems += untranslated(visible_texts(wall), allowed)
    win.toggle_wall()
    dialogs: list[QDialog] = [
        win.shortcuts_dialog(),
        ImportDialog(ctx.engine, "tester", win),
        SiteDialog(ctx.engine, "tester", None, win),
        RackDialog(ctx.engine, "tester", None, None, win),
        DeviceDialog(ctx.engine, "tester", parent=win),
        CredentialDialog(win),
        SnapshotDialog(ctx.url, scope=f"rack:{hall.hot_rack}", user="tester", parent=win),
        NoteDialog(win.alarms.tr("Acknowledge alarm"), "SH1-B03", win),
    ]
    for dlg in dialogs:
        dlg.show()
        problems += untranslated(visible_texts(dlg), allowed)
        dlg.close()
    wait_idle(ctx)
    win.close()
    assert problems == [], "\n".join(problems)


def test_catalogue_has_no_unfinished_text_and_the_qm_is_built_from_it(tmp_path: Path) -> None:
    ts = resources.TRANSLATIONS_DIR / "rackwatch_zh_CN.ts"
    unfinished = []
    for m in ET.parse(ts).getroot().iter("message"):
        tr = m.find("translation")
        if tr is None or tr.get("type") or not (tr.text or m.get("numerus")):
            unfinished.append(m.findtext("source") or "")
    assert unfinished == []
    lrelease = Path(sys.executable).with_name("pyside6-lrelease")
    assert lrelease.exists()  # installed with PySide6
    out = tmp_path / "check.qm"
    subprocess.run([str(lrelease), str(ts), "-qm", str(out)], check=True, capture_output=True)
    assert out.read_bytes() == (resources.TRANSLATIONS_DIR / "rackwatch_zh_CN.qm").read_bytes()
