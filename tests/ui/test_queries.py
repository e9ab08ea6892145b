"""Read-side queries and GUI writers against a populated database."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, text

from models import collector_requests
from models.alarms import desk as alarm_desk
from models.read import inventory as read_inventory
from models.read import racks as read_racks
from models.read import status as read_status
from monitors.lab.hall_dataset import Hall


def test_inventory_is_in_tree_order(hall_engine: Engine, hall: Hall) -> None:
    inv = read_inventory.load_inventory(hall_engine)
    assert [s.code for s in inv.sites] == ["GY2", "SH1"]
    assert inv.device_count == len(hall.device_ids)
    assert len(inv.racks) == len(hall.rack_ids)
    # Every device sits inside its rack's slice.
    for r in range(len(inv.racks)):
        a, b = inv.rack_device_start[r], inv.rack_device_start[r + 1]
        assert all(int(x) == r for x in inv.device_rack[a:b])
    hot = inv.rack_index(hall.rack_ids[hall.hot_rack])
    assert hot is not None and inv.racks[hot].name == hall.hot_rack


def test_search_by_name_address_serial_model(hall_engine: Engine, hall: Hall) -> None:
    inv = read_inventory.load_inventory(hall_engine)
    names = inv.device_names
    hits = read_inventory.search_devices(inv, hall.down_device.lower())
    assert [names[i] for i in hits] == [hall.down_device]
    i = names.index(hall.down_device)
    line = inv.search_text.split("\n")[i]
    address, serial = line.split("\t")[1:3]
    assert [names[j] for j in read_inventory.search_devices(inv, address)] == [hall.down_device]
    assert [names[j] for j in read_inventory.search_devices(inv, serial.upper())] == [
        hall.down_device
    ]
    r750 = read_inventory.search_devices(inv, "R750 sh1-a01")
    assert len(r750) > 0 and all(names[j].startswith("SH1-A01") for j in r750)
    assert len(read_inventory.search_devices(inv, "no-such-thing")) == 0


def test_rollup_worst_state(hall_engine: Engine, hall: Hall) -> None:
    now = hall.now
    racks = read_status.summaries(hall_engine, "rack", list(hall.rack_ids.values()), now=now)
    hot = racks[hall.rack_ids[hall.hot_rack]]
    assert hot.state == "critical"
    assert hot.alarms_critical == 1 and hot.alarms_warning == 1
    assert hot.inlet_c is not None and hot.inlet_c > 30
    down_rack = racks[hall.rack_ids[hall.down_device.rsplit("-", 1)[0]]]
    assert down_rack.devices_unreachable == 1
    calm = [s for rid, s in racks.items() if s.state == "ok"]
    assert calm and all(s.alarms_critical == 0 for s in calm)
    sites = read_status.summaries(hall_engine, "site", now=now)
    assert {s.state for s in sites.values()} == {"critical"}
    dev = read_status.summaries(hall_engine, "device", [hall.device_ids[hall.down_device]], now=now)
    assert dev[hall.device_ids[hall.down_device]].state in ("unreachable", "critical")


def test_stale_when_last_poll_is_old(hall_engine: Engine, hall: Hall) -> None:
    later = hall.now + 3600
    sums = read_status.summaries(hall_engine, "rack", [hall.rack_ids[hall.hot_rack]], now=later)
    assert sums[hall.rack_ids[hall.hot_rack]].devices_stale > 0


def test_pdu_loads_and_floor_map(hall_engine: Engine, hall: Hall) -> None:
    rid = hall.rack_ids[hall.hot_rack]
    pdus = read_racks.pdu_loads(hall_engine, rid)
    assert [p.feed for p in pdus] == ["A", "B"]
    assert [ph.label for ph in pdus[0].phases] == ["L1", "L2", "L3"]
    assert pdus[0].phases[0].limit == 32.0
    assert len(pdus[0].outlets) == 8 and pdus[0].outlets[0].label == "outlet 1"
    fm = read_status.floor_map(hall_engine, hall.site_ids["SH1"], now=hall.now)
    assert fm.rows == ("A", "B", "C")
    tile = next(t for t in fm.tiles if t.rack.id == rid)
    assert tile.power_pct is not None and 40 < tile.power_pct < 110


def test_acknowledge_writes_audit_event(hall_engine: Engine, hall: Hall) -> None:
    aid = hall.alarm_ids[0]
    alarm_desk.acknowledge_alarm(hall_engine, aid, "alice", "fan tray swapped", now=hall.now + 5)
    events = alarm_desk.alarm_events(hall_engine, aid)
    assert events[-1].action == "acknowledge"
    assert (events[-1].user, events[-1].note, events[-1].to_state) == (
        "alice",
        "fan tray swapped",
        "acknowledged",
    )
    row = next(a for a in alarm_desk.open_alarms(hall_engine) if a.id == aid)
    assert (row.state, row.ack_by) == ("acknowledged", "alice")
    with pytest.raises(ValueError, match="cannot acknowledge"):
        alarm_desk.acknowledge_alarm(hall_engine, aid, "bob", "again")
    with pytest.raises(LookupError):
        alarm_desk.acknowledge_alarm(hall_engine, 999_999, "bob", "x")


def test_shelve_and_poll_requests(hall_engine: Engine, hall: Hall) -> None:
    aid = hall.alarm_ids[1]
    now = int(time.time())
    alarm_desk.shelve_alarm(hall_engine, aid, "carol", now + 3600, "known work", now=now)
    row = next(a for a in alarm_desk.open_alarms(hall_engine) if a.id == aid)
    assert row.state == "shelved" and row.shelved_until == now + 3600
    with pytest.raises(ValueError, match="future"):
        alarm_desk.shelve_alarm(hall_engine, hall.alarm_ids[0], "carol", now - 1, now=now)
    rid = hall.rack_ids[hall.hot_rack]
    pid = collector_requests.request_focus(
        hall_engine, rid, interval_s=5, duration_s=600, user="carol", now=now
    )
    with hall_engine.connect() as conn:
        kind, rack, interval, until, by = conn.execute(
            text(
                "SELECT kind, rack_id, interval_s, until_ts, requested_by FROM poll_request "
                "WHERE id=:i"
            ),
            {"i": pid},
        ).one()
    assert (kind, rack, interval, until, by) == ("focus", rid, 5, now + 600, "carol")


def test_health(hall_engine: Engine, hall: Hall) -> None:
    h = read_status.health(hall_engine, now=hall.now)
    assert h.collectors_total == 2 and h.collectors_alive == 2
    assert h.devices_unreachable == 1
    assert h.devices_ok == len(hall.device_ids) - 1
    assert h.newest_sample_ts is not None and h.change_seq > 0
    later = read_status.health(hall_engine, now=int(time.time()) + 86_400)
    assert later.collectors_alive == 0


def test_search_by_ip_and_port(hall_engine: Engine, hall: Hall) -> None:
    inv = read_inventory.load_inventory(hall_engine)
    names = inv.device_names
    i = names.index(hall.down_device)
    address = inv.search_text.split("\n")[i].split("\t")[1]
    with hall_engine.connect() as conn:
        port, protocol = conn.execute(
            text("SELECT port, protocol FROM device WHERE name = :n"), {"n": hall.down_device}
        ).one()
    port = port or {"snmp": 161, "ssh": 22}[protocol]
    hits = read_inventory.search_devices(inv, f"{address}:{port}")
    assert [names[j] for j in hits] == [hall.down_device]
    assert len(read_inventory.search_devices(inv, f"{address}:{port + 1}")) == 0
