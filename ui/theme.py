"""Light and dark palettes, state colours and the colour scales of measures."""

from __future__ import annotations

import functools
import itertools
import math
import time
from typing import Any, cast

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from models.rules import current_rules

STATE_COLORS: dict[str, str] = {
    "ok": "#2e9d57",
    "unknown": "#8a8f98",
    "stale": "#b08cd8",
    "warning": "#e0a100",
    "unreachable": "#6b5fa8",
    "critical": "#d9372b",
    "acknowledged": "#c0782c",
    "shelved": "#7d8590",
}
SEVERITY_COLORS = {"warning": STATE_COLORS["warning"], "critical": STATE_COLORS["critical"]}

# Colour ramps are anchored on the rule levels every process applies (models.rules): the
# inlet warning and critical levels, and the rack power warning/critical percentages. An
# operator who moves a level moves the colours with it.
_TEMP_COLORS = ("#2c7bb6", "#4fb0c6", "#58b368", "#e7d44b", "#f08a24", "#d9372b", "#8e1010")
_PCT_COLORS = ("#2c7bb6", "#58b368", "#e7d44b", "#f08a24", "#d9372b", "#8e1010")


def _temp_stops(warn: float, crit: float) -> tuple[tuple[float, str], ...]:
    # With ASHRAE's 27/32 °C: 15, 20, 24 (calm), 27 (warning), 30, 32 (critical), 40.
    at = (warn - 12, warn - 7, warn - 3, warn, warn + 0.6 * (crit - warn), crit, crit + 8)
    return tuple(zip(at, _TEMP_COLORS, strict=True))


def _pct_stops(warn: float, crit: float) -> tuple[tuple[float, str], ...]:
    at = (0.0, warn / 2, warn - 10, warn, crit, crit + 20)
    return tuple(zip(at, _PCT_COLORS, strict=True))


# (checked at, inlet anchors, power anchors): a floor map asks for thousands of colours per
# refresh, so the rules file is looked at (one stat) at most once a second from here.
_anchors: list[Any] = [-math.inf, (0.0, 1.0), (0.0, 1.0)]
ANCHOR_TTL_S = 1.0


def _refresh_anchors() -> None:
    now = time.monotonic()
    if now - _anchors[0] >= ANCHOR_TTL_S:
        rules = current_rules()
        _anchors[:] = [now, rules.inlet_scale(), rules.rack_power_scale()]


def _inlet_levels() -> tuple[float, float]:
    _refresh_anchors()
    return cast(tuple[float, float], _anchors[1])


def _power_levels() -> tuple[float, float]:
    _refresh_anchors()
    return cast(tuple[float, float], _anchors[2])


def state_color(state: str) -> QColor:
    return QColor(STATE_COLORS.get(state, STATE_COLORS["unknown"]))


def _scale(stops: tuple[tuple[float, str], ...], value: float) -> QColor:
    if value <= stops[0][0]:
        return QColor(stops[0][1])
    for (v0, c0), (v1, c1) in itertools.pairwise(stops):
        if value <= v1:
            f = (value - v0) / (v1 - v0)
            a, b = QColor(c0), QColor(c1)
            return QColor.fromRgbF(
                a.redF() + f * (b.redF() - a.redF()),
                a.greenF() + f * (b.greenF() - a.greenF()),
                a.blueF() + f * (b.blueF() - a.blueF()),
            )
    return QColor(stops[-1][1])


def temperature_color(celsius: float) -> QColor:
    return QColor(_temperature_rgb(round(celsius, 1), *_inlet_levels()))


def percent_color(pct: float) -> QColor:
    return QColor(_percent_rgb(round(pct), *_power_levels()))


# Memoised on rounded values: a 14,000-rack floor map asks for a colour per rack per refresh.
@functools.lru_cache(maxsize=4096)
def _temperature_rgb(celsius: float, warn: float, crit: float) -> int:
    return _scale(_temp_stops(warn, crit), celsius).rgb()


@functools.lru_cache(maxsize=1024)
def _percent_rgb(pct: float, warn: float, crit: float) -> int:
    return _scale(_pct_stops(warn, crit), pct).rgb()


def temperature_stops() -> tuple[tuple[float, str], ...]:
    return _temp_stops(*_inlet_levels())


def percent_stops() -> tuple[tuple[float, str], ...]:
    return _pct_stops(*_power_levels())


def inlet_warning_c() -> float:
    """The inlet temperature from which values are highlighted (the rules' warning level)."""
    return _inlet_levels()[0]


def text_color_for(bg: QColor) -> QColor:
    return QColor("#111111") if bg.lightnessF() > 0.55 else QColor("#ffffff")


def apply_theme(app: QApplication, name: str) -> None:
    """Fusion with a hand-set palette: the same look on every platform and under Xvfb."""
    app.setStyle("Fusion")
    pal = QPalette()
    if name == "dark":
        pal = dark_palette()
    else:
        pal = app.style().standardPalette()
        pal.setColor(QPalette.ColorRole.Window, QColor("#f3f4f6"))
        pal.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
        pal.setColor(QPalette.ColorRole.AlternateBase, QColor("#f6f7f9"))
        pal.setColor(QPalette.ColorRole.Highlight, QColor("#2f6fd0"))
        pal.setColor(QPalette.ColorRole.ToolTipBase, QColor("#ffffe8"))
    app.setPalette(pal)
    app.setProperty("rackwatch_theme", name)


def dark_palette() -> QPalette:
    """The dark palette (also used by wall mode whatever the theme)."""
    pal = QPalette()
    base, window, text, mid = "#1e2127", "#272b33", "#e6e6e6", "#3a3f4b"
    pal.setColor(QPalette.ColorRole.Window, QColor(window))
    pal.setColor(QPalette.ColorRole.WindowText, QColor(text))
    pal.setColor(QPalette.ColorRole.Base, QColor(base))
    pal.setColor(QPalette.ColorRole.AlternateBase, QColor("#242830"))
    pal.setColor(QPalette.ColorRole.Text, QColor(text))
    pal.setColor(QPalette.ColorRole.Button, QColor(mid))
    pal.setColor(QPalette.ColorRole.ButtonText, QColor(text))
    pal.setColor(QPalette.ColorRole.ToolTipBase, QColor("#2f343e"))
    pal.setColor(QPalette.ColorRole.ToolTipText, QColor(text))
    pal.setColor(QPalette.ColorRole.Highlight, QColor("#3d6fb4"))
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    pal.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8a8f98"))
    pal.setColor(QPalette.ColorRole.Mid, QColor(mid))
    pal.setColor(QPalette.ColorRole.Dark, QColor("#15171b"))
    pal.setColor(QPalette.ColorRole.Light, QColor("#4a505d"))
    pal.setColor(QPalette.ColorRole.Link, QColor("#6ea8ff"))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#6b707a"))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#6b707a"))
    return pal


def is_dark(app: QApplication | None = None) -> bool:
    inst = app or QApplication.instance()
    return bool(inst and inst.property("rackwatch_theme") == "dark")


def plot_colors(n: int) -> list[QColor]:
    """n distinct line colours (golden-angle hues) readable on both themes."""
    out = []
    for i in range(n):
        hue = (i * 0.618033988749895) % 1.0
        out.append(QColor.fromHsvF(hue, 0.65, 0.95 if is_dark() else 0.8))
    return out


ALIGN_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
