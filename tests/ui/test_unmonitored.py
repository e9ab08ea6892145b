"""The "not monitored" list shows the devices that give no data, with the reason, filterable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, update

from models import schema as s
from monitors.lab.hall_dataset import Hall
from ui.unmonitored import UnmonitoredDialog


def test_lists_each_silent_device_with_its_reason_and_filters(
    qtbot: Any, ctx: Any, hall: Hall, hall_engine: Engine, wait_idle: Callable[[object], None]
) -> None:
    healthy = next(n for n in hall.device_ids if n != hall.down_device)
    with hall_engine.begin() as conn:
        conn.execute(
            update(s.DeviceState)
            .where(s.DeviceState.device_id == hall.device_ids[healthy])
            .values(status="error", reason="no_profile", error="no profile matches sysObjectID")
        )
    dlg = UnmonitoredDialog(ctx)
    qtbot.addWidget(dlg)
    wait_idle(ctx)
    qtbot.waitUntil(lambda: dlg.model.rowCount() == 2, timeout=10_000)
    rows = {r.device: r.reason for r in dlg.model.rows}
    assert rows == {hall.down_device: "timeout", healthy: "no_profile"}
    shown = [dlg.proxy.index(i, 5).data() for i in range(dlg.proxy.rowCount())]
    assert sorted(shown) == ["no answer", "no profile matches"]
    assert "2 device(s) give no data" in dlg.count.text()

    dlg.reason.setCurrentIndex(dlg.reason.findData("no_profile"))
    assert dlg.proxy.rowCount() == 1
    assert dlg.proxy.index(0, 0).data() == healthy
    dlg.reason.setCurrentIndex(0)
    dlg.filter.setText(hall.down_device.lower())
    assert dlg.proxy.rowCount() == 1
    assert dlg.proxy.index(0, 0).data() == hall.down_device
    dlg.filter.setText("no-such-device")
    assert dlg.proxy.rowCount() == 0
