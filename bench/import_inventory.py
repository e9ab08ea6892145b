"""Inventory import benchmark: generate a preset, then validate and import it into a fresh
SQLite database in a child process whose wall time and peak RSS are measured."""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TARGET_S = 30.0
TARGET_RSS_MB = 1024.0


def _rss_mb() -> float:
    # ru_maxrss is in KiB on Linux: the peak of this process so far.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def worker(path: Path, url: str) -> dict[str, Any]:
    """Runs in the child: one fresh import, then a re-import of the same file."""
    import yaml

    from models.db import make_engine, upgrade
    from models.inventory.apply import apply_plan, import_plan
    from models.inventory.importer import InventoryError, import_inventory, parse_inventory

    out: dict[str, Any] = {"libyaml": bool(yaml.__with_libyaml__), "rss_start_mb": _rss_mb()}
    t = time.perf_counter()
    upgrade(url)
    engine = make_engine(url)
    out["schema_s"] = time.perf_counter() - t

    t0 = time.perf_counter()
    inv, problems = parse_inventory(path)
    t1 = time.perf_counter()
    if problems:
        raise InventoryError(problems)
    with engine.begin() as conn:
        plan = import_plan(conn, inv, prune=False, dry_run=False)
        if plan.problems:
            raise InventoryError(plan.problems)
        t2 = time.perf_counter()
        apply_plan(conn, plan)
    t3 = time.perf_counter()
    out.update(
        parse_validate_s=t1 - t0,
        plan_s=t2 - t1,
        write_s=t3 - t2,
        import_total_s=t3 - t0,
        import_peak_rss_mb=_rss_mb(),
        sites=len(inv.sites),
        racks=len(inv.racks),
        devices=len(inv.devices),
        servers=sum(1 for d in inv.devices if d.kind == "server"),
        created=plan.report.total.created,
    )
    del inv, plan

    t0 = time.perf_counter()
    report = import_inventory(engine, path)
    out.update(
        reimport_s=time.perf_counter() - t0,
        reimport_summary=str(report.total),
        peak_rss_mb=_rss_mb(),
    )
    engine.dispose()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="pilot-zone")
    parser.add_argument(
        "--out", type=Path, default=REPO / "bench" / "out" / "import_inventory.json"
    )
    parser.add_argument("--workdir", type=Path, help="keep the inventory and database here")
    parser.add_argument("--worker", nargs=2, metavar=("FILE", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(Path(args.worker[0]), args.worker[1])))
        return 0

    from monitors.lab.presets import write_preset

    tmp = None
    if args.workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="rackwatch-bench-")
        workdir = Path(tmp.name)
    else:
        workdir = args.workdir
        workdir.mkdir(parents=True, exist_ok=True)
    inventory = workdir / f"{args.preset}.yaml"
    database = workdir / "import.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)

    t = time.perf_counter()
    devices = write_preset(args.preset, inventory)
    generate_s = time.perf_counter() - t
    size_mb = inventory.stat().st_size / 1e6

    # A child process so that its peak RSS is the import's alone, not the generator's.
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", str(inventory), f"sqlite:///{database}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return 1
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    result.update(
        preset=args.preset,
        generate_s=generate_s,
        file_mb=size_mb,
        devices_written=devices,
        child_maxrss_mb=child_rss,
        machine=f"{platform.machine()} Python {platform.python_version()}",
        target_s=TARGET_S,
        target_rss_mb=TARGET_RSS_MB,
        meets_target=result["import_total_s"] <= TARGET_S and child_rss <= TARGET_RSS_MB,
    )

    rows = [
        (
            "inventory",
            f"{result['sites']} sites, {result['racks']:,} racks, "
            f"{result['servers']:,} servers, {result['devices']:,} devices",
        ),
        ("file", f"{size_mb:.1f} MB YAML, generated in {generate_s:.1f} s"),
        ("parse + validate", f"{result['parse_validate_s']:.2f} s (libyaml {result['libyaml']})"),
        ("plan (diff vs DB)", f"{result['plan_s']:.2f} s"),
        ("write (bulk insert)", f"{result['write_s']:.2f} s"),
        ("validate + import", f"{result['import_total_s']:.2f} s  (target <= {TARGET_S:.0f} s)"),
        ("peak RSS", f"{child_rss:.0f} MB  (target <= {TARGET_RSS_MB:.0f} MB)"),
        ("re-import (no change)", f"{result['reimport_s']:.2f} s: {result['reimport_summary']}"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"inventory import benchmark, preset {args.preset}")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    print("  " + ("meets" if result["meets_target"] else "MISSES") + " the 30 s / 1 GB target")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"  wrote {args.out}")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
