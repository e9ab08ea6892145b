"""Floor map, rack view, alarm dock and main window against the populated database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPointF, Qt
from sqlalchemy import Engine, text

from models.alarms import desk as alarm_desk
from models.read import status as read_status
from monitors.lab.hall_dataset import Hall
from ui import theme
from ui.floor_map import FloorMapWidget, tile_color


def test_floor_map_colours_by_measure(hall_engine: Engine, hall: Hall, qtbot: Any) -> None:
    fm = read_status.floor_map(hall_engine, hall.site_ids["SH1"], now=hall.now)
    w = FloorMapWidget()
    qtbot.addWidget(w)
    w.resize(900, 520)
    w.set_data(fm)
    w.show()
    qtbot.waitExposed(w)
    w.repaint()
    rects = w.tile_rects()
    assert len(rects) == 18
    hot = next(t for _r, t in rects if t.rack.name == hall.hot_rack)
    calm = next(t for _r, t in rects if t.rack.name == "SH1-A01")
    assert hot.summary is not None and hot.summary.inlet_c is not None
    assert tile_color(hot, "inlet") == theme.temperature_color(hot.summary.inlet_c)
    # A rack above 32 °C is red, a calm one is not.
    assert tile_color(hot, "inlet").red() > 150 and tile_color(hot, "inlet").green() < 100
    assert tile_color(calm, "inlet").green() > tile_color(calm, "inlet").red()
    assert tile_color(hot, "state") == theme.state_color("critical")
    assert tile_color(calm, "state") == theme.state_color("ok")
    pct = hot.power_pct
    assert pct is not None and tile_color(hot, "power") == theme.percent_color(pct)
    # Rows are laid out top to bottom, positions left to right.
    by_name = {t.rack.name: r for r, t in rects}
    assert by_name["SH1-A01"].top() < by_name["SH1-B01"].top() < by_name["SH1-C01"].top()
    assert by_name["SH1-A01"].left() < by_name["SH1-A02"].left()
    # A click opens the rack; the image shows the hot tile in red.
    with qtbot.waitSignal(w.rack_clicked) as blocker:
        qtbot.mouseClick(
            w, Qt.MouseButton.LeftButton, pos=by_name[hall.hot_rack].center().toPoint()
        )
    assert blocker.args == [hall.rack_ids[hall.hot_rack]]
    img = w.grab().toImage()
    c = by_name[hall.hot_rack].topLeft() + QPointF(8, 30)
    px = img.pixelColor(int(c.x() * img.devicePixelRatio()), int(c.y() * img.devicePixelRatio()))
    assert px.red() > 150 and px.green() < 110
    assert "Click to open" in w.tooltip(hot)


def test_rack_view_elevation_and_poll_now(
    ctx: Any, hall: Hall, qtbot: Any, wait_idle: Callable[[Any], None], hall_engine: Engine
) -> None:
    from ui.rack_view import RackView

    view = RackView(ctx)
    qtbot.addWidget(view)
    view.resize(1200, 900)
    view.show()
    rid = hall.rack_ids[hall.hot_rack]
    view.show_rack(rid)
    qtbot.waitUntil(lambda: view.ready, timeout=20_000)
    elev = view.elevation
    elev.repaint()
    contents = view.contents
    assert contents is not None and len(contents.devices) == 11
    frame, u_px, height_u = elev._geometry()
    assert height_u == 42
    srv1 = hall.device_ids[f"{hall.hot_rack}-SRV01"]
    srv3 = hall.device_ids[f"{hall.hot_rack}-SRV03"]  # 2 U high, at U4
    r1, r3 = elev.device_rect(srv1), elev.device_rect(srv3)
    assert r1 is not None and r3 is not None
    # SRV01 occupies U2: its box sits one U above the bottom of the frame.
    assert abs(r1.bottom() - (frame.bottom() - u_px) + 1) < 1.5
    assert abs(r3.height() - (2 * u_px - 2)) < 1.0
    assert r3.top() < r1.top()
    # Phases against the breaker are shown; the sensor table lists the selected device's series.
    assert [p.feed for p in view.pdus.pdus] == ["A", "B"]
    assert view.sensor_model.rowCount() == 4
    # Poll now on the selected device writes a PollRequest with the user name.
    with qtbot.waitSignal(elev.device_clicked):
        qtbot.mouseClick(elev, Qt.MouseButton.LeftButton, pos=r1.center().toPoint())
    qtbot.waitUntil(lambda: view.loaded_device == srv1, timeout=20_000)
    view.poll_now()
    view.focus_rack()
    wait_idle(ctx)
    with hall_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT kind, device_id, rack_id, requested_by FROM poll_request ORDER BY kind")
        ).all()
    assert [tuple(r) for r in rows] == [
        ("focus", None, rid, "tester"),
        ("poll_now", srv1, None, "tester"),
    ]


def test_alarm_dock_acknowledge_and_shelve(
    ctx: Any, hall: Hall, qtbot: Any, wait_idle: Callable[[Any], None], hall_engine: Engine
) -> None:
    from ui.alarm_dock import AlarmPanel

    panel = AlarmPanel(ctx)
    qtbot.addWidget(panel)
    panel.setMinimumSize(1000, 300)  # fixed, so rows and buttons never move the size hints
    panel.show()
    panel.refresh()
    qtbot.waitUntil(lambda: panel.loaded, timeout=20_000)
    assert len(panel.alarms) == 3
    # Active alarms first, critical before warning.
    first = panel.proxy.index(0, 0)
    assert panel.proxy.data(first) == "CRITICAL"
    assert panel.proxy.data(panel.proxy.index(0, 1)) == "active"
    aid = hall.alarm_ids[0]
    with qtbot.waitSignal(panel.rack_chosen) as blocker:
        assert panel.select_alarm(aid)
    assert blocker.args[0] == hall.rack_ids[hall.hot_rack]
    assert panel.ack_btn.isEnabled()
    panel.acknowledge(aid, "inlet blanking panel refitted")
    wait_idle(ctx)
    qtbot.waitUntil(
        lambda: any(a.id == aid and a.state == "acknowledged" for a in panel.alarms), timeout=20_000
    )
    # The dock shows the audit trail of the selected alarm.
    qtbot.waitUntil(
        lambda: "inlet blanking panel refitted" in panel.timeline.text(), timeout=20_000
    )
    assert "acknowledge" in panel.timeline.text() and "tester" in panel.timeline.text()
    events = alarm_desk.alarm_events(hall_engine, aid)
    assert (events[-1].action, events[-1].user, events[-1].note) == (
        "acknowledge",
        "tester",
        "inlet blanking panel refitted",
    )
    panel.shelve(hall.alarm_ids[1], 3600)
    wait_idle(ctx)
    qtbot.waitUntil(
        lambda: any(a.id == hall.alarm_ids[1] and a.state == "shelved" for a in panel.alarms),
        timeout=20_000,
    )
    assert "0 active" in panel.counts.text()


def test_main_window_views_shortcuts_and_settings(
    ctx: Any, hall: Hall, qtbot: Any, wait_idle: Callable[[Any], None]
) -> None:
    from ui.main_window import TAB_RACK, MainWindow

    win = MainWindow(ctx, restore=False)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    win.start()
    qtbot.waitUntil(lambda: win.ready_for("site"), timeout=30_000)
    assert win.floor.loaded_site is not None
    assert "Collectors alive: 2 of 2" in win.status.collectors.text()
    assert "unreachable 1" in win.status.devices.text()
    win.open_rack(hall.rack_ids[hall.hot_rack], reveal=True)
    assert win.tabs.currentIndex() == TAB_RACK
    qtbot.waitUntil(lambda: win.ready_for("rack"), timeout=30_000)
    assert win.rack.plot.data is not None and len(win.rack.plot.data.rows) == 9
    assert win.rack.plot.axis.tz == "Asia/Shanghai"
    keys = dict(win.shortcut_list)
    assert "F1" in keys and "F11" in keys and "Ctrl+F" in keys
    dlg = win.shortcuts_dialog()
    assert dlg.findChildren(type(dlg).__mro__[0]) is not None
    win.set_theme("dark")
    assert theme.is_dark()
    win.set_theme("light")
    win.save_settings()
    assert int(win.settings.value("view/tab")) == TAB_RACK
    assert int(win.settings.value("view/rack")) == hall.rack_ids[hall.hot_rack]
    wall = win.toggle_wall(fullscreen=False)
    assert wall is not None
    wall.show()
    qtbot.waitUntil(lambda: wall.ready, timeout=30_000)
    assert "critical" in wall.banner.text()
    win.toggle_wall()
    assert win.wall is None
    wait_idle(ctx)
    win.close()


def test_new_critical_alarm_is_announced_once(
    ctx: Any, hall: Hall, qtbot: Any, wait_idle: Callable[[Any], None], hall_engine: Engine
) -> None:
    from ui.main_window import MainWindow

    win = MainWindow(ctx, restore=False)
    qtbot.addWidget(win)
    win.show()
    win.start()
    qtbot.waitUntil(lambda: win.alarms.loaded, timeout=30_000)
    assert win.announced == 0  # the backlog at start-up is not news
    rid = hall.rack_ids[hall.hot_rack]
    with hall_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO alarm (rule, key, severity, state, rack_id, message, raised_ts, seq) "
                "VALUES ('temperature.inlet', 'k-new', 'critical', 'active', :r, "
                "'inlet 34 °C above 32 °C', :t, 100000)"
            ),
            {"r": rid, "t": hall.now},
        )
    win.mute_action.setChecked(True)
    with qtbot.waitSignal(win.alarms.new_critical, timeout=30_000) as blocker:
        win.pulse()
    assert [a.message for a in blocker.args[0]] == ["inlet 34 °C above 32 °C"]
    assert win.announced == 1
    assert "New critical alarm" in win.statusBar().currentMessage()
    assert str(win.settings.value("alarms/muted")) == "true"
    win.alarms.refresh()
    wait_idle(ctx)
    assert win.announced == 1
    win.close()


def test_last_view_is_restored(
    ctx: Any, hall: Hall, qtbot: Any, wait_idle: Callable[[Any], None]
) -> None:
    from ui.main_window import TAB_RACK, MainWindow

    first = MainWindow(ctx, restore=True)
    qtbot.addWidget(first)
    first.show()
    first.start()
    rid = hall.rack_ids[hall.hot_rack]
    first.open_rack(rid)
    first.rack.plot.set_span(86_400)
    first.close()  # saves the layout and the view
    wait_idle(ctx)
    second = MainWindow(ctx, restore=True)
    qtbot.addWidget(second)
    assert second.tabs.currentIndex() == TAB_RACK
    assert second.rack.rack_id == rid
    assert second.rack.plot.span == 86_400
    wait_idle(ctx)
    second.close()


def test_snapshot_export_scope_follows_what_is_shown(
    ctx: Any, hall: Hall, qtbot: Any, wait_idle: Callable[[Any], None]
) -> None:
    from ui.main_window import MainWindow
    from ui.snapshot_dialog import SnapshotDialog

    win = MainWindow(ctx, restore=False)
    qtbot.addWidget(win)
    win.show()
    win.start()
    qtbot.waitUntil(lambda: win.ready_for("site"), timeout=30_000)
    assert win.snapshot_scope() == ("site:GY2", None)
    win.open_rack(hall.rack_ids[hall.hot_rack])
    qtbot.waitUntil(lambda: win.rack.ready, timeout=30_000)
    assert win.snapshot_scope() == (f"rack:SH1/{hall.hot_rack}", None)
    dlg = SnapshotDialog(ctx.url, scope=win.snapshot_scope()[0], user=ctx.user, parent=win)
    assert dlg.scope_edit.text() == f"rack:SH1/{hall.hot_rack}"
    dlg.close()
    assert win.alarms.select_alarm(hall.alarm_ids[0])
    assert win.snapshot_scope() == ("", hall.alarm_ids[0])
    wait_idle(ctx)
    win.close()
