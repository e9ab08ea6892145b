"""Plot time-window presets, kept apart from the plot code so menus need not import pyqtgraph."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

# Labels marked for lupdate (context "spans"); span_label() translates them where shown.
PRESETS: tuple[tuple[str, int], ...] = (
    (str(QT_TRANSLATE_NOOP("spans", "15 min")), 15 * 60),
    (str(QT_TRANSLATE_NOOP("spans", "1 h")), 3600),
    (str(QT_TRANSLATE_NOOP("spans", "6 h")), 6 * 3600),
    (str(QT_TRANSLATE_NOOP("spans", "24 h")), 86_400),
    (str(QT_TRANSLATE_NOOP("spans", "7 d")), 7 * 86_400),
    (str(QT_TRANSLATE_NOOP("spans", "30 d")), 30 * 86_400),
    (str(QT_TRANSLATE_NOOP("spans", "90 d")), 90 * 86_400),
)


def span_label(label: str) -> str:
    return QCoreApplication.translate("spans", label)


DEFAULT_SPAN = 6 * 3600
