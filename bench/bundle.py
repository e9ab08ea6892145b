"""Desktop bundle: size on disk and start-up time to first paint, bundle against the venv."""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIRST = re.compile(r"first paint ([0-9.]+) s after process start")


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def first_paint(cmd: list[str], db: str, shot: Path, home: Path) -> float:
    # A clean environment, as on a machine that never saw the venv.
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
        "RACKWATCH_REPORT_FIRST_PAINT": "1",
    }
    out = subprocess.run(
        [*cmd, "gui", "--db", db, "--screenshot", str(shot)],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=300,
    )
    m = FIRST.search(out.stderr)
    if out.returncode != 0 or m is None:
        raise SystemExit(f"{cmd[0]} failed: {out.stderr[-2000:]}")
    return float(m.group(1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bundle", type=Path, default=REPO / "dist" / "rackwatch")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    binary = args.bundle / "rackwatch"
    if not binary.exists():
        print(f"no bundle at {binary}; run ./dev bundle first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="rackwatch-bench-bundle-") as tmp:
        home = Path(tmp)
        archive = home / "rackwatch.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(args.bundle, arcname="rackwatch")
        db = f"sqlite:///{home / 'rackwatch.db'}"
        contenders = {
            "bundle": [str(binary)],
            "venv": [sys.executable, str(REPO / "app.py")],
        }
        # The first start creates the schema (first run); the timed ones open the empty state.
        t0 = time.monotonic()
        first_paint(contenders["bundle"], db, home / "first.png", home)
        first_run_s = time.monotonic() - t0
        times: dict[str, list[float]] = {k: [] for k in contenders}
        for _ in range(args.runs):
            for name, cmd in contenders.items():  # alternating, so load hits both alike
                times[name].append(first_paint(cmd, db, home / f"{name}.png", home))
        medians = {k: round(statistics.median(v), 2) for k, v in times.items()}
        result = {
            "bundle_mib": round(folder_bytes(args.bundle) / 2**20, 1),
            "archive_mib": round(archive.stat().st_size / 2**20, 1),
            "first_run_wall_s": round(first_run_s, 2),
            "first_paint_median_s": medians,
            "first_paint_runs_s": times,
            "load_average": os.getloadavg()[0],
        }
    print("| what | value |\n|---|---:|")
    print(f"| bundle folder | {result['bundle_mib']} MiB |")
    print(f"| bundle as .tar.gz | {result['archive_mib']} MiB |")
    print(f"| first run (schema + empty state + screenshot), wall | {first_run_s:.2f} s |")
    for k, v in medians.items():
        print(f"| first paint, {k} (median of {args.runs}) | {v} s |")
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bundle.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
