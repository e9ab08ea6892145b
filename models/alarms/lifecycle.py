"""Alarm lifecycle in the database: raise, update, clear, unshelve, maintenance windows, audit."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, text

# Re-exported so every writer of operator actions lives behind one import; the GUI's versions
# in models.queries record the audit event and move the alarm's seq like ours do.
from models import staleness
from models.alarms import incidents
from models.alarms.desk import acknowledge_alarm, shelve_alarm
from models.store.samples import next_change_seq

__all__ = [
    "OPEN_STATES",
    "SCOPES",
    "AlarmChange",
    "MaintenanceEntry",
    "OpenAlarm",
    "acknowledge_alarm",
    "add_maintenance",
    "apply_changes",
    "end_maintenance",
    "maintenance_windows",
    "new_critical_since",
    "open_alarms_by_key",
    "shelve_alarm",
    "sync_collector_alarms",
    "unshelve_expired",
]

OPEN_STATES = ("active", "acknowledged", "shelved")
SCOPES = ("site", "rack", "device")
SEVERITY_RANK = {"warning": 1, "critical": 2}


@dataclass(frozen=True, slots=True)
class AlarmChange:
    """What the engine wants: a condition raised (severity set) or cleared (severity None)."""

    key: str
    rule: str
    severity: str | None
    message: str
    site_id: int | None = None
    rack_id: int | None = None
    device_id: int | None = None
    series_id: int | None = None
    value: float | None = None
    threshold: float | None = None
    # The catalogue template (models.messages) and its JSON arguments; readers render these
    # in their locale, message stays the English text.
    message_id: str | None = None
    message_args: str | None = None


@dataclass(frozen=True, slots=True)
class OpenAlarm:
    id: int
    key: str
    severity: str
    state: str


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else int(now)


def _bump(conn: Connection) -> int:
    """alarm.seq takes the change sequence, so max(alarm.seq) is the cursor GUIs follow."""
    return next_change_seq(conn)


def open_alarms_by_key(engine: Engine) -> dict[str, OpenAlarm]:
    """Every open (active, acknowledged or shelved) alarm by condition key."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, key, severity, state FROM alarm WHERE state IN :st ORDER BY id"
            ).bindparams(bindparam("st", expanding=True)),
            {"st": list(OPEN_STATES)},
        ).all()
    return {r[1]: OpenAlarm(int(r[0]), r[1], r[2], r[3]) for r in rows}


_INSERT_EVENT = text(
    'INSERT INTO alarm_event (alarm_id, ts, action, from_state, to_state, "user", note, '
    "message_id, message_args) VALUES (:a, :ts, :act, :f, :t, :u, :n, :mid, :margs)"
)


