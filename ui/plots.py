"""History plots (pyqtgraph): site time zone axis, presets, live follow, bands, thresholds."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLocale, QPointF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QIcon, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from models.read import racks as read_racks
from models.read.racks import SeriesRow
from models.store.samples import History, history
from ui import fmt, theme
from ui.context import Context
from ui.spans import DEFAULT_SPAN, PRESETS, span_label

MAX_POINTS = 2000
# Bands make a plot unreadable beyond a handful of curves (and cost paint time).
BAND_LIMIT = 8


def _swatch(color: QColor) -> QIcon:
    pm = QPixmap(24, 24)
    pm.setDevicePixelRatio(2.0)
    pm.fill(color)
    return QIcon(pm)


def threshold_levels(rows: tuple[SeriesRow, ...]) -> list[tuple[str, float]]:
    """One line per kind: the lowest upper and the highest lower limit among the series."""
    out: list[tuple[str, float]] = []
    for kind, values, pick in (
        ("warning", [r.warn_high for r in rows], min),
        ("critical", [r.crit_high for r in rows], min),
        ("warning", [r.warn_low for r in rows], max),
        ("critical", [r.crit_low for r in rows], max),
    ):
        present = [v for v in values if v is not None]
        if present:
            out.append((kind, pick(present)))
    return out


class TzAxis(pg.DateAxisItem):
    """A date axis showing wall-clock time of the site's zone (offset taken at load time)."""

    def __init__(self, tz: str = "UTC") -> None:
        super().__init__(orientation="bottom")
        self.set_zone(tz)

    def set_zone(self, tz: str, at: float | None = None) -> None:
        zone = fmt.zone(tz)
        when = dt.datetime.fromtimestamp(at or time.time(), zone)
        off = when.utcoffset() or dt.timedelta(0)
        self.tz = tz
        self.utcOffset = -int(off.total_seconds())
        self.setLabel(tz)
        self.picture = None
        self.update()

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        """pyqtgraph writes day and month names with C strftime; say them in the UI language."""
        out = super().tickStrings(values, scale, spacing)
        names = _calendar_names()
        if not names:
            return list(out)
        return [" ".join(names.get(w, w) for w in str(t).split(" ")) for t in out]

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[Any]:
        """pyqtgraph's ticks without labels that would touch another ("Nov" and "03" side
        by side at a month boundary of a 30- or 90-day plot); coarser ticks win."""
        levels = super().tickValues(minVal, maxVal, size)
        if size <= 0 or maxVal <= minVal:
            return cast(list[Any], levels)
        # About one label's width (a date such as "11-03" or "Nov") in axis units.
        room = (maxVal - minVal) / size * self._label_px()
        kept: list[float] = []
        out: list[Any] = []
        for spacing, values in levels:
            mine: list[float] = []
            # Also within one level: at a narrow width pyqtgraph's 5-day ticks overlap too.
            for v in sorted(values):
                if all(abs(v - k) >= room for k in kept):
                    kept.append(v)
                    mine.append(v)
            out.append((spacing, mine))
        return out

    def _label_px(self) -> float:
        font = self.style.get("tickFont") or self.font()
        return float(QFontMetrics(font).horizontalAdvance("00:00") * 1.6)


@dataclass(frozen=True)
class PlotData:
    token: tuple[Any, ...]
    rows: tuple[SeriesRow, ...]
    hist: dict[int, History]
    start: int
    end: int


