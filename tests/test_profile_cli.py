"""app.py profile check (errors as file:line) and profile test (a walk served on loopback)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.daemons import REPO

WALKS = Path(__file__).parent / "data" / "walks"


def _app(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "app.py"), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )


def test_check_lists_every_error_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "acme.yaml"
    bad.write_text(
        "match: [{sys_object_id: 1.3.6.1.4.1.99999}]\n"
        "metrics:\n"
        "  - metric: power_w\n"
        "    walk: 1.3.6.1.4.1.99999.1\n"
        "    divisor: 0\n"
        "  - metric: current_a\n"
        "    walk: 1.3.6.1.4.1.99999.2\n"
        "    channel: feed\n"
    )
    proc = _app("profile", "check", str(bad))
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert f"{bad}:5: metrics[0].divisor: must not be 0" in lines
    assert any(ln.startswith(f"{bad}:8: metrics[1].channel:") for ln in lines), lines
    ok = _app("profile", "check", str(REPO / "resources" / "profiles" / "sentry3.yaml"))
    assert ok.returncode == 0 and "ok" in ok.stdout


def test_test_serves_the_walk_and_prints_readings() -> None:
    proc = _app(
        "profile", "test", str(REPO / "resources" / "profiles" / "schleifenbauer.yaml"),
        "--walk", str(WALKS / "schleifenbauer-hpdu.snmprec"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "status   ok" in proc.stdout
    assert "unit 1 input 1 L1" in proc.stdout and "231.1" in proc.stdout
    assert "match:" not in proc.stdout  # this profile is the one RackWatch would choose


def test_test_says_when_another_profile_wins_or_nothing_is_read(tmp_path: Path) -> None:
    # the ATEN profile against the Supermicro BMC walk: same enterprise, other subtree
    proc = _app(
        "profile", "test", str(REPO / "resources" / "profiles" / "aten-pdu.yaml"),
        "--walk", str(WALKS / "supermicro-x11.snmprec"),
    )  # fmt: skip
    assert proc.returncode == 4, proc.stdout  # matched by force, read nothing
    assert "NO DATA (empty)" in proc.stdout
    bad_walk = tmp_path / "w.snmprec"
    bad_walk.write_text("1.3.6.1.2.1.1.2.0|6|1.3.6\nnot a line\n")
    proc = _app(
        "profile", "test", str(REPO / "resources" / "profiles" / "aten-pdu.yaml"),
        "--walk", str(bad_walk),
    )  # fmt: skip
    assert proc.returncode == 1 and f"{bad_walk}:2:" in proc.stderr


def test_test_names_the_profile_that_would_win(tmp_path: Path) -> None:
    mine = tmp_path / "my-roomalert.yaml"
    text = (REPO / "resources" / "profiles" / "avtech-roomalert.yaml").read_text()
    mine.write_text(text.replace("priority: 60", "priority: 10"))
    proc = _app("profile", "test", str(mine), "--walk", str(WALKS / "avtech-roomalert4e.snmprec"))
    assert proc.returncode == 3, proc.stdout
    assert "another profile would be chosen first: avtech-roomalert" in proc.stdout
    assert "Cold aisle" in proc.stdout  # it still reads the walk
