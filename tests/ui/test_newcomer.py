"""The newcomer's path: first run, the empty state, inventory dialogs, search from the keyboard."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from sqlalchemy import Engine, text

from models.db import has_schema, make_engine, upgrade
from models.inventory.edit import inventory_events, save_site
from monitors.lab.daemons.snmp import SnmpsimServer
from monitors.lab.hall_dataset import Hall
from tests import snmp_daemons
from tests.daemons import REPO

snmpsim_captures = snmp_daemons.snmpsim_captures


def test_first_run_creates_the_schema_and_screenshots_the_empty_state(tmp_path: Path) -> None:
    db = tmp_path / "fresh" / "rackwatch.db"
    shot = tmp_path / "empty.png"
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "cfg"),
        RACKWATCH_DATA_DIR=str(tmp_path / "data"),
    )
    args = ["gui", "--db", f"sqlite:///{db}", "--screenshot", str(shot)]
    proc = subprocess.run(
        [sys.executable, str(REPO / "app.py"), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "creating the RackWatch schema" in proc.stderr
    engine = make_engine(f"sqlite:///{db}")
    try:
        assert has_schema(engine)
    finally:
        engine.dispose()
    image = QImage(str(shot))
    assert image.width() == 1600 and image.height() == 1000


@pytest.fixture
def empty_ctx(qapp: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from PySide6.QtCore import QCoreApplication, QSettings, QThreadPool

    from ui.context import Context
    from ui.workers import Loader

    monkeypatch.setenv("RACKWATCH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("RACKWATCH_CREDENTIALS", "file")
    QCoreApplication.setOrganizationName("RackWatchTest")
    QCoreApplication.setApplicationName("RackWatchTest")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield Context(engine=engine, url=url, loader=Loader(), user="newcomer")
    QThreadPool.globalInstance().waitForDone(10_000)
    engine.dispose()


def test_empty_state_then_the_tabs_once_a_site_exists(
    empty_ctx: Any, qtbot: Any, wait_idle: Callable[[Any], None]
) -> None:
    from ui.main_window import MainWindow

    win = MainWindow(empty_ctx, restore=False)
    qtbot.addWidget(win)
    win.show()
    win.start()
    qtbot.waitUntil(lambda: win.ready_for("site"), timeout=30_000)
    assert win.showing_empty
    texts = [b.text() for b in (win.empty.import_button, win.empty.add_button)]
    assert texts == ["Import inventory…", "Add a device…"]
    assert win.empty.demo_button.text() == "Start the demo"
    assert any("app.py import" in c.text() for c in win.empty.command_labels)
    save_site(empty_ctx.engine, {"code": "GA1", "name": "Hall A"}, user="newcomer")
    win._inventory_changed()
    qtbot.waitUntil(lambda: not win.showing_empty, timeout=30_000)
    wait_idle(empty_ctx)
    win.close()


def test_import_dialog_lists_problems_then_imports(
    empty_ctx: Any, qtbot: Any, tmp_path: Path
) -> None:
    from ui.inventory_dialogs import ImportDialog

    bad = tmp_path / "bad.csv"
    bad.write_text("site,name,kind,address\nGA1,srv1,server,10.0.0.300\n")
    dlg = ImportDialog(empty_ctx.engine, "newcomer")
    qtbot.addWidget(dlg)
    dlg.path.setText(str(bad))
    dlg.start()
    qtbot.waitUntil(lambda: dlg.job is None and dlg.problems.count() > 0, timeout=30_000)
    assert dlg.problems.item(0).text().startswith(f"{bad}:2: address: ")
    assert "nothing was written" in dlg.stage.text()
    dlg.path.setText(str(REPO / "resources" / "inventory" / "example.yaml"))
    with qtbot.waitSignal(dlg.imported, timeout=30_000):
        dlg.start()
    dlg.wait_done()
    assert dlg.progress.value() == 100 and dlg.problems.count() == 0
    assert dlg.report is not None and dlg.report.devices.created > 0
    assert inventory_events(empty_ctx.engine)[0][1:4] == ("newcomer", "import", "inventory")


@pytest.mark.daemon
def test_add_a_pdu_by_address_probe_it_and_save_it(
    empty_ctx: Any, qtbot: Any, snmpsim_captures: SnmpsimServer
) -> None:
    from ui.first_run import CollectorChild
    from ui.inventory_dialogs import CredentialDialog, DeviceDialog

    save_site(empty_ctx.engine, {"code": "GA1", "name": "Hall A"}, user="newcomer")
    cred = CredentialDialog()
    qtbot.addWidget(cred)
    cred.name.setText("lab-apc")
    cred.community.setText("apc_ap8853")  # snmpsim: the community is the capture's name
    cred.save()
    assert cred.result() == cred.DialogCode.Accepted
    secrets = (Path(os.environ["RACKWATCH_CONFIG_DIR"]) / "credentials.json").read_text()
    assert "apc_ap8853" in secrets
    dlg = DeviceDialog(empty_ctx.engine, "newcomer", site="GA1")
    qtbot.addWidget(dlg)
    dlg._fill_credentials("lab-apc")
    assert dlg.credential.currentData() == "lab-apc"
    dlg.name.setText("ga1-pdu-a")
    dlg.kind.setCurrentIndex(dlg.kind.findData("pdu"))
    dlg.address.setText(snmpsim_captures.host)
    dlg.port.setValue(snmpsim_captures.port)
    with qtbot.waitSignal(dlg.probed, timeout=60_000):
        dlg.probe()
    assert dlg.probe_result is not None and dlg.probe_result.profile.startswith("apc")
    assert dlg.readings.rowCount() == len(dlg.probe_result.readings) > 0
    assert "reads" in dlg.probe_status.text()
    dlg.interval.setValue(5)
    dlg.save()
    assert dlg.result() == dlg.DialogCode.Accepted
    with empty_ctx.engine.connect() as conn:
        row = conn.execute(text("SELECT address, port, credential, kind FROM device")).one()
    assert tuple(row) == (snmpsim_captures.host, snmpsim_captures.port, "lab-apc", "pdu")
    # The database holds the credential's name, never its secret.
    with empty_ctx.engine.connect() as conn:
        dump = "\n".join(str(r) for r in conn.execute(text("SELECT * FROM device")))
    assert "apc_ap8853" not in dump
    # Collecting on this desk (a child `app.py collect`) makes the new PDU live.
    collector = CollectorChild(empty_ctx.url)
    assert collector.start()
    try:
        qtbot.waitUntil(lambda: _samples(empty_ctx.engine) > 0, timeout=90_000)
    finally:
        collector.stop()
    assert not collector.running


def _samples(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM latest")).scalar_one())


def test_device_dialog_shows_problems_and_saves_nothing(empty_ctx: Any, qtbot: Any) -> None:
    from ui.inventory_dialogs import DeviceDialog

    save_site(empty_ctx.engine, {"code": "GA1", "name": "Hall A"}, user="newcomer")
    dlg = DeviceDialog(empty_ctx.engine, "newcomer", site="GA1")
    qtbot.addWidget(dlg)
    dlg.name.setText("srv")
    dlg.address.setText("10.0.0.300")
    dlg.save()
    assert dlg.result() != dlg.DialogCode.Accepted
    assert dlg.problems.isVisibleTo(dlg) and "address" in dlg.problems.item(0).text()
    with empty_ctx.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM device")).scalar_one() == 0


def test_search_by_ip_port_no_matches_and_keyboard(
    ctx: Any, hall: Hall, hall_engine: Engine, qtbot: Any, wait_idle: Callable[[Any], None]
) -> None:
    from ui.site_tree import SiteTree
    from ui.tree_model import DEVICE

    tree = SiteTree(ctx)
    qtbot.addWidget(tree)
    tree.resize(500, 700)
    tree.show()
    tree.load_inventory()
    qtbot.waitUntil(lambda: tree.loaded, timeout=30_000)
    with hall_engine.connect() as conn:
        address, port, protocol = conn.execute(
            text("SELECT address, port, protocol FROM device WHERE name = :n"),
            {"n": hall.down_device},
        ).one()
    port = port or {"snmp": 161, "ssh": 22}[protocol]
    tree.filter.setFocus()
    qtbot.keyClicks(tree.filter, f"{address}:{port}")
    qtbot.keyClick(tree.filter, Qt.Key.Key_Down)  # applies the filter now, lands on the match
    assert tree.model.match_count == 1 and tree.view.hasFocus()
    kind, ident = tree.model.node(tree.view.currentIndex())
    assert kind == DEVICE and ident == hall.device_ids[hall.down_device]
    with qtbot.waitSignal(tree.device_chosen, timeout=5_000) as chosen:
        qtbot.keyClick(tree.view, Qt.Key.Key_Return)
    assert chosen.args[0] == hall.device_ids[hall.down_device]
    tree.filter.setFocus()
    tree.filter.setText("no-such-device-anywhere")
    tree._apply_filter()
    assert tree.no_match.isVisible() and "No matches" in tree.no_match.text()
    qtbot.keyClick(tree.filter, Qt.Key.Key_Escape)
    assert tree.filter.text() == ""
    tree._apply_filter()
    assert not tree.no_match.isVisible()
    wait_idle(ctx)


def test_first_device_creates_its_site_and_rack(empty_ctx: Any, qtbot: Any) -> None:
    from ui.inventory_dialogs import DeviceDialog

    dlg = DeviceDialog(empty_ctx.engine, "newcomer")
    qtbot.addWidget(dlg)
    assert dlg.site.count() == 0  # nothing to choose from yet: the code is typed
    dlg.site.setEditText("GA1")
    dlg.rack.setEditText("A01")
    dlg.name.setText("ga1-a01-srv01")
    dlg.kind.setCurrentIndex(dlg.kind.findData("server"))
    dlg.address.setText("127.0.0.1")
    dlg.save()
    assert dlg.result() == dlg.DialogCode.Accepted, [
        dlg.problems.item(i).text() for i in range(dlg.problems.count())
    ]
    with empty_ctx.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT s.code, r.name, d.name FROM device d JOIN site s ON s.id = d.site_id "
                "JOIN rack r ON r.id = d.rack_id"
            )
        ).one()
    assert tuple(row) == ("GA1", "A01", "ga1-a01-srv01")
