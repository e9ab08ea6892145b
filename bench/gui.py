"""GUI benchmark at pilot-zone (158,000 servers) or 2M scale, against a QStandardItemModel tree."""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Taken before anything heavy is imported: the child's "start" for time-to-first-paint.
T_START = time.monotonic()

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

OUT = REPO / "bench" / "out"
PRESETS: dict[str, dict[str, int]] = {
    "pilot": {"sites": 12, "racks": 13_400, "servers": 158_000},
    "2m": {"sites": 12, "racks": 170_000, "servers": 2_000_000},
    "small": {"sites": 3, "racks": 300, "servers": 3_000},
}
MODELS = (
    "Dell PowerEdge R750",
    "Inspur NF5280M6",
    "Huawei FusionServer 2288H V6",
    "Lenovo ThinkSystem SR650 V2",
    "HPE ProLiant DL380 Gen10 Plus",
    "Sugon I620-G30",
)
BENCH_RACK = "BENCH-R42"
DAY = 86_400
TARGETS = {
    "pilot": {"first_paint_s": 1.5, "rss_mb": 350.0},
    "2m": {"first_paint_s": 8.0, "rss_mb": 1500.0},
    "small": {"first_paint_s": 1.5, "rss_mb": 350.0},
}


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


# -- data generation -----------------------------------------------------------------------------


