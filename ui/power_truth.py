"""Power truth widgets: server vs outlet power, failover headroom, the "Add servers" dialog."""

from __future__ import annotations

import time
from typing import Any, cast

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from models.power_truth import OK
from models.read import power as read_power
from models.read.power import RackHeadroom, TruthRow
from ui import theme
from ui.context import Context
from ui.table_model import AnyIndex, RowTableModel

SORT_ROLE = Qt.ItemDataRole.UserRole + 1


def _w(v: float | None) -> str:
    return "—" if v is None else f"{v:,.0f} W"


class TruthModel(RowTableModel):
    """One row per mapped server: its own power, its outlets' sum, the ratio, the verdict."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: tuple[TruthRow, ...] = ()
        self.headers = [
            self.tr("Server"),
            self.tr("Outlets"),
            self.tr("Server reports"),
            self.tr("Outlets deliver"),
            self.tr("Ratio"),
            self.tr("Verdict"),
        ]

    def set_rows(self, rows: list[TruthRow]) -> None:
        self.beginResetModel()
        self.rows = tuple(rows)
        self.endResetModel()

    def verdict(self, r: TruthRow) -> str:
        if r.verdict is None:
            if r.outlet_w is None:
                return self.tr("outlet not metered")
            return self.tr("no reading")
        if r.verdict.code == OK:
            return self.tr("matches")
        return self.tr("MISMATCH: ") + r.verdict.name

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        c = index.column()
        bad = r.verdict is not None and r.verdict.code != OK
        if role == Qt.ItemDataRole.DisplayRole:
            shared = f" (+{r.shared_with} sharing)" if r.shared_with else ""
            return (
                r.name,
                r.outlets + shared,
                _w(r.server_w),
                _w(r.outlet_w),
                "—" if r.ratio is None else f"{r.ratio:.2f}",
                self.verdict(r),
            )[c]
        if role == SORT_ROLE:
            return (
                r.name,
                r.outlets,
                r.server_w if r.server_w is not None else -1.0,
                r.outlet_w if r.outlet_w is not None else -1.0,
                # Mismatches first, then by distance from 1 either way; unknown ratios last.
                (10.0 if bad else 0.0) + (abs(r.ratio - 1.0) if r.ratio is not None else -1.0),
                self.verdict(r),
            )[c]
        if role == Qt.ItemDataRole.BackgroundRole and bad:
            c_ = QColor(theme.state_color("warning"))
            c_.setAlpha(70)
            return QBrush(c_)
        if role == Qt.ItemDataRole.ForegroundRole and c == 5 and bad:
            return QBrush(theme.state_color("critical"))
        if role == Qt.ItemDataRole.TextAlignmentRole and c in (2, 3, 4):
            return theme.ALIGN_RIGHT
        if role == Qt.ItemDataRole.UserRole:
            return r.device_id
        return None


def truth_table(parent: QWidget, model: TruthModel) -> QTableView:
    proxy = QSortFilterProxyModel(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    view = QTableView(parent)
    view.setObjectName("powerTruthTable")
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.sortByColumn(4, Qt.SortOrder.DescendingOrder)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(22)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    return view


class HeadroomModel(RowTableModel):
    """Per lost feed and phase: the A+B peaks the survivor would carry and what is left."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: tuple[tuple[str, str, int, Any], ...] = ()
        self.headers = [
            self.tr("If lost"),
            self.tr("Phase"),
            self.tr("Peak 1 d"),
            self.tr("Peak 7 d"),
            self.tr("Limit"),
            self.tr("Headroom 7 d"),
        ]

    def set_headroom(self, head: RackHeadroom | None) -> None:
        self.beginResetModel()
        self.rows = tuple(
            (f.lost, f.survivor, p.phase, p) for f in (head.feeds if head else []) for p in f.phases
        )
        self.endResetModel()

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        lost, survivor, phase, p = self.rows[index.row()]
        c = index.column()

        def amps(v: float | None) -> str:
            return "—" if v is None else f"{v:.1f} A"

        if role == Qt.ItemDataRole.DisplayRole:
            return (
                self.tr("feed %1 → %2 carries").replace("%1", lost).replace("%2", survivor),
                f"L{phase}",
                amps(p.peak_1d_a),
                amps(p.peak_7d_a),
                amps(p.limit_a),
                amps(p.headroom_7d_a),
            )[c]
        h = p.headroom_7d_a
        if role == Qt.ItemDataRole.ForegroundRole and c == 5 and h is not None:
            if h < 0:
                return QBrush(theme.state_color("critical"))
            if h < 0.1 * p.limit_a:
                return QBrush(theme.state_color("warning"))
        if role == Qt.ItemDataRole.TextAlignmentRole and c >= 2:
            return theme.ALIGN_RIGHT
        return None


