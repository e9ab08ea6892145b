"""Power truth in the lab: failed PSU, unlisted load and swapped cord each raise their alarm."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models.db import make_engine
from models.read.power import load_power_map
from models.rules import current_rules
from monitors.lab import LabHandle, start_lab
from monitors.lab.topology import LabServer
from tests.test_alarm_lab import INTERVAL, _rows, start_collecting

pytestmark = pytest.mark.daemon

# The target: each alarm is raised by the third poll of its device after the fault.
LATENCY_POLLS = 3


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[LabHandle]:
    handle = start_lab(
        tmp_path / "lab",
        sites=1,
        racks=2,
        servers=8,
        seed=5,
        net=random.randint(100, 250),
        port_base=random.randint(21_000, 60_000),
    )
    try:
        yield handle
    finally:
        handle.stop()


def _wait_alarm(url: str, rule: str, device_id: int, since: float, limit_s: float) -> Any:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        rows = _rows(
            url,
            "SELECT raised_ts, message, value FROM alarm WHERE rule = :r AND device_id = :d "
            "AND state = 'active' AND raised_ts >= :t",
            r=rule,
            d=device_id,
            t=int(since) - 1,
        )
        if rows:
            return rows[0]
        time.sleep(0.5)
    return None


def _polls_until(url: str, device_ids: set[int], since: float, until: int) -> int:
    """Polls of the slowest of these devices from the fault up to the alarm (its sample
    times), so "three poll intervals" holds however much a loaded machine stretches 2 s."""
    counts = [
        len(
            _rows(
                url,
                "SELECT DISTINCT x.ts FROM sample x JOIN series s ON s.id = x.series_id "
                "WHERE s.device_id = :d AND x.ts >= :a AND x.ts <= :b",
                d=d,
                a=since,
                b=until,
            )
        )
        for d in device_ids
    ]
    return max(counts, default=0)


def _sampled(url: str, device_ids: set[int], n: int) -> bool:
    """Every one of these devices has at least n polls stored."""
    return all(
        len(
            _rows(
                url,
                "SELECT DISTINCT x.ts FROM sample x JOIN series s ON s.id = x.series_id "
                "WHERE s.device_id = :d",
                d=d,
            )
        )
        >= n
        for d in device_ids
    )


def _timeline(url: str, device_ids: set[int], since: float) -> str:
    """What the engine had to judge: each device's and its outlets' readings since the fault."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            links = load_power_map(conn, None, current_rules()).servers
    finally:
        engine.dispose()
    lines = []
    for link in links:
        if link.device_id not in device_ids:
            continue
        named = [(f"{link.name} power", sid) for sid in link.power_sids]
        named += [(f"{p.pdu_name} outlet {p.outlet}", p.outlet_sid) for p in link.psus]
        for label, sid in named:
            got = _rows(
                url,
                "SELECT ts, value FROM sample WHERE series_id = :s AND ts >= :t ORDER BY ts",
                s=sid,
                t=int(since) - 4,
            )
            steps = " ".join(f"{int(t) - int(since):+d}s={v:g}" for t, v in got)
            lines.append(f"{label}: {steps}")
    return "\n".join(lines)


def _device_id(url: str, name: str) -> int:
    [(ident,)] = _rows(url, "SELECT id FROM device WHERE name = :n", n=name)
    return int(ident)


def test_failed_psu_unlisted_load_and_swapped_cord_raise_within_three_polls(
    lab: LabHandle, tmp_path: Path, sqlite_url: str
) -> None:
    handle = lab
    # The rack whose PDUs meter their outlets (Raritan in the lab's vendor mix).
    rack = next(r for r in handle.topology.racks() if r.pdus and r.pdus[0].vendor == "raritan")
    collector = start_collecting(handle, tmp_path, sqlite_url)
    try:
        # The fault comes as soon as the rack has two polls stored: the engine must join
        # new series into the outlet mapping at once, not at its next periodic reload.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not (
            (devs := {_device_id(sqlite_url, d.name) for d in (*rack.pdus, *rack.servers)})
            and _sampled(sqlite_url, devs, 2)
        ):
            time.sleep(0.5)
        time.sleep(INTERVAL)
        quiet = "SELECT rule, message FROM alarm WHERE rule IN ('power_truth', 'unlisted_load')"
        assert _rows(sqlite_url, quiet) == []

        # 1. Failed PSU: the feed-A outlet drops to zero, feed B carries the server.
        srv = rack.servers[0]
        t0 = time.time()
        handle.inject("failed-psu", device=srv.name)
        dev = _device_id(sqlite_url, srv.name)
        hit = _wait_alarm(sqlite_url, "power_truth", dev, t0, 60)
        assert hit is not None, "no cabling / PSU alarm for the failed PSU"
        polls = _polls_until(sqlite_url, {dev}, t0, hit[0])
        assert polls <= LATENCY_POLLS, (hit, _timeline(sqlite_url, {dev}, t0))
        assert "one PSU outlet carries everything" in hit[1]
        handle.clear("failed-psu")

        # 2. Unlisted load on an outlet no server is mapped to.
        pdu = rack.pdus[0]
        t0 = time.time()
        ev = handle.inject("unlisted-load", device=pdu.name)
        dev = _device_id(sqlite_url, pdu.name)
        hit = _wait_alarm(sqlite_url, "unlisted_load", dev, t0, 60)
        assert hit is not None, "no unlisted-load alarm"
        assert _polls_until(sqlite_url, {dev}, t0, hit[0]) <= LATENCY_POLLS, hit
        assert f"outlet {ev.outlet}" in hit[1] and "no device in the inventory" in hit[1]
        handle.clear("unlisted-load")

        # 3. Swapped feed-B cords between the rack's most and least loaded servers.
        now = handle.clock()

        def draw(s: LabServer) -> float:
            return handle.physics.server_power(s, now)

        busiest = max(rack.servers[1:], key=draw)
        t0 = time.time()
        ev = handle.inject("swapped-cord", device=busiest.name)
        assert ev.partner is not None
        ids = {_device_id(sqlite_url, busiest.name), _device_id(sqlite_url, ev.partner)}
        found = [_wait_alarm(sqlite_url, "power_truth", d, t0, 60) for d in sorted(ids)]
        hits = [h for h in found if h is not None]
        assert hits, "no cabling alarm for the swapped cord"
        first = min(h[0] for h in hits)
        polls = _polls_until(sqlite_url, ids, t0, first)
        assert polls <= LATENCY_POLLS, (hits, _timeline(sqlite_url, ids, t0))
        assert any("ratio" in h[1] and "server reports" in h[1] for h in hits)
    finally:
        collector.terminate()
        log, _ = collector.communicate(timeout=60)
    assert collector.returncode in (0, -15), log[-3000:]
