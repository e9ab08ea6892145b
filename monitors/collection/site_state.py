"""A site collector's last assignment on local disk, so a restart during a cut keeps polling."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from models.inventory.device_specs import DeviceSpec
from models.store.series import Key
from monitors.collection.local_db import open_local

log = logging.getLogger("rackwatch.site")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS device (id INTEGER PRIMARY KEY, spec TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, device_id INTEGER NOT NULL, "
    "metric TEXT NOT NULL, channel TEXT NOT NULL, labels TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS series_device ON series (device_id)",
    "CREATE TABLE IF NOT EXISTS saved (k TEXT PRIMARY KEY, v TEXT NOT NULL)",
)


@dataclass(frozen=True, slots=True)
class SavedAssignment:
    """What the collector polled and wrote when it last heard from the centre."""

    devices: tuple[DeviceSpec, ...]
    series: dict[Key, int]  # (device id, metric, channel) -> series id
    labels: dict[int, dict[str, str]]  # series id -> VictoriaMetrics labels
    saved_ts: int


class SiteState:
    """The devices a site collector leases, with their series ids and labels, in SQLite.

    Without it a collector restarted while its site is cut off from the centre has no
    devices (they come from leases) and no series ids or labels (they come from the
    central database), so it polls nothing until the link returns. Written incrementally:
    devices when the assignment changes, series once each when first learned.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = open_local(self.path)
        for stmt in _SCHEMA:
            self._db.execute(stmt)
        self._specs: dict[int, str] = dict(self._db.execute("SELECT id, spec FROM device"))
        self._series: set[int] = {int(r[0]) for r in self._db.execute("SELECT id FROM series")}

    def save_devices(self, devices: Mapping[int, DeviceSpec]) -> bool:
        """Record the assignment (new, changed and gone devices); True if anything changed."""
        specs = {d: json.dumps(asdict(s), sort_keys=True) for d, s in devices.items()}
        changed = [(d, js) for d, js in specs.items() if self._specs.get(d) != js]
        gone = [(d,) for d in self._specs if d not in specs]
        if not changed and not gone:
            return False
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO device (id, spec) VALUES (?, ?)", changed)
            self._db.executemany("DELETE FROM device WHERE id = ?", gone)
            self._db.executemany("DELETE FROM series WHERE device_id = ?", gone)
            self._stamp()
            self._db.execute("COMMIT")
        self._specs = specs
        self._series = {int(r[0]) for r in self._db.execute("SELECT id FROM series")}
        return True

    def save_series(self, entries: Iterable[tuple[Key, int, Mapping[str, str]]]) -> int:
        """Record series not yet saved, of devices in the assignment; returns how many."""
        new = [
            (sid, key[0], key[1], key[2], json.dumps(dict(labels), sort_keys=True))
            for key, sid, labels in entries
            if sid not in self._series and key[0] in self._specs
        ]
        if not new:
            return 0
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO series (id, device_id, metric, channel, labels) "
                "VALUES (?, ?, ?, ?, ?)",
                new,
            )
            self._stamp()
            self._db.execute("COMMIT")
        self._series.update(row[0] for row in new)
        return len(new)

    def _stamp(self) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO saved (k, v) VALUES ('saved_ts', ?)", (str(int(time.time())),)
        )

    def load(self) -> SavedAssignment | None:
        """The last saved assignment, or None if there is none (or the file is unreadable)."""
        try:
            with self._lock:
                devices = tuple(
                    DeviceSpec(**json.loads(js))
                    for (js,) in self._db.execute("SELECT spec FROM device ORDER BY id")
                )
                rows = self._db.execute(
                    "SELECT id, device_id, metric, channel, labels FROM series"
                ).fetchall()
                stamp = self._db.execute("SELECT v FROM saved WHERE k = 'saved_ts'").fetchone()
        except (sqlite3.DatabaseError, ValueError, TypeError) as exc:
            log.error("site state %s unreadable, not used: %s", self.path, exc)
            return None
        if not devices:
            return None
        series = {(int(d), str(m), str(c)): int(sid) for sid, d, m, c, _ in rows}
        labels = {int(sid): json.loads(lab) for sid, _d, _m, _c, lab in rows}
        return SavedAssignment(devices, series, labels, int(stamp[0]) if stamp else 0)

    def close(self) -> None:
        with self._lock:
            self._db.close()
