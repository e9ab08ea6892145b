"""Alarm dock: active, acknowledged and shelved alarms; acknowledge with a note; shelve."""

from __future__ import annotations

import html
import time
from typing import Any, cast

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from models.alarms import desk as alarm_desk
from models.alarms.desk import AlarmEventRow, AlarmRow
from ui import fmt, theme
from ui.context import Context
from ui.table_model import RowTableModel

AnyIndex = QModelIndex | QPersistentModelIndex
# Marked for lupdate; AlarmPanel translates them with self.tr (the same context).
SHELVE_CHOICES = (
    (15 * 60, QT_TRANSLATE_NOOP("AlarmPanel", "15 minutes")),
    (3600, QT_TRANSLATE_NOOP("AlarmPanel", "1 hour")),
    (4 * 3600, QT_TRANSLATE_NOOP("AlarmPanel", "4 hours")),
    (8 * 3600, QT_TRANSLATE_NOOP("AlarmPanel", "8 hours (a shift)")),
    (86_400, QT_TRANSLATE_NOOP("AlarmPanel", "24 hours")),
)


class AlarmModel(RowTableModel):
    COLS = ("severity", "state", "age", "site", "rack", "device", "message", "ack")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: tuple[AlarmRow, ...] = ()
        self.now = int(time.time())
        self.headers = [
            self.tr("Severity"),
            self.tr("State"),
            self.tr("Age"),
            self.tr("Site"),
            self.tr("Rack"),
            self.tr("Device"),
            self.tr("Message"),
            self.tr("Acknowledged"),
        ]
        bold = QFont()
        bold.setBold(True)
        self._bold = bold

    def set_rows(self, rows: tuple[AlarmRow, ...], now: int) -> None:
        self.beginResetModel()
        self.rows, self.now = rows, now
        self.endResetModel()

    def tick(self, now: int) -> None:
        self.now = now
        if self.rows:
            self.dataChanged.emit(self.index(0, 2), self.index(len(self.rows) - 1, 2))

    def state_text(self, a: AlarmRow) -> str:
        if a.state == "shelved":
            return self.tr("shelved until %1").replace(
                "%1", fmt.local_time(a.shelved_until, "UTC", with_date=False) + " UTC"
            )
        return {"active": self.tr("active"), "acknowledged": self.tr("acknowledged")}.get(
            a.state, a.state
        )

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        a = self.rows[index.row()]
        col = self.COLS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if col == "severity":
                return {"critical": self.tr("CRITICAL"), "warning": self.tr("warning")}.get(
                    a.severity, a.severity
                )
            if col == "state":
                return self.state_text(a)
            if col == "age":
                return fmt.age(self.now - a.raised_ts)
            if col == "site":
                return a.site_code
            if col == "rack":
                return a.rack_name
            if col == "device":
                return a.device_name
            if col == "message":
                return a.text(fmt.locale_name())
            if col == "ack":
                if a.ack_by:
                    note = f": {a.ack_note}" if a.ack_note else ""
                    return (
                        self.tr("%1 (%2 ago)%3")
                        .replace("%1", a.ack_by)
                        .replace("%2", fmt.age(self.now - (a.ack_ts or self.now)))
                        .replace("%3", note)
                    )
                return ""
        if role == Qt.ItemDataRole.BackgroundRole and col == "severity":
            c = QColor(theme.SEVERITY_COLORS.get(a.severity, "#888888"))
            if a.state != "active":
                c.setAlpha(110)
            return QBrush(c)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == "severity":
                return QBrush(QColor("#ffffff") if a.severity == "critical" else QColor("#111111"))
            if a.state in ("acknowledged", "shelved"):
                return QBrush(QColor("#8a8f98"))
        if role == Qt.ItemDataRole.FontRole and a.state == "active":
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [
                f"<b>{a.text(fmt.locale_name())}</b>",
                f"{a.rule} · {a.severity} · {a.state}",
                self.tr("Raised %1 UTC").replace("%1", fmt.local_time(a.raised_ts)),
            ]
            if a.value is not None:
                lines.append(
                    self.tr("Value %1, threshold %2")
                    .replace("%1", f"{a.value:g}")
                    .replace("%2", "—" if a.threshold is None else f"{a.threshold:g}")
                )
            if a.ack_by:
                lines.append(
                    self.tr("Acknowledged by %1: %2")
                    .replace("%1", a.ack_by)
                    .replace("%2", a.ack_note or "")
                )
            return "<br>".join(lines)
        if role == Qt.ItemDataRole.UserRole:
            return a.id
        if role == Qt.ItemDataRole.UserRole + 1:
            # Sort key: severity first, then state, then age.
            return (
                0 if a.state == "active" else 1,
                0 if a.severity == "critical" else 1,
                -a.raised_ts,
            )
        return None


