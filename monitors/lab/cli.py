"""`app.py lab`: run a lab, write preset inventories, backfill history, or steer a running lab."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from monitors.lab.scenarios import KINDS, ScenarioError, load_scenario

log = logging.getLogger(__name__)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", metavar="DIR", type=Path, help="where the lab writes its files")
    p.add_argument("--sites", type=int, default=2, help="sites (default 2)")
    p.add_argument("--racks", type=int, default=10, help="racks per site (default 10)")
    p.add_argument(
        "--servers", type=int, default=20, help="servers per rack on average (default 20)"
    )
    p.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    p.add_argument("--seed", type=int, default=1, help="seed of layout and physics (default 1)")
    p.add_argument("--scenario", type=Path, metavar="FILE", help="YAML file of timed incidents")
    p.add_argument(
        "--net",
        type=int,
        default=1,
        help="devices listen on 127.NET.x.y (default 1); two labs at once need different nets",
    )
    p.add_argument("--port-base", type=int, default=20_000, help="first port on each rack address")
    p.add_argument(
        "--inventory-only", action="store_true", help="only write DIR/inventory.yaml (--preset)"
    )
    p.add_argument("--preset", choices=("demo", "pilot-zone", "2m"), help="inventory preset")
    p.add_argument("--backfill", type=float, metavar="DAYS", help="write DAYS of history to --db")
    p.add_argument("--db", metavar="URL", help="database for --backfill")
    p.add_argument("--step", type=int, default=300, metavar="S", help="backfill step (300 s)")
    p.add_argument("--control", type=Path, metavar="DIR", help="steer the lab running with DIR")
    p.add_argument("--site", help="site code for inject cooling-failure")
    p.add_argument("--row", help="row for inject cooling-failure")
    p.add_argument("--device", help="device name for the other incidents")
    p.add_argument("--phase", type=int, default=1, help="phase for phase-overload (1-3)")
    p.add_argument(
        "action",
        nargs="*",
        metavar="ACTION",
        help=f"with --control: inject KIND ({', '.join(KINDS)}) | clear [KIND|ID|all] | status",
    )


def run(args: argparse.Namespace) -> int:
    try:
        if args.control is not None:
            return _control(args)
        if args.action:
            print("rackwatch lab: ACTION words need --control DIR", file=sys.stderr)
            return 2
        if args.backfill is not None:
            return _backfill(args)
        if args.out is None:
            print("rackwatch lab: --out DIR is required", file=sys.stderr)
            return 2
        if args.inventory_only:
            return _inventory_only(args)
        return _run_lab(args)
    except (ScenarioError, ValueError, OSError) as exc:
        print(f"rackwatch lab: {exc}", file=sys.stderr)
        return 1


def _inventory_only(args: argparse.Namespace) -> int:
    from monitors.lab import presets as lab_presets

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    path = out / "inventory.yaml"
    started = time.perf_counter()
    if args.preset:
        devices = lab_presets.write_preset(args.preset, path, seed=args.seed)
    else:
        spec = lab_presets.LabSpec(
            sites=args.sites,
            racks_per_site=args.racks,
            servers_total=args.sites * args.racks * args.servers,
            seed=args.seed,
        )
        devices = lab_presets.write_inventory(lab_presets.generate_lazy(spec), path)
    took = time.perf_counter() - started
    print(f"wrote {devices} devices to {path} in {took:.1f} s")
    return 0


def _run_lab(args: argparse.Namespace) -> int:
    from monitors.lab.runner import LabConfig, LabHandle

    steps = load_scenario(args.scenario) if args.scenario else []
    cfg = LabConfig(
        out_dir=args.out,
        sites=args.sites,
        racks=args.racks,
        servers=args.servers,
        seed=args.seed,
        net=args.net,
        port_base=args.port_base,
        steps=steps,
    )
    handle = LabHandle(cfg)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("lab: signal %d, stopping", signum)
        handle.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    topo = handle.topology
    print(
        f"lab: {len(topo.sites)} sites, {len(topo.racks())} racks, {len(topo.pdus())} PDUs, "
        f"{len(topo.probes())} probes, {len(topo.servers())} servers "
        f"({sum(s.management == 'ssh' for s in topo.servers())} over SSH, "
        f"{len(handle.redfish_servers)} over Redfish); "
        f"files in {args.out.resolve()}",
        flush=True,
    )
    print(
        f"next: app.py import {args.out / 'inventory.yaml'} && "
        f"app.py credentials import {args.out / 'credentials.yaml'}",
        flush=True,
    )
    handle.run_forever(args.duration)
    stats = handle.agent.stats
    print(f"lab stopped: {stats.requests} SNMP requests, {handle.ssh.execs} SSH commands")
    return 0


def _backfill(args: argparse.Namespace) -> int:
    from models.db import make_engine
    from models.paths import resolve_db_url
    from monitors.lab.backfill import BackfillStats, backfill

    engine = make_engine(resolve_db_url(args.db))

    def progress(st: BackfillStats, done: float) -> None:
        print(
            f"  {done * 100:5.1f} %  {st.rows:>12,} samples  {st.rows_per_s:>10,.0f} samples/s",
            flush=True,
        )

    st = backfill(engine, args.backfill, args.step, seed=args.seed, progress=progress)
    print(
        f"backfill: {st.devices} devices ({st.devices_skipped} without a simulation), "
        f"{st.series} new series, {st.rows:,} samples over {st.steps} steps "
        f"in {st.seconds:.1f} s = {st.rows_per_s:,.0f} samples/s"
    )
    return 0


def _control(args: argparse.Namespace) -> int:
    from monitors.lab.runner import send_control

    words: list[str] = list(args.action)
    if not words:
        words = ["status"]
    verb = words[0]
    if verb == "inject":
        if len(words) != 2:
            print(f"usage: inject KIND   (KIND: {', '.join(KINDS)})", file=sys.stderr)
            return 2
        req = {
            "action": "inject",
            "kind": words[1],
            "site": args.site,
            "row": args.row,
            "device": args.device,
            "phase": args.phase,
        }
    elif verb == "clear":
        target = words[1] if len(words) > 1 else "all"
        req = {"action": "clear"}
        if target.isdigit():
            req["id"] = target
        else:
            req["kind"] = target
    elif verb == "status":
        req = {"action": "status"}
    else:
        print(f"rackwatch lab: unknown action {verb!r} (inject, clear, status)", file=sys.stderr)
        return 2
    result = send_control(args.control, req)
    print(json.dumps(result, indent=1))
    return 0 if result.get("ok") else 1
