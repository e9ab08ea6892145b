"""The collector under database outages, locks, kills and a full spool (issue 15)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from models.db import make_engine, upgrade
from models.schema import CollectorHeartbeat
from monitors.collection.collector import CollectorOptions
from monitors.collection.readings import PollResult
from monitors.collection.spool import Spool, SpoolFull
from monitors.lab.daemons.pg import PgCluster, missing_reason
from monitors.lab.daemons.snmp import SnmpsimServer
from monitors.lab.faults import (
    Recording,
    apc_pdus,
    collector_env,
    hold_sqlite_lock,
    rollup_mismatches,
    run_in_thread,
    snmp_driver,
    spooled,
    start_flood,
    stored,
    wait_for,
)
from tests.daemons import REPO, require
from tests.snmp_daemons import snmpsim_captures

__all__ = ["snmpsim_captures"]


# -- the spool on its own -----------------------------------------------------------------------


def test_spool_keeps_order_across_reopen_and_refuses_beyond_its_bound(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    spool = Spool(path, max_bytes=100)
    ids = [spool.append(f"batch-{i}".encode()) for i in range(5)]
    assert ids == sorted(ids)
    with pytest.raises(SpoolFull):
        spool.append(b"x" * 80)
    assert len(spool) == 5
    spool.ack(spool.oldest(1)[0].id)
    spool.close()
    again = Spool(path, max_bytes=100)  # a restart finds what was not acknowledged
    assert [e.payload for e in again] == [f"batch-{i}".encode() for i in range(1, 5)]
    assert again.bytes_used == 4 * len(b"batch-1")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    again.close()


# -- helpers -----------------------------------------------------------------------------------


# -- outages during collection ----------------------------------------------------------------


@pytest.mark.daemon
def test_sqlite_write_lock_held_by_another_process_loses_no_samples(
    engine: Engine, sqlite_url: str, snmpsim_captures: SnmpsimServer, tmp_path: Path
) -> None:
    apc_pdus(engine, snmpsim_captures.port, 4, interval_s=2)
    drv = Recording(snmp_driver({"apc": "apc_ap8853"}))
    opts = CollectorOptions(
        url=sqlite_url,
        duration_s=24,
        spool_path=str(tmp_path / "spool.sqlite"),
        db_timeout_s=1.0,
        retry_max_s=2.0,
        heartbeat_s=1.0,
    )
    thread, out = run_in_thread(opts, {"snmp": drv})
    wait_for(lambda: len(stored(engine)) > 50, 30, "first samples")
    locker = hold_sqlite_lock(Path(sqlite_url.removeprefix("sqlite:///")), 10)
    during = len(stored(engine))
    time.sleep(5)
    assert len(stored(engine)) == during  # nothing could be written meanwhile
    assert spooled(tmp_path / "spool.sqlite") > 0  # ... so it went to the spool
    locker.wait(30)
    thread.join(60)
    assert not thread.is_alive()
    assert out and not isinstance(out[0], BaseException), out
    want = drv.expected()
    got = stored(engine)
    assert want and want <= got, f"{len(want - got)} of {len(want)} samples lost"
    assert spooled(tmp_path / "spool.sqlite") == 0
    assert rollup_mismatches(engine) == []
    with engine.connect() as c:
        beat = c.execute(text("SELECT last_beat_ts, health FROM collector_heartbeat")).one()
    assert beat[1] == "ok" and beat[0] >= time.time() - 10


@pytest.fixture
def own_pg(tmp_path: Path) -> Iterator[PgCluster]:
    """A PostgreSQL cluster of this test alone, so it can be stopped and started."""
    reason = missing_reason()
    require(reason is None, reason or "")
    cluster = PgCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.mark.daemon
def test_postgresql_stopped_during_collection_loses_no_samples(
    own_pg: PgCluster, snmpsim_captures: SnmpsimServer, tmp_path: Path
) -> None:
    url = own_pg.create_database("outage")
    upgrade(url)
    engine = make_engine(url)
    apc_pdus(engine, snmpsim_captures.port, 4, interval_s=2)
    drv = Recording(snmp_driver({"apc": "apc_ap8853"}))
    opts = CollectorOptions(
        url=url,
        duration_s=26,
        spool_path=str(tmp_path / "spool.sqlite"),
        db_timeout_s=1.0,
        retry_max_s=2.0,
        heartbeat_s=1.0,
    )
    thread, out = run_in_thread(opts, {"snmp": drv})
    wait_for(lambda: len(stored(engine)) > 50, 30, "first samples")
    engine.dispose()
    own_pg.halt()
    time.sleep(10)
    own_pg.resume()
    thread.join(60)
    assert not thread.is_alive()
    assert out and not isinstance(out[0], BaseException), out
    want = drv.expected()
    got = stored(engine)
    assert want and want <= got, f"{len(want - got)} of {len(want)} samples lost"
    polled_while_down = [r for r in drv.results if r.ok]
    assert len(polled_while_down) > 20
    assert rollup_mismatches(engine) == []
    engine.dispose()


# -- stopping, kills and the spool bound (the headless collector as a process) ---------------


def _env(tmp_path: Path) -> dict[str, str]:
    env = collector_env(tmp_path, "apc_ap8853")
    env["RACKWATCH_DATA_DIR"] = str(tmp_path / "data")
    return env


@pytest.mark.daemon
def test_sigterm_while_database_locked_stops_in_seconds_and_next_run_replays(
    engine: Engine, sqlite_url: str, snmpsim_captures: SnmpsimServer, tmp_path: Path
) -> None:
    apc_pdus(engine, snmpsim_captures.port, 4, interval_s=1)
    env = _env(tmp_path)
    spool_file = tmp_path / "spool.sqlite"
    cmd = [sys.executable, str(REPO / "app.py"), "collect", "--db", sqlite_url]
    proc = subprocess.Popen(
        [*cmd, "--spool", str(spool_file)], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for(lambda: len(stored(engine)) > 20, 60, "first samples")
        locker = hold_sqlite_lock(Path(sqlite_url.removeprefix("sqlite:///")), 30)
        wait_for(lambda: spooled(spool_file) > 2, 30, "spooling")
        asked = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
        took = time.monotonic() - asked
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err[-2000:]
    assert took < 15, f"SIGTERM took {took:.1f} s"
    before = stored(engine)
    assert spooled(spool_file) > 0
    locker.kill()
    locker.wait()
    done = subprocess.run(
        [*cmd, "--spool", str(spool_file), "--duration", "3"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert spooled(spool_file) == 0
    assert len(stored(engine)) > len(before)
    assert rollup_mismatches(engine) == []


@pytest.mark.daemon
def test_spool_full_while_database_locked_exits_non_zero_and_says_why(
    engine: Engine, sqlite_url: str, snmpsim_captures: SnmpsimServer, tmp_path: Path
) -> None:
    apc_pdus(engine, snmpsim_captures.port, 4, interval_s=1)
    env = _env(tmp_path)
    db = Path(sqlite_url.removeprefix("sqlite:///"))
    locker = hold_sqlite_lock(db, 60)
    try:
        done = subprocess.run(
            [
                *(sys.executable, str(REPO / "app.py"), "collect", "--db", sqlite_url),
                *("--spool", str(tmp_path / "spool.sqlite"), "--spool-mb", "0.004"),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
        )
    finally:
        locker.kill()
        locker.wait()
    assert done.returncode == 3, done.stderr[-2000:]
    assert "CANNOT WRITE" in done.stderr
    assert "spool" in done.stderr and "full" in done.stderr


@pytest.mark.daemon
def test_three_kills_mid_bucket_keep_every_sample_and_rollups_equal_raw(
    engine: Engine, sqlite_url: str, snmpsim_captures: SnmpsimServer, tmp_path: Path
) -> None:
    apc_pdus(engine, snmpsim_captures.port, 6, interval_s=1)
    env = _env(tmp_path)
    cmd = [sys.executable, str(REPO / "app.py"), "collect", "--db", sqlite_url]
    committed: set[tuple[int, str, str, int]] = set()
    for kill in range(3):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            floor = len(committed) + 150
            wait_for(lambda floor=floor: len(stored(engine)) > floor, 60, f"samples {kill}")
            time.sleep(0.3 + 0.4 * kill)  # at different moments of a batch
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
        now = stored(engine)
        assert committed <= now  # nothing committed before a kill is lost
        committed = now
    # The open buckets of the last kill are rebuilt by the next start and flushed at its end.
    done = subprocess.run([*cmd, "--duration", "3"], env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert committed <= stored(engine)
    assert rollup_mismatches(engine) == []
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM rollup")).scalar_one() > 0
        beats = c.execute(text(f"SELECT count(*) FROM {CollectorHeartbeat.__tablename__}"))
        assert beats.scalar_one() == 4


def test_collect_once_exits_non_zero_when_no_device_could_be_polled(
    engine: Engine, sqlite_url: str, tmp_path: Path
) -> None:
    apc_pdus(engine, 9, 3)  # credential "apc" exists nowhere: every poll fails
    env = {
        **os.environ,
        "RACKWATCH_CONFIG_DIR": str(tmp_path / "config"),
        "RACKWATCH_LOG_DIR": str(tmp_path / "logs"),
        "RACKWATCH_DATA_DIR": str(tmp_path / "data"),
        "RACKWATCH_CREDENTIALS": "file",
    }
    done = subprocess.run(
        [sys.executable, str(REPO / "app.py"), "collect", "--db", sqlite_url, "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert "no device could be polled" in done.stderr


# -- a flood on the collector's SNMP port --------------------------------------------------------


@pytest.mark.daemon
def test_udp_flood_on_the_snmp_port_keeps_schedule_and_raises_no_alarm(
    engine: Engine, sqlite_url: str, snmpsim_captures: SnmpsimServer, tmp_path: Path
) -> None:
    from monitors.alarms.engine import make_hook

    devices, interval, flood_s = 8, 1, 10.0
    apc_pdus(engine, snmpsim_captures.port, devices, interval_s=interval)
    inner = snmp_driver({"apc": "apc_ap8853"})
    # The collector's own defaults: on 2 shared cores the flooder also slows snmpsim down.
    inner.timeout_s, inner.retries = 2.0, 1
    drv = Recording(inner)
    opts = CollectorOptions(
        url=sqlite_url,
        duration_s=flood_s + 8,
        spool_path=str(tmp_path / "spool.sqlite"),
        hooks=[make_hook(sqlite_url)],
    )
    thread, out = run_in_thread(opts, {"snmp": drv})
    wait_for(lambda: drv.inner.client is not None and drv.inner.client.fast_path(), 30, "socket")
    wait_for(lambda: len(drv.results) > 2 * devices, 30, "first polls")
    fast = drv.inner.client.fast_path()
    port = fast.local_ports()[0]
    started = time.time()
    flooder = start_flood(port, 20_000, flood_s)
    sent_line, _ = flooder.communicate(timeout=flood_s * 3)
    ended = time.time()
    thread.join(60)
    assert out and not isinstance(out[0], BaseException), out
    sent = int(sent_line.split()[1])
    assert sent >= 0.9 * 20_000 * flood_s, f"the flood reached only {sent} packets"
    assert fast.dropped_stranger >= 0.5 * sent  # the kernel may drop some; none were decoded
    assert fast.fallback_decodes == 0
    lo, hi = math.ceil(started) + 1, math.floor(ended) - 1  # whole seconds, as r.ts
    window = [r for r in drv.results if lo <= r.ts < hi]
    failed = [r for r in window if not r.ok]
    assert not failed, failed[:3]
    expected = devices * (hi - lo) / interval
    kept = len(window) / expected
    assert kept >= 0.95, f"{kept:.0%} of schedule under the flood"
    with engine.connect() as c:
        # The rack's real overload (8 PDUs answered by one capture) is not what a flood causes.
        alarms = c.execute(
            text("SELECT rule, message FROM alarm WHERE rule IN ('unreachable', 'stale')")
        ).all()
    assert alarms == [], alarms
    print(f"schedule kept under the flood: {kept:.1%} ({sent} packets)")


# -- discovery that finds nothing ----------------------------------------------------------------


def junk_reply(request: bytes) -> bytes:
    """A well-formed ~64 KB Response to request whose varbinds are junk outside any table."""
    from monitors.snmp import ber

    req = ber.decode_request(request)
    vbs = [
        (ber.encode_oid((1, 3, 6, 1, 9, 9, i)), ber.encode_value((ber.OCTET_STRING, b"?" * 48)))
        for i in range(1000)
    ]
    return ber.encode_response(req.version, req.community, req.request_id, 0, 0, vbs)


def data_is_walk(request: bytes) -> bool:
    from monitors.snmp import ber

    return ber.decode_request(request).pdu_type in (ber.GETNEXT, ber.GETBULK)


class GarbageThenRelay:
    """A loopback UDP agent relaying to a real one, except that the first `garbage` walk
    requests get 64 KB of junk (a device rebooting, or a middlebox mangling replies)."""

    def __init__(self, upstream_port: int, garbage: int) -> None:
        import socket

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.upstream = ("127.0.0.1", upstream_port)
        self.garbage = garbage
        self.requests = 0
        self.walks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import socket

        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.settimeout(2.0)
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            self.requests += 1
            walk = data_is_walk(data)
            self.walks += walk
            if self.requests <= self.garbage and walk:
                self.sock.sendto(junk_reply(data), addr)
                continue
            up.sendto(data, self.upstream)
            with contextlib.suppress(TimeoutError):
                self.sock.sendto(up.recvfrom(65535)[0], addr)
        up.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@pytest.mark.daemon
def test_garbage_during_discovery_is_empty_then_retried_never_ok(
    engine: Engine, snmpsim_captures: SnmpsimServer
) -> None:
    from sqlalchemy.orm import Session

    from models.inventory.device_specs import load_device_specs
    from models.schema import Device

    relay = GarbageThenRelay(snmpsim_captures.port, garbage=10_000)
    try:
        apc_pdus(engine, relay.port, 1)
        with Session(engine) as s:
            s.query(Device).update({"profile": "apc-rpdu"})
            s.commit()
        (spec,) = load_device_specs(engine)
        driver = snmp_driver({"apc": "apc_ap8853"})

        async def polls(n: int) -> list[PollResult]:
            try:
                return [await driver.poll(spec) for _ in range(n)]
            finally:
                await driver.close()  # its sockets belong to this event loop

        first = asyncio.run(polls(1))
        assert not first[0].ok and first[0].error_kind == "empty", first
        assert "found nothing to read" in (first[0].error or "")
        walks = relay.walks
        again = asyncio.run(polls(1))
        assert not again[0].ok, again  # still nothing: not OK, and ...
        assert relay.walks > walks  # ... discovery ran again instead of a cached empty plan
        relay.garbage = 0  # the device answers properly from now on
        later = asyncio.run(polls(1))
        assert later[0].ok and later[0].readings  # rediscovered, not a cached empty plan
    finally:
        relay.close()


def test_spooled_results_come_back_equal() -> None:
    from monitors.collection.collector import decode_results, encode_results
    from monitors.collection.readings import Reading

    results = [
        PollResult(
            7,
            1_800_000_000,
            True,
            (Reading("temperature_c", "Inlet", 21.5, "°C", "inlet", plausible=(0.0, 60.0)),),
            profile="akcp-sensorprobe",
            problems=("sensor fault: x",),
        ),
        PollResult(8, 1_800_000_001, False, error="timeout", error_kind="unreachable"),
    ]
    assert decode_results(encode_results(results)) == results


# -- secrets off command lines --------------------------------------------------------------------


def _children_cmdlines(pid: int) -> list[str]:
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[1]) == pid:
                out.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, IndexError, ValueError):
            continue
    return out


def test_shard_children_get_the_database_url_through_their_environment(
    engine: Engine, sqlite_url: str, tmp_path: Path
) -> None:
    apc_pdus(engine, 9, 2, interval_s=1)
    # The URL stands in for one with a password: it must not appear on any command line.
    env = {
        **os.environ,
        "RACKWATCH_CONFIG_DIR": str(tmp_path / "config"),
        "RACKWATCH_LOG_DIR": str(tmp_path / "logs"),
        "RACKWATCH_DATA_DIR": str(tmp_path / "data"),
        "RACKWATCH_CREDENTIALS": "file",
    }
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "app.py"), "collect", "--db", sqlite_url, "--workers", "2",
         "--duration", "8"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(lambda: len(_children_cmdlines(proc.pid)) == 2, 60, "two shard processes")
        children = _children_cmdlines(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    assert all("--shard" in c for c in children), children
    assert not [c for c in children if sqlite_url in c or "rackwatch.db" in c], children


@pytest.mark.daemon
def test_probe_reads_the_community_from_stdin(snmpsim_captures: SnmpsimServer) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "app.py"), "probe", f"127.0.0.1:{snmpsim_captures.port}",
         "--community", "-", "--json"],
        input="apc_ap8853\n", capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"apc-rpdu"' in done.stdout or "apc" in done.stdout
