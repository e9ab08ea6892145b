"""Alarm dock: active, acknowledged and shelved alarms; acknowledge with a note; shelve."""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from typing import Any, cast

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractItemModel,
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
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from models.alarms import desk as alarm_desk
from models.alarms import incidents as incident_desk
from models.alarms.desk import AlarmRow
from models.alarms.incidents import IncidentRow
from ui import fmt, theme
from ui.context import Context

AnyIndex = QModelIndex | QPersistentModelIndex
# Marked for lupdate; AlarmPanel translates them with self.tr (the same context).
SHELVE_CHOICES = (
    (15 * 60, QT_TRANSLATE_NOOP("AlarmPanel", "15 minutes")),
    (3600, QT_TRANSLATE_NOOP("AlarmPanel", "1 hour")),
    (4 * 3600, QT_TRANSLATE_NOOP("AlarmPanel", "4 hours")),
    (8 * 3600, QT_TRANSLATE_NOOP("AlarmPanel", "8 hours (a shift)")),
    (86_400, QT_TRANSLATE_NOOP("AlarmPanel", "24 hours")),
)


@dataclass(frozen=True, slots=True)
class Announcement:
    """A new critical incident (or ungrouped alarm) for the sound and the notification."""

    kind: str  # incident | alarm
    id: int
    message: str
    rack_name: str


@dataclass
class _Node:
    """One row of the tree: an incident with its alarms folded under it, or a lone alarm."""

    kind: str  # incident | alarm
    id: int
    incident: IncidentRow | None = None
    alarm: AlarmRow | None = None
    children: list[_Node] = field(default_factory=list)
    parent: _Node | None = None
    gone: bool = False  # cleared since shown; kept (greyed) so rows never shift under the pointer

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.id)

    def importance(self) -> tuple[int, int, int, int]:
        if self.incident is not None:
            return self.incident.importance
        a = self.alarm
        assert a is not None
        return (
            0 if a.severity == "critical" else 1,
            0 if a.state == "active" else 1,
            -1,
            -a.raised_ts,
        )


