"""Audible alert and desktop notification for new critical incidents: repeat, mute, snooze."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QSystemTrayIcon, QWidget

# Tests (and anyone who wants a silent desk) set this: no beeps, no notifications.
QUIET_ENV = "RACKWATCH_NO_ALERTS"
DEFAULT_REPEAT_S = 30


def _flag(settings: QSettings, key: str, default: bool) -> bool:
    return str(settings.value(key, "true" if default else "false")).lower() == "true"


class Alerter(QObject):
    """Beeps for new critical incidents and repeats until they are acknowledged.

    Settings (QSettings): alarms/sound, alarms/notify (on by default), alarms/muted,
    alarms/repeat_s. With $RACKWATCH_NO_ALERTS set both default to off.
    """

    def __init__(self, window: QWidget, settings: QSettings) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        quiet = bool(os.environ.get(QUIET_ENV))
        self.sound = _flag(settings, "alarms/sound", not quiet)
        self.notify = _flag(settings, "alarms/notify", not quiet)
        self.muted = _flag(settings, "alarms/muted", False)
        self.repeat_s = max(5, int(str(settings.value("alarms/repeat_s", DEFAULT_REPEAT_S))))
        self.snoozed_until = 0.0
        self.unacked: tuple[Any, ...] = ()
        self.beeps = 0
        self.notified: list[str] = []
        self._tray: QSystemTrayIcon | None = None
        self.timer = QTimer(self, interval=self.repeat_s * 1000)
        self.timer.timeout.connect(self._repeat)

    def set_sound(self, on: bool) -> None:
        self.sound = on
        self.settings.setValue("alarms/sound", "true" if on else "false")

    def set_notify(self, on: bool) -> None:
        self.notify = on
        self.settings.setValue("alarms/notify", "true" if on else "false")

    def set_muted(self, on: bool) -> None:
        self.muted = on
        self.settings.setValue("alarms/muted", "true" if on else "false")

    def snooze(self, seconds: int) -> None:
        self.snoozed_until = time.monotonic() + seconds

    @property
    def audible(self) -> bool:
        return self.sound and not self.muted and time.monotonic() >= self.snoozed_until

    def announce(self, items: Sequence[Any], text: str) -> None:
        """New critical items: flash the taskbar, beep, notify, and keep reminding."""
        QApplication.alert(self.window, 0)
        self._beep()
        if self.notify:
            self._notify(text)
        if not self.timer.isActive():
            self.timer.start()

    def set_unacked(self, items: Sequence[Any]) -> None:
        """What is still critical and unacknowledged; the reminder stops when it is empty."""
        self.unacked = tuple(items)
        if self.unacked and not self.timer.isActive():
            self.timer.start()
        elif not self.unacked:
            self.timer.stop()

    def _repeat(self) -> None:
        if self.unacked:
            self._beep()

    def _beep(self) -> None:
        if self.audible:
            QApplication.beep()
            self.beeps += 1

    def _notify(self, text: str) -> None:
        self.notified.append(text)
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return
        if self._tray is None:
            icon = self.window.windowIcon()
            self._tray = QSystemTrayIcon(icon if not icon.isNull() else QIcon(), self)
            self._tray.show()
        self._tray.showMessage(
            self.tr("RackWatch"), text, QSystemTrayIcon.MessageIcon.Critical, 15000
        )
