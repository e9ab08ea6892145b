"""A running lab answers real net-snmp and OpenSSH clients; its incidents show in what they read."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest
import yaml

from monitors.lab import LabHandle, send_control, start_lab
from monitors.lab.daemons.common import find_binary
from monitors.lab.topology import LabDevice, LabPdu, LabServer
from monitors.ssh.commands import POLL_COMMAND
from monitors.ssh.parsers import parse_poll_output
from tests.daemons import REPO, require

SNMPGET = find_binary("snmpget")
SNMPWALK = find_binary("snmpwalk")
SNMPBULKWALK = find_binary("snmpbulkwalk")
SSH = find_binary("ssh")

pytestmark = pytest.mark.daemon  # every test here runs real agents or tools


class Clock:
    """Wall clock the test can move forward, so minutes of physics pass in no time."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, clock: Clock) -> Iterator[LabHandle]:
    out = tmp_path_factory.mktemp("lab")
    handle = start_lab(
        out,
        sites=1,
        racks=3,
        servers=4,
        seed=7,
        net=random.randint(100, 250),  # parallel test runs must not share addresses
        port_base=random.randint(21_000, 60_000),
        clock=clock,
    )
    yield handle
    handle.stop()


def _community(lab: LabHandle) -> str:
    doc = yaml.safe_load((lab.out_dir / "credentials.yaml").read_text(encoding="utf-8"))
    return str(doc["credentials"]["lab-snmp"]["community"])


