"""Site floor map: racks at row and position, coloured by a chosen measure, with a legend."""

from __future__ import annotations

import math
import time
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QLinearGradient,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from models.read import common as read_common
from models.read import status as read_status
from models.read.inventory import SiteInfo
from models.read.status import FloorMap, RackTile
from ui import fmt, theme
from ui.context import Context

MEASURES = ("inlet", "power", "state")
# Below this tile size (px) racks are drawn as plain cells: a 14,000-rack site paints in time.
SMALL_TILE = 16.0
# A tile whose value is old: grey, hatched.
STALE_FILL = "#b4b9c0"
STALE_HATCH = "#6b717a"


def tile_color(tile: RackTile, measure: str) -> QColor:
    """The colour of a rack tile for a measure; grey when the measure has no value."""
    s = tile.summary
    if measure == "inlet":
        if s is None or s.inlet_c is None:
            return QColor("#9aa1ab")
        return theme.temperature_color(s.inlet_c)
    if measure == "power":
        pct = tile.power_pct
        return QColor("#9aa1ab") if pct is None else theme.percent_color(pct)
    return theme.state_color(s.state if s else "unknown")


def tile_value(tile: RackTile, measure: str) -> str:
    s = tile.summary
    if s is None:
        return ""
    if measure == "inlet":
        return "" if s.inlet_c is None else f"{s.inlet_c:.1f}°"
    if measure == "power":
        pct = tile.power_pct
        if pct is not None:
            return f"{pct:.0f}%"
        return "" if s.power_w is None else f"{s.power_w / 1000:.1f}kW"
    return {
        "ok": "",
        "unknown": "?",
        "stale": "~",
        "warning": "!",
        "unreachable": "✕",
        "critical": "!!",
    }.get(s.state, "")


