"""What desks read and do with alarms: open alarm rows, acknowledge, shelve, events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, bindparam, text

from models.messages import render_stored
from models.read.common import _now
from models.store.samples import next_change_seq

# -- alarms --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlarmRow:
    id: int
    rule: str
    severity: str
    state: str
    site_id: int | None
    site_code: str
    rack_id: int | None
    rack_name: str
    device_id: int | None
    device_name: str
    series_id: int | None
    message: str
    value: float | None
    threshold: float | None
    raised_ts: int
    ack_by: str | None
    ack_ts: int | None
    ack_note: str | None
    shelved_until: int | None
    seq: int
    incident_id: int | None = None
    message_id: str | None = None
    message_args: str | None = None

    def text(self, locale: str | None = None) -> str:
        """The message in the reader's locale (models.messages), English as the fallback."""
        return render_stored(self.message, self.message_id, self.message_args, locale)


def open_alarms(
    engine: Engine, *, include_shelved: bool = True, limit: int = 2000
) -> tuple[AlarmRow, ...]:
    """Active, acknowledged (and shelved) alarms, critical first, newest first."""
    states = ["active", "acknowledged"] + (["shelved"] if include_shelved else [])
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT a.id, a.rule, a.severity, a.state, "
                "COALESCE(a.site_id, d.site_id), COALESCE(s.code, ''), "
                "COALESCE(a.rack_id, d.rack_id), COALESCE(r.name, ''), a.device_id, "
                "COALESCE(d.name, ''), a.series_id, a.message, a.value, a.threshold, a.raised_ts, "
                "a.ack_by, a.ack_ts, a.ack_note, a.shelved_until, a.seq, a.incident_id, "
                "a.message_id, a.message_args "
                "FROM alarm a "
                "LEFT JOIN device d ON d.id = a.device_id "
                "LEFT JOIN site s ON s.id = COALESCE(a.site_id, d.site_id) "
                "LEFT JOIN rack r ON r.id = COALESCE(a.rack_id, d.rack_id) "
                "WHERE a.state IN :st "
                "ORDER BY CASE a.severity WHEN 'critical' THEN 0 ELSE 1 END, a.raised_ts DESC "
                "LIMIT :lim"
            ).bindparams(bindparam("st", expanding=True)),
            {"st": states, "lim": limit},
        ).all()
    return tuple(AlarmRow(*r) for r in rows)


def _transition(
    engine: Engine,
    alarm_id: int,
    *,
    action: str,
    allowed_from: tuple[str, ...],
    to_state: str,
    user: str,
    note: str | None,
    now: int,
    sets: dict[str, Any],
) -> None:
    with engine.begin() as conn:
        row = conn.execute(text("SELECT state FROM alarm WHERE id = :a"), {"a": alarm_id}).first()
        if row is None:
            raise LookupError(f"alarm {alarm_id} does not exist")
        if row[0] not in allowed_from:
            raise ValueError(f"alarm {alarm_id} is {row[0]}; cannot {action} it")
        seq = next_change_seq(conn)
        assign = ", ".join(f"{k} = :{k}" for k in sets)
        conn.execute(
            text(
                f"UPDATE alarm SET state = :to, seq = :seq{', ' + assign if assign else ''} "
                "WHERE id = :a"
            ),
            {"to": to_state, "seq": seq, "a": alarm_id, **sets},
        )
        conn.execute(
            text(
                "INSERT INTO alarm_event "
                '(alarm_id, ts, action, from_state, to_state, "user", note) '
                "VALUES (:a, :ts, :act, :f, :t, :u, :n)"
            ),
            {
                "a": alarm_id,
                "ts": now,
                "act": action,
                "f": row[0],
                "t": to_state,
                "u": user,
                "n": note,
            },
        )


def acknowledge_alarm(
    engine: Engine, alarm_id: int, user: str, note: str, now: int | None = None
) -> None:
    """Mark an alarm acknowledged by user with a note, and record the audit event."""
    if not user.strip():
        raise ValueError("acknowledge: a user name is required")
    t = _now(now)
    _transition(
        engine,
        alarm_id,
        action="acknowledge",
        allowed_from=("active", "shelved"),
        to_state="acknowledged",
        user=user,
        note=note,
        now=t,
        sets={"ack_by": user, "ack_ts": t, "ack_note": note, "shelved_until": None},
    )


def shelve_alarm(
    engine: Engine,
    alarm_id: int,
    user: str,
    until_ts: int,
    note: str = "",
    now: int | None = None,
) -> None:
    """Shelve an alarm until a time (it stays recorded, but out of the operators' way)."""
    t = _now(now)
    if until_ts <= t:
        raise ValueError("shelve: the end time must be in the future")
    _transition(
        engine,
        alarm_id,
        action="shelve",
        allowed_from=("active", "acknowledged"),
        to_state="shelved",
        user=user,
        note=note or None,
        now=t,
        sets={"shelved_until": int(until_ts)},
    )


@dataclass(frozen=True, slots=True)
class AlarmEventRow:
    alarm_id: int
    ts: int
    action: str
    from_state: str | None
    to_state: str
    user: str
    note: str | None


def alarm_events(engine: Engine, alarm_id: int) -> tuple[AlarmEventRow, ...]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                'SELECT alarm_id, ts, action, from_state, to_state, "user", note FROM alarm_event '
                "WHERE alarm_id = :a ORDER BY ts, id"
            ),
            {"a": alarm_id},
        ).all()
    return tuple(AlarmEventRow(*r) for r in rows)