class PlotPanel(QWidget):
    """One plot with its controls; shows rack-wide or device series over a chosen window."""

    loaded_signal = Signal()

    MODES = ("rack_inlet", "rack_power", "rack_current", "device_temp", "device_power", "series")

    def __init__(
        self, ctx: Context | None, parent: QWidget | None = None, *, static: bool = False
    ) -> None:
        """static: no controls and no loading (the snapshot report draws given data with it)."""
        super().__init__(parent)
        self.ctx = ctx
        self.rack_id: int | None = None
        self.device_id: int | None = None
        self.device_name = ""
        self.device_rows: tuple[SeriesRow, ...] = ()
        self.explicit: tuple[SeriesRow, ...] = ()
        self.tz = "UTC"
        self.span = DEFAULT_SPAN
        self.view_start: int | None = None
        self.view_end: int | None = None
        self.data: PlotData | None = None
        self._token: tuple[Any, ...] | None = None
        self._curves: dict[int, pg.PlotDataItem] = {}
        self._bands: list[Any] = []
        self._lines: list[pg.InfiniteLine] = []
        self._arrays: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._levels: list[float] = []
        self._prefix = ""
        self._loading_tail = False

        self.mode = QComboBox(self)
        for key, label in (
            ("rack_inlet", self.tr("Rack: inlet temperatures")),
            ("rack_power", self.tr("Rack: PDU power")),
            ("rack_current", self.tr("Rack: PDU phase currents")),
            ("device_temp", self.tr("Device: temperatures")),
            ("device_power", self.tr("Device: power")),
        ):
            self.mode.addItem(label, key)
        self.mode.currentIndexChanged.connect(lambda _i: self.reload())
        self.preset_group = QButtonGroup(self)
        self.preset_group.setExclusive(True)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.mode)
        bar.addSpacing(8)
        for i, (label, secs) in enumerate(PRESETS):
            b = QToolButton(self)
            b.setText(span_label(label))
            b.setCheckable(True)
            b.setAutoRaise(True)
            b.setProperty("span", secs)
            if secs == self.span:
                b.setChecked(True)
            self.preset_group.addButton(b, i)
            bar.addWidget(b)
        self.preset_group.idClicked.connect(self._preset)
        self.live = QCheckBox(self.tr("Live"), self)
        self.live.setChecked(True)
        self.live.setToolTip(self.tr("Follow new samples as they arrive (L)"))
        self.live.toggled.connect(self._live_toggled)
        bar.addStretch(1)
        bar.addWidget(self.live)
        self.readout = QLabel(" ", self)
        self.readout.setObjectName("plotReadout")
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.status = QLabel(self)
        self.status.setObjectName("plotStatus")

        self.axis = TzAxis()
        self.widget = pg.PlotWidget(axisItems={"bottom": self.axis})
        self.widget.setObjectName("plot")
        self.item = self.widget.getPlotItem()
        self.item.showGrid(x=True, y=True, alpha=0.25)
        self.item.setClipToView(True)
        self.item.setDownsampling(auto=True, mode="peak")
        # The legend is a list beside the plot (pyqtgraph's in-plot legend covers the curves
        # once there are a dozen); unticking a series hides its curve.
        self.legend = QListWidget(self)
        self.legend.setObjectName("plotLegend")
        self.legend.setMaximumWidth(230)
        self.legend.setMinimumWidth(150)
        self.legend.setUniformItemSizes(True)
        self.legend.setIconSize(QSize(10, 10))
        self.legend.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.legend.itemChanged.connect(self._legend_toggled)
        self.vline = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888888", width=1))
        self.vline.setZValue(50)
        self.item.addItem(self.vline, ignoreBounds=True)
        self.vline.hide()
        self._proxy = pg.SignalProxy(
            self.widget.scene().sigMouseMoved, rateLimit=30, slot=self._mouse
        )
        self.item.getViewBox().sigRangeChangedManually.connect(self._manual_range)
        self._range_timer = QTimer(self, singleShot=True, interval=350)
        self._range_timer.timeout.connect(self._load_visible)
        self.apply_theme()

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(bar)
        lay.addWidget(self.readout)
        row = QHBoxLayout()
        row.setSpacing(4)
        row.addWidget(self.widget, 1)
        row.addWidget(self.legend)
        lay.addLayout(row, 1)
        lay.addWidget(self.status)
        if static:
            for w in (self.mode, self.live, self.readout, *self.preset_group.buttons()):
                w.hide()
            self.legend.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        if ctx is not None:
            ctx.loader.loaded.connect(self._loaded)

    # -- appearance -----------------------------------------------------------------------

    def apply_theme(self) -> None:
        dark = theme.is_dark()
        self.widget.setBackground("#1b1e23" if dark else "#ffffff")
        fg = "#d0d0d0" if dark else "#333333"
        for name in ("left", "bottom"):
            ax = self.item.getAxis(name)
            ax.setPen(fg)
            ax.setTextPen(fg)

    # -- what to show ---------------------------------------------------------------------

    def show_rack(self, rack_id: int, tz: str | None = None) -> None:
        self.rack_id = rack_id
        self.explicit = ()
        if self.current_mode() == "series":
            self.mode.setCurrentIndex(0)
        if tz:
            self.set_zone(tz)
        self.reload()

    def set_zone(self, tz: str) -> None:
        changed = tz != self.tz
        self.tz = tz
        self.axis.set_zone(tz)
        if changed and self.data is not None:
            self._draw(self.data)

    def set_device(self, device_id: int, name: str, rows: tuple[SeriesRow, ...]) -> None:
        changed = device_id != self.device_id
        self.device_id, self.device_name, self.device_rows = device_id, name, rows
        if changed and self.current_mode().startswith("device"):
            self.reload()

    def show_series(self, rows: list[SeriesRow]) -> None:
        self.explicit = tuple(rows)
        if self.mode.findData("series") < 0:
            self.mode.addItem(self.tr("Chosen sensor"), "series")
        self.mode.blockSignals(True)
        self.mode.setCurrentIndex(self.mode.findData("series"))
        self.mode.blockSignals(False)
        self.reload()

    def set_mode(self, key: str) -> None:
        i = self.mode.findData(key)
        if i >= 0:
            self.mode.setCurrentIndex(i)

    def current_mode(self) -> str:
        return str(self.mode.currentData() or "rack_inlet")

    def set_span(self, seconds: int) -> None:
        self.span = seconds
        for b in self.preset_group.buttons():
            b.setChecked(b.property("span") == seconds)
        self.view_start = self.view_end = None
        self.live.setChecked(True)
        self.reload()

    def _preset(self, ident: int) -> None:
        self.set_span(PRESETS[ident][1])

    def _live_toggled(self, on: bool) -> None:
        if on:
            self.view_start = self.view_end = None
            self.reload()

    # -- loading --------------------------------------------------------------------------

    def _window(self) -> tuple[int, int]:
        if self.view_start is not None and self.view_end is not None and not self.live.isChecked():
            return self.view_start, self.view_end
        now = int(time.time())
        return now - self.span, now

    def reload(self) -> None:
        mode = self.current_mode()
        rack, dev = self.rack_id, self.device_id
        if rack is None and mode.startswith("rack"):
            return
        start, end = self._window()
        token = (mode, rack, dev, start, end, len(self.explicit))
        self._token = token
        if self.ctx is None:
            return
        engine = self.ctx.engine
        explicit = self.explicit

        def read() -> PlotData:
            if mode == "rack_inlet" and rack is not None:
                rows = read_racks.rack_series(engine, rack, "temperature_c", role="inlet")
            elif mode == "rack_power" and rack is not None:
                # The series the rack's kW is the sum of (the tree and alarms add the same).
                rows = read_racks.power_series(read_racks.rack_series(engine, rack, "power_w"))
            elif mode == "rack_current" and rack is not None:
                rows = tuple(
                    r
                    for r in read_racks.rack_series(engine, rack, "current_a", kind="pdu")
                    if r.channel_class != "outlet"
                )
            elif mode == "device_temp" and dev is not None:
                rows = tuple(
                    r for r in read_racks.device_series(engine, dev) if r.metric == "temperature_c"
                )
            elif mode == "device_power" and dev is not None:
                rows = tuple(
                    r
                    for r in read_racks.device_series(engine, dev)
                    if r.metric in ("power_w", "current_a")
                )
            elif mode == "series":
                rows = explicit
            else:
                rows = ()
            hist = history(engine, [r.id for r in rows], start, end, MAX_POINTS) if rows else {}
            return PlotData(token, rows, hist, start, end)

        self.status.setText(self.tr("Loading…"))
        self.ctx.loader.submit("plot.history", read)

    @property
    def ready(self) -> bool:
        return self.data is not None and self.data.token == self._token

    def on_change(self) -> None:
        """New samples exist: append the tail when following live on raw data, else reload."""
        if not self.live.isChecked() or self.data is None or not self.ready:
            return
        if self.span > 86_400:
            if time.time() - self.data.end > 300:
                self.reload()
            return
        if self._loading_tail or not self.data.rows or self.ctx is None:
            return
        ids = [r.id for r in self.data.rows]
        # From the oldest "last point" of the curves, not from the last read time: a sample
        # stamped in the same second as that read but written just after must not be lost.
        lasts = [float(a[0][-1]) for a in self._arrays.values() if len(a[0])]
        # A curve that went silent long ago must not drag the read back over hours.
        since = max(int(min(lasts)), self.data.end - 600) if lasts else self.data.end
        engine = self.ctx.engine
        token = self._token
        self._loading_tail = True

        def read() -> tuple[Any, dict[int, History], int]:
            now = int(time.time())
            return token, history(engine, ids, since + 1, now + 1, MAX_POINTS), now

        self.ctx.loader.submit("plot.tail", read)

    def _loaded(self, key: str, result: object) -> None:
        if key == "plot.history":
            assert isinstance(result, PlotData)
            if result.token != self._token:
                return
            self.data = result
            self._draw(result)
            self.loaded_signal.emit()
        elif key == "plot.tail":
            self._loading_tail = False
            token, hist, now = cast(tuple[Any, dict[int, History], int], result)
            if self.data is None or token != self._token:
                return
            self._append(hist, now)

    # -- drawing --------------------------------------------------------------------------

    def _draw(self, data: PlotData) -> None:
        item = self.item
        for c in self._curves.values():
            item.removeItem(c)
        for b in self._bands:
            item.removeItem(b)
        for ln in self._lines:
            item.removeItem(ln)
        self._curves.clear()
        self._bands.clear()
        self._lines.clear()
        self._arrays.clear()
        self.legend.blockSignals(True)
        self.legend.clear()
        colors = theme.plot_colors(len(data.rows))
        self._prefix = fmt.common_prefix([r.device_name for r in data.rows])
        band = len(data.rows) <= BAND_LIMIT
        resolution = 0
        points = 0
        for row, color in zip(data.rows, colors, strict=True):
            h = data.hist.get(row.id)
            if h is None:
                continue
            resolution = max(resolution, h.resolution)
            # NaN at each gap (judged against the series' own interval) breaks the line.
            x, y = h.gapped()
            points += len(h)
            if band and h.resolution > 0 and len(x):
                fill = QColor(color)
                fill.setAlpha(55)
                bx = h.ts.astype(np.float64)
                lo = pg.PlotCurveItem(bx, h.lo, pen=pg.mkPen(None), skipFiniteCheck=True)
                hi = pg.PlotCurveItem(bx, h.hi, pen=pg.mkPen(None), skipFiniteCheck=True)
                fb = pg.FillBetweenItem(lo, hi, brush=pg.mkBrush(fill))
                for it in (lo, hi, fb):
                    item.addItem(it)
                    self._bands.append(it)
            curve = pg.PlotDataItem(
                x,
                y,
                # Wide pens are drawn as filled outlines by Qt: ten times slower on 42 curves.
                pen=pg.mkPen(color, width=1.6 if len(data.rows) <= BAND_LIMIT else 1.0),
                name=self._label(row, len(data.rows)),
                skipFiniteCheck=True,
                connect="finite",
            )
            item.addItem(curve)
            self._curves[row.id] = curve
            entry = QListWidgetItem(_swatch(color), self._label(row, len(data.rows)))
            entry.setData(Qt.ItemDataRole.UserRole, row.id)
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Checked)
            entry.setToolTip(f"{row.device_name} · {row.label}")
            self.legend.addItem(entry)
            self._arrays[row.id] = (x, y)
        self.legend.blockSignals(False)
        # Limits are drawn only when every curve shares them (inlet limits are not CPU limits).
        same_kind = len({(r.metric, r.role) for r in data.rows}) == 1
        levels = threshold_levels(data.rows) if same_kind else []
        finite = [float(np.nanmean(a[1])) for a in self._arrays.values() if len(a[1])]
        mid = float(np.mean(finite)) if finite else 0.0
        for kind, value in levels:
            ln = pg.InfiniteLine(
                pos=value,
                angle=0,
                movable=False,
                pen=pg.mkPen(theme.SEVERITY_COLORS[kind], width=1.2, style=Qt.PenStyle.DashLine),
                label=f"{fmt.state_name(kind)} {value:g}",
                labelOpts={
                    "position": 0.06,
                    # Text below an upper limit and above a lower one, inside the plot.
                    "anchors": [(0, 0), (0, 0)] if value >= mid else [(0, 1), (0, 1)],
                    "color": theme.SEVERITY_COLORS[kind],
                },
            )
            # Lines never drive the range: a far-away limit would flatten every curve.
            item.addItem(ln, ignoreBounds=True)
            self._lines.append(ln)
        self._levels = [v for _k, v in levels]
        unit = data.rows[0].unit if data.rows else ""
        item.setLabel("left", unit)
        vb = item.getViewBox()
        vb.setXRange(data.start, data.end, padding=0.01)
        self._fit_y()
        src = (
            self.tr("raw samples")
            if resolution == 0
            else self.tr("%1 buckets (min–max band)").replace("%1", fmt.age(resolution))
        )
        self.status.setText(
            self.tr("%1 series · %2 points · %3 · times in %4")
            .replace("%1", str(len(data.rows)))
            .replace("%2", f"{points:,}")
            .replace("%3", src)
            .replace("%4", self.tz)
            if data.rows
            else self.tr("No series to plot for this choice")
        )

    def _fit_y(self) -> None:
        """Y range of the data, widened to show thresholds that are near it."""
        vals = [a[1] for a in self._arrays.values() if len(a[1])]
        vb = self.item.getViewBox()
        if not vals:
            vb.enableAutoRange(axis="y")
            return
        lo = min(float(np.nanmin(v)) for v in vals)
        hi = max(float(np.nanmax(v)) for v in vals)
        span = max(hi - lo, 1e-6)
        for level in self._levels:
            if lo - span <= level <= hi + max(span, 10.0):
                lo, hi = min(lo, level), max(hi, level)
        vb.setYRange(lo, hi, padding=0.08)

    def _label(self, row: SeriesRow, n: int) -> str:
        name = row.device_name
        if self._prefix and name.startswith(self._prefix):
            name = name[len(self._prefix) :]
        if self.current_mode().startswith("rack"):
            ch = row.channel
            if ch.lower() in ("", "total") or row.role == "inlet":
                ch = ""
            return f"{name} {ch}".strip()
        rows = self.data.rows if self.data is not None else (row,)
        if n > 1 and len({r.metric for r in rows}) == 1:
            # One metric: the channel says it all ("CPU1 Temp (cpu)").
            label = f"{row.channel} ({row.role})" if row.role else row.channel
            label = label.strip() or fmt.series_label(row.metric, row.channel, row.role)
        else:
            label = fmt.series_label(row.metric, row.channel, row.role)
        return label if n > 1 else f"{name} {label}"

    def _legend_toggled(self, entry: QListWidgetItem) -> None:
        curve = self._curves.get(int(entry.data(Qt.ItemDataRole.UserRole)))
        if curve is not None:
            curve.setVisible(entry.checkState() == Qt.CheckState.Checked)

    def _append(self, hist: dict[int, History], now: int) -> None:
        assert self.data is not None
        for sid, h in hist.items():
            if not len(h) or sid not in self._curves:
                continue
            x0, y0 = self._arrays[sid]
            newer = h.ts > (x0[-1] if len(x0) else -1)
            if not newer.any():
                continue
            x = np.concatenate((x0, h.ts[newer].astype(np.float64)))
            y = np.concatenate((y0, h.avg[newer]))
            self._arrays[sid] = (x, y)
            self._curves[sid].setData(x, y)
        self.data = PlotData(self.data.token, self.data.rows, self.data.hist, self.data.start, now)
        if self.live.isChecked():
            self.item.getViewBox().setXRange(now - self.span, now, padding=0.01)
            self._fit_y()

    # -- interaction ------------------------------------------------------------------------

    def _manual_range(self, *_args: Any) -> None:
        if self.live.isChecked():
            self.live.blockSignals(True)
            self.live.setChecked(False)
            self.live.blockSignals(False)
        self._range_timer.start()

    def _load_visible(self) -> None:
        (x0, x1), _ = self.item.getViewBox().viewRange()
        if self.data is None:
            return
        span_loaded = self.data.end - self.data.start
        # Reload only when the view left the loaded window or zoomed in far enough to gain detail.
        if x0 >= self.data.start and x1 <= self.data.end and (x1 - x0) > span_loaded / 4:
            return
        self.view_start, self.view_end = int(x0), int(x1)
        self.reload()

    def _mouse(self, event: tuple[Any, ...]) -> None:
        pos = event[0]
        if not self.widget.sceneBoundingRect().contains(pos) or not self._arrays:
            self.vline.hide()
            return
        pt: QPointF = self.item.getViewBox().mapSceneToView(pos)
        x = pt.x()
        self.vline.setPos(x)
        self.vline.show()
        parts = [f"<b>{fmt.local_time(x, self.tz)}</b>"]
        if self.data is not None:
            colors = theme.plot_colors(len(self.data.rows))
            shown = 0
            for row, color in zip(self.data.rows, colors, strict=True):
                arr = self._arrays.get(row.id)
                curve = self._curves.get(row.id)
                if arr is None or not len(arr[0]) or curve is None or not curve.isVisible():
                    continue
                i = int(np.clip(np.searchsorted(arr[0], x), 0, len(arr[0]) - 1))
                if i > 0 and abs(arr[0][i - 1] - x) < abs(arr[0][i] - x):
                    i -= 1
                parts.append(
                    f"<span style='color:{color.name()}'>■</span> "
                    f"{self._label(row, len(self.data.rows))} "
                    f"{fmt.value_with_unit(float(arr[1][i]), row.unit)}"
                )
                shown += 1
                if shown >= 6:
                    more = len(self.data.rows) - shown
                    if more > 0:
                        parts.append(self.tr("+%1 more").replace("%1", str(more)))
                    break
        self.readout.setText("  ".join(parts))

    def font_for_wall(self, size: float) -> None:
        f = QFont(self.font())
        f.setPointSizeF(size)
        for name in ("left", "bottom"):
            self.item.getAxis(name).setStyle(tickFont=f)

    # -- drawing given data (the snapshot report) ------------------------------------------

    def show_data(
        self, mode: str, rows: tuple[SeriesRow, ...], hist: dict[int, History], start: int, end: int
    ) -> None:
        """Draw rows over [start, end] exactly as the window would (used by the report)."""
        self.set_mode(mode)
        token = ("static", mode, start, end, len(rows))
        self._token = token
        self.data = PlotData(token, rows, hist, start, end)
        self._draw(self.data)


def _calendar_names() -> dict[str, str]:
    """English short day and month names -> the locale's (empty for English locales)."""
    loc = QLocale()
    if loc.language() == QLocale.Language.English:
        return {}
    short = QLocale.FormatType.ShortFormat
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    out = {d: loc.dayName(i + 1, short) for i, d in enumerate(days)}
    out.update({m: loc.monthName(i + 1, short) for i, m in enumerate(months)})
    return out
