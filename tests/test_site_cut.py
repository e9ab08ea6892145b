"""A site in its own network namespace loses its link to the centre: nothing lost, no takeover."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, text

from models.db import make_engine
from models.leases import owners
from models.store.victoria import VictoriaHistory
from monitors.lab import LabHandle, start_lab
from monitors.lab.daemons.common import REPO
from monitors.lab.daemons.pg import PgCluster
from monitors.lab.daemons.pg import missing_reason as pg_missing
from monitors.lab.daemons.victoria import VictoriaMetrics, VmAgent
from monitors.lab.daemons.victoria import missing_reason as vm_missing
from monitors.lab.netns import SiteNamespace
from monitors.lab.netns import missing_reason as netns_missing
from monitors.lab.sites import (
    CollectorProcess,
    alarm_events_lost,
    app,
    app_env,
    queued_transitions,
    read_trace,
    samples_lost,
    series_of_devices,
    set_interval,
    wait_for,
)
from tests.daemons import require

pytestmark = pytest.mark.daemon

INTERVAL = 5
# The issue asks for 2 minutes; 60 s keeps the suite short and is already ten lease TTLs
# and twelve poll intervals (bench/scale.py runs the longer cut).
CUT_S = 60
SITE_B = "NB1"


@dataclass
class TwoSites:
    pg: PgCluster
    url: str
    engine: Engine
    vm: VictoriaMetrics
    agent_a: VmAgent
    agent_b: VmAgent
    ns: SiteNamespace
    lab_a: LabHandle
    lab_b_dir: Path
    site_a: str
    env_a: dict[str, str]
    env_b: dict[str, str]
    work: Path


def _start_lab_in(ns: SiteNamespace, out: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [
        *ns.exec_prefix(),
        sys.executable,
        str(REPO / "app.py"),
        "lab",
        "--out",
        str(out),
        "--sites",
        "1",
        "--racks",
        "3",
        "--servers",
        "1",
        "--seed",
        "5",
    ]
    with (out.parent / "lab-b.log").open("ab") as log:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO)


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoSites]:
    for reason in (pg_missing(), vm_missing(), netns_missing()):
        require(reason is None, reason or "")
    work = tmp_path_factory.mktemp("sites")
    n = random.randint(1, 254)
    ns = SiteNamespace(f"rwb{os.getpid() % 100000}", n)
    ns.create()
    procs: list[subprocess.Popen[bytes]] = []
    pg = PgCluster(extra_listen=(ns.centre_ip,))
    vm = VictoriaMetrics(ns.centre_ip, dedup_s=INTERVAL)
    vm.port = random.randint(30_000, 60_000)
    agent_a = VmAgent(vm.url)
    # Site B's vmagent lives in the namespace, on all of its (own) addresses.
    agent_b = VmAgent(vm.url, ns.site_ip)
    lab_a = None
    try:
        pg.start()
        vm.start()
        agent_a.start()
        agent_b.prefix = ns.exec_prefix()
        agent_b.port = random.randint(30_000, 60_000)
        # The collector in the namespace talks to it on 127.0.0.1, the test over the veth:
        # the later flag wins, so it listens on every address of the namespace (its own).
        agent_b.extra = [f"-httpListenAddr=:{agent_b.port}", "-remoteWrite.sendTimeout=15s"]
        agent_b.start()
        lab_a = start_lab(
            work / "lab-a",
            sites=1,
            racks=3,
            servers=1,
            seed=3,
            net=random.randint(100, 250),
            port_base=random.randint(21_000, 60_000),
        )
        env_a = app_env(work / "a")
        env_b = app_env(work / "b")
        lab_b_dir = work / "lab-b"
        lab_b_dir.mkdir()
        procs.append(_start_lab_in(ns, lab_b_dir, env_b))
        assert wait_for(lambda: (lab_b_dir / "credentials.yaml").exists(), 60)
        time.sleep(2)
        # Both labs call their site GA1: site B is renamed before import.
        inv = yaml.safe_load((lab_b_dir / "inventory.yaml").read_text())
        inv["sites"][0]["code"] = SITE_B
        (lab_b_dir / "inventory-nb1.yaml").write_text(yaml.safe_dump(inv))
        url = pg.create_database("central")
        app(env_a, "db", "upgrade", "--db", url)
        app(env_a, "import", str(lab_a.out_dir / "inventory.yaml"), "--db", url)
        app(env_a, "import", str(lab_b_dir / "inventory-nb1.yaml"), "--db", url)
        app(env_a, "credentials", "import", str(lab_a.out_dir / "credentials.yaml"))
        app(env_b, "credentials", "import", str(lab_b_dir / "credentials.yaml"))
        engine = make_engine(url)
        set_interval(engine, INTERVAL)
        yield TwoSites(
            pg,
            url,
            engine,
            vm,
            agent_a,
            agent_b,
            ns,
            lab_a,
            lab_b_dir,
            lab_a.topology.sites[0].code,
            env_a,
            env_b,
            work,
        )
        engine.dispose()
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if lab_a is not None:
            lab_a.stop()
        agent_b.stop()
        agent_a.stop()
        vm.stop()
        pg.stop()
        ns.delete()


def _site_devices(engine: Engine, code: str) -> set[int]:
    with engine.connect() as conn:
        return {
            int(r[0])
            for r in conn.execute(
                text(
                    "SELECT d.id FROM device d JOIN site s ON s.id = d.site_id "
                    "WHERE s.code = :c AND d.protocol <> 'none'"
                ),
                {"c": code},
            )
        }


def _events(engine: Engine, code: str, since: int, until: int) -> list[tuple[str, str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT a.key, e.to_state, e.ts FROM alarm_event e "
                "JOIN alarm a ON a.id = e.alarm_id JOIN site s ON s.id = a.site_id "
                "WHERE s.code = :c AND e.ts >= :a AND e.ts <= :b "
                "ORDER BY e.id"
            ),
            {"c": code, "a": since, "b": until},
        ).all()
    return [(str(k), str(st), int(ts)) for k, st, ts in rows]


def _site_b_collector(s: TwoSites) -> CollectorProcess:
    """Site B's collector "b0", inside the site's namespace, reaching the centre over it."""
    return CollectorProcess(
        "b0", SITE_B, s.url.replace("127.0.0.1", s.ns.centre_ip), s.vm.url,
        f"http://127.0.0.1:{s.agent_b.port}", s.work, s.env_b,
        known_hosts=str(s.lab_b_dir / "known_hosts"), netns=s.ns.name,
    )  # fmt: skip


def _caught_up(s: TwoSites, t_back: float) -> bool:
    """b0 has beaten since the link came back, and its vmagent holds nothing back."""
    with s.engine.connect() as conn:
        beat = conn.execute(
            text("SELECT beat_ts FROM site_collector WHERE collector_id = 'b0'")
        ).scalar()
    try:
        return beat is not None and beat > t_back and s.agent_b.pending_bytes() == 0
    except OSError:
        return False


def test_cut_site_keeps_polling_and_loses_nothing(sites: TwoSites) -> None:
    s = sites
    col_a = CollectorProcess(
        "a0", s.site_a, s.url, s.vm.url, s.agent_a.url, s.work, s.env_a,
        known_hosts=str(s.lab_a.out_dir / "known_hosts"),
    )  # fmt: skip
    col_b = _site_b_collector(s)
    col_a.start()
    col_b.start()
    try:
        b_devices = _site_devices(s.engine, SITE_B)
        assert wait_for(
            lambda: (
                set(owners(s.engine, SITE_B).values()) == {"b0"}
                and set(owners(s.engine, s.site_a).values()) == {"a0"}
            ),
            60,
        ), col_b.log.read_text()[-3000:]
        time.sleep(3 * INTERVAL)
        t_a = time.time()
        s.ns.cut()
        t_cut = time.time()
        # While cut off, a PDU phase of site B overloads and recovers: two transitions the
        # centre cannot see until the link is back.
        pdu = next(d for d in yaml.safe_load((s.lab_b_dir / "inventory.yaml").read_text())[
            "sites"][0]["racks"][0]["devices"] if d["kind"] == "pdu")  # fmt: skip
        time.sleep(3)
        app(s.env_b, "lab", "--control", str(s.lab_b_dir), "inject", "phase-overload",
            "--device", pdu["name"], "--phase", "1")  # fmt: skip
        time.sleep(CUT_S / 2)
        app(s.env_b, "lab", "--control", str(s.lab_b_dir), "clear", "all")  # fmt: skip
        time.sleep(max(0.0, t_cut + CUT_S - time.time()))
        s.ns.restore()
        t_back = time.time()

        ok = wait_for(lambda: _caught_up(s, t_back), 180)
        if not ok:
            with s.engine.connect() as conn:
                beat = conn.execute(
                    text("SELECT beat_ts FROM site_collector WHERE collector_id = 'b0'")
                ).scalar()
            agent_log = s.agent_b.log.read_text()[-3000:]
            pytest.fail(f"beat {beat} t_back {t_back} agent log: {agent_log}")
        time.sleep(2 * INTERVAL)
        t_end = time.time()
        assert col_b.proc is not None and col_b.proc.poll() is None

        polls = read_trace([col_a.trace, col_b.trace])
        during = [p for p in polls if p.collector == "b0" and t_cut + 1 < p.wall < t_back - 1]
        assert len({p.device for p in during}) == len(b_devices)  # it kept polling all of B
        # No takeover: site A's collector never polled a device of site B, and B kept its racks.
        assert not {p.device for p in polls if p.collector == "a0"} & b_devices
        assert set(owners(s.engine, SITE_B).values()) == {"b0"}

        time.sleep(2.5)
        s.vm.flush()
        dev_series = {d: ids for d, ids in series_of_devices(s.engine).items() if d in b_devices}
        all_ids = [i for ids in dev_series.values() for i in ids]
        with VictoriaHistory(s.vm.url) as vmh:
            stored = vmh.raw_timestamps(all_ids, int(t_a) - 10, int(t_end) + 10)
        b_polls = [p for p in polls if p.collector == "b0"]
        expected, lost = samples_lost(b_polls, dev_series, stored, INTERVAL, t_a, t_end - INTERVAL)
        in_cut, lost_in_cut = samples_lost(b_polls, dev_series, stored, INTERVAL, t_cut, t_back)
        assert in_cut > 0
        assert (lost, lost_in_cut) == (0, 0), (expected, lost, in_cut, lost_in_cut)

        # Alarm transitions made during the cut reached the centre afterwards, with their
        # own times: every one the site queued in its outbox while cut off is there.
        ev = _events(s.engine, SITE_B, int(t_cut), int(t_back))
        queued = queued_transitions(col_b.log, int(t_cut), int(t_back))
        assert queued
        assert alarm_events_lost(queued, ev) == 0, (queued, ev)
        raised = {k for k, st, _t in ev if st == "active"}
        assert raised, ev
        # In order: the overload raised during the cut, and cleared after it ended (during
        # the cut or just after, depending on how fast the phase current fell).
        later = _events(s.engine, SITE_B, int(t_cut), int(time.time()))
        for key in raised:
            states = [st for k, st, _t in later if k == key]
            assert "cleared" in states, later
            assert states.index("active") < states.index("cleared")
    finally:
        col_a.stop()
        col_b.stop()


def test_collector_restarted_while_cut_off_polls_its_saved_assignment(sites: TwoSites) -> None:
    s = sites
    col_b = _site_b_collector(s)
    col_b.start()
    try:
        b_devices = _site_devices(s.engine, SITE_B)
        assert wait_for(lambda: set(owners(s.engine, SITE_B).values()) == {"b0"}, 60)
        time.sleep(3 * INTERVAL)  # every device polled, its series saved with the beat
        s.ns.cut()
        time.sleep(INTERVAL)
        col_b.kill()  # a crash during the cut: no lease given back, nothing flushed
        log_from = col_b.log.stat().st_size
        col_b.start()  # the same collector id: the same state file and outbox
        t_restart = time.time()
        time.sleep(CUT_S / 2)
        s.ns.restore()
        t_back = time.time()

        assert wait_for(lambda: _caught_up(s, t_back), 180), col_b.log.read_text()[-3000:]
        time.sleep(2 * INTERVAL)
        t_end = time.time()
        log = col_b.log.read_bytes()[log_from:].decode(errors="replace")
        assert f"polling the {len(b_devices)} devices" in log, log[-3000:]
        assert "nothing to poll" not in log

        polls = [p for p in read_trace([col_b.trace]) if p.collector == "b0"]
        during = [p for p in polls if t_restart + INTERVAL < p.wall < t_back - 1]
        assert {p.device for p in during} == b_devices  # polled all of B inside the cut
        time.sleep(2.5)
        s.vm.flush()
        dev_series = {d: ids for d, ids in series_of_devices(s.engine).items() if d in b_devices}
        all_ids = [i for ids in dev_series.values() for i in ids]
        with VictoriaHistory(s.vm.url) as vmh:
            stored = vmh.raw_timestamps(all_ids, int(t_restart) - 10, int(t_end) + 10)
        expected, lost = samples_lost(polls, dev_series, stored, INTERVAL, t_restart, t_back)
        assert expected > 0
        assert lost == 0, (expected, lost)
        assert set(owners(s.engine, SITE_B).values()) == {"b0"}  # its leases, taken back
    finally:
        col_b.stop()


def test_grafana_dashboard_queries_answer_from_the_sites_samples(sites: TwoSites) -> None:
    """Every panel and variable of the shipped dashboard returns RackWatch's series."""
    import json
    import urllib.parse
    import urllib.request

    s = sites
    if not series_of_devices(s.engine):  # run alone: let site B's collector write some
        col = _site_b_collector(s)
        col.start()
        time.sleep(6 * INTERVAL)
        col.stop()
    time.sleep(2.5)
    s.vm.flush()
    with s.engine.connect() as conn:
        rack = conn.execute(
            text(
                "SELECT r.name FROM rack r JOIN site st ON st.id = r.site_id "
                "WHERE st.code = :c ORDER BY r.id LIMIT 1"
            ),
            {"c": SITE_B},
        ).scalar_one()

    def get(path: str, **params: str) -> Any:
        url = f"{s.vm.url}{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=30) as reply:
            data = json.load(reply)
        assert data["status"] == "success", data
        return data

    board = json.loads((REPO / "resources" / "deploy" / "grafana-rack.json").read_text())
    for var in board["templating"]["list"]:
        query = var.get("query")
        if not isinstance(query, dict):
            continue  # the data source picker
        # Grafana's label_values(selector, label) is the label values API.
        inner = query["query"].removeprefix("label_values(").removesuffix(")")
        selector, label = (p.strip() for p in inner.rsplit(",", 1))
        selector = selector.replace("$site", SITE_B)
        values = get(f"/api/v1/label/{label}/values", **{"match[]": selector})["data"]
        assert (SITE_B if label == "site" else rack) in values, (var["name"], values)
    now = int(time.time())
    for panel in board["panels"]:
        for target in panel["targets"]:
            expr = target["expr"].replace("$site", SITE_B).replace("$rack", rack)
            got = get("/api/v1/query_range", query=expr, start=str(now - 600), end=str(now),
                      step="30s")  # fmt: skip
            assert got["data"]["result"], (panel["title"], expr)