class FloorMapWidget(QWidget):
    rack_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None, scale: float = 1.0) -> None:
        super().__init__(parent)
        self.data: FloorMap | None = None
        self.measure = "inlet"
        self.scale = scale
        self._rects: list[tuple[QRectF, RackTile]] = []
        self._layout_key: tuple[Any, ...] | None = None
        self._layout_value: tuple[list[tuple[QRectF, RackTile]], QRectF, float] = (
            [],
            QRectF(),
            0.0,
        )
        self._color_key: tuple[Any, ...] | None = None
        self._row_labels: list[tuple[QRectF, str]] = []
        self._color_list: list[QColor] = []
        # Every value on the map is old (no collector reports): each tile greys out.
        self.feed_stale = False
        self.setMouseTracking(True)
        self.setMinimumSize(320, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(900, 520)

    def set_data(self, data: FloorMap) -> None:
        same_site = self.data is not None and self.data.site.id == data.site.id
        self.data = data
        self._color_key = None
        if not same_site:
            self._layout_key = None
        self.update()

    def set_feed_stale(self, stale: bool) -> None:
        if stale != self.feed_stale:
            self.feed_stale = stale
            self.update()

    def tile_stale(self, tile: RackTile) -> bool:
        """Whether the tile's value is old: stale wins over the alarm colour for the value."""
        s = tile.summary
        return self.feed_stale or (s is not None and s.values_stale)

    def set_measure(self, measure: str) -> None:
        if measure not in MEASURES:
            raise ValueError(f"floor map measure must be one of {MEASURES}, not {measure!r}")
        self.measure = measure
        self.update()

    def tile_rects(self) -> list[tuple[QRectF, RackTile]]:
        """Where each rack is drawn at the current size."""
        return self._layout()[0]

    def _layout(self) -> tuple[list[tuple[QRectF, RackTile]], QRectF, float]:
        # Geometry depends on the racks, not on their values: a refresh of the same site
        # re-pairs the cached rectangles with the new tiles (same order) instead of recomputing.
        data = self.data
        site = data.site.id if data is not None else None
        ntiles = len(data.tiles) if data is not None else 0
        key = (self.width(), self.height(), site, ntiles, self.scale)
        if self._layout_key != key:
            self._layout_value = self._compute_layout()
            self._layout_key = key
        rects, area, size = self._layout_value
        if data is not None and rects and rects[0][1] is not data.tiles[0]:
            rects = [(r, t) for (r, _old), t in zip(rects, data.tiles, strict=True)]
            self._layout_value = (rects, area, size)
        return rects, area, size

    def _compute_layout(self) -> tuple[list[tuple[QRectF, RackTile]], QRectF, float]:
        data = self.data
        if data is None or not data.tiles:
            return [], QRectF(), 0.0
        legend_w = 110.0 * self.scale
        row_font = QFont(self.font())
        row_font.setBold(True)
        row_font.setPointSizeF(14.0 * self.scale)
        longest = max(data.rows, key=len, default="")
        label_w = QFontMetrics(row_font).horizontalAdvance(longest) + 12.0
        total = QRectF(8, 8, self.width() - 24 - legend_w, self.height() - 16)
        rows = list(data.rows)
        by_row: dict[str, list[RackTile]] = {r: [] for r in rows}
        for t in data.tiles:
            by_row[t.rack.row].append(t)
        # Positions as given; rows whose positions are all 0 are laid out in order.
        cols = 1
        placed: list[tuple[int, int, RackTile]] = []
        for ri, r in enumerate(rows):
            tiles = by_row[r]
            use_pos = all(t.rack.position > 0 for t in tiles) and len(
                {t.rack.position for t in tiles}
            ) == len(tiles)
            for i, t in enumerate(tiles):
                col = t.rack.position - 1 if use_pos else i
                placed.append((ri, col, t))
                cols = max(cols, col + 1)
        nrows = len(rows)
        # Every second gap is a wider aisle, the way cold/hot aisles alternate on a floor.
        gap = 0.35
        # Many rows are wrapped into side-by-side blocks: pick the block count that gives the
        # largest racks (a 700-row site would otherwise be a thin column).
        best_k, size = 1, 0.0
        for k in range(1, nrows + 1):
            per = math.ceil(nrows / k)
            width_k = (total.width() - k * label_w) / (k * cols + 0.6 * (k - 1))
            height_k = total.height() / (per * 1.3 + gap * 1.3 * (per - 1) + 0.0001)
            cand = min(width_k, height_k)
            if cand > size:
                best_k, size = k, cand
            if per == 1:
                break
        # Capped, so a site of four racks does not show four posters.
        size = max(1.0, min(size, 120.0 * self.scale))
        per = math.ceil(nrows / best_k)
        tile_w, tile_h = size * 0.92, size * 1.3 * 0.92
        block_w = label_w + cols * size
        used_w = best_k * block_w + (best_k - 1) * 0.6 * size
        x_start = total.left() + max(0.0, (total.width() - used_w) / 2)
        used_h = per * size * 1.3 + (per - 1) * size * 1.3 * gap
        # On the wall the map sits in the middle of the screen; on a desk it starts at the top.
        y_start = total.top() + (max(0.0, (total.height() - used_h) / 2) if self.scale > 1 else 0.0)
        self._row_labels = []
        out = []
        for ri, col, t in placed:
            block, ri_in = divmod(ri, per)
            bx = x_start + block * (block_w + 0.6 * size)
            y = y_start + ri_in * size * 1.3 * (1 + gap)
            out.append((QRectF(bx + label_w + col * size, y, tile_w, tile_h), t))
        for ri, r in enumerate(rows):
            block, ri_in = divmod(ri, per)
            bx = x_start + block * (block_w + 0.6 * size)
            y = y_start + ri_in * size * 1.3 * (1 + gap)
            self._row_labels.append((QRectF(bx, y - 2, label_w - 6, tile_h + 4), r))
        area = QRectF(x_start, total.top(), used_w, total.height())
        return out, area, size

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        p.fillRect(self.rect(), pal.base())
        text = pal.text().color()
        if self.data is None:
            p.setPen(text)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.tr("Loading floor map…"))
            return
        rects, area, size = self._layout()
        self._rects = rects
        if not rects:
            p.setPen(text)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.tr("This site has no racks"))
            return
        colors = self._colors()
        if size < SMALL_TILE:
            self._paint_small(p, rects, colors, area, size)
            self._legend(
                p,
                QRectF(self.width() - 110 * self.scale, 12, 100 * self.scale, self.height() - 24),
            )
            return
        name_font = QFont(self.font())
        name_font.setPointSizeF(max(6.0, min(11.0 * self.scale, size * 0.16)))
        value_font = QFont(self.font())
        value_font.setBold(True)
        value_font.setPointSizeF(max(6.5, min(14.0 * self.scale, size * 0.22)))
        row_font = QFont(self.font())
        row_font.setBold(True)
        row_font.setPointSizeF(max(7.0, min(14.0 * self.scale, size * 0.25)))
        p.setFont(row_font)
        p.setPen(text)
        for rect, label in self._row_labels:
            p.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
        for (rect, t), fill in zip(rects, colors, strict=True):
            s = t.summary
            state = s.state if s else "unknown"
            border = fill.darker(160)
            width = 1.0
            style = Qt.PenStyle.SolidLine
            if state in ("critical", "warning"):
                border, width = theme.state_color(state), max(2.0, size * 0.06)
            elif state == "unreachable":
                border, width = theme.state_color(state), max(2.0, size * 0.05)
            elif state == "stale":
                border, width, style = theme.state_color(state), 2.0, Qt.PenStyle.DashLine
            stale = self.tile_stale(t)
            if stale:
                # Grey and hatched whatever the value: an old red reading is not a live one.
                fill = QColor(STALE_FILL)
                style = Qt.PenStyle.DashLine
            p.setPen(QPen(border, width, style))
            p.setBrush(fill)
            p.drawRoundedRect(rect, size * 0.06, size * 0.06)
            if stale:
                p.setBrush(QBrush(QColor(STALE_HATCH), Qt.BrushStyle.BDiagPattern))
                p.setPen(Qt.PenStyle.NoPen)
                p.drawRoundedRect(rect, size * 0.06, size * 0.06)
            fg = theme.text_color_for(fill)
            p.setPen(fg)
            name = t.rack.name
            code = self.data.site.code
            if name.startswith(code + "-"):
                name = name[len(code) + 1 :]
            if size > 26:
                p.setFont(name_font)
                p.drawText(
                    rect.adjusted(2, 2, -2, -rect.height() / 2), Qt.AlignmentFlag.AlignCenter, name
                )
                p.setFont(value_font)
                p.drawText(
                    rect.adjusted(2, rect.height() / 2 - 2, -2, -2),
                    Qt.AlignmentFlag.AlignCenter,
                    tile_value(t, self.measure),
                )
            if s is not None and s.devices_unreachable and self.measure != "state":
                # A small corner mark: some device in this rack is not answering.
                mark = QRectF(rect.right() - size * 0.28, rect.top() + 2, size * 0.26, size * 0.26)
                p.setBrush(theme.state_color("unreachable"))
                p.setPen(Qt.PenStyle.NoPen)
                p.drawEllipse(mark)
        self._legend(
            p, QRectF(self.width() - 110 * self.scale, 12, 100 * self.scale, self.height() - 24)
        )

    def _colors(self) -> list[QColor]:
        key = (id(self.data), self.measure)
        if self._color_key != key:
            tiles = self.data.tiles if self.data is not None else ()
            self._color_list = [tile_color(t, self.measure) for t in tiles]
            self._color_key = key
        return self._color_list

    def _paint_small(
        self,
        p: QPainter,
        rects: list[tuple[QRectF, RackTile]],
        colors: list[QColor],
        area: QRectF,
        size: float,
    ) -> None:
        """Thousands of racks: plain filled cells, alarm states as a frame, no text per tile."""
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        frames = {st: theme.state_color(st) for st in ("critical", "warning", "unreachable")}
        for (rect, t), fill in zip(rects, colors, strict=True):
            s = t.summary
            frame = frames.get(s.state) if s is not None else None
            if self.tile_stale(t):
                fill = QColor(STALE_FILL)
            if frame is not None:
                p.fillRect(rect.adjusted(-1, -1, 1, 1), frame)
                p.fillRect(rect.adjusted(1, 1, -1, -1), fill)
            else:
                p.fillRect(rect, fill)
        if size * 1.3 >= 9:
            f = QFont(self.font())
            f.setPointSizeF(max(6.0, size * 0.6))
            p.setFont(f)
            p.setPen(self.palette().text().color())
            for rect, label in self._row_labels:
                p.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)

    def _legend(self, p: QPainter, r: QRectF) -> None:
        text = self.palette().text().color()
        f = QFont(self.font())
        f.setPointSizeF(9.0 * self.scale)
        p.setFont(f)
        p.setPen(text)
        title = {
            "inlet": self.tr("Hottest inlet °C"),
            "power": self.tr("Power % of rated"),
            "state": self.tr("Worst state"),
        }[self.measure]
        # The title wraps inside the legend's column instead of being cut ("Power % of ratec").
        flags = Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap
        box = p.boundingRect(QRectF(r.left(), r.top(), r.width(), 200), flags, title)
        p.drawText(QRectF(r.left(), r.top(), r.width(), box.height() + 2), flags, title)
        top = r.top() + box.height() + 8 * self.scale
        if self.measure == "state":
            names = {
                "ok": self.tr("OK"),
                "unknown": self.tr("unknown"),
                "stale": self.tr("stale"),
                "warning": self.tr("warning"),
                "unreachable": self.tr("unreachable"),
                "critical": self.tr("critical"),
            }
            for i, st in enumerate(reversed(read_common.STATES)):
                y = top + i * 22 * self.scale
                p.setBrush(theme.state_color(st))
                p.setPen(Qt.PenStyle.NoPen)
                p.drawRoundedRect(QRectF(r.left(), y, 16 * self.scale, 16 * self.scale), 3, 3)
                p.setPen(text)
                p.drawText(
                    QRectF(r.left() + 22 * self.scale, y, r.width(), 16 * self.scale),
                    Qt.AlignmentFlag.AlignVCenter,
                    names[st],
                )
            return
        stops = theme.temperature_stops() if self.measure == "inlet" else theme.percent_stops()
        # Room below the bar for "no data" and "device down", so neither is cut off.
        h = max(40.0, min(r.bottom() - top - 62 * self.scale, 260 * self.scale))
        bar = QRectF(r.left(), top, 18 * self.scale, h)
        lo, hi = stops[0][0], stops[-1][0]
        grad = QLinearGradient(bar.bottomLeft(), bar.topLeft())
        for v, c in stops:
            grad.setColorAt((v - lo) / (hi - lo), QColor(c))
        p.setBrush(grad)
        p.setPen(QPen(text, 0.5))
        p.drawRect(bar)
        for v, _c in stops:
            y = bar.bottom() - (v - lo) / (hi - lo) * bar.height()
            p.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 4, y))
            p.drawText(
                QRectF(bar.right() + 6, y - 8 * self.scale, r.width(), 16 * self.scale),
                Qt.AlignmentFlag.AlignVCenter,
                f"{v:g}",
            )
        y = bar.bottom() + 10 * self.scale
        p.setBrush(QColor("#9aa1ab"))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawRoundedRect(QRectF(r.left(), y, 16 * self.scale, 14 * self.scale), 3, 3)
        p.setPen(text)
        p.drawText(
            QRectF(r.left() + 22 * self.scale, y, r.width(), 14 * self.scale),
            Qt.AlignmentFlag.AlignVCenter,
            self.tr("no data"),
        )
        y += 20 * self.scale
        p.setBrush(theme.state_color("unreachable"))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(QRectF(r.left() + 2, y + 1, 12 * self.scale, 12 * self.scale))
        p.setPen(text)
        p.drawText(
            QRectF(r.left() + 22 * self.scale, y, r.width(), 14 * self.scale),
            Qt.AlignmentFlag.AlignVCenter,
            self.tr("device down"),
        )

    def tile_at(self, pos: QPointF) -> RackTile | None:
        for rect, t in self._rects or self.tile_rects():
            if rect.contains(pos):
                return t
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        t = self.tile_at(event.position())
        if t is not None:
            self.rack_clicked.emit(t.rack.id)

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.ToolTip and isinstance(e, QHelpEvent):
            t = self.tile_at(QPointF(e.pos()))
            if t is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(e.globalPos(), self.tooltip(t), self)
            return True
        return super().event(e)

    def tooltip(self, t: RackTile) -> str:
        s = t.summary
        lines = [
            f"<b>{t.rack.name}</b>",
            self.tr("Row %1, position %2")
            .replace("%1", t.rack.row)
            .replace("%2", str(t.rack.position)),
        ]
        if s is not None:
            lines.append(self.tr("State: %1").replace("%1", s.state))
            lines.append(self.tr("Hottest inlet: %1 °C").replace("%1", fmt.number(s.inlet_c)))
            pw = self.tr("Power: %1 kW").replace("%1", fmt.kw(s.power_w))
            if t.rack.rated_power_w:
                pct = t.power_pct
                pw += (
                    self.tr(" of %1 kW (%2 %)")
                    .replace("%1", fmt.kw(t.rack.rated_power_w))
                    .replace("%2", "—" if pct is None else f"{pct:.0f}")
                )
            lines.append(pw)
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
            if s.newest_ts is not None and self.data is not None:
                lines.append(
                    self.tr("Last reading %1 ago").replace(
                        "%1", fmt.age(self.data.loaded_ts - s.newest_ts)
                    )
                )
        lines.append(f"<i>{self.tr('Click to open the rack')}</i>")
        return "<br>".join(lines)