def _snmp(tool: str | None, lab: LabHandle, dev: LabDevice, *args: str) -> str:
    require(tool is not None, "net-snmp client tools (Debian package snmp) are not installed")
    assert tool is not None
    cmd = [tool, "-v2c", "-c", _community(lab), "-On", "-t", "1", "-r", "1"]
    cmd += [f"{dev.address}:{dev.port}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout


def _pdu(lab: LabHandle, vendor: str) -> LabPdu:
    return next(p for p in lab.topology.pdus() if p.vendor == vendor and p.feed == "A")


def _server(lab: LabHandle, management: str) -> LabServer:
    return next(s for s in lab.topology.servers() if s.management == management)


def test_files_for_import_are_written(lab: LabHandle) -> None:
    out = lab.out_dir
    inv = yaml.safe_load((out / "inventory.yaml").read_text(encoding="utf-8"))
    names = {d["name"] for s in inv["sites"] for r in s["racks"] for d in r["devices"]}
    assert {d.name for d in lab.topology.devices()} <= names
    assert (out / "credentials.yaml").stat().st_mode & 0o077 == 0
    hosts = (out / "known_hosts").read_text(encoding="utf-8").splitlines()
    assert len(hosts) == len(lab.ssh.servers) > 0
    assert all(line.startswith("[127.") and " ecdsa-sha2-nistp256 " in line for line in hosts)


def test_import_and_collect_once_yields_samples_for_every_device_kind(
    lab: LabHandle, tmp_path: Path, sqlite_url: str
) -> None:
    import os

    env = {
        **os.environ,
        "RACKWATCH_CREDENTIALS": "file",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }

    def app(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(REPO / "app.py"), *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO,
            env=env,
        )

    out = lab.out_dir
    for args in (
        ("import", str(out / "inventory.yaml"), "--db", sqlite_url),
        ("credentials", "import", str(out / "credentials.yaml")),
        ("collect", "--once", "--db", sqlite_url, "--known-hosts", str(out / "known_hosts")),
    ):
        res = app(*args)
        assert res.returncode == 0, f"{args[0]}: {res.stderr[-2000:]}"
    from sqlalchemy import text

    from models.db import make_engine

    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            per_kind: dict[str, int] = dict(
                conn.execute(
                    text(
                        "SELECT d.kind, count(*) FROM sample x JOIN series s ON s.id = x.series_id "
                        "JOIN device d ON d.id = s.device_id GROUP BY d.kind"
                    )
                ).all()
            )
            failed = conn.execute(
                text("SELECT count(*) FROM device_state WHERE status != 'ok'")
            ).scalar()
    finally:
        engine.dispose()
    assert set(per_kind) == {"pdu", "sensor", "server"}
    assert min(per_kind.values()) > 0
    assert failed == 0


def test_snmpget_reads_identity_and_live_values(lab: LabHandle) -> None:
    pdu = _pdu(lab, "apc")
    out = _snmp(SNMPGET, lab, pdu, "1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.1.5.0")
    assert ".1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.318.1.3.4.6" in out
    assert pdu.name in out
    # rPDU2DeviceStatusPower (hundredths of kW) agrees with the physics at this instant.
    out = _snmp(SNMPGET, lab, pdu, "-Oqv", "1.3.6.1.4.1.318.1.1.26.4.3.1.5.1")
    watts = int(out.strip()) * 10
    assert watts == pytest.approx(lab.physics.pdu(pdu, lab.clock()).power_w, abs=15)


def test_snmpwalk_v1_and_bulkwalk_cover_the_vendor_tables(lab: LabHandle) -> None:
    require(SNMPWALK is not None, "snmpwalk is not installed")
    pdu = _pdu(lab, "raritan")
    assert SNMPWALK is not None
    cmd = [SNMPWALK, "-v1", "-c", _community(lab), "-On", f"{pdu.address}:{pdu.port}"]
    v1 = subprocess.run([*cmd, "1.3.6.1.4.1.13742.6.5.4.3.1.4"], capture_output=True, text=True)
    rows = [ln for ln in v1.stdout.splitlines() if "Gauge32" in ln]
    assert len(rows) == pdu.outlets * 7  # 7 sensors per metered outlet
    bulk = _snmp(SNMPBULKWALK, lab, _pdu(lab, "sentry4"), "1.3.6.1.4.1.1718.4.1.4.3.1.3")
    assert bulk.count("INTEGER") == _pdu(lab, "sentry4").phases


def test_wrong_community_gets_no_answer(lab: LabHandle) -> None:
    require(SNMPGET is not None, "snmpget is not installed")
    assert SNMPGET is not None
    pdu = _pdu(lab, "apc")
    cmd = [SNMPGET, "-v2c", "-c", "not-the-community", "-t", "0.3", "-r", "0"]
    res = subprocess.run(
        [*cmd, f"{pdu.address}:{pdu.port}", "1.3.6.1.2.1.1.5.0"], capture_output=True, text=True
    )
    assert res.returncode != 0 and "Timeout" in res.stderr


def _ssh(lab: LabHandle, srv: LabServer, command: str) -> subprocess.CompletedProcess[str]:
    require(SSH is not None, "OpenSSH client (ssh) is not installed")
    assert SSH is not None
    cmd = [
        SSH,
        "-F",
        "/dev/null",
        "-o",
        f"UserKnownHostsFile={lab.out_dir / 'known_hosts'}",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-i",
        str(lab.out_dir / "lab_ssh_key"),
        "-p",
        str(srv.port),
        f"rackwatch@{srv.address}",
        command,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


def test_openssh_client_runs_ipmitool_with_host_key_checking(lab: LabHandle) -> None:
    srv = _server(lab, "ssh")
    res = _ssh(lab, srv, "ipmitool sdr elist")
    assert res.returncode == 0, res.stderr
    assert "Inlet Temp" in res.stdout and "Pwr Consumption" in res.stdout
    res = _ssh(lab, srv, "no-such-tool")
    assert res.returncode == 127 and "not found" in res.stderr


def _paramiko(lab: LabHandle, srv: LabServer) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.load_host_keys(str(lab.out_dir / "known_hosts"))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(
        srv.address,
        port=srv.port,
        username="rackwatch",
        key_filename=str(lab.out_dir / "lab_ssh_key"),
        look_for_keys=False,
        allow_agent=False,
        timeout=10,
    )
    return client


def test_poll_command_output_parses_cleanly_and_matches_physics(lab: LabHandle) -> None:
    srv = _server(lab, "ssh")
    client = _paramiko(lab, srv)
    try:
        _, stdout, _ = client.exec_command(POLL_COMMAND, timeout=10)
        text = stdout.read().decode()
    finally:
        client.close()
    result = parse_poll_output(text)
    assert result.problems == ()
    by_channel = {(r.metric, r.channel): r.value for r in result.readings}
    power = by_channel[("power_w", "DCMI instantaneous")]
    assert power == pytest.approx(lab.physics.server(srv, lab.clock()).power_w, abs=20)
    assert ("temperature_c", "Inlet Temp") in by_channel


def test_cooling_failure_raises_inlet_read_over_snmp(lab: LabHandle, clock: Clock) -> None:
    srv = _server(lab, "idrac")
    inlet_oid = "1.3.6.1.4.1.674.10892.5.4.700.20.1.6.1.3"  # System Board Inlet Temp
    before = int(_snmp(SNMPGET, lab, srv, "-Oqv", inlet_oid).strip()) / 10
    ev = lab.inject("cooling-failure", site=srv.rack.site.code, row=srv.rack.row)
    try:
        clock.offset += 900  # fifteen minutes later
        after = int(_snmp(SNMPGET, lab, srv, "-Oqv", inlet_oid).strip()) / 10
    finally:
        lab.clear(ident=ev.id)
        clock.offset += 3600
    assert after > before + 8.0


def test_phase_overload_shows_on_the_pdu_line(lab: LabHandle) -> None:
    pdu = _pdu(lab, "sentry4")
    line1 = "1.3.6.1.4.1.1718.4.1.4.3.1.3.1.1.1"  # st4LineCurrent, hundredths of A
    before = int(_snmp(SNMPGET, lab, pdu, "-Oqv", line1).strip()) / 100
    ev = lab.inject("phase-overload", device=pdu.name, phase=1)
    try:
        after = int(_snmp(SNMPGET, lab, pdu, "-Oqv", line1).strip()) / 100
    finally:
        lab.clear(ident=ev.id)
    assert after > pdu.rated_a > before


def test_pdu_down_stops_answering_and_comes_back(lab: LabHandle) -> None:
    pdu = _pdu(lab, "apc")
    ev = lab.inject("pdu-down", device=pdu.name)
    try:
        assert _snmp(SNMPGET, lab, pdu, "1.3.6.1.2.1.1.5.0") == ""
    finally:
        lab.clear(ident=ev.id)
    assert pdu.name in _snmp(SNMPGET, lab, pdu, "1.3.6.1.2.1.1.5.0")


def test_probe_nonsense_reports_impossible_temperatures(lab: LabHandle) -> None:
    probe = lab.topology.probes()[0]
    raw_oid = "1.3.6.1.4.1.3854.1.2.2.1.16.1.14.0"  # tenths of a degree
    sane = int(_snmp(SNMPGET, lab, probe, "-Oqv", raw_oid).strip()) / 10
    ev = lab.inject("probe-nonsense", device=probe.name)
    try:
        crazy = int(_snmp(SNMPGET, lab, probe, "-Oqv", raw_oid).strip()) / 10
    finally:
        lab.clear(ident=ev.id)
    assert -10 < sane < 120
    assert crazy > 500 or crazy < -200


def test_host_key_change_is_refused_by_clients(lab: LabHandle) -> None:
    srv = [s for s in lab.topology.servers() if s.management == "ssh"][-1]
    _paramiko(lab, srv).close()
    result = send_control(
        lab.out_dir, {"action": "inject", "kind": "hostkey-change", "device": srv.name}
    )
    assert result["ok"], result
    with pytest.raises(paramiko.BadHostKeyException):
        _paramiko(lab, srv)
    res = _ssh(lab, srv, "true")
    assert res.returncode == 255 and "IDENTIFICATION HAS CHANGED" in res.stderr


def test_control_rejects_unknown_targets(lab: LabHandle) -> None:
    result = send_control(lab.out_dir, {"action": "inject", "kind": "pdu-down", "device": "nope"})
    assert result == {"ok": False, "error": "no lab device named 'nope'"}


def test_inventory_imports_and_backfill_writes_collector_series(
    lab: LabHandle, sqlite_url: str
) -> None:
    from sqlalchemy import text

    import app
    from models.db import make_engine
    from monitors.lab.backfill import backfill

    assert app.main(["import", str(lab.out_dir / "inventory.yaml"), "--db", sqlite_url]) == 0
    engine = make_engine(sqlite_url)
    try:
        stats = backfill(engine, days=0.25, step_s=600, seed=7)
        assert stats.devices == len(lab.topology.devices())
        assert stats.rows > stats.devices * stats.steps
        with engine.connect() as conn:
            kinds: dict[str, int] = dict(
                conn.execute(
                    text(
                        "SELECT d.kind, count(DISTINCT s.id) FROM series s "
                        "JOIN device d ON d.id = s.device_id GROUP BY d.kind"
                    )
                ).all()
            )
            metrics = {m for (m,) in conn.execute(text("SELECT DISTINCT metric FROM series"))}
            n = conn.execute(text("SELECT count(*) FROM sample")).scalar()
        assert set(kinds) == {"pdu", "sensor", "server"}
        assert {"power_w", "current_a", "voltage_v", "temperature_c", "energy_kwh"} <= metrics
        assert n == stats.rows
    finally:
        engine.dispose()


def test_lab_runs_as_a_subprocess_for_a_bounded_time(tmp_path: Path) -> None:
    net = random.randint(100, 250)
    res = subprocess.run(
        [
            sys.executable,
            str(REPO / "app.py"),
            "lab",
            "--out",
            str(tmp_path / "lab"),
            "--sites",
            "1",
            "--racks",
            "1",
            "--servers",
            "2",
            "--net",
            str(net),
            "--port-base",
            str(random.randint(21_000, 60_000)),
            "--duration",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert res.returncode == 0, res.stderr
    assert "lab stopped" in res.stdout
    assert (tmp_path / "lab" / "inventory.yaml").exists()


def test_inventory_only_writes_an_importable_inventory_without_agents(
    tmp_path: Path, sqlite_url: str
) -> None:
    import app

    out = tmp_path / "inv"
    args = ["lab", "--inventory-only", "--out", str(out), "--sites", "2", "--racks", "3"]
    assert app.main([*args, "--servers", "5"]) == 0
    doc = yaml.safe_load((out / "inventory.yaml").read_text(encoding="utf-8"))
    servers = [
        d for s in doc["sites"] for r in s["racks"] for d in r["devices"] if d["kind"] == "server"
    ]
    assert len(doc["sites"]) == 2 and len(servers) == 2 * 3 * 5
    assert not (out / "known_hosts").exists()
    assert app.main(["import", str(out / "inventory.yaml"), "--db", sqlite_url]) == 0
