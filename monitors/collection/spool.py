"""A bounded on-disk FIFO of opaque batches (SQLite file) for when the database is away."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from monitors.collection.local_db import open_local

log = logging.getLogger("rackwatch.spool")

DEFAULT_MAX_BYTES = 256 * 1024 * 1024


class SpoolFull(Exception):
    """The spool holds max_bytes already; the batch was not stored."""


@dataclass(frozen=True, slots=True)
class SpoolEntry:
    id: int  # increasing: replay in id order is arrival order
    created_ts: float
    payload: bytes


class Spool:
    """Append batches, read the oldest, acknowledge them once they are safely elsewhere.

    Payloads are bytes the caller encodes (poll results here; alarm events for an outbox).
    Each append is its own committed transaction, so a kill loses nothing that append
    returned from. Entries stay until ack(): a crash between delivery and ack delivers an
    entry twice, so consumers must be idempotent. Thread-safe (one lock per spool).
    """

    def __init__(self, path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = Path(path)
        self.max_bytes = int(max_bytes)
        self._lock = threading.Lock()
        self._db = open_local(self.path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS spool (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "created_ts REAL NOT NULL, payload BLOB NOT NULL)"
        )
        row = self._db.execute("SELECT count(*), coalesce(sum(length(payload)), 0) FROM spool")
        self._count, self._bytes = (int(v) for v in row.fetchone())

    def __len__(self) -> int:
        return self._count

    @property
    def bytes_used(self) -> int:
        return self._bytes

    def append(self, payload: bytes) -> int:
        """Store one batch; returns its id; raises SpoolFull when it would exceed max_bytes."""
        with self._lock:
            if self._bytes + len(payload) > self.max_bytes:
                raise SpoolFull(
                    f"spool {self.path} full: {self._bytes} of {self.max_bytes} bytes used"
                )
            cur = self._db.execute(
                "INSERT INTO spool (created_ts, payload) VALUES (?, ?)", (time.time(), payload)
            )
            self._count += 1
            self._bytes += len(payload)
            return int(cur.lastrowid or 0)

    def oldest(self, limit: int = 1) -> list[SpoolEntry]:
        """Up to limit entries, oldest first, still in the spool until acknowledged."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, created_ts, payload FROM spool ORDER BY id LIMIT ?", (int(limit),)
            ).fetchall()
        return [SpoolEntry(int(a), float(b), bytes(c)) for a, b, c in rows]

    def __iter__(self) -> Iterator[SpoolEntry]:
        """Every entry, oldest first (read in small pages so a big spool is not loaded)."""
        last = 0
        while True:
            with self._lock:
                rows = self._db.execute(
                    "SELECT id, created_ts, payload FROM spool WHERE id > ? ORDER BY id LIMIT 64",
                    (last,),
                ).fetchall()
            if not rows:
                return
            for a, b, c in rows:
                last = int(a)
                yield SpoolEntry(last, float(b), bytes(c))

    def ack(self, entry_id: int) -> None:
        """Remove one delivered entry."""
        with self._lock:
            row = self._db.execute(
                "DELETE FROM spool WHERE id = ? RETURNING length(payload)", (int(entry_id),)
            ).fetchone()
            if row is not None:
                self._count -= 1
                self._bytes -= int(row[0])

    def oldest_age_s(self) -> float:
        """Seconds since the oldest entry was spooled (0 when empty)."""
        with self._lock:
            row = self._db.execute("SELECT min(created_ts) FROM spool").fetchone()
        return 0.0 if row is None or row[0] is None else max(0.0, time.time() - float(row[0]))

    def close(self) -> None:
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._db.close()