def apply_changes(
    engine: Engine,
    changes: Sequence[AlarmChange],
    now: int | None = None,
    *,
    batch_uid: str | None = None,
) -> dict[str, OpenAlarm | None]:
    """Persist raises and clears in one transaction, each with its audit event.

    A raise of a key that is already open updates that alarm (an escalation to critical
    returns an acknowledged or shelved alarm to active) instead of adding a second one.
    Returns the resulting open alarm per key (None when cleared or nothing was open).
    With batch_uid (a site collector's outbox) a batch already applied is skipped (empty
    result), so a replay after a lost acknowledgement changes nothing.
    """
    t = _now(now)
    out: dict[str, OpenAlarm | None] = {}
    if not changes:
        return out
    with engine.begin() as conn:
        if batch_uid is not None:
            fresh = conn.execute(
                text(
                    "INSERT INTO alarm_outbox_receipt (uid, received_ts) VALUES (:u, :t) "
                    "ON CONFLICT (uid) DO NOTHING RETURNING uid"
                ),
                {"u": batch_uid, "t": t},
            ).first()
            if fresh is None:
                return out
        keys = sorted({c.key for c in changes})
        current: dict[str, OpenAlarm] = {}
        for i in range(0, len(keys), 500):
            for r in conn.execute(
                text(
                    "SELECT id, key, severity, state FROM alarm WHERE key IN :k AND state IN :st"
                ).bindparams(bindparam("k", expanding=True), bindparam("st", expanding=True)),
                {"k": keys[i : i + 500], "st": list(OPEN_STATES)},
            ):
                current[r[1]] = OpenAlarm(int(r[0]), r[1], r[2], r[3])
        seq = _bump(conn)
        events: list[dict[str, Any]] = []
        for c in changes:
            cur = current.get(c.key)
            if c.severity is None:
                if cur is not None:
                    conn.execute(
                        text(
                            "UPDATE alarm SET state = 'cleared', cleared_ts = :t, seq = :s, "
                            "shelved_until = NULL WHERE id = :a"
                        ),
                        {"t": t, "s": seq, "a": cur.id},
                    )
                    events.append(_event(cur.id, t, "clear", cur.state, "cleared", c.message, c))
                    del current[c.key]
                out[c.key] = None
                continue
            if c.severity not in SEVERITY_RANK:
                raise ValueError(f"alarm {c.key}: unknown severity {c.severity!r}")
            if cur is None:
                row = conn.execute(
                    text(
                        "INSERT INTO alarm (rule, key, severity, state, site_id, rack_id, "
                        "device_id, series_id, message, message_id, message_args, value, "
                        "threshold, raised_ts, seq) VALUES (:rule, :key, :sev, 'active', "
                        ":site, :rack, :dev, :ser, :msg, :mid, :margs, :val, :thr, :t, :s) "
                        "RETURNING id"
                    ),
                    {
                        "rule": c.rule,
                        "key": c.key,
                        "sev": c.severity,
                        "site": c.site_id,
                        "rack": c.rack_id,
                        "dev": c.device_id,
                        "ser": c.series_id,
                        "msg": c.message,
                        "mid": c.message_id,
                        "margs": c.message_args,
                        "val": c.value,
                        "thr": c.threshold,
                        "t": t,
                        "s": seq,
                    },
                ).first()
                assert row is not None
                new = OpenAlarm(int(row[0]), c.key, c.severity, "active")
                events.append(_event(new.id, t, "raise", None, "active", c.message, c))
                current[c.key] = new
                out[c.key] = new
                continue
            up = SEVERITY_RANK[c.severity] > SEVERITY_RANK.get(cur.severity, 0)
            state = "active" if up else cur.state
            action = "escalate" if up else "deescalate" if c.severity != cur.severity else "update"
            conn.execute(
                text(
                    "UPDATE alarm SET severity = :sev, state = :st, message = :msg, "
                    "message_id = :mid, message_args = :margs, value = :val, "
                    "threshold = :thr, seq = :s"
                    + ("" if state == "shelved" else ", shelved_until = NULL")
                    + " WHERE id = :a"
                ),
                {
                    "sev": c.severity,
                    "st": state,
                    "msg": c.message,
                    "mid": c.message_id,
                    "margs": c.message_args,
                    "val": c.value,
                    "thr": c.threshold,
                    "s": seq,
                    "a": cur.id,
                },
            )
            events.append(_event(cur.id, t, action, cur.state, state, c.message, c))
            current[c.key] = out[c.key] = OpenAlarm(cur.id, c.key, c.severity, state)
        if events:
            conn.execute(_INSERT_EVENT, events)
        # Fold what was raised into incidents and bring the incidents of everything that moved
        # up to date, in the same transaction: no alarm is ever outside one.
        raised = [e["a"] for e in events if e["act"] == "raise"]
        touched = incidents.attach(conn, raised, t, seq)
        touched |= incidents.incidents_of(conn, (e["a"] for e in events))
        incidents.refresh(conn, touched, t, seq)
    return out


