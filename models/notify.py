"""LISTEN/NOTIFY on PostgreSQL for desks: what changed, and when everything must be re-read."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

CHANNEL = "rackwatch"
# Payloads sent by the triggers of migration 0004 (one per statement that changed a table).
# Incidents and their events notify "alarms" too (migration 0009).
TOPICS = ("alarms", "data", "state", "inventory")
RECONNECT_MAX_S = 10.0


@dataclass
class Changes:
    """What one wait returned: topics notified, and whether the listener (re)connected.

    NOTIFY has no replay: after a (re)connection anything may have changed while nobody
    listened, so the desk must re-read everything, not only the topics.
    """

    topics: set[str] = field(default_factory=set)
    reconnected: bool = False

    def __bool__(self) -> bool:
        return bool(self.topics) or self.reconnected


class ChangeListener:
    """One LISTEN connection, reopened with backoff when the server goes away."""

    def __init__(self, url: str, *, connect_timeout: int = 3) -> None:
        u = make_url(url)
        self.params: dict[str, Any] = {
            "host": u.host or "127.0.0.1",
            "port": u.port or 5432,
            "user": u.username,
            "password": u.password,
            "dbname": u.database,
            "connect_timeout": connect_timeout,
            "autocommit": True,
        }
        self._conn: Any = None
        self._backoff = 0.5
        self._ever = False
        self.connects = 0

    def _connect(self) -> bool:
        import psycopg

        try:
            self._conn = psycopg.connect(**{k: v for k, v in self.params.items() if v is not None})
            self._conn.execute(f"LISTEN {CHANNEL}")
        except Exception as exc:
            log.info("change listener cannot connect: %s", exc)
            self._close()
            return False
        self._backoff = 0.5
        self.connects += 1
        return True

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                log.debug("closing the listener connection failed")
            self._conn = None

    def wait(self, timeout: float) -> Changes:
        """Block up to timeout for notifications; reconnects (and says so) when needed."""
        out = Changes()
        deadline = time.monotonic() + timeout
        if self._conn is None:
            if not self._connect():
                time.sleep(min(self._backoff, max(0.0, timeout)))
                self._backoff = min(RECONNECT_MAX_S, self._backoff * 2)
                return out
            out.reconnected = True
        try:
            for n in self._conn.notifies(timeout=max(0.0, deadline - time.monotonic())):
                out.topics.add(str(n.payload))
                # Take what is already queued, then hand over: the desk re-reads once.
                deadline = min(deadline, time.monotonic() + 0.05)
                if time.monotonic() >= deadline:
                    break
        except Exception as exc:
            log.info("change listener lost its connection: %s", exc)
            self._close()
        return out

    def close(self) -> None:
        self._close()
