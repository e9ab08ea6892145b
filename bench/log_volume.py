"""Collector log volume with a device down, against the logging of an earlier revision.

Starts a lab on loopback and stops one PDU (the lab's pdu-down scenario). Then the collector of
this tree and that of a baseline revision (a temporary git worktree, default dab4dfe: the last
one that logged a warning per failed poll and a line per poll problem) each poll the same lab
for the same time into their own database; their log lines are counted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402
from sqlalchemy import text  # noqa: E402

from models.db import make_engine  # noqa: E402
from monitors.lab import LabHandle, start_lab  # noqa: E402

OUT = REPO / "bench" / "out"


def _app(tree: Path, env: dict[str, str], *args: str) -> None:
    res = subprocess.run(
        [sys.executable, str(tree / "app.py"), *args],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        raise SystemExit(f"{tree}: app.py {args[0]} failed: {res.stderr[-2000:]}")


def _without_redfish(node: Any) -> Any:
    """The inventory less its Redfish BMCs, which the baseline revision cannot import."""
    if isinstance(node, list):
        return [_without_redfish(x) for x in node if not _is_redfish(x)]
    if isinstance(node, dict):
        return {k: _without_redfish(v) for k, v in node.items() if not _is_redfish(v)}
    return node


def _is_redfish(node: Any) -> bool:
    return isinstance(node, dict) and "redfish" in (node.get("protocol"), node.get("kind"))


def _run(tree: Path, handle: LabHandle, work: Path, seconds: int, interval: int) -> dict[str, int]:
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "RACKWATCH_CREDENTIALS": "file",
        "XDG_CONFIG_HOME": str(work / "config"),
        "XDG_DATA_HOME": str(work / "data"),
        "XDG_STATE_HOME": str(work / "state"),
    }
    url = f"sqlite:///{work / 'rw.db'}"
    _app(tree, env, "db", "upgrade", "--db", url)
    inventory = work.parent / "inventory.yaml"
    _app(tree, env, "import", str(inventory), "--db", url)
    _app(tree, env, "credentials", "import", str(work.parent / "credentials.yaml"))
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE device SET poll_interval_s = :i"), {"i": interval})
    log_file = work / "collector.log"
    with log_file.open("w") as log:
        subprocess.run(
            [sys.executable, str(tree / "app.py"), "collect", "--db", url,
             "--known-hosts", str(handle.out_dir / "known_hosts"), "--duration", str(seconds)],
            env=env, cwd=tree, stdout=log, stderr=subprocess.STDOUT, check=False,
            timeout=seconds + 120,
        )  # fmt: skip
    with engine.connect() as conn:
        failed = conn.execute(
            text("SELECT coalesce(sum(polls_failed), 0) FROM collector_heartbeat")
        ).scalar_one()
        devices = conn.execute(text("SELECT count(*) FROM device")).scalar_one()
    engine.dispose()
    lines = log_file.read_text(errors="replace").splitlines()
    return {
        "devices": int(devices),
        "failed_polls": int(failed),
        "log_lines": len(lines),
        "warning_lines": sum(1 for ln in lines if " WARNING " in ln or " ERROR " in ln),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=int, default=120, help="how long each collector runs")
    ap.add_argument("--interval", type=int, default=2, help="poll interval of every device (s)")
    ap.add_argument("--racks", type=int, default=10)
    ap.add_argument("--baseline-rev", default="dab4dfe")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rw-logvol-"))
    base_tree = work / "baseline"
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", str(base_tree), args.baseline_rev],
        check=True,
        capture_output=True,
    )
    handle = start_lab(
        work / "lab",
        sites=1,
        racks=args.racks,
        servers=3,
        seed=5,
        net=random.randint(100, 250),
        port_base=random.randint(21_000, 60_000),
    )
    try:
        pdu = handle.topology.pdus()[0].name
        handle.inject("pdu-down", device=pdu)
        doc = yaml.safe_load((handle.out_dir / "inventory.yaml").read_text())
        (work / "inventory.yaml").write_text(yaml.safe_dump(_without_redfish(doc)))
        creds = yaml.safe_load((handle.out_dir / "credentials.yaml").read_text())
        (work / "credentials.yaml").write_text(yaml.safe_dump(_without_redfish(creds)))
        runs = {
            "baseline": _run(base_tree, handle, work / "b", args.seconds, args.interval),
            "now": _run(REPO, handle, work / "n", args.seconds, args.interval),
        }
    finally:
        handle.stop()
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "remove", "--force", str(base_tree)],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(work, ignore_errors=True)
    per5 = 300.0 / args.seconds
    print(f"one PDU down, {args.seconds} s per run, every device polled every {args.interval} s")
    print(f"{'run':<9} {'devices':>8} {'failed polls':>13} {'log lines':>10} {'warnings':>9} "
          f"{'lines/5 min':>12}")  # fmt: skip
    for name, r in runs.items():
        r["log_lines_per_5min"] = round(r["log_lines"] * per5)
        print(f"{name:<9} {r['devices']:>8} {r['failed_polls']:>13} {r['log_lines']:>10} "
              f"{r['warning_lines']:>9} {r['log_lines_per_5min']:>12}")  # fmt: skip
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "log_volume.json").write_text(json.dumps({"seconds": args.seconds, **runs}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
