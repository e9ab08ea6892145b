"""Incidents: alarms folded by cause and place, their audit trail, and what desks do with them."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, text

from models.messages import Message, render_stored
from models.store.samples import next_change_seq

# An alarm joins an open incident of its family and place whose newest alarm is at most this
# old; a later one starts a new incident (a second failure hours later is a second cause).
WINDOW_S = 3600
SEVERITY_RANK = {"warning": 1, "critical": 2}
OPEN = ("active", "acknowledged", "shelved")
# Rule -> family. device_limit alarms go by their series' metric; an unreachable PDU is a
# power event (a lost feed) and the devices that go dark with it fold into it.
RULE_FAMILY = {
    "temperature": "thermal",
    "humidity": "thermal",
    "forecast": "thermal",
    "rack_power": "power",
    "phase_current": "power",
    "redundancy": "power",
    "unreachable": "reachability",
    "stale": "reachability",
    "collector_down": "collector",
}
THERMAL_METRICS = frozenset({"temperature_c", "humidity_pct", "fan_rpm"})
FAMILY_ORDER = ("collector", "power", "thermal", "reachability", "other")


def family_of(rule: str, metric: str | None, device_kind: str | None) -> str:
    if rule == "device_limit":
        return "thermal" if metric in THERMAL_METRICS else "power"
    if rule == "unreachable" and device_kind == "pdu":
        return "power"
    return RULE_FAMILY.get(rule, "other")


def incident_key(family: str, site_id: int | None, row: str) -> str:
    return f"{family}:{site_id or 0}:{row}"


@dataclass(frozen=True, slots=True)
class Facts:
    """What an incident's title is built from (one function, so it can be templated)."""

    family: str
    site_code: str
    row: str
    alarms_open: int
    racks: int
    rack_names: tuple[str, ...]
    rules: frozenset[str]
    critical: int
    peak_value: float | None
    unit: str
    pdu_down: tuple[tuple[str, str], ...]  # (rack, feed) of unreachable PDUs
    devices: int
    collector: str
    since_ts: int


def _on(f: Facts) -> str:
    """Where: 'on 10 racks of GA1 row R01', 'on GA1 rack R01-04', 'in GA1 row R01'."""
    site = f.site_code or "?"
    area = f"{site} row {f.row}" if f.row else site
    if f.racks == 1 and f.rack_names:
        return f"on {site} rack {f.rack_names[0]}"
    if f.racks > 1:
        return f"on {f.racks} racks of {area}"
    return f"in {area}"


def _num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _on_phrase(f: Facts) -> Message:
    """_on() as a catalogue phrase, so other languages may order it their own way."""
    site = f.site_code or "?"
    area = (
        Message("phrase.site_row", {"site": site, "row": f.row})
        if f.row
        else Message("phrase.site", {"site": site})
    )
    if f.racks == 1 and f.rack_names:
        return Message("phrase.on_rack", {"site": site, "rack": f.rack_names[0]})
    if f.racks > 1:
        return Message("phrase.on_racks", {"count": str(f.racks), "area": area.as_arg()})
    return Message("phrase.in_area", {"area": area.as_arg()})


def _count(n: int, one: str, many: str) -> dict[str, Any]:
    return Message(f"count.{one if n == 1 else many}", {"n": str(n)}).as_arg()


