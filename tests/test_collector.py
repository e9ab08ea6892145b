"""The collector against real agents: snmpsim captures, snmpd faults and a real sshd."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from models.db import make_engine
from models.inventory.device_specs import DeviceSpec
from models.read.unmonitored import unmonitored
from models.schema import (
    CollectorHeartbeat,
    Device,
    DeviceState,
    PollRequest,
    Sample,
    Series,
)
from models.store.samples import SampleWriter
from monitors.collection.collector import Collector, CollectorOptions
from monitors.collection.drivers import SshDriver
from monitors.collection.readings import PollResult
from monitors.collection.targets import SshCredential
from monitors.lab.daemons.common import free_port
from monitors.lab.daemons.snmp import SnmpdAgent, SnmpsimServer
from monitors.lab.daemons.ssh import TEST_USER, SshdFactory, keygen
from monitors.lab.faults import (
    apc_pdus,
    collector_env,
    one_rack_site,
    pdu_device,
    snmp_driver,
)
from tests.daemons import REPO
from tests.snmp_daemons import snmpd_agent, snmpsim_captures
from tests.ssh_daemons import sshd, sshd_factory

__all__ = ["snmpd_agent", "snmpsim_captures", "sshd", "sshd_factory"]

pytestmark = pytest.mark.daemon  # every test here runs real agents or tools


def _run(engine: Engine, url: str, drivers: dict, **kw: object) -> object:
    opts = CollectorOptions(url=url, **kw)  # type: ignore[arg-type]
    return asyncio.run(Collector(opts, drivers).run())


def _states(engine: Engine) -> dict[str, DeviceState]:
    with Session(engine) as s:
        rows = s.execute(select(Device.name, DeviceState).join(DeviceState)).all()
        return {name: st for name, st in rows}


def test_collect_once_mixed_inventory_survives_every_fault(
    engine: Engine,
    sqlite_url: str,
    snmpsim_captures: SnmpsimServer,
    snmpd_agent: SnmpdAgent,
    sshd_factory: SshdFactory,
    tmp_path: Path,
) -> None:
    good_ssh = sshd_factory("dell")
    broken_ssh = sshd_factory("broken")
    changed_key = sshd_factory("hpe")
    # The host we knew had another key: what a re-installed or spoofed server looks like.
    changed_key.write_known_hosts(keygen(tmp_path / "old_host_key"))
    known = tmp_path / "known_hosts"
    known.write_text(
        "".join(p.known_hosts.read_text() for p in (good_ssh, broken_ssh, changed_key))
    )
    dead_port = free_port()
    with Session(engine) as s:
        site, rack = one_rack_site(s)
        s.add_all(
            [
                pdu_device(
                    site,
                    rack,
                    "pdu-apc",
                    address="127.0.0.1",
                    port=snmpsim_captures.port,
                    credential="apc",
                ),
                pdu_device(
                    site, rack, "pdu-dead", address="127.0.0.1", port=dead_port, credential="apc"
                ),
                pdu_device(
                    site,
                    rack,
                    "pdu-wrong-community",
                    address="127.0.0.1",
                    port=snmpd_agent.port,
                    credential="wrong",
                ),
                pdu_device(
                    site,
                    rack,
                    "agent-no-profile",
                    address="127.0.0.1",
                    port=snmpd_agent.port,
                    credential="snmpd",
                ),
                pdu_device(
                    site,
                    rack,
                    "pdu-no-credential",
                    address="127.0.0.1",
                    port=snmpsim_captures.port,
                    credential="missing",
                ),
                pdu_device(
                    site,
                    rack,
                    "srv-ssh",
                    kind="server",
                    protocol="ssh",
                    address="127.0.0.1",
                    port=good_ssh.port,
                    credential="ssh",
                ),
                pdu_device(
                    site,
                    rack,
                    "srv-broken",
                    kind="server",
                    protocol="ssh",
                    address="127.0.0.1",
                    port=broken_ssh.port,
                    credential="ssh",
                ),
                pdu_device(
                    site,
                    rack,
                    "srv-changed-key",
                    kind="server",
                    protocol="ssh",
                    address="127.0.0.1",
                    port=changed_key.port,
                    credential="ssh",
                ),
            ]
        )
        s.commit()

    snmp = snmp_driver(
        {"apc": "apc_ap8853", "wrong": "not-the-community", "snmpd": snmpd_agent.community}
    )

    def ssh_cred(name: str | None) -> SshCredential:
        return SshCredential(user=TEST_USER, key_file=str(good_ssh.client_key))

    # Every sshd of the factory trusts the same client key directory layout; copy it around.
    for other in (broken_ssh, changed_key):
        other.base.joinpath("authorized_keys").write_text(
            good_ssh.base.joinpath("authorized_keys").read_text()
        )
    drivers = {"snmp": snmp, "ssh": SshDriver(ssh_cred, str(known))}
    report = _run(engine, sqlite_url, drivers, once=True)

    states = _states(engine)
    assert states["pdu-apc"].status == "ok", states["pdu-apc"].error
    assert states["pdu-apc"].detected_profile == "apc-rpdu"
    assert states["srv-ssh"].status == "ok", states["srv-ssh"].error
    assert states["pdu-dead"].status == "unreachable"
    assert f"127.0.0.1:{dead_port}" in (states["pdu-dead"].error or "")
    assert states["pdu-wrong-community"].status == "unreachable"
    assert "pdu-wrong-community" in (states["pdu-wrong-community"].error or "")
    assert states["pdu-no-credential"].status == "error"
    assert "missing" in (states["pdu-no-credential"].error or "")
    assert states["srv-changed-key"].status != "ok"
    assert "SHA256:" in (states["srv-changed-key"].error or "")
    # Broken tool output still gives a verdict instead of killing the poll.
    assert states["srv-broken"].status in {"ok", "error"}
    # The state names why a device gives no data, in the words probe uses.
    reasons = {name: st.reason for name, st in states.items()}
    assert reasons["pdu-apc"] == "ok" and reasons["srv-ssh"] == "ok"
    assert reasons["pdu-dead"] == "timeout"
    assert reasons["pdu-wrong-community"] == "timeout"
    assert reasons["agent-no-profile"] == "no_profile", states["agent-no-profile"].error
    assert reasons["srv-changed-key"] == "auth"
    assert reasons["pdu-no-credential"] == "error"
    listed = {u.device: u.reason for u in unmonitored(engine)}
    assert "pdu-apc" not in listed and "srv-ssh" not in listed
    assert listed["agent-no-profile"] == "no_profile"
    assert listed["pdu-dead"] == "timeout"
    assert report.polls_ok >= 2  # type: ignore[attr-defined]

    with Session(engine) as s:
        by_device = dict(
            s.execute(
                select(Device.name, func.count(Sample.ts))
                .join(Series, Series.device_id == Device.id)
                .join(Sample, Sample.series_id == Series.id)
                .group_by(Device.name)
            ).all()
        )
        metrics = set(
            s.scalars(select(Series.metric).join(Device).where(Device.name == "pdu-apc")).all()
        )
        latest = s.execute(text("SELECT count(*) FROM latest")).scalar_one()
    assert by_device.get("pdu-apc", 0) >= 3
    assert by_device.get("srv-ssh", 0) >= 3
    assert {"current_a", "power_w"} & metrics
    assert latest == sum(by_device.values())


def test_poll_now_request_repolls_before_the_interval(
    engine: Engine, sqlite_url: str, snmpsim_captures: SnmpsimServer
) -> None:
    with Session(engine) as s:
        site, rack = one_rack_site(s)
        dev = pdu_device(
            site,
            rack,
            "pdu-apc",
            address="127.0.0.1",
            port=snmpsim_captures.port,
            credential="apc",
            poll_interval_s=3600,
        )
        s.add(dev)
        s.commit()
        dev_id = dev.id
    snmp = snmp_driver({"apc": "apc_ap8853"})

    async def scenario() -> None:
        opts = CollectorOptions(url=sqlite_url, requests_s=0.2)
        collector = Collector(opts, {"snmp": snmp})
        task = asyncio.create_task(collector.run())
        # The first poll is spread over the (one hour) interval; ask for one now.
        await asyncio.sleep(0.5)
        with Session(engine) as s:
            s.add(PollRequest(kind="poll_now", device_id=dev_id, requested_ts=int(time.time())))
            s.commit()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            st = _states(engine).get("pdu-apc")
            if st is not None and st.status == "ok":
                break
            await asyncio.sleep(0.2)
        assert collector.stop_event is not None
        collector.stop_event.set()
        await task

    asyncio.run(scenario())
    assert _states(engine)["pdu-apc"].status == "ok"
    with Session(engine) as s:
        done = s.scalars(select(PollRequest.done_ts)).one()
    assert done is not None


@pytest.mark.parametrize("shards", [2])
def test_shards_split_devices_without_overlap(
    engine: Engine, sqlite_url: str, snmpsim_captures: SnmpsimServer, shards: int
) -> None:
    apc_pdus(engine, snmpsim_captures.port, 6)
    seen: list[set[int]] = []
    for shard in range(shards):
        opts = CollectorOptions(url=sqlite_url, shard=shard, shards=shards, once=True)
        collector = Collector(opts, {"snmp": snmp_driver({"apc": "apc_ap8853"})})
        seen.append(set(collector.devices))
        asyncio.run(collector.run())
    assert not seen[0] & seen[1]
    assert len(seen[0] | seen[1]) == 6
    assert all(st.status == "ok" for st in _states(engine).values())


def _sample_keys(url: str) -> set[tuple[int, int]]:
    eng = make_engine(url)
    try:
        with eng.connect() as c:
            return {(r[0], r[1]) for r in c.execute(text("SELECT series_id, ts FROM sample"))}
    finally:
        eng.dispose()


def test_sigkill_mid_batch_keeps_database_intact_and_collection_resumes(
    engine: Engine, sqlite_url: str, snmpsim_captures: SnmpsimServer, tmp_path: Path
) -> None:
    apc_pdus(engine, snmpsim_captures.port, 20, interval_s=1)
    engine.dispose()
    env = collector_env(tmp_path, "apc_ap8853")
    cmd = [sys.executable, str(REPO / "app.py"), "collect", "--db", sqlite_url]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(_sample_keys(sqlite_url)) < 500:
            time.sleep(0.3)
        # Kill while batches keep landing: no chance to flush or close anything.
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        err = proc.stderr.read().decode()[-2000:] if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
    before = _sample_keys(sqlite_url)
    assert len(before) >= 500, err
    check = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    try:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        check.close()

    done = subprocess.run(
        [*cmd, "--duration", "4"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    after = _sample_keys(sqlite_url)
    assert before <= after
    assert len(after) > len(before)
    with Session(make_engine(sqlite_url)) as s:
        beats = s.scalars(select(CollectorHeartbeat.collector_id)).all()
    assert len(beats) == 2
    # The headless collector logs under the platform's log directory ($RACKWATCH_LOG_DIR).
    log = (tmp_path / "logs" / "collector.log").read_text()
    assert "stopped: polls_ok=" in log


def test_apc_rpdu2_power_factor_and_apparent_power(snmpsim_captures: SnmpsimServer) -> None:
    # Not in the reference system's expectations: checked against the AP8853 capture by hand
    # (power 1.14 kW, apparent power 1.19 kVA, power factor 0.96 = 1.14 / 1.19).
    spec = DeviceSpec(
        1, "pdu", "T1", "R01", 1, "pdu", "127.0.0.1", snmpsim_captures.port, "snmp", None, "apc", 60
    )
    driver = snmp_driver({"apc": "apc_ap8853"})

    async def go() -> PollResult:
        try:
            return await driver.poll(spec)
        finally:
            await driver.close()

    result = asyncio.run(go())
    assert result.ok, result.error
    got = {(r.metric, r.channel): r.value for r in result.readings}
    assert got[("power_w", "device 1")] == pytest.approx(1140)
    assert got[("apparent_power_va", "device 1")] == pytest.approx(1190)
    assert got[("power_factor", "device 1")] == pytest.approx(0.96)


def test_collect_workers_two_processes_share_the_devices(
    engine: Engine, sqlite_url: str, snmpsim_captures: SnmpsimServer, tmp_path: Path
) -> None:
    apc_pdus(engine, snmpsim_captures.port, 8)
    engine.dispose()
    env = collector_env(tmp_path, "apc_ap8853")
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "app.py"),
            "collect",
            "--db",
            sqlite_url,
            "--once",
            "--workers",
            "2",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with Session(make_engine(sqlite_url)) as s:
        beats = s.execute(select(CollectorHeartbeat.shard, CollectorHeartbeat.devices)).all()
        states = s.scalars(select(DeviceState.status)).all()
    assert sorted(beats) == [("0/2", 4), ("1/2", 4)]
    assert states == ["ok"] * 8


def test_collector_applies_retention_while_it_runs(
    engine: Engine, sqlite_url: str, snmpsim_captures: SnmpsimServer
) -> None:
    apc_pdus(engine, snmpsim_captures.port, 1, interval_s=1)
    old = int(time.time()) - 20 * 86_400
    SampleWriter(engine).write([(999, old + i * 60, 1.0) for i in range(100)])
    opts = CollectorOptions(url=sqlite_url, duration_s=3, retention_every_s=0.5)
    asyncio.run(Collector(opts, {"snmp": snmp_driver({"apc": "apc_ap8853"})}).run())
    keys = _sample_keys(sqlite_url)
    assert not [k for k in keys if k[0] == 999], "raw samples older than 14 days must go"
    assert keys, "fresh samples stay"
