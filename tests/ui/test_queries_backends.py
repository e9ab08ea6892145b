"""The GUI's read queries and writers on both back ends (SQLite and a private PostgreSQL)."""

from __future__ import annotations

import time

from sqlalchemy import Engine, text

from models import collector_requests
from models.alarms import desk as alarm_desk
from models.read import inventory as read_inventory
from models.read import racks as read_racks
from models.read import status as read_status
from monitors.lab.hall_dataset import populate


def test_queries_on_each_backend(db_engine: Engine) -> None:
    now = int(time.time())
    hall = populate(
        db_engine,
        now=now,
        sites=(("SH1", "Shanghai Lingang 1", "Asia/Shanghai"), ("GY2", "Guiyang 2", "UTC")),
        rows=2,
        racks_per_row=3,
        servers_per_rack=3,
        hours=0.5,
        step_s=300,
    )
    inv = read_inventory.load_inventory(db_engine)
    assert inv.device_count == len(hall.device_ids)
    assert [inv.device_names[i] for i in read_inventory.search_devices(inv, hall.down_device)] == [
        hall.down_device
    ]
    # Tree order: racks of a site in natural order, every device inside its rack's slice.
    sh1 = inv.site_index(hall.site_ids["SH1"])
    assert sh1 is not None
    a, b = inv.site_rack_start[sh1], inv.site_rack_start[sh1 + 1]
    assert [r.name for r in inv.racks[a:b]][:3] == ["SH1-A01", "SH1-A02", "SH1-A03"]
    for r in range(len(inv.racks)):
        lo, hi = inv.rack_device_start[r], inv.rack_device_start[r + 1]
        assert all(inv.device_names[i].startswith(inv.racks[r].name) for i in range(lo, hi))
    racks = read_status.summaries(db_engine, "rack", list(hall.rack_ids.values()), now=now)
    assert racks[hall.rack_ids[hall.hot_rack]].state == "critical"
    assert read_status.summaries(db_engine, "site", now=now, measures=False)
    fm = read_status.floor_map(db_engine, hall.site_ids["SH1"], now=now)
    assert len(fm.tiles) == 6 and fm.rows == ("A", "B")
    assert len(read_racks.pdu_loads(db_engine, hall.rack_ids[hall.hot_rack])) == 2
    assert read_racks.rack_contents(db_engine, hall.rack_ids[hall.hot_rack], now).devices
    aid = hall.alarm_ids[0]
    alarm_desk.acknowledge_alarm(db_engine, aid, "dana", "checked the blanking panels")
    assert alarm_desk.alarm_events(db_engine, aid)[-1].user == "dana"
    collector_requests.request_poll_now(
        db_engine, rack_id=hall.rack_ids[hall.hot_rack], user="dana"
    )
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM poll_request")).scalar() == 1
    h = read_status.health(db_engine, now=now)
    assert h.devices_unreachable == 1 and h.collectors_alive == 2
    c = read_status.cursors(db_engine)
    assert c.alarm_seq > 0 and c.change_seq > 0
