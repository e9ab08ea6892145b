"""The "not monitored" list: devices that give no data, with the reason, filterable."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from models.read.unmonitored import NEVER_POLLED, Unmonitored, unmonitored
from models.vocabulary import AUTH, EMPTY, ERROR, NO_PROFILE, TIMEOUT
from ui.context import Context
from ui.fmt import local_time
from ui.table_model import AnyIndex, RowTableModel

_KEY = "unmonitored"


class UnmonitoredModel(RowTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: tuple[Unmonitored, ...] = ()
        self.headers = [
            self.tr("Device"),
            self.tr("Site"),
            self.tr("Rack"),
            self.tr("Address"),
            self.tr("Protocol"),
            self.tr("Reason"),
            self.tr("Last data"),
            self.tr("Detail"),
        ]

    def reason_text(self, reason: str) -> str:
        return {
            NO_PROFILE: self.tr("no profile matches"),
            EMPTY: self.tr("nothing to read"),
            AUTH: self.tr("authentication refused"),
            TIMEOUT: self.tr("no answer"),
            ERROR: self.tr("error"),
            NEVER_POLLED: self.tr("never polled"),
        }.get(reason, reason)

    def set_rows(self, rows: tuple[Unmonitored, ...]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        r = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.ToolTipRole:
            return r.error or None
        values = (
            r.device,
            r.site,
            r.rack,
            r.address,
            r.protocol,
            self.reason_text(r.reason),
            local_time(r.since_ts) if r.since_ts else self.tr("never"),
            r.error,
        )
        return values[col]


class _ReasonFilter(QSortFilterProxyModel):
    """Text filter over every column, and an optional single reason."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reason: str | None = None
        self.text = ""

    def set_filter(self, text: str, reason: str | None) -> None:
        self.beginFilterChange()
        self.text, self.reason = text.strip().lower(), reason
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: QModelIndex | Any) -> bool:
        model = self.sourceModel()
        assert isinstance(model, UnmonitoredModel)
        r = model.rows[row]
        if self.reason is not None and r.reason != self.reason:
            return False
        if not self.text:
            return True
        hay = " ".join((r.device, r.site, r.rack, r.address, r.protocol, r.error)).lower()
        return all(word in hay for word in self.text.split())


class UnmonitoredDialog(QDialog):
    """Lists the devices the collectors cannot read; the read runs off the GUI thread."""

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("Not monitored"))
        self.resize(900, 420)
        self.model = UnmonitoredModel(self)
        self.proxy = _ReasonFilter(self)
        self.proxy.setSourceModel(self.model)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText(self.tr("Filter by name, site, address or detail"))
        self.filter.setClearButtonEnabled(True)
        self.reason = QComboBox(self)
        self.reason.addItem(self.tr("Every reason"), None)
        for word in (NO_PROFILE, EMPTY, AUTH, TIMEOUT, ERROR, NEVER_POLLED):
            self.reason.addItem(self.model.reason_text(word), word)
        self.count = QLabel(self)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        bar = QHBoxLayout()
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.reason)
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.count)
        lay.addWidget(self.table, 1)
        self.filter.textChanged.connect(lambda _t: self._apply())
        self.reason.currentIndexChanged.connect(lambda _i: self._apply())
        ctx.loader.loaded.connect(self._loaded)
        self.refresh()

    def refresh(self) -> None:
        engine = self.ctx.engine
        self.count.setText(self.tr("Loading…"))
        self.ctx.loader.submit(_KEY, lambda: unmonitored(engine))

    def _loaded(self, key: str, result: object) -> None:
        if key != _KEY or not isinstance(result, tuple):
            return
        self.model.set_rows(result)
        self.table.resizeColumnsToContents()
        self._apply()

    def _apply(self) -> None:
        self.proxy.set_filter(self.filter.text(), self.reason.currentData())
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        if total == 0:
            self.count.setText(self.tr("Every device gives data."))
        else:
            self.count.setText(self.tr("%n device(s) give no data", "", total) + f" ({shown})")
