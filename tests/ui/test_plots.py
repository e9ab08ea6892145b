"""History plots: rack and device series, threshold lines, rollup bands, legend, live tail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt

from monitors.lab.hall_dataset import Hall


def _wait_plot(panel: Any, qtbot: Any) -> None:
    qtbot.waitUntil(lambda: panel.ready and panel.data is not None, timeout=20_000)


def test_rack_inlet_plot_with_ashrae_lines(ctx: Any, hall: Hall, qtbot: Any) -> None:
    from ui.plots import PlotPanel

    panel = PlotPanel(ctx)
    qtbot.addWidget(panel)
    panel.resize(1000, 400)
    panel.show()
    panel.set_zone("Asia/Shanghai")
    panel.show_rack(hall.rack_ids[hall.hot_rack])
    _wait_plot(panel, qtbot)
    data = panel.data
    assert data is not None and len(data.rows) == 9  # 8 servers and the rack's probe
    assert all(r.role == "inlet" for r in data.rows)
    # Raw samples two minutes apart over the 6-hour default window (2 h of history).
    assert all(h.resolution == 0 and len(h) > 50 for h in data.hist.values())
    # The effective inlet levels of the series rows: ASHRAE low and high, as alarms apply them.
    assert sorted(ln.value() for ln in panel._lines) == [10.0, 15.0, 27.0, 32.0]
    assert panel.legend.count() == 9
    assert panel.axis.utcOffset == -8 * 3600
    first = panel.legend.item(0)
    sid = int(first.data(Qt.ItemDataRole.UserRole))
    first.setCheckState(Qt.CheckState.Unchecked)
    assert not panel._curves[sid].isVisible()


def test_device_plot_bands_from_rollups_and_no_foreign_limits(
    ctx: Any, hall: Hall, qtbot: Any, wait_idle: Callable[[Any], None]
) -> None:
    from models.read import racks as read_racks
    from ui.plots import PlotPanel

    panel = PlotPanel(ctx)
    qtbot.addWidget(panel)
    panel.resize(1000, 400)
    panel.show()
    rid = hall.rack_ids[hall.hot_rack]
    did = hall.device_ids[f"{hall.hot_rack}-SRV02"]
    panel.show_rack(rid)
    _wait_plot(panel, qtbot)
    panel.set_device(did, f"{hall.hot_rack}-SRV02", read_racks.device_series(ctx.engine, did))
    panel.set_mode("device_temp")
    panel.set_span(7 * 86_400)
    _wait_plot(panel, qtbot)
    data = panel.data
    assert data is not None and {r.role for r in data.rows} == {"inlet", "cpu"}
    # A week reads the rollups: each point carries min and max, drawn as a band.
    assert all(h.resolution >= 300 for h in data.hist.values())
    assert len(panel._bands) == 3 * len(data.rows)
    # Inlet limits are not CPU limits: with mixed roles no line is drawn.
    assert panel._lines == []
    assert "min–max band" in panel.status.text()
    wait_idle(ctx)


def test_live_follow_appends_new_samples(
    ctx: Any, hall: Hall, qtbot: Any, wait_idle: Callable[[Any], None]
) -> None:
    import time

    from models.store.samples import SampleWriter
    from ui.plots import PlotPanel

    panel = PlotPanel(ctx)
    qtbot.addWidget(panel)
    panel.show()
    panel.show_rack(hall.rack_ids[hall.hot_rack])
    _wait_plot(panel, qtbot)
    data = panel.data
    assert data is not None
    sid = data.rows[0].id
    before = len(panel._arrays[sid][0])
    ts = data.end + 1
    # The tail is read up to "now": the new sample must not lie in the future.
    qtbot.waitUntil(lambda: time.time() >= ts, timeout=5_000)
    writer = SampleWriter(ctx.engine)
    writer.write([(sid, ts, 40.5)])
    writer.flush()
    panel.on_change()
    qtbot.waitUntil(lambda: len(panel._arrays[sid][0]) == before + 1, timeout=20_000)
    assert panel._arrays[sid][1][-1] == 40.5
    wait_idle(ctx)
