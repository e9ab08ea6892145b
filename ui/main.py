"""Starting the GUI: application set-up, views by name, and the --screenshot mode."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QLibraryInfo,
    QLocale,
    QSettings,
    Qt,
    QTimer,
    QTranslator,
)
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

import resources
from models.db import has_schema, make_engine, upgrade
from models.read import inventory as read_inventory
from models.read import racks as read_racks
from ui import theme
from ui.context import Context, current_user
from ui.main_window import MainWindow, widget_for_capture
from ui.workers import Loader

log = logging.getLogger(__name__)
VIEWS = ("site:CODE", "rack:NAME", "wall", "alarms")


def make_app(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QCoreApplication.setOrganizationName("RackWatch")
    QCoreApplication.setApplicationName("RackWatch")
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        # Fractional scale factors (150 %) render crisply instead of rounding to 2x.
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    app = QApplication(argv or [sys.argv[0]])
    app.setWindowIcon(QIcon(str(resources.ICON)))
    # Matches packaging/rackwatch.desktop, so desktops group the window under its entry.
    QGuiApplication.setDesktopFileName("rackwatch")
    install_translations(app)
    return app


# Fonts with Simplified Chinese glyphs, best first; `./dev` installs fonts-wqy-microhei (the
# Debian package fonts-noto-cjk gives the first). Chosen explicitly so Chinese text never
# depends on which fallback fontconfig happens to find.
CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Noto Sans SC")


def install_translations(app: QApplication) -> list[QTranslator]:
    """Load rackwatch_<locale>.qm and Qt's own qtbase_<locale>.qm (standard buttons, dialogs)
    for the default locale, and pick a CJK font for Chinese; returns the installed ones."""
    installed = []
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for name, folder in (("rackwatch", str(resources.TRANSLATIONS_DIR)), ("qtbase", qt_dir)):
        translator = QTranslator(app)
        if translator.load(QLocale(), name, "_", folder):
            app.installTranslator(translator)
            installed.append(translator)
    if QLocale().language() == QLocale.Language.Chinese:
        select_cjk_font(app)
    return installed


def select_cjk_font(app: QApplication) -> str | None:
    """Make the first installed CJK font the application font; None (and a warning) if none."""
    families = set(QFontDatabase.families())
    for family in CJK_FONTS:
        if family in families:
            font = QFont(app.font())
            font.setFamilies([family, *font.families()])
            app.setFont(font)
            return family
    log.warning("no CJK font installed (%s); Chinese text may not render", ", ".join(CJK_FONTS))
    return None


def seconds_since_process_start() -> float | None:
    """Linux: wall time since this process was started (bundle bootloader included)."""
    try:
        start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


def _report_first_paint() -> None:
    since = seconds_since_process_start()
    if since is not None:
        print(f"first paint {since:.2f} s after process start", file=sys.stderr, flush=True)


def check_view(view: str | None) -> str | None:
    """Validate a --view value; returns an error message or None."""
    if view is None or view in ("wall", "alarms"):
        return None
    kind, _, name = view.partition(":")
    if kind in ("site", "rack") and name:
        return None
    return f"--view {view!r}: expected one of {', '.join(VIEWS)}"


def apply_view(win: MainWindow, view: str) -> str | None:
    """Open a named view; returns an error message when it names nothing in the database."""
    engine = win.ctx.engine
    kind, _, name = view.partition(":")
    if kind == "site":
        site = read_racks.find_site(engine, name)
        if site is None:
            return f"--view site:{name}: no site with that code"
        win.open_site(site.id)
    elif kind == "rack":
        rid = read_racks.find_rack(engine, name)
        if rid is None:
            return f"--view rack:{name}: no rack with that name (use NAME or SITE/NAME)"
        win.open_rack(rid, reveal=True)
    elif kind == "wall":
        win.toggle_wall(fullscreen=False)
        if win.wall is not None:
            win.wall.resize(win.size())
            win.wall.show()
    elif kind == "alarms":
        win.alarm_dock.show()
        win.resizeDocks(
            [win.alarm_dock],
            [420],
            Qt.Orientation.Vertical,
        )
        win.alarms.select_first()
    return None


def run(
    url: str,
    *,
    screenshot: str | None = None,
    view: str | None = None,
    theme_name: str | None = None,
    size: tuple[int, int] = (1600, 1000),
    timeout_s: float = 120.0,
    quit_after_s: float | None = None,
    watch: Callable[[], str | None] | None = None,
) -> int:
    """watch: called every few seconds (the demo restarts a dead collector); its message is
    shown in the window's status bar."""
    err = check_view(view)
    if err:
        print(f"rackwatch gui: {err}", file=sys.stderr)
        return 2
    if screenshot and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        engine = make_engine(url)
        read_inventory.limit_page_cache(engine)
        ok = has_schema(engine)
    except Exception as exc:
        print(f"rackwatch gui: cannot open database {url}: {exc}", file=sys.stderr)
        return 2
    if not ok:
        # First run: the same migrations as `app.py db upgrade`; the window then shows the
        # empty state (import, add a device, demo).
        print(f"rackwatch gui: creating the RackWatch schema in {url}", file=sys.stderr)
        try:
            upgrade(url)
        except Exception as exc:
            print(f"rackwatch gui: cannot create the schema in {url}: {exc}", file=sys.stderr)
            return 2
    app = make_app()
    if screenshot:
        # Screenshots must not depend on (or change) the user's remembered layout.
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(
            QSettings.Format.IniFormat,
            QSettings.Scope.UserScope,
            str(Path(screenshot).resolve().parent / ".rackwatch-screenshot-settings"),
        )
    settings = QSettings()
    name = theme_name or str(settings.value("ui/theme", "light"))
    theme.apply_theme(app, name)
    ctx = Context(engine=engine, url=url, loader=Loader(app), user=current_user())
    win = MainWindow(ctx, restore=not screenshot)
    win.theme_actions.get(name, win.theme_actions["light"]).setChecked(True)
    if screenshot:
        win.resize(*size)
    win.show()
    started = time.monotonic()
    if os.environ.get("RACKWATCH_REPORT_FIRST_PAINT"):
        # The first turn of the event loop after show() comes once the window has painted.
        QTimer.singleShot(0, _report_first_paint)
    win.start()
    if view and view not in ("wall",):
        err = apply_view(win, view)
        if err:
            print(f"rackwatch gui: {err}", file=sys.stderr)
            # Let the first reads finish before Qt is torn down, or a worker thread may
            # still be inside a query when its objects go (a crash at exit).
            win.close()
            ctx.loader.pool.waitForDone(5000)
            engine.dispose()
            return 2
    if not screenshot:
        if quit_after_s:
            QTimer.singleShot(int(quit_after_s * 1000), win.close)
        # Ctrl+C and SIGTERM close the window like the close button (the demo then stops its
        # children); the timer lets Python run its signal handlers while Qt's loop waits.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_a: win.close())
        wake = QTimer()
        wake.timeout.connect(lambda: None)
        wake.start(250)
        if watch is not None:
            watcher = QTimer()

            def look() -> None:
                said = watch()
                if said:
                    win.statusBar().showMessage(said, 30_000)

            watcher.timeout.connect(look)
            watcher.start(2000)
        rc = app.exec()
        engine.dispose()
        return int(rc)
    target_view = view or "site"
    result = {"rc": 1}
    state = {"wall_opened": False, "alarm_opened": False, "settle": 0}

    def check() -> None:
        if target_view == "wall" and not state["wall_opened"] and win.inventory is not None:
            state["wall_opened"] = True
            apply_view(win, "wall")
        if (
            target_view == "alarms"
            and not state["alarm_opened"]
            and win.alarms.loaded
            and win.alarms.alarms
        ):
            # Selecting the top alarm opens its rack, as a click would.
            state["alarm_opened"] = True
            win.alarms.select_first()
        ready = win.ready_for(target_view) and not ctx.loader.busy()
        state["settle"] = state["settle"] + 1 if ready else 0
        timed_out = time.monotonic() - started > timeout_s
        if state["settle"] >= 3 or timed_out:
            poll.stop()
            app.processEvents()
            widget = widget_for_capture(win, target_view)
            image = widget.grab()
            Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
            saved = image.save(screenshot, "PNG")
            if timed_out:
                print(
                    f"rackwatch gui: view {target_view} not loaded after {timeout_s:.0f} s; "
                    f"saved what was shown",
                    file=sys.stderr,
                )
            result["rc"] = 0 if saved and not timed_out else 1
            if saved:
                print(
                    f"screenshot {screenshot} ({image.width()}x{image.height()}, "
                    f"{time.monotonic() - started:.1f} s)"
                )
            app.quit()

    poll = QTimer(interval=150)
    poll.timeout.connect(check)
    poll.start()
    app.exec()
    if win.wall is not None:
        win.wall.close()
    win.close()
    ctx.loader.pool.waitForDone(5000)
    engine.dispose()
    return result["rc"]
