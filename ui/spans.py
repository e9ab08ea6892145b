"""Plot time-window presets, kept apart from the plot code so menus need not import pyqtgraph."""

from __future__ import annotations

PRESETS: tuple[tuple[str, int], ...] = (
    ("15 min", 15 * 60),
    ("1 h", 3600),
    ("6 h", 6 * 3600),
    ("24 h", 86_400),
    ("7 d", 7 * 86_400),
    ("30 d", 30 * 86_400),
    ("90 d", 90 * 86_400),
)
DEFAULT_SPAN = 6 * 3600
