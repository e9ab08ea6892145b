"""Profile engine: loading and validation, matching, pure discovery and decoding, and a real
poll through snmpsim of a synthetic agent with odd values (ENTITY-SENSOR fallback)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitors.collection.readings import DeviceIdentity
from monitors.collection.targets import SnmpCredential, SnmpTarget
from monitors.lab.daemons.snmp import SnmpsimServer, responder_binary, start_snmpsim
from monitors.profiles.engine import ProfileSet, build_plan, discover, poll
from monitors.profiles.plan import PlanItem, PollPlan
from monitors.profiles.schema import ProfileError, load_profile
from monitors.snmp.client import SnmpClient
from monitors.snmp.values import SnmpValue
from tests.daemons import REPO, require

REQUIRED = {
    "apc-rpdu", "apc-epdu", "raritan-pdu2", "sentry3", "sentry4", "eaton-epdu", "dell-rpdu",
    "vertiv-geist", "dell-idrac", "hpe-ilo", "lenovo-xclarity", "lm-sensors", "akcp-sensorprobe",
    "apc-environmental", "avtech-roomalert", "entity-sensor",
}  # fmt: skip


@pytest.fixture(scope="module")
def profiles() -> ProfileSet:
    return ProfileSet.load()


def test_every_required_profile_ships_and_validates(profiles: ProfileSet) -> None:
    assert set(profiles.names) >= REQUIRED
    assert profiles.names[-1] == "entity-sensor"  # the generic fallback is tried last


def _write(tmp: Path, text: str) -> Path:
    p = tmp / "bad-model.yaml"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "match: [{sys_object_id: 1.3.6}]\nmetrics: [{metric: watts, oid: 1.3.6.1.0}]\n",
            "metrics[0].metric",
        ),
        (
            "match: [{sys_object_id: 1.3.x}]\nmetrics: [{metric: power_w, oid: 1.3.6.1.0}]\n",
            "match[0].sys_object_id",
        ),
        (
            "match: [{sys_object_id: 1.3.6}]\nmetrics: [{metric: power_w, oid: '1.3.{index}'}]\n",
            "need 'walk'",
        ),
        (
            "match: [{sys_object_id: 1.3.6}]\n"
            "metrics: [{metric: power_w, walk: 1.3.6, label: '{nam}'}]\n",
            "unknown template fields",
        ),
        (
            "match: [{sys_object_id: 1.3.6}]\n"
            "metrics: [{metric: power_w, oid: 1.3.6.0, divisor: 0}]\n",
            "must not be 0",
        ),
        ("match: []\nmetrics: [{metric: power_w, oid: 1.3.6.0}]\n", "match"),
        (
            "match: [{sys_object_id: 1.3.6}]\n"
            "metrics: [{metric: power_w, oid: 1.3.6.0, colour: red}]\n",
            "unknown keys",
        ),
        ("match: [{sys_object_id: 1.3.6}\n", "not valid YAML"),
    ],
)
def test_bad_profile_names_file_and_key(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ProfileError) as exc:
        load_profile(_write(tmp_path, text))
    assert "bad-model.yaml" in str(exc.value) and fragment in str(exc.value)


def test_matching_uses_sysobjectid_and_oid_presence_not_sysdescr(profiles: ProfileSet) -> None:
    empty_descr = DeviceIdentity("1.3.6.1.4.1.674.10892.5", "", "")
    assert profiles.match(empty_descr, lambda oid: True).name == "dell-idrac"  # type: ignore[union-attr]
    # an unknown vendor with LM-SENSORS and ENTITY-SENSOR: the specific table wins over the fallback
    host = DeviceIdentity("1.3.6.1.4.1.8072.3.2.10", "Linux box", "")
    got = profiles.match(
        host, lambda oid: oid.startswith(("1.3.6.1.4.1.2021.13.16", "1.3.6.1.2.1.99"))
    )
    assert got is not None and got.name == "lm-sensors"
    only_entity = profiles.match(host, lambda oid: oid.startswith("1.3.6.1.2.1.99"))
    assert only_entity is not None and only_entity.name == "entity-sensor"
    assert profiles.match(host, lambda oid: False) is None


def test_pure_discovery_scaling_digits_fahrenheit_sentinel_and_thresholds(
    profiles: ProfileSet,
) -> None:
    col = "1.3.6.1.4.1.1718.3.2.5.1.6"
    walked: dict[str, list[tuple[str, SnmpValue]]] = {
        col: [(f"{col}.1.1", 680), (f"{col}.1.2", -1)]
    }
    aux: dict[str, SnmpValue] = {
        "1.3.6.1.4.1.1718.3.2.5.1.3.1.1": "Front",
        "1.3.6.1.4.1.1718.3.2.5.1.13.1.1": 1,  # Fahrenheit
        "1.3.6.1.4.1.1718.3.2.5.1.7.1.1": 41,
        "1.3.6.1.4.1.1718.3.2.5.1.8.1.1": 113,
    }
    sentry3 = profiles.get("sentry3")
    plan = build_plan(sentry3, walked, lambda oids: {o: aux.get(o) for o in oids})
    temps = [i for i in plan.items if i.metric == "temperature_c"]
    assert len(temps) == 1  # the -1 row is "no probe"
    t = temps[0]
    assert t.channel == "Front" and t.fahrenheit and t.role == "inlet"
    assert t.crit_low == pytest.approx(5.0) and t.crit_high == pytest.approx(45.0)
    readings, problems = plan.decode([680])
    assert problems == [] and readings[0].value == pytest.approx(20.0)
    assert readings[0].raw == "680" and readings[0].oid == f"{col}.1.1"


def _plan() -> PollPlan:
    return PollPlan(
        "test",
        (
            PlanItem("1.3.6.1.9.1", "power_w", "total", "W", scale=10.0),
            PlanItem(
                "1.3.6.1.9.2",
                "temperature_c",
                "probe",
                "°C",
                scale=0.1,
                skip=(-410.0,),
                role="inlet",
            ),
            PlanItem("1.3.6.1.9.3", "voltage_v", "L1", "V"),
            PlanItem("1.3.6.1.9.4", "current_a", "L1", "A", scale=0.01),
            PlanItem("1.3.6.1.9.1", "power_w", "again", "W"),
        ),
    )


def test_decode_handles_sentinels_garbage_and_missing_values() -> None:
    plan = _plan()
    assert plan.oids == (
        "1.3.6.1.9.1",
        "1.3.6.1.9.2",
        "1.3.6.1.9.3",
        "1.3.6.1.9.4",
    )  # de-duplicated
    readings, problems = plan.decode([114, -410, "n/a", None])
    assert [(r.channel, r.value) for r in readings] == [("total", 1140.0), ("again", 114.0)]
    assert any("not a number" in p and "1.3.6.1.9.3" in p for p in problems)
    assert any("no value" in p and "1.3.6.1.9.4" in p for p in problems)
    readings, problems = plan.decode(["230.4 V", 225, " 3.2110", "12"])
    assert [r.value for r in readings][:3] == [
        pytest.approx(2304.0),
        pytest.approx(22.5),
        pytest.approx(3.211),
    ]
    assert plan.decode([1, 2])[1] == ["expected 4 values, got 2"]


def test_plan_cache_round_trip() -> None:
    plan = _plan()
    again = PollPlan.from_json(plan.to_json())
    assert again.items == plan.items and again.oids == plan.oids
    with pytest.raises(ValueError, match="plan format"):
        PollPlan.from_json(json.dumps({"format": 99}))


SYNTHETIC = """\
1.3.6.1.2.1.1.1.0|4|
1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.99999.1
1.3.6.1.2.1.1.5.0|4|odd-box
1.3.6.1.2.1.47.1.1.1.1.7.1|4|Inlet Temp
1.3.6.1.2.1.47.1.1.1.1.7.2|4|PSU1 Input
1.3.6.1.2.1.47.1.1.1.1.7.3|4|PSU1 Current
1.3.6.1.2.1.47.1.1.1.1.7.4|4|Fan 1
1.3.6.1.2.1.47.1.1.1.1.7.5|4|Broken sensor
1.3.6.1.2.1.47.1.1.1.1.7.6|4|Offline sensor
1.3.6.1.2.1.99.1.1.1.1.1|2|8
1.3.6.1.2.1.99.1.1.1.1.2|2|3
1.3.6.1.2.1.99.1.1.1.1.3|2|5
1.3.6.1.2.1.99.1.1.1.1.4|2|10
1.3.6.1.2.1.99.1.1.1.1.5|2|8
1.3.6.1.2.1.99.1.1.1.1.6|2|8
1.3.6.1.2.1.99.1.1.1.2.1|2|9
1.3.6.1.2.1.99.1.1.1.2.2|2|9
1.3.6.1.2.1.99.1.1.1.2.3|2|8
1.3.6.1.2.1.99.1.1.1.2.4|2|9
1.3.6.1.2.1.99.1.1.1.2.5|2|9
1.3.6.1.2.1.99.1.1.1.2.6|2|9
1.3.6.1.2.1.99.1.1.1.3.1|2|1
1.3.6.1.2.1.99.1.1.1.3.2|2|0
1.3.6.1.2.1.99.1.1.1.3.3|2|0
1.3.6.1.2.1.99.1.1.1.3.4|2|0
1.3.6.1.2.1.99.1.1.1.3.5|2|0
1.3.6.1.2.1.99.1.1.1.3.6|2|0
1.3.6.1.2.1.99.1.1.1.4.1|2|235
1.3.6.1.2.1.99.1.1.1.4.2|2|231
1.3.6.1.2.1.99.1.1.1.4.3|2|1250
1.3.6.1.2.1.99.1.1.1.4.4|66|5400
1.3.6.1.2.1.99.1.1.1.4.5|4|garbage
1.3.6.1.2.1.99.1.1.1.4.6|2|40
1.3.6.1.2.1.99.1.1.1.5.1|2|1
1.3.6.1.2.1.99.1.1.1.5.2|2|1
1.3.6.1.2.1.99.1.1.1.5.3|2|1
1.3.6.1.2.1.99.1.1.1.5.4|2|1
1.3.6.1.2.1.99.1.1.1.5.5|2|1
1.3.6.1.2.1.99.1.1.1.5.6|2|2
"""


@pytest.fixture(scope="module")
def oddbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpsimServer]:
    """snmpsim serving SYNTHETIC under the community "oddbox"."""
    require(responder_binary() is not None, "snmpsim-command-responder not installed")
    data = tmp_path_factory.mktemp("oddbox")
    (data / "oddbox.snmprec").write_text(SYNTHETIC)
    # an agent that answers but has nothing any profile reads
    (data / "bare.snmprec").write_text(SYNTHETIC.split("1.3.6.1.2.1.47")[0])
    server = start_snmpsim(data)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)


@pytest.mark.daemon
def test_generic_fallback_against_snmpsim_with_odd_values(
    oddbox: SnmpsimServer, profiles: ProfileSet
) -> None:
    target = SnmpTarget(
        "127.0.0.1", oddbox.port, SnmpCredential("2c", "oddbox"), timeout_s=3, retries=2
    )

    async def go() -> tuple[str | None, list[tuple[str, str, float]], list[str], list[str]]:
        client = SnmpClient()
        try:
            ident = await client.identify(target)
            profile = await profiles.select(client, target, ident)
            assert profile is not None
            plan = await discover(client, target, profile)
            decoded = await poll(client, target, plan)
            rows = [(r.metric, r.channel, r.value) for r in decoded.readings]
            return profile.name, rows, list(plan.problems), decoded.problems
        finally:
            client.close()

    name, rows, plan_problems, poll_problems = asyncio.run(go())
    assert name == "entity-sensor"  # empty sysDescr, unknown enterprise: found by the OID
    got = {(m, c): v for m, c, v in rows}
    assert got[("temperature_c", "Inlet Temp")] == pytest.approx(23.5)  # precision 1
    assert got[("voltage_v", "PSU1 Input")] == pytest.approx(231.0)
    assert got[("current_a", "PSU1 Current")] == pytest.approx(1.25)  # milli
    assert got[("fan_rpm", "Fan 1")] == pytest.approx(5400.0)
    assert ("temperature_c", "Offline sensor") not in got  # operStatus unavailable
    assert any("not a number" in p and "99.1.1.1.4.5" in p for p in plan_problems)
    assert poll_problems == []


@pytest.mark.daemon
def test_probe_cli_json_and_table(oddbox: SnmpsimServer) -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "app.py"), "probe", f"127.0.0.1:{oddbox.port}",
         "--community", "oddbox", "--json"],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["profile"] == "entity-sensor"
    assert out["device"]["sys_object_id"] == "1.3.6.1.4.1.99999.1"
    fan = next(m for m in out["metrics"] if m["metric"] == "fan_rpm")
    assert (fan["channel"], fan["value"], fan["unit"], fan["raw"], fan["oid"]) == (
        "Fan 1",
        5400.0,
        "RPM",
        "5400",
        "1.3.6.1.2.1.99.1.1.1.4.4",
    )
    table = subprocess.run(
        [sys.executable, str(REPO / "app.py"), "probe", f"127.0.0.1:{oddbox.port}",
         "--community", "oddbox", "--profile", "entity-sensor"],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    assert table.returncode == 0, table.stderr
    assert "profile  entity-sensor" in table.stdout
    assert "Inlet Temp" in table.stdout and "problem:" in table.stdout


def test_probe_cli_reports_unreachable_agent_clearly() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "app.py"), "probe", "127.0.0.1:9", "--community", "x",
         "--timeout", "0.2", "--retries", "0"],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    assert proc.returncode == 6  # timeout
    assert "127.0.0.1:9" in proc.stderr and "no response" in proc.stderr


@pytest.mark.daemon
@pytest.mark.parametrize(
    ("extra", "status", "code"),
    [([], "no_profile", 3), (["--profile", "sentry3"], "empty", 4)],
)
def test_probe_names_why_a_device_gives_no_data(
    oddbox: SnmpsimServer, extra: list[str], status: str, code: int
) -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "app.py"), "probe", f"127.0.0.1:{oddbox.port}",
         "--community", "bare", "--json", *extra],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    assert proc.returncode == code, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == status and out["metrics"] == []
    assert f"127.0.0.1:{oddbox.port}" in out["reason"]
    assert status in proc.stderr
    table = subprocess.run(
        [sys.executable, str(REPO / "app.py"), "probe", f"127.0.0.1:{oddbox.port}",
         "--community", "bare", *extra],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    assert table.returncode == code
    assert f"NO DATA ({status})" in table.stdout
