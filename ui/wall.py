"""Wall mode for the control-room screen: full screen, large type, cycling sites, alarm banner."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from models.alarms import desk as alarm_desk
from models.alarms.desk import AlarmRow
from models.read import status as read_status
from models.read.inventory import SiteInfo
from models.read.status import FloorMap
from ui import fmt, theme
from ui.context import Context
from ui.floor_map import FloorMapWidget, floor_summary


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
        self.summary = QLabel(self)
        f = self.summary.font()
        f.setPointSize(16)
        self.summary.setFont(f)
        self.banner = QLabel(self)
        self.banner.setObjectName("alarmBanner")
        self.banner.setWordWrap(True)
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
        self._banner_alarms(())

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
            "wall.alarms", lambda: alarm_desk.open_alarms(engine, include_shelved=False)
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

    def _banner_alarms(self, alarms: tuple[AlarmRow, ...]) -> None:
        active = [a for a in alarms if a.state == "active"]
        crit = [a for a in active if a.severity == "critical"]
        if not active:
            self.banner.setText(self.tr("No active alarms"))
            self.banner.setStyleSheet(
                f"background:{theme.STATE_COLORS['ok']}; color:white; border-radius:6px;"
            )
            return
        shown = (crit or active)[:3]
        more = len(active) - len(shown)
        head = (
            self.tr("%n critical", "", len(crit))
            if crit
            else self.tr("%n warning", "", len(active))
        )
        if more > 0:
            head += "  " + self.tr("(+%1 more alarms)").replace("%1", str(more))
        # One line per alarm, elided to the banner's width: the wall is read from afar.
        fm = QFontMetrics(self.banner.font())
        width = max(200, self.width() - 80)
        lines = [head] + [
            fm.elidedText(
                f"▲ {a.site_code}  {a.text(fmt.locale_name())}", Qt.TextElideMode.ElideRight, width
            )
            for a in shown
        ]
        self.banner.setText("\n".join(lines))
        color = theme.STATE_COLORS["critical" if crit else "warning"]
        self.banner.setStyleSheet(f"background:{color}; color:white; border-radius:6px;")

    def _tick(self) -> None:
        if self.sites:
            tz = self.sites[self.index].tz
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