class AlarmModel(QAbstractItemModel):
    """Incidents as parent rows with their alarms folded underneath; lone alarms at the top.

    Rows keep their places between reads: a read updates them in place, and new incidents
    wait in `pending` until the operator asks to see them (AlarmPanel's "N new — show").
    """

    COLS = ("severity", "state", "age", "site", "rack", "device", "message", "ack")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.top: list[_Node] = []
        self.pending: list[_Node] = []
        self.now = int(time.time())
        self.stale = False
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
        italic = QFont()
        italic.setItalic(True)
        self._italic = italic

    # -- structure ----------------------------------------------------------------------

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if parent.isValid():
            node = cast(_Node, parent.internalPointer())
            if 0 <= row < len(node.children):
                return self.createIndex(row, column, node.children[row])
            return QModelIndex()
        if 0 <= row < len(self.top):
            return self.createIndex(row, column, self.top[row])
        return QModelIndex()

    def parent(self, child: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not child.isValid():
            return QModelIndex()
        node = cast(_Node, child.internalPointer())
        if node.parent is None:
            return QModelIndex()
        return self.createIndex(self.top.index(node.parent), 0, node.parent)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self.top)
        if parent.column() != 0:
            return 0
        return len(cast(_Node, parent.internalPointer()).children)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def node(self, index: AnyIndex) -> _Node | None:
        return cast(_Node, index.internalPointer()) if index.isValid() else None

    def index_of(self, node: _Node) -> QModelIndex:
        if node.parent is None:
            return (
                self.createIndex(self.top.index(node), 0, node)
                if node in self.top
                else QModelIndex()
            )
        return self.createIndex(node.parent.children.index(node), 0, node)

    @property
    def rows(self) -> tuple[AlarmRow, ...]:
        """Every alarm shown, in display order (lone ones and those inside incidents)."""
        out: list[AlarmRow] = []
        for n in self.top:
            if n.alarm is not None:
                out.append(n.alarm)
            out.extend(c.alarm for c in n.children if c.alarm is not None)
        return tuple(out)

    def set_data(
        self,
        incidents: tuple[IncidentRow, ...],
        alarms: tuple[AlarmRow, ...],
        now: int,
        *,
        hold_new: bool,
    ) -> list[_Node]:
        """Update in place; returns the new top-level nodes (held in `pending` if hold_new)."""
        self.now = now
        by_inc: dict[int, list[AlarmRow]] = {}
        shown_inc = {i.id for i in incidents}
        fresh: list[_Node] = []
        for a in alarms:
            if a.incident_id in shown_inc:
                by_inc.setdefault(int(a.incident_id or 0), []).append(a)
        wanted: dict[tuple[str, int], _Node] = {}
        for inc in incidents:
            n = _Node("incident", inc.id, incident=inc)
            kids = sorted(
                by_inc.get(inc.id, []), key=lambda a: (a.severity != "critical", -a.raised_ts)
            )
            n.children = [_Node("alarm", a.id, alarm=a, parent=n) for a in kids]
            wanted[n.key] = n
        for a in alarms:
            if a.incident_id not in shown_inc:
                wanted[("alarm", a.id)] = _Node("alarm", a.id, alarm=a)
        self.beginResetModel()
        kept: list[_Node] = []
        for old in self.top:
            new = wanted.pop(old.key, None)
            if new is None:
                old.gone = True
                if hold_new:
                    kept.append(old)  # stays (greyed) until the operator re-sorts
                continue
            old.incident, old.alarm, old.gone = new.incident, new.alarm, False
            # Children: known ones keep their order, newly joined ones go at the end.
            known = {c.key: c for c in new.children}
            merged = []
            for c in old.children:
                nc = known.pop(c.key, None)
                if nc is not None:
                    c.alarm = nc.alarm
                    merged.append(c)
            for nc in new.children:
                if nc.key in known:
                    nc.parent = old
                    merged.append(nc)
            old.children = merged
            kept.append(old)
        pend = {n.key for n in self.pending}
        self.pending = [wanted.pop(n.key) for n in self.pending if n.key in wanted]
        fresh = sorted(wanted.values(), key=_Node.importance)
        if hold_new:
            self.pending.extend(fresh)
        else:
            kept.extend(self.pending)
            kept.extend(fresh)
            self.pending = []
            kept.sort(key=_Node.importance)
        self.top = kept
        self.endResetModel()
        return [n for n in fresh if n.key not in pend]

    def show_pending(self) -> None:
        """Merge the waiting rows in and sort everything by importance, dropping cleared ones."""
        self.beginResetModel()
        self.top = sorted([n for n in self.top if not n.gone] + self.pending, key=_Node.importance)
        self.pending = []
        self.endResetModel()

    def tick(self, now: int) -> None:
        self.now = now
        if self.top:
            self.dataChanged.emit(self.index(0, 2), self.index(len(self.top) - 1, 2))

    def set_stale(self, stale: bool) -> None:
        if stale != self.stale:
            self.stale = stale
            if self.top:
                self.dataChanged.emit(
                    self.index(0, 0), self.index(len(self.top) - 1, len(self.COLS) - 1)
                )

    # -- cells --------------------------------------------------------------------------

    def state_text(self, state: str, shelved_until: int | None) -> str:
        if state == "shelved":
            text = self.tr("shelved until %1").replace(
                "%1", fmt.local_time(shelved_until, "UTC", with_date=False) + " UTC"
            )
        else:
            text = {
                "active": self.tr("active"),
                "acknowledged": self.tr("acknowledged"),
                "cleared": self.tr("cleared"),
            }.get(state, state)
        return text + (self.tr(" · stale") if self.stale else "")

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        node = self.node(index)
        if node is None:
            return None
        if node.incident is not None:
            return self._incident_data(node, node.incident, self.COLS[index.column()], role)
        assert node.alarm is not None
        return self._alarm_data(node, node.alarm, self.COLS[index.column()], role)

    def _common(
        self, node: _Node, col: str, role: int, severity: str, state: str
    ) -> tuple[bool, Any]:
        if role == Qt.ItemDataRole.BackgroundRole and col == "severity":
            c = QColor(theme.SEVERITY_COLORS.get(severity, "#888888"))
            if state != "active" or node.gone or self.stale:
                c.setAlpha(110)
            return True, QBrush(c)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == "severity":
                return True, QBrush(
                    QColor("#ffffff") if severity == "critical" else QColor("#111111")
                )
            if state in ("acknowledged", "shelved") or node.gone or self.stale:
                return True, QBrush(QColor("#8a8f98"))
        if role == Qt.ItemDataRole.FontRole:
            if self.stale or node.gone:
                return True, self._italic
            if state == "active":
                return True, self._bold
        if role == Qt.ItemDataRole.UserRole:
            return True, node.id
        if role == Qt.ItemDataRole.UserRole + 2:
            return True, node.kind
        return False, None

    def _severity(self, severity: str) -> str:
        return {"critical": self.tr("CRITICAL"), "warning": self.tr("warning")}.get(
            severity, severity
        )

    def _ack(self, by: str | None, ts: int | None, note: str | None) -> str:
        if not by:
            return ""
        tail = f": {note}" if note else ""
        return (
            self.tr("%1 (%2 ago)%3")
            .replace("%1", by)
            .replace("%2", fmt.age(self.now - (ts or self.now)))
            .replace("%3", tail)
        )

    def _incident_data(self, node: _Node, i: IncidentRow, col: str, role: int) -> Any:
        state = "cleared" if node.gone else i.state
        done, value = self._common(node, col, role, i.severity, state)
        if done:
            return value
        if role == Qt.ItemDataRole.DisplayRole:
            if col == "severity":
                return self._severity(i.severity)
            if col == "state":
                return self.state_text(state, i.shelved_until)
            if col == "age":
                return fmt.age(self.now - i.first_ts)
            if col == "site":
                return i.site_code
            if col == "rack":
                if i.racks == 1 and i.rack_name:
                    return i.rack_name
                return self.tr("%n racks", "", i.racks) if i.racks else i.row
            if col == "device":
                # English has no numerus translation loaded: choose the form here.
                if i.alarms_open == 1:
                    return self.tr("1 alarm")
                return self.tr("%1 alarms").replace("%1", str(i.alarms_open))
            if col == "message":
                return i.text(fmt.locale_name())
            if col == "ack":
                return self._ack(i.ack_by, i.ack_ts, i.ack_note)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [
                f"<b>{html.escape(i.text(fmt.locale_name()))}</b>",
                self.tr("Incident %1 · %2 · %3").replace("%1", str(i.id))
                .replace("%2", i.family).replace("%3", i.state),
                self.tr("%1 open alarms (%2 in all) on %3 racks").replace("%1", str(i.alarms_open))
                .replace("%2", str(i.alarms_total)).replace("%3", str(i.racks)),
                self.tr("First %1 UTC, last %2 UTC").replace("%1", fmt.local_time(i.first_ts))
                .replace("%2", fmt.local_time(i.last_ts)),
            ]  # fmt: skip
            if i.peak_value is not None:
                lines.append(self.tr("Peak %1").replace("%1", f"{i.peak_value:g}"))
            return "<br>".join(lines)
        return None

    def _alarm_data(self, node: _Node, a: AlarmRow, col: str, role: int) -> Any:
        state = "cleared" if node.gone else a.state
        done, value = self._common(node, col, role, a.severity, state)
        if done:
            return value
        if role == Qt.ItemDataRole.DisplayRole:
            if col == "severity":
                return self._severity(a.severity)
            if col == "state":
                return self.state_text(state, a.shelved_until)
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
                return self._ack(a.ack_by, a.ack_ts, a.ack_note)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [
                f"<b>{html.escape(a.text(fmt.locale_name()))}</b>",
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
            if self.stale:
                lines.append(self.tr("Data is stale: the value may have changed since"))
            return "<br>".join(lines)
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


class _HandledFilter(QSortFilterProxyModel):
    """Hides acknowledged and shelved rows unless asked; never sorts (rows keep their place)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.show_handled = True

    def filterAcceptsRow(self, row: int, parent: AnyIndex) -> bool:
        if self.show_handled:
            return True
        src = cast(AlarmModel, self.sourceModel())
        node = src.node(src.index(row, 0, parent))
        if node is None:
            return True
        state = (
            node.incident.state
            if node.incident is not None
            else (node.alarm.state if node.alarm is not None else "active")
        )
        return state == "active"


class AlarmPanel(QWidget):
    rack_chosen = Signal(int, int)  # rack id, device id (0 when none)
    new_critical = Signal(object)  # tuple of Announcement: critical incidents or lone alarms
    unacked_changed = Signal(object)  # tuple of Announcement still active and critical
    message = Signal(str)

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = AlarmModel(self)
        self.proxy = _HandledFilter(self)
        self.proxy.setSourceModel(self.model)
        self.view = QTreeView(self)
        self.view.setObjectName("alarmTable")
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setUniformRowHeights(True)
        self.view.setAllColumnsShowFocus(True)
        self.view.setWordWrap(False)
        self.view.setRootIsDecorated(True)
        h = self.view.header()
        h.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        h.setStretchLastSection(False)
        h.setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        for col, w in ((0, 100), (1, 110), (2, 60), (3, 50), (4, 90), (5, 130), (7, 220)):
            h.resizeSection(col, w)
        self.view.selectionModel().currentRowChanged.connect(self._current)
        self.view.doubleClicked.connect(lambda _i: self.acknowledge_selected())

        self.ack_btn = QPushButton(self.tr("Acknowledge…"), self)
        self.ack_btn.setToolTip(
            self.tr(
                "Acknowledge the selected incident (all its alarms) or alarm with a note (Ctrl+K)"
            )
        )
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
        self.show_handled.toggled.connect(self._handled_toggled)
        # New incidents are announced here, not inserted above what the operator points at.
        self.new_btn = QPushButton(self)
        self.new_btn.setObjectName("newIncidents")
        self.new_btn.setFlat(False)
        self.new_btn.clicked.connect(self.show_new)
        self.new_btn.hide()
        self.counts = QLabel(self)
        bar = QHBoxLayout()
        bar.addWidget(self.counts, 1)
        bar.addWidget(self.new_btn)
        bar.addWidget(self.show_handled)
        bar.addWidget(self.ack_btn)
        bar.addWidget(self.shelve_btn)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 4)
        lay.setSpacing(2)
        lay.addLayout(bar)
        lay.addWidget(self.view)
        # The audit trail of the selected alarm or incident: who did what, when, and why.
        self.timeline = QLabel(self)
        self.timeline.setObjectName("alarmTimeline")
        self.timeline.setTextFormat(Qt.TextFormat.RichText)
        self.timeline.setWordWrap(True)
        lay.addWidget(self.timeline)
        self._all: tuple[AlarmRow, ...] = ()
        self.incidents: tuple[IncidentRow, ...] = ()
        self.loaded = False
        self.seen_seq = -1
        self._known_critical: set[tuple[str, int]] = set()
        ctx.loader.loaded.connect(self._loaded)
        ctx.loader.failed.connect(self._failed)
        self._update_buttons()

    def refresh(self) -> None:
        engine = self.ctx.engine
        self.ctx.loader.submit(
            "alarms",
            lambda: (
                alarm_desk.open_alarms(engine),
                incident_desk.open_incidents(engine),
                int(time.time()),
            ),
        )

    def tick(self) -> None:
        self.model.tick(int(time.time()))

    def set_feed_stale(self, stale: bool) -> None:
        """Data stopped: alarms stay listed but are marked stale (their values are old)."""
        self.model.set_stale(stale)

    def _loaded(self, key: str, result: object) -> None:
        if key == "alarms":
            rows, incs, now = cast(
                tuple[tuple[AlarmRow, ...], tuple[IncidentRow, ...], int], result
            )
            self.model.now = now
            grouped = {i.id for i in incs}
            crit: dict[tuple[str, int], Announcement] = {
                ("incident", i.id): Announcement(
                    "incident", i.id, i.text(fmt.locale_name()), i.rack_name
                )
                for i in incs
                if i.state == "active" and i.severity == "critical"
            }
            for a in rows:
                if (
                    a.incident_id not in grouped
                    and a.state == "active"
                    and a.severity == "critical"
                ):
                    crit[("alarm", a.id)] = Announcement(
                        "alarm", a.id, a.text(fmt.locale_name()), a.rack_name
                    )
            # The first read is the backlog, not news.
            fresh = tuple(v for k, v in crit.items() if k not in self._known_critical)
            # Only what is critical and unacknowledged now: an acknowledged incident that a
            # more severe alarm returns to active is news again.
            self._known_critical = set(crit)
            self._apply(rows, incs)
            self.unacked_changed.emit(tuple(crit.values()))
            if self.loaded and fresh:
                self.new_critical.emit(fresh)
            self.loaded = True
        elif key in ("alarm.ack", "alarm.shelve"):
            self.refresh()
        elif key == "alarm.events":
            ident, events = cast(tuple[tuple[str, int], tuple[Any, ...]], result)
            if self._selected_key() == ident:
                self.timeline.setText(self._timeline_text(events))

    def _failed(self, key: str, message: str) -> None:
        if key in ("alarm.ack", "alarm.shelve"):
            self.message.emit(self.tr("Could not change the alarm: %1").replace("%1", message))
            self.refresh()

    def _handled_toggled(self, on: bool) -> None:
        self.proxy.beginFilterChange()
        self.proxy.show_handled = on
        self.proxy.endFilterChange()

    def _apply(self, rows: tuple[AlarmRow, ...], incs: tuple[IncidentRow, ...]) -> None:
        self._all = rows
        self.incidents = incs
        selected = self._selected_key()
        expanded = self._expanded()
        scroll = self.view.verticalScrollBar().value()
        # Once the list shows something, new rows wait behind the "N new — show" button.
        hold = self.loaded and self.model.rowCount() > 0
        self.model.set_data(incs, rows, self.model.now, hold_new=hold)
        self._restore(expanded, selected)
        self.view.verticalScrollBar().setValue(scroll)
        n = len(self.model.pending)
        self.new_btn.setVisible(n > 0)
        self.new_btn.setText(self.tr("%n new — show", "", n))
        self._update_counts()
        self._update_buttons()
        if selected is not None:
            self._load_events(selected)

    def _update_counts(self) -> None:
        rows, incs = self._all, self.incidents
        active = [r for r in rows if r.state == "active"]
        crit = sum(1 for r in active if r.severity == "critical")
        self.counts.setText(
            self.tr("%1 incidents · %2 active alarms (%3 critical) · %4 acknowledged · %5 shelved")
            .replace("%1", str(len(incs)))
            .replace("%2", str(len(active)))
            .replace("%3", str(crit))
            .replace("%4", str(sum(1 for r in rows if r.state == "acknowledged")))
            .replace("%5", str(sum(1 for r in rows if r.state == "shelved")))
        )

    def show_new(self) -> None:
        selected = self._selected_key()
        expanded = self._expanded()
        self.model.show_pending()
        self._restore(expanded, selected)
        self.new_btn.hide()

    def _expanded(self) -> set[tuple[str, int]]:
        out = set()
        for r in range(self.proxy.rowCount()):
            ix = self.proxy.index(r, 0)
            if self.view.isExpanded(ix):
                node = self.model.node(self.proxy.mapToSource(ix))
                if node is not None:
                    out.add(node.key)
        return out

    def _restore(self, expanded: set[tuple[str, int]], selected: tuple[str, int] | None) -> None:
        for r in range(self.proxy.rowCount()):
            ix = self.proxy.index(r, 0)
            node = self.model.node(self.proxy.mapToSource(ix))
            if node is not None and node.key in expanded:
                self.view.setExpanded(ix, True)
        if selected is not None:
            self._select_key(selected, emit=False)

    @property
    def alarms(self) -> tuple[AlarmRow, ...]:
        return self._all

    def _selected_node(self) -> _Node | None:
        ix = self.view.currentIndex()
        if not ix.isValid():
            return None
        return self.model.node(self.proxy.mapToSource(ix))

    def _selected_key(self) -> tuple[str, int] | None:
        n = self._selected_node()
        return None if n is None else n.key

    def selected_alarm(self) -> AlarmRow | None:
        n = self._selected_node()
        return None if n is None else n.alarm

    def selected_incident(self) -> IncidentRow | None:
        n = self._selected_node()
        return None if n is None else n.incident

    def _find(self, key: tuple[str, int]) -> _Node | None:
        for n in self.model.top:
            if n.key == key:
                return n
            for c in n.children:
                if c.key == key:
                    return c
        return None

    def _select_key(self, key: tuple[str, int], emit: bool = True) -> bool:
        node = self._find(key)
        if node is None:
            return False
        ix = self.proxy.mapFromSource(self.model.index_of(node))
        if not ix.isValid():
            return False
        if node.parent is not None:
            self.view.setExpanded(ix.parent(), True)
        if emit and self.view.currentIndex() == ix:
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

    def select_alarm(self, alarm_id: int, emit: bool = True) -> bool:
        return self._select_key(("alarm", alarm_id), emit)

    def select_incident(self, incident_id: int, emit: bool = True) -> bool:
        return self._select_key(("incident", incident_id), emit)

    def select_first(self) -> bool:
        """Select the top row as shown (most important first); False when the list is empty."""
        if self.proxy.rowCount() == 0:
            return False
        first = self.proxy.index(0, 0)
        if self.view.currentIndex() == first:
            self._current(first, first)
        else:
            self.view.setCurrentIndex(first)
        return True

    def _timeline_text(self, events: tuple[Any, ...]) -> str:
        parts = []
        for e in events:
            who = "" if e.user == "system" else f" {self.tr('by')} <b>{html.escape(e.user)}</b>"
            note = f": <i>{html.escape(e.note)}</i>" if e.note else ""
            parts.append(f"{fmt.local_time(e.ts)} UTC {html.escape(e.action)}{who}{note}")
        return self.tr("History: ") + " → ".join(parts[-12:]) if parts else ""

    def _load_events(self, key: tuple[str, int]) -> None:
        engine = self.ctx.engine
        kind, ident = key
        if kind == "incident":
            self.ctx.loader.submit(
                "alarm.events", lambda: (key, incident_desk.incident_events(engine, ident))
            )
        else:
            self.ctx.loader.submit(
                "alarm.events", lambda: (key, alarm_desk.alarm_events(engine, ident))
            )

    def _current(self, current: QModelIndex, _prev: QModelIndex) -> None:
        self._update_buttons()
        n = self._selected_node()
        if n is None:
            return
        self._load_events(n.key)
        if n.alarm is not None and n.alarm.rack_id:
            self.rack_chosen.emit(n.alarm.rack_id, n.alarm.device_id or 0)
        elif n.incident is not None:
            rack = n.incident.rack_id or next(
                (c.alarm.rack_id for c in n.children if c.alarm is not None and c.alarm.rack_id),
                None,
            )
            if rack:
                self.rack_chosen.emit(rack, 0)

    def _state(self) -> str | None:
        n = self._selected_node()
        if n is None or n.gone:
            return None
        if n.incident is not None:
            return n.incident.state
        return n.alarm.state if n.alarm is not None else None

    def _update_buttons(self) -> None:
        st = self._state()
        self.ack_btn.setEnabled(st in ("active", "shelved"))
        self.shelve_btn.setEnabled(st in ("active", "acknowledged"))

    # -- actions --------------------------------------------------------------------------

    def acknowledge_selected(self) -> None:
        n = self._selected_node()
        if n is None or self._state() not in ("active", "shelved"):
            return
        if n.incident is not None:
            dlg = NoteDialog(
                self.tr("Acknowledge incident"),
                self.tr("%1\n\nAll %2 open alarms in it are acknowledged with this note.")
                .replace("%1", n.incident.text(fmt.locale_name()))
                .replace("%2", str(n.incident.alarms_open)),
                self,
            )
            if dlg.exec() == QDialog.DialogCode.Accepted:
                self.acknowledge_incident(n.incident.id, dlg.note.toPlainText().strip())
            return
        assert n.alarm is not None
        dlg = NoteDialog(self.tr("Acknowledge alarm"), n.alarm.text(fmt.locale_name()), self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.acknowledge(n.alarm.id, dlg.note.toPlainText().strip())

    def acknowledge(self, alarm_id: int, note: str) -> None:
        engine, user = self.ctx.engine, self.ctx.user
        self.ctx.loader.submit(
            "alarm.ack", lambda: alarm_desk.acknowledge_alarm(engine, alarm_id, user, note)
        )
        self.message.emit(self.tr("Alarm acknowledged by %1").replace("%1", user))

    def acknowledge_incident(self, incident_id: int, note: str) -> None:
        engine, user = self.ctx.engine, self.ctx.user
        self.ctx.loader.submit(
            "alarm.ack",
            lambda: incident_desk.acknowledge_incident(engine, incident_id, user, note),
        )
        self.message.emit(self.tr("Incident acknowledged by %1").replace("%1", user))

    def shelve_selected(self, seconds: int) -> None:
        n = self._selected_node()
        if n is None or self._state() not in ("active", "acknowledged"):
            return
        if n.incident is not None:
            self.shelve_incident(n.incident.id, seconds)
        elif n.alarm is not None:
            self.shelve(n.alarm.id, seconds)

    def shelve(self, alarm_id: int, seconds: int, note: str = "") -> None:
        engine, user = self.ctx.engine, self.ctx.user
        until = int(time.time()) + seconds
        self.ctx.loader.submit(
            "alarm.shelve", lambda: alarm_desk.shelve_alarm(engine, alarm_id, user, until, note)
        )
        self.message.emit(self.tr("Alarm shelved for %1").replace("%1", fmt.age(seconds)))

    def shelve_incident(self, incident_id: int, seconds: int, note: str = "") -> None:
        engine, user = self.ctx.engine, self.ctx.user
        until = int(time.time()) + seconds
        self.ctx.loader.submit(
            "alarm.shelve",
            lambda: incident_desk.shelve_incident(engine, incident_id, user, until, note),
        )
        self.message.emit(self.tr("Incident shelved for %1").replace("%1", fmt.age(seconds)))
