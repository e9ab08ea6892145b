"""Status bar: collectors alive, device reachability, newest sample age, open database."""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget

from models.read.status import Health, Liveness
from models.staleness import FeedState
from ui import fmt, theme


class StatusPanel:
    """Permanent labels in the window's status bar, filled from queries.health()."""

    def __init__(self, bar: QStatusBar, db_label: str) -> None:
        self.bar = bar
        parent: QWidget = bar
        self.collectors = QLabel(parent)
        self.devices = QLabel(parent)
        self.newest = QLabel(parent)
        self.db = QLabel(db_label, parent)
        self.db.setToolTip(db_label)
        self.db.setMaximumWidth(420)
        for w in (self.collectors, self.devices, self.newest, self.db):
            w.setContentsMargins(6, 0, 6, 0)
            bar.addPermanentWidget(w)
        self.health: Health | None = None
        self.collectors.setText(QCoreApplication.translate("StatusPanel", "Collectors: …"))

    def update(self, h: Health) -> None:
        self.health = h
        self.set_liveness(
            Liveness(h.collectors_alive, h.collectors_total, h.last_beat_ts, h.dead_collectors)
        )
        self.devices.setText(
            QCoreApplication.translate("StatusPanel", "Devices OK %1 · unreachable %2 · stale %3")
            .replace("%1", f"{h.devices_ok:,}")
            .replace("%2", f"{h.devices_unreachable:,}")
            .replace("%3", f"{h.devices_stale:,}")
        )
        self._color(self.devices, "unreachable" if h.devices_unreachable else "ok")
        self.tick()

    def set_liveness(self, live: Liveness) -> None:
        """From the heartbeat table, read every pulse: true within two heartbeats."""
        if live.total == 0:
            self.collectors.setText(
                QCoreApplication.translate("StatusPanel", "No collector has reported")
            )
            self._color(self.collectors, "warning")
            return
        self.collectors.setText(
            QCoreApplication.translate("StatusPanel", "Collectors alive: %1 of %2")
            .replace("%1", str(live.alive))
            .replace("%2", str(live.total))
        )
        self._color(
            self.collectors,
            "ok" if live.alive == live.total else ("critical" if live.alive == 0 else "warning"),
        )
        self.collectors.setToolTip(
            QCoreApplication.translate("StatusPanel", "Not reporting: %1").replace(
                "%1", ", ".join(live.dead)
            )
            if live.dead
            else ""
        )

    def tick(self) -> None:
        h = self.health
        if h is None:
            return
        if h.newest_sample_ts is None:
            self.newest.setText(QCoreApplication.translate("StatusPanel", "No samples yet"))
            self._color(self.newest, "unknown")
            return
        age = time.time() - h.newest_sample_ts
        self.newest.setText(
            QCoreApplication.translate("StatusPanel", "Newest sample %1 ago").replace(
                "%1", fmt.age(age)
            )
        )
        self._color(self.newest, "stale" if h.feed.stale else "ok")

    @staticmethod
    def _color(label: QLabel, state: str) -> None:
        label.setStyleSheet(
            ""
            if state == "ok"
            else f"color: {theme.STATE_COLORS.get(state, '#888')}; font-weight: bold;"
        )


def duration(seconds: float) -> str:
    """'1 min 12 s', '45 s', '2 h 5 min': how long data has been missing, to the second."""
    s = max(0, int(seconds))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    if h:
        return fmt.tr("%1 h %2 min").replace("%1", str(h)).replace("%2", str(m))
    if m:
        return fmt.tr("%1 min %2 s").replace("%1", str(m)).replace("%2", str(sec))
    return fmt.tr("%1 s").replace("%1", str(sec))


class StaleBanner(QLabel):
    """Full-width 'DATA STALE' strip on the desk and the wall; hidden while data is live."""

    def __init__(self, parent: QWidget | None = None, point_size: float = 13.0) -> None:
        super().__init__(parent)
        self.setObjectName("staleBanner")
        self.setWordWrap(True)
        self.setMargin(8)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        f = self.font()
        f.setPointSizeF(point_size)
        f.setBold(True)
        self.setFont(f)
        self.setStyleSheet(
            f"QLabel#staleBanner {{ background-color: {theme.STATE_COLORS['unreachable']}; "
            "color: white; }"
        )
        self.feed: FeedState | None = None
        self.hide()

    def set_feed(self, feed: FeedState, now: float, tz: str = "UTC") -> None:
        self.feed = feed
        if not feed.stale:
            self.hide()
            return
        self.setText(self.message(feed, now, tz))
        self.show()

    def message(self, feed: FeedState, now: float, tz: str = "UTC") -> str:
        newest = (
            fmt.local_time(feed.newest_sample_ts, tz, with_date=False)
            if feed.newest_sample_ts is not None
            else self.tr("none")
        )
        if feed.reason == "collectors":
            since = feed.last_beat_ts if feed.last_beat_ts is not None else feed.since_ts
            return (
                self.tr("DATA STALE — no collector has reported for %1; newest sample %2")
                .replace("%1", duration(now - since) if since is not None else "?")
                .replace("%2", newest)
            )
        since = feed.newest_sample_ts
        return (
            self.tr("DATA STALE — no new sample for %1; newest sample %2")
            .replace("%1", duration(now - since) if since is not None else "?")
            .replace("%2", newest)
        )
