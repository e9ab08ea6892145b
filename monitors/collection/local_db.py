"""The collector's own SQLite files (sample spool, alarm outbox, site state), opened one way."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path


def open_local(path: Path) -> sqlite3.Connection:
    """Open (or create) a local file in autocommit mode, readable by its owner only.

    WAL so a reader never blocks the writer thread; synchronous=FULL because what these
    files hold was acknowledged to nobody yet and must survive a power cut of the host.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)  # they name devices, sites and alarms: not for every user
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    return db
