"""Incidents: alarms folded by cause and place, acknowledged as one, re-alerting on escalation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from models.alarms import incidents
from models.alarms.incidents import acknowledge_incident, open_incidents, shelve_incident
from monitors.collection.readings import Reading
from tests.test_alarm_rig import STEP, T0, Rig


@pytest.fixture
def rig(sqlite_url: str) -> Iterator[Rig]:
    r = Rig(sqlite_url, racks=4)
    yield r
    r.close()


def _hot_row(rig: Rig, t: int, inlet: float, racks: range = range(1, 5)) -> int:
    """One poll of every probe of row A at the given inlet temperature."""
    rig.send(
        [
            rig.result(
                t,
                f"R{r:02d}-ENV",
                [Reading("temperature_c", "probe 1", inlet + 0.1 * r, "°C", role="inlet")],
            )
            for r in racks
        ]
    )
    return t + STEP


def _alarm_states(rig: Rig) -> list[tuple[str, str, int | None]]:
    with rig.engine.connect() as conn:
        return [
            (r[0], r[1], r[2])
            for r in conn.execute(text("SELECT rule, state, incident_id FROM alarm ORDER BY id"))
        ]


def test_a_hot_row_is_one_incident_acknowledged_with_one_note(rig: Rig) -> None:
    t = T0
    for _ in range(3):
        t = _hot_row(rig, t, 28.0)
    alarms = _alarm_states(rig)
    assert len(alarms) == 4 and all(a[2] is not None for a in alarms)
    [inc] = open_incidents(rig.engine)
    assert {a[2] for a in alarms} == {inc.id}
    assert (inc.family, inc.severity, inc.alarms_open, inc.racks) == ("thermal", "warning", 4, 4)
    assert "4 racks of S1 row A" in inc.title and "likely cooling failure" in inc.title

    assert acknowledge_incident(rig.engine, inc.id, "op.li", "CRAC 2 restarted") == 4
    assert {a[1] for a in _alarm_states(rig)} == {"acknowledged"}
    [inc] = open_incidents(rig.engine)
    assert (inc.state, inc.ack_by, inc.ack_note) == ("acknowledged", "op.li", "CRAC 2 restarted")
    notes = [e.note for e in rig.events() if e.action == "acknowledge"]
    assert len(notes) == 4 and all("CRAC 2 restarted" in (n or "") for n in notes)
    assert [e.action for e in incidents.incident_events(rig.engine, inc.id)] == [
        "raise",
        "acknowledge",
    ]


def test_joining_alarm_reacts_only_when_severity_rises(rig: Rig) -> None:
    t = T0
    for _ in range(3):
        t = _hot_row(rig, t, 28.0, range(1, 3))
    [inc] = open_incidents(rig.engine)
    acknowledge_incident(rig.engine, inc.id, "op.li", "on it")
    # A third rack warms up to a warning: it joins, covered by the acknowledgement.
    for _ in range(3):
        t = _hot_row(rig, t, 28.0, range(1, 4))
    [inc] = open_incidents(rig.engine)
    assert inc.state == "acknowledged" and inc.alarms_open == 3
    assert {a[1] for a in _alarm_states(rig)} == {"acknowledged"}
    # Rack 4 goes critical: above what was acknowledged, so the incident alerts again.
    for _ in range(3):
        t = _hot_row(rig, t, 33.0, range(4, 5))
    [inc] = open_incidents(rig.engine)
    assert (inc.state, inc.severity) == ("active", "critical")
    assert "escalate" in [e.action for e in incidents.incident_events(rig.engine, inc.id)]


def test_incident_clears_with_its_last_alarm_and_a_new_one_opens_later(rig: Rig) -> None:
    t = T0
    for _ in range(3):
        t = _hot_row(rig, t, 28.0, range(1, 2))
    [inc] = open_incidents(rig.engine)
    for _ in range(4):
        t = _hot_row(rig, t, 22.0, range(1, 2))
    assert open_incidents(rig.engine) == ()
    [(state,)] = rig.engine.connect().execute(text("SELECT state FROM incident")).all()
    assert state == "cleared"
    for _ in range(3):
        t = _hot_row(rig, t, 28.0, range(1, 2))
    [again] = open_incidents(rig.engine)
    assert again.id != inc.id


def test_shelving_an_incident_shelves_its_alarms(rig: Rig) -> None:
    t = T0
    for _ in range(3):
        t = _hot_row(rig, t, 28.0, range(1, 3))
    [inc] = open_incidents(rig.engine)
    assert shelve_incident(rig.engine, inc.id, "op.li", t + 3600, "CRAC maintenance", now=t) == 2
    assert {a[1] for a in _alarm_states(rig)} == {"shelved"}


def test_lost_pdu_and_dark_devices_are_one_power_incident(rig: Rig) -> None:
    t = T0
    rig.poll(t, "R01-PDUA", [Reading("power_w", "total", 2000.0, "W")])
    rig.poll(t, "R01-SRV01", [Reading("power_w", "total", 300.0, "W")])
    for _ in range(3):
        t += STEP
        rig.send(
            [
                rig.result(t, "R01-PDUA", [], ok=False),
                rig.result(t, "R01-SRV01", [], ok=False),
            ]
        )
    alarms = _alarm_states(rig)
    assert [a[0] for a in alarms] == ["unreachable", "unreachable"]
    [inc] = open_incidents(rig.engine)
    assert inc.family == "power" and {a[2] for a in alarms} == {inc.id}
    assert inc.title.startswith("Feed A of R01 lost")


def test_headless_list_and_ack(rig: Rig, sqlite_url: str, tmp_path: object) -> None:
    import json
    import os
    import subprocess
    import sys

    from tests.daemons import REPO

    t = T0
    for _ in range(3):
        t = _hot_row(rig, t, 28.0, range(1, 3))
    env = {**os.environ, "RACKWATCH_CONFIG_DIR": str(tmp_path)}

    def app(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(REPO / "app.py"), "alarms", *args, "--db", sqlite_url],
            capture_output=True, text=True, env=env, cwd=REPO, check=False, timeout=120,
        )  # fmt: skip

    res = app("list", "--incidents", "--json")
    assert res.returncode == 0, res.stderr
    [inc] = json.loads(res.stdout)
    assert inc["kind"] == "incident" and inc["alarms"] == 2 and inc["state"] == "active"
    assert {"id", "severity", "site", "rack", "message"} <= set(inc)
    everything = json.loads(app("list", "--json").stdout)
    assert [i["kind"] for i in everything] == ["incident", "alarm", "alarm"]
    assert {i.get("incident") for i in everything[1:]} == {inc["id"]}
    res = app("ack", f"I{inc['id']}", "--note", "CRAC 2 restarted", "--user", "op.zhao")
    assert res.returncode == 0 and "2 alarms" in res.stdout, res.stderr
    assert json.loads(app("list", "--state", "active", "--json").stdout) == []
    acked = json.loads(app("list", "--state", "acknowledged", "--json").stdout)
    assert len(acked) == 3 and {a["ack_by"] for a in acked} == {"op.zhao"}
    assert app("ack", "999999", "--note", "x").returncode == 1


def test_collector_down_raised_once_then_cleared_by_its_successor(rig: Rig) -> None:
    from sqlalchemy import insert

    from models import schema
    from models.alarms.lifecycle import sync_collector_alarms
    from models.read.status import liveness

    now = T0 + 1000
    with rig.engine.begin() as conn:
        conn.execute(
            insert(schema.CollectorHeartbeat).values(
                collector_id="h1:100:0/1", host="h1", pid=100, shard="0/1",
                started_ts=T0, last_beat_ts=now - 4,
            )
        )  # fmt: skip
    assert sync_collector_alarms(rig.engine, now) == []
    assert liveness(rig.engine, now).alive == 1
    # Two heartbeats (and a second) without a beat: down.
    later = now + 8
    assert liveness(rig.engine, later).all_dead
    [raised] = sync_collector_alarms(rig.engine, later)
    assert raised.severity == "critical" and "h1:100:0/1" in raised.message
    assert sync_collector_alarms(rig.engine, later + 5) == []  # idempotent
    [inc] = open_incidents(rig.engine)
    assert inc.family == "collector" and inc.severity == "critical"
    # Restarted: a new pid on the same host and shard replaces it, and the alarm clears.
    with rig.engine.begin() as conn:
        conn.execute(
            insert(schema.CollectorHeartbeat).values(
                collector_id="h1:200:0/1", host="h1", pid=200, shard="0/1",
                started_ts=later + 20, last_beat_ts=later + 21,
            )
        )  # fmt: skip
    assert liveness(rig.engine, later + 22).alive == 1
    assert liveness(rig.engine, later + 22).total == 1
    [cleared] = sync_collector_alarms(rig.engine, later + 22)
    assert cleared.severity is None and "replaced by h1:200:0/1" in cleared.message
    assert open_incidents(rig.engine) == ()
    actions = [e.action for e in rig.events()]
    assert actions == ["raise", "clear"]


def test_surviving_collector_reports_a_dead_peer(rig: Rig) -> None:
    import time as _time

    from sqlalchemy import insert

    from models import schema

    # Heartbeats are wall-clock: a peer that last beat a minute ago is down.
    now = int(_time.time())
    with rig.engine.begin() as conn:
        conn.execute(
            insert(schema.CollectorHeartbeat).values(
                collector_id="h2:300:1/2", host="h2", pid=300, shard="1/2",
                started_ts=now - 3600, last_beat_ts=now - 60,
            )
        )  # fmt: skip
    _hot_row(rig, T0, 22.0)  # any batch runs the engine's housekeeping
    with rig.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT key, severity, state FROM alarm WHERE rule = 'collector_down'")
        ).all()
    assert [tuple(r) for r in rows] == [
        ("collector_down:collector:h2:300:1/2", "critical", "active")
    ]


def test_incidents_on_each_backend(db_url: str) -> None:
    r = Rig(db_url, racks=3)
    try:
        t = T0
        for _ in range(3):
            t = _hot_row(r, t, 28.0, range(1, 4))
        [inc] = open_incidents(r.engine)
        assert (inc.alarms_open, inc.racks, inc.row) == (3, 3, "A")
        assert acknowledge_incident(r.engine, inc.id, "op.li", "fans replaced", now=t) == 3
        for _ in range(4):
            t = _hot_row(r, t, 22.0, range(1, 4))
        assert open_incidents(r.engine) == ()
        assert [e.action for e in incidents.incident_events(r.engine, inc.id)] == [
            "raise",
            "acknowledge",
            "clear",
        ]
    finally:
        r.close()
