"""RackWatch's own profiles and SSH parsers read every lab device family unchanged and correctly."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitors.collection.readings import Reading
from monitors.lab.devices import SimDevice, build_devices
from monitors.lab.physics import Physics
from monitors.lab.readings import SnmpReader, discover, read_ssh
from monitors.lab.runner import LabConfig, inventory_document
from monitors.lab.topology import LabPdu, LabProbe, LabServer, Topology, from_inventory
from monitors.profiles.engine import ProfileSet

T0 = 1_795_000_000.0
PROFILES = {
    "apc": "apc-rpdu",
    "raritan": "raritan-pdu2",
    "sentry4": "sentry4",
    "akcp": "akcp-sensorprobe",
    "idrac": "dell-idrac",
    "ilo": "hpe-ilo",
}


@pytest.fixture(scope="module")
def world() -> tuple[Topology, Physics, list[SimDevice], ProfileSet]:
    # 10 racks so that one probe (rack position 5 or 10) reports in Fahrenheit.
    doc = inventory_document(LabConfig(out_dir=Path("."), sites=1, racks=10, servers=6, seed=3))
    topo = from_inventory(doc, seed=3)
    physics = Physics(topo)
    return topo, physics, build_devices(topo, physics, T0), ProfileSet.load()


def _reader(
    world: tuple[Topology, Physics, list[SimDevice], ProfileSet], pred: object
) -> SnmpReader:
    _, _, devices, profiles = world
    dev = next(d for d in devices if pred(d))  # type: ignore[operator]
    reader = discover(dev, profiles, T0)
    assert reader is not None, f"no profile matches lab device {dev.name} ({dev.family})"
    return reader


def _value(readings: list[Reading], metric: str, channel_part: str) -> float:
    found = [r.value for r in readings if r.metric == metric and channel_part in r.channel]
    assert found, f"no {metric} reading with {channel_part!r} in {[r.channel for r in readings]}"
    return found[0]


@pytest.mark.parametrize("family", sorted(PROFILES))
def test_each_family_is_identified_by_its_profile(
    world: tuple[Topology, Physics, list[SimDevice], ProfileSet], family: str
) -> None:
    reader = _reader(world, lambda d: d.family == family)
    assert reader.plan.profile == PROFILES[family]
    assert reader.plan.problems == ()
    assert len(reader.read(T0)) >= 3


def test_pdu_readings_match_the_physics(
    world: tuple[Topology, Physics, list[SimDevice], ProfileSet],
) -> None:
    _, physics, _, _ = world
    for vendor, power_channel in (("apc", "device"), ("raritan", "inlet"), ("sentry4", "cord")):
        reader = _reader(world, lambda d, v=vendor: d.family == v)
        pdu = reader.device.obj
        assert isinstance(pdu, LabPdu)
        state = physics.pdu(pdu, T0)
        got = reader.read(T0)
        assert _value(got, "power_w", power_channel) == pytest.approx(state.power_w, abs=10)
        assert _value(got, "energy_kwh", power_channel) == pytest.approx(state.energy_kwh, abs=1)


def test_server_controllers_report_the_modelled_temperatures_and_power(
    world: tuple[Topology, Physics, list[SimDevice], ProfileSet],
) -> None:
    _, physics, _, _ = world
    idrac = _reader(world, lambda d: d.family == "idrac")
    srv = idrac.device.obj
    assert isinstance(srv, LabServer)
    st = physics.server(srv, T0)
    got = idrac.read(T0)
    inlet = [r for r in got if r.metric == "temperature_c" and r.role == "inlet"]
    assert inlet and inlet[0].value == pytest.approx(st.inlet_c, abs=0.1)
    assert _value(got, "power_w", "Pwr Consumption") == pytest.approx(st.power_w, abs=1)
    ilo = _reader(world, lambda d: d.family == "ilo")
    srv = ilo.device.obj
    assert isinstance(srv, LabServer)
    inlet = [r for r in ilo.read(T0) if r.metric == "temperature_c" and r.role == "inlet"]
    assert inlet and inlet[0].value == pytest.approx(physics.server(srv, T0).inlet_c, abs=0.6)


def test_fahrenheit_probe_is_converted_back_to_celsius(
    world: tuple[Topology, Physics, list[SimDevice], ProfileSet],
) -> None:
    _, physics, _, _ = world
    for fahrenheit in (False, True):
        reader = _reader(
            world, lambda d, f=fahrenheit: d.family == "akcp" and d.obj.fahrenheit == f
        )
        probe = reader.device.obj
        assert isinstance(probe, LabProbe)
        front = _value(reader.read(T0), "temperature_c", "front")
        assert front == pytest.approx(physics.probe(probe, T0).front_c, abs=0.1)


def test_ssh_servers_parse_without_problems(
    world: tuple[Topology, Physics, list[SimDevice], ProfileSet],
) -> None:
    topo, physics, _, _ = world
    srv = next(s for s in topo.servers() if s.management == "ssh")
    got = read_ssh(srv, physics, T0)
    metrics = {r.metric for r in got}
    assert {"temperature_c", "power_w", "fan_rpm", "current_a", "voltage_v"} <= metrics
    assert _value(got, "power_w", "DCMI instantaneous") == pytest.approx(
        physics.server(srv, T0).power_w, abs=1
    )
