"""Exports an incident snapshot zip (report, plots, CSV data, inventory, manifest); thread-safe."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QApplication
from sqlalchemy import Engine

import resources
from models.snapshot.data import (
    FORMAT,
    MANIFEST,
    ExportCancelled,
    Scope,
    SnapshotData,
    alarms_csv,
    gather,
    inventory_json,
    iso_utc,
    rack_plot_series,
    write_samples_csv,
)
from ui.snapshot_report import (
    SEVERITY_COLOUR,
    ReportInfo,
    Span,
    Threshold,
    png_bytes,
    render_elevation,
    render_pdf,
    render_plot,
)

Progress = Callable[[int, str], None]
CancelFlag = threading.Event | Callable[[], bool]


@dataclass
class ExportResult:
    path: Path
    files: dict[str, str] = field(default_factory=dict)  # name -> sha256
    sample_rows: int = 0
    alarms: int = 0
    racks_plotted: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


def app_version() -> str:
    try:
        from importlib.metadata import version

        return version("rackwatch")
    except Exception:
        pass
    pyproject = resources.ROOT.parent / "pyproject.toml"
    try:
        import tomllib

        return str(tomllib.loads(pyproject.read_text())["project"]["version"])
    except Exception:
        return "unknown"


def ensure_gui_app() -> QGuiApplication:
    """A QGuiApplication for painting; offscreen when there is no display (headless export)."""
    app = QGuiApplication.instance()
    if app is None:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        # A QApplication, not a bare QGuiApplication: widgets created later in the same
        # process (the GUI, pytest-qt) abort the process under a QGuiApplication.
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QGuiApplication)
    return app


class _HashingFile:
    """Write-through wrapper that hashes what goes into one zip member."""

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner = inner
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, b: bytes) -> int:
        self.sha.update(b)
        self.size += len(b)
        return self.inner.write(b)


def export_snapshot(
    engine: Engine,
    scope: Scope,
    start: int,
    end: int,
    out_path: str | Path,
    *,
    user: str | None = None,
    database: str = "",
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> ExportResult:
    """Write the snapshot zip of scope over [start, end] (UTC epoch s) to out_path.

    progress(percent, message) is called from the calling thread; cancel (an Event or a
    callable) is checked between steps and every few dozen series, and a cancelled export
    raises ExportCancelled and leaves no file behind. Safe to run in a worker thread once a
    QGuiApplication exists (call ensure_gui_app() on the main thread first).
    """
    started = time.perf_counter()
    out = Path(out_path)
    part = out.with_name(out.name + ".part")
    say = progress or (lambda _p, _m: None)
    if cancel is None:
        cancelled: Callable[[], bool] = lambda: False  # noqa: E731
    elif isinstance(cancel, threading.Event):
        cancelled = cancel.is_set
    else:
        cancelled = cancel
    who = user or f"{getpass.getuser()}@{socket.gethostname()}"
    now = int(time.time())
    timings: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal mark
        t = time.perf_counter()
        timings[name] = round(t - mark, 3)
        mark = t

    def check() -> None:
        if cancelled():
            raise ExportCancelled("export cancelled")

    say(0, f"collecting {scope}")
    data = gather(engine, scope, start, end, progress=say, cancelled=cancelled)
    lap("gather")
    result = ExportResult(out, alarms=len(data.alarms))
    files: dict[str, dict[str, Any]] = {}
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:

            def put(name: str, payload: bytes) -> None:
                zf.writestr(name, payload)
                files[name] = {"sha256": hashlib.sha256(payload).hexdigest(), "bytes": len(payload)}

            check()
            say(12, "writing samples")
            with zf.open("data/samples.csv", "w", force_zip64=True) as raw:
                hf = _HashingFile(raw)
                result.sample_rows = write_samples_csv(
                    engine, data, hf, progress=say, cancelled=cancelled, span=(12, 75)
                )
            files["data/samples.csv"] = {"sha256": hf.sha.hexdigest(), "bytes": hf.size}
            lap("samples")
            check()
            put("alarms.csv", alarms_csv(data))
            put(
                "inventory.json",
                json.dumps(inventory_json(data), indent=1, ensure_ascii=False).encode("utf-8"),
            )
            say(78, "drawing plots")
            images = _images(engine, data, cancelled, say)
            result.racks_plotted = len(data.affected_rack_ids)
            for name, img in images.items():
                put(name, png_bytes(img))
            lap("plots")
            check()
            say(90, "laying out report.pdf")
            info = ReportInfo(who, now, app_version(), result.sample_rows, database)
            put("report.pdf", render_pdf(data, info, images))
            lap("pdf")
            manifest = {
                "format": FORMAT,
                "app": "RackWatch",
                "app_version": info.app_version,
                "created_utc": iso_utc(now),
                "exported_by": who,
                "query": {
                    "scope": str(scope),
                    "start_utc": iso_utc(start),
                    "end_utc": iso_utc(end),
                    "site": data.site.code,
                    "site_tz": data.site.tz,
                    "database": database,
                },
                "counts": {
                    "racks": len(data.racks),
                    "devices": len(data.devices),
                    "series": len(data.series),
                    "samples": result.sample_rows,
                    "alarms": len(data.alarms),
                },
                "files": files,
            }
            zf.writestr(MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False))
        os.replace(part, out)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    result.files = {k: v["sha256"] for k, v in files.items()}
    result.seconds = time.perf_counter() - started
    result.timings = timings
    say(100, f"written {out}")
    return result


def merged_spans(spans: list[tuple[int, int, str]]) -> list[Span]:
    """One shaded band per stretch of time and severity (thirty overlapping alarms would
    otherwise stack thirty translucent layers); critical is drawn over warning."""
    out: list[Span] = []
    for sev in ("warning", "critical"):
        cur: list[int] | None = None
        for a, b, _ in sorted(x for x in spans if x[2] == sev):
            if cur is not None and a <= cur[1]:
                cur[1] = max(cur[1], b)
                continue
            if cur is not None:
                out.append(Span(cur[0], cur[1], SEVERITY_COLOUR[sev]))
            cur = [a, b]
        if cur is not None:
            out.append(Span(cur[0], cur[1], SEVERITY_COLOUR[sev]))
    return out


def _images(
    engine: Engine, data: SnapshotData, cancelled: Callable[[], bool], say: Progress
) -> dict[str, QImage]:
    images: dict[str, QImage] = {}
    tz = data.site.tz
    devs = {d.id: d for d in data.devices}
    n = max(1, len(data.affected_rack_ids))
    for i, rid in enumerate(data.affected_rack_ids):
        if cancelled():
            raise ExportCancelled("export cancelled")
        rack = data.rack(rid)
        if rack is None:
            continue
        mine = {d.id for d in data.devices if d.rack_id == rid}
        spans = merged_spans(
            [
                (a.raised_ts, a.cleared_ts or data.end, a.severity)
                for a in data.alarms
                if a.rack_id == rid or (a.device_id in mine)
            ]
        )
        temps = rack_plot_series(engine, data, rid, "temperature")
        images[f"plots/{rack.name}-temperature.png"] = render_plot(
            temps,
            title=f"{rack.name}: inlet temperature",
            unit="°C",
            start=data.start,
            end=data.end,
            tz=tz,
            thresholds=[
                Threshold(27.0, "warning 27 °C (ASHRAE recommended)", "#ef6c00"),
                Threshold(32.0, "critical 32 °C (ASHRAE A1 allowable)", "#c62828"),
            ],
            spans=spans,
        )
        power = rack_plot_series(engine, data, rid, "power")
        th = []
        if rack.rated_power_w:
            # Each plotted line is one PDU (one feed), so show the rack's limits as is.
            th = [
                Threshold(rack.rated_power_w * 0.8 / 1000, "80 % of rated", "#ef6c00"),
                Threshold(rack.rated_power_w * 0.9 / 1000, "90 % of rated", "#c62828"),
            ]
        images[f"plots/{rack.name}-power.png"] = render_plot(
            power,
            title=f"{rack.name}: power per feed"
            + (f" (rack rated {rack.rated_power_w / 1000:g} kW)" if rack.rated_power_w else ""),
            unit="kW",
            start=data.start,
            end=data.end,
            tz=tz,
            thresholds=th,
            spans=spans,
            scale=0.001,
        )
        alarmed = {a.device_id for a in data.alarms if a.device_id is not None}
        images[f"plots/{rack.name}-elevation.png"] = render_elevation(
            rack,
            [devs[d] for d in devs if devs[d].rack_id == rid],
            data.device_inlet_max,
            {d for d in alarmed if d in mine},
        )
        say(78 + 12 * (i + 1) // n, f"plots: {rack.name}")
    return images