def incident_title(f: Facts) -> Message:
    """incident_message() as a catalogue message (template id + arguments): what is stored,
    so every desk reads the title in its own language. Its English is incident_message()."""
    n = _count(f.alarms_open, "alarm", "alarms")
    where = _on_phrase(f).as_arg()
    if f.family == "collector":
        if f.alarms_open > 1:
            return Message(
                "incident.collectors", {"count": str(f.alarms_open), "collector": f.collector}
            )
        return Message("incident.collector", {"collector": f.collector})
    if f.family == "thermal":
        peak: Any = ""
        if f.peak_value:
            unit = f.unit and " " + f.unit
            peak = Message("phrase.peak", {"value": _num(f.peak_value), "unit": unit}).as_arg()
        if f.critical:
            what = "Temperature critical"
        elif f.rules <= {"forecast"}:
            what = "Temperature rising toward critical"
        else:
            what = "Temperature high"
        cause = "; likely cooling failure" if f.racks >= 2 else ""
        return Message(
            "incident.thermal",
            {"what": what, "where": where, "alarms": n, "peak": peak, "cause": cause},
        )
    if f.family == "power":
        racks = _count(f.racks, "rack", "racks")
        if f.pdu_down:
            rack, feed = f.pdu_down[0]
            base = "incident.feed_lost" if feed else "incident.pdu_down"
            tail = "_redundancy" if "redundancy" in f.rules else ""
            return Message(base + tail, {"feed": feed, "rack": rack, "racks": racks, "alarms": n})
        kinds = ", ".join(sorted(r.replace("_", " ") for r in f.rules))
        return Message("incident.power", {"where": where, "alarms": n, "kinds": kinds})
    if f.family == "reachability":
        devs = _count(f.devices, "device", "devices")
        return Message("incident.reachability", {"devices": devs, "where": where, "alarms": n})
    return Message("incident.other", {"where": where, "alarms": n})


def incident_message(f: Facts) -> str:
    """The incident's one-line title, from its facts (the only place titles are written)."""
    racks = f"{f.racks} rack{'s' if f.racks != 1 else ''}"
    n = f"{f.alarms_open} alarm{'s' if f.alarms_open != 1 else ''}"
    if f.family == "collector":
        if f.alarms_open > 1:
            return (
                f"{f.alarms_open} collectors are not reporting ({f.collector}): data from "
                "their devices is stale"
            )
        return f"Collector {f.collector} is not reporting: data from its devices is stale"
    if f.family == "thermal":
        peak = f", peak {_num(f.peak_value)}{f.unit and ' ' + f.unit}" if f.peak_value else ""
        if f.critical:
            what = "Temperature critical"
        elif f.rules <= {"forecast"}:
            what = "Temperature rising toward critical"
        else:
            what = "Temperature high"
        cause = "; likely cooling failure" if f.racks >= 2 else ""
        return f"{what} {_on(f)} — {n}{peak}{cause}"
    if f.family == "power":
        if f.pdu_down:
            rack, feed = f.pdu_down[0]
            lost = f"Feed {feed} of {rack} lost" if feed else f"PDU of {rack} down"
            if "redundancy" in f.rules:
                return f"{lost} — redundancy lost on {racks}; {n}"
            return f"{lost} — {n} on {racks}"
        kinds = ", ".join(sorted(r.replace("_", " ") for r in f.rules))
        return f"Power alarms {_on(f)} — {n} ({kinds})"
    if f.family == "reachability":
        devs = f"{f.devices} device{'s' if f.devices != 1 else ''}"
        return f"{devs} not answering or stale {_on(f)} — {n}"
    return f"Alarms {_on(f)} — {n}"


# -- grouping (inside the alarm writer's transaction) -----------------------------------------


def _ids_param(sql: str) -> Any:
    return text(sql).bindparams(bindparam("ids", expanding=True))


def _event(
    iid: int, ts: int, action: str, f: str | None, t: str, note: str | None, user: str = "system"
) -> dict[str, Any]:
    return {"i": iid, "ts": ts, "act": action, "f": f, "t": t, "u": user, "n": note}


_INSERT_EVENT = text(
    'INSERT INTO incident_event (incident_id, ts, action, from_state, to_state, "user", note) '
    "VALUES (:i, :ts, :act, :f, :t, :u, :n)"
)


