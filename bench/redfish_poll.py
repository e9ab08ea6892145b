"""Redfish polls of the DMTF mockups on loopback: requests, wall time, client CPU per poll."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from models.inventory.device_specs import DeviceSpec  # noqa: E402
from monitors.collection.targets import RedfishCredential, RedfishTarget  # noqa: E402
from monitors.redfish.client import RedfishClient  # noqa: E402
from monitors.redfish.driver import RedfishDriver  # noqa: E402
from monitors.redfish.read import read_service  # noqa: E402

OUT = REPO / "bench" / "out" / "redfish_poll.json"
MOCKUPS = Path(
    os.environ.get("RACKWATCH_REDFISH_MOCKUPS")
    or next(
        (p / "shared" / "redfish-mockups" for p in REPO.parents if (p / "shared").is_dir()),
        REPO.parent / "shared" / "redfish-mockups",
    )
)
CRED = RedfishCredential("bench", "bench-pw", allow_http=True)
# The service runs in its own process so this process's CPU time is the collector's share.
SERVER = """
import sys, time
from monitors.lab.redfish_server import RedfishServer, mockup_provider
srv = RedfishServer(mockup_provider(sys.argv[1]), users={"bench": "bench-pw"}, queries=sys.argv[2])
srv.start()
print(srv.port, flush=True)
sys.stdin.read()
"""


@dataclass
class Row:
    mockup: str
    queries: str
    readings: int
    requests: int
    ms_per_poll: float
    client_cpu_ms_per_poll: float
    parallel_polls_per_s: float


def serve(mockup: str, queries: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(MOCKUPS / mockup), queries],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    port = proc.stdout.readline().strip()
    return proc, f"http://127.0.0.1:{port}"


def measure(mockup: str, queries: str, polls: int, parallel: int) -> Row:
    proc, url = serve(mockup, queries)
    try:
        client = RedfishClient(RedfishTarget(url, CRED))
        outcome = read_service(client.get)  # logs in; learns whether $expand works
        wall0, cpu0 = time.perf_counter(), time.process_time()
        for _ in range(polls):
            outcome = read_service(client.get, expand=outcome.expand)
        wall = (time.perf_counter() - wall0) / polls
        cpu = (time.process_time() - cpu0) / polls
        client.close()
        spec = DeviceSpec(0, "b", "S", None, None, "server", url, None, "redfish", None, None, 60)

        async def many() -> float:
            driver = RedfishDriver(lambda _n: CRED, max_workers=parallel)
            devices = [dataclasses.replace(spec, id=i, name=f"b{i}") for i in range(parallel)]
            await asyncio.gather(*(driver.poll(d) for d in devices))  # sessions opened
            t0 = time.perf_counter()
            rounds = max(1, polls // parallel)
            for _ in range(rounds):
                results = await asyncio.gather(*(driver.poll(d) for d in devices))
                assert all(r.ok for r in results), results[0].error
            elapsed = time.perf_counter() - t0
            await driver.close()
            return rounds * parallel / elapsed

        rate = asyncio.run(many())
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)
    return Row(
        mockup,
        queries,
        len(outcome.readings),
        outcome.requests,
        round(wall * 1000, 1),
        round(cpu * 1000, 1),
        round(rate, 1),
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--polls", type=int, default=40)
    ap.add_argument("--parallel", type=int, default=8, help="BMCs polled at once")
    args = ap.parse_args()
    rows = [
        measure(m, q, args.polls, args.parallel)
        for m in ("public-rackmount1", "public-pdu")
        for q in ("expand", "404")
    ]
    print(f"{'mockup':18} {'queries':7} {'readings':>8} {'requests':>8} {'ms/poll':>8} "
          f"{'cpu ms':>7} {'polls/s':>8}")  # fmt: skip
    for r in rows:
        print(f"{r.mockup:18} {r.queries:7} {r.readings:8} {r.requests:8} {r.ms_per_poll:8} "
              f"{r.client_cpu_ms_per_poll:7} {r.parallel_polls_per_s:8}")  # fmt: skip
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "parallel": args.parallel,
                "rows": [asdict(r) for r in rows],
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