def generate(path: Path, preset: str, seed: int = 1) -> dict[str, Any]:
    """Write the inventory, latest values and device states, a 42-server rack with a day of
    samples and one series of 1,000,000 samples, with SQLAlchemy Core executemany."""
    from sqlalchemy import insert

    from models import schema as s
    from models.db import make_engine, upgrade
    from models.store.samples import SampleWriter

    p = PRESETS[preset]
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    rnd = random.Random(seed)
    now = int(time.time())
    t0 = time.perf_counter()
    racks_per_site = p["racks"] // p["sites"]
    sites = [
        {"id": i + 1, "code": f"S{i + 1:02d}", "name": f"Pilot site {i + 1}", "tz": "Asia/Shanghai"}
        for i in range(p["sites"])
    ]
    racks: list[dict[str, Any]] = []
    devices: list[dict[str, Any]] = []
    series: list[dict[str, Any]] = []
    latest: list[dict[str, Any]] = []
    states: list[dict[str, Any]] = []
    servers_left = p["servers"]
    rack_id = dev_id = ser_id = 0
    counts = {"racks": 0, "devices": 0, "series": 0}
    first_series: list[dict[str, Any]] = []
    with engine.begin() as conn:
        conn.execute(insert(s.Site), sites)

    def flush() -> None:
        # One site at a time, so 2,000,000 devices never sit in memory as dicts at once.
        chunk = 50_000
        if not first_series:
            first_series.extend(series[:400])
        counts["racks"] += len(racks)
        counts["devices"] += len(devices)
        counts["series"] += len(series)
        with engine.begin() as conn:
            for table, rows in (
                (s.Rack, racks),
                (s.Device, devices),
                (s.DeviceState, states),
                (s.Series, series),
                (s.Latest, latest),
            ):
                for i in range(0, len(rows), chunk):
                    conn.execute(insert(table), rows[i : i + chunk])
                rows.clear()

    for si, site in enumerate(sites):
        n_racks = racks_per_site if si < p["sites"] - 1 else p["racks"] - racks_per_site * si
        for r in range(n_racks):
            rack_id += 1
            row, pos = divmod(r, 20)
            name = BENCH_RACK if rack_id == 1 else f"{site['code']}-R{row + 1:02d}-{pos + 1:02d}"
            racks.append(
                {
                    "id": rack_id,
                    "site_id": site["id"],
                    "name": name,
                    "row": f"R{row + 1:02d}",
                    "position": pos + 1,
                    "height_u": 42,
                    "rated_power_w": 12_000.0,
                }
            )
            remaining_racks = p["racks"] - rack_id + 1
            n_srv = 42 if rack_id == 1 else max(0, round(servers_left / remaining_racks))
            if rack_id == 1:
                n_srv = min(42, servers_left)
            servers_left -= n_srv
            base = 22.0 + rnd.uniform(-3, 4)
            for feed in ("A", "B"):
                dev_id += 1
                devices.append(
                    {
                        "id": dev_id,
                        "site_id": site["id"],
                        "rack_id": rack_id,
                        "name": f"{name}-PDU{feed}",
                        "kind": "pdu",
                        "u_position": None,
                        "u_height": 0,
                        "feed": feed,
                        "model": "Raritan PX3-5145R",
                        "serial": f"PX{dev_id:09d}",
                        "address": f"10.{si}.{rack_id % 250}.{250 + (feed == 'B')}",
                        "protocol": "snmp",
                        "poll_interval_s": 60,
                    }
                )
                states.append(
                    {
                        "device_id": dev_id,
                        "status": "ok",
                        "last_ok_ts": now - 20,
                        "last_poll_ts": now - 20,
                        "consecutive_failures": 0,
                        "seq": 1,
                    }
                )
                for metric, ch, unit, val in (
                    ("power_w", "inlet I1", "W", 2500.0),
                    ("current_a", "L1", "A", 3.6),
                    ("current_a", "L2", "A", 3.6),
                    ("current_a", "L3", "A", 3.6),
                ):
                    ser_id += 1
                    series.append(
                        {
                            "id": ser_id,
                            "device_id": dev_id,
                            "metric": metric,
                            "channel": ch,
                            "role": None,
                            "unit": unit,
                            # What a collector would decide (models.series_meaning).
                            "channel_class": "total" if metric == "power_w" else "phase",
                        }
                    )
                    latest.append(
                        {
                            "series_id": ser_id,
                            "ts": now - 20,
                            "value": val * rnd.uniform(0.6, 1.3),
                            "status": "ok",
                            "seq": 1,
                        }
                    )
            for n in range(n_srv):
                dev_id += 1
                devices.append(
                    {
                        "id": dev_id,
                        "site_id": site["id"],
                        "rack_id": rack_id,
                        "name": f"{name}-SRV{n + 1:02d}",
                        "kind": "server",
                        "u_position": n + 1,
                        "u_height": 1,
                        "feed": None,
                        "model": MODELS[dev_id % len(MODELS)],
                        "serial": f"SN{rnd.randrange(10**10):010d}",
                        "address": f"10.{16 + si}.{(dev_id // 250) % 250}.{dev_id % 250}",
                        "protocol": "ssh",
                        "poll_interval_s": 60,
                    }
                )
                down = rnd.random() < 0.002
                states.append(
                    {
                        "device_id": dev_id,
                        "status": "unreachable" if down else "ok",
                        "last_ok_ts": now - (900 if down else 30),
                        "last_poll_ts": now - 30,
                        "consecutive_failures": 15 if down else 0,
                        "seq": 1,
                    }
                )
                for metric, ch, role, unit, val in (
                    ("temperature_c", "Inlet Temp", "inlet", "°C", base + rnd.uniform(-1, 1.5)),
                    ("power_w", "", None, "W", rnd.uniform(250, 700)),
                ):
                    ser_id += 1
                    series.append(
                        {
                            "id": ser_id,
                            "device_id": dev_id,
                            "metric": metric,
                            "channel": ch,
                            "role": role,
                            "unit": unit,
                            "channel_class": "total" if metric == "power_w" else "part",
                        }
                    )
                    latest.append(
                        {
                            "series_id": ser_id,
                            "ts": now - 30,
                            "value": val,
                            "status": "ok",
                            "seq": 1,
                        }
                    )
        flush()
    inventory_s = time.perf_counter() - t0
    # A day of raw samples for the 42 inlet series of the bench rack, through the real writer.
    t1 = time.perf_counter()
    inlet_ids = [x["id"] for x in first_series if x["role"] == "inlet"][:42]
    writer = SampleWriter(engine)
    start = now - DAY
    batch: list[tuple[int, int, float]] = []
    for ts in range(start - start % 60, now, 60):
        for k, sid in enumerate(inlet_ids):
            batch.append(
                (sid, ts, 24.0 + k * 0.05 + 2.0 * ((ts // 600 + k) % 7) / 7 + rnd.random())
            )
        if len(batch) >= 20_000:
            writer.write(batch)
            batch = []
    writer.write(batch)
    writer.flush()
    # One power series with 1,000,000 raw samples (10 s apart, about 116 days).
    million_sid = next(
        x["id"]
        for x in first_series
        if x["metric"] == "power_w" and x["role"] is None and x["channel"] == ""
    )
    n = 1_000_000
    ts0 = now - n * 10
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("DELETE FROM sample WHERE series_id = ?", (million_sid,))
        for i in range(0, n, 200_000):
            cur.executemany(
                "INSERT INTO sample (series_id, ts, value) VALUES (?, ?, ?)",
                [
                    (million_sid, ts0 + j * 10, 400.0 + 150.0 * ((j // 3000) % 5) + (j % 97))
                    for j in range(i, min(n, i + 200_000))
                ],
            )
        raw.commit()
    finally:
        raw.close()
    samples_s = time.perf_counter() - t1
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return {
        "preset": preset,
        "sites": len(sites),
        "racks": counts["racks"],
        "devices": counts["devices"],
        "servers": p["servers"],
        "series": counts["series"],
        "inlet_series": inlet_ids,
        "million_series": million_sid,
        "generate_inventory_s": round(inventory_s, 2),
        "generate_samples_s": round(samples_s, 2),
        "db_mb": round(path.stat().st_size / 2**20, 1),
    }


# -- child: our window ---------------------------------------------------------------------------


def child_ours(db: Path, meta: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    from PySide6.QtCore import QEvent, QObject

    from models.db import make_engine
    from models.read import inventory as read_inventory
    from models.read import status as read_status
    from models.store.samples import history
    from ui import theme
    from ui.context import Context
    from ui.main import make_app
    from ui.main_window import MainWindow
    from ui.workers import Loader

    res: dict[str, Any] = {}
    app = make_app()
    theme.apply_theme(app, "light")
    engine = make_engine(f"sqlite:///{db}")
    read_inventory.limit_page_cache(engine)
    ctx = Context(engine=engine, url=f"sqlite:///{db}", loader=Loader(app), user="bench")
    win = MainWindow(ctx, restore=False)
    win.resize(1600, 1000)

    class FirstPaint(QObject):
        at: float | None = None

        def eventFilter(self, obj: QObject, ev: QEvent) -> bool:
            if ev.type() == QEvent.Type.Paint and self.at is None:
                self.at = time.monotonic()
            return False

    fp = FirstPaint()
    win.tree.view.viewport().installEventFilter(fp)
    win.show()
    win.start()
    while fp.at is None:
        app.processEvents()
    res["first_paint_s"] = fp.at - T_START
    while not win.tree.loaded:
        app.processEvents()
        time.sleep(0.002)
    app.processEvents()
    res["tree_loaded_s"] = time.monotonic() - T_START
    res["rss_after_load_mb"] = rss_mb()
    # Filter: one device by name, and a broad term that matches a sixth of the servers.
    name = f"{BENCH_RACK}-SRV17"
    t = time.perf_counter()
    n1 = win.tree.model.set_filter(name)
    res["filter_one_ms"] = (time.perf_counter() - t) * 1000
    res["filter_one_matches"] = n1
    t = time.perf_counter()
    n2 = win.tree.model.set_filter("r750")
    res["filter_broad_ms"] = (time.perf_counter() - t) * 1000
    res["filter_broad_matches"] = n2
    win.tree.model.set_filter("")
    # One refresh cycle of what is visible: the read runs in the pool; the GUI thread only
    # stores the summaries and repaints the rows.
    win.tree.view.expandToDepth(0)
    win.tree.view.expand(win.tree.model.rack_row(1))
    app.processEvents()
    rows = win.tree.visible_indexes()
    _sites_ix, racks_ix, devs_ix = win.tree.model.ids_of(rows)
    now = int(time.time())
    t = time.perf_counter()
    r_sum = read_status.summaries(engine, "rack", racks_ix, now=now)
    d_sum = read_status.summaries(engine, "device", devs_ix, now=now)
    res["refresh_read_ms"] = (time.perf_counter() - t) * 1000
    from PySide6.QtCore import QPersistentModelIndex

    persistent = [QPersistentModelIndex(ix) for ix in rows]
    cycles, cpu = [], []
    for _ in range(7):
        t, c = time.perf_counter(), time.thread_time()
        win.tree.model.apply({}, r_sum, d_sum, now, persistent)
        win.tree.view.viewport().repaint()
        cycles.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    res["refresh_gui_ms"] = float(np.median(cycles))
    res["refresh_gui_cpu_ms"] = float(np.median(cpu))
    res["refresh_rows"] = len(rows)
    t = time.perf_counter()
    site_sums = read_status.summaries(engine, "site", now=now)
    res["site_rollup_read_ms"] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    fm = read_status.floor_map(engine, 1, now=now)
    res["floor_map_read_ms"] = (time.perf_counter() - t) * 1000
    res["floor_map_racks"] = len(fm.tiles)
    win.floor.map.set_data(fm)
    win.tabs.setCurrentIndex(0)
    app.processEvents()
    t = time.perf_counter()
    win.floor.map.repaint()
    res["floor_map_paint_ms"] = (time.perf_counter() - t) * 1000
    assert site_sums
    # The 42-curve one-day rack plot.
    win.open_rack(1)
    panel = win.rack.plot
    panel.set_span(DAY)
    deadline = time.monotonic() + 120
    while not (panel.ready and panel.data is not None and len(panel.data.rows) == 42):
        app.processEvents()
        time.sleep(0.002)
        if time.monotonic() > deadline:
            raise RuntimeError("rack plot did not load")
    t = time.perf_counter()
    history(engine, [r.id for r in panel.data.rows], now - DAY, now, 2000)
    res["plot_42_read_ms"] = (time.perf_counter() - t) * 1000
    res["plot_42_points"] = int(sum(len(h) for h in panel.data.hist.values()))
    app.processEvents()
    vp = panel.widget.viewport()
    times, cpu = [], []
    for _ in range(10):
        t, c = time.perf_counter(), time.thread_time()
        vp.repaint()
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    res["plot_42_repaint_ms"] = float(np.median(times))
    res["plot_42_repaint_cpu_ms"] = float(np.median(cpu))
    res["rss_before_million_mb"] = rss_mb()
    # Panning a 1,000,000-point series.
    sid = int(meta["million_series"])
    t = time.perf_counter()
    h = history(engine, [sid], now - 1_000_000 * 10 - 10, now, 1_000_000)[sid]
    res["million_read_ms"] = (time.perf_counter() - t) * 1000
    res["million_points"] = len(h)
    import pyqtgraph as pg

    pw = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
    pw.resize(1200, 500)
    item = pw.getPlotItem()
    item.setClipToView(True)
    item.setDownsampling(auto=True, mode="peak")
    curve = item.plot(
        h.ts.astype(np.float64), h.avg, pen=pg.mkPen("#2f6fd0", width=1), skipFiniteCheck=True
    )
    assert curve is not None
    pw.show()
    app.processEvents()
    x0, x1 = float(h.ts[0]), float(h.ts[-1])
    width = (x1 - x0) / 10
    vb = item.getViewBox()
    vb.setXRange(x0, x0 + width, padding=0)
    app.processEvents()
    pw.viewport().repaint()
    frames, cpu = [], []
    for i in range(60):
        left = x0 + i * width * 0.02
        t, c = time.perf_counter(), time.thread_time()
        vb.setXRange(left, left + width, padding=0)
        pw.viewport().repaint()
        frames.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    res["million_pan_ms"] = float(np.median(frames))
    res["million_pan_cpu_ms"] = float(np.median(cpu))
    res["million_pan_p95_ms"] = float(np.percentile(frames, 95))
    # Whole view (all million points on screen, downsampled to the pixels).
    vb.setXRange(x0, x1, padding=0)
    app.processEvents()
    t = time.perf_counter()
    pw.viewport().repaint()
    res["million_full_repaint_ms"] = (time.perf_counter() - t) * 1000
    res["rss_end_mb"] = rss_mb()
    res["peak_rss_mb"] = peak_mb()
    win.close()
    ctx.loader.pool.waitForDone(10_000)
    return res


# -- child: the QStandardItemModel tree ------------------------------------------------------------


def child_standard(db: Path, meta: dict[str, Any]) -> dict[str, Any]:
    from PySide6.QtCore import QEvent, QObject, QSortFilterProxyModel, Qt
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QTreeView

    from models.db import make_engine
    from models.read import inventory as read_inventory
    from ui.main import make_app

    res: dict[str, Any] = {}
    app = make_app()
    engine = make_engine(f"sqlite:///{db}")
    t = time.perf_counter()
    inv = read_inventory.load_inventory(engine)
    res["read_ms"] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    model = QStandardItemModel()
    model.setHorizontalHeaderLabels(["Name", "Status", "Inlet °C", "Power kW", "Age"])
    root = model.invisibleRootItem()
    device_items: list[QStandardItem] = []
    for si, site in enumerate(inv.sites):
        s_row = [QStandardItem(f"{site.code} — {site.name}")] + [
            QStandardItem("") for _ in range(4)
        ]
        root.appendRow(s_row)
        for ri in range(int(inv.site_rack_start[si]), int(inv.site_rack_start[si + 1])):
            r_row = [QStandardItem(inv.racks[ri].name)] + [QStandardItem("") for _ in range(4)]
            s_row[0].appendRow(r_row)
            for di in range(int(inv.rack_device_start[ri]), int(inv.rack_device_start[ri + 1])):
                d_row = [QStandardItem(inv.device_names[di])] + [
                    QStandardItem("") for _ in range(4)
                ]
                device_items.append(d_row[1])
                r_row[0].appendRow(d_row)
    res["build_ms"] = (time.perf_counter() - t) * 1000
    view = QTreeView()
    view.setUniformRowHeights(True)
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setRecursiveFilteringEnabled(True)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    view.setModel(proxy)
    view.resize(500, 900)

    class FirstPaint(QObject):
        at: float | None = None

        def eventFilter(self, obj: QObject, ev: QEvent) -> bool:
            if ev.type() == QEvent.Type.Paint and self.at is None:
                self.at = time.monotonic()
            return False

    fp = FirstPaint()
    view.viewport().installEventFilter(fp)
    view.show()
    while fp.at is None:
        app.processEvents()
    res["first_paint_s"] = fp.at - T_START
    res["rss_after_load_mb"] = rss_mb()
    t = time.perf_counter()
    proxy.setFilterFixedString(f"{BENCH_RACK}-SRV17")
    res["filter_one_ms"] = (time.perf_counter() - t) * 1000
    res["filter_one_matches"] = None
    proxy.setFilterFixedString("")
    # A naive refresh writes every status cell; each setData emits its own dataChanged.
    t = time.perf_counter()
    for it in device_items:
        it.setText("OK")
    app.processEvents()
    res["refresh_all_ms"] = (time.perf_counter() - t) * 1000
    res["peak_rss_mb"] = peak_mb()
    return res


# -- parent --------------------------------------------------------------------------------------


def run_child(kind: str, db: Path, meta_path: Path, timeout: int) -> dict[str, Any]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["XDG_CONFIG_HOME"] = str(meta_path.parent / "config")
    out = meta_path.with_name(f"{kind}.json")
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            kind,
            "--db",
            str(db),
            "--meta",
            str(meta_path),
            "--child-out",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0 or not out.exists():
        return {"error": proc.stderr.strip()[-1500:] or f"exit {proc.returncode}"}
    return dict(json.loads(out.read_text()))


def fmt_row(label: str, ours: Any, std: Any, target: str = "") -> str:
    def f(v: Any) -> str:
        if v is None:
            return "—"
        if isinstance(v, float):
            return f"{v:,.1f}" if v >= 10 else f"{v:.2f}"
        return f"{v:,}" if isinstance(v, int) else str(v)

    return f"| {label} | {f(ours)} | {f(std)} | {target} |"


def table(meta: dict[str, Any], ours: dict[str, Any], std: dict[str, Any]) -> str:
    tg = TARGETS[meta["preset"]]
    lines = [
        f"GUI benchmark, preset `{meta['preset']}`: {meta['sites']} sites, "
        f"{meta['racks']:,} racks, "
        f"{meta['devices']:,} devices ({meta['servers']:,} servers), {meta['series']:,} series; "
        f"SQLite {meta['db_mb']} MB; {os.cpu_count()} cores shared; offscreen Qt.",
        "",
        "| measure | lazy model (ours) | QStandardItemModel | target |",
        "|---|---|---|---|",
        fmt_row(
            "start to first painted window, s",
            ours.get("first_paint_s"),
            std.get("first_paint_s"),
            f"≤ {tg['first_paint_s']}",
        ),
        fmt_row(
            "start to whole inventory in the tree, s",
            ours.get("tree_loaded_s"),
            std.get("first_paint_s"),
            "",
        ),
        fmt_row(
            "RSS with inventory loaded, MB",
            ours.get("rss_after_load_mb"),
            std.get("rss_after_load_mb"),
            f"≤ {tg['rss_mb']:.0f}",
        ),
        fmt_row(
            "RSS after tree, floor map and 42-curve plot, MB",
            ours.get("rss_before_million_mb"),
            None,
            "",
        ),
        fmt_row(
            "peak RSS of the run (incl. the 1M-point read), MB",
            ours.get("peak_rss_mb"),
            std.get("peak_rss_mb"),
            "",
        ),
        fmt_row("building the tree model, ms", None, std.get("build_ms"), ""),
        fmt_row(
            "filter, one device by name, ms",
            ours.get("filter_one_ms"),
            std.get("filter_one_ms"),
            "",
        ),
        fmt_row(
            f"filter, broad term ({ours.get('filter_broad_matches', 0):,} matches), ms",
            ours.get("filter_broad_ms"),
            None,
            "",
        ),
        fmt_row(
            f"refresh cycle, GUI thread ({ours.get('refresh_rows')} visible rows), ms",
            ours.get("refresh_gui_ms"),
            std.get("refresh_all_ms"),
            "≤ 50",
        ),
        fmt_row("refresh cycle, GUI thread CPU, ms", ours.get("refresh_gui_cpu_ms"), None, ""),
        fmt_row(
            "refresh cycle, background read of visible rows, ms",
            ours.get("refresh_read_ms"),
            None,
            "",
        ),
        fmt_row(
            "site roll-up read (all devices, background), ms",
            ours.get("site_rollup_read_ms"),
            None,
            "",
        ),
        fmt_row(
            f"floor map read, {ours.get('floor_map_racks')} racks (background), ms",
            ours.get("floor_map_read_ms"),
            None,
            "",
        ),
        fmt_row("floor map paint, ms", ours.get("floor_map_paint_ms"), None, ""),
        fmt_row(
            f"42-curve one-day rack plot: history read ({ours.get('plot_42_points'):,} pts), ms",
            ours.get("plot_42_read_ms"),
            None,
            "",
        ),
        fmt_row(
            "42-curve one-day rack plot: repaint, ms", ours.get("plot_42_repaint_ms"), None, "≤ 35"
        ),
        fmt_row(
            "42-curve one-day rack plot: repaint CPU, ms",
            ours.get("plot_42_repaint_cpu_ms"),
            None,
            "",
        ),
        fmt_row("1,000,000-point series: read, ms", ours.get("million_read_ms"), None, ""),
        fmt_row(
            "1,000,000-point series: pan, ms per frame (median)",
            ours.get("million_pan_ms"),
            None,
            "≤ 10",
        ),
        fmt_row(
            "1,000,000-point series: pan, CPU ms per frame (median)",
            ours.get("million_pan_cpu_ms"),
            None,
            "",
        ),
        fmt_row(
            "1,000,000-point series: pan, ms per frame (p95)",
            ours.get("million_pan_p95_ms"),
            None,
            "",
        ),
        fmt_row(
            "1,000,000-point series: whole range repaint, ms",
            ours.get("million_full_repaint_ms"),
            None,
            "",
        ),
        "",
        'QStandardItemModel column: the same inventory as items (5 per row); its "refresh" writes '
        "the status cell of every device, as a model without a visible-rows notion must.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="pilot")
    ap.add_argument("--db", type=Path, help="reuse a database generated by an earlier run")
    ap.add_argument("--keep", action="store_true", help="keep the generated database")
    ap.add_argument("--no-standard", action="store_true", help="skip the QStandardItemModel run")
    ap.add_argument("--timeout", type=int, default=1800)
    ap.add_argument("--child", choices=("ours", "standard"), help=argparse.SUPPRESS)
    ap.add_argument("--meta", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        meta = json.loads(args.meta.read_text())
        fn = child_ours if args.child == "ours" else child_standard
        result = fn(args.db, meta)
        args.child_out.write_text(json.dumps(result))
        os._exit(0)  # skip Qt teardown of a million items; the numbers are written

    work = Path(tempfile.mkdtemp(prefix="rackwatch-bench-gui-"))
    db = args.db or work / f"gui-{args.preset}.db"
    meta_path = work / "meta.json"
    if args.db and args.db.with_suffix(".meta.json").exists():
        meta = json.loads(args.db.with_suffix(".meta.json").read_text())
    else:
        print(f"generating {args.preset} database in {db} …", flush=True)
        meta = generate(db, args.preset)
        db.with_suffix(".meta.json").write_text(json.dumps(meta))
        print(
            f"  inventory {meta['generate_inventory_s']} s, "
            f"samples {meta['generate_samples_s']} s, {meta['db_mb']} MB",
            flush=True,
        )
    meta_path.write_text(json.dumps(meta))
    print("running our window …", flush=True)
    ours = run_child("ours", db, meta_path, args.timeout)
    std: dict[str, Any] = {}
    if not args.no_standard:
        print("running the QStandardItemModel tree …", flush=True)
        std = run_child("standard", db, meta_path, args.timeout)
    for name, res in (("ours", ours), ("standard", std)):
        if "error" in res:
            print(f"{name} run failed:\n{res['error']}", file=sys.stderr)
    text = table(meta, ours, std)
    print()
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"gui-{args.preset}.md").write_text(text + "\n")
    payload = {"meta": meta, "ours": ours, "standard": std, "when": int(time.time())}
    existing: dict[str, Any] = {}
    target = OUT / "gui.json"
    if target.exists():
        try:
            existing = json.loads(target.read_text())
        except json.JSONDecodeError:
            existing = {}
    existing[args.preset] = payload
    target.write_text(json.dumps(existing, indent=2))
    if not args.keep and not args.db:
        for p in work.glob("gui-*.db*"):
            p.unlink()
    elif args.keep:
        print(f"database kept: {db}")
    return 0 if "error" not in ours else 1


if __name__ == "__main__":
    sys.exit(main())
