"""SNMP poll throughput of the whole pipeline against snmpd, beside naive and external pollers."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.inventory.device_specs import DeviceSpec
from monitors.collection.drivers import SnmpDriver
from monitors.collection.readings import PollResult
from monitors.collection.scheduler import Scheduler
from monitors.collection.targets import SnmpCredential
from monitors.lab.daemons.common import free_port, wait_tcp
from monitors.lab.daemons.snmp import start_snmpd
from monitors.profiles.engine import ProfileSet

# Eight scalars every net-snmp agent serves (system, host resources, UCD memory and load).
OIDS = [
    "1.3.6.1.2.1.1.3.0",
    "1.3.6.1.2.1.2.1.0",
    "1.3.6.1.2.1.25.1.5.0",
    "1.3.6.1.2.1.25.1.6.0",
    "1.3.6.1.4.1.2021.4.5.0",
    "1.3.6.1.4.1.2021.4.6.0",
    "1.3.6.1.4.1.2021.4.11.0",
    "1.3.6.1.4.1.2021.10.1.5.1",
]

PROFILE = """description: benchmark profile, eight net-snmp scalars
kind: server
priority: 1
match:
  - sys_object_id: 1.3.6.1.4.1.8072
metrics:
""" + "".join(
    f"  - metric: power_w\n    oid: {oid}\n    label: m{i}\n" for i, oid in enumerate(OIDS)
)


def cpu_of(pid: int) -> float:
    """User+system CPU seconds of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pipeline(
    port: int, community: str, devices: int, seconds: float, in_flight: int = 128
) -> dict[str, float]:
    """Scheduler + SnmpDriver + profile decode + rows for the writer, as the collector runs it."""
    tmp = Path(tempfile.mkdtemp(prefix="rw-bench-prof-"))
    (tmp / "bench.yaml").write_text(PROFILE)
    profiles = ProfileSet.load(tmp)
    specs = [
        DeviceSpec(i, f"d{i}", "B", "R", 1, "server", "127.0.0.1", port, "snmp", "bench", "c", 1)
        for i in range(1, devices + 1)
    ]
    handed: list[tuple[int, int, float]] = []
    count = [0]

    async def sink(result: PollResult) -> None:
        count[0] += 1
        handed.extend((result.device_id, result.ts, r.value) for r in result.readings)
        if len(handed) > 100_000:
            handed.clear()

    async def run() -> tuple[float, float, int]:
        driver = SnmpDriver(
            lambda _n: SnmpCredential(version="2c", community=community), profiles, timeout_s=2
        )
        sched = Scheduler(specs, {"snmp": driver}, sink, max_in_flight=in_flight)
        # Warm up: discovery (one plan per device) is not what we measure.
        await sched.run(asyncio.Event(), once=True)
        count[0] = 0
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(seconds, stop.set)
        sched2 = Scheduler(specs, {"snmp": driver}, sink, max_in_flight=in_flight)
        # Every device due every 1 s with far more devices than 1 s allows: saturated.
        c0, w0 = time.process_time(), time.perf_counter()
        await sched2.run(stop)
        c1, w1 = time.process_time(), time.perf_counter()
        await driver.close()
        return c1 - c0, w1 - w0, count[0]

    cpu, wall, polls = asyncio.run(run())
    shutil.rmtree(tmp, ignore_errors=True)
    return {"polls": polls, "cpu_s": cpu, "wall_s": wall, "polls_per_cpu_s": polls / cpu}


def pipeline_worker(args: list[str]) -> None:
    port, community, devices, seconds, out = args
    res = pipeline(int(port), community, int(devices), float(seconds))
    Path(out).write_text(json.dumps(res))


def workers(port: int, community: str, n: int, devices: int, seconds: float) -> dict[str, float]:
    """n collector processes side by side (as `collect --workers n`), aggregate polls/s."""
    tmp = Path(tempfile.mkdtemp(prefix="rw-bench-w-"))
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--worker",
                str(port),
                community,
                str(devices),
                str(seconds),
                str(tmp / f"{i}.json"),
            ]
        )
        for i in range(n)
    ]
    for p in procs:
        p.wait()
    results = [json.loads((tmp / f"{i}.json").read_text()) for i in range(n)]
    shutil.rmtree(tmp, ignore_errors=True)
    polls = sum(r["polls"] for r in results)
    wall = max(r["wall_s"] for r in results)
    cpu = sum(r["cpu_s"] for r in results)
    # polls per CPU-second stays flat when scaling is limited by free cores, not by design.
    return {
        "polls": polls,
        "wall_s": wall,
        "polls_per_s": polls / wall,
        "cpu_s": cpu,
        "polls_per_cpu_s": polls / cpu,
    }