def _event(
    alarm_id: int,
    ts: int,
    action: str,
    from_state: str | None,
    to_state: str,
    note: str | None,
    change: AlarmChange | None = None,
) -> dict[str, Any]:
    """An audit row; a system event's note is the condition then, also as its template."""
    return {
        "a": alarm_id,
        "ts": ts,
        "act": action,
        "f": from_state,
        "t": to_state,
        "u": "system",
        "n": note,
        "mid": change.message_id if change else None,
        "margs": change.message_args if change else None,
    }


def unshelve_expired(engine: Engine, now: int | None = None) -> list[int]:
    """Return shelved alarms whose time is up to active (or acknowledged if they were)."""
    t = _now(now)
    with engine.begin() as conn:
        rows = conn.execute(
            text(
                "SELECT id, ack_by FROM alarm WHERE state = 'shelved' "
                "AND shelved_until IS NOT NULL AND shelved_until <= :t"
            ),
            {"t": t},
        ).all()
        if not rows:
            seq = _bump(conn) if _shelved_incidents_due(conn, t) else 0
            if seq:
                incidents.unshelve_expired_incidents(conn, t, seq)
            return []
        seq = _bump(conn)
        incidents.unshelve_expired_incidents(conn, t, seq)
        events = []
        for alarm_id, ack_by in rows:
            to = "acknowledged" if ack_by else "active"
            conn.execute(
                text("UPDATE alarm SET state = :to, shelved_until = NULL, seq = :s WHERE id = :a"),
                {"to": to, "s": seq, "a": alarm_id},
            )
            events.append(_event(alarm_id, t, "unshelve", "shelved", to, "shelve period ended"))
        conn.execute(_INSERT_EVENT, events)
    return [int(r[0]) for r in rows]


def _shelved_incidents_due(conn: Connection, t: int) -> bool:
    return (
        conn.execute(
            text(
                "SELECT 1 FROM incident WHERE state = 'shelved' AND shelved_until IS NOT NULL "
                "AND shelved_until <= :t LIMIT 1"
            ),
            {"t": t},
        ).first()
        is not None
    )


@dataclass(frozen=True, slots=True)
class NewCritical:
    id: int
    key: str
    message: str
    raised_ts: int
    seq: int


def new_critical_since(engine: Engine, seq: int) -> tuple[list[NewCritical], int]:
    """Active critical alarms changed after seq (for sound / desktop notification).

    Returns them and the newest alarm seq to pass next time. The GUI remembers which ids it
    already announced, since an alarm's seq also moves on later updates.
    """
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, key, message, raised_ts, seq FROM alarm WHERE seq > :s "
                "AND severity = 'critical' AND state = 'active' ORDER BY seq"
            ),
            {"s": seq},
        ).all()
        top = conn.execute(text("SELECT COALESCE(max(seq), 0) FROM alarm")).scalar()
    return [NewCritical(int(r[0]), r[1], r[2], int(r[3]), int(r[4])) for r in rows], int(top or 0)


# -- maintenance windows -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MaintenanceEntry:
    id: int
    scope: str
    target_id: int
    start_ts: int
    end_ts: int
    created_by: str
    note: str


def add_maintenance(
    engine: Engine,
    scope: str,
    target_id: int,
    start_ts: int,
    end_ts: int,
    *,
    user: str = "",
    note: str = "",
) -> int:
    """Open a maintenance window on a site, rack or device; returns its id."""
    if scope not in SCOPES:
        raise ValueError(f"maintenance: scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    if end_ts <= start_ts:
        raise ValueError("maintenance: the end must be after the start")
    with engine.begin() as conn:
        row = conn.execute(
            text(
                "INSERT INTO maintenance_window (scope, target_id, start_ts, end_ts, created_by, "
                "note) VALUES (:sc, :tg, :s, :e, :u, :n) RETURNING id"
            ),
            {"sc": scope, "tg": int(target_id), "s": start_ts, "e": end_ts, "u": user, "n": note},
        ).first()
        _bump(conn)
    assert row is not None
    return int(row[0])


def end_maintenance(engine: Engine, window_id: int, now: int | None = None) -> None:
    t = _now(now)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE maintenance_window SET end_ts = :t WHERE id = :w AND end_ts > :t"),
            {"t": t, "w": window_id},
        )
        _bump(conn)


