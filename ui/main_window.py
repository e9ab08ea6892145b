"""The main window: site tree, floor map, rack view with plots, alarm dock and status bar."""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QHeaderView,
    QInputDialog,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from models import staleness
from models.alarms.lifecycle import sync_collector_alarms
from models.read import status as read_status
from models.read.inventory import Inventory
from models.read.status import Health, Liveness
from ui import theme
from ui.alarm_dock import AlarmPanel, Announcement
from ui.alerts import Alerter
from ui.context import Context
from ui.first_run import CollectorChild, EmptyState, launch_demo
from ui.floor_map import FloorPanel
from ui.rack_view import RackView
from ui.site_tree import SiteTree
from ui.spans import PRESETS, span_label
from ui.status import StaleBanner, StatusPanel
from ui.unmonitored import UnmonitoredDialog
from ui.wall import WallView

log = logging.getLogger(__name__)
# The cursor read is two indexed lookups; once a second keeps a new alarm within a second of
# the database. Views re-read at most every VIEWS_MIN_S however often data lands.
PULSE_MS = 1000
VIEWS_MIN_S = 2.0
HEALTH_EVERY_S = 5.0
# While a collector is down the desk (re)writes its alarm this often; it is idempotent.
COLLECTOR_SYNC_S = 5.0
QUIET_REFRESH_S = 10.0
TAB_FLOOR, TAB_RACK = 0, 1