class PowerTruthPanel(QWidget):
    """The rack view's power truth: each server's own power beside its outlets, and failover."""

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.rack_id: int | None = None
        self.loaded_rack: int | None = None
        self.head: RackHeadroom | None = None
        self.tabs = QTabWidget(self)
        self.truth = TruthModel(self)
        self.truth_view = truth_table(self, self.truth)
        self.headroom = HeadroomModel(self)
        self.head_view = QTableView(self)
        self.head_view.setObjectName("headroomTable")
        self.head_view.setModel(self.headroom)
        self.head_view.verticalHeader().setVisible(False)
        self.head_view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.head_summary = QLabel(self)
        self.head_summary.setWordWrap(True)
        self.add_btn = QPushButton(self.tr("Add servers…"), self)
        self.add_btn.setToolTip(
            self.tr("Will N more servers of a model fit? From that model's measured peaks")
        )
        self.add_btn.clicked.connect(self.add_servers)
        head_box = QWidget(self)
        hl = QVBoxLayout(head_box)
        hl.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(self.head_summary, 1)
        bar.addWidget(self.add_btn)
        hl.addLayout(bar)
        hl.addWidget(self.head_view)
        self.tabs.addTab(self.truth_view, self.tr("Power truth"))
        self.tabs.addTab(head_box, self.tr("Failover headroom"))
        self.summary = QLabel(self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        title = QLabel(self.tr("Power truth and failover"), self)
        title.setObjectName("sectionTitle")
        lay.addWidget(title)
        lay.addWidget(self.summary)
        lay.addWidget(self.tabs, 1)
        ctx.loader.loaded.connect(self._loaded)

    def show_rack(self, rack_id: int) -> None:
        self.rack_id = rack_id
        engine = self.ctx.engine

        def read() -> tuple[int, list[TruthRow], RackHeadroom]:
            now = int(time.time())
            return (
                rack_id,
                read_power.truth_rows(engine, [rack_id]),
                read_power.racks_headroom(engine, [rack_id], now)[rack_id],
            )

        self.ctx.loader.submit("rack.power_truth", read)

    @property
    def ready(self) -> bool:
        return self.rack_id is not None and self.loaded_rack == self.rack_id

    def _loaded(self, key: str, result: object) -> None:
        if key != "rack.power_truth":
            return
        rid, rows, head = cast(tuple[int, list[TruthRow], RackHeadroom], result)
        if rid != self.rack_id:
            return
        self.truth.set_rows(rows)
        self.truth_view.resizeColumnsToContents()
        self.truth_view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.head = head
        self.headroom.set_headroom(head)
        self.head_view.resizeColumnsToContents()
        self.head_view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        bad = sum(1 for r in rows if r.verdict is not None and r.verdict.code != OK)
        judged = sum(1 for r in rows if r.verdict is not None)
        parts = [
            self.tr("%1 of %2 mapped servers checked against their outlets")
            .replace("%1", str(judged))
            .replace("%2", str(len(rows)))
        ]
        if bad:
            parts.append(self.tr("%1 MISMATCH").replace("%1", str(bad)))
        self.summary.setText(" · ".join(parts))
        self.head_summary.setText(self.failover_text(head))
        self.loaded_rack = rid

    def failover_text(self, head: RackHeadroom) -> str:
        out = []
        for f in head.feeds:
            s = f.survives
            if s is None:
                continue
            verdict = self.tr("survives") if s else self.tr("WOULD NOT SURVIVE")
            out.append(
                self.tr("If feed %1 is lost, %2 %3 its weekly peak (%4 % headroom)")
                .replace("%1", f.lost)
                .replace("%2", f.survivor)
                .replace("%3", verdict)
                .replace("%4", f"{f.headroom_pct:.0f}" if f.headroom_pct is not None else "—")
            )
        return "; ".join(out) or self.tr("No phase currents from both feeds yet")

    def add_servers(self) -> None:
        if self.rack_id is None:
            return
        dlg = WhatIfDialog(self.ctx, self.rack_id, self)
        dlg.open()


class WhatIfDialog(QDialog):
    """Model and count -> added peak (with sample size), phases, headroom normal and failover."""

    def __init__(self, ctx: Context, rack_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Add servers"))
        self.ctx = ctx
        self.rack_id = rack_id
        self.model = QComboBox(self)
        for name, n in read_power.server_models(ctx.engine):
            self.model.addItem(f"{name} ({n})", name)
        self.count = QSpinBox(self)
        self.count.setRange(1, 60)
        self.count.setValue(2)
        self.output = QPlainTextEdit(self)
        self.output.setReadOnly(True)
        self.output.setMinimumSize(640, 220)
        form = QFormLayout()
        form.addRow(self.tr("Model"), self.model)
        form.addRow(self.tr("Count"), self.count)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        calc = buttons.addButton(self.tr("Compute"), QDialogButtonBox.ButtonRole.ActionRole)
        calc.clicked.connect(self.compute)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.output, 1)
        lay.addWidget(buttons)
        ctx.loader.loaded.connect(self._loaded)

    def compute(self) -> None:
        model = str(self.model.currentData() or "")
        count = int(self.count.value())
        rid, engine = self.rack_id, self.ctx.engine
        self.output.setPlainText(self.tr("Reading a week of peaks…"))
        self.ctx.loader.submit(
            "rack.what_if",
            lambda: read_power.capacity_text(
                read_power.capacity_answer(engine, rid, (model, count)), str(rid)
            ),
        )

    def _loaded(self, key: str, result: object) -> None:
        if key == "rack.what_if":
            self.output.setPlainText(str(result))


class PowerTruthDialog(QDialog):
    """Every mapped server of the zone with its ratio, sortable (worst first)."""

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Power truth: servers against their outlets"))
        self.ctx = ctx
        self.model = TruthModel(self)
        self.view = truth_table(self, self.model)
        self.label = QLabel(self.tr("Loading…"), self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.label)
        lay.addWidget(self.view, 1)
        lay.addWidget(buttons)
        self.resize(900, 560)
        ctx.loader.loaded.connect(self._loaded)
        engine = ctx.engine
        ctx.loader.submit("zone.power_truth", lambda: read_power.truth_rows(engine))

    def _loaded(self, key: str, result: object) -> None:
        if key != "zone.power_truth":
            return
        rows = cast(list[TruthRow], result)
        self.model.set_rows(rows)
        self.view.resizeColumnsToContents()
        bad = sum(1 for r in rows if r.verdict is not None and r.verdict.code != OK)
        self.label.setText(
            self.tr("%1 mapped servers, %2 mismatching")
            .replace("%1", str(len(rows)))
            .replace("%2", str(bad))
        )
