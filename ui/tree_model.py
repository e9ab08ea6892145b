"""Lazy Site -> Rack -> Device item model over the column-wise inventory (no per-item objects)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPixmap

from models.read.inventory import Inventory, search_devices
from models.read.status import Summary
from ui import fmt, theme

SITE, RACK, DEVICE = 0, 1, 2
_SHIFT = 1 << 40
COL_NAME, COL_STATUS, COL_INLET, COL_POWER, COL_AGE = range(5)
KIND_ROLE = int(Qt.ItemDataRole.UserRole.value) + 1
ID_ROLE = int(Qt.ItemDataRole.UserRole.value) + 2
STATE_ROLE = int(Qt.ItemDataRole.UserRole.value) + 3

AnyIndex = QModelIndex | QPersistentModelIndex
_CACHED_ROLES = {
    int(Qt.ItemDataRole.DisplayRole.value): 0,
    int(Qt.ItemDataRole.DecorationRole.value): 1,
    int(Qt.ItemDataRole.ForegroundRole.value): 2,
    int(Qt.ItemDataRole.FontRole.value): 3,
    int(Qt.ItemDataRole.TextAlignmentRole.value): 4,
}
_ROLES = set(_CACHED_ROLES) | {
    int(Qt.ItemDataRole.ToolTipRole.value),
    KIND_ROLE,
    ID_ROLE,
    STATE_ROLE,
}
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def _dot(color: QColor, size: int = 12) -> QIcon:
    pm = QPixmap(size * 2, size * 2)
    pm.setDevicePixelRatio(2.0)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(color)
    p.setPen(color.darker(130))
    p.drawEllipse(2, 2, size - 4, size - 4)
    p.end()
    return QIcon(pm)


class SiteTreeModel(QAbstractItemModel):
    """Rows come from index arithmetic on numpy arrays; values from summary caches.

    The caches are filled by background reads of what is visible; dataChanged is emitted only
    for the rows that were asked for, never across the whole inventory.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.inv: Inventory | None = None
        self.filter_text = ""
        self.site_sum: dict[int, Summary] = {}
        self.rack_sum: dict[int, Summary] = {}
        self.dev_sum: dict[int, Summary] = {}
        self.now = int(time.time())
        self._icons: dict[str, QIcon] = {}
        self._cache: dict[int, tuple[list[Any], ...]] = {}
        self._identity = True
        self._italic = QFont()
        self._italic.setItalic(True)
        self._bold = QFont()
        self._bold.setBold(True)
        self._headers = [
            self.tr("Name"),
            self.tr("Status"),
            self.tr("Inlet °C"),
            self.tr("Power kW"),
            self.tr("Age"),
        ]
        self._set_view(None)

    # -- the current view (all, or the racks and sites that hold matching devices) ------------

    def _set_view(self, match: np.ndarray | None) -> None:
        self._cache.clear()
        self._identity = match is None
        inv = self.inv
        if inv is None:
            empty = np.empty(0, dtype=np.int64)
            self._m = self._racks = self._sites = empty
            self._rdev = self._srack = np.zeros(1, dtype=np.int64)
            return
        if match is None:
            self._m = np.arange(inv.device_count, dtype=np.int64)
            self._racks = np.arange(len(inv.racks), dtype=np.int64)
            self._rdev = np.asarray(inv.rack_device_start, dtype=np.int64)
            self._sites = np.arange(len(inv.sites), dtype=np.int64)
            self._srack = np.asarray(inv.site_rack_start, dtype=np.int64)
        else:
            m = np.asarray(match, dtype=np.int64)
            racks_m = inv.device_rack[m]
            self._m = m
            self._racks = np.unique(racks_m)
            self._rdev = np.searchsorted(racks_m, np.append(self._racks, len(inv.racks)))
            rs = inv.rack_site[self._racks]
            self._sites = np.unique(rs)
            self._srack = np.searchsorted(rs, np.append(self._sites, len(inv.sites)))

    feed_stale = False  # no collector reports: every value shown is old

    def set_inventory(self, inv: Inventory) -> None:
        self.beginResetModel()
        self.inv = inv
        self.dev_sum.clear()
        self.rack_sum.clear()
        self._set_view(search_devices(inv, self.filter_text) if self.filter_text else None)
        self.endResetModel()

    def set_filter(self, text: str) -> int:
        """Show only devices matching text (and their racks and sites); returns matches."""
        self.filter_text = text.strip()
        if self.inv is None:
            return 0
        match = search_devices(self.inv, self.filter_text) if self.filter_text else None
        self.beginResetModel()
        self._set_view(match)
        self.endResetModel()
        return len(self._m)

    @property
    def match_count(self) -> int:
        return len(self._m)

    @property
    def first_device_id(self) -> int | None:
        """The first device shown (tree order), where keyboard navigation from the filter lands."""
        if self.inv is None or not len(self._m):
            return None
        return int(self.inv.device_ids[int(self._m[0])])

    @property
    def rack_count(self) -> int:
        return len(self._racks)

    def _site_pos(self, site: int) -> int:
        return site if self._identity else int(np.searchsorted(self._sites, site))

    def _rack_pos(self, rack: int) -> int:
        return rack if self._identity else int(np.searchsorted(self._racks, rack))

    def clear_cache(self) -> None:
        """Forget formatted rows (after a theme change, say)."""
        self._cache.clear()

    # -- QAbstractItemModel -------------------------------------------------------------------

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 5

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.column() > 0:
            return 0
        if not parent.isValid():
            return len(self._sites)
        kind, idx = divmod(parent.internalId(), _SHIFT)
        if kind == SITE:
            pos = self._site_pos(idx)
            return int(self._srack[pos + 1] - self._srack[pos])
        if kind == RACK:
            pos = self._rack_pos(idx)
            return int(self._rdev[pos + 1] - self._rdev[pos])
        return 0

    def hasChildren(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return self.rowCount(parent) > 0

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if row < 0 or column < 0 or column >= 5:
            return QModelIndex()
        if not parent.isValid():
            if row >= len(self._sites):
                return QModelIndex()
            return self.createIndex(row, column, SITE * _SHIFT + int(self._sites[row]))
        kind, idx = divmod(parent.internalId(), _SHIFT)
        if kind == SITE:
            pos = self._site_pos(idx)
            a, b = int(self._srack[pos]), int(self._srack[pos + 1])
            if row >= b - a:
                return QModelIndex()
            return self.createIndex(row, column, RACK * _SHIFT + int(self._racks[a + row]))
        if kind == RACK:
            pos = self._rack_pos(idx)
            a, b = int(self._rdev[pos]), int(self._rdev[pos + 1])
            if row >= b - a:
                return QModelIndex()
            return self.createIndex(row, column, DEVICE * _SHIFT + int(self._m[a + row]))
        return QModelIndex()

    def parent(self, index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or self.inv is None:
            return QModelIndex()
        kind, idx = divmod(index.internalId(), _SHIFT)
        if kind == SITE:
            return QModelIndex()
        if kind == RACK:
            site = int(self.inv.rack_site[idx])
            return self.createIndex(self._site_pos(site), 0, SITE * _SHIFT + site)
        rack = int(self.inv.device_rack[idx])
        return self._rack_index(rack)

    def _rack_index(self, rack: int, column: int = 0) -> QModelIndex:
        assert self.inv is not None
        site = int(self.inv.rack_site[rack])
        spos = self._site_pos(site)
        rpos = self._rack_pos(rack)
        return self.createIndex(rpos - int(self._srack[spos]), column, RACK * _SHIFT + rack)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole:
            return theme.ALIGN_RIGHT if section >= COL_INLET else None
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _FLAGS

    # -- data -------------------------------------------------------------------------------

    def node(self, index: AnyIndex) -> tuple[int, int]:
        """(kind, database id) of an index; kind is SITE, RACK or DEVICE."""
        assert self.inv is not None
        kind, idx = divmod(index.internalId(), _SHIFT)
        if kind == SITE:
            return SITE, self.inv.sites[idx].id
        if kind == RACK:
            return RACK, self.inv.racks[idx].id
        return DEVICE, int(self.inv.device_ids[idx])

    def _summary(self, kind: int, idx: int) -> Summary | None:
        assert self.inv is not None
        if kind == SITE:
            return self.site_sum.get(self.inv.sites[idx].id)
        if kind == RACK:
            return self.rack_sum.get(self.inv.racks[idx].id)
        return self.dev_sum.get(int(self.inv.device_ids[idx]))

    def _name(self, kind: int, idx: int) -> str:
        assert self.inv is not None
        if kind == SITE:
            s = self.inv.sites[idx]
            return f"{s.code} — {s.name}"
        if kind == RACK:
            return self.inv.racks[idx].name
        return self.inv.device_names[idx]

    def _icon(self, state: str) -> QIcon:
        icon = self._icons.get(state)
        if icon is None:
            icon = self._icons[state] = _dot(theme.state_color(state))
        return icon

    def state_text(self, state: str) -> str:
        return {
            "ok": self.tr("OK"),
            "unknown": self.tr("unknown"),
            "stale": self.tr("stale"),
            "warning": self.tr("warning"),
            "unreachable": self.tr("unreachable"),
            "critical": self.tr("critical"),
        }.get(state, state)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Painting asks ~8 roles per cell; unknown roles leave at once and known ones come from
        # a per-row cache that apply() clears, so a repaint costs a dict lookup per call.
        if role not in _ROLES or self.inv is None or not index.isValid():
            return None
        key = index.internalId()
        if role in _CACHED_ROLES:
            row = self._cache.get(key)
            if row is None:
                row = self._cache[key] = self._row_view(*divmod(key, _SHIFT))
            return row[_CACHED_ROLES[role]][index.column()]
        return self._data(key, index, role)

    def _row_view(self, kind: int, idx: int) -> tuple[list[Any], ...]:
        roles = [
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.DecorationRole,
            Qt.ItemDataRole.ForegroundRole,
            Qt.ItemDataRole.FontRole,
            Qt.ItemDataRole.TextAlignmentRole,
        ]
        return tuple([self._compute(kind, idx, c, r) for c in range(5)] for r in roles)

    def _data(self, key: int, index: AnyIndex, role: int) -> Any:
        kind, idx = divmod(key, _SHIFT)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(kind, idx)
        if role == KIND_ROLE:
            return kind
        if role == ID_ROLE:
            return self.node(index)[1]
        if role == STATE_ROLE:
            s = self._summary(kind, idx)
            return s.state if s else None
        return None

    def _compute(self, kind: int, idx: int, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_NAME:
                return self._name(kind, idx)
            s = self._summary(kind, idx)
            if s is None:
                return "…" if col == COL_STATUS else ""
            if col == COL_STATUS:
                text = self.state_text(s.state)
                if kind != DEVICE and s.devices_unreachable:
                    text += self.tr(" · %n down", "", s.devices_unreachable)
                return text
            if col == COL_INLET:
                return fmt.number(s.inlet_c, 1)
            if col == COL_POWER:
                return fmt.kw(s.power_w)
            if col == COL_AGE:
                return fmt.age(None if s.newest_ts is None else self.now - s.newest_ts)
            return None
        if role == Qt.ItemDataRole.DecorationRole and col == COL_NAME:
            s = self._summary(kind, idx)
            return self._icon(s.state if s else "unknown")
        if role == Qt.ItemDataRole.ForegroundRole:
            s = self._summary(kind, idx)
            if s is None:
                return None
            if col == COL_STATUS and s.state != "ok":
                return QBrush(theme.state_color(s.state))
            if s.state in ("stale", "unreachable") and kind == DEVICE and col != COL_STATUS:
                return QBrush(QColor("#8a8f98"))
            if col in (COL_INLET, COL_POWER) and (self.feed_stale or s.values_stale):
                # Old values: grey, whatever colour the value itself would have.
                return QBrush(QColor("#8a8f98"))
            if col == COL_INLET and s.inlet_c is not None and s.inlet_c >= theme.inlet_warning_c():
                return QBrush(theme.temperature_color(s.inlet_c))
            return None
        if role == Qt.ItemDataRole.FontRole:
            s = self._summary(kind, idx)
            if s is not None and kind == DEVICE and s.state in ("stale", "unreachable"):
                return self._italic
            if kind == SITE and col == COL_NAME:
                return self._bold
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and col >= COL_INLET:
            return theme.ALIGN_RIGHT
        return None

    def _tooltip(self, kind: int, idx: int) -> str:
        s = self._summary(kind, idx)
        name = self._name(kind, idx)
        if s is None:
            return name
        lines = [f"<b>{name}</b>", self.tr("State: %1").replace("%1", self.state_text(s.state))]
        if kind != DEVICE:
            lines.append(
                self.tr("Devices: %1 OK, %2 unreachable, %3 stale")
                .replace("%1", str(s.devices_ok))
                .replace("%2", str(s.devices_unreachable))
                .replace("%3", str(s.devices_stale))
            )
        if s.alarms_critical or s.alarms_warning:
            lines.append(
                self.tr("Alarms: %1 critical, %2 warning")
                .replace("%1", str(s.alarms_critical))
                .replace("%2", str(s.alarms_warning))
            )
        if s.newest_ts is not None:
            lines.append(
                self.tr("Last reading %1 ago").replace("%1", fmt.age(self.now - s.newest_ts))
            )
        return "<br>".join(lines)

    # -- refresh ----------------------------------------------------------------------------

    def ids_of(self, indexes: list[QModelIndex]) -> tuple[list[int], list[int], list[int]]:
        """Database ids (sites, racks, devices) behind the given indexes."""
        sites: list[int] = []
        racks: list[int] = []
        devices: list[int] = []
        for ix in indexes:
            kind, ident = self.node(ix)
            (sites if kind == SITE else racks if kind == RACK else devices).append(ident)
        return sites, racks, devices

    def apply(
        self,
        sites: dict[int, Summary],
        racks: dict[int, Summary],
        devices: dict[int, Summary],
        now: int,
        rows: list[QPersistentModelIndex],
    ) -> None:
        """Store fresh summaries and repaint only the given rows (grouped per parent)."""
        self.site_sum.update(sites)
        self.rack_sum.update(racks)
        self.dev_sum.update(devices)
        self.now = now
        self._cache.clear()
        if sites and not rows:
            n = len(self._sites)
            if n:
                self.dataChanged.emit(self.index(0, 0), self.index(n - 1, 4))
            return
        groups: dict[tuple[int, int], tuple[QModelIndex, int, int]] = {}
        for p in rows:
            if not p.isValid():
                continue
            ix = self.index(p.row(), p.column(), p.parent())
            par = ix.parent()
            key = (par.internalId() if par.isValid() else -1, 0)
            g = groups.get(key)
            r = ix.row()
            groups[key] = (par, r, r) if g is None else (par, min(g[1], r), max(g[2], r))
        for par, a, b in groups.values():
            self.dataChanged.emit(self.index(a, 0, par), self.index(b, 4, par))

    def site_row(self, site_id: int) -> QModelIndex:
        if self.inv is None:
            return QModelIndex()
        si = self.inv.site_index(site_id)
        if si is None:
            return QModelIndex()
        pos = int(np.searchsorted(self._sites, si))
        if pos >= len(self._sites) or int(self._sites[pos]) != si:
            return QModelIndex()
        return self.createIndex(pos, 0, SITE * _SHIFT + si)

    def rack_row(self, rack_id: int) -> QModelIndex:
        """Index of a rack in the current view (invalid when filtered out)."""
        if self.inv is None:
            return QModelIndex()
        ri = self.inv.rack_index(rack_id)
        if ri is None:
            return QModelIndex()
        pos = int(np.searchsorted(self._racks, ri))
        if pos >= len(self._racks) or int(self._racks[pos]) != ri:
            return QModelIndex()
        return self._rack_index(ri)

    def device_row(self, device_id: int) -> QModelIndex:
        if self.inv is None:
            return QModelIndex()
        di = self.inv.device_index(device_id)
        if di is None:
            return QModelIndex()
        pos = int(np.searchsorted(self._m, di))
        if pos >= len(self._m) or int(self._m[pos]) != di:
            return QModelIndex()
        rack = int(self.inv.device_rack[di])
        rpos = int(np.searchsorted(self._racks, rack))
        return self.createIndex(pos - int(self._rdev[rpos]), 0, DEVICE * _SHIFT + di)
