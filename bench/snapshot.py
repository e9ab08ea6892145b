"""Benchmark: incident snapshot of one site over 24 h, and one alarm-engine tick at scale."""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from sqlalchemy import Engine, insert, text

from models import schema as s
from models.alarms.lifecycle import AlarmChange, acknowledge_alarm, apply_changes
from models.db import make_engine, upgrade
from models.snapshot.data import parse_scope
from models.store.samples import SampleWriter
from models.store.series import SeriesRegistry

END = 1_790_035_200  # 2026-09-22T00:00:00Z
OUT = Path(__file__).resolve().parent / "out"


def _bulk(engine: Engine, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    ids: list[int] = []
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            ids.extend(
                conn.execute(insert(table).returning(table.id), rows[i : i + 5000]).scalars()
            )
    return ids


def build_site(
    engine: Engine, racks: int, servers: int, *, code: str = "BJ1"
) -> tuple[list[int], list[tuple[int, str, str]], int]:
    """Racks with 2 PDUs, a probe and servers; returns series ids, their kinds, a hot rack."""
    with engine.begin() as conn:
        site = conn.execute(
            insert(s.Site)
            .values(code=code, name="Beijing Yizhuang 1", tz="Asia/Shanghai")
            .returning(s.Site.id)
        ).scalar_one()
    per_row = 20
    rack_ids = _bulk(
        engine,
        s.Rack,
        [
            dict(
                site_id=site,
                name=f"{code}-{chr(65 + r // per_row)}{r % per_row + 1:02d}",
                row=chr(65 + r // per_row),
                position=r % per_row + 1,
                rated_power_w=10000.0,
            )
            for r in range(racks)
        ],
    )
    with engine.begin() as conn:
        conn.execute(
            insert(s.RackFeed),
            [
                dict(rack_id=r, feed=f, breaker_a=32.0, phases=3, voltage_v=230.0)
                for r in rack_ids
                for f in ("A", "B")
            ],
        )
    devices: list[dict[str, Any]] = []
    for r, rid in enumerate(rack_ids):
        name = f"{code}-R{r:03d}"
        for f in ("A", "B"):
            devices.append(
                dict(
                    site_id=site,
                    rack_id=rid,
                    name=f"{name}-PDU{f}",
                    kind="pdu",
                    feed=f,
                    model="Raritan PX3",
                    address=f"10.{r}.0.{f}",
                )
            )
        devices.append(
            dict(
                site_id=site,
                rack_id=rid,
                name=f"{name}-ENV",
                kind="sensor",
                u_position=42,
                model="APC AP9335TH",
                address=f"10.{r}.0.9",
            )
        )
        for n in range(servers):
            devices.append(
                dict(
                    site_id=site,
                    rack_id=rid,
                    name=f"{name}-SRV{n:02d}",
                    kind="server",
                    u_position=2 + 2 * n,
                    u_height=2,
                    model="Dell PowerEdge R750",
                    address=f"10.{r}.1.{n}",
                )
            )
    for d in devices:  # executemany needs the same keys in every row
        d.setdefault("feed", None)
        d.setdefault("u_position", None)
        d.setdefault("u_height", 1)
        d.setdefault("poll_interval_s", 60)
    dev_ids = _bulk(engine, s.Device, devices)
    series: list[dict[str, Any]] = []
    kinds: list[tuple[int, str, str]] = []
    for did, d in zip(dev_ids, devices, strict=True):
        spec: Sequence[tuple[str, str, str | None, str]]
        if d["kind"] == "pdu":
            spec = (
                [("power_w", "total", None, "W")]
                + [("current_a", f"L{i}", None, "A") for i in (1, 2, 3)]
                + [("power_w", f"outlet {o}", None, "W") for o in range(1, 9)]
            )
        elif d["kind"] == "sensor":
            spec = [
                ("temperature_c", "probe 1", "inlet", "°C"),
                ("humidity_pct", "probe 1", None, "%RH"),
            ]
        else:
            spec = [
                ("temperature_c", "Inlet Temp", "inlet", "°C"),
                ("temperature_c", "CPU1", "cpu", "°C"),
                ("power_w", "", None, "W"),
            ]
        for metric, ch, role, unit in spec:
            series.append(dict(device_id=did, metric=metric, channel=ch, role=role, unit=unit))
            kinds.append((did, metric, ch))
    sids = _bulk(engine, s.Series, series)
    # What a collector does on start: decide what each series means (models.series_meaning).
    SeriesRegistry(engine).preload(dev_ids)
    return sids, kinds, rack_ids[racks // 2]


def backfill(
    engine: Engine,
    sids: list[int],
    kinds: list[tuple[int, str, str]],
    hot_devices: set[int],
    start: int,
    end: int,
    step: int,
) -> int:
    """Samples for every series, vectorised per time step; the hot rack heats up at the end."""
    rng = np.random.default_rng(7)
    n = len(sids)
    base = np.zeros(n)
    amp = np.zeros(n)
    for i, (_did, metric, ch) in enumerate(kinds):
        if metric == "temperature_c":
            base[i], amp[i] = (23.0, 1.0) if "CPU" not in ch else (55.0, 6.0)
        elif metric == "humidity_pct":
            base[i], amp[i] = 42.0, 3.0
        elif metric == "current_a":
            base[i], amp[i] = 7.0, 1.0
        elif ch == "total":
            base[i], amp[i] = 3800.0, 300.0
        elif ch.startswith("outlet"):
            base[i], amp[i] = 450.0, 40.0
        else:
            base[i], amp[i] = 380.0, 60.0
    hot = np.array([d in hot_devices and m == "temperature_c" for d, m, _ in kinds])
    ids = np.asarray(sids, dtype=np.int64)
    writer = SampleWriter(engine)
    rows = 0
    batch: list[tuple[int, int, float]] = []
    heat_start = end - 3 * 3600
    for ts in range(start, end + 1, step):
        v = base + amp * math.sin(2 * math.pi * ts / 86400) + rng.normal(0, 0.02, n) * amp
        if ts > heat_start:
            v = np.where(hot, v + min(12.0, (ts - heat_start) / 600.0), v)
        batch.extend(zip(ids.tolist(), [ts] * n, v.round(3).tolist(), strict=True))
        if len(batch) >= 200_000:
            writer.write(batch)
            rows += len(batch)
            batch = []
    if batch:
        writer.write(batch)
        rows += len(batch)
    writer.flush()
    return rows


def incident_alarms(engine: Engine, hot_rack: int, end: int) -> None:
    with engine.connect() as conn:
        name, site = conn.execute(
            text("SELECT name, site_id FROM rack WHERE id = :r"), {"r": hot_rack}
        ).one()
    key = f"temperature:rack:{hot_rack}"
    apply_changes(
        engine,
        [
            AlarmChange(
                key,
                "temperature",
                "warning",
                f"{name}: inlet 27.4 °C above warning 27 °C",
                site,
                hot_rack,
                value=27.4,
                threshold=27.0,
            )
        ],
        end - 2 * 3600,
    )
    out = apply_changes(
        engine,
        [
            AlarmChange(
                key,
                "temperature",
                "critical",
                f"{name}: inlet 32.3 °C above critical 32 °C",
                site,
                hot_rack,
                value=32.3,
                threshold=32.0,
            )
        ],
        end - 3600,
    )
    alarm = out[key]
    assert alarm is not None
    acknowledge_alarm(engine, alarm.id, "duty.operator", "CRAC unit 4 fan failure", now=end - 3000)


def bench_snapshot(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from ui.snapshot_export import ensure_gui_app, export_snapshot

    db = workdir / "site.db"
    url = f"sqlite:///{db}"
    start = END - 86400
    built = 0.0
    if args.rebuild or not db.exists():
        db.unlink(missing_ok=True)
        upgrade(url)
        engine = make_engine(url)
        t = time.perf_counter()
        sids, kinds, hot = build_site(engine, args.racks, args.servers)
        with engine.connect() as conn:
            hot_devs = {
                int(r[0])
                for r in conn.execute(text("SELECT id FROM device WHERE rack_id = :r"), {"r": hot})
            }
        rows = backfill(engine, sids, kinds, hot_devs, start, END, args.interval)
        incident_alarms(engine, hot, END)
        built = time.perf_counter() - t
        print(f"built {db}: {len(sids):,} series, {rows:,} samples in {built:.0f} s")
    else:
        engine = make_engine(url)
    ensure_gui_app()
    with engine.connect() as conn:
        n_series, n_racks = conn.execute(
            text("SELECT (SELECT count(*) FROM series), (SELECT count(*) FROM rack)")
        ).one()
    out = workdir / "site-24h.zip"
    t = time.perf_counter()
    res = export_snapshot(engine, parse_scope("site:BJ1"), start, END, out, user="bench")
    seconds = time.perf_counter() - t
    engine.dispose()
    return {
        "racks": int(n_racks),
        "series": int(n_series),
        "window_h": 24,
        "interval_s": args.interval,
        "samples_exported": res.sample_rows,
        "zip_mb": round(out.stat().st_size / 1e6, 1),
        "export_s": round(seconds, 2),
        "target_s": 5,
        "steps_s": res.timings,
        "build_s": round(built, 1),
    }


def bench_engine(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """One 30 s tick of ~600k samples through the alarm engine, in collector-sized batches."""
    from monitors.alarms.engine import AlarmEngine
    from monitors.collection.readings import PollResult

    db = workdir / "engine.db"
    db.unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    upgrade(url)
    engine = make_engine(url)
    racks = args.engine_racks
    sids, kinds, _ = build_site(engine, racks, 20, code="EN1")
    dev_of = np.array([k[0] for k in kinds], dtype=np.int64)
    ids = np.asarray(sids, dtype=np.int64)
    typical = {"temperature_c": 23.0, "current_a": 5.0, "humidity_pct": 45.0}
    base = np.array([typical.get(m, 300.0) for _, m, _ in kinds])
    alarms = AlarmEngine(engine)
    t = time.perf_counter()
    alarms.start(END)
    start_s = time.perf_counter() - t
    rng = np.random.default_rng(3)
    batches = 60
    order = rng.permutation(len(ids))
    ticks = []
    for tick in range(3):
        ts = END + 30 * tick
        vals = base + rng.normal(0, 0.3, len(ids))
        t = time.perf_counter()
        for chunk in np.array_split(order, batches):
            rows = list(
                zip(ids[chunk].tolist(), [ts] * len(chunk), vals[chunk].tolist(), strict=True)
            )
            devs = np.unique(dev_of[chunk]).tolist()
            results = [PollResult(int(d), ts, True) for d in devs]
            alarms.process(results, rows, now=ts)
        ticks.append(round(time.perf_counter() - t, 3))
    engine.dispose()
    db.unlink(missing_ok=True)
    return {
        "series": len(ids),
        "samples_per_tick": len(ids),
        "batches_per_tick": batches,
        "start_s": round(start_s, 2),
        "tick_s": ticks,
        "tick_budget_s": 30,
        "samples_per_s": int(len(ids) / min(ticks)),
        # Whole process (database build included); the engine's arrays and series
        # metadata are most of what stays.
        "peak_rss_mb": int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


class _FastClock:
    """The lab's clock, running `speed` times faster than the wall clock once started."""

    def __init__(self, speed: float) -> None:
        import threading

        self.speed = speed
        self.offset = 0.0
        self.base: float | None = None
        self._lock = threading.Lock()

    def __call__(self) -> float:
        now = time.time()
        with self._lock:
            if self.base is None:
                return now + self.offset
            return self.base + (now - self.base) * self.speed

    def start(self) -> None:
        with self._lock:
            self.base = time.time()


def bench_lab_incident(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """A cooling failure on one 10-rack row of the lab, collected, exported with a note."""
    import random
    import shutil
    import subprocess
    import zipfile

    from models.alarms.lifecycle import acknowledge_alarm
    from models.snapshot.data import iso_utc
    from monitors.lab import start_lab

    root = workdir / "lab-incident"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    env = {
        **os.environ,
        "RACKWATCH_CREDENTIALS": "file",
        "XDG_CONFIG_HOME": str(root / "config"),
        "XDG_DATA_HOME": str(root / "data"),
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    app = [sys.executable, str(Path(__file__).resolve().parents[1] / "app.py")]
    url = f"sqlite:///{root / 'lab.db'}"
    clock = _FastClock(6.0)
    handle = start_lab(
        root / "lab", sites=1, racks=10, servers=3, seed=7,
        net=random.randint(100, 250), port_base=random.randint(21_000, 60_000), clock=clock,
    )  # fmt: skip
    note = (
        "Root cause: CRAC-2 compressor tripped on high head pressure at the start of the window; "
        "row R01 cold aisle lost cooling. Vendor reset the unit; inlets back under 27 °C."
    )
    try:
        for cmd in (
            ["import", str(handle.out_dir / "inventory.yaml"), "--db", url],
            ["credentials", "import", str(handle.out_dir / "credentials.yaml")],
        ):
            subprocess.run([*app, *cmd], env=env, check=True, capture_output=True)
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE device SET poll_interval_s = 2"))
        collector = subprocess.Popen(
            [*app, "collect", "--db", url, "--known-hosts", str(handle.out_dir / "known_hosts"),
             "--duration", "400"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        start = int(time.time())
        try:
            time.sleep(60)  # quiet polls first
            site, row = sorted(handle.topology.rows())[0]
            clock.start()
            handle.inject("cooling-failure", site=site, row=row)
            deadline = time.monotonic() + 240
            acked = False
            while time.monotonic() < deadline:
                time.sleep(3)
                with engine.connect() as conn:
                    crit = conn.execute(
                        text(
                            "SELECT id, rack_id FROM alarm WHERE severity = 'critical' "
                            "AND rule = 'temperature' ORDER BY raised_ts"
                        )
                    ).all()
                if crit and not acked:
                    acknowledge_alarm(
                        engine, int(crit[0][0]), "shift.lead", "CRAC-2 tripped, vendor called"
                    )
                    acked = True
                if len({r[1] for r in crit}) >= 8:
                    break
            time.sleep(60)
        finally:
            collector.terminate()
            collector.wait(60)
        end = int(time.time())
        engine.dispose()
    finally:
        handle.stop()
    out = root / "incident.zip"
    t = time.perf_counter()
    subprocess.run(
        [*app, "export", "--db", url, "--scope", f"row:{site}/{row}", "--start", iso_utc(start),
         "--end", iso_utc(end), "-o", str(out), "--user", "shift.lead", "--note", note],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    export_s = time.perf_counter() - t
    with zipfile.ZipFile(out) as zf:
        pdf = zf.read("report.pdf")
    pdf_path = root / "report.pdf"
    pdf_path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(pdf_path)], capture_output=True, text=True).stdout
    pages = int(next(ln.split()[-1] for ln in info.splitlines() if ln.startswith("Pages:")))

    def page_text(first: int, last: int) -> str:
        return " ".join(
            subprocess.run(
                ["pdftotext", "-f", str(first), "-l", str(last), str(pdf_path), "-"],
                capture_output=True, text=True, check=True,
            ).stdout.split()
        )  # fmt: skip

    summary_pages = (
        next((p for p in range(1, pages + 1) if "Appendix" in page_text(p, p)), pages + 1) - 1
    )
    if args.sample:
        Path(args.sample).write_bytes(pdf)
    return {
        "scope": f"row:{site}/{row}",
        "window_s": end - start,
        "pages": pages,
        "summary_pages": summary_pages,
        "note_on_page_1": note[:40] in page_text(1, 1),
        "pdf_kb": len(pdf) // 1024,
        "export_s": round(export_s, 2),
        "zip": str(out),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--racks", type=int, default=200)
    ap.add_argument("--servers", type=int, default=10, help="servers per rack")
    ap.add_argument("--interval", type=int, default=60, help="backfill interval, seconds")
    ap.add_argument(
        "--engine-racks", type=int, default=7000, help="racks for the engine tick (86 series each)"
    )
    ap.add_argument("--part", choices=("snapshot", "engine", "lab-incident", "all"), default="all")
    ap.add_argument("--sample", help="lab-incident: also write its report.pdf here")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the cached site database")
    ap.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "rackwatch-bench"))
    args = ap.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {}
    if args.part in ("snapshot", "all"):
        result["snapshot"] = bench_snapshot(args, workdir)
    if args.part in ("engine", "all"):
        result["alarm_engine"] = bench_engine(args, workdir)
    if args.part in ("lab-incident", "all"):
        result["lab_incident"] = bench_lab_incident(args, workdir)
    print()
    print(f"{'measure':44} {'value':>14}")
    for part, values in result.items():
        for k, v in values.items():
            print(f"{part + '.' + k:44} {v!s:>14}")
    OUT.mkdir(exist_ok=True)
    path = OUT / "snapshot.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    old.update(result)
    path.write_text(json.dumps(old, indent=2) + "\n")
    print(f"\nwritten {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
