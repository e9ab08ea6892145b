"""The technician's rack view: U-by-U elevation, PDU phases and outlets, sensor table, actions."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableView,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from models import collector_requests, staleness
from models.read import racks as read_racks
from models.read.racks import DeviceSlot, PduLoad, RackContents, SeriesRow
from ui import fmt, theme
from ui.context import Context
from ui.spans import DEFAULT_SPAN
from ui.table_model import RowTableModel

if TYPE_CHECKING:
    from ui.plots import PlotPanel

AnyIndex = QModelIndex | QPersistentModelIndex


class RackElevation(QWidget):
    """Front elevation: one band per U, devices drawn at their position and height."""

    device_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.contents: RackContents | None = None
        self.selected: int | None = None
        self.now = int(time.time())
        self.setMouseTracking(True)
        self.setMinimumWidth(260)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self._boxes: list[tuple[QRectF, DeviceSlot]] = []
        self._prefix = ""

    def sizeHint(self) -> QSize:
        return QSize(320, 42 * 16 + 40)

    def set_contents(self, contents: RackContents, now: int) -> None:
        self.contents = contents
        self._prefix = fmt.common_prefix([d.name for d in contents.devices])
        self.now = now
        self.update()

    def device_rect(self, device_id: int) -> QRectF | None:
        if not self._boxes:
            self.grab()  # lays the boxes out at the current size
        for rect, dev in self._boxes:
            if dev.id == device_id:
                return rect
        return None

    def _geometry(self) -> tuple[QRectF, float, int]:
        height_u = self.contents.rack.height_u if self.contents else 42
        margin_top, margin_bottom = 24.0, 8.0
        frame = QRectF(
            34.0, margin_top, self.width() - 34.0 - 46.0, self.height() - margin_top - margin_bottom
        )
        u_px = frame.height() / max(1, height_u)
        return frame, u_px, height_u

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        dark = theme.is_dark()
        frame, u_px, height_u = self._geometry()
        p.fillRect(self.rect(), pal.base())
        self._boxes = []
        if self.contents is None:
            p.setPen(pal.text().color())
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.tr("No rack selected"))
            return
        title = QFont(self.font())
        title.setBold(True)
        p.setFont(title)
        p.setPen(pal.text().color())
        p.drawText(
            QRectF(0, 0, self.width(), 22),
            Qt.AlignmentFlag.AlignCenter,
            self.tr("%1 — front").replace("%1", self.contents.rack.name),
        )
        # Rails and empty slots.
        p.fillRect(
            frame.adjusted(-6, -2, 6, 2), QColor("#2a2d33") if not dark else QColor("#0f1114")
        )
        p.fillRect(frame, QColor("#3a3e46") if not dark else QColor("#1b1e23"))
        small = QFont(self.font())
        small.setPointSizeF(max(6.0, min(9.0, u_px * 0.55)))
        p.setFont(small)
        p.setPen(QPen(QColor("#4a4f59"), 0.5))
        for u in range(1, height_u + 1):
            y = frame.bottom() - u * u_px
            p.drawLine(QPointF(frame.left(), y), QPointF(frame.right(), y))
        p.setPen(pal.text().color())
        for u in range(1, height_u + 1):
            if u_px >= 11 or u % 2 == 1:
                y = frame.bottom() - u * u_px
                p.drawText(
                    QRectF(0, y, 28, u_px),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    str(u),
                )
        # Devices.
        label_font = QFont(self.font())
        label_font.setPointSizeF(max(6.5, min(9.5, u_px * 0.6)))
        zero_u = [d for d in self.contents.devices if d.u_position is None]
        for dev in self.contents.devices:
            if dev.u_position is None:
                continue
            top_u = dev.u_position + max(1, dev.u_height) - 1
            rect = QRectF(
                frame.left() + 2,
                frame.bottom() - top_u * u_px + 1,
                frame.width() - 4,
                max(1, dev.u_height) * u_px - 2,
            )
            self._paint_device(p, rect, dev, label_font)
            self._boxes.append((rect, dev))
        # 0U devices (PDUs) as vertical strips at the right.
        for i, dev in enumerate(zero_u[:3]):
            rect = QRectF(frame.right() + 10 + i * 12, frame.top(), 10, frame.height())
            self._paint_device(p, rect, dev, label_font, vertical=True)
            self._boxes.append((rect, dev))

    def _paint_device(
        self, p: QPainter, rect: QRectF, dev: DeviceSlot, font: QFont, vertical: bool = False
    ) -> None:
        s = dev.status
        state = s.state if s else "unknown"
        # Old values are grey even when an alarm is open on the device (stale wins the colour).
        old = state in ("unreachable", "stale") or (s is not None and s.values_stale)
        if s is not None and s.inlet_c is not None and not old:
            fill = theme.temperature_color(s.inlet_c)
        elif old:
            fill = QColor("#5d5a66")
        else:
            fill = QColor("#8c96a3") if dev.kind != "pdu" else QColor("#6f7a86")
        p.setBrush(fill)
        border = theme.state_color(state) if state not in ("ok", "unknown") else fill.darker(150)
        width = 2.5 if state in ("critical", "warning", "unreachable", "stale") else 1.0
        if dev.id == self.selected:
            border, width = QColor("#2f8cff"), 3.0
        pen = QPen(border, width)
        if state == "stale" or old:
            pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawRoundedRect(rect, 2, 2)
        if state == "unreachable":
            p.setBrush(QBrush(QColor(255, 255, 255, 60), Qt.BrushStyle.BDiagPattern))
            p.setPen(Qt.PenStyle.NoPen)
            p.drawRoundedRect(rect, 2, 2)
        if vertical:
            return
        p.setFont(font)
        p.setPen(theme.text_color_for(fill))
        name = dev.name
        if self._prefix and name.startswith(self._prefix):
            name = name[len(self._prefix) :]
        right = ""
        if s is not None and s.inlet_c is not None:
            right = f"{s.inlet_c:.1f} °C"
        if state == "unreachable":
            right = "✕ " + self.tr("unreachable")
        elif state == "stale":
            right = self.tr("stale")
        inner = rect.adjusted(6, 0, -6, 0)
        p.drawText(inner, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        p.drawText(inner, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, right)

    def _hit(self, pos: QPointF) -> DeviceSlot | None:
        for rect, dev in self._boxes:
            if rect.contains(pos):
                return dev
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        dev = self._hit(event.position())
        if dev is not None:
            self.selected = dev.id
            self.update()
            self.device_clicked.emit(dev.id)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        dev = self._hit(event.position())
        if dev is None:
            QToolTip.hideText()
            return
        s = dev.status
        lines = [f"<b>{dev.name}</b>", f"{dev.model} · {dev.kind}"]
        if dev.u_position is not None:
            lines.append(
                self.tr("U%1, %2 U high")
                .replace("%1", str(dev.u_position))
                .replace("%2", str(dev.u_height))
            )
        if dev.address:
            lines.append(f"{dev.protocol} {dev.address}")
        if s is not None:
            lines.append(self.tr("State: %1").replace("%1", s.state))
            if s.inlet_c is not None:
                lines.append(self.tr("Inlet %1 °C").replace("%1", f"{s.inlet_c:.1f}"))
            if s.power_w is not None:
                lines.append(self.tr("Power %1 W").replace("%1", f"{s.power_w:.0f}"))
            if s.newest_ts is not None:
                lines.append(
                    self.tr("Last reading %1 ago").replace("%1", fmt.age(self.now - s.newest_ts))
                )
        if dev.error:
            lines.append(f"<span style='color:#d9372b'>{dev.error}</span>")
        QToolTip.showText(event.globalPosition().toPoint(), "<br>".join(lines), self)


class PduPanel(QWidget):
    """Per-phase current against the breaker (with its warning-level line) and outlet power."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pdus: tuple[PduLoad, ...] = ()
        self._label_w = 44.0
        self.now = 0
        self.stale: dict[int, bool] = {}
        self.setMinimumHeight(120)

    def set_pdus(
        self, pdus: tuple[PduLoad, ...], now: int = 0, stale: dict[int, bool] | None = None
    ) -> None:
        """stale: PDU device id -> True when its values are too old or it is unreachable."""
        self.pdus = pdus
        self.now = now
        self.stale = stale or {}
        self.setMinimumHeight(self._needed_height())
        self.updateGeometry()
        self.update()

    def _needed_height(self) -> int:
        h = 8
        for pdu in self.pdus:
            h += 26 + 22 * max(1, len(pdu.phases)) + (58 if pdu.outlets else 0) + 10
        return max(h, 60)

    def sizeHint(self) -> QSize:
        return QSize(360, self._needed_height())

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.text().color()
        p.fillRect(self.rect(), pal.base())
        if not self.pdus:
            p.setPen(text)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.tr("No PDU in this rack"))
            return
        bold = QFont(self.font())
        bold.setBold(True)
        y = 8.0
        w = self.width() - 16.0
        labels = [ph.label for pdu in self.pdus for ph in pdu.phases] or [""]
        fm = self.fontMetrics()
        self._label_w = float(min(max(fm.horizontalAdvance(t) for t in labels) + 10, w * 0.3))
        self._label_w = max(self._label_w, 40.0)
        for pdu in self.pdus:
            p.setFont(bold)
            p.setPen(text)
            head = pdu.name
            if pdu.feed:
                head += "  " + self.tr("feed %1").replace("%1", pdu.feed)
            if self.stale.get(pdu.device_id):
                head += "  — " + self.tr("values are stale")
            p.drawText(
                QRectF(8, y, w, 20),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                head,
            )
            p.setFont(self.font())
            total = self.tr("%1 kW").replace("%1", fmt.kw(pdu.total_w))
            if pdu.breaker_a:
                total += "  ·  " + self.tr("breaker %1 A").replace("%1", f"{pdu.breaker_a:g}")
            p.drawText(
                QRectF(8, y, w, 20),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                total,
            )
            y += 26
            for ph in pdu.phases or ():
                self._bar(
                    p,
                    QRectF(8, y, w, 18),
                    ph.label,
                    ph.value,
                    ph.limit,
                    "A",
                    stale=self.stale.get(pdu.device_id, False),
                    warning=ph.warning,
                )
                y += 22
            if pdu.outlets:
                self._outlets(p, QRectF(8, y + 4, w, 50), pdu)
                y += 58
            y += 10

    def _bar(
        self,
        p: QPainter,
        r: QRectF,
        label: str,
        value: float | None,
        limit: float | None,
        unit: str,
        stale: bool = False,
        warning: float | None = None,
    ) -> None:
        text = self.palette().text().color()
        if stale:
            # Old numbers must not look current: grey bars, and the value says so.
            text = QColor("#8a8f98")
        label_w = self._label_w
        value_w = 140.0
        bar = QRectF(r.left() + label_w, r.top() + 2, r.width() - label_w - value_w, r.height() - 4)
        p.setPen(text)
        shown = self.fontMetrics().elidedText(label, Qt.TextElideMode.ElideRight, int(label_w) - 6)
        p.drawText(
            QRectF(r.left(), r.top(), label_w, r.height()), Qt.AlignmentFlag.AlignVCenter, shown
        )
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(128, 128, 128, 70))
        p.drawRoundedRect(bar, 3, 3)
        if value is not None and limit:
            pct = value / limit * 100.0
            fill = QRectF(bar.left(), bar.top(), bar.width() * min(1.0, pct / 100.0), bar.height())
            p.setBrush(QColor("#9aa1ab") if stale else theme.percent_color(pct))
            p.drawRoundedRect(fill, 3, 3)
            # The series' warning level (the continuous-load limit the alarm engine applies).
            if warning is not None and 0 < warning <= limit:
                x = bar.left() + bar.width() * warning / limit
                p.setPen(QPen(QColor("#d9372b"), 1.5, Qt.PenStyle.DashLine))
                p.drawLine(QPointF(x, bar.top() - 2), QPointF(x, bar.bottom() + 2))
            p.setPen(text)
            p.drawText(
                QRectF(bar.right() + 6, r.top(), value_w - 6, r.height()),
                Qt.AlignmentFlag.AlignVCenter,
                f"{value:.1f} / {limit:g} {unit}  ({pct:.0f} %)"
                + (" " + self.tr("stale") if stale else ""),
            )
        else:
            p.setPen(text)
            p.drawText(
                QRectF(bar.right() + 6, r.top(), value_w - 6, r.height()),
                Qt.AlignmentFlag.AlignVCenter,
                fmt.value_with_unit(value, unit),
            )

    def _outlets(self, p: QPainter, r: QRectF, pdu: PduLoad) -> None:
        text = self.palette().text().color()
        vals = [o.value or 0.0 for o in pdu.outlets]
        top = max(vals) if vals and max(vals) > 0 else 1.0
        n = len(pdu.outlets)
        bw = min(26.0, (r.width() - 44) / max(1, n))
        p.setPen(text)
        small = QFont(self.font())
        small.setPointSizeF(max(6.5, self.font().pointSizeF() - 1.5))
        p.setFont(small)
        p.drawText(
            QRectF(r.left(), r.top(), 44, 14), Qt.AlignmentFlag.AlignLeft, self.tr("Outlets")
        )
        p.drawText(
            QRectF(r.left(), r.top() + 14, 44, 14),
            Qt.AlignmentFlag.AlignLeft,
            f"≤{top:.0f} {pdu.outlets[0].unit}",
        )
        for i, o in enumerate(pdu.outlets):
            h = (r.height() - 14) * ((o.value or 0.0) / top)
            x = r.left() + 44 + i * bw
            bar = QRectF(x + 1, r.bottom() - 14 - h, bw - 2, h)
            p.fillRect(bar, QColor("#4f8fd6") if o.value is not None else QColor("#999999"))
            p.setPen(text)
            num = "".join(ch for ch in o.label if ch.isdigit()) or o.label[:3]
            p.drawText(QRectF(x, r.bottom() - 13, bw, 13), Qt.AlignmentFlag.AlignCenter, num)