class FloorPanel(QWidget):
    """Site chooser + measure chooser + the map; reads one site at a time."""

    rack_chosen = Signal(int)
    wall_requested = Signal()

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.site_id: int | None = None
        self.loaded_site: int | None = None
        self.sites = QComboBox(self)
        self.sites.setMinimumContentsLength(24)
        self.measure = QComboBox(self)
        for key, label in (
            ("inlet", self.tr("Hottest inlet")),
            ("power", self.tr("Power % of rated")),
            ("state", self.tr("Alarm state")),
        ):
            self.measure.addItem(label, key)
        self.wall_btn = QPushButton(self.tr("Wall mode"), self)
        self.wall_btn.setToolTip(self.tr("Full screen, large type, cycling through sites (F11)"))
        self.wall_btn.clicked.connect(self.wall_requested)
        self.summary = QLabel(self)
        self.map = FloorMapWidget(self)
        self.map.rack_clicked.connect(self.rack_chosen)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(self.tr("Site"), self))
        bar.addWidget(self.sites)
        bar.addSpacing(12)
        bar.addWidget(QLabel(self.tr("Colour by"), self))
        bar.addWidget(self.measure)
        bar.addStretch(1)
        bar.addWidget(self.wall_btn)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(bar)
        lay.addWidget(self.summary)
        lay.addWidget(self.map, 1)
        self.sites.currentIndexChanged.connect(self._site_changed)
        self.measure.currentIndexChanged.connect(
            lambda _i: self.map.set_measure(str(self.measure.currentData()))
        )
        ctx.loader.loaded.connect(self._loaded)

    def set_sites(self, sites: tuple[SiteInfo, ...]) -> None:
        current = self.site_id
        self.sites.blockSignals(True)
        self.sites.clear()
        for s in sites:
            self.sites.addItem(f"{s.code} — {s.name}", s.id)
        self.sites.blockSignals(False)
        if sites:
            known = {s.id for s in sites}
            target = current if current in known else sites[0].id
            self.show_site(target)

    def show_site(self, site_id: int) -> None:
        i = self.sites.findData(site_id)
        if i >= 0 and i != self.sites.currentIndex():
            self.sites.setCurrentIndex(i)
            return
        self.site_id = site_id
        self.refresh()

    def set_measure(self, measure: str) -> None:
        i = self.measure.findData(measure)
        if i >= 0:
            self.measure.setCurrentIndex(i)

    def _site_changed(self, _i: int) -> None:
        sid = self.sites.currentData()
        if sid is not None:
            self.site_id = int(sid)
            self.loaded_site = None
            self.refresh()

    def refresh(self) -> None:
        if self.site_id is None:
            return
        sid, engine = self.site_id, self.ctx.engine
        self.ctx.loader.submit("floor", lambda: read_status.floor_map(engine, sid))

    @property
    def ready(self) -> bool:
        return self.site_id is not None and self.loaded_site == self.site_id

    def _loaded(self, key: str, result: object) -> None:
        if key != "floor":
            return
        assert isinstance(result, FloorMap)
        if result.site.id != self.site_id:
            return
        self.map.set_data(result)
        self.loaded_site = result.site.id
        self.summary.setText(floor_summary(self, result))


def floor_summary(w: QWidget, fm: FloorMap) -> str:
    sums = [t.summary for t in fm.tiles if t.summary is not None]
    kw_total = sum(s.power_w or 0.0 for s in sums) / 1000
    hottest = max((s.inlet_c for s in sums if s.inlet_c is not None), default=None)
    down = sum(s.devices_unreachable for s in sums)
    crit = sum(1 for s in sums if s.state == "critical")
    warn = sum(1 for s in sums if s.state == "warning")
    return (
        # One context whichever widget (floor panel, wall) shows the line.
        QCoreApplication.translate(
            "FloorPanel",
            "%1 racks · %2 kW · hottest inlet %3 °C · %4 racks critical, %5 warning · "
            "%6 devices down · local time %7",
        )
        .replace("%1", str(len(fm.tiles)))
        .replace("%2", f"{kw_total:,.1f}")
        .replace("%3", fmt.number(hottest))
        .replace("%4", str(crit))
        .replace("%5", str(warn))
        .replace("%6", str(down))
        .replace("%7", fmt.local_time(time.time(), fm.site.tz, with_date=False))
    )
