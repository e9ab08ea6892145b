"""The lab's physical model: sums, integrals, daily cycle and incidents, without network."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitors.lab.physics import Physics
from monitors.lab.runner import LabConfig, inventory_document
from monitors.lab.scenarios import ScenarioError, Scenarios, load_scenario
from monitors.lab.topology import Topology, from_inventory
from monitors.snmp import ber

T0 = 1_795_000_000.0  # a fixed instant: the model is a pure function of time


@pytest.fixture(scope="module")
def topo() -> Topology:
    doc = inventory_document(LabConfig(out_dir=Path("."), sites=1, racks=6, servers=8, seed=5))
    return from_inventory(doc, seed=5)


def test_every_family_is_simulated(topo: Topology) -> None:
    assert {p.vendor for p in topo.pdus()} == {"apc", "raritan", "sentry4"}
    assert {s.management for s in topo.servers()} == {"idrac", "ilo", "ssh"}
    assert len(topo.probes()) == 6


def test_pdu_lines_and_outlets_are_sums_of_what_is_plugged_in(topo: Topology) -> None:
    ph = Physics(topo)
    for pdu in topo.pdus():
        st = ph.pdu(pdu, T0)
        share = [s.share_a if pdu.feed == "A" else 1 - s.share_a for s in pdu.rack.servers]
        expected_w = sum(
            ph.server_power(s, T0) * k for s, k in zip(pdu.rack.servers, share, strict=True)
        )
        assert st.power_w == pytest.approx(expected_w, rel=1e-9)
        assert sum(st.line_power_w) == pytest.approx(expected_w, rel=1e-9)
        assert sum(o.power_w for o in st.outlets) == pytest.approx(expected_w, rel=1e-9)
        for p in range(pdu.phases):
            on_phase = [
                ph.server_power(s, T0) * k / ph.power_factor(ph.load(s, T0)) / st.voltage_v
                for s, k in zip(pdu.rack.servers, share, strict=True)
                if (s.phase - 1) % pdu.phases == p
            ]
            assert st.line_current_a[p] == pytest.approx(sum(on_phase), rel=1e-9)


def test_feeds_a_and_b_share_each_server(topo: Topology) -> None:
    ph = Physics(topo)
    rack = topo.racks()[0]
    a, b = (ph.pdu(p, T0) for p in rack.pdus)
    assert a.power_w + b.power_w == pytest.approx(ph.rack_power(rack, T0), rel=1e-9)
    assert 0.4 < a.power_w / (a.power_w + b.power_w) < 0.6


def test_energy_is_the_integral_of_power(topo: Topology) -> None:
    ph = Physics(topo)
    srv = topo.servers()[0]
    hour = 3600.0
    steps = 3600
    mean_w = sum(ph.server_power(srv, T0 + hour * (i + 0.5) / steps) for i in range(steps)) / steps
    delta_kwh = ph.server_energy_kwh(srv, T0 + hour) - ph.server_energy_kwh(srv, T0)
    assert delta_kwh == pytest.approx(mean_w / 1000.0, rel=1e-4)
    pdu = topo.pdus()[0]
    assert ph.pdu(pdu, T0 + 60).energy_kwh > ph.pdu(pdu, T0).energy_kwh


def test_load_follows_a_daily_cycle_with_smooth_drift(topo: Topology) -> None:
    ph = Physics(topo)
    day0 = T0 - T0 % 86_400
    # Sites are in UTC+8: the peak is mid-afternoon local (07:00 UTC), the trough at night.
    afternoon = [ph.load(s, day0 + 7 * 3600) for s in topo.servers()]
    night = [ph.load(s, day0 + 19 * 3600) for s in topo.servers()]
    assert sum(afternoon) / len(afternoon) > sum(night) / len(night) + 0.1
    srv = topo.servers()[0]
    jumps = [abs(ph.load(srv, T0 + i + 1) - ph.load(srv, T0 + i)) for i in range(600)]
    assert max(jumps) < 0.002  # no random steps between polls
    assert len({round(ph.load(srv, T0 + 60 * i), 6) for i in range(30)}) > 20


def test_temperatures_follow_power_and_cooling(topo: Topology) -> None:
    ph = Physics(topo)
    for srv in topo.servers():
        st = ph.server(srv, T0)
        assert 15.0 < st.inlet_c < 30.0
        assert st.exhaust_c > st.inlet_c + 3.0
        assert st.cpu_c[0] > st.inlet_c


def test_cooling_failure_warms_one_row_over_minutes_and_recovers(topo: Topology) -> None:
    scn = Scenarios()
    ph = Physics(topo, scn)
    rack = topo.racks()[0]
    other = [r for r in topo.racks() if r.row != rack.row]
    before = ph.rack_inlet(rack, T0)
    scn.inject("cooling-failure", T0, site=rack.site.code, row=rack.row)
    assert ph.rack_inlet(rack, T0 + 30) - before < 4.0  # climbs, does not jump
    assert ph.rack_inlet(rack, T0 + 900) - before > 10.0
    srv = rack.servers[0]
    assert ph.server(srv, T0 + 900).inlet_c > ph.server(srv, T0).inlet_c + 10.0
    for r in other:
        assert abs(ph.rack_inlet(r, T0 + 900) - ph.rack_inlet(r, T0)) < 2.0
    scn.clear(T0 + 900)
    assert ph.rack_inlet(rack, T0 + 900 + 1800) - before < 2.0


def test_phase_overload_adds_current_on_one_phase_only(topo: Topology) -> None:
    scn = Scenarios()
    ph = Physics(topo, scn)
    pdu = max(topo.pdus(), key=lambda p: p.phases)
    before = ph.pdu(pdu, T0)
    scn.inject("phase-overload", T0, device=pdu.name, phase=1)
    after = ph.pdu(pdu, T0 + 1)
    assert after.line_current_a[0] > pdu.rated_a  # over the breaker rating
    for p in range(1, pdu.phases):
        assert after.line_current_a[p] == pytest.approx(before.line_current_a[p], rel=0.05)


def test_probe_nonsense_is_flagged(topo: Topology) -> None:
    scn = Scenarios()
    ph = Physics(topo, scn)
    probe = topo.probes()[0]
    assert not ph.probe(probe, T0).nonsense
    scn.inject("probe-nonsense", T0, device=probe.name)
    assert ph.probe(probe, T0 + 1).nonsense


def test_scenario_file_is_read_and_errors_name_the_step(tmp_path: Path) -> None:
    good = tmp_path / "s.yaml"
    good.write_text(
        "steps:\n"
        "  - {at: 60, inject: cooling-failure, site: GA1, row: R01}\n"
        "  - {at: 5, inject: pdu-down, device: x-pdu-a}\n"
        "  - {at: 600, clear: all}\n",
        encoding="utf-8",
    )
    steps = load_scenario(good)
    assert [(s.at, s.action, s.kind) for s in steps] == [
        (5.0, "inject", "pdu-down"),
        (60.0, "inject", "cooling-failure"),
        (600.0, "clear", "all"),
    ]
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps:\n  - {at: 1, inject: meteor-strike}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"step 1: unknown kind 'meteor-strike'"):
        load_scenario(bad)


@pytest.mark.parametrize(
    "oid",
    ["1.3.6.1.2.1.1.1.0", "1.3.6.1.4.1.13742.6.5.2.3.1.4.1.1.1", "2.999.3", "1.3.6.1.4.1.0.128"],
)
def test_oid_codec_round_trips(oid: str) -> None:
    parsed = ber.parse_oid(oid)
    body = ber.encode_oid_body(parsed)
    assert ber.decode_oid_body(body) == parsed


@pytest.mark.parametrize("value", [0, 1, -1, 127, 128, -128, -129, 255, 256, 2**31 - 1, -(2**31)])
def test_integer_encoding_is_minimal_twos_complement(value: int) -> None:
    body = ber.encode_int_body(value)
    assert int.from_bytes(body, "big", signed=True) == value
    if len(body) > 1:  # minimal: the first 9 bits are not all equal
        first = (body[0] << 1) | (body[1] >> 7)
        assert first not in (0, 0x1FF)


def test_hotter_racks_see_warmer_inlet_air(topo: Topology) -> None:
    ph = Physics(topo)
    rack = topo.racks()[0]
    base = ph.supply_air(rack.site.code, rack.row, T0)
    recirculation = ph.rack_inlet(rack, T0) - base - ph._rack_par[rack.key][0]
    assert recirculation == pytest.approx(0.0003 * ph.rack_power(rack, T0), abs=0.25)
    # The memo must not make values depend on what was asked before: a fresh model agrees.
    assert Physics(topo).rack_inlet(rack, T0 + 0.3) == ph.rack_inlet(rack, T0 + 0.3)