def attach(conn: Connection, alarm_ids: Sequence[int], now: int, seq: int) -> set[int]:
    """Fold newly raised alarms into incidents (joining or opening one); returns incidents."""
    if not alarm_ids:
        return set()
    rows = conn.execute(
        _ids_param(
            "SELECT a.id, a.rule, COALESCE(a.site_id, d.site_id), "
            "COALESCE(a.rack_id, d.rack_id), COALESCE(r.row, ''), s.metric, d.kind "
            "FROM alarm a LEFT JOIN device d ON d.id = a.device_id "
            "LEFT JOIN series s ON s.id = a.series_id "
            "LEFT JOIN rack r ON r.id = COALESCE(a.rack_id, d.rack_id) "
            "WHERE a.id IN :ids AND a.incident_id IS NULL"
        ),
        {"ids": list(alarm_ids)},
    ).all()
    if not rows:
        return set()
    wanted: dict[int, tuple[str, str, int | None, int | None, str]] = {}
    for aid, rule, site, rack, row, metric, kind in rows:
        fam = family_of(rule, metric, kind)
        wanted[int(aid)] = (fam, incident_key(fam, site, row), site, rack, row)
    keys = {w[1] for w in wanted.values()}
    # A device going dark folds into a power incident of its row (its PDU or feed is down).
    keys |= {incident_key("power", w[2], w[4]) for w in wanted.values() if w[0] == "reachability"}
    open_by_key: dict[str, int] = {}
    for iid, key in conn.execute(
        text(
            "SELECT id, key FROM incident WHERE state IN ('active', 'acknowledged', 'shelved') "
            "AND key IN :k AND last_ts >= :since ORDER BY id"
        ).bindparams(bindparam("k", expanding=True)),
        {"k": sorted(keys), "since": now - WINDOW_S},
    ):
        open_by_key[key] = int(iid)
    touched: set[int] = set()
    events: list[dict[str, Any]] = []
    by_incident: dict[int, list[int]] = {}
    # Power alarms first, so a PDU-down incident exists before its dark devices look for it.
    for aid in sorted(wanted, key=lambda a: FAMILY_ORDER.index(wanted[a][0])):
        fam, key, site, rack, row = wanted[aid]
        iid = open_by_key.get(key)
        if iid is None and fam == "reachability":
            iid = open_by_key.get(incident_key("power", site, row))
        if iid is None:
            new = conn.execute(
                text(
                    "INSERT INTO incident (key, family, severity, state, site_id, row, rack_id, "
                    "title, alarms_open, alarms_total, racks, first_ts, last_ts, seq) VALUES "
                    "(:k, :f, 'warning', 'active', :s, :r, :rk, '', 0, 0, 0, :t, :t, :q) "
                    "RETURNING id"
                ),
                {"k": key, "f": fam, "s": site, "r": row, "rk": rack, "t": now, "q": seq},
            ).first()
            assert new is not None
            iid = int(new[0])
            open_by_key[key] = iid
            events.append(_event(iid, now, "raise", None, "active", None))
        by_incident.setdefault(iid, []).append(aid)
        touched.add(iid)
    for iid, aids in by_incident.items():
        conn.execute(
            _ids_param("UPDATE alarm SET incident_id = :i WHERE id IN :ids"),
            {"i": iid, "ids": aids},
        )
        conn.execute(text("UPDATE incident SET last_ts = :t WHERE id = :i"), {"t": now, "i": iid})
    if events:
        conn.execute(_INSERT_EVENT, events)
    return touched


def incidents_of(conn: Connection, alarm_ids: Iterable[int]) -> set[int]:
    ids = sorted(set(alarm_ids))
    out: set[int] = set()
    for i in range(0, len(ids), 900):
        out |= {
            int(r[0])
            for r in conn.execute(
                _ids_param(
                    "SELECT DISTINCT incident_id FROM alarm WHERE id IN :ids "
                    "AND incident_id IS NOT NULL"
                ),
                {"ids": ids[i : i + 900]},
            )
        }
    return out