class SensorModel(RowTableModel):
    """Every series of the selected device: value, unit, age, thresholds, state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: tuple[SeriesRow, ...] = ()
        self.now = int(time.time())
        self.stale_after = 180
        self.headers = [
            self.tr("Sensor"),
            self.tr("Value"),
            self.tr("Unit"),
            self.tr("Age"),
            self.tr("Warning"),
            self.tr("Critical"),
            self.tr("State"),
        ]

    def set_rows(self, rows: tuple[SeriesRow, ...], now: int, stale_after: int) -> None:
        self.beginResetModel()
        self.rows, self.now, self.stale_after = rows, now, stale_after
        self.endResetModel()

    def state(self, r: SeriesRow) -> str:
        if r.status in ("stale", "unreachable"):
            return r.status
        if r.ts is None:
            return "unknown"
        if self.now - r.ts > (r.stale_after_s or self.stale_after):
            return "stale"
        v = r.value
        if v is not None:
            ch, wh = r.crit_high, r.warn_high
            if (ch is not None and v >= ch) or (r.crit_low is not None and v <= r.crit_low):
                return "critical"
            if (wh is not None and v >= wh) or (r.warn_low is not None and v <= r.warn_low):
                return "warning"
        return "ok"

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        c = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if c == 0:
                return fmt.series_label(r.metric, r.channel, r.role)
            if c == 1:
                return (
                    fmt.number(r.value, fmt.digits_for(r.value, r.unit))
                    if r.value is not None
                    else "—"
                )
            if c == 2:
                return r.unit
            if c == 3:
                return fmt.age(None if r.ts is None else self.now - r.ts)
            if c == 4:
                return _limits(r.warn_low, r.warn_high)
            if c == 5:
                return _limits(r.crit_low, r.crit_high)
            if c == 6:
                return fmt.state_name(self.state(r))
        if role == Qt.ItemDataRole.ForegroundRole:
            st = self.state(r)
            if c in (1, 6) and st != "ok":
                return QBrush(theme.state_color(st))
            if st in ("stale", "unreachable", "unknown"):
                return QBrush(QColor("#8a8f98"))
        if role == Qt.ItemDataRole.FontRole and self.state(r) in ("stale", "unreachable"):
            f = QFont()
            f.setItalic(True)
            return f
        if role == Qt.ItemDataRole.TextAlignmentRole and c in (1, 3, 4, 5):
            return theme.ALIGN_RIGHT
        if role == Qt.ItemDataRole.UserRole:
            return r.id
        return None


def _limits(low: float | None, high: float | None) -> str:
    if low is None and high is None:
        return ""
    if low is None:
        return f"> {_short(high)}"
    if high is None:
        return f"< {_short(low)}"
    return f"{_short(low)} … {_short(high)}"


def _short(value: float | None) -> str:
    # Converted limits such as 80.6 °F come out as 27.2222 °C: two decimals are plenty.
    return "" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


class RackView(QWidget):
    """Elevation + PDUs + sensor table + plots for one rack; reads only this rack."""

    device_selected = Signal(int)
    message = Signal(str)

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.rack_id: int | None = None
        self.device_id: int | None = None
        self.contents: RackContents | None = None
        self.loaded_rack: int | None = None
        self.loaded_device: int | None = None

        self.title = QLabel(self.tr("Choose a rack in the tree, the floor map or an alarm"), self)
        f = self.title.font()
        f.setPointSizeF(f.pointSizeF() * 1.3)
        f.setBold(True)
        self.title.setFont(f)
        self.subtitle = QLabel(self)
        self.poll_btn = QPushButton(self.tr("Poll now"), self)
        self.poll_btn.setToolTip(
            self.tr(
                "Ask the collector to poll the selected device (or the whole rack) now (Ctrl+P)"
            )
        )
        self.focus_btn = QPushButton(self.tr("Focus this rack"), self)
        self.focus_btn.setToolTip(self.tr("Poll this rack every 10 s for the next 30 minutes"))
        self.poll_btn.clicked.connect(self.poll_now)
        self.focus_btn.clicked.connect(self.focus_rack)
        for b in (self.poll_btn, self.focus_btn):
            b.setEnabled(False)

        self.elevation = RackElevation(self)
        self.elevation.device_clicked.connect(self.select_device)
        self.pdus = PduPanel(self)
        pdu_scroll = QScrollArea(self)
        pdu_scroll.setWidgetResizable(True)
        pdu_scroll.setWidget(self.pdus)
        pdu_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.sensor_title = QLabel(self.tr("Sensors"), self)
        self.sensor_model = SensorModel(self)
        self.sensors = QTableView(self)
        self.sensors.setModel(self.sensor_model)
        self.sensors.setObjectName("sensorTable")
        self.sensors.verticalHeader().setVisible(False)
        self.sensors.verticalHeader().setDefaultSectionSize(22)
        self.sensors.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.sensors.setAlternatingRowColors(True)
        self.sensors.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.sensors.doubleClicked.connect(self._plot_sensor)
        # pyqtgraph costs ~0.4 s to import: the plot is built when a rack is first shown, so the
        # window paints sooner.
        self._plot: PlotPanel | None = None
        self.initial_span = DEFAULT_SPAN
        self._plot_holder = QWidget(self)
        holder = QVBoxLayout(self._plot_holder)
        holder.setContentsMargins(0, 0, 0, 0)

        head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        head.addLayout(titles, 1)
        head.addWidget(self.poll_btn)
        head.addWidget(self.focus_btn)

        right = QSplitter(Qt.Orientation.Vertical, self)
        pdu_box = QWidget(right)
        pl = QVBoxLayout(pdu_box)
        pl.setContentsMargins(0, 0, 0, 0)
        lbl = QLabel(self.tr("Power distribution"), pdu_box)
        lbl.setObjectName("sectionTitle")
        pl.addWidget(lbl)
        pl.addWidget(pdu_scroll)
        sens_box = QWidget(right)
        sl = QVBoxLayout(sens_box)
        sl.setContentsMargins(0, 0, 0, 0)
        self.sensor_title.setObjectName("sectionTitle")
        sl.addWidget(self.sensor_title)
        sl.addWidget(self.sensors)
        right.addWidget(pdu_box)
        right.addWidget(sens_box)
        from ui.power_truth import PowerTruthPanel

        self.power_truth = PowerTruthPanel(ctx, right)
        right.addWidget(self.power_truth)
        right.setSizes([190, 130, 340])
        top = QSplitter(Qt.Orientation.Horizontal, self)
        top.addWidget(self.elevation)
        top.addWidget(right)
        top.setStretchFactor(0, 2)
        top.setStretchFactor(1, 3)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self._plot_holder)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([420, 320])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(head)
        lay.addWidget(self.splitter, 1)
        ctx.loader.loaded.connect(self._loaded)

    @property
    def has_plot(self) -> bool:
        return self._plot is not None

    @property
    def plot(self) -> PlotPanel:
        if self._plot is None:
            from ui.plots import PlotPanel

            self._plot = PlotPanel(self.ctx, self._plot_holder)
            self._plot.set_span(self.initial_span)
            layout = self._plot_holder.layout()
            assert layout is not None
            layout.addWidget(self._plot)
        return self._plot

    # -- loading --------------------------------------------------------------------------

    def show_rack(self, rack_id: int, device_id: int | None = None) -> None:
        changed = rack_id != self.rack_id
        self.rack_id = rack_id
        if changed:
            self.device_id = device_id
            self.elevation.selected = device_id
            self.loaded_rack = None
            self.plot.show_rack(rack_id)
        elif device_id is not None:
            self.select_device(device_id)
        self.poll_btn.setEnabled(True)
        self.focus_btn.setEnabled(True)
        self.refresh()

    def refresh(self) -> None:
        if self.rack_id is None:
            return
        rid, engine = self.rack_id, self.ctx.engine

        def read() -> tuple[int, RackContents, tuple[PduLoad, ...], int]:
            now = int(time.time())
            return (
                rid,
                read_racks.rack_contents(engine, rid, now),
                read_racks.pdu_loads(engine, rid),
                now,
            )

        self.ctx.loader.submit("rack.contents", read)
        self.power_truth.show_rack(rid)
        if self.device_id is not None:
            self._load_sensors(self.device_id)

    def _load_sensors(self, device_id: int) -> None:
        engine = self.ctx.engine
        self.ctx.loader.submit(
            "rack.sensors",
            lambda: (device_id, read_racks.device_series(engine, device_id), int(time.time())),
        )

    def select_device(self, device_id: int) -> None:
        self.device_id = device_id
        self.elevation.selected = device_id
        self.elevation.update()
        self._load_sensors(device_id)
        self.device_selected.emit(device_id)

    def _loaded(self, key: str, result: object) -> None:
        if key == "rack.contents":
            rid, contents, pdus, now = cast(
                tuple[int, RackContents, tuple[PduLoad, ...], int], result
            )
            if rid != self.rack_id:
                return
            self.contents = contents
            self.plot.set_zone(contents.site.tz)
            self.elevation.set_contents(contents, now)
            states = {d.id: d.status.state if d.status else "unknown" for d in contents.devices}
            self.pdus.set_pdus(
                pdus,
                now,
                {p.device_id: states.get(p.device_id) in ("stale", "unreachable") for p in pdus},
            )
            r, s = contents.rack, contents.site
            self.title.setText(f"{r.name}")
            sm = contents.summary
            parts = [
                f"{s.code} — {s.name}",
                self.tr("row %1, position %2")
                .replace("%1", r.row or "?")
                .replace("%2", str(r.position)),
            ]
            if sm is not None:
                parts.append(
                    self.tr("%1 kW").replace("%1", fmt.kw(sm.power_w))
                    + (
                        self.tr(" of %1 kW rated").replace("%1", fmt.kw(r.rated_power_w))
                        if r.rated_power_w
                        else ""
                    )
                )
                if sm.inlet_c is not None:
                    parts.append(self.tr("hottest inlet %1 °C").replace("%1", f"{sm.inlet_c:.1f}"))
                if sm.devices_unreachable:
                    parts.append(self.tr("%n unreachable", "", sm.devices_unreachable))
            self.subtitle.setText("  ·  ".join(parts))
            self.loaded_rack = rid
            if self.device_id is None:
                first = next((d for d in contents.devices if d.kind == "server"), None)
                if first is not None:
                    self.select_device(first.id)
        elif key == "rack.sensors":
            did, rows, now = cast(tuple[int, tuple[SeriesRow, ...], int], result)
            if did != self.device_id:
                return
            interval = 60
            name = ""
            if self.contents is not None:
                for d in self.contents.devices:
                    if d.id == did:
                        interval, name = d.poll_interval_s, d.name
            # Rows carry their own stale horizon; this covers rows no collector decided yet.
            self.sensor_model.set_rows(rows, now, staleness.stale_intervals() * interval)
            self.sensors.resizeColumnsToContents()
            self.sensors.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            name = name or (rows[0].device_name if rows else str(did))
            self.sensor_title.setText(self.tr("Sensors of %1").replace("%1", name))
            self.loaded_device = did
            self.plot.set_device(did, name, rows)

    @property
    def ready(self) -> bool:
        return (
            self.rack_id is not None
            and self.loaded_rack == self.rack_id
            and (self.device_id is None or self.loaded_device == self.device_id)
            and self.power_truth.ready
            and self.plot.ready
        )

    def _plot_sensor(self, index: QModelIndex) -> None:
        row = self.sensor_model.rows[index.row()]
        self.plot.show_series([row])

    # -- actions --------------------------------------------------------------------------

    def poll_now(self) -> None:
        if self.rack_id is None:
            return
        engine, user = self.ctx.engine, self.ctx.user
        did, rid = self.device_id, self.rack_id
        if did is not None:
            self.ctx.loader.submit(
                "action.poll",
                lambda: collector_requests.request_poll_now(engine, device_id=did, user=user),
            )
            name = next(
                (d.name for d in (self.contents.devices if self.contents else ()) if d.id == did),
                str(did),
            )
            self.message.emit(self.tr("Poll requested for %1").replace("%1", name))
        else:
            self.ctx.loader.submit(
                "action.poll",
                lambda: collector_requests.request_poll_now(engine, rack_id=rid, user=user),
            )
            self.message.emit(self.tr("Poll requested for the rack"))

    def focus_rack(self) -> None:
        if self.rack_id is None:
            return
        engine, user, rid = self.ctx.engine, self.ctx.user, self.rack_id
        self.ctx.loader.submit(
            "action.focus", lambda: collector_requests.request_focus(engine, rid, user=user)
        )
        self.message.emit(self.tr("Rack focused: polled every 10 s for 30 minutes"))
