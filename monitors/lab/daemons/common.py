"""Finding daemon binaries, free loopback ports and the real-device captures."""

from __future__ import annotations

import os
import shutil
import socket
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def find_binary(name: str, *extra_dirs: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for d in (*extra_dirs, "/usr/sbin", "/usr/local/sbin", "/sbin"):
        candidate = Path(d) / name
        if candidate.exists():
            return str(candidate)
    return None


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_tcp(port: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def captures_dir() -> Path | None:
    """The real-device captures: $RACKWATCH_CAPTURES when set, else tests/data/captures.

    The captures are GPL-3.0 LibreNMS test data whose owner asks that they not be copied into
    this repository, so tests/data/captures is only a place to put (or link) them locally;
    ../shared/captures beside the checkout (the development sessions' copy) is the last
    resort. None when no folder with an expected/ table is found (the tests then skip).
    """
    env = os.environ.get("RACKWATCH_CAPTURES")
    if env:
        path = Path(env)
        return path if (path / "expected").is_dir() else None
    for path in (REPO / "tests" / "data" / "captures", REPO.parent / "shared" / "captures"):
        if (path / "expected").is_dir():
            return path
    return None
