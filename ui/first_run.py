"""The empty-state page shown while the database has no sites: import, add a device, demo."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QProcess, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

# The README's command for each way in, shown beside its button so the same step can be
# scripted (and so a newcomer learns the CLI from the window).
IMPORT_COMMAND = "app.py import FILE.yaml|FILE.csv [--db URL]"
ADD_COMMAND = "app.py probe HOST[:PORT] --community C; app.py import FILE.csv"
DEMO_COMMAND = "./dev demo   (or: app.py demo)"


def self_command(*args: str) -> tuple[str, list[str]]:
    """Program and arguments that run this RackWatch again (the bundle's binary or app.py)."""
    if getattr(sys, "frozen", False):
        return sys.executable, list(args)
    app = Path(__file__).resolve().parent.parent / "app.py"
    return sys.executable, [str(app), *args]


def launch_demo() -> bool:
    """Start `app.py demo` on its own: its lab, collector, database and window.

    Detached, so closing this (empty) window does not stop the demo; the demo's window
    closing stops every process the demo started.
    """
    program, args = self_command("demo")
    ok, _pid = QProcess.startDetached(program, args)
    return bool(ok)


class CollectorChild:
    """`app.py collect --db URL` started from the window, for a desk with no collector yet.

    A child of the window's process: it stops when the window closes (terminate, then kill).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.proc: QProcess | None = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.state() != QProcess.ProcessState.NotRunning

    def start(self) -> bool:
        if self.running:
            return True
        program, args = self_command("collect", "--db", self.url)
        self.proc = QProcess()
        self.proc.setProcessChannelMode(QProcess.ProcessChannelMode.ForwardedChannels)
        self.proc.start(program, args)
        return bool(self.proc.waitForStarted(10_000))

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.running:
            self.proc.terminate()
            if not self.proc.waitForFinished(10_000):
                self.proc.kill()
                self.proc.waitForFinished(5_000)
        self.proc = None


class EmptyState(QWidget):
    """'No sites yet' with the three ways to get some, each with its command line."""

    import_requested = Signal()
    add_device_requested = Signal()
    demo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        title = QLabel(self.tr("No sites yet"), self)
        title.setObjectName("emptyTitle")
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        intro = QLabel(
            self.tr(
                "RackWatch watches the sites, racks and devices of its inventory. "
                "Bring yours in, add one device by its address, or look around in a "
                "simulated data hall first."
            ),
            self,
        )
        intro.setWordWrap(True)
        self.import_button = QPushButton(self.tr("Import inventory…"), self)
        self.add_button = QPushButton(self.tr("Add a device…"), self)
        self.demo_button = QPushButton(self.tr("Start the demo"), self)
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.import_requested)
        self.add_button.clicked.connect(self.add_device_requested)
        self.demo_button.clicked.connect(self.demo_requested)
        rows = (
            (
                self.import_button,
                self.tr("Load sites, racks and devices from a YAML or CSV file."),
                IMPORT_COMMAND,
            ),
            (
                self.add_button,
                self.tr("Enter a PDU or server by address, probe it and save it."),
                ADD_COMMAND,
            ),
            (
                self.demo_button,
                self.tr("Start simulated sites on this machine, collect them and open them."),
                DEMO_COMMAND,
            ),
        )
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(14)
        self.command_labels: list[QLabel] = []
        for i, (button, what, command) in enumerate(rows):
            button.setMinimumWidth(200)
            grid.addWidget(button, i, 0, Qt.AlignmentFlag.AlignTop)
            text = QLabel(what, self)
            text.setWordWrap(True)
            cmd = QLabel(command, self)
            cmd.setObjectName("emptyCommand")
            cmd.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            mono = QFont("monospace")
            mono.setStyleHint(QFont.StyleHint.Monospace)
            cmd.setFont(mono)
            # Room for descenders: a monospace fallback can be taller than the layout's guess.
            cmd.setMinimumHeight(cmd.fontMetrics().height() + 4)
            self.command_labels.append(cmd)
            box = QVBoxLayout()
            box.setSpacing(2)
            box.addWidget(text)
            box.addWidget(cmd)
            grid.addLayout(box, i, 1)
        grid.setColumnStretch(1, 1)
        card = QFrame(self)
        card.setObjectName("emptyCard")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        card.setMaximumWidth(760)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 24, 28, 24)
        inner.setSpacing(14)
        inner.addWidget(title)
        inner.addWidget(intro)
        inner.addLayout(grid)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
