"""The lazy site tree model: shape, data, roll-up, filter, and refresh of visible rows only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import Engine

from models.read import inventory as read_inventory
from models.read import status as read_status
from monitors.lab.hall_dataset import Hall
from ui.tree_model import COL_NAME, COL_STATUS, DEVICE, RACK, SITE, STATE_ROLE, SiteTreeModel


def _model(engine: Engine) -> SiteTreeModel:
    assert QApplication.instance() is not None
    m = SiteTreeModel()
    m.set_inventory(read_inventory.load_inventory(engine))
    return m


def test_shape_and_names(hall_engine: Engine, hall: Hall, qtmodeltester: Any, qapp: Any) -> None:
    m = _model(hall_engine)
    assert m.rowCount() == 2
    sh1 = m.index(1, 0)
    assert m.data(sh1).startswith("SH1")
    assert m.rowCount(sh1) == 18
    rack = m.index(0, 0, sh1)
    assert m.data(rack) == "SH1-A01"
    assert m.node(rack) == (RACK, hall.rack_ids["SH1-A01"])
    assert m.rowCount(rack) == 11  # 2 PDUs, a probe, 8 servers
    dev = m.index(0, 0, rack)
    assert m.node(dev)[0] == DEVICE
    assert m.parent(dev) == rack and m.parent(rack) == sh1
    assert m.parent(sh1) == QModelIndex()
    assert m.rowCount(dev) == 0
    qtmodeltester.check(m)


def test_rollup_shows_worst_state(hall_engine: Engine, hall: Hall, qapp: Any) -> None:
    m = _model(hall_engine)
    sites = read_status.summaries(hall_engine, "site", now=hall.now)
    racks = read_status.summaries(hall_engine, "rack", list(hall.rack_ids.values()), now=hall.now)
    m.apply(sites, racks, {}, hall.now, [])
    hot = m.rack_row(hall.rack_ids[hall.hot_rack])
    assert m.data(hot, STATE_ROLE) == "critical"
    assert m.data(hot.siblingAtColumn(COL_STATUS)) == "critical"
    assert m.data(m.site_row(hall.site_ids["SH1"]), STATE_ROLE) == "critical"
    calm = m.rack_row(hall.rack_ids["SH1-A01"])
    assert m.data(calm, STATE_ROLE) == "ok"
    down_rack = m.rack_row(hall.rack_ids[hall.down_device.rsplit("-", 1)[0]])
    assert "1 down" in m.data(down_rack.siblingAtColumn(COL_STATUS))
    assert m.data(hot.siblingAtColumn(2)) == f"{racks[hall.rack_ids[hall.hot_rack]].inlet_c:.1f}"


def test_filter_finds_devices_and_keeps_ancestors(
    hall_engine: Engine, hall: Hall, qtmodeltester: Any, qapp: Any
) -> None:
    m = _model(hall_engine)
    assert m.set_filter(hall.down_device) == 1
    assert m.rowCount() == 1
    site = m.index(0, 0)
    assert m.rowCount(site) == 1
    rack = m.index(0, 0, site)
    assert m.rowCount(rack) == 1
    dev = m.index(0, COL_NAME, rack)
    assert m.data(dev) == hall.down_device
    assert m.node(dev) == (DEVICE, hall.device_ids[hall.down_device])
    qtmodeltester.check(m)
    n = m.set_filter("PDUA")
    assert n == len(hall.rack_ids) and m.rowCount() == 2
    assert m.set_filter("") == len(hall.device_ids)
    assert m.rowCount(m.index(1, 0)) == 18
    assert m.node(m.index(0, 0))[0] == SITE


def test_data_changed_only_for_visible_rows(
    ctx: Any, hall: Hall, qtbot: Any, wait_idle: Callable[[Any], None]
) -> None:
    from ui.site_tree import SiteTree

    tree = SiteTree(ctx)
    tree.resize(420, 300)
    tree.show()
    qtbot.addWidget(tree)
    tree.load_inventory()
    qtbot.waitUntil(lambda: tree.loaded, timeout=20_000)
    tree.view.expandToDepth(0)
    tree.view.expand(tree.model.rack_row(hall.rack_ids["GY2-A01"]))
    wait_idle(ctx)
    changed: list[tuple[int, int]] = []
    tree.model.dataChanged.connect(lambda a, b, _r=None: changed.append((a.row(), b.row())))
    before = tree.refreshes
    tree.refresh_visible()
    qtbot.waitUntil(lambda: tree.refreshes > before, timeout=20_000)
    visible = tree.visible_indexes()
    assert 0 < len(visible) < 40
    # Only what is on screen was read and repainted, never the whole inventory.
    assert 0 < len(tree.model.dev_sum) <= len(visible)
    assert sum(b - a + 1 for a, b in changed) <= len(visible)
    dev_ix = tree.model.device_row(hall.device_ids["GY2-A01-PDUA"])
    assert tree.model.data(dev_ix, STATE_ROLE) == "ok"
    tree.filter.setText("SRV05")
    qtbot.waitUntil(lambda: tree.model.filter_text == "SRV05", timeout=5000)
    assert tree.model.match_count == len(hall.rack_ids)
    assert "match" in tree.info.text()
    tree.view.setCurrentIndex(QModelIndex())
    assert tree.view.model().data(tree.view.model().index(0, 0), Qt.ItemDataRole.DisplayRole)
