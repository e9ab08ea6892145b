"""How many SNMP requests per second one lab process answers (prints a table, writes JSON).

Starts `app.py lab` as a child process (its own core), then loads it from this process with
requests encoded by pysnmp's protocol layer (pyasn1 BER) over raw UDP, a bounded window in
flight across all simulated devices; every 20th response is decoded and checked with pysnmp.
For reference it also times net-snmp `snmpget` and `snmpbulkget`, one process per request.

    .venv/bin/python bench/lab_snmp.py [--seconds 5] [--window 32]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out" / "lab_snmp.json"
P = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]

# What a collector asks: identity, then each profile's values (8 OIDs per GET).
GET_OIDS = {
    "apc": [
        f"1.3.6.1.4.1.318.1.1.26.{t}"
        for t in (
            "4.3.1.5.1",
            "4.3.1.9.1",
            "4.3.1.16.1",
            "4.3.1.17.1",
            "6.3.1.5.1",
            "6.3.1.6.1",
            "6.3.1.7.1",
            "10.2.2.1.8.1",
        )
    ],
    "idrac": [
        f"1.3.6.1.4.1.674.10892.5.4.{t}"
        for t in (
            "700.20.1.6.1.1",
            "700.20.1.6.1.2",
            "700.20.1.6.1.3",
            "700.20.1.6.1.4",
            "600.30.1.6.1.1",
            "600.30.1.6.1.2",
            "600.30.1.6.1.3",
            "700.12.1.6.1.1",
        )
    ],
}


def _request(community: str, req_id: int, kind: str, oids: list[str]) -> bytes:
    if kind == "bulk":
        pdu = P.GetBulkRequestPDU()
        P.apiBulkPDU.set_defaults(pdu)
        P.apiBulkPDU.set_non_repeaters(pdu, 0)
        P.apiBulkPDU.set_max_repetitions(pdu, 10)
    elif kind == "next":
        pdu = P.GetNextRequestPDU()
        P.apiPDU.set_defaults(pdu)
    else:
        pdu = P.GetRequestPDU()
        P.apiPDU.set_defaults(pdu)
    P.apiPDU.set_request_id(pdu, req_id)
    P.apiPDU.set_varbinds(pdu, [(o, P.Null("")) for o in oids])
    msg = P.Message()
    P.apiMessage.set_defaults(msg)
    P.apiMessage.set_community(msg, community)
    P.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


def _check(data: bytes, kind: str, expect_vbs: int) -> int:
    msg, _ = decoder.decode(data, asn1Spec=P.Message())
    pdu = P.apiMessage.get_pdu(msg)
    if int(P.apiPDU.get_error_status(pdu)) != 0:
        raise AssertionError(f"agent error status {P.apiPDU.get_error_status(pdu)}")
    vbs = P.apiPDU.get_varbinds(pdu)
    if kind == "get" and len(vbs) != expect_vbs:
        raise AssertionError(f"expected {expect_vbs} varbinds, got {len(vbs)}")
    return len(vbs)


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, body start, body end) of the TLV at pos."""
    tag, n = data[pos], data[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(data[pos : pos + k], "big")
        pos += k
    return tag, pos, pos + n


def _request_id(data: bytes) -> int:
    """Walk just far enough into the response to read its request-id (pysnmp checks samples)."""
    _, pos, _ = _tlv(data, 0)  # message SEQUENCE
    _, _, pos = _tlv(data, pos)  # version
    _, _, pos = _tlv(data, pos)  # community
    _, pos, _ = _tlv(data, pos)  # response PDU
    _, start, end = _tlv(data, pos)  # request-id
    return int.from_bytes(data[start:end], "big", signed=True)


def load(
    targets: list[tuple[str, int, str]],
    community: str,
    kind: str,
    seconds: float,
    window: int,
) -> dict[str, Any]:
    """Keep `window` requests in flight round-robin over targets for `seconds`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(1.0)
    templates: list[tuple[tuple[str, int], list[str]]] = []
    for addr, port, family in targets:
        oids = GET_OIDS[family] if kind == "get" else [GET_OIDS[family][0].rsplit(".", 3)[0]]
        templates.append(((addr, port), oids))
    # Pre-encode a pool of requests so the client's BER cost does not cap the measurement.
    pool: list[tuple[tuple[str, int], bytes, int]] = []
    for n in range(512):
        dest, oids = templates[n % len(templates)]
        pool.append((dest, _request(community, n + 1, kind, oids), len(oids)))
    sent = ok = lost = checked = varbinds = 0
    inflight: dict[int, float] = {}
    started = time.perf_counter()
    deadline = started + seconds
    i = 0
    while True:
        now = time.perf_counter()
        while len(inflight) < window and now < deadline:
            dest, data, _n = pool[i % len(pool)]
            rid = i % len(pool) + 1
            if rid in inflight:
                break
            sock.sendto(data, dest)
            inflight[rid] = now
            sent += 1
            i += 1
        if not inflight:
            break
        try:
            data = sock.recv(65535)
        except TimeoutError:
            lost += len(inflight)
            inflight.clear()
            continue
        rid = _request_id(data)
        if inflight.pop(rid, None) is None:
            continue
        ok += 1
        if ok % 20 == 0:
            varbinds += _check(data, kind, pool[rid - 1][2])
            checked += 1
    took = time.perf_counter() - started
    sock.close()
    return {
        "kind": kind,
        "window": window,
        "seconds": round(took, 2),
        "requests": sent,
        "answered": ok,
        "lost": lost,
        "checked_with_pysnmp": checked,
        "req_per_s": round(ok / took, 1),
    }


def netsnmp(tool: str, args: list[str], seconds: float) -> dict[str, Any]:
    """One process per request, as cron scripts do (bounded by `seconds`)."""
    n = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        res = subprocess.run([tool, *args], capture_output=True, text=True, timeout=10)
        if res.returncode != 0:
            raise RuntimeError(f"{tool} failed: {res.stderr.strip()}")
        n += 1
    took = time.perf_counter() - started
    return {
        "kind": Path(tool).name,
        "requests": n,
        "seconds": round(took, 2),
        "req_per_s": round(n / took, 1),
    }


def _lab_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0  # utime + stime in seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="per measurement (default 5)")
    ap.add_argument("--window", type=int, default=32, help="requests in flight (default 32)")
    ap.add_argument("--racks", type=int, default=10)
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="rackwatch-bench-lab-"))
    net = random.randint(100, 250)
    lab = subprocess.Popen(
        [
            sys.executable,
            str(REPO / "app.py"),
            "lab",
            "--out",
            str(tmp),
            "--sites",
            "1",
            "--racks",
            str(args.racks),
            "--servers",
            "20",
            "--net",
            str(net),
            "--duration",
            str(args.seconds * 6 + 60),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (tmp / "lab.json").exists():
            if lab.poll() is not None or time.monotonic() > deadline:
                out = lab.stdout.read() if lab.stdout else ""
                raise RuntimeError(f"lab did not start: {out}")
            time.sleep(0.2)
        inv = yaml.safe_load((tmp / "inventory.yaml").read_text())
        community = yaml.safe_load((tmp / "credentials.yaml").read_text())["credentials"][
            "lab-snmp"
        ]["community"]
        targets = []
        for site in inv["sites"]:
            for rack in site["racks"]:
                for d in rack["devices"]:
                    model = d.get("model", "")
                    if model.startswith("APC"):
                        targets.append((d["address"], d["port"], "apc"))
                    elif model.startswith("Dell"):
                        targets.append((d["address"], d["port"], "idrac"))
        results: list[dict[str, Any]] = []
        runs: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("get", lambda: load(targets, community, "get", args.seconds, args.window)),
            ("next", lambda: load(targets, community, "next", args.seconds, args.window)),
            ("bulk", lambda: load(targets, community, "bulk", args.seconds, args.window)),
        ]
        for name, run in runs:
            cpu0, t0 = _lab_cpu(lab.pid), time.perf_counter()
            r = run()
            share = (_lab_cpu(lab.pid) - cpu0) / (time.perf_counter() - t0)
            r["lab_cpu_share"] = round(share, 3)
            # The client process is usually the limit; what one lab core could answer:
            r["lab_cpu_us_per_req"] = round(share / r["req_per_s"] * 1e6, 1)
            r["lab_req_per_s_per_core"] = round(r["req_per_s"] / share) if share > 0 else None
            r["client"] = f"pysnmp-encoded raw UDP ({name})"
            results.append(r)
        addr, port, family = targets[0]
        base = ["-v2c", "-c", community, "-t", "2", f"{addr}:{port}"]
        for tool, extra in (
            ("snmpget", GET_OIDS[family]),
            ("snmpbulkget", ["-Cr10", GET_OIDS[family][0].rsplit(".", 3)[0]]),
        ):
            path = shutil.which(tool)
            if path is None:
                results.append({"kind": tool, "skipped": "not installed"})
                continue
            r = netsnmp(path, base + extra, min(args.seconds, 3.0))
            r["client"] = f"net-snmp {tool}, one process per request"
            results.append(r)
    finally:
        lab.terminate()
        try:
            lab.wait(timeout=20)
        except subprocess.TimeoutExpired:
            lab.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    report = {
        "benchmark": "lab SNMP agent throughput (one lab process)",
        "devices_loaded": len(targets),
        "host_cpus": len(__import__("os").sched_getaffinity(0)),
        "results": results,
    }
    print(
        f"{'client':48} {'req/s':>9} {'answered':>9} {'lost':>5} {'lab CPU':>8} "
        f"{'lab µs/req':>10} {'lab req/s/core':>14}"
    )
    for r in results:
        if "skipped" in r:
            print(f"{r['kind']:48} skipped: {r['skipped']}")
            continue
        print(
            f"{r['client']:48} {r['req_per_s']:>9.1f} {r.get('answered', r['requests']):>9} "
            f"{r.get('lost', 0):>5} {r.get('lab_cpu_share', ''):>8} "
            f"{r.get('lab_cpu_us_per_req', ''):>10} {r.get('lab_req_per_s_per_core', ''):>14}"
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
