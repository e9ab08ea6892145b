"""The site tree dock: filter box over the in-memory index, and refresh of visible rows only."""

from __future__ import annotations

import dataclasses
import time
from typing import Any, cast

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from models.read import inventory as read_inventory
from models.read import status as read_status
from models.read.inventory import Inventory
from models.read.status import Summary
from ui.context import Context
from ui.tree_model import COL_NAME, DEVICE, RACK, SITE, SiteTreeModel

SITE_STATE_EVERY_S = 15.0
SITE_MEASURE_EVERY_S = 60.0
_Sums = tuple[dict[int, Summary], dict[int, Summary], dict[int, Summary], int]
# A filter with at most this many racks is shown expanded.
EXPAND_LIMIT = 60


class SiteTree(QWidget):
    rack_chosen = Signal(int)
    device_chosen = Signal(int, int)  # device id, rack id
    site_chosen = Signal(int)
    inventory_loaded = Signal(object)

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = SiteTreeModel(self)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText(self.tr("Find device by name, address, serial or model…"))
        self.filter.setClearButtonEnabled(True)
        self.filter.setObjectName("treeFilter")
        self.info = QLabel(self)
        self.info.setObjectName("treeInfo")
        # Said where the rows would be, so an empty result never looks like an empty tree.
        self.no_match = QLabel(self)
        self.no_match.setObjectName("treeNoMatch")
        self.no_match.setWordWrap(True)
        self.no_match.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_match.hide()
        self.view = QTreeView(self)
        self.view.setObjectName("siteTree")
        self.view.setModel(self.model)
        # Uniform heights let the view skip measuring rows: essential with 158k devices.
        self.view.setUniformRowHeights(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAnimated(False)
        h = self.view.header()
        h.setStretchLastSection(False)
        h.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        h.setMinimumSectionSize(40)
        for c, w in ((1, 96), (2, 54), (3, 62), (4, 52)):
            h.setSectionResizeMode(c, QHeaderView.ResizeMode.Interactive)
            h.resizeSection(c, w)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        lay.addWidget(self.filter)
        lay.addWidget(self.no_match)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.info)

        self._debounce = QTimer(self, singleShot=True, interval=150)
        self._debounce.timeout.connect(self._apply_filter)
        self.filter.textChanged.connect(lambda _t: self._debounce.start())
        self._visible_timer = QTimer(self, singleShot=True, interval=120)
        self._visible_timer.timeout.connect(self.refresh_visible)
        self.view.verticalScrollBar().valueChanged.connect(lambda _v: self._visible_timer.start())
        self.view.expanded.connect(lambda _i: self._visible_timer.start())
        self.view.activated.connect(self._activated)
        self.filter.installEventFilter(self)
        self.filter.returnPressed.connect(self.go_to_first_match)
        self.view.clicked.connect(self._activated)
        self.ctx.loader.loaded.connect(self._loaded)
        self.ctx.loader.failed.connect(self._failed)
        self.refreshes = 0
        self.last_refresh_ms = 0.0
        self._pending_rows: list[QPersistentModelIndex] = []
        self._site_due = 0.0
        self._measure_due = 0.0

    # -- loading --------------------------------------------------------------------------

    def load_inventory(self) -> None:
        self.info.setText(self.tr("Loading inventory…"))
        engine = self.ctx.engine
        self.ctx.loader.submit("tree.inventory", lambda: read_inventory.load_inventory(engine))

    @property
    def loaded(self) -> bool:
        return self.model.inv is not None

    def _loaded(self, key: str, result: object) -> None:
        if key == "tree.inventory":
            assert isinstance(result, Inventory)
            self.model.set_inventory(result)
            self._update_info()
            self.refresh_sites()
            self._visible_timer.start()
            self.inventory_loaded.emit(result)
        elif key == "tree.visible":
            t0 = time.perf_counter()
            sites, racks, devices, now = cast(_Sums, result)
            self.model.apply(sites, racks, devices, now, self._pending_rows)
            self.last_refresh_ms = (time.perf_counter() - t0) * 1000
            self.refreshes += 1
        elif key == "tree.sites":
            sites, now, full, took = cast(tuple[dict[int, Summary], int, bool, float], result)
            self.model.apply(sites, {}, {}, now, [])
            self._site_due = time.monotonic() + max(SITE_STATE_EVERY_S, 10 * took)
            if full:
                self._measure_due = time.monotonic() + max(SITE_MEASURE_EVERY_S, 10 * took)

    def _failed(self, key: str, _message: str) -> None:
        if key == "tree.sites":
            self._site_due = time.monotonic() + SITE_STATE_EVERY_S

    def refresh(self) -> None:
        """Timer entry: visible rows every call, site roll-ups less often (they scan all)."""
        if not self.loaded:
            return
        if time.monotonic() >= self._site_due:
            self.refresh_sites()
        self.refresh_visible()

    def refresh_sites(self) -> None:
        engine = self.ctx.engine
        if self.ctx.loader.busy("tree.sites"):
            return
        # States and alarms often; inlet/power/age (a scan of every latest value of the whole
        # inventory) seldom, carried over in between. Both intervals stretch with the time the
        # read took, so 2,000,000 devices do not keep a core busy.
        full = time.monotonic() >= self._measure_due
        self._site_due = float("inf")  # set again when this read returns
        previous = dict(self.model.site_sum)

        def read() -> tuple[dict[int, Summary], int, bool, float]:
            started = time.perf_counter()
            now = int(time.time())
            fresh = read_status.summaries(engine, "site", now=now, measures=full)
            if not full:
                for sid, s in fresh.items():
                    old = previous.get(sid)
                    if old is not None:
                        fresh[sid] = dataclasses.replace(
                            s, inlet_c=old.inlet_c, power_w=old.power_w, newest_ts=old.newest_ts
                        )
            return fresh, now, full, time.perf_counter() - started

        self.ctx.loader.submit("tree.sites", read)

    def visible_indexes(self) -> list[QModelIndex]:
        """Rows painted in the viewport now (walks indexBelow; never the whole model)."""
        view = self.view
        out: list[QModelIndex] = []
        ix = view.indexAt(QPoint(2, 2))
        bottom = view.viewport().height()
        while ix.isValid() and len(out) < 400:
            out.append(ix)
            if view.visualRect(ix).bottom() > bottom:
                break
            ix = view.indexBelow(ix)
        return out

    def refresh_visible(self) -> None:
        if not self.loaded:
            return
        rows = self.visible_indexes()
        if not rows:
            return
        _sites, racks, devices = self.model.ids_of(rows)
        self._pending_rows = [QPersistentModelIndex(ix) for ix in rows]
        engine = self.ctx.engine

        def read() -> tuple[dict[int, Summary], dict[int, Summary], dict[int, Summary], int]:
            now = int(time.time())
            r = read_status.summaries(engine, "rack", racks, now=now) if racks else {}
            d = read_status.summaries(engine, "device", devices, now=now) if devices else {}
            return {}, r, d, now

        self.ctx.loader.submit("tree.visible", read)

    # -- filter and navigation ----------------------------------------------------------------

    def _apply_filter(self) -> None:
        t0 = time.perf_counter()
        self.model.set_filter(self.filter.text())
        self.filter_ms = (time.perf_counter() - t0) * 1000
        text = self.filter.text().strip()
        if text and 0 < self.model.rack_count <= EXPAND_LIMIT:
            self.view.expandAll()
        elif text:
            self.view.expandToDepth(0)
        self._update_info()
        self._visible_timer.start()

    def _update_info(self) -> None:
        inv = self.model.inv
        if inv is None:
            return
        empty = bool(self.model.filter_text) and self.model.match_count == 0
        self.no_match.setVisible(empty)
        if empty:
            self.no_match.setText(
                self.tr(
                    "No matches for “%1”.\nSearch by name, IP address, IP:port, serial or model."
                ).replace("%1", self.model.filter_text)
            )
        if self.model.filter_text:
            self.info.setText(
                self.tr("%1 of %2 devices match")
                .replace("%1", f"{self.model.match_count:,}")
                .replace("%2", f"{inv.device_count:,}")
            )
        else:
            self.info.setText(
                self.tr("%1 sites · %2 racks · %3 devices")
                .replace("%1", str(len(inv.sites)))
                .replace("%2", f"{len(inv.racks):,}")
                .replace("%3", f"{inv.device_count:,}")
            )

    def _activated(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        kind, ident = self.model.node(index)
        if kind == RACK and ident:
            self.rack_chosen.emit(ident)
        elif kind == DEVICE:
            par = self.model.parent(index)
            _k, rack_id = self.model.node(par)
            self.device_chosen.emit(ident, rack_id)
        elif kind == SITE:
            self.site_chosen.emit(ident)

    def reveal_site(self, site_id: int) -> None:
        ix = self.model.site_row(site_id)
        if ix.isValid():
            self.view.setCurrentIndex(ix)
            self.view.scrollTo(ix, QAbstractItemView.ScrollHint.PositionAtTop)

    def reveal_rack(self, rack_id: int) -> None:
        ix = self.model.rack_row(rack_id)
        if ix.isValid():
            self.view.expand(ix.parent())
            self.view.setCurrentIndex(ix)
            self.view.scrollTo(ix, QAbstractItemView.ScrollHint.PositionAtCenter)

    def reveal_device(self, device_id: int) -> None:
        ix = self.model.device_row(device_id)
        if ix.isValid():
            self.view.expand(ix.parent().parent())
            self.view.expand(ix.parent())
            self.view.setCurrentIndex(ix)
            self.view.scrollTo(ix)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Down or Enter in the filter jumps to the first match; Escape clears the filter."""
        if watched is self.filter and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() == Qt.Key.Key_Down:
                self.go_to_first_match()
                return True
            if event.key() == Qt.Key.Key_Escape and self.filter.text():
                self.filter.clear()
                return True
        return super().eventFilter(watched, event)

    def go_to_first_match(self) -> None:
        """Apply a pending filter now, select the first device shown and focus the tree."""
        if self._debounce.isActive():
            self._debounce.stop()
            self._apply_filter()
        first = self.model.first_device_id
        if first is None:
            return
        self.reveal_device(first)
        self.view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def focus_filter(self) -> None:
        self.filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter.selectAll()

    def state(self) -> dict[str, Any]:
        return {"filter": self.filter.text()}