def refresh(conn: Connection, incident_ids: Iterable[int], now: int, seq: int) -> None:
    """Recompute counts, severity, title and state of incidents after their alarms moved.

    An acknowledged (or shelved) incident covers its alarms: a member that is active at no
    more than the severity it was acknowledged at is acknowledged with it; a higher one
    returns the incident to active (re-alert). With no open alarm left it clears.
    """
    events: list[dict[str, Any]] = []
    alarm_events: list[dict[str, Any]] = []
    for iid in sorted(set(incident_ids)):
        inc = conn.execute(
            text(
                "SELECT i.family, i.state, i.severity, i.ack_by, i.ack_ts, i.ack_note, "
                "i.ack_severity, i.shelved_until, COALESCE(s.code, ''), i.row, i.first_ts "
                "FROM incident i LEFT JOIN site s ON s.id = i.site_id WHERE i.id = :i"
            ),
            {"i": iid},
        ).first()
        if inc is None:
            continue
        family, state, _sev, ack_by, ack_ts, ack_note, ack_sev, shelved_until = inc[:8]
        site_code, row, first_ts = inc[8], inc[9], inc[10]
        members = conn.execute(
            text(
                "SELECT a.id, a.rule, a.severity, a.state, a.value, "
                "COALESCE(a.rack_id, d.rack_id), COALESCE(r.name, ''), d.kind, d.feed, "
                "a.device_id, COALESCE(sr.unit, ''), a.raised_ts, a.key, sr.role "
                "FROM alarm a LEFT JOIN device d ON d.id = a.device_id "
                "LEFT JOIN rack r ON r.id = COALESCE(a.rack_id, d.rack_id) "
                "LEFT JOIN series sr ON sr.id = a.series_id WHERE a.incident_id = :i"
            ),
            {"i": iid},
        ).all()
        open_m = [m for m in members if m[3] in OPEN]
        if not open_m:
            if state != "cleared":
                conn.execute(
                    text(
                        "UPDATE incident SET state = 'cleared', cleared_ts = :t, alarms_open = 0, "
                        "alarms_total = :n, shelved_until = NULL, seq = :q WHERE id = :i"
                    ),
                    {"t": now, "n": len(members), "q": seq, "i": iid},
                )
                events.append(_event(iid, now, "clear", state, "cleared", "every alarm cleared"))
            continue
        peak_sev = max((m[2] for m in open_m), key=lambda s: SEVERITY_RANK.get(s, 0))
        new_state = state
        if state in ("acknowledged", "shelved") and SEVERITY_RANK.get(
            peak_sev, 0
        ) > SEVERITY_RANK.get(ack_sev or "", 0):
            new_state = "active"
            events.append(
                _event(iid, now, "escalate", state, "active", f"a {peak_sev} alarm joined")
            )
        elif new_state in ("acknowledged", "shelved"):
            # Cover members that arrived (or re-escalated) at no more than the acknowledged
            # severity: they are part of what the operator already took on.
            for m in open_m:
                if m[3] == "active":
                    conn.execute(
                        text(
                            "UPDATE alarm SET state = :st, ack_by = :u, ack_ts = :at, "
                            "ack_note = :n, shelved_until = :su, seq = :q WHERE id = :a"
                        ),
                        {
                            "st": new_state,
                            "u": ack_by,
                            "at": ack_ts,
                            "n": ack_note,
                            "su": shelved_until if new_state == "shelved" else None,
                            "q": seq,
                            "a": m[0],
                        },
                    )
                    alarm_events.append(
                        {
                            "a": m[0],
                            "ts": now,
                            "act": "acknowledge" if new_state == "acknowledged" else "shelve",
                            "f": "active",
                            "t": new_state,
                            "u": ack_by or "system",
                            "n": f"covered by incident {iid}: {ack_note or ''}".rstrip(": "),
                        }
                    )
        racks = {m[5] for m in open_m if m[5]}
        rack_names = tuple(sorted({m[6] for m in open_m if m[6]}))
        # The peak is of inlet air when inlets are in it (CPUs run hotter by design).
        temps = [m for m in open_m if m[1] == "temperature" and m[4] is not None]
        temps = [m for m in temps if m[13] == "inlet"] or temps
        values = [float(m[4]) for m in temps]
        units = [m[10] for m in temps if m[10]]
        collector = ""
        if family == "collector":
            collector = ", ".join(sorted(str(m[12]).split(":", 2)[-1] for m in open_m))
        facts = Facts(
            family=family,
            site_code=site_code,
            row=row,
            alarms_open=len(open_m),
            racks=len(racks),
            rack_names=rack_names,
            rules=frozenset(m[1] for m in open_m),
            critical=sum(1 for m in open_m if m[2] == "critical"),
            peak_value=max(values) if values else None,
            unit=units[0] if units else "",
            pdu_down=tuple(
                sorted(
                    {(m[6], m[8] or "") for m in open_m if m[1] == "unreachable" and m[7] == "pdu"}
                )
            ),
            devices=len({m[9] for m in open_m if m[9]}),
            collector=collector,
            since_ts=int(first_ts),
        )
        title = incident_title(facts)
        conn.execute(
            text(
                "UPDATE incident SET severity = :sev, state = :st, title = :ti, "
                "title_id = :tid, title_args = :targs, alarms_open = :o, "
                "alarms_total = :n, racks = :rk, peak_value = :pk, last_ts = :lt, seq = :q"
                + (", shelved_until = NULL" if new_state == "active" else "")
                + " WHERE id = :i"
            ),
            {
                "sev": peak_sev,
                "st": new_state,
                "ti": title.english(),
                "tid": title.id,
                "targs": title.args_json(),
                "o": len(open_m),
                "n": len(members),
                "rk": len(racks),
                "pk": facts.peak_value,
                "lt": max(int(m[11]) for m in members),
                "q": seq,
                "i": iid,
            },
        )
    if events:
        conn.execute(_INSERT_EVENT, events)
    if alarm_events:
        conn.execute(
            text(
                'INSERT INTO alarm_event (alarm_id, ts, action, from_state, to_state, "user", '
                "note) VALUES (:a, :ts, :act, :f, :t, :u, :n)"
            ),
            alarm_events,
        )


