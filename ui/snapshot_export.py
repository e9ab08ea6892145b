"""Exports an incident snapshot with the Qt renderer; safe to call from a worker thread."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from sqlalchemy import Engine

from models.snapshot.bundle import ExportResult, ReportInfo, write_snapshot
from models.snapshot.data import Progress, Scope, SnapshotData
from ui.snapshot_report import render_report

CancelFlag = threading.Event | Callable[[], bool]

__all__ = ["ExportResult", "ensure_gui_app", "export_snapshot"]


def ensure_gui_app() -> QGuiApplication:
    """A QApplication for painting; offscreen when there is no display (headless export)."""
    app = QGuiApplication.instance()
    if app is None:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        # A QApplication, not a bare QGuiApplication: the report renders the window's widgets.
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QGuiApplication)
    return app


class _GuiCall(QObject):
    """Runs a callable on the GUI thread and waits for it: widgets (the report draws the
    window's plot and elevation widgets) may only be created there."""

    call = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        app = QGuiApplication.instance()
        assert app is not None
        self.moveToThread(app.thread())
        self.call.connect(self._run, Qt.ConnectionType.BlockingQueuedConnection)

    @Slot(object)
    def _run(self, box: list[Any]) -> None:
        fn = box[0]
        try:
            box.append(fn())
        except BaseException as exc:  # handed back to the calling thread
            box.append(exc)


def _on_gui_thread(fn: Callable[[], Any]) -> Any:
    app = QGuiApplication.instance()
    assert app is not None, "call ensure_gui_app() first"
    if QThread.currentThread() is app.thread():
        return fn()
    box: list[Any] = [fn]
    caller = _GuiCall()  # held until the call returns: a collected sender drops the signal
    caller.call.emit(box)
    caller.deleteLater()
    if isinstance(box[1], BaseException):
        raise box[1]
    return box[1]


def _render(engine: Engine, data: SnapshotData, info: ReportInfo) -> dict[str, bytes]:
    return dict(_on_gui_thread(lambda: render_report(engine, data, info)))


def export_snapshot(
    engine: Engine,
    scope: Scope,
    start: int,
    end: int,
    out_path: str | Path,
    *,
    user: str | None = None,
    database: str = "",
    note: str = "",
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> ExportResult:
    """Write the snapshot zip of scope over [start, end] (UTC epoch s) to out_path.

    progress(percent, message) is called from the calling thread; cancel (an Event or a
    callable) is checked between steps. From a worker thread the report's drawing step runs
    on the GUI thread (which must be processing events); call ensure_gui_app() first.
    """
    if cancel is None:
        cancelled: Callable[[], bool] = lambda: False  # noqa: E731
    elif isinstance(cancel, threading.Event):
        cancelled = cancel.is_set
    else:
        cancelled = cancel
    return write_snapshot(
        engine,
        scope,
        start,
        end,
        out_path,
        _render,
        user=user,
        database=database,
        note=note,
        progress=progress,
        cancelled=cancelled,
    )
