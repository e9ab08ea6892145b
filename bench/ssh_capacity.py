"""How many SSH servers one collector core keeps at 100 % of a 10 s schedule, asyncssh vs paramiko.

    .venv/bin/python bench/ssh_capacity.py [--devices 250 500 1000 2000] [--seconds 40]

The whole collector (scheduler, SshDriver, writer with rollups into SQLite, alarm engine) runs
in a child process pinned to one CPU; OpenSSH sshd instances on loopback, pinned to the other
CPU, serve the Dell-like host's recorded poll output through a forced command (`cat`), so the
server side costs a fork and a read rather than the fake tools' shell scripts. Each device is
its own host:port (16 loopback addresses per sshd), so every device holds its own connection.
The baseline is the last paramiko client (`git show abb638e:monitors/ssh/client.py`, the
revision before asyncssh), measured in the same run against the same daemons.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from models.db import make_engine, upgrade  # noqa: E402
from models.schema import Device, Rack, Site  # noqa: E402
from monitors.collection.collector import Collector, CollectorOptions  # noqa: E402
from monitors.collection.drivers import SshDriver  # noqa: E402
from monitors.collection.targets import SshCredential  # noqa: E402
from monitors.lab.daemons.ssh import TEST_USER, Sshd, ensure_test_user, sshd_binary  # noqa: E402
from monitors.lab.faults import Recording  # noqa: E402
from monitors.ssh.client import SshSession  # noqa: E402

OUT = REPO / "bench" / "out" / "ssh_capacity.json"
INTERVAL = 10
ADDRESSES = 16  # sshd listens on at most 16 sockets
PARAMIKO_REV = "abb638e"  # the last revision whose SSH client was paramiko (the baseline)


def _threads() -> int:
    return len(os.listdir("/proc/self/task"))


class _BaselineDriver(SshDriver):
    """SshDriver over the last paramiko SshPool (a thread per transport, 16 poll workers)."""

    def __init__(self, cred: SshCredential, known_hosts: str, client_py: Path) -> None:
        super().__init__(lambda _name: cred, known_hosts)
        spec = importlib.util.spec_from_file_location("paramiko_client", client_py)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look themselves up there
        spec.loader.exec_module(module)
        self.pool: Any = module.SshPool(max_workers=16)

    async def close(self) -> None:
        self.pool.close()


def one(client: str, fleet: dict[str, Any], devices: int, seconds: float, work: Path) -> dict:
    os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})  # one core, as one shard gets
    url = f"sqlite:///{work / 'cap.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        site = Site(code="B1", name="Bench", tz="UTC")
        racks = [Rack(site=site, name=f"R{i:03d}", row="A", position=i) for i in range(50)]
        s.add_all([site, *racks])
        s.flush()
        s.add_all(
            Device(
                site_id=site.id,
                rack_id=racks[i % 50].id,
                name=f"srv{i}",
                kind="server",
                protocol="ssh",
                address=f"127.0.0.{i % ADDRESSES + 1}",
                port=fleet["ports"][i // ADDRESSES],
                credential="c",
                poll_interval_s=INTERVAL,
            )
            for i in range(devices)
        )
        s.commit()
    engine.dispose()
    from monitors.alarms.engine import make_hook

    cred = SshCredential(user=TEST_USER, key_file=fleet["client_key"])
    driver: SshDriver = (
        SshDriver(lambda _name: cred, fleet["known_hosts"])
        if client == "asyncssh"
        else _BaselineDriver(cred, fleet["known_hosts"], Path(fleet["baseline"]))
    )
    drv = Recording(driver)
    opts = CollectorOptions(
        url=url,
        duration_s=seconds,
        spool_path=str(work / "spool.sqlite"),
        hooks=[make_hook(url)],
        max_in_flight=128,
    )
    collector = Collector(opts, {"ssh": drv})
    peak = {"threads": _threads(), "open": 0}
    cpu_at: list[tuple[float, float]] = []  # (wall, process CPU) every half second

    async def sample() -> None:
        while True:
            await asyncio.sleep(0.5)
            cpu_at.append((time.time(), time.process_time()))
            peak["threads"] = max(peak["threads"], _threads())
            peak["open"] = max(peak["open"], driver.pool.open_count)

    async def run() -> None:
        sampler = asyncio.create_task(sample())
        try:
            await collector.run()
        finally:
            sampler.cancel()

    threads0 = _threads()
    started = time.time()
    c0 = time.process_time()
    asyncio.run(run())
    cpu = time.process_time() - c0
    # The first interval spreads the first polls and opens the connections: judge the rest.
    lo, hi = math.ceil(started) + INTERVAL + 2, math.floor(started + seconds) - 2
    window = [r for r in drv.results if lo <= r.ts < hi]
    expected = devices * (hi - lo) / INTERVAL
    engine = make_engine(url)
    with engine.connect() as c:
        stale = c.execute(text("SELECT count(*) FROM alarm WHERE rule = 'stale'")).scalar_one()
        health = c.execute(text("SELECT health, health_detail FROM collector_heartbeat")).one()
    engine.dispose()
    steady = [c for t, c in cpu_at if lo <= t < hi]
    steady_cpu = steady[-1] - steady[0] if len(steady) > 1 else 0.0
    errors = sorted({(r.error or "")[:120] for r in window if not r.ok})[:3]
    return {
        "client": client,
        "devices": devices,
        "interval_s": INTERVAL,
        "schedule_kept_pct": round(100 * len(window) / expected, 1),
        "failed_polls": sum(1 for r in window if not r.ok),
        "errors": errors,
        "polls": len(drv.results),
        "collector_cpu_pct": round(100 * cpu / seconds, 1),
        # In the judged window only: connecting is the first interval's cost.
        "steady_cpu_pct": round(100 * steady_cpu / max(1e-9, hi - lo), 1),
        "cpu_ms_per_poll": round(1000 * steady_cpu / max(1, len(window)), 2),
        "threads_before": threads0,
        "threads_peak": peak["threads"],
        "open_connections_peak": peak["open"],
        "stale_alarms": int(stale),
        "health": health[0],
        "health_detail": health[1],
    }


def _fleet(base: Path, binary: str, daemons: int) -> tuple[list[Sshd], dict[str, Any]]:
    """sshd instances sharing one host key and one client key; a forced `cat` of a poll."""
    first = Sshd(binary, base / "probe", "dell")
    first.setup()
    first.start()
    session = SshSession(first.target())
    try:
        canned = session.run().text
    finally:
        session.close()
        first.stop()
    (base / "poll-output.txt").write_text(canned)
    os.chmod(base / "poll-output.txt", 0o644)
    host_key = first.base / "ssh_host_ed25519_key"
    client_pub = (first.base / "id_ed25519.pub").read_text().strip()
    fleet: list[Sshd] = []
    lines: list[str] = []
    keytype, blob = first.host_key_line.split()[:2]
    for n in range(daemons):
        d = Sshd(binary, base / f"h{n}", "dell")
        d.extra_config = [f"ListenAddress 127.0.0.{a}" for a in range(2, ADDRESSES + 1)]
        d.setup()
        for suffix in ("", ".pub"):
            shutil.copy2(f"{host_key}{suffix}", f"{d.base / 'ssh_host_ed25519_key'}{suffix}")
        (d.base / "authorized_keys").write_text(
            f'restrict,command="cat {base / "poll-output.txt"}" {client_pub}\n'
        )
        d.start()
        fleet.append(d)
        lines += [f"[127.0.0.{a}]:{d.port} {keytype} {blob}" for a in range(1, ADDRESSES + 1)]
    (base / "known_hosts").write_text("\n".join(lines) + "\n")
    return fleet, {
        "ports": [d.port for d in fleet],
        "client_key": str(first.client_key),
        "known_hosts": str(base / "known_hosts"),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--devices", type=int, nargs="*", default=[250, 500, 1000, 2000])
    p.add_argument("--clients", nargs="*", default=["paramiko", "asyncssh"])
    p.add_argument("--seconds", type=float, default=40.0)
    p.add_argument("--one", nargs=3, help=argparse.SUPPRESS)  # client fleet.json devices
    args = p.parse_args(argv)
    if args.one:
        work = Path(tempfile.mkdtemp(prefix="rw-sshcap-"))
        try:
            client, fleet_json, n = args.one
            fleet = json.loads(Path(fleet_json).read_text())
            print(json.dumps(one(client, fleet, int(n), args.seconds, work)))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return 0
    binary = sshd_binary()
    if binary is None or os.geteuid() != 0:
        print("needs root and OpenSSH sshd (it adds the rwtest account)", file=sys.stderr)
        return 2
    ensure_test_user()
    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cores[0]})  # sshd and its sessions inherit the other core
    base = Path(tempfile.mkdtemp(prefix="rw-sshcap-"))
    os.chmod(base, 0o755)
    baseline = base / "paramiko_client.py"
    baseline.write_text(
        subprocess.run(
            ["git", "-C", str(REPO), "show", f"{PARAMIKO_REV}:monitors/ssh/client.py"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    results: list[dict[str, Any]] = []
    daemons, fleet = _fleet(base, binary, math.ceil(max(args.devices) / ADDRESSES))
    os.sched_setaffinity(0, set(cores))  # the collector child picks the last core
    fleet["baseline"] = str(baseline)
    (base / "fleet.json").write_text(json.dumps(fleet))
    try:
        for n in args.devices:
            for client in args.clients:
                done = subprocess.run(
                    [sys.executable, __file__, "--seconds", str(args.seconds),
                     "--one", client, str(base / "fleet.json"), str(n)],
                    capture_output=True, text=True, check=False,
                )  # fmt: skip
                out = done.stdout.strip().splitlines()
                line = out[-1] if out else "{}"
                row = json.loads(line) if line.startswith("{") else {}
                if "client" not in row:
                    row = {"error": done.stderr[-2000:]}
                results.append(row)
                print(json.dumps(row), flush=True)
    finally:
        for d in daemons:
            d.stop()
        shutil.rmtree(base, ignore_errors=True)
    print(
        f"{'client':9} {'devices':>7} {'kept':>7} {'failed':>6} {'CPU':>6} {'steady':>6} "
        f"{'ms/poll':>8} "
        f"{'threads':>8} {'open':>5} {'health':>10} {'stale':>5}"
    )
    for r in results:
        if "client" not in r:
            print(r)
            continue
        print(
            f"{r['client']:9} {r['devices']:7d} {r['schedule_kept_pct']:6.1f}% "
            f"{r['failed_polls']:6d} {r['collector_cpu_pct']:5.1f}% {r['steady_cpu_pct']:5.1f}% "
            f"{r['cpu_ms_per_poll']:8.2f} "
            f"{r['threads_peak']:8d} {r['open_connections_peak']:5d} {r['health']:>10} "
            f"{r['stale_alarms']:5d}"
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"cpus": os.cpu_count(), "runs": results}, indent=2) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
