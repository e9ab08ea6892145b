"""Export dialog: scope, window and file, with progress and cancel; the export runs in a thread."""

from __future__ import annotations

import getpass
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QDateTime,
    QObject,
    Qt,
    QThread,
    QTimeZone,
    Signal,
    Slot,
)
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from models.db import make_engine
from models.snapshot.bundle import ExportResult
from models.snapshot.data import ExportCancelled, SnapshotError, alarm_window, parse_scope
from ui.snapshot_export import export_snapshot


class ExportWorker(QObject):
    """Runs export_snapshot on its own thread and engine; reports through signals."""

    progress = Signal(int, str)
    done = Signal(object)  # ExportResult
    failed = Signal(str)

    def __init__(
        self,
        url: str,
        scope: str,
        start: int,
        end: int,
        out: str,
        user: str,
        database: str,
        note: str = "",
    ) -> None:
        super().__init__()
        self.url, self.scope, self.start, self.end = url, scope, start, end
        self.out, self.user, self.database, self.note = out, user, database, note
        self.cancel = threading.Event()

    @Slot()
    def run(self) -> None:
        engine = make_engine(self.url)
        try:
            res = export_snapshot(
                engine,
                parse_scope(self.scope),
                self.start,
                self.end,
                self.out,
                user=self.user,
                database=self.database,
                note=self.note,
                progress=lambda p, m: self.progress.emit(p, m),
                cancel=self.cancel,
            )
            self.done.emit(res)
        except ExportCancelled:
            self.failed.emit(self.tr("Export cancelled; no file was written."))
        except SnapshotError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # shown to the user instead of killing the thread silently
            self.failed.emit(self.tr("Export failed: {0}").format(exc))
        finally:
            engine.dispose()


def _qdt(ts: int) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(ts), QTimeZone.utc())


class SnapshotDialog(QDialog):
    """Choose scope and window (UTC), pick the file, export with progress; Cancel stops it."""

    finished_export = Signal(object)  # ExportResult

    def __init__(
        self,
        url: str,
        *,
        scope: str = "",
        start: int | None = None,
        end: int | None = None,
        user: str | None = None,
        database: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Export incident snapshot"))
        self.url = url
        self.user = user or getpass.getuser()
        self.database = database
        self.export_result: ExportResult | None = None
        self._thread: QThread | None = None
        self._worker: ExportWorker | None = None
        now = int(time.time())
        end = end if end is not None else now
        start = start if start is not None else end - 3600

        self.scope_edit = QLineEdit(scope)
        self.scope_edit.setPlaceholderText("site:CODE  row:SITE/ROW  rack:NAME  device:NAME")
        self.note_edit = QPlainTextEdit()
        self.note_edit.setPlaceholderText(
            self.tr("Root cause / notes for page 1 (e.g. CRAC-3 compressor tripped at 10:02)")
        )
        self.note_edit.setMaximumHeight(80)
        self.start_edit = QDateTimeEdit(_qdt(start))
        self.end_edit = QDateTimeEdit(_qdt(end))
        for w in (self.start_edit, self.end_edit):
            w.setTimeZone(QTimeZone.utc())
            w.setDisplayFormat("yyyy-MM-dd HH:mm:ss 'UTC'")
            w.setCalendarPopup(True)
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d-%H%M")
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in scope) or "snapshot"
        self.file_edit = QLineEdit(str(Path.home() / f"incident-{safe}-{stamp}.zip"))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(browse)

        form = QFormLayout()
        form.addRow(self.tr("Scope"), self.scope_edit)
        form.addRow(self.tr("From"), self.start_edit)
        form.addRow(self.tr("To"), self.end_edit)
        form.addRow(self.tr("File"), file_row)
        form.addRow(self.tr("Root cause / notes"), self.note_edit)

        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.status = QLabel(self.tr("Ready."))
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton(
            self.tr("Export"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.cancel_button.setEnabled(False)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button.clicked.connect(self.cancel_export)
        self.close_button.clicked.connect(self.reject)

        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.bar)
        lay.addWidget(self.status)
        lay.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())

    @classmethod
    def for_alarm(
        cls, url: str, alarm_id: int, parent: QWidget | None = None, **kw: object
    ) -> SnapshotDialog:
        """Pre-filled with the alarm's rack and its span plus margins."""
        engine = make_engine(url)
        try:
            scope, start, end = alarm_window(engine, alarm_id)
        finally:
            engine.dispose()
        return cls(url, scope=str(scope), start=start, end=end, parent=parent, **kw)  # type: ignore[arg-type]

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save snapshot"), self.file_edit.text(), self.tr("Zip (*.zip)")
        )
        if path:
            self.file_edit.setText(path)

    def busy(self) -> bool:
        return self._thread is not None

    @Slot()
    def start_export(self) -> None:
        if self.busy():
            return
        start = self.start_edit.dateTime().toSecsSinceEpoch()
        end = self.end_edit.dateTime().toSecsSinceEpoch()
        try:
            parse_scope(self.scope_edit.text())
        except SnapshotError as exc:
            self.status.setText(str(exc))
            return
        if end <= start:
            self.status.setText(self.tr("The end of the window must be after its start."))
            return
        self.export_result = None
        self._worker = ExportWorker(
            self.url,
            self.scope_edit.text(),
            int(start),
            int(end),
            self.file_edit.text(),
            self.user,
            self.database,
            self.note_edit.toPlainText(),
        )
        self._thread = QThread(self)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._worker.done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._worker.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        self.export_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.bar.setValue(0)
        self.status.setText(self.tr("Starting…"))
        self._thread.start()

    @Slot()
    def cancel_export(self) -> None:
        if self._worker is not None:
            self._worker.cancel.set()
            self.status.setText(self.tr("Cancelling…"))

    @Slot(int, str)
    def _on_progress(self, pct: int, message: str) -> None:
        self.bar.setValue(pct)
        self.status.setText(message)

    @Slot(object)
    def _on_done(self, res: ExportResult) -> None:
        self.export_result = res
        self._stop_thread()
        self.bar.setValue(100)
        self.status.setText(
            self.tr("Written {0}: {1} samples, {2} alarms, {3:.1f} s.").format(
                res.path, f"{res.sample_rows:,}", res.alarms, res.seconds
            )
        )
        self.finished_export.emit(res)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._stop_thread()
        self.bar.setValue(0)
        self.status.setText(message)

    def _join(self) -> None:
        # The worker hands the report's drawing to this (GUI) thread and waits for it, so
        # waiting here must keep serving events or both would wait forever.
        assert self._thread is not None
        self._thread.quit()
        while not self._thread.wait(20):
            QCoreApplication.processEvents()
        self._thread = None

    def _stop_thread(self) -> None:
        if self._thread is not None:
            self._join()
        self._worker = None
        self.export_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def reject(self) -> None:
        # Closing while exporting cancels first, so no thread outlives the dialog.
        if self._worker is not None:
            self._worker.cancel.set()
        if self._thread is not None:
            self._join()
        super().reject()
