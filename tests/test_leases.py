"""Leases of racks to a site's collectors in a real PostgreSQL: fair share, join, death, sites."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from models.db import make_engine
from models.leases import Assignment, LeaseManager, device_owners, owners
from models.schema import Device, Rack, Site
from monitors.lab.daemons.pg import PgCluster

pytestmark = pytest.mark.daemon


def _site(engine: Engine, code: str, racks: int, loose: int = 0) -> None:
    """racks racks of two PDUs each, plus loose devices outside any rack."""
    with Session(engine) as s:
        st = Site(code=code, name=code)
        s.add(st)
        s.flush()
        for r in range(racks):
            rack = Rack(site_id=st.id, name=f"{code}-R{r:02d}")
            s.add(rack)
            s.flush()
            for feed in "AB":
                s.add(
                    Device(
                        site_id=st.id,
                        rack_id=rack.id,
                        name=f"{code}-R{r:02d}-pdu-{feed}",
                        kind="pdu",
                        protocol="snmp",
                    )
                )
        for i in range(loose):
            s.add(Device(site_id=st.id, name=f"{code}-probe-{i}", kind="sensor", protocol="snmp"))
        s.commit()


@pytest.fixture
def central(pg_cluster: PgCluster) -> Iterator[Engine]:
    url = pg_cluster.migrated_database()
    eng = make_engine(url)
    yield eng
    eng.dispose()
    pg_cluster.drop_database(url)


def _beat_all(mgrs: list[LeaseManager], rounds: int = 2) -> dict[str, Assignment]:
    out: dict[str, Assignment] = {}
    for _ in range(rounds):
        for m in mgrs:
            out[m.collector_id] = m.beat()
    return out


def _disjoint_cover(got: dict[str, Assignment], units: int) -> None:
    sets = [a.units for a in got.values()]
    assert sum(len(s) for s in sets) == units
    assert len(frozenset().union(*sets)) == units  # nothing held twice


def test_fair_share_then_rebalance_on_join(central: Engine) -> None:
    _site(central, "S1", racks=9, loose=2)  # 11 units
    mgrs = [LeaseManager(central, "S1", f"c{i}", ttl_s=60) for i in range(3)]
    got = _beat_all(mgrs)
    _disjoint_cover(got, 11)
    assert sorted(len(a.units) for a in got.values()) == [3, 4, 4]
    # A rack's two PDUs always go to the same collector.
    dev = device_owners(central)
    with central.connect() as conn:
        pairs = conn.execute(text("SELECT rack_id, id FROM device WHERE rack_id IS NOT NULL")).all()
    by_rack: dict[int, set[str]] = {}
    for rack_id, dev_id in pairs:
        by_rack.setdefault(int(rack_id), set()).add(dev[int(dev_id)])
    assert all(len(o) == 1 for o in by_rack.values())
    # A fourth collector joins: the others give back what is above the new fair share.
    mgrs.append(LeaseManager(central, "S1", "c3", ttl_s=60))
    got = _beat_all(mgrs, rounds=3)
    _disjoint_cover(got, 11)
    assert max(len(a.units) for a in got.values()) == 3
    assert len(got["c3"].units) >= 2


def test_dead_collector_units_are_claimed_after_the_ttl(central: Engine) -> None:
    _site(central, "S1", racks=6)
    mgrs = [LeaseManager(central, "S1", f"c{i}", ttl_s=2) for i in range(3)]
    got = _beat_all(mgrs)
    dead = got["c0"].units
    assert len(dead) == 2
    # c0 stops beating (kill -9). Before its TTL runs out nobody takes its racks.
    got = _beat_all(mgrs[1:], rounds=1)
    assert not (got["c1"].units | got["c2"].units) & dead
    time.sleep(2.5)
    got = _beat_all(mgrs[1:], rounds=2)
    _disjoint_cover(got, 6)
    assert dead <= got["c1"].units | got["c2"].units
    assert {a.live_collectors for a in got.values()} == {2}
    # c0 comes back (it was only cut off): it learns it lost them and polls nothing twice.
    back = mgrs[0].beat()
    assert back.lost and not back.units & (got["c1"].units | got["c2"].units)


def test_sites_never_take_over_each_other(central: Engine) -> None:
    _site(central, "A", racks=4)
    _site(central, "B", racks=4)
    a = LeaseManager(central, "A", "a0", ttl_s=1)
    b = LeaseManager(central, "B", "b0", ttl_s=60)
    a.beat()
    b.beat()
    time.sleep(1.5)  # site A's only collector is cut off; its leases expire
    got = b.beat()
    assert got.units == {u for u, o in owners(central, "B").items()}
    assert len(got.units) == 4
    assert set(owners(central, "A").values()) == {"a0"}  # expired, but nobody else's
    # Back online, A renews what is still its own.
    assert len(a.beat().units) == 4


def test_concurrent_claims_never_share_a_unit(central: Engine) -> None:
    _site(central, "S1", racks=40)
    mgrs = [LeaseManager(central, "S1", f"c{i}", ttl_s=60) for i in range(8)]
    results: dict[str, list[Assignment]] = {m.collector_id: [] for m in mgrs}
    # Eight collectors start together and claim at the same moment.
    start = threading.Barrier(len(mgrs))

    def run(m: LeaseManager) -> None:
        start.wait()
        for _ in range(4):
            results[m.collector_id].append(m.beat())

    threads = [threading.Thread(target=run, args=(m,)) for m in mgrs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = {m.collector_id: m.beat() for m in mgrs}
    _disjoint_cover(final, 40)
    assert max(len(a.units) for a in final.values()) == 5
    assert all(len(r) == 4 for r in results.values())
