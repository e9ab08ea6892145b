"""Status bar: collectors alive, device reachability, newest sample age, open database."""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from models.read.status import Health
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
        if h.collectors_total == 0:
            self.collectors.setText(
                QCoreApplication.translate("StatusPanel", "No collector has reported")
            )
            self._color(self.collectors, "warning")
        else:
            self.collectors.setText(
                QCoreApplication.translate("StatusPanel", "Collectors alive: %1 of %2")
                .replace("%1", str(h.collectors_alive))
                .replace("%2", str(h.collectors_total))
            )
            self._color(
                self.collectors,
                "ok"
                if h.collectors_alive == h.collectors_total
                else ("critical" if h.collectors_alive == 0 else "warning"),
            )
        self.devices.setText(
            QCoreApplication.translate("StatusPanel", "Devices OK %1 · unreachable %2 · stale %3")
            .replace("%1", f"{h.devices_ok:,}")
            .replace("%2", f"{h.devices_unreachable:,}")
            .replace("%3", f"{h.devices_stale:,}")
        )
        self._color(self.devices, "unreachable" if h.devices_unreachable else "ok")
        self.tick()

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
        self._color(self.newest, "ok" if age < 180 else "stale")

    @staticmethod
    def _color(label: QLabel, state: str) -> None:
        label.setStyleSheet(
            ""
            if state == "ok"
            else f"color: {theme.STATE_COLORS.get(state, '#888')}; font-weight: bold;"
        )