def snmpget_loop(port: int, community: str, n: int) -> dict[str, float]:
    """What cron scripts do: one net-snmp snmpget process per device poll."""
    binary = shutil.which("snmpget")
    if binary is None:
        return {}
    cmd = [binary, "-v2c", "-c", community, "-On", "-t", "2", f"127.0.0.1:{port}", *OIDS]
    env = {**os.environ, "MIBS": ""}
    start = time.perf_counter()
    for _ in range(n):
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - start
    return {"polls": n, "wall_s": wall, "polls_per_s": n / wall}


def naive_pysnmp(port: int, community: str, n: int) -> dict[str, float]:
    """pysnmp used naively: a new SnmpEngine for every request (v3arch hlapi)."""
    from pysnmp.hlapi.v3arch import asyncio as v3

    async def one() -> None:
        engine = v3.SnmpEngine()
        target = await v3.UdpTransportTarget.create(("127.0.0.1", port), timeout=2, retries=0)
        err, status, _idx, _vbs = await v3.get_cmd(
            engine,
            v3.CommunityData(community),
            target,
            v3.ContextData(),
            *[v3.ObjectType(v3.ObjectIdentity(o)) for o in OIDS],
            lookupMib=False,
        )
        engine.close_dispatcher()
        if err or status:
            raise RuntimeError(f"naive poll failed: {err or status}")

    async def run() -> None:
        for _ in range(n):
            await one()

    c0, w0 = time.process_time(), time.perf_counter()
    asyncio.run(run())
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return {"polls": n, "cpu_s": cpu, "wall_s": wall, "polls_per_cpu_s": n / cpu}


def protocol_floor(n: int) -> dict[str, float]:
    """pysnmp's protocol layer alone: BER-encode a GET of 8 OIDs and decode its response."""
    from pyasn1.codec.ber import decoder, encoder
    from pysnmp.proto import api

    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    req_pdu = p.GetRequestPDU()
    p.apiPDU.set_defaults(req_pdu)
    p.apiPDU.set_varbinds(req_pdu, [(o, p.Null("")) for o in OIDS])
    msg = p.Message()
    p.apiMessage.set_defaults(msg)
    p.apiMessage.set_community(msg, "public")
    p.apiMessage.set_pdu(msg, req_pdu)
    rsp_msg = p.apiMessage.get_response(msg)
    rsp_pdu = p.apiMessage.get_pdu(rsp_msg)
    p.apiPDU.set_varbinds(rsp_pdu, [(o, p.Integer(123456)) for o in OIDS])
    wire = encoder.encode(rsp_msg)
    c0 = time.process_time()
    for _ in range(n):
        p.apiPDU.set_request_id(req_pdu, 1)
        encoder.encode(msg)
        decoded, _ = decoder.decode(wire, asn1Spec=p.Message())
        vbs = p.apiPDU.get_varbinds(p.apiMessage.get_pdu(decoded))
        [int(v) for _o, v in vbs]
    cpu = time.process_time() - c0
    return {"polls": n, "cpu_s": cpu, "polls_per_cpu_s": n / cpu}


