"""History in VictoriaMetrics through vmagent, behind the same interface as rows (real daemons)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from models.db import make_engine, upgrade
from models.schema import Device, Rack, Series, Site
from models.snapshot.data import _aggregate
from models.store import backend
from models.store.samples import Row, SampleWriter, history, rows_history
from models.store.victoria import VictoriaHistory, VictoriaWriter, load_labels
from monitors.lab.daemons.pg import PgCluster
from monitors.lab.daemons.victoria import VictoriaMetrics, VmAgent
from tests.vm_daemons import victoria, vmagent

__all__ = ["victoria", "vmagent"]

pytestmark = pytest.mark.daemon

DAY = 86_400
_ID_BASE = itertools.count(1_000_000, 1_000_000)
METRICS = (
    ("temperature_c", "inlet-{i}", "part", "inlet"),
    ("power_w", "outlet-{i}", "outlet", None),
    ("current_a", "phase-{i}", "phase", None),
)


def _inventory(engine: Engine, site: str, series_per_rack: int = 42) -> list[int]:
    """One site, one rack, one PDU carrying series_per_rack series; returns their ids."""
    with Session(engine) as s:
        st = Site(code=site, name=f"Hall {site}")
        rack = Rack(site=st, name=f"{site}-R01", row="A")
        s.add_all([st, rack])
        s.flush()
        dev = Device(
            site_id=st.id, rack_id=rack.id, name=f"{site}-pdu-1", kind="pdu", protocol="none"
        )
        s.add(dev)
        s.flush()
        ids = []
        for i in range(series_per_rack):
            metric, channel, cls, role = METRICS[i % len(METRICS)]
            ser = Series(
                device_id=dev.id,
                metric=metric,
                channel=channel.format(i=i),
                unit="x",
                channel_class=cls,
                role=role,
            )
            s.add(ser)
            s.flush()
            ids.append(ser.id)
        s.commit()
    return ids


def _rows(ids: list[int], start: int, end: int, step: int = 30) -> list[Row]:
    rng = np.random.default_rng(3)
    out: list[Row] = []
    for sid in ids:
        for ts in range(start, end, step):
            out.append((sid, ts, round(20 + 5 * np.sin(ts / 3600 + sid) + rng.random(), 3)))
    return out


def _settle(agent: VmAgent, vm: VictoriaMetrics, timeout: float = 60.0) -> None:
    """Wait until vmagent handed everything over, then make it searchable."""
    deadline = time.monotonic() + timeout
    while agent.pending_bytes() > 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    # vmagent sends from memory every flush interval even when nothing is on disk.
    time.sleep(2.5)
    vm.flush()


@pytest.fixture
def central(pg_cluster: PgCluster) -> Iterator[Engine]:
    url = pg_cluster.migrated_database()
    eng = make_engine(url)
    # VictoriaMetrics is shared by the module: series ids must not repeat across databases.
    with eng.begin() as conn:
        conn.execute(text(f"ALTER SEQUENCE series_id_seq RESTART WITH {next(_ID_BASE)}"))
    backend.forget_readers()
    yield eng
    eng.dispose()
    backend.forget_readers()
    pg_cluster.drop_database(url)


def test_labels_carry_the_series_meaning(central: Engine) -> None:
    ids = _inventory(central, "LB1", 3)
    labels = load_labels(central, ids)
    assert labels[ids[0]] == {
        "series_id": str(ids[0]),
        "site": "LB1",
        "rack": "LB1-R01",
        "device": "LB1-pdu-1",
        "metric": "temperature_c",
        "channel": "inlet-0",
        "channel_class": "part",
        "role": "inlet",
    }
    assert labels[ids[1]]["role"] == "" and labels[ids[1]]["channel_class"] == "outlet"


def test_vm_history_matches_rows_history_raw_and_downsampled(
    central: Engine,
    victoria: VictoriaMetrics,
    vmagent: VmAgent,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    ids = _inventory(central, "VM1", 42)
    end = (int(time.time()) // 900) * 900
    start = end - 2 * DAY
    rows = _rows(ids, start, end)
    writer = VictoriaWriter(central, vmagent.url)
    for i in range(0, len(rows), 50_000):
        writer.write(rows[i : i + 50_000])
    assert writer.push_stats.pushed == len(rows) and writer.push_stats.pending == 0
    writer.close()
    # The same rows as SQLite rows, the default back end, for comparison.
    lite_url = f"sqlite:///{tmp_path / 'rows.db'}"
    upgrade(lite_url)
    lite = make_engine(lite_url)
    sw = SampleWriter(lite)
    sw.write(rows)
    sw.flush()
    _settle(vmagent, victoria)
    vmh = VictoriaHistory(victoria.url)
    request.addfinalizer(vmh.close)

    # An hour comes back raw and identical.
    got = vmh.history(ids, end - 3600, end - 1, 2000)
    want = rows_history(lite, ids, end - 3600, end - 1, 2000)
    assert {s: len(h) for s, h in got.items()} == {s: 120 for s in ids}
    for sid in ids:
        assert got[sid].resolution == 0
        assert np.array_equal(got[sid].ts, want[sid].ts)
        assert np.allclose(got[sid].avg, want[sid].avg)

    # Two days at 192 points: 900 s steps from VictoriaMetrics' rollup functions.
    got = vmh.history(ids, start, end - 1, 192)
    want = rows_history(lite, ids, start, end - 1, 192)
    for sid in ids:
        g, w = got[sid], want[sid]
        assert g.resolution == w.resolution == 900
        assert len(g) == len(w) == 192
        assert np.array_equal(g.ts, w.ts)
        assert np.allclose(g.avg, w.avg, atol=1e-9)
        assert np.array_equal(g.lo, w.lo) and np.array_equal(g.hi, w.hi)
    lite.dispose()


def test_desks_find_vm_through_the_central_database(
    central: Engine, victoria: VictoriaMetrics, vmagent: VmAgent
) -> None:
    ids = _inventory(central, "DK1", 4)
    end = int(time.time()) - 60
    rows = _rows(ids, end - 7200, end)
    w = VictoriaWriter(central, vmagent.url)
    w.write(rows)
    w.close()
    _settle(vmagent, victoria)
    # Before the collector publishes where history lives, a desk reads (empty) rows.
    assert all(len(h) == 0 for h in history(central, ids, end - 7200, end).values())
    backend.publish_config(central, backend.HistoryConfig("victoria", victoria.url))
    backend.forget_readers()
    got = history(central, ids, end - 7200, end, 2000)
    assert {s: len(h) for s, h in got.items()} == {s: 240 for s in ids}
    # The snapshot's summaries come through the same reader.
    stats = _aggregate(central, ids, end - 7200, end)
    for sid in ids:
        vals = [v for s, _t, v in rows if s == sid]
        assert stats[sid][0] == pytest.approx(sum(vals) / len(vals))
        assert stats[sid][1] == pytest.approx(max(vals))
    with central.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sample")).scalar() == 0
        # latest and the change sequence still live in the database, for every desk.
        assert conn.execute(text("SELECT count(*) FROM latest")).scalar() == len(ids)


def test_vm_restart_and_vmagent_outage_lose_nothing(
    central: Engine, victoria: VictoriaMetrics, vmagent: VmAgent
) -> None:
    ids = _inventory(central, "RS1", 5)
    t0 = int(time.time()) - 3 * 3600
    writer = VictoriaWriter(central, vmagent.url)
    batches = [_rows(ids, t0 + 300 * i, t0 + 300 * (i + 1)) for i in range(30)]
    sent = 0
    for i, batch in enumerate(batches):
        if i == 5:
            victoria.stop(remove=False)  # the centre's VictoriaMetrics goes away
        if i == 12:
            victoria.restart()
        if i == 18:
            vmagent.stop(remove=False)  # the site's own vmagent goes away too
        if i == 22:
            vmagent.restart()
        writer.write(batch)
        sent += len(batch)
        if 18 <= i < 22:
            assert writer.push_stats.pending > 0  # kept in memory, in order
    assert writer.retry() == 0
    writer.close()
    _settle(vmagent, victoria)
    with VictoriaHistory(victoria.url) as vmh:
        counts = vmh.count(ids, t0, t0 + 300 * 30)
    assert sum(counts.values()) == sent
    assert writer.push_stats.failed_pushes > 0