class MainWindow(QMainWindow):
    view_changed = Signal(str)

    def __init__(self, ctx: Context, *, restore: bool = True) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("mainWindow")
        self.setWindowTitle(self.tr("RackWatch — %1").replace("%1", ctx.db_label))
        self.settings = QSettings()
        self.restoring = restore
        self.wall: WallView | None = None
        self.inventory: Inventory | None = None
        self.health: Health | None = None
        self._seen_change = -1
        self._seen_alarm = -1
        self._last_floor = 0.0
        self._health_due = 0.0
        self.announced = 0
        self._last_views = 0.0  # the first pulse refreshes every view at once
        self._views_pending = False
        self._pending_rack: tuple[int, int | None] | None = None
        self.collector: CollectorChild | None = None

        self.tree = SiteTree(ctx, self)
        self.tree_dock = QDockWidget(self.tr("Sites"), self)
        self.tree_dock.setObjectName("treeDock")
        self.tree_dock.setWidget(self.tree)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.tree_dock)

        self.alarms = AlarmPanel(ctx, self)
        self.alarm_dock = QDockWidget(self.tr("Alarms"), self)
        self.alarm_dock.setObjectName("alarmDock")
        self.alarm_dock.setWidget(self.alarms)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.alarm_dock)

        self.floor = FloorPanel(ctx, self)
        self.rack = RackView(ctx, self)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.floor, self.tr("Floor map"))
        self.tabs.addTab(self.rack, self.tr("Rack"))
        self.stale_banner = StaleBanner(self)
        central = QWidget(self)
        box = QVBoxLayout(central)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.stale_banner)
        # A database without sites shows the way in (import, add, demo) instead of the tabs.
        self.empty = EmptyState(self)
        self.empty.import_requested.connect(self.import_inventory)
        self.empty.add_device_requested.connect(lambda: self.edit_device())
        self.empty.demo_requested.connect(self.start_demo)
        self.central = QStackedWidget(self)
        self.central.addWidget(self.tabs)
        self.central.addWidget(self.empty)
        box.addWidget(self.central, 1)
        self.setCentralWidget(central)
        self.liveness: Liveness | None = None
        self.feed = staleness.FeedState(False, None, None, None, "none")
        self._live_paused = False  # the plot's Live follow was turned off by staleness
        self._collector_sync_due = 0.0
        self._collectors_were_dead = False

        self.status = StatusPanel(self.statusBar(), ctx.db_label)

        self.tree.rack_chosen.connect(self.open_rack)
        self.tree.device_chosen.connect(lambda d, r: self.open_rack(r, d))
        self.tree.site_chosen.connect(self.open_site)
        self.tree.inventory_loaded.connect(self._inventory_loaded)
        self.floor.rack_chosen.connect(self.open_rack)
        self.floor.wall_requested.connect(self.toggle_wall)
        self.alarms.rack_chosen.connect(lambda r, d: self.open_rack(r, d or None, reveal=True))
        self.alarms.message.connect(self.show_message)
        self.alarms.new_critical.connect(self._announce)
        self.alerter = Alerter(self, self.settings)
        self.alarms.unacked_changed.connect(self.alerter.set_unacked)
        self.rack.message.connect(self.show_message)
        ctx.loader.loaded.connect(self._loaded)
        ctx.loader.failed.connect(self._failed)

        self.shortcut_list: list[tuple[str, str]] = []
        self._build_menus()
        self.pulse_timer = QTimer(self, interval=PULSE_MS)
        self.pulse_timer.timeout.connect(self.pulse)
        self.tick_timer = QTimer(self, interval=1000)
        self.tick_timer.timeout.connect(self._tick)
        self.resize(1500, 940)
        # An explicit minimum: banners that come and go then never change the window's size
        # hints (which some platforms cannot take, and which would make the window jump).
        self.setMinimumSize(640, 400)
        if restore:
            self._restore()

    # -- start-up -------------------------------------------------------------------------

    def start(self) -> None:
        """Kick off the first reads; the window paints before any data arrives."""
        if not self.restoring or self.settings.value("window/state") is None:
            self.resizeDocks([self.tree_dock], [470], Qt.Orientation.Horizontal)
            self.resizeDocks([self.alarm_dock], [200], Qt.Orientation.Vertical)
        self.tree.load_inventory()
        self.alarms.refresh()
        self.pulse()
        self.pulse_timer.start()
        self.tick_timer.start()
        self._follow_changes()

    def _follow_changes(self) -> None:
        """PostgreSQL: react to NOTIFY at once; the pulse stays as the fallback."""
        engine = self.ctx.engine
        if engine.dialect.name != "postgresql":
            return
        from ui.workers import ChangeFollower

        self.follower = ChangeFollower(engine.url.render_as_string(hide_password=False), self)
        self.follower.changed.connect(self._notified)
        self.follower.start()

    def _notified(self, changes: object) -> None:
        if getattr(changes, "reconnected", False):
            self.refresh_now()  # anything may have changed while nobody listened
        else:
            self.pulse()

    @property
    def showing_empty(self) -> bool:
        return self.central.currentWidget() is self.empty

    def _inventory_loaded(self, inv: Inventory) -> None:
        self.inventory = inv
        self.central.setCurrentWidget(self.tabs if inv.sites else self.empty)
        self.floor.set_sites(inv.sites)
        if len(inv.sites) <= 20:
            self.tree.view.expandToDepth(0)
        if self.floor.site_id is not None and self._pending_rack is None:
            self.tree.reveal_site(self.floor.site_id)
        if self._pending_rack is not None:
            rid, did = self._pending_rack
            self._pending_rack = None
            self.tree.reveal_rack(rid)
            if did:
                self.tree.reveal_device(did)

    # -- navigation -----------------------------------------------------------------------

    def open_rack(self, rack_id: int, device_id: int | None = None, reveal: bool = False) -> None:
        if not rack_id:
            return
        self.tabs.setCurrentIndex(TAB_RACK)
        self.rack.show_rack(rack_id, device_id)
        if self.inventory is not None:
            ri = self.inventory.rack_index(rack_id)
            if ri is not None:
                site = self.inventory.sites[int(self.inventory.rack_site[ri])]
                self.rack.plot.set_zone(site.tz)
            if reveal:
                self.tree.reveal_rack(rack_id)
        else:
            self._pending_rack = (rack_id, device_id)
        self.settings.setValue("view/rack", rack_id)
        self.view_changed.emit(f"rack:{rack_id}")

    def open_site(self, site_id: int) -> None:
        self.tabs.setCurrentIndex(TAB_FLOOR)
        self.floor.show_site(site_id)
        self.tree.reveal_site(site_id)
        self.settings.setValue("view/site", site_id)

    def _announce(self, items: tuple[Announcement, ...]) -> None:
        """New critical incidents: status bar, taskbar, sound until acknowledged, notification."""
        first = items[0]
        what = (
            self.tr("New critical incident: %1")
            if first.kind == "incident"
            else self.tr("New critical alarm: %1")
        )
        text = what.replace("%1", f"{first.rack_name} {first.message}".strip())
        if len(items) > 1:
            text += self.tr(" (+%1 more)").replace("%1", str(len(items) - 1))
        self.statusBar().showMessage(text, 15000)
        self.alerter.announce(items, text)
        self.announced += len(items)

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 6000)

    # -- refresh --------------------------------------------------------------------------

    def pulse(self) -> None:
        """Cheap cursor read; the views re-read only when something moved.

        The status bar's counts scan every device, so they are read less often.
        """
        engine = self.ctx.engine
        self.ctx.loader.submit("pulse", lambda: read_status.cursors(engine))
        if time.monotonic() >= self._health_due:
            self._health_due = time.monotonic() + HEALTH_EVERY_S
            self.ctx.loader.submit("health", lambda: read_status.health(engine))

    def refresh_now(self) -> None:
        self._seen_change = -1
        self._seen_alarm = -1
        self._health_due = 0.0
        self.tree.refresh_sites()
        self.pulse()

    def _loaded(self, key: str, result: object) -> None:
        if key == "health":
            assert isinstance(result, Health)
            self.health = result
            self.status.update(result)
            self._update_feed()
        elif key == "pulse":
            assert isinstance(result, read_status.Cursors)
            if result.liveness is not None:
                self._liveness(result.liveness)
            changed = result.change_seq != self._seen_change
            alarm_changed = result.alarm_seq != self._seen_alarm
            self._seen_change = result.change_seq
            self._seen_alarm = result.alarm_seq
            # Also when nothing moved for a while: ages grow and a silent collector must turn
            # values stale on screen.
            quiet = time.monotonic() - self._last_views > QUIET_REFRESH_S
            if changed or alarm_changed or quiet:
                self._views_pending = True
            due = time.monotonic() - self._last_views >= VIEWS_MIN_S
            if self._views_pending and (due or quiet):
                self._views_pending = False
                self._refresh_views(force_floor=quiet)
            if alarm_changed:
                self.alarms.refresh()
                if self.wall is not None:
                    self.wall.refresh()
        elif key in ("action.poll", "action.focus"):
            self._health_due = 0.0
            self.pulse()
        elif key == "collectors.sync" and result:
            self.alarms.refresh()

    def _failed(self, key: str, message: str) -> None:
        self.statusBar().showMessage(
            self.tr("Reading %1 failed: %2").replace("%1", key).replace("%2", message), 10000
        )

    def _refresh_views(self, force_floor: bool = False) -> None:
        self._last_views = time.monotonic()
        self.tree.refresh()
        if self.tabs.currentIndex() == TAB_RACK:
            self.rack.refresh()
            if self.rack.has_plot:
                self.rack.plot.on_change()
        elif force_floor or time.monotonic() - self._last_floor > 10:
            self._last_floor = time.monotonic()
            self.floor.refresh()

    def _tick(self) -> None:
        self.status.tick()
        self.alarms.tick()
        self._update_feed()

    # -- staleness ------------------------------------------------------------------------

    def _liveness(self, live: Liveness) -> None:
        self.liveness = live
        self.status.set_liveness(live)
        now = time.monotonic()
        dead = bool(live.dead)
        # With a single collector nobody else can say it died: the first desk that notices
        # writes the collector-down alarm (off the GUI thread), and clears it on return.
        if (dead and now >= self._collector_sync_due) or (self._collectors_were_dead and not dead):
            self._collector_sync_due = now + COLLECTOR_SYNC_S
            engine = self.ctx.engine
            self.ctx.loader.submit("collectors.sync", lambda: sync_collector_alarms(engine))
        self._collectors_were_dead = dead
        self._update_feed()

    def feed_state(self, now: float | None = None) -> staleness.FeedState:
        """Live or stale, from the freshest heartbeat (every pulse) and sample (health) reads."""
        t = time.time() if now is None else now
        h, live = self.health, self.liveness
        if h is None and live is None:
            return staleness.FeedState(False, None, None, None, "none")
        return staleness.feed_state(
            t,
            live.last_beat_ts if live is not None else (h.last_beat_ts if h else None),
            live.alive if live is not None else (h.collectors_alive if h else 0),
            live.total if live is not None else (h.collectors_total if h else 0),
            h.newest_sample_ts if h is not None else None,
            h.interval_s if h is not None else None,
        )

    def _update_feed(self) -> None:
        now = time.time()
        feed = self.feed_state(now)
        was = self.feed.stale
        self.feed = feed
        self.stale_banner.set_feed(feed, now)
        self.floor.map.set_feed_stale(feed.stale)
        self.alarms.set_feed_stale(feed.stale)
        if self.tree.model.feed_stale != feed.stale:
            self.tree.model.feed_stale = feed.stale
            self.tree.view.viewport().update()
        if self.wall is not None:
            self.wall.set_feed(feed, now)
        if feed.stale != was and self.rack.has_plot:
            live = self.rack.plot.live
            if feed.stale and live.isChecked():
                # Following "live" data that no longer arrives would pretend it is current.
                live.setChecked(False)
                self._live_paused = True
            elif not feed.stale and self._live_paused:
                live.setChecked(True)
                self._live_paused = False
            live.setToolTip(
                self.tr("Data stale: nothing new to follow")
                if feed.stale
                else self.tr("Follow new samples as they arrive (L)")
            )

    # -- wall mode ------------------------------------------------------------------------

    def toggle_wall(self, *, fullscreen: bool = True) -> WallView | None:
        if self.wall is not None:
            self.wall.close()
            return None
        if self.inventory is None:
            return None
        cycle = int(str(self.settings.value("wall/cycle_s", 20)))
        self.wall = WallView(self.ctx, cycle_s=cycle, measure=str(self.floor.measure.currentData()))
        self.wall.closed.connect(self._wall_closed)
        self.wall.rack_chosen.connect(self._wall_rack)
        self.wall.start(self.inventory.sites, self.floor.site_id)
        self.wall.set_feed(self.feed, time.time())
        if fullscreen:
            self.wall.showFullScreen()
        return self.wall

    def snapshot_scope(self) -> tuple[str, int | None]:
        """What an export covers: the selected alarm, else the open rack, else the shown site."""
        alarm = self.alarms.selected_alarm()
        if alarm is not None:
            return "", alarm.id
        if self.tabs.currentIndex() == TAB_RACK and self.rack.contents is not None:
            c = self.rack.contents
            return f"rack:{c.site.code}/{c.rack.name}", None
        if self.inventory is not None and self.floor.site_id is not None:
            si = self.inventory.site_index(self.floor.site_id)
            if si is not None:
                return f"site:{self.inventory.sites[si].code}", None
        return "", None

    def export_snapshot(self) -> None:
        # Imported here: the report renderer is only needed when someone exports.
        from ui.snapshot_dialog import SnapshotDialog

        scope, alarm_id = self.snapshot_scope()
        if alarm_id is not None:
            dlg = SnapshotDialog.for_alarm(self.ctx.url, alarm_id, parent=self, user=self.ctx.user)
        else:
            dlg = SnapshotDialog(self.ctx.url, scope=scope, user=self.ctx.user, parent=self)
        dlg.exec()

    # -- inventory ------------------------------------------------------------------------

    def _inventory_changed(self, _report: object = None) -> None:
        self.tree.load_inventory()
        self.refresh_now()

    def import_inventory(self) -> None:
        from ui.inventory_dialogs import ImportDialog

        dlg = ImportDialog(self.ctx.engine, self.ctx.user, self)
        dlg.imported.connect(self._inventory_changed)
        dlg.exec()
        dlg.wait_done()

    def _selected_place(self) -> tuple[str | None, str | None, str | None]:
        """Site code, rack name and device name of what the tree has selected (or None)."""
        inv = self.inventory
        ix = self.tree.view.currentIndex()
        if inv is None or not ix.isValid():
            return None, None, None
        from ui.tree_model import DEVICE, RACK, SITE

        kind, ident = self.tree.model.node(ix)
        if kind == SITE:
            si = inv.site_index(ident)
            return (inv.sites[si].code if si is not None else None), None, None
        if kind == RACK:
            ri = inv.rack_index(ident)
            if ri is None:
                return None, None, None
            rack = inv.racks[ri]
            return inv.sites[int(inv.rack_site[ri])].code, rack.name if rack.id else None, None
        if kind == DEVICE:
            di = inv.device_index(ident)
            if di is None:
                return None, None, None
            ri = int(inv.device_rack[di])
            rack = inv.racks[ri]
            site = inv.sites[int(inv.rack_site[ri])].code
            return site, rack.name if rack.id else None, inv.device_names[di]
        return None, None, None

    def edit_site(self, *, edit: bool = False) -> None:
        from ui.inventory_dialogs import SiteDialog

        site, _r, _d = self._selected_place() if edit else (None, None, None)
        dlg = SiteDialog(self.ctx.engine, self.ctx.user, site, self)
        dlg.saved.connect(self._inventory_changed)
        dlg.exec()

    def edit_rack(self, *, edit: bool = False) -> None:
        from ui.inventory_dialogs import RackDialog

        site, rack, _d = self._selected_place()
        dlg = RackDialog(self.ctx.engine, self.ctx.user, site, rack if edit else None, self)
        dlg.saved.connect(self._inventory_changed)
        dlg.exec()

    def edit_device(self, *, edit: bool = False) -> None:
        from ui.inventory_dialogs import DeviceDialog

        site, rack, device = self._selected_place()
        dlg = DeviceDialog(
            self.ctx.engine,
            self.ctx.user,
            site=site,
            rack=rack,
            device=device if edit else None,
            parent=self,
        )
        dlg.saved.connect(self._device_saved)
        dlg.exec()

    def edit_selected(self) -> None:
        site, rack, device = self._selected_place()
        if device:
            self.edit_device(edit=True)
        elif rack:
            self.edit_rack(edit=True)
        elif site:
            self.edit_site(edit=True)

    def start_collector(self) -> None:
        """Poll this database's devices from a child `app.py collect` (until the window closes)."""
        if self.collector is None:
            self.collector = CollectorChild(self.ctx.url)
        if self.collector.start():
            self.statusBar().showMessage(
                self.tr("Collecting on this desk until the window closes."), 10000
            )
        else:
            self.statusBar().showMessage(self.tr("Could not start the collector."), 10000)

    def _device_saved(self, report: object) -> None:
        self._inventory_changed(report)
        if self.health is not None and self.health.collectors_alive == 0:
            answer = QMessageBox.question(
                self,
                self.tr("No collector"),
                self.tr(
                    "No collector is polling this database, so the new device will not show "
                    "live values. Start collecting on this desk now?"
                ),
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.start_collector()

    def start_demo(self) -> None:
        if launch_demo():
            self.statusBar().showMessage(
                self.tr("The demo is starting in its own window (it takes a minute)."), 20000
            )
        else:
            self.statusBar().showMessage(self.tr("Could not start the demo."), 10000)

    def _ask_wall_cycle(self) -> None:
        current = int(str(self.settings.value("wall/cycle_s", 20)))
        value, ok = QInputDialog.getInt(
            self,
            self.tr("Wall mode"),
            self.tr("Show each site for (seconds):"),
            current,
            3,
            3600,
        )
        if ok:
            self.settings.setValue("wall/cycle_s", value)
            if self.wall is not None:
                self.wall.cycle.setInterval(value * 1000)

    def _wall_rack(self, rack_id: int) -> None:
        self.toggle_wall()
        self.open_rack(rack_id, reveal=True)

    def _wall_closed(self) -> None:
        self.wall = None

    # -- menus and shortcuts --------------------------------------------------------------

    def _action(
        self, menu: Any, text: str, slot: Any, shortcut: str | None = None, tip: str = ""
    ) -> QAction:
        act = QAction(text, self)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.shortcut_list.append(
                (
                    QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText),
                    text.replace("&", "").replace("…", ""),
                )
            )
        if tip:
            act.setStatusTip(tip)
        act.triggered.connect(lambda _c=False: slot())
        menu.addAction(act)
        self.addAction(act)
        return act

    def show_unmonitored(self) -> None:
        """The devices that give no data, with the reason."""
        dlg = UnmonitoredDialog(self.ctx, self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.show()

    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu(self.tr("&File"))
        self._action(m, self.tr("&Refresh now"), self.refresh_now, "F5")
        self._action(m, self.tr("&Export incident snapshot…"), self.export_snapshot, "Ctrl+E")
        self._action(m, self.tr("&Import inventory…"), self.import_inventory, "Ctrl+I")
        m.addSeparator()
        self._action(m, self.tr("&Quit"), self.close, "Ctrl+Q")
        m = mb.addMenu(self.tr("&View"))
        self._action(
            m, self.tr("&Floor map"), lambda: self.tabs.setCurrentIndex(TAB_FLOOR), "Ctrl+1"
        )
        self._action(
            m, self.tr("&Rack view"), lambda: self.tabs.setCurrentIndex(TAB_RACK), "Ctrl+2"
        )
        self._action(m, self.tr("&Find device…"), self.tree.focus_filter, "Ctrl+F")
        self._action(m, self.tr("&Wall mode"), self.toggle_wall, "F11")
        self._action(m, self.tr("&Power truth of all servers…"), self._power_truth, "Ctrl+Shift+P")
        self._action(m, self.tr("Wall mode &cycle interval…"), self._ask_wall_cycle)
        self._action(m, self.tr("&Not monitored…"), self.show_unmonitored, "Ctrl+Shift+U")
        m.addSeparator()
        m.addAction(self.tree_dock.toggleViewAction())
        m.addAction(self.alarm_dock.toggleViewAction())
        m.addSeparator()
        themes = m.addMenu(self.tr("&Theme"))
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for key, label in (("light", self.tr("&Light")), ("dark", self.tr("&Dark"))):
            act = QAction(label, self, checkable=True)
            act.triggered.connect(lambda _c=False, k=key: self.set_theme(k))
            group.addAction(act)
            themes.addAction(act)
            self.theme_actions[key] = act
        self._action(themes, self.tr("&Toggle light/dark"), self.toggle_theme, "Ctrl+T")
        m = mb.addMenu(self.tr("&Rack"))
        self._action(m, self.tr("&Poll now"), self.rack.poll_now, "Ctrl+P")
        self._action(m, self.tr("&Focus this rack"), self.rack.focus_rack, "Ctrl+Shift+F")
        self._action(
            m, self.tr("Toggle &live follow"), lambda: self.rack.plot.live.toggle(), "Ctrl+L"
        )
        sub = m.addMenu(self.tr("Plot &window"))
        for i, (label, secs) in enumerate(PRESETS):
            self._action(
                sub, span_label(label), lambda s=secs: self.rack.plot.set_span(s), f"Alt+{i + 1}"
            )
        m = mb.addMenu(self.tr("&Inventory"))
        self._action(m, self.tr("Add &site…"), self.edit_site)
        self._action(m, self.tr("Add &rack…"), self.edit_rack)
        self._action(m, self.tr("Add &device…"), self.edit_device, "Ctrl+Shift+N")
        self._action(m, self.tr("&Edit selected…"), self.edit_selected, "Ctrl+Shift+E")
        m.addSeparator()
        self._action(m, self.tr("Start &collecting on this desk"), self.start_collector)
        m = mb.addMenu(self.tr("&Alarms"))
        self.mute_action = QAction(self.tr("&Mute alarm sound"), self, checkable=True)
        self.mute_action.setShortcut(QKeySequence("Ctrl+M"))
        self.mute_action.setChecked(self.alerter.muted)
        self.mute_action.toggled.connect(self.alerter.set_muted)
        self.shortcut_list.append(("Ctrl+M", self.tr("Mute alarm sound")))
        m.addAction(self.mute_action)
        self.addAction(self.mute_action)
        self._action(
            m, self.tr("S&nooze alarm sound for 5 minutes"), lambda: self.alerter.snooze(300)
        )
        self.sound_action = QAction(
            self.tr("Sound for new critical incidents (repeats until acknowledged)"),
            self,
            checkable=True,
        )
        self.sound_action.setChecked(self.alerter.sound)
        self.sound_action.toggled.connect(self.alerter.set_sound)
        m.addAction(self.sound_action)
        self.notify_action = QAction(self.tr("Desktop notifications"), self, checkable=True)
        self.notify_action.setChecked(self.alerter.notify)
        self.notify_action.toggled.connect(self.alerter.set_notify)
        m.addAction(self.notify_action)
        m.addSeparator()
        self._action(
            m, self.tr("&Acknowledge selected…"), self.alarms.acknowledge_selected, "Ctrl+K"
        )
        self._action(
            m,
            self.tr("&Shelve selected for 1 hour"),
            lambda: self.alarms.shelve_selected(3600),
            "Ctrl+Shift+H",
        )
        self._action(m, self.tr("Go to alarm &list"), self._focus_alarms, "Ctrl+Shift+A")
        m = mb.addMenu(self.tr("&Help"))
        self._action(m, self.tr("&Keyboard shortcuts"), self.show_shortcuts, "F1")
        self._action(m, self.tr("&About RackWatch"), self._about)

    def _power_truth(self) -> None:
        from ui.power_truth import PowerTruthDialog

        PowerTruthDialog(self.ctx, self).open()

    def _focus_alarms(self) -> None:
        self.alarm_dock.show()
        self.alarms.view.setFocus()

    def shortcuts_dialog(self) -> QDialog:
        dlg = QDialog(self)
        dlg.setWindowTitle(self.tr("Keyboard shortcuts"))
        table = QTableWidget(len(self.shortcut_list), 2, dlg)
        table.setHorizontalHeaderLabels([self.tr("Keys"), self.tr("Action")])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, (keys, text) in enumerate(self.shortcut_list):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(text))
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.resizeColumnToContents(0)
        lay = QVBoxLayout(dlg)
        lay.addWidget(table)
        dlg.resize(460, 520)
        return dlg

    def show_shortcuts(self) -> None:
        self.shortcuts_dialog().exec()

    def _about(self) -> None:
        QMessageBox.about(
            self,
            self.tr("About RackWatch"),
            self.tr("RackWatch — power and temperature of server racks.\nDatabase: %1").replace(
                "%1", self.ctx.db_label
            ),
        )

    # -- theme ----------------------------------------------------------------------------

    def set_theme(self, name: str) -> None:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        theme.apply_theme(app, name)
        self.theme_actions[name].setChecked(True)
        if self.rack.has_plot:
            self.rack.plot.apply_theme()
            if self.rack.plot.data is not None:
                self.rack.plot._draw(self.rack.plot.data)
        self.tree.model._icons.clear()
        self.tree.model.clear_cache()
        self.settings.setValue("ui/theme", name)
        for w in (self.floor.map, self.rack.elevation, self.rack.pdus):
            w.update()

    def toggle_theme(self) -> None:
        self.set_theme("light" if theme.is_dark() else "dark")

    # -- settings -------------------------------------------------------------------------

    def _restore(self) -> None:
        s = self.settings
        geo = s.value("window/geometry")
        if isinstance(geo, QByteArray):
            self.restoreGeometry(geo)
        st = s.value("window/state")
        if isinstance(st, QByteArray):
            self.restoreState(st)
        span = s.value("plot/span")
        if span:
            self.rack.initial_span = int(str(span))
        tab = int(str(s.value("view/tab", TAB_FLOOR)))
        rack = s.value("view/rack")
        if tab == TAB_RACK and rack:
            self.open_rack(int(str(rack)))
        site = s.value("view/site")
        if site:
            # Shown once the inventory (and so the site list) has loaded.
            self.floor.site_id = int(str(site))
        measure = s.value("view/measure")
        if measure:
            self.floor.set_measure(str(measure))

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("view/tab", self.tabs.currentIndex())
        s.setValue("view/measure", self.floor.measure.currentData())
        s.setValue(
            "plot/span", self.rack.plot.span if self.rack.has_plot else self.rack.initial_span
        )
        if self.floor.site_id is not None:
            s.setValue("view/site", self.floor.site_id)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.restoring:
            self.save_settings()
        if self.wall is not None:
            self.wall.close()
        self.pulse_timer.stop()
        follower = getattr(self, "follower", None)
        if follower is not None:
            follower.stop()
        if self.collector is not None:
            self.collector.stop()
        super().closeEvent(event)

    # -- readiness (screenshots, tests) ---------------------------------------------------

    def ready_for(self, view: str) -> bool:
        """Whether everything the given view shows has been loaded and painted at least once."""
        if not self.tree.loaded or not self.alarms.loaded or self.health is None:
            return False
        if self.showing_empty:
            return True
        if view.startswith("rack"):
            return self.rack.ready
        if view == "wall":
            return self.wall is not None and self.wall.ready
        if view == "alarms":
            return True
        return self.floor.ready and self.tree.refreshes > 0


def widget_for_capture(win: MainWindow, view: str) -> QWidget:
    return win.wall if view == "wall" and win.wall is not None else win