# -- what desks read and do --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IncidentRow:
    id: int
    family: str
    severity: str
    state: str
    site_id: int | None
    site_code: str
    row: str
    rack_id: int | None
    rack_name: str
    title: str
    alarms_open: int
    alarms_total: int
    racks: int
    peak_value: float | None
    first_ts: int
    last_ts: int
    ack_by: str | None
    ack_ts: int | None
    ack_note: str | None
    shelved_until: int | None
    seq: int
    title_id: str | None = None
    title_args: str | None = None

    def text(self, locale: str | None = None) -> str:
        """The title in the reader's locale (models.messages), English as the fallback."""
        return render_stored(self.title, self.title_id, self.title_args, locale)

    @property
    def importance(self) -> tuple[int, int, int, int]:
        """Sort key, most important first: critical, active, larger, newer."""
        return (
            0 if self.severity == "critical" else 1,
            0 if self.state == "active" else 1,
            -self.alarms_open,
            -self.last_ts,
        )


def open_incidents(
    engine: Engine, *, states: Sequence[str] = OPEN, limit: int = 500
) -> tuple[IncidentRow, ...]:
    """Incidents in the given states, most important first."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT i.id, i.family, i.severity, i.state, i.site_id, COALESCE(s.code, ''), "
                "i.row, i.rack_id, COALESCE(r.name, ''), i.title, i.alarms_open, i.alarms_total, "
                "i.racks, i.peak_value, i.first_ts, i.last_ts, i.ack_by, i.ack_ts, i.ack_note, "
                "i.shelved_until, i.seq, i.title_id, i.title_args FROM incident i "
                "LEFT JOIN site s ON s.id = i.site_id LEFT JOIN rack r ON r.id = i.rack_id "
                "WHERE i.state IN :st ORDER BY i.last_ts DESC LIMIT :lim"
            ).bindparams(bindparam("st", expanding=True)),
            {"st": list(states), "lim": limit},
        ).all()
    return tuple(sorted((IncidentRow(*r) for r in rows), key=lambda i: i.importance))


def _operator_action(
    engine: Engine,
    incident_id: int,
    *,
    action: str,
    allowed_from: tuple[str, ...],
    to_state: str,
    user: str,
    note: str | None,
    now: int,
    shelved_until: int | None,
) -> int:
    """Move an incident and every open alarm in it, with one audit event each; alarm count."""
    with engine.begin() as conn:
        row = conn.execute(
            text("SELECT state, severity FROM incident WHERE id = :i"), {"i": incident_id}
        ).first()
        if row is None:
            raise LookupError(f"incident {incident_id} does not exist")
        if row[0] not in allowed_from:
            raise ValueError(f"incident {incident_id} is {row[0]}; cannot {action} it")
        seq = next_change_seq(conn)
        sets = "shelved_until = :su"
        params: dict[str, Any] = {"su": shelved_until, "q": seq, "i": incident_id, "to": to_state}
        if action == "acknowledge":
            sets += ", ack_by = :u, ack_ts = :t, ack_note = :n, ack_severity = :sev"
            params.update(u=user, t=now, n=note, sev=row[1])
        elif row[0] == "active":
            # Shelving an active incident also covers what it holds now, at this severity.
            sets += ", ack_severity = :sev"
            params.update(sev=row[1])
        conn.execute(
            text(f"UPDATE incident SET state = :to, {sets}, seq = :q WHERE id = :i"), params
        )
        conn.execute(
            _INSERT_EVENT, [_event(incident_id, now, action, row[0], to_state, note, user)]
        )
        members = conn.execute(
            text("SELECT id, state FROM alarm WHERE incident_id = :i AND state IN :st").bindparams(
                bindparam("st", expanding=True)
            ),
            {"i": incident_id, "st": list(allowed_from)},
        ).all()
        if members:
            ids = [int(m[0]) for m in members]
            alarm_sets = "shelved_until = :su"
            aparams: dict[str, Any] = {"su": shelved_until, "q": seq, "to": to_state}
            if action == "acknowledge":
                alarm_sets += ", ack_by = :u, ack_ts = :t, ack_note = :n"
                aparams.update(u=user, t=now, n=note)
            for i in range(0, len(ids), 900):
                conn.execute(
                    _ids_param(
                        f"UPDATE alarm SET state = :to, {alarm_sets}, seq = :q WHERE id IN :ids"
                    ),
                    {**aparams, "ids": ids[i : i + 900]},
                )
            conn.execute(
                text(
                    'INSERT INTO alarm_event (alarm_id, ts, action, from_state, to_state, "user", '
                    "note) VALUES (:a, :ts, :act, :f, :t, :u, :n)"
                ),
                [
                    {
                        "a": int(m[0]),
                        "ts": now,
                        "act": action,
                        "f": m[1],
                        "t": to_state,
                        "u": user,
                        "n": f"incident {incident_id}: {note}"
                        if note
                        else f"incident {incident_id}",
                    }
                    for m in members
                ],
            )
    return len(members)


def acknowledge_incident(
    engine: Engine, incident_id: int, user: str, note: str, now: int | None = None
) -> int:
    """Acknowledge an incident and every open alarm in it with one note; returns the count."""
    if not user.strip():
        raise ValueError("acknowledge: a user name is required")
    t = int(time.time()) if now is None else int(now)
    return _operator_action(
        engine,
        incident_id,
        action="acknowledge",
        allowed_from=("active", "shelved"),
        to_state="acknowledged",
        user=user,
        note=note,
        now=t,
        shelved_until=None,
    )


def shelve_incident(
    engine: Engine,
    incident_id: int,
    user: str,
    until_ts: int,
    note: str = "",
    now: int | None = None,
) -> int:
    """Shelve an incident and its open alarms until a time; returns the alarm count."""
    t = int(time.time()) if now is None else int(now)
    if until_ts <= t:
        raise ValueError("shelve: the end time must be in the future")
    return _operator_action(
        engine,
        incident_id,
        action="shelve",
        allowed_from=("active", "acknowledged"),
        to_state="shelved",
        user=user,
        note=note or None,
        now=t,
        shelved_until=int(until_ts),
    )


def unshelve_expired_incidents(conn: Connection, now: int, seq: int) -> list[int]:
    rows = conn.execute(
        text(
            "SELECT id, ack_by FROM incident WHERE state = 'shelved' "
            "AND shelved_until IS NOT NULL AND shelved_until <= :t"
        ),
        {"t": now},
    ).all()
    events = []
    for iid, ack_by in rows:
        to = "acknowledged" if ack_by else "active"
        conn.execute(
            text("UPDATE incident SET state = :to, shelved_until = NULL, seq = :s WHERE id = :i"),
            {"to": to, "s": seq, "i": iid},
        )
        events.append(_event(int(iid), now, "unshelve", "shelved", to, "shelve period ended"))
    if events:
        conn.execute(_INSERT_EVENT, events)
    return [int(r[0]) for r in rows]


@dataclass(frozen=True, slots=True)
class IncidentEventRow:
    incident_id: int
    ts: int
    action: str
    from_state: str | None
    to_state: str
    user: str
    note: str | None


def incident_events(engine: Engine, incident_id: int) -> tuple[IncidentEventRow, ...]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                'SELECT incident_id, ts, action, from_state, to_state, "user", note '
                "FROM incident_event WHERE incident_id = :i ORDER BY ts, id"
            ),
            {"i": incident_id},
        ).all()
    return tuple(IncidentEventRow(*r) for r in rows)


# -- the headless listing (app.py alarms list) -------------------------------------------------

LIST_STATES = {
    "active": ("active",),
    "acknowledged": ("acknowledged",),
    "all": OPEN,
}


def listing(
    engine: Engine, *, incidents_only: bool, state: str = "all", locale: str | None = "en"
) -> list[dict[str, Any]]:
    """Open incidents (and, unless incidents_only, their alarms) as JSON-ready objects, with
    alarm messages rendered in locale (models.messages).

    Every object has id, kind (incident|alarm), severity, state, site, rack, message; an
    incident has alarms (its open count), an alarm its incident id.
    """
    from models.alarms.desk import open_alarms

    states = LIST_STATES[state]
    out: list[dict[str, Any]] = []
    for inc in open_incidents(engine, states=states):
        out.append(
            {
                "id": inc.id,
                "kind": "incident",
                "severity": inc.severity,
                "state": inc.state,
                "site": inc.site_code,
                "rack": inc.rack_name if inc.racks == 1 else "",
                "row": inc.row,
                "racks": inc.racks,
                "message": inc.text(locale),
                "alarms": inc.alarms_open,
                "first_ts": inc.first_ts,
                "last_ts": inc.last_ts,
                "ack_by": inc.ack_by,
                "ack_note": inc.ack_note,
            }
        )
    if incidents_only:
        return out
    for a in open_alarms(engine, limit=100_000):
        if a.state not in states:
            continue
        out.append(
            {
                "id": a.id,
                "kind": "alarm",
                "severity": a.severity,
                "state": a.state,
                "site": a.site_code,
                "rack": a.rack_name,
                "device": a.device_name,
                "rule": a.rule,
                "message": a.text(locale),
                "incident": a.incident_id,
                "raised_ts": a.raised_ts,
                "ack_by": a.ack_by,
                "ack_note": a.ack_note,
            }
        )
    return out


def acknowledge_any(
    engine: Engine, ident: str, user: str, note: str, now: int | None = None
) -> tuple[str, int, int]:
    """Acknowledge an incident ("I12" or "incident:12") or an alarm ("12" or "alarm:12").

    A bare number is an alarm when such an alarm exists, else an incident. Returns (kind, id,
    alarms acknowledged).
    """
    from models.alarms.desk import acknowledge_alarm

    raw = ident.strip().lower()
    kind = ""
    for prefix, k in (("incident:", "incident"), ("i", "incident"), ("alarm:", "alarm")):
        if raw.startswith(prefix) and raw[len(prefix) :].isdigit():
            kind, raw = k, raw[len(prefix) :]
            break
    if not raw.isdigit():
        raise ValueError(f"not an alarm or incident id: {ident!r}")
    num = int(raw)
    if not kind:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT 1 FROM alarm WHERE id = :a"), {"a": num}).first()
        kind = "alarm" if found else "incident"
    if kind == "incident":
        return kind, num, acknowledge_incident(engine, num, user, note, now)
    acknowledge_alarm(engine, num, user, note, now)
    return kind, num, 1