def maintenance_windows(engine: Engine, now: int | None = None) -> list[MaintenanceEntry]:
    """Windows not yet over (running or planned), for the engine's cache."""
    t = _now(now)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, scope, target_id, start_ts, end_ts, created_by, note "
                "FROM maintenance_window WHERE end_ts > :t ORDER BY start_ts"
            ),
            {"t": t},
        ).all()
    return [MaintenanceEntry(*r) for r in rows]


# -- collector down ------------------------------------------------------------------------------

COLLECTOR_DOWN = "collector_down"


def collector_down_message(beat: staleness.Beat, now: int, replaced_by: str = "") -> str:
    """The collector-down alarm's text, raised and cleared (one function, to be templated)."""
    if replaced_by:
        return f"Collector {beat.collector_id} was replaced by {replaced_by}"
    age = max(0, now - beat.last_beat_ts)
    last = time.strftime("%H:%M:%S", time.gmtime(beat.last_beat_ts))
    mins, secs = divmod(age, 60)
    ago = f"{mins} min {secs} s" if mins else f"{secs} s"
    return (
        f"Collector {beat.collector_id} (shard {beat.shard}) has not reported for {ago} "
        f"(last heartbeat {last} UTC): its devices are not being polled"
    )


def collector_beats(engine: Engine) -> list[staleness.Beat]:
    with engine.connect() as conn:
        return [
            staleness.Beat(str(r[0]), str(r[1]), str(r[2]), int(r[3]), int(r[4]))
            for r in conn.execute(
                text(
                    "SELECT collector_id, host, shard, started_ts, last_beat_ts "
                    "FROM collector_heartbeat"
                )
            )
        ]


def sync_collector_alarms(engine: Engine, now: int | None = None) -> list[AlarmChange]:
    """Raise a critical alarm for each collector whose heartbeat lapsed; clear it on return.

    Run by every collector's alarm engine (a survivor reports a dead peer) and by desks (with
    a single collector nobody else can); the alarm key makes it idempotent.
    """
    t = _now(now)
    beats = collector_beats(engine)
    current = {b.collector_id: b for b in staleness.current_collectors(beats)}
    by_id = {b.collector_id: b for b in beats}
    with engine.connect() as conn:
        open_ids = {
            str(r[0]).split(":", 2)[2]
            for r in conn.execute(
                text("SELECT key FROM alarm WHERE rule = :r AND state IN :st").bindparams(
                    bindparam("st", expanding=True)
                ),
                {"r": COLLECTOR_DOWN, "st": list(OPEN_STATES)},
            )
        }
    changes: list[AlarmChange] = []
    for cid, beat in current.items():
        if not staleness.is_alive(beat, t) and cid not in open_ids:
            changes.append(
                AlarmChange(
                    f"{COLLECTOR_DOWN}:collector:{cid}",
                    COLLECTOR_DOWN,
                    "critical",
                    collector_down_message(beat, t),
                )
            )
    for cid in open_ids:
        now_beat = current.get(cid)
        if now_beat is not None and not staleness.is_alive(now_beat, t):
            continue
        old = by_id.get(cid)
        successor = ""
        if now_beat is None and old is not None:
            successor = next(
                (
                    b.collector_id
                    for b in current.values()
                    if (b.host, b.shard) == (old.host, old.shard)
                ),
                "",
            )
        msg = (
            collector_down_message(old, t, successor)
            if old is not None and successor
            else f"Collector {cid} reports again"
        )
        changes.append(AlarmChange(f"{COLLECTOR_DOWN}:collector:{cid}", COLLECTOR_DOWN, None, msg))
    if changes:
        apply_changes(engine, changes, t)
    return changes
