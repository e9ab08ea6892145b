"""A site collector's alarm outbox: transitions kept on local disk until the centre has them."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from models.alarms.lifecycle import AlarmChange, OpenAlarm, apply_changes
from models.rules import Rules
from monitors.alarms.engine import AlarmEngine
from monitors.collection.local_db import open_local

log = logging.getLogger("rackwatch.outbox")

# Batches held at most; beyond this (weeks of a flapping site cut off) the oldest go first.
MAX_BATCHES = 200_000


class AlarmOutbox:
    """Batches of alarm changes in the collector's own SQLite file, oldest first.

    Each batch gets an id (a UUID) when it is written here; the centre records the ids it
    applied (alarm_outbox_receipt, INSERT ... ON CONFLICT DO NOTHING in the same
    transaction), so a batch replayed after a crash between the central commit and the
    local delete is applied once. Kept separate from the sample path: samples are
    buffered by vmagent.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = open_local(self.path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS alarm_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "uid TEXT NOT NULL, ts INTEGER NOT NULL, changes TEXT NOT NULL)"
        )

    def append(self, changes: list[AlarmChange], t: int) -> str:
        uid = uuid.uuid4().hex
        body = json.dumps([asdict(c) for c in changes], separators=(",", ":"))
        with self._lock:
            self._db.execute(
                "INSERT INTO alarm_outbox (uid, ts, changes) VALUES (?, ?, ?)", (uid, int(t), body)
            )
            n = self._db.execute("SELECT count(*) FROM alarm_outbox").fetchone()[0]
            if n > MAX_BATCHES:
                log.error("alarm outbox full: dropping the oldest %d batches", n - MAX_BATCHES)
                self._db.execute(
                    "DELETE FROM alarm_outbox WHERE id IN (SELECT id FROM alarm_outbox "
                    "ORDER BY id LIMIT ?)",
                    (n - MAX_BATCHES,),
                )
        return uid

    def pending(self, limit: int = 1000) -> list[tuple[int, str, int, list[AlarmChange]]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, uid, ts, changes FROM alarm_outbox ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
        return [
            (int(i), str(u), int(t), [AlarmChange(**c) for c in json.loads(body)])
            for i, u, t, body in rows
        ]

    def done(self, row_id: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM alarm_outbox WHERE id = ?", (row_id,))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM alarm_outbox").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class OutboxAlarmEngine(AlarmEngine):
    """The alarm engine of a site collector: every transition goes through the outbox.

    Transitions are written to local disk first, then delivered to the centre in order;
    delivery stops at the first failure and resumes with the next batch, so a cut link or
    a collector restart during a cut loses none and never reorders them.
    """

    def __init__(self, engine: Engine, rules: Rules | None, outbox: AlarmOutbox) -> None:
        super().__init__(engine, rules)
        self.outbox = outbox
        self.delivered = 0
        self._away = False

    def _overlay(self) -> None:
        """Count what waits in the outbox as written: a raise queued during a cut is open.

        The engine only clears what it believes open; without this, the clear of an alarm
        raised while the centre was away (or before a restart) would never be sent.
        """
        for _row, _uid, _t, changes in self.outbox.pending(MAX_BATCHES):
            for c in changes:
                if c.severity is None:
                    self.open.pop(c.key, None)
                elif c.key not in self.open:
                    self.open[c.key] = OpenAlarm(-1, c.key, c.severity, "active")

    def start(self, now: int | None = None) -> None:
        super().start(now)
        self._overlay()

    def _housekeeping(self, t: int) -> list[AlarmChange]:
        released = super()._housekeeping(t)
        if len(self.outbox):
            self._overlay()  # housekeeping re-read the open alarms from the centre
        return released

    def _write(self, changes: list[AlarmChange], t: int) -> None:
        if changes:
            uid = self.outbox.append(changes, t)
            for c in changes:
                if c.severity is None:
                    self.open.pop(c.key, None)
                elif c.key not in self.open:
                    self.open[c.key] = OpenAlarm(-1, c.key, c.severity, "active")
            # One line per queued batch: what the site decided, whatever the centre hears.
            log.info(
                "outbox queued batch=%s t=%d %s",
                uid,
                t,
                " ".join(f"{c.key}={c.severity or 'cleared'}" for c in changes),
            )
        self.deliver()

    def process(self, results: Any, rows: Any, now: int | None = None) -> list[AlarmChange]:
        out = super().process(results, rows, now)
        # A batch with no new transition still drains what an outage (or the previous
        # process, before a restart) left in the outbox.
        if not out and len(self.outbox):
            self.deliver()
        return out

    def deliver(self) -> int:
        """Send what the outbox holds, oldest first; returns batches still pending."""
        while True:
            batch = self.outbox.pending(200)
            if not batch:
                return 0
            for row_id, uid, t, changes in batch:
                try:
                    result = apply_changes(self.engine, changes, t, batch_uid=uid)
                except Exception as exc:
                    left = len(self.outbox)
                    if not self._away:  # once per outage, not with every batch
                        log.warning("centre away: alarm batches wait in the outbox (%s)", exc)
                    self._away = True
                    return left
                if self._away:
                    log.info("centre back: delivering %d alarm batches", len(self.outbox))
                    self._away = False
                self.outbox.done(row_id)
                self.delivered += 1
                self._absorb(result, changes)
