"""The alarm dock with incidents: parents with folded alarms, held back while the list is in use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from models.alarms.lifecycle import AlarmChange, apply_changes
from monitors.lab.hall_dataset import Hall


def _cooling(hall: Hall, engine: Engine, racks: list[str], severity: str = "warning") -> None:
    site = hall.site_ids["SH1"]
    apply_changes(
        engine,
        [
            AlarmChange(
                f"temperature:rack-test:{hall.rack_ids[r]}", "temperature", severity,
                f"{r}: inlet 29 °C above warning 27 °C", site, hall.rack_ids[r], value=29.0,
            )
            for r in racks
        ],
    )  # fmt: skip


def test_incident_rows_fold_alarms_and_wait_behind_show(
    ctx: Any, hall: Hall, qtbot: Any, wait_idle: Callable[[Any], None], hall_engine: Engine
) -> None:
    from ui.alarm_dock import AlarmPanel

    panel = AlarmPanel(ctx)
    qtbot.addWidget(panel)
    panel.setMinimumSize(1200, 400)  # fixed: the "new" button must not move size hints
    panel.show()
    panel.refresh()
    qtbot.waitUntil(lambda: panel.loaded, timeout=20_000)
    before = [panel.proxy.index(r, 6).data() for r in range(panel.proxy.rowCount())]
    assert len(before) == 3 and not panel.new_btn.isVisible()
    assert panel.select_alarm(hall.alarm_ids[1], emit=False)

    # A cooling problem on row A of SH1: three alarms, one incident, announced, not inserted.
    _cooling(hall, hall_engine, ["SH1-A01", "SH1-A02", "SH1-A04"])
    panel.refresh()
    qtbot.waitUntil(lambda: panel.new_btn.isVisible(), timeout=20_000)
    assert panel.new_btn.text() == "1 new — show"
    assert [panel.proxy.index(r, 6).data() for r in range(panel.proxy.rowCount())] == before
    assert panel.selected_alarm() is not None
    assert panel.selected_alarm().id == hall.alarm_ids[1]  # type: ignore[union-attr]

    panel.new_btn.click()
    assert not panel.new_btn.isVisible()
    [inc] = panel.incidents
    top = panel.proxy.index(0, 0)  # warning incident sorts after the critical hall alarm
    rows = {panel.proxy.index(r, 6).data(): r for r in range(panel.proxy.rowCount())}
    assert inc.title in rows
    parent = panel.proxy.index(rows[inc.title], 0)
    assert panel.proxy.rowCount(parent) == 3
    assert panel.proxy.index(rows[inc.title], 5).data() == "3 alarms"
    assert panel.proxy.index(rows[inc.title], 4).data() == "3 racks"
    assert panel.proxy.data(top) == "CRITICAL"

    # One acknowledgement of the incident covers its three alarms.
    assert panel.select_incident(inc.id, emit=False)
    assert panel.ack_btn.isEnabled()
    panel.acknowledge_incident(inc.id, "CRAC A restarted")
    wait_idle(ctx)
    qtbot.waitUntil(
        lambda: bool(panel.incidents) and panel.incidents[0].state == "acknowledged",
        timeout=20_000,
    )
    mine = [a for a in panel.alarms if a.incident_id == inc.id]
    assert len(mine) == 3 and {a.state for a in mine} == {"acknowledged"}
    assert {a.ack_note for a in mine} == {"CRAC A restarted"}
    qtbot.waitUntil(lambda: "CRAC A restarted" in panel.timeline.text(), timeout=20_000)

    # Stale data: alarms stay listed, marked stale.
    panel.set_feed_stale(True)
    assert panel.proxy.index(rows[inc.title], 1).data().endswith("· stale")