def exporter(port: int, community: str, n: int) -> dict[str, float]:
    """Debian's prometheus-snmp-exporter scraping the same 8 OIDs."""
    binary = shutil.which("prometheus-snmp-exporter")
    if binary is None:
        return {}
    tmp = Path(tempfile.mkdtemp(prefix="rw-bench-exp-"))
    conf = tmp / "snmp.yml"
    module = {
        "version": 2,
        "auth": {"community": community},
        "get": OIDS,
        "metrics": [{"name": f"m{i}", "oid": o, "type": "gauge"} for i, o in enumerate(OIDS)],
    }
    conf.write_text(yaml.safe_dump({"bench": module}))
    http = free_port()
    proc = subprocess.Popen(
        [binary, f"--config.file={conf}", f"--web.listen-address=127.0.0.1:{http}"],
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "log").open("wb"),
    )
    try:
        if not wait_tcp(http, 10):
            return {"error": (tmp / "log").read_text()[-500:]}  # type: ignore[dict-item]
        url = f"http://127.0.0.1:{http}/snmp?target=127.0.0.1:{port}&module=bench"
        body = urllib.request.urlopen(url, timeout=10).read().decode()
        if "m7" not in body:
            return {"error": body[-300:]}
        c0, w0 = cpu_of(proc.pid), time.perf_counter()
        for _ in range(n):
            urllib.request.urlopen(url, timeout=10).read()
        wall = time.perf_counter() - w0
        cpu = cpu_of(proc.pid) - c0
        return {
            "polls": n,
            "wall_s": wall,
            "polls_per_s": n / wall,
            "exporter_cpu_s": cpu,
            "polls_per_cpu_s": n / cpu if cpu else 0.0,
        }
    finally:
        proc.terminate()
        proc.wait(5)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        pipeline_worker(sys.argv[2:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--devices", type=int, default=2000)
    ap.add_argument("--snmpget", type=int, default=300)
    ap.add_argument("--naive", type=int, default=30)
    ap.add_argument("--floor", type=int, default=3000)
    ap.add_argument("--exporter", type=int, default=300)
    ap.add_argument("--json", type=Path, default=Path("bench/out/poll.json"))
    args = ap.parse_args()

    agent = start_snmpd()
    try:
        port, community = agent.port, agent.community
        res: dict[str, Any] = {"oids_per_poll": len(OIDS)}
        print("pipeline, 1 process ...", flush=True)
        res["pipeline"] = pipeline(port, community, args.devices, args.seconds)
        print("pipeline, 2 processes ...", flush=True)
        res["workers_1"] = workers(port, community, 1, args.devices, args.seconds)
        res["workers_2"] = workers(port, community, 2, args.devices, args.seconds)
        print("protocol floor, snmpget, naive pysnmp, exporter ...", flush=True)
        res["protocol_floor"] = protocol_floor(args.floor)
        res["snmpget_per_poll"] = snmpget_loop(port, community, args.snmpget)
        res["naive_pysnmp"] = naive_pysnmp(port, community, args.naive)
        res["snmp_exporter"] = exporter(port, community, args.exporter)
        snmpd_cpu = cpu_of(agent.proc.pid) if agent.proc else 0.0
        res["snmpd_cpu_s_total"] = snmpd_cpu
    finally:
        agent.stop()

    pipe = res["pipeline"]["polls_per_cpu_s"]
    floor = res["protocol_floor"]["polls_per_cpu_s"]
    sg = res["snmpget_per_poll"].get("polls_per_s", 0.0)
    w1 = res["workers_1"]["polls_per_s"]
    w2 = res["workers_2"]["polls_per_s"]
    res["ratios"] = {
        "pipeline_vs_floor": round(pipe / floor, 3),
        "pipeline_vs_snmpget": round(pipe / sg, 1) if sg else None,
        "workers2_vs_workers1": round(w2 / w1, 2),
    }
    rows = [
        ("RackWatch pipeline (1 core, polls per CPU-s)", pipe),
        ("RackWatch pipeline, 1 process (polls/s wall)", w1),
        ("RackWatch pipeline, 2 processes (polls/s wall)", w2),
        ("pysnmp protocol floor (encode+decode, per CPU-s)", floor),
        ("net-snmp snmpget, one process per poll (polls/s)", sg),
        (
            "pysnmp naive, new engine per request (per CPU-s)",
            res["naive_pysnmp"]["polls_per_cpu_s"],
        ),
        (
            "prometheus-snmp-exporter scrape (polls/s wall)",
            res["snmp_exporter"].get("polls_per_s", 0.0),
        ),
    ]
    print()
    print(f"{'contender (8 OIDs per poll, snmpd on loopback)':<52}{'polls/s':>10}")
    for name, value in rows:
        print(f"{name:<52}{value:>10,.0f}")
    print(f"ratios: {res['ratios']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
