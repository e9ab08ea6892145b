"""Wall mode for the control-room screen: full screen, large type, cycling sites, alarm banner."""

from __future__ import annotations

import time

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStyle,
    QStyleOption,
    QVBoxLayout,
    QWidget,
)

from models.alarms import desk as alarm_desk
from models.alarms import incidents as incident_desk
from models.alarms.desk import AlarmRow
from models.alarms.incidents import IncidentRow
from models.read import status as read_status
from models.read.inventory import SiteInfo
from models.read.status import FloorMap
from models.staleness import FeedState
from ui import fmt, theme
from ui.context import Context
from ui.floor_map import FloorMapWidget, floor_summary
from ui.status import StaleBanner

# Lines the banner shows, one per incident by importance; the rest are counted.
BANNER_LINES = 4
MIN_LINE_SCALE = 0.7


class ElidedLines(QLabel):
    """Lines of text elided to the label's real width when painted, so none is cut short."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines: list[str] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

    def set_lines(self, lines: list[str]) -> None:
        self.lines = lines
        self.setText("\n".join(lines))  # for sizeHint, accessibility and tests
        self.updateGeometry()
        self.update()

    def minimumSizeHint(self) -> QSize:
        fm = QFontMetrics(self.font())
        m = self.margin() * 2
        return QSize(200, fm.lineSpacing() * max(1, len(self.lines)) + m)

    def sizeHint(self) -> QSize:
        return self.minimumSizeHint()

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_Widget, _opt(self), p, self)
        fm = QFontMetrics(self.font())
        m = self.margin()
        width = self.width() - 2 * m
        p.setPen(self.palette().windowText().color())
        p.setFont(self.font())
        y = m
        for line in self.lines:
            # A long line first gets a smaller font (to 70 %), and only then an ellipsis.
            font = self.font()
            lfm = fm
            if fm.horizontalAdvance(line) > width:
                scale = max(MIN_LINE_SCALE, width / max(1, fm.horizontalAdvance(line)))
                font = QFont(font)
                font.setPointSizeF(font.pointSizeF() * scale)
                lfm = QFontMetrics(font)
            p.setFont(font)
            text = lfm.elidedText(line, Qt.TextElideMode.ElideRight, width)
            p.drawText(m, y + fm.ascent(), text)
            y += fm.lineSpacing()


def _opt(w: QWidget) -> QStyleOption:
    opt = QStyleOption()
    opt.initFrom(w)
    return opt


class WallView(QWidget):
    closed = Signal()
    rack_chosen = Signal(int)

    def __init__(
        self, ctx: Context, cycle_s: int = 20, measure: str = "inlet", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.ctx = ctx
        self.setWindowTitle(self.tr("RackWatch — wall"))
        self.setObjectName("wall")
        # Control rooms are dark: the wall uses the dark palette whatever the desk theme is.
        self.setPalette(theme.dark_palette())
        self.setAutoFillBackground(True)
        self.setMinimumSize(640, 400)  # fixed, so banner lines never change the size hints
        self.sites: tuple[SiteInfo, ...] = ()
        self.index = 0
        self.site_loaded: int | None = None
        self.alarms_loaded = False
        self.header = QLabel(self)
        self.clock = QLabel(self)
        self.clock.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        for lbl, size in ((self.header, 30), (self.clock, 26)):
            f = lbl.font()
            f.setPointSize(size)
            f.setBold(True)
            lbl.setFont(f)
        # The site name gives way (clipped) before the clock, which says whether data is live.
        self.header.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.summary = QLabel(self)
        f = self.summary.font()
        f.setPointSize(16)
        self.summary.setFont(f)
        self.stale_banner = StaleBanner(self, point_size=20)
        self.feed: FeedState | None = None
        self.banner = ElidedLines(self)
        self.banner.setObjectName("alarmBanner")
        f = self.banner.font()
        f.setPointSize(18)
        f.setBold(True)
        self.banner.setFont(f)
        self.banner.setMargin(10)
        self.map = FloorMapWidget(self, scale=1.8)
        self.map.set_measure(measure)
        self.map.rack_clicked.connect(self.rack_chosen)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.clock)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(18, 12, 18, 12)
        lay.addWidget(self.stale_banner)
        lay.addLayout(top)
        lay.addWidget(self.summary)
        lay.addWidget(self.map, 1)
        lay.addWidget(self.banner)
        self.cycle = QTimer(self, interval=max(3, cycle_s) * 1000)
        self.cycle.timeout.connect(self.next_site)
        self.tick = QTimer(self, interval=1000)
        self.tick.timeout.connect(self._tick)
        self.tick.start()
        ctx.loader.loaded.connect(self._loaded)
        self._banner_alarms(((), ()))

    def start(self, sites: tuple[SiteInfo, ...], first_site: int | None = None) -> None:
        self.sites = sites
        self.index = 0
        if first_site is not None:
            for i, s in enumerate(sites):
                if s.id == first_site:
                    self.index = i
        self.cycle.start()
        self._load()

    def next_site(self) -> None:
        if self.sites:
            self.index = (self.index + 1) % len(self.sites)
            self._load()

    def refresh(self) -> None:
        self._load()

    def _load(self) -> None:
        if not self.sites:
            return
        site = self.sites[self.index]
        engine = self.ctx.engine
        self.header.setText(f"{site.code} — {site.name}")
        self.ctx.loader.submit("wall.floor", lambda: read_status.floor_map(engine, site.id))
        self.ctx.loader.submit(
            "wall.alarms",
            lambda: (
                incident_desk.open_incidents(engine, states=("active", "acknowledged")),
                alarm_desk.open_alarms(engine, include_shelved=False),
            ),
        )

    @property
    def ready(self) -> bool:
        return (
            bool(self.sites)
            and self.site_loaded == self.sites[self.index].id
            and self.alarms_loaded
        )

    def _loaded(self, key: str, result: object) -> None:
        if key == "wall.floor":
            assert isinstance(result, FloorMap)
            if self.sites and result.site.id == self.sites[self.index].id:
                self.map.set_data(result)
                self.site_loaded = result.site.id
                self.summary.setText(floor_summary(self, result))
                self._tick()
        elif key == "wall.alarms":
            self._banner_alarms(result)  # type: ignore[arg-type]
            self.alarms_loaded = True

    def set_feed(self, feed: FeedState, now: float) -> None:
        """Stale data: a full-width banner, grey tiles and a clock that says since when."""
        self.feed = feed
        tz = self.sites[self.index].tz if self.sites else "UTC"
        self.stale_banner.set_feed(feed, now, tz)
        self.map.set_feed_stale(feed.stale)
        self._tick()

    def _banner_alarms(self, result: tuple[tuple[IncidentRow, ...], tuple[AlarmRow, ...]]) -> None:
        incs, alarms = result
        shown_inc = {i.id for i in incs}
        loose = [a for a in alarms if a.incident_id not in shown_inc and a.state == "active"]
        active_inc = [i for i in incs if i.state == "active"]
        # One line per incident (and per alarm outside any), most important first.
        items: list[tuple[tuple[int, int, int, int], str, str]] = [
            (i.importance, i.severity, f"{i.site_code}  {i.text(fmt.locale_name())}".strip())
            for i in active_inc
        ]
        items += [
            ((0 if a.severity == "critical" else 1, 0, -1, -a.raised_ts), a.severity,
             f"{a.site_code}  {a.text(fmt.locale_name())}")
            for a in loose
        ]  # fmt: skip
        items.sort(key=lambda x: x[0])
        if not items:
            acked = len(incs) - len(active_inc)
            text = self.tr("No active alarms")
            if acked:
                text += "  " + self.tr("(%n acknowledged incidents)", "", acked)
            self.banner.set_lines([text])
            self.banner.setStyleSheet(
                f"background:{theme.STATE_COLORS['ok']}; color:white; border-radius:6px;"
            )
            return
        crit = sum(1 for it in items if it[1] == "critical")
        head = self.tr("%n critical", "", crit) if crit else self.tr("%n warning", "", len(items))
        more = len(items) - BANNER_LINES
        if more > 0:
            head += "  " + self.tr("(+%1 more)").replace("%1", str(more))
        lines = [head] + [
            ("▲▲ " if sev == "critical" else "▲ ") + text for _k, sev, text in items[:BANNER_LINES]
        ]
        self.banner.set_lines(lines)
        color = theme.STATE_COLORS["critical" if crit else "warning"]
        self.banner.setStyleSheet(f"background:{color}; color:white; border-radius:6px;")

    def _tick(self) -> None:
        if self.sites:
            tz = self.sites[self.index].tz
            feed = self.feed
            if feed is not None and feed.stale:
                # A ticking clock over old data reads as live: say since when it stopped.
                since = feed.newest_sample_ts or feed.since_ts
                self.clock.setText(
                    self.tr("STALE since %1").replace(
                        "%1", fmt.local_time(since, tz, with_date=False) if since else "?"
                    )
                )
                self.clock.setStyleSheet(f"color: {theme.STATE_COLORS['stale']};")
            else:
                self.clock.setStyleSheet("")
                self.clock.setText(fmt.local_time(time.time(), tz, with_date=False) + f"  {tz}")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_F11):
            self.close()
        elif event.key() in (Qt.Key.Key_Right, Qt.Key.Key_Space):
            self.next_site()
        elif event.key() == Qt.Key.Key_Left and self.sites:
            self.index = (self.index - 1) % len(self.sites)
            self._load()
        else:
            super().keyPressEvent(event)

    def closeEvent(self, event: object) -> None:
        self.cycle.stop()
        self.tick.stop()
        self.closed.emit()
        super().closeEvent(event)  # type: ignore[arg-type]
