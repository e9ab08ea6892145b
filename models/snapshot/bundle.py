"""The snapshot format in one place: the zip's members, the manifest, the writer and verify."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine

import resources
from models.snapshot.csvfmt import alarms_csv, inventory_bytes, write_samples_csv
from models.snapshot.data import (
    Cancelled,
    ExportCancelled,
    Progress,
    Scope,
    SnapshotData,
    gather,
    iso_utc,
)

FORMAT = "rackwatch-snapshot/2"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ReportInfo:
    """What the renderer is told besides the data: who, when, which build, the note."""

    exported_by: str
    exported_ts: int
    app_version: str
    sample_rows: int
    database: str
    note: str = ""


# Draws report.pdf and plots/*.png: {member name: bytes}. The Qt renderer lives in ui/.
Renderer = Callable[[Engine, SnapshotData, ReportInfo], dict[str, bytes]]


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


def write_snapshot(
    engine: Engine,
    scope: Scope,
    start: int,
    end: int,
    out_path: str | Path,
    render: Renderer,
    *,
    user: str | None = None,
    database: str = "",
    note: str = "",
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> ExportResult:
    """Gather scope over [start, end] and write the snapshot zip; render draws the report.

    A cancelled export raises ExportCancelled and leaves no file (it writes out.zip.part and
    renames it at the end).
    """
    started = time.perf_counter()
    out = Path(out_path)
    part = out.with_name(out.name + ".part")
    say = progress or (lambda _p, _m: None)
    stop = cancelled or (lambda: False)
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
        if stop():
            raise ExportCancelled("export cancelled")

    say(0, f"collecting {scope}")
    data = gather(engine, scope, start, end, progress=say, cancelled=stop)
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
                    engine, data, hf, progress=say, cancelled=stop, span=(12, 75)
                )
            files["data/samples.csv"] = {"sha256": hf.sha.hexdigest(), "bytes": hf.size}
            lap("samples")
            check()
            put("alarms.csv", alarms_csv(data))
            put("inventory.json", inventory_bytes(data))
            lap("files")
            say(78, "drawing the report")
            info = ReportInfo(who, now, app_version(), result.sample_rows, database, note)
            for name, payload in render(engine, data, info).items():
                put(name, payload)
            check()
            result.racks_plotted = len(data.affected_rack_ids)
            lap("report")
            manifest = {
                "format": FORMAT,
                "app": "RackWatch",
                "app_version": info.app_version,
                "created_utc": iso_utc(now),
                "exported_by": who,
                "note": note,
                "query": {
                    "scope": str(scope),
                    "start_utc": iso_utc(start),
                    "end_utc": iso_utc(end),
                    "site": data.site.code,
                    "site_tz": data.site.tz,
                    "database": database,
                },
                "csv": {"encoding": "utf-8-sig", "delimiter": ",", "time": "ISO 8601, UTC, +00:00"},
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


# -- manifest and verification ---------------------------------------------------------------


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    problem: str | None = None

    def lines(self) -> list[str]:
        out = [f"changed: {n}" for n in self.changed]
        out += [f"missing: {n}" for n in self.missing]
        out += [f"not in manifest: {n}" for n in self.extra]
        if self.problem:
            out.append(self.problem)
        return out


def verify_snapshot(path: str | Path) -> VerifyResult:
    """Check every file of a snapshot zip against the SHA-256 in its manifest."""
    p = Path(path)
    try:
        zf = zipfile.ZipFile(p)
    except (OSError, zipfile.BadZipFile) as exc:
        return VerifyResult(False, 0, problem=f"{p}: not a readable zip ({exc})")
    with zf:
        names = set(zf.namelist())
        if MANIFEST not in names:
            return VerifyResult(False, 0, problem=f"{p}: no {MANIFEST}")
        try:
            manifest = json.loads(zf.read(MANIFEST))
            files: dict[str, Any] = manifest["files"]
        except (ValueError, KeyError, TypeError) as exc:
            return VerifyResult(False, 0, problem=f"{p}: {MANIFEST} unreadable ({exc})")
        res = VerifyResult(True, 0)
        for name, meta in sorted(files.items()):
            if name not in names:
                res.missing.append(name)
                continue
            h = hashlib.sha256()
            try:
                with zf.open(name) as f:
                    for chunk in iter(lambda f=f: f.read(1 << 20), b""):  # type: ignore[misc]
                        h.update(chunk)
            except (zipfile.BadZipFile, OSError):
                # A flipped byte inside deflated data can break the stream (bad CRC).
                res.changed.append(name)
                continue
            res.checked += 1
            if h.hexdigest() != meta.get("sha256"):
                res.changed.append(name)
        res.extra = sorted(n for n in names - set(files) - {MANIFEST} if not n.endswith("/"))
        res.ok = not (res.changed or res.missing or res.extra)
        return res