class NoteDialog(QDialog):
    def __init__(self, title: str, prompt: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.note = QPlainTextEdit(self)
        self.note.setPlaceholderText(
            self.tr("What was done, or why (recorded with your user name)")
        )
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(prompt, self))
        lay.addWidget(self.note)
        lay.addWidget(buttons)
        self.resize(460, 220)


class AlarmPanel(QWidget):
    rack_chosen = Signal(int, int)  # rack id, device id (0 when none)
    new_critical = Signal(object)  # tuple of AlarmRow raised since the previous read
    message = Signal(str)

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = AlarmModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole + 1)
        self.view = QTableView(self)
        self.view.setObjectName("alarmTable")
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.setWordWrap(False)
        h = self.view.horizontalHeader()
        h.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        h.setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        for col, w in ((0, 80), (1, 110), (2, 60), (3, 50), (4, 90), (5, 130), (7, 220)):
            h.resizeSection(col, w)
        self.view.selectionModel().currentRowChanged.connect(self._current)
        self.view.doubleClicked.connect(lambda _i: self.acknowledge_selected())

        self.ack_btn = QPushButton(self.tr("Acknowledge…"), self)
        self.ack_btn.setToolTip(self.tr("Acknowledge the selected alarm with a note (Ctrl+K)"))
        self.ack_btn.clicked.connect(self.acknowledge_selected)
        self.shelve_btn = QToolButton(self)
        self.shelve_btn.setText(self.tr("Shelve"))
        self.shelve_btn.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.shelve_btn)
        for secs, label in SHELVE_CHOICES:
            act = QAction(self.tr("for %1").replace("%1", self.tr(str(label))), menu)
            act.triggered.connect(lambda _c=False, s=secs: self.shelve_selected(s))
            menu.addAction(act)
        self.shelve_btn.setMenu(menu)
        self.show_handled = QCheckBox(self.tr("Show acknowledged and shelved"), self)
        self.show_handled.setChecked(True)
        self.show_handled.toggled.connect(lambda _v: self._apply(self._all))
        self.counts = QLabel(self)
        bar = QHBoxLayout()
        bar.addWidget(self.counts, 1)
        bar.addWidget(self.show_handled)
        bar.addWidget(self.ack_btn)
        bar.addWidget(self.shelve_btn)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 4)
        lay.setSpacing(2)
        lay.addLayout(bar)
        lay.addWidget(self.view)
        # The audit trail of the selected alarm: who did what, when, and why.
        self.timeline = QLabel(self)
        self.timeline.setObjectName("alarmTimeline")
        self.timeline.setTextFormat(Qt.TextFormat.RichText)
        self.timeline.setWordWrap(True)
        lay.addWidget(self.timeline)
        self._all: tuple[AlarmRow, ...] = ()
        self.loaded = False
        self.seen_seq = -1
        self._known_critical: set[int] = set()
        ctx.loader.loaded.connect(self._loaded)
        ctx.loader.failed.connect(self._failed)
        self._update_buttons()

    def refresh(self) -> None:
        engine = self.ctx.engine
        self.ctx.loader.submit("alarms", lambda: (alarm_desk.open_alarms(engine), int(time.time())))

    def tick(self) -> None:
        self.model.tick(int(time.time()))

    def _loaded(self, key: str, result: object) -> None:
        if key == "alarms":
            rows, now = cast(tuple[tuple[AlarmRow, ...], int], result)
            self.model.now = now
            crit = {a.id for a in rows if a.state == "active" and a.severity == "critical"}
            # The first read is the backlog, not news.
            fresh = tuple(a for a in rows if a.id in crit - self._known_critical)
            self._known_critical |= crit
            self._apply(rows)
            selected = self.selected_alarm()
            if selected is not None:
                self._load_events(selected.id)
            if self.loaded and fresh:
                self.new_critical.emit(fresh)
            self.loaded = True
        elif key in ("alarm.ack", "alarm.shelve"):
            self.refresh()
        elif key == "alarm.events":
            alarm_id, events = cast(tuple[int, tuple[AlarmEventRow, ...]], result)
            selected = self.selected_alarm()
            if selected is not None and selected.id == alarm_id:
                self.timeline.setText(self._timeline_text(events))

    def _failed(self, key: str, message: str) -> None:
        if key in ("alarm.ack", "alarm.shelve"):
            self.message.emit(self.tr("Could not change the alarm: %1").replace("%1", message))
            self.refresh()

    def _apply(self, rows: tuple[AlarmRow, ...]) -> None:
        self._all = rows
        keep = (
            rows if self.show_handled.isChecked() else tuple(r for r in rows if r.state == "active")
        )
        selected = self.selected_alarm()
        self.model.set_rows(keep, self.model.now)
        self.proxy.sort(0, Qt.SortOrder.AscendingOrder)
        if selected is not None:
            self.select_alarm(selected.id, emit=False)
        active = [r for r in rows if r.state == "active"]
        crit = sum(1 for r in active if r.severity == "critical")
        self.counts.setText(
            self.tr("%1 active (%2 critical) · %3 acknowledged · %4 shelved")
            .replace("%1", str(len(active)))
            .replace("%2", str(crit))
            .replace("%3", str(sum(1 for r in rows if r.state == "acknowledged")))
            .replace("%4", str(sum(1 for r in rows if r.state == "shelved")))
        )
        self._update_buttons()

    @property
    def alarms(self) -> tuple[AlarmRow, ...]:
        return self._all

    def selected_alarm(self) -> AlarmRow | None:
        ix = self.view.currentIndex()
        if not ix.isValid():
            return None
        row = self.proxy.mapToSource(ix).row()
        return self.model.rows[row] if 0 <= row < len(self.model.rows) else None

    def select_alarm(self, alarm_id: int, emit: bool = True) -> bool:
        for i, a in enumerate(self.model.rows):
            if a.id == alarm_id:
                ix = self.proxy.mapFromSource(self.model.index(i, 0))
                if emit and self.view.currentIndex().row() == ix.row():
                    # Already current (a view sets its first row current on focus): choosing it
                    # again must still open its rack.
                    self._current(ix, ix)
                    return True
                if not emit:
                    self.view.selectionModel().blockSignals(True)
                self.view.setCurrentIndex(ix)
                if not emit:
                    self.view.selectionModel().blockSignals(False)
                self._update_buttons()
                return True
        return False

    def select_first(self) -> bool:
        """Select the top row as shown (active critical first); False when the list is empty."""
        if self.proxy.rowCount() == 0:
            return False
        first = self.proxy.index(0, 0)
        if self.view.currentIndex().row() == 0:
            self._current(first, first)
        else:
            self.view.setCurrentIndex(first)
        return True

    def _timeline_text(self, events: tuple[AlarmEventRow, ...]) -> str:
        parts = []
        for e in events:
            who = "" if e.user == "system" else f" {self.tr('by')} <b>{html.escape(e.user)}</b>"
            note = f": <i>{html.escape(e.note)}</i>" if e.note else ""
            parts.append(f"{fmt.local_time(e.ts)} UTC {html.escape(e.action)}{who}{note}")
        return self.tr("History: ") + " → ".join(parts) if parts else ""

    def _load_events(self, alarm_id: int) -> None:
        engine = self.ctx.engine
        self.ctx.loader.submit(
            "alarm.events", lambda: (alarm_id, alarm_desk.alarm_events(engine, alarm_id))
        )

    def _current(self, current: QModelIndex, _prev: QModelIndex) -> None:
        self._update_buttons()
        a = self.selected_alarm()
        if a is not None:
            self._load_events(a.id)
        if a is not None and a.rack_id:
            self.rack_chosen.emit(a.rack_id, a.device_id or 0)

    def _update_buttons(self) -> None:
        a = self.selected_alarm()
        self.ack_btn.setEnabled(a is not None and a.state in ("active", "shelved"))
        self.shelve_btn.setEnabled(a is not None and a.state in ("active", "acknowledged"))

    # -- actions --------------------------------------------------------------------------

    def acknowledge_selected(self) -> None:
        a = self.selected_alarm()
        if a is None or a.state not in ("active", "shelved"):
            return
        dlg = NoteDialog(self.tr("Acknowledge alarm"), a.text(fmt.locale_name()), self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.acknowledge(a.id, dlg.note.toPlainText().strip())

    def acknowledge(self, alarm_id: int, note: str) -> None:
        engine, user = self.ctx.engine, self.ctx.user
        self.ctx.loader.submit(
            "alarm.ack", lambda: alarm_desk.acknowledge_alarm(engine, alarm_id, user, note)
        )
        self.message.emit(self.tr("Alarm acknowledged by %1").replace("%1", user))

    def shelve_selected(self, seconds: int) -> None:
        a = self.selected_alarm()
        if a is not None:
            self.shelve(a.id, seconds)

    def shelve(self, alarm_id: int, seconds: int, note: str = "") -> None:
        engine, user = self.ctx.engine, self.ctx.user
        until = int(time.time()) + seconds
        self.ctx.loader.submit(
            "alarm.shelve", lambda: alarm_desk.shelve_alarm(engine, alarm_id, user, until, note)
        )
        self.message.emit(self.tr("Alarm shelved for %1").replace("%1", fmt.age(seconds)))
