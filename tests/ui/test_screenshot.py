"""`app.py gui --screenshot` renders a loaded view to a PNG and exits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from monitors.lab.hall_dataset import Hall
from tests.daemons import REPO


def _gui(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    return subprocess.run(
        [sys.executable, str(REPO / "app.py"), "gui", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("view", ["rack:SH1-B03", "site:SH1", "wall", "alarms"])
def test_screenshot_writes_png(
    hall_url: str, hall: Hall, tmp_path: Path, view: str, qapp: object
) -> None:
    out = tmp_path / f"{view.replace(':', '_')}.png"
    proc = _gui(
        [
            "--db",
            hall_url,
            "--screenshot",
            str(out),
            "--view",
            view,
            "--width",
            "1200",
            "--height",
            "800",
        ],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = QImage(str(out))
    assert (img.width(), img.height()) == (1200, 800)
    # Not a blank image: many distinct colours were painted.
    colours = {img.pixel(x, y) for x in range(0, 1200, 23) for y in range(0, 800, 19)}
    assert len(colours) > 20


def test_screenshot_rejects_unknown_rack(hall_url: str, tmp_path: Path) -> None:
    proc = _gui(
        ["--db", hall_url, "--screenshot", str(tmp_path / "x.png"), "--view", "rack:NOPE"], tmp_path
    )
    assert proc.returncode == 2
    assert "rack:NOPE" in proc.stderr and not (tmp_path / "x.png").exists()


def test_gui_reports_a_database_it_cannot_open(tmp_path: Path) -> None:
    # (A database without the schema gets it on first run: tests/ui/test_newcomer.py.)
    (tmp_path / "file").write_text("a file where the database's folder should be")
    url = f"sqlite:///{tmp_path / 'file' / 'x.db'}"
    proc = _gui(["--db", url, "--screenshot", str(tmp_path / "x.png")], tmp_path)
    assert proc.returncode == 2 and "rackwatch gui:" in proc.stderr
    assert not (tmp_path / "x.png").exists()
