"""Scale-out bench: history back ends side by side, lease failover, a site link cut."""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import numpy.typing as npt
import yaml
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from models.db import make_engine, upgrade
from models.leases import device_owners
from models.schema import Device, Rack, Series, Site
from models.store.samples import SampleWriter, rows_history
from models.store.victoria import VictoriaHistory, VictoriaWriter
from monitors.lab import start_lab
from monitors.lab.daemons.common import REPO
from monitors.lab.daemons.pg import PgCluster
from monitors.lab.daemons.victoria import VictoriaMetrics, VmAgent
from monitors.lab.netns import SiteNamespace
from monitors.lab.netns import missing_reason as netns_missing
from monitors.lab.sites import (
    CollectorProcess,
    alarm_events_lost,
    app,
    app_env,
    pollers,
    queued_transitions,
    read_trace,
    samples_lost,
    series_of_devices,
    set_interval,
    wait_for,
)

OUT = Path(__file__).resolve().parent / "out" / "scale.json"
DAY = 86_400
STEP = 30


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# -- data shaped like the pilot zone ------------------------------------------------------------


def make_series(engine: Engine, n: int, site: str = "BZ1", per_rack: int = 42) -> list[int]:
    """n series in racks of per_rack (server temperatures, PSU power, PDU phases)."""
    kinds = [
        ("temperature_c", "inlet", "part", "inlet"),
        ("power_w", "psu1", "part", None),
        ("current_a", "phase-1", "phase", None),
        ("temperature_c", "cpu", "part", "cpu"),
    ]
    ids: list[int] = []
    with Session(engine) as s:
        st = Site(code=site, name=site)
        s.add(st)
        s.flush()
        for r in range((n + per_rack - 1) // per_rack):
            rack = Rack(site_id=st.id, name=f"R{r:04d}")
            s.add(rack)
            s.flush()
            dev = Device(
                site_id=st.id, rack_id=rack.id, name=f"r{r:04d}", kind="server", protocol="none"
            )
            s.add(dev)
            s.flush()
            for i in range(min(per_rack, n - len(ids))):
                metric, ch, cls, role = kinds[i % len(kinds)]
                ser = Series(
                    device_id=dev.id,
                    metric=metric,
                    channel=f"{ch}-{i}",
                    unit="",
                    channel_class=cls,
                    role=role,
                )
                s.add(ser)
                s.flush()
                ids.append(ser.id)
        s.commit()
    return ids


def pilot_rows(
    ids: list[int], start: int, end: int, seed: int = 1
) -> list[npt.NDArray[np.float64]]:
    """Ticks as (n, 3) arrays: random walks at the resolution devices report (0.1 °C, 1 W)."""
    rng = np.random.default_rng(seed)
    n = len(ids)
    kind = np.arange(n) % 4
    base = np.where(kind == 1, 300.0, np.where(kind == 2, 8.0, 24.0))
    cur = base + rng.normal(0, 1, n)
    sid = np.asarray(ids, dtype=np.float64)
    ticks = []
    for ts in range(start, end, STEP):
        cur += rng.normal(0, 0.05, n) * (base / 24.0)
        vals = np.where(kind == 1, np.round(cur), np.round(cur, 1))
        ticks.append(np.column_stack((sid, np.full(n, float(ts)), vals)))
    return ticks


def as_rows(a: npt.NDArray[np.float64]) -> list[tuple[int, int, float]]:
    """The row tuples SampleWriter takes (what a collector hands it)."""
    ids = a[:, 0].astype(np.int64).tolist()
    return list(zip(ids, a[:, 1].astype(np.int64).tolist(), a[:, 2].tolist(), strict=True))


def batches(ticks: list[npt.NDArray[np.float64]], per: int) -> Iterator[npt.NDArray[np.float64]]:
    for i in range(0, len(ticks), per):
        yield np.concatenate(ticks[i : i + per])


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def timed(fn: Callable[[], Any], repeat: int = 5) -> float:
    """Median wall ms of fn over repeat runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


# -- storage and queries ------------------------------------------------------------------------


def bench_storage(pg: PgCluster, work: Path, series: int, hours: float) -> dict[str, Any]:
    res: dict[str, Any] = {}
    end = (int(time.time()) // 3600) * 3600
    start = end - int(hours * 3600)
    vm = VictoriaMetrics(dedup_s=STEP, root=work / "vm-store")
    vm.start()
    agent = VmAgent(vm.url, root=work / "agent-store")
    agent.start()
    try:
        pg_url = pg.create_database("store")
        upgrade(pg_url)
        pg_eng = make_engine(pg_url)
        lite_path = work / "store.db"
        lite_url = f"sqlite:///{lite_path}"
        upgrade(lite_url)
        lite = make_engine(lite_url)
        ids = make_series(pg_eng, series)
        make_series(lite, series)
        ticks = pilot_rows(ids, start, end)
        total = sum(len(t) for t in ticks)
        log(f"storage: {series} series x {hours:g} h = {total:,} samples per back end")

        # VictoriaMetrics through vmagent, as a collector writes (batches of one tick).
        w = VictoriaWriter(pg_eng, agent.url)
        w.engine = None  # samples only: latest is the same work for every back end
        w.labels.update(_labels(pg_eng, ids))
        t = time.perf_counter()
        for b in batches(ticks, 10):
            w.write(b)
        push_s = time.perf_counter() - t
        w.close()
        wait_for(lambda: agent.pending_bytes() == 0, 120)
        vm_s = time.perf_counter() - t
        time.sleep(3)
        vm.flush()
        vm.stop(remove=False)  # a clean stop merges what is in memory into parts on disk
        vm_bytes = dir_bytes(vm.data)
        vm.restart()
        with VictoriaHistory(vm.url) as vmh:
            stored = sum(vmh.count(ids[:50], start, end).values())
        assert stored == 50 * len(ticks), (stored, 50 * len(ticks))
        res["ingest_samples_per_s_vm"] = round(total / vm_s)
        res["ingest_push_samples_per_s_vm_client"] = round(total / push_s)
        res["bytes_per_sample_vm"] = round(vm_bytes / total, 3)

        # PostgreSQL rows: the writer's COPY path with rollups.
        sw = SampleWriter(pg_eng)
        t = time.perf_counter()
        for b in batches(ticks, 10):
            sw.write(as_rows(b))
        sw.flush()
        pg_s = time.perf_counter() - t
        with pg_eng.connect() as conn:
            pg_bytes = int(
                conn.execute(
                    text(
                        "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_inherits i "
                        "JOIN pg_class c ON c.oid = i.inhrelid "
                        "WHERE i.inhparent = 'sample'::regclass"
                    )
                ).scalar_one()
            )
        res["ingest_samples_per_s_pg_copy"] = round(total / pg_s)
        res["bytes_per_sample_pg"] = round(pg_bytes / total, 2)

        # SQLite rows, the single-file default.
        lw = SampleWriter(lite)
        t = time.perf_counter()
        for b in batches(ticks, 10):
            lw.write(as_rows(b))
        lw.flush()
        lite_s = time.perf_counter() - t
        lite.dispose()
        res["ingest_samples_per_s_sqlite"] = round(total / lite_s)
        res["bytes_per_sample_sqlite"] = round(_sqlite_table_bytes(lite_path, "sample") / total, 2)
        res["storage_samples"] = total
        res["storage_series"] = series
        res["storage_hours"] = hours

        # The rack query: 42 series, 7 days at 30 s, at most 2000 points each.
        rack_ids = make_series(pg_eng, 42, site="RQ1")
        lite = make_engine(lite_url)
        lite_rack = make_series(lite, 42, site="RQ1")
        q_end = end
        q_start = q_end - 7 * DAY
        week = pilot_rows(rack_ids, q_start, q_end, seed=2)
        assert lite_rack == rack_ids  # same order of creation in both databases
        vw = VictoriaWriter(None, agent.url, labels=_labels(pg_eng, rack_ids))
        for b in batches(week, 120):
            vw.write(b)
        vw.close()
        pw = SampleWriter(pg_eng)
        lw = SampleWriter(lite)
        for b in batches(week, 120):
            rows = as_rows(b)
            pw.write(rows)
            lw.write(rows)
        pw.flush()
        lw.flush()
        wait_for(lambda: agent.pending_bytes() == 0, 120)
        time.sleep(3)
        vm.flush()
        with VictoriaHistory(vm.url) as vmh:
            t = time.perf_counter()
            got = vmh.history(rack_ids, q_start, q_end - 1, 2000)
            res["rack_7d_query_ms_vm_first"] = round((time.perf_counter() - t) * 1000, 1)
            assert min(len(h) for h in got.values()) > 1000
            # Repeats are what a desk does while a plot stays open (VictoriaMetrics caches).
            res["rack_7d_query_ms_vm"] = round(
                timed(lambda: vmh.history(rack_ids, q_start, q_end - 1, 2000)), 1
            )
        res["rack_7d_query_ms_pg"] = round(
            timed(lambda: rows_history(pg_eng, rack_ids, q_start, q_end - 1, 2000)), 1
        )
        res["rack_7d_query_ms_sqlite"] = round(
            timed(lambda: rows_history(lite, lite_rack, q_start, q_end - 1, 2000)), 1
        )
        lite.dispose()
        pg_eng.dispose()
    finally:
        agent.stop()
        vm.stop()
    return res


def _labels(engine: Engine, ids: list[int]) -> dict[int, dict[str, str]]:
    from models.store.victoria import load_labels

    return load_labels(engine, ids)


def _sqlite_table_bytes(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        try:
            return int(
                conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name = ?", (table,)).fetchone()[
                    0
                ]
            )
        except sqlite3.OperationalError:  # no dbstat in this build: the whole file
            return path.stat().st_size
    finally:
        conn.close()


# -- failover and link cut ----------------------------------------------------------------------


def bench_failover(
    pg: PgCluster, work: Path, ttl: int, beat: float, interval: int
) -> dict[str, Any]:
    vm = VictoriaMetrics(dedup_s=interval, root=work / "vm-fail")
    vm.start()
    agent = VmAgent(vm.url, root=work / "agent-fail")
    agent.start()
    lab = start_lab(
        work / "lab-fail",
        sites=1,
        racks=9,
        servers=2,
        seed=4,
        net=random.randint(100, 250),
        port_base=random.randint(21_000, 60_000),
    )
    procs: list[CollectorProcess] = []
    try:
        url = pg.create_database("fail")
        env = app_env(work / "fail")
        app(env, "db", "upgrade", "--db", url)
        app(env, "import", str(lab.out_dir / "inventory.yaml"), "--db", url)
        app(env, "credentials", "import", str(lab.out_dir / "credentials.yaml"))
        eng = make_engine(url)
        set_interval(eng, interval)
        site = lab.topology.sites[0].code
        procs = [
            CollectorProcess(f"f{i}", site, url, vm.url, agent.url, work, env, ttl_s=ttl,
                             heartbeat_s=beat, known_hosts=str(lab.out_dir / "known_hosts"))
            for i in range(3)
        ]  # fmt: skip
        for p in procs:
            p.start()
        with eng.connect() as conn:
            pollable = conn.execute(text("SELECT count(*) FROM device WHERE protocol <> 'none'"))
            n_dev = int(pollable.scalar_one())
        ok = wait_for(
            lambda: len(device_owners(eng)) == n_dev and len(set(device_owners(eng).values())) == 3,
            120,
        )
        assert ok, "collectors did not share the site"
        time.sleep(2 * interval)
        t_a = time.time()
        time.sleep(2 * interval)
        steady = pollers(read_trace([p.trace for p in procs]), t_a, time.time())
        double_steady = sum(1 for who in steady.values() if len(who) > 1)
        own = device_owners(eng)
        orphans = {d for d, o in own.items() if o == "f0"}
        log(f"failover: kill -9 f0 holding {len(orphans)} of {n_dev} devices (TTL {ttl} s)")
        procs[0].kill()
        t_kill = time.time()
        wait_for(
            lambda: (
                orphans
                <= set(pollers(read_trace([p.trace for p in procs[1:]]), t_kill, time.time()))
            ),
            ttl + 4 * beat + 60,
            step=0.2,
        )
        first: dict[int, float] = {}
        for poll in read_trace([c.trace for c in procs[1:]]):
            if poll.device in orphans and poll.wall >= t_kill and poll.device not in first:
                first[poll.device] = poll.wall
        failover_s = max(first.values()) - t_kill if len(first) == len(orphans) else float("nan")
        time.sleep(2 * interval)
        t_c = time.time()
        time.sleep(2 * interval)
        after = pollers(read_trace([p.trace for p in procs[1:]]), t_c, time.time())
        double_after = sum(1 for who in after.values() if len(who) > 1)
        eng.dispose()
        return {
            "failover_s": round(failover_s, 1),
            "failover_ttl_s": ttl,
            "failover_heartbeat_s": beat,
            "failover_devices": len(orphans),
            "devices_polled_twice_steady": double_steady + double_after,
        }
    finally:
        for p in procs:
            p.stop()
        lab.stop()
        agent.stop()
        vm.stop()


def bench_cut(work: Path, cut_s: float, interval: int) -> dict[str, Any]:
    """One site in a network namespace; its veth to the centre goes down for cut_s."""
    reason = netns_missing()
    if reason:
        log(f"link cut skipped: {reason}")
        return {"link_cut_skipped": reason}
    ns = SiteNamespace(f"rwbench{random.randint(100, 999)}", random.randint(1, 254))
    ns.create()
    pg = PgCluster(extra_listen=(ns.centre_ip,))
    vm = VictoriaMetrics(ns.centre_ip, dedup_s=interval, root=work / "vm-cut")
    vm.port = random.randint(30_000, 60_000)
    agent = VmAgent(vm.url, ns.site_ip, root=work / "agent-cut")
    agent.prefix = ns.exec_prefix()
    agent.port = random.randint(30_000, 60_000)
    agent.extra = [f"-httpListenAddr=:{agent.port}", "-remoteWrite.sendTimeout=15s"]
    lab_proc = None
    col = None
    try:
        pg.start()
        vm.start()
        agent.start()
        lab_dir = work / "lab-cut"
        lab_dir.mkdir()
        env = app_env(work / "cut")
        with (work / "lab-cut.log").open("ab") as lf:
            lab_proc = subprocess.Popen(
                [*ns.exec_prefix(), sys.executable, str(REPO / "app.py"), "lab", "--out",
                 str(lab_dir), "--sites", "1", "--racks", "6", "--servers", "2", "--seed", "8"],
                stdout=lf, stderr=subprocess.STDOUT, env=env, cwd=REPO,
            )  # fmt: skip
        wait_for(lambda: (lab_dir / "credentials.yaml").exists(), 60)
        time.sleep(2)
        url = pg.create_database("cut")
        app(env, "db", "upgrade", "--db", url)
        app(env, "import", str(lab_dir / "inventory.yaml"), "--db", url)
        app(env, "credentials", "import", str(lab_dir / "credentials.yaml"))
        eng = make_engine(url)
        set_interval(eng, interval)
        inv = yaml.safe_load((lab_dir / "inventory.yaml").read_text())
        site = inv["sites"][0]["code"]
        pdu = next(d for d in inv["sites"][0]["racks"][0]["devices"] if d["kind"] == "pdu")
        col = CollectorProcess("c0", site, url.replace("127.0.0.1", ns.centre_ip), vm.url,
                               f"http://127.0.0.1:{agent.port}", work, env,
                               known_hosts=str(lab_dir / "known_hosts"), netns=ns.name)  # fmt: skip
        col.start()
        assert wait_for(lambda: len(device_owners(eng)) > 0, 60), col.log.read_text()[-2000:]
        time.sleep(3 * interval)
        t_a = time.time()
        log(f"link cut: site {site} off the centre for {cut_s:g} s")
        ns.cut()
        t_cut = time.time()
        time.sleep(3)
        app(env, "lab", "--control", str(lab_dir), "inject", "phase-overload", "--device",
            pdu["name"], "--phase", "1")  # fmt: skip
        time.sleep(cut_s / 2)
        app(env, "lab", "--control", str(lab_dir), "clear", "all")
        time.sleep(max(0.0, t_cut + cut_s - time.time()))
        ns.restore()
        t_back = time.time()

        def caught_up() -> bool:
            with eng.connect() as conn:
                beat = conn.execute(
                    text("SELECT beat_ts FROM site_collector WHERE collector_id = 'c0'")
                ).scalar()
            try:
                return beat is not None and beat > t_back and agent.pending_bytes() == 0
            except OSError:
                return False

        wait_for(caught_up, 180)
        catch_up_s = time.time() - t_back
        time.sleep(2 * interval + 3)
        vm.flush()
        t_end = time.time()
        polls = read_trace([col.trace])
        dev_series = series_of_devices(eng)
        ids = [i for v in dev_series.values() for i in v]
        with VictoriaHistory(vm.url) as vmh:
            stored = vmh.raw_timestamps(ids, int(t_a) - 10, int(t_end) + 10)
        expected, lost = samples_lost(polls, dev_series, stored, interval, t_a, t_end - interval)
        in_cut, lost_cut = samples_lost(polls, dev_series, stored, interval, t_cut, t_back)
        with eng.connect() as conn:
            ev = conn.execute(
                text(
                    "SELECT a.key, e.to_state, e.ts FROM alarm_event e "
                    "JOIN alarm a ON a.id = e.alarm_id WHERE e.ts >= :a AND e.ts <= :b "
                    "ORDER BY e.id"
                ),
                {"a": int(t_cut), "b": int(t_back)},
            ).all()
        central = [(str(k), str(st), int(ts)) for k, st, ts in ev]
        # What the site's engine queued in its outbox during the cut (its log, local disk)
        # against what the centre holds afterwards.
        queued = queued_transitions(col.log, int(t_cut), int(t_back))
        lost_events = alarm_events_lost(queued, central)
        eng.dispose()
        return {
            "samples_lost_link_cut": lost_cut,
            "samples_lost_around_cut": lost,
            "samples_expected_link_cut": in_cut,
            "samples_expected_around_cut": expected,
            "alarm_events_link_cut": len(queued),
            "alarm_events_central_link_cut": len(central),
            "alarm_events_lost_link_cut": lost_events,
            "link_cut_s": cut_s,
            "link_cut_catch_up_s": round(catch_up_s, 1),
        }
    finally:
        if col is not None:
            col.stop()
        if lab_proc is not None and lab_proc.poll() is None:
            lab_proc.terminate()
            try:
                lab_proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                lab_proc.kill()
        agent.stop()
        vm.stop()
        pg.stop()
        ns.delete()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--series", type=int, default=2_000, help="series in the storage slice")
    ap.add_argument("--hours", type=float, default=24.0, help="hours of 30 s samples")
    ap.add_argument("--cut-s", type=float, default=120.0, help="link cut (10 min in production)")
    ap.add_argument("--ttl", type=int, default=30, help="lease TTL of the failover run")
    ap.add_argument("--heartbeat", type=float, default=10.0, help="lease heartbeat")
    ap.add_argument("--interval", type=int, default=10, help="poll interval in the scenarios")
    ap.add_argument("--skip", default="", help="comma list: storage,failover,cut")
    ap.add_argument("-o", "--out", type=Path, default=OUT)
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    started = time.perf_counter()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="rackwatch-scale-") as tmp:
        work = Path(tmp)
        pg = PgCluster()
        pg.start()
        try:
            if "storage" not in skip:
                results.update(bench_storage(pg, work, args.series, args.hours))
            if "failover" not in skip:
                results.update(bench_failover(pg, work, args.ttl, args.heartbeat, args.interval))
        finally:
            pg.stop()
        if "cut" not in skip:
            results.update(bench_cut(work, args.cut_s, args.interval))
    results["bench_seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    width = max(len(k) for k in results)
    print()
    for k in sorted(results):
        print(f"{k:<{width}}  {results[k]}")
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
