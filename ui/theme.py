"""Light and dark palettes, state colours and the colour scales of measures."""

from __future__ import annotations

import functools
import itertools

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

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

# Inlet temperature scale: ASHRAE recommended 18-27 °C is the calm range, 32 °C is critical.
_TEMP_STOPS = (
    (15.0, "#2c7bb6"),
    (20.0, "#4fb0c6"),
    (24.0, "#58b368"),
    (27.0, "#e7d44b"),
    (30.0, "#f08a24"),
    (32.0, "#d9372b"),
    (40.0, "#8e1010"),
)
_PCT_STOPS = (
    (0.0, "#2c7bb6"),
    (40.0, "#58b368"),
    (70.0, "#e7d44b"),
    (80.0, "#f08a24"),
    (90.0, "#d9372b"),
    (110.0, "#8e1010"),
)


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
    return QColor(_temperature_rgb(round(celsius, 1)))


def percent_color(pct: float) -> QColor:
    return QColor(_percent_rgb(round(pct)))


# Memoised on rounded values: a 14,000-rack floor map asks for a colour per rack per refresh.
@functools.lru_cache(maxsize=4096)
def _temperature_rgb(celsius: float) -> int:
    return _scale(_TEMP_STOPS, celsius).rgb()


@functools.lru_cache(maxsize=1024)
def _percent_rgb(pct: float) -> int:
    return _scale(_PCT_STOPS, pct).rgb()


def temperature_stops() -> tuple[tuple[float, str], ...]:
    return _TEMP_STOPS


def percent_stops() -> tuple[tuple[float, str], ...]:
    return _PCT_STOPS


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
