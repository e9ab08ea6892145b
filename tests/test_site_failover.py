"""Site collectors against a real centre: kill -9 failover, PostgreSQL outage (real daemons)."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from models.db import make_engine
from models.leases import device_owners
from models.store.victoria import VictoriaHistory
from monitors.lab import LabHandle, start_lab
from monitors.lab.daemons.pg import PgCluster
from monitors.lab.daemons.pg import missing_reason as pg_missing
from monitors.lab.daemons.victoria import VictoriaMetrics, VmAgent
from monitors.lab.daemons.victoria import missing_reason as vm_missing
from monitors.lab.sites import (
    CollectorProcess,
    app,
    app_env,
    pollers,
    read_trace,
    samples_lost,
    series_of_devices,
    set_interval,
    wait_for,
)
from tests.daemons import require

pytestmark = pytest.mark.daemon

INTERVAL = 5  # poll interval of every device, and VictoriaMetrics' dedup interval
TTL = 6
BEAT = 2.0
# Lease expiry after the last beat, the next beat of a peer, its first poll, and one more
# beat and interval of slack for a loaded machine; well inside the 60 s.
FAILOVER_BOUND = TTL + 2 * BEAT + INTERVAL


@dataclass
class Centre:
    pg: PgCluster
    url: str
    engine: Engine
    vm: VictoriaMetrics
    agent: VmAgent
    lab: LabHandle
    site: str
    env: dict[str, str]
    work: Path


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Centre]:
    for reason in (pg_missing(), vm_missing()):
        require(reason is None, reason or "")
    work = tmp_path_factory.mktemp("centre")
    pg = PgCluster()
    pg.start()
    vm = VictoriaMetrics(dedup_s=INTERVAL)
    vm.start()
    agent = VmAgent(vm.url)
    agent.start()
    lab = start_lab(
        work / "lab",
        sites=1,
        racks=6,
        servers=1,
        seed=11,
        net=random.randint(100, 250),
        port_base=random.randint(21_000, 60_000),
    )
    try:
        url = pg.create_database("central")
        env = app_env(work)
        app(env, "db", "upgrade", "--db", url)
        app(env, "import", str(lab.out_dir / "inventory.yaml"), "--db", url)
        app(env, "credentials", "import", str(lab.out_dir / "credentials.yaml"))
        engine = make_engine(url)
        set_interval(engine, INTERVAL)
        site = lab.topology.sites[0].code
        yield Centre(pg, url, engine, vm, agent, lab, site, env, work)
        engine.dispose()
    finally:
        lab.stop()
        agent.stop()
        vm.stop()
        pg.stop()


def _collectors(c: Centre, n: int, tag: str) -> list[CollectorProcess]:
    procs = [
        CollectorProcess(
            f"{tag}{i}",
            c.site,
            c.url,
            c.vm.url,
            c.agent.url,
            c.work,
            c.env,
            ttl_s=TTL,
            heartbeat_s=BEAT,
            known_hosts=str(c.lab.out_dir / "known_hosts"),
        )
        for i in range(n)
    ]
    for p in procs:
        p.start()
    return procs


def _devices(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        return {
            int(r[0]) for r in conn.execute(text("SELECT id FROM device WHERE protocol <> 'none'"))
        }


def _steady(c: Centre, procs: list[CollectorProcess], timeout: float = 90) -> dict[int, str]:
    """Wait until every device is leased by a live collector, shares within one rack."""
    every = _devices(c.engine)
    ids = {p.collector_id for p in procs}

    def ok() -> bool:
        own = device_owners(c.engine)
        if set(own) != every or not set(own.values()) <= ids:
            return False
        with c.engine.connect() as conn:
            units = conn.execute(
                text("SELECT count(*) FROM lease WHERE owner IS NOT NULL GROUP BY owner")
            ).all()
        counts = [int(u[0]) for u in units]
        return len(counts) == len(procs) and max(counts) - min(counts) <= 1

    assert wait_for(ok, timeout), [p.log.read_text()[-2000:] for p in procs]
    return device_owners(c.engine)


def _lost(c: Centre, procs: list[CollectorProcess], since: float, until: float) -> tuple[int, int]:
    deadline = time.monotonic() + 60
    while c.agent.pending_bytes() > 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(2.5)
    c.vm.flush()
    polls = read_trace([p.trace for p in procs])
    dev_series = series_of_devices(c.engine)
    all_ids = [s for ids in dev_series.values() for s in ids]
    with VictoriaHistory(c.vm.url) as vmh:
        stored = vmh.raw_timestamps(all_ids, int(since) - 10, int(until) + 10)
    return samples_lost(polls, dev_series, stored, INTERVAL, since, until)


def test_kill_9_one_of_three_fails_over_without_double_polling(centre: Centre) -> None:
    c = centre
    procs = _collectors(c, 3, "k")
    try:
        owners = _steady(c, procs)
        # Steady state: over three intervals every device is polled by exactly one collector.
        time.sleep(2 * INTERVAL)
        t_a = time.time()
        time.sleep(3 * INTERVAL)
        t_b = time.time()
        seen = pollers(read_trace([p.trace for p in procs]), t_a, t_b)
        assert set(seen) == _devices(c.engine)
        assert all(len(who) == 1 for who in seen.values()), seen
        assert all(seen[d] == {owners[d]} for d in seen)

        victim = procs[0]
        orphans = {d for d, o in owners.items() if o == victim.collector_id}
        assert orphans
        victim.kill()
        t_kill = time.time()

        def taken_over() -> bool:
            s = pollers(read_trace([p.trace for p in procs[1:]]), t_kill, time.time())
            return orphans <= set(s)

        assert wait_for(taken_over, 60, step=0.2)
        polls = read_trace([p.trace for p in procs[1:]])
        first = {}
        for p in polls:
            if p.device in orphans and p.wall >= t_kill and p.device not in first:
                first[p.device] = p.wall
        failover_s = max(first.values()) - t_kill
        assert failover_s <= FAILOVER_BOUND, failover_s
        # The survivors share everything, each device once, and nobody polls it twice.
        owners2 = _steady(c, procs[1:])
        assert set(owners2) == _devices(c.engine)
        time.sleep(INTERVAL)
        t_c = time.time()
        time.sleep(3 * INTERVAL)
        seen = pollers(read_trace([p.trace for p in procs[1:]]), t_c, time.time())
        assert all(len(who) == 1 for who in seen.values()), seen
        t_end = time.time()
        expected, lost = _lost(c, procs, t_a, t_end - INTERVAL)
        assert expected > 0
        assert lost == 0, (expected, lost)
    finally:
        for p in procs:
            p.stop()


def test_postgresql_outage_of_30_s_recovers_by_itself_losing_nothing(centre: Centre) -> None:
    c = centre
    procs = _collectors(c, 2, "p")
    try:
        before = _steady(c, procs)
        time.sleep(INTERVAL)
        t_a = time.time()
        c.pg.halt()
        t_down = time.time()
        time.sleep(30)
        c.pg.resume()
        t_up = time.time()

        def beating() -> bool:
            try:
                with c.engine.connect() as conn:
                    n = conn.execute(
                        text("SELECT count(*) FROM site_collector WHERE beat_ts > :t"),
                        {"t": int(t_up)},
                    ).scalar()
                    fresh = conn.execute(
                        text("SELECT min(last_poll_ts) FROM device_state")
                    ).scalar()
                return n == len(procs) and fresh is not None and fresh > t_up
            except Exception:
                return False

        # Collectors come back by themselves: heartbeats, device states, same leases.
        assert wait_for(beating, 60)
        after = _steady(c, procs)
        assert after == before
        assert all(p.proc is not None and p.proc.poll() is None for p in procs)
        time.sleep(INTERVAL)
        expected, lost = _lost(c, procs, t_a, time.time() - INTERVAL)
        polled_while_down = [
            p for p in read_trace([p.trace for p in procs]) if t_down + 2 < p.wall < t_up - 2
        ]
        assert polled_while_down  # collection went on while the centre's database was away
        assert expected > 0
        assert lost == 0, (expected, lost)
    finally:
        for p in procs:
            p.stop()
