"""Redfish against the DMTF mockups served on loopback: values, units, TLS trust, auth, quirks."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models.inventory.device_specs import DeviceSpec
from models.inventory.importer import parse_inventory
from models.vocabulary import METRIC_UNITS
from monitors.collection.readings import Reading
from monitors.collection.targets import RedfishCredential, RedfishTarget
from monitors.credentials import CredentialError, from_record, to_record
from monitors.lab.redfish_server import Provider, RedfishServer, make_self_signed, mockup_provider
from monitors.redfish.client import (
    RedfishClient,
    RedfishError,
    normalize_fingerprint,
    show_fingerprint,
)
from monitors.redfish.driver import RedfishDriver, device_url
from monitors.redfish.probe import ProbeError, probe_redfish
from monitors.redfish.read import ReadOutcome, read_service
from tests.daemons import REQUIRE_ENV


def _mockups() -> Path:
    """$RACKWATCH_REDFISH_MOCKUPS, else shared/redfish-mockups beside the repo or a parent."""
    env = os.environ.get("RACKWATCH_REDFISH_MOCKUPS")
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared" / "redfish-mockups").is_dir():
            return parent / "shared" / "redfish-mockups"
    return Path("shared/redfish-mockups")


MOCKUPS = _mockups()


@pytest.fixture(autouse=True)
def _mockups_present() -> None:
    """The mockups are test data like the captures: skipped locally, required in CI."""
    if (MOCKUPS / "public-rackmount1").is_dir():
        return
    reason = f"DMTF Redfish mockups not found at {MOCKUPS} (set RACKWATCH_REDFISH_MOCKUPS)"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"required for CI: {reason}", pytrace=False)
    pytest.skip(reason)


USERS = {"admin": "s3cret-pw"}
LAB = RedfishCredential("admin", "s3cret-pw", allow_http=True)


def serve(provider: Provider, **kw: Any) -> RedfishServer:
    return RedfishServer(provider, users=USERS, **kw).start()


@pytest.fixture(scope="module")
def server() -> Iterator[RedfishServer]:
    srv = serve(mockup_provider(MOCKUPS / "public-rackmount1"))
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def pdu() -> Iterator[RedfishServer]:
    srv = serve(mockup_provider(MOCKUPS / "public-pdu"))
    yield srv
    srv.close()


def read(srv: RedfishServer, resources: Any = "auto") -> ReadOutcome:
    client = RedfishClient(RedfishTarget(srv.url, LAB))
    try:
        return read_service(client.get, resources)
    finally:
        client.close()


def by_key(outcome: ReadOutcome) -> dict[tuple[str, str], Reading]:
    out = {(r.metric, r.channel): r for r in outcome.readings}
    assert len(out) == len(outcome.readings), "every (metric, channel) must be unique"
    return out


def check(got: dict[tuple[str, str], Reading], expected: dict[tuple[str, str], float]) -> None:
    missing = [k for k in expected if k not in got]
    assert not missing, f"not read: {missing}"
    wrong = {k: (got[k].value, v) for k, v in expected.items() if abs(got[k].value - v) > 1e-6}
    assert not wrong, f"(read, expected): {wrong}"
    for key in expected:
        assert got[key].unit == METRIC_UNITS[key[0]], key


# -- the server (public-rackmount1) ----------------------------------------------------------


def test_server_current_resources_read_every_power_and_temperature(
    server: RedfishServer,
) -> None:
    outcome = read(server)
    got = by_key(outcome)
    check(
        got,
        {
            # EnvironmentMetrics (the TotalPower sensor agrees and lends its limits)
            ("power_w", "Total"): 374,
            ("temperature_c", "Chassis"): 39,
            # PowerSubsystem/PowerSupplies/Bay1/Metrics
            ("power_w", "PSU Bay1 input"): 937.4,
            ("power_w", "PSU Bay1 output"): 937.4,
            ("voltage_v", "PSU Bay1 input"): 230.2,
            ("current_a", "PSU Bay1 input"): 5.19,
            ("energy_kwh", "PSU Bay1"): 325675,
            ("frequency_hz", "PSU Bay1"): 60,
            ("temperature_c", "PSU Bay1"): 43.9,
            ("voltage_v", "PSU Bay1 rail 12V"): 12.06,
            ("power_w", "PSU Bay1 rail 3.3V"): 79.84,
            # ThermalSubsystem/ThermalMetrics and Fans
            ("temperature_c", "Intake"): 24.8,
            ("temperature_c", "Exhaust"): 40.5,
            ("temperature_c", "Ambient"): 22.5,
            ("temperature_c", "Internal"): 39,
            ("fan_rpm", "Fan Bay1"): 2200,
            ("fan_rpm", "Fan CPU1"): 1490,
            # Sensors collection
            ("temperature_c", "CPU #1 Temperature"): 44,
            ("temperature_c", "DIMM #1 Temperature"): 44,
            ("temperature_c", "DIMM #2 Temperature"): 43,
            ("temperature_c", "DIMM #3 Temperature"): 45,
            ("temperature_c", "Battery #1 Temperature"): 33,
            ("power_w", "Power Supply #1 Input Power"): 374,
            ("voltage_v", "Power Supply #1 Input Voltage"): 119.27,
            ("current_a", "Power Supply #1 Input Current"): 8.92,
            ("frequency_hz", "Power Supply #1 Frequency"): 60.1,
            ("voltage_v", "Power Supply #1 12V Output Voltage"): 12.08,
            ("energy_kwh", "Power Supply #1 Energy"): 7855,
            ("energy_kwh", "Total Energy"): 325675,
        },
    )
    total = got["power_w", "Total"]
    assert total.channel_class == "total"
    assert (total.warn_high, total.crit_high) == (580, 600)  # from Sensors/TotalPower
    cpu = got["temperature_c", "CPU #1 Temperature"]
    assert (cpu.role, cpu.warn_high, cpu.crit_high) == ("cpu", 42, 45)  # not the *User ones
    assert got["temperature_c", "Intake"].role == "inlet"
    assert got["temperature_c", "Exhaust"].role == "outlet"
    assert got["temperature_c", "DIMM #1 Temperature"].role == "memory"
    assert got["temperature_c", "PSU Bay1"].role == "psu"
    volts = got["voltage_v", "Power Supply #1 Input Voltage"]
    assert (volts.crit_low, volts.warn_low, volts.warn_high, volts.crit_high) == (
        115,
        118,
        122,
        125,
    )
    assert all(r.channel_class in ("total", "part") for r in outcome.readings)
    # Absent parts give nothing and no complaint (PSU Bay2, the PS2* sensors).
    assert not [r for r in outcome.readings if "Bay2" in r.channel and "PSU" in r.channel]
    assert not [r for r in outcome.readings if "#2" in r.channel and "Power Supply" in r.channel]
    assert not [p for p in outcome.problems if "PS2" in p or "Bay2" in p]
    # Legacy Power/Thermal repeat the current resources: not read when those exist.
    assert not [r for r in outcome.readings if "/Power#" in r.oid or "/Thermal#" in r.oid]


def test_server_dangling_links_are_never_fetched(server: RedfishServer) -> None:
    before = len(server.stats.not_found)
    outcome = read(server)
    # Excerpts carry their value inline; a DataSourceUri to a missing sensor costs nothing.
    assert server.stats.not_found[before:] == []
    assert not [r for r in outcome.readings if "redfishpdu.contoso.com" in r.oid]
    disagree = [p for p in outcome.problems if "disagree" in p]
    assert len(disagree) == 1 and "CPU1Temp = 44" in disagree[0]


def test_server_legacy_power_and_thermal(server: RedfishServer) -> None:
    outcome = read(server, "legacy")
    got = by_key(outcome)
    check(
        got,
        {
            ("power_w", "Total"): 344,
            ("voltage_v", "VRM1 Voltage"): 12,
            ("voltage_v", "VRM2 Voltage"): 5,
            ("voltage_v", "Power Supply Bay input"): 120,
            ("power_w", "Power Supply Bay output"): 325,
            ("temperature_c", "CPU1 Temp"): 41,
            ("temperature_c", "Chassis Intake Temp"): 25,
            ("fan_rpm", "BaseBoard System Fan"): 2100,
            ("fan_rpm", "BaseBoard System Fan Backup"): 2050,
        },
    )
    assert got["power_w", "Total"].channel_class == "total"
    intake = got["temperature_c", "Chassis Intake Temp"]
    assert intake.role == "inlet"
    assert (intake.crit_low, intake.warn_low, intake.warn_high, intake.crit_high) == (5, 10, 30, 40)
    cpu = got["temperature_c", "CPU1 Temp"]
    assert (cpu.role, cpu.warn_high, cpu.crit_high) == ("cpu", 42, 45)
    vrm = got["voltage_v", "VRM1 Voltage"]
    assert (vrm.crit_low, vrm.warn_low, vrm.warn_high, vrm.crit_high) == (11, 11.5, 12.5, 13)
    # CPU2 Temp is Disabled and has no ReadingCelsius: skipped quietly.
    assert ("temperature_c", "CPU2 Temp") not in got
    assert outcome.problems == []


def test_all_resources_keep_labels_unique(server: RedfishServer) -> None:
    outcome = read(server, "all")
    by_key(outcome)  # asserts uniqueness
    assert {
        r.value for r in outcome.readings if r.metric == "power_w" and "Total" in r.channel
    } >= {
        344,
        374,
    }


# -- the rack PDU (public-pdu) ---------------------------------------------------------------

OUTLETS = {  # outlet: (V, A, W, kWh), from the mockups README
    "A1": (117.5, 1.68, 197.4, 36166),
    "A2": (202.4, 1.9, 384.5, 52941),
    "A3": (202.3, 1.73, 349.9, 61848),
    "B1": (116.6, 3.08, 228.3, 36166),
    "B2": (203.6, 1.58, 321.6, 53941),
    "B3": (204.1, 2.09, 426.5, 61848),
    "C1": (118.4, 0.48, 56.8, 36166),
    "C2": (204.2, 1.93, 394.1, 52941),
    "C3": (204.3, 1.74, 355.4, 61848),
}


def test_pdu_reads_metrics_mains_branches_and_outlets(pdu: RedfishServer) -> None:
    outcome = read(pdu)
    got = by_key(outcome)
    expected: dict[tuple[str, str], float] = {
        ("power_w", "Total"): 6438,
        ("apparent_power_va", "Total"): 6300,
        ("power_factor", "Total"): 0.93,
        ("energy_kwh", "Total"): 56438,
        ("temperature_c", "PDU"): 31,
        ("voltage_v", "AC1 L1-L2"): 202.8,
        ("voltage_v", "AC1 L2-L3"): 203.8,
        ("voltage_v", "AC1 L3-L1"): 205.3,
        ("voltage_v", "AC1 L1-N"): 117.8,
        ("voltage_v", "AC1 L2-N"): 116.6,
        ("voltage_v", "AC1 L3-N"): 118.5,
        ("current_a", "AC1 L1"): 8.02,
        ("current_a", "AC1 L2"): 8.66,
        ("current_a", "AC1 L3"): 6.91,
        ("current_a", "AC1 N"): 2.74,
        ("power_w", "AC1 L3-N"): 58.1,
        ("power_w", "AC1 L3-L1"): 759.6,
        ("frequency_hz", "AC1"): 60.1,
        ("humidity_pct", "PDU Rack PDU Humidity"): 43,
    }
    for branch, (amps, watts, kwh) in {
        "A": (5.19, 937.4, 325675),
        "B": (5.95, 977.8, 110345),
        "C": (4.13, 816.5, 121666),
    }.items():
        expected["current_a", f"branch {branch}"] = amps
        expected["power_w", f"branch {branch}"] = watts
        expected["energy_kwh", f"branch {branch}"] = kwh
    for outlet, (v, a, w, kwh) in OUTLETS.items():
        expected["voltage_v", f"outlet {outlet}"] = v
        expected["current_a", f"outlet {outlet}"] = a
        expected["power_w", f"outlet {outlet}"] = w
        expected["energy_kwh", f"outlet {outlet}"] = kwh
    check(got, expected)
    assert got["power_w", "Total"].channel_class == "total"
    assert got["voltage_v", "AC1 L1-N"].channel_class == "phase"
    assert got["power_w", "branch A"].channel_class == "branch"
    assert got["power_w", "outlet A1"].channel_class == "outlet"
    cab = got["temperature_c", "PDU"]  # Metrics.TemperatureCelsius, limits from Sensors/CabTemp
    assert (cab.role, cab.warn_low, cab.warn_high, cab.crit_high) == ("ambient", 10, 35, 40)
    # A4 is On without readings and A5 has no Status: neither gives a value or a crash.
    assert not [r for r in outcome.readings if r.channel in ("outlet A4", "outlet A5")]
    # Sensors the PDU's resources do not name are read too (the mains power sensor).
    assert got["power_w", "PDU AC Main Power"].value == 28783


def test_pdu_unit_quirks_are_named(pdu: RedfishServer) -> None:
    outcome = read(pdu)
    got = by_key(outcome)
    c_units = [p for p in outcome.problems if "CabTemp: ReadingUnits 'C'" in p]
    assert len(c_units) == 2  # the PDU and the transfer switch
    kw = [p for p in outcome.problems if "ReadingUnits 'kW' read as kWh" in p]
    assert len(kw) == 6
    energy = [r for k, r in got.items() if k[0] == "energy_kwh" and "TransferSwitch1" in k[1]]
    assert energy and all(r.unit == "kWh" for r in energy)


def test_power_shelf_wrong_link_is_a_problem_not_a_crash() -> None:
    with serve(mockup_provider(MOCKUPS / "public-power-shelf")) as srv:
        outcome = read(srv)
    got = by_key(outcome)
    assert got["power_w", "Total"].value == 6438  # PowerShelves/1/Metrics
    assert any(
        "expected a PowerSubsystem resource but the link leads to #SensorCollection" in p
        for p in outcome.problems
    )


# -- quirks made worse: broken resources give problems, never exceptions ----------------------


def patched(base: Provider, changes: dict[str, Any]) -> Provider:
    def get(path: str) -> dict[str, Any] | None:
        if path in changes:
            return changes[path]
        return base(path)

    return get


def test_broken_sensors_give_clear_problems() -> None:
    base = mockup_provider(MOCKUPS / "public-rackmount1")
    sensors = "/redfish/v1/Chassis/1U/Sensors"
    total = dict(base(f"{sensors}/TotalPower") or {})
    total["Thresholds"] = {"UpperCaution": {"Reading": 5800}, "UpperCritical": {"Reading": 60.1}}
    total["Reading"] = 999  # disagrees with EnvironmentMetrics, so it is kept on its own
    cpu = dict(base(f"{sensors}/CPU1Temp") or {})
    cpu["Reading"] = "n/a"
    intake = dict(base(f"{sensors}/IntakeTemp") or {})
    del intake["Reading"]
    exhaust = dict(base(f"{sensors}/ExhaustTemp") or {})
    exhaust["@odata.id"] = f"{sensors}/IntakeTemp"  # copied file (as power-shelf CurrentMains2)
    coll = dict(base(sensors) or {})
    coll["Members"] = [*coll["Members"], {"@odata.id": f"{sensors}/Gone"}, "junk"]
    thermal = {"@odata.type": "#ThermalSubsystem.v1_5_0.ThermalSubsystem", "Fans": "nope"}
    provider = patched(
        base,
        {
            f"{sensors}/TotalPower": total,
            f"{sensors}/CPU1Temp": cpu,
            f"{sensors}/IntakeTemp": intake,
            f"{sensors}/ExhaustTemp": exhaust,
            sensors: coll,
            "/redfish/v1/Chassis/1U/ThermalSubsystem": thermal,
        },
    )
    # Member by member: an expanded collection replaces each link by the resource, so a
    # copied @odata.id could not be told from the link it came from.
    with serve(provider, queries="404") as srv:
        outcome = read(srv)
    problems = "\n".join(outcome.problems)
    assert "TotalPower: device thresholds inverted (UpperCritical 60.1 is below" in problems
    assert "CPU1Temp: Reading 'n/a' is not a number" in problems
    assert "IntakeTemp: enabled Temperature sensor has no Reading" in problems
    assert f"{sensors}/Gone: linked but not found (HTTP 404)" in problems
    assert "a member without @odata.id" in problems
    assert f"{sensors}/ExhaustTemp: the resource calls itself {sensors}/IntakeTemp" in problems
    got = by_key(outcome)
    power = got["power_w", "Power reading for the Chassis"]
    assert power.value == 999 and power.warn_high is None and power.crit_high is None
    assert ("power_w", "Total") in got  # the rest of the service is still read


def test_bad_addresses_are_config_errors() -> None:
    for url, message in (
        ("ftp://10.0.0.1", "must be http:// or https://"),
        ("https://10.0.0.1:99999", "bad port"),
        ("https://", "no host"),
    ):
        with pytest.raises(RedfishError, match=message) as info:
            RedfishClient(RedfishTarget(url, LAB))
        assert info.value.kind == "config"
    with pytest.raises(RedfishError, match="64 hex digits"):
        RedfishClient(RedfishTarget("https://10.0.0.1", RedfishCredential("a", fingerprint="x")))


def test_links_to_other_hosts_are_never_followed() -> None:
    with serve(patched(mockup_provider(MOCKUPS / "public-rackmount1"), {})) as srv:
        client = RedfishClient(RedfishTarget(srv.url, LAB))
        with pytest.raises(RedfishError) as info:
            client.get("https://elsewhere.example/redfish/v1")
        assert info.value.kind == "protocol" and "not a local resource link" in str(info.value)
        client.close()
        assert srv.stats.requests == 0


# -- trust and authentication ----------------------------------------------------------------


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("certs")
    cert, key, fp = make_self_signed(folder / "a", "localhost")
    cert2, key2, fp2 = make_self_signed(folder / "b", "localhost")
    return {"cert": cert, "key": key, "fp": fp, "cert2": cert2, "key2": key2, "fp2": fp2}


def tls_server(certs: dict[str, Any], which: str = "") -> RedfishServer:
    return serve(
        mockup_provider(MOCKUPS / "public-pdu"),
        cert_file=certs["cert" + which],
        key_file=certs["key" + which],
    )


def test_pinned_certificate_is_accepted_and_a_changed_one_refused(certs: dict[str, Any]) -> None:
    pinned = RedfishCredential("admin", "s3cret-pw", fingerprint=show_fingerprint(certs["fp"]))
    with tls_server(certs) as srv:
        assert srv.url.startswith("https://")
        result = probe_redfish(RedfishTarget(srv.url, pinned))
        assert any(r.metric == "power_w" and r.value == 6438 for r in result.readings)
    with tls_server(certs, "2") as srv:  # same address, another certificate
        client = RedfishClient(RedfishTarget(srv.url, pinned))
        with pytest.raises(RedfishError) as info:
            client.get("/redfish/v1")
        client.close()
        assert srv.stats.requests == 0, "nothing may be sent to a server that fails the pin"
    message = str(info.value)
    assert info.value.kind == "tls"
    assert f"127.0.0.1:{srv.port}" in message and "CHANGED" in message
    assert show_fingerprint(certs["fp"]) in message and show_fingerprint(certs["fp2"]) in message


def test_unknown_certificate_refused_with_its_fingerprint_and_ca_file_accepted(
    certs: dict[str, Any],
) -> None:
    with tls_server(certs) as srv:
        client = RedfishClient(RedfishTarget(srv.url, RedfishCredential("admin", "s3cret-pw")))
        with pytest.raises(RedfishError) as info:
            client.get("/redfish/v1")
        assert info.value.kind == "tls" and "not trusted" in str(info.value)
        assert show_fingerprint(certs["fp"]) in str(info.value)
        with_ca = RedfishCredential("admin", "s3cret-pw", ca_file=str(certs["cert"]))
        result = probe_redfish(RedfishTarget(srv.url, with_ca))
        assert result.readings


def test_plain_http_needs_allow_http(pdu: RedfishServer) -> None:
    with pytest.raises(RedfishError) as info:
        RedfishClient(RedfishTarget(pdu.url, RedfishCredential("admin", "s3cret-pw")))
    assert info.value.kind == "config" and "allow_http" in str(info.value)
    with pytest.raises(ProbeError):
        probe_redfish(RedfishTarget(pdu.url, RedfishCredential("admin", "s3cret-pw")))


def test_wrong_password_is_an_auth_failure(pdu: RedfishServer) -> None:
    bad = RedfishCredential("admin", "wrong", allow_http=True)
    with pytest.raises(ProbeError) as info:
        probe_redfish(RedfishTarget(pdu.url, bad))
    assert info.value.status == "auth"
    assert "login as 'admin' refused (HTTP 401" in str(info.value)


def test_basic_auth_when_the_service_has_no_sessions() -> None:
    with serve(mockup_provider(MOCKUPS / "public-pdu"), sessions=False) as srv:
        result = probe_redfish(RedfishTarget(srv.url, LAB))
        assert result.readings and srv.stats.logins == 0 and srv.stats.basic_auth > 0
        bad = RedfishCredential("admin", "wrong", allow_http=True)
        with pytest.raises(ProbeError) as info:
            probe_redfish(RedfishTarget(srv.url, bad))
    assert info.value.status == "auth" and "HTTP 401" in str(info.value)


# -- the driver --------------------------------------------------------------------------------


def spec(url: str, device_id: int = 1, credential: str | None = "bmc") -> DeviceSpec:
    return DeviceSpec(
        id=device_id,
        name=f"bmc{device_id}",
        site="S1",
        rack="R1",
        rack_id=1,
        kind="server",
        address=url,
        port=None,
        protocol="redfish",
        profile=None,
        credential=credential,
        interval_s=60,
    )


def test_driver_reuses_one_session_and_logs_out_on_close() -> None:
    def creds(name: str | None) -> RedfishCredential:
        if name != "bmc":
            raise CredentialError(f"no credential named {name!r}")
        return LAB

    async def run(srv: RedfishServer) -> list[Any]:
        driver = RedfishDriver(creds)
        results = [await driver.poll(spec(srv.url)) for _ in range(3)]
        results.append(await driver.poll(spec(srv.url, 2, credential="missing")))
        results.append(await driver.poll(spec("http://127.0.0.1:1", 3)))
        await driver.close()
        return results

    with serve(mockup_provider(MOCKUPS / "public-rackmount1")) as srv:
        results = asyncio.run(run(srv))
        assert (srv.stats.logins, srv.stats.logouts) == (1, 1)
        assert srv.tokens == {}
    first, second, third, nocred, down = results
    assert first.ok and second.ok and third.ok and first.profile == "redfish"
    assert len(first.readings) == len(third.readings) > 40
    assert not nocred.ok and nocred.error_kind == "config" and "missing" in (nocred.error or "")
    assert not down.ok and down.error_kind == "unreachable" and "127.0.0.1:1" in (down.error or "")


def test_driver_maps_a_changed_certificate_to_hostkey(certs: dict[str, Any]) -> None:
    pinned = RedfishCredential("admin", "s3cret-pw", fingerprint=certs["fp"])

    async def run(url: str) -> Any:
        driver = RedfishDriver(lambda _name: pinned)
        try:
            return await driver.poll(spec(url))
        finally:
            await driver.close()

    with tls_server(certs, "2") as srv:
        result = asyncio.run(run(srv.url))
    assert not result.ok and result.error_kind == "hostkey"
    assert result.error and result.error.startswith("bmc1: ") and "CHANGED" in result.error


def test_device_url_from_inventory_address_and_port() -> None:
    assert device_url("10.0.0.5", None) == "https://10.0.0.5"
    assert device_url("10.0.0.5", 8443) == "https://10.0.0.5:8443"
    assert device_url("http://127.1.0.9", 20001) == "http://127.1.0.9:20001"
    assert device_url("https://bmc.example:9443", 443) == "https://bmc.example:9443"


# -- credentials and inventory -----------------------------------------------------------------


def test_redfish_credential_record_round_trip() -> None:
    fp = "AB:" * 31 + "CD"
    cred = from_record(
        {
            "kind": "redfish",
            "user": "root",
            "password": "pw",
            "fingerprint": fp,
            "allow_http": True,
        },
        "test",
    )
    pinned = normalize_fingerprint(fp)
    assert cred == RedfishCredential("root", "pw", fingerprint=pinned, allow_http=True)
    assert "pw" not in repr(cred)
    again = from_record(to_record(cred), "again")
    assert again == cred
    with pytest.raises(CredentialError, match="not a SHA-256 certificate fingerprint"):
        from_record({"kind": "redfish", "user": "root", "fingerprint": "abc"}, "bad")
    with pytest.raises(CredentialError, match="allow_http must be true or false"):
        from_record({"kind": "redfish", "user": "root", "allow_http": "sometimes"}, "bad")


def test_inventory_accepts_protocol_redfish_with_url_address(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            version: 1
            defaults: {poll_interval_s: 30}
            sites:
              - code: S1
                name: Site one
                racks:
                  - name: R1
                    devices:
                      - {name: b1, kind: server, u: 2, protocol: redfish, address: 10.0.0.5}
                      - {name: b2, kind: server, u: 3, protocol: redfish,
                         address: "http://127.1.0.9", port: 20001, credential: lab}
                      - {name: s1, kind: server, u: 4, address: "http://10.0.0.7"}
                      - {name: b3, kind: server, u: 5, protocol: redfish, address: 10.0.0.8,
                         poll_interval_s: 20}
            """
        ),
        encoding="utf-8",
    )
    inv, problems = parse_inventory(path)
    assert [str(p) for p in problems] == [
        f"{path}:12: address: 'http://10.0.0.7': a URL address is only for protocol redfish",
        f"{path}:14: poll_interval_s: 20 s is too often for protocol redfish (at least 60 s: "
        "BMCs are slow and have few sessions)",
    ]
    b1, b2 = inv.devices[:2]
    assert (b1.protocol, b1.address, b1.port, b1.poll_interval_s) == (
        "redfish",
        "10.0.0.5",
        None,
        60,
    )
    assert (b2.address, b2.port) == ("http://127.1.0.9", 20001)


def test_probe_json_has_the_snmp_probe_shape(pdu: RedfishServer) -> None:
    result = probe_redfish(RedfishTarget(pdu.url, LAB))
    doc = json.loads(json.dumps(result.as_json()))
    assert {"device", "profile", "metrics", "problems"} <= set(doc)
    assert {"host", "port", "sys_object_id", "sys_descr", "sys_name"} <= set(doc["device"])
    metric = doc["metrics"][0]
    assert {"metric", "channel", "value", "unit", "oid", "raw", "role"} <= set(metric)
    assert result.exit_code == 0 and "metrics (" in result.as_table()


# -- the lab -----------------------------------------------------------------------------------


def test_lab_serves_redfish_bmcs_with_physics_values(tmp_path: Path, sqlite_url: str) -> None:
    import yaml
    from sqlalchemy import text

    import app
    from models.db import make_engine
    from monitors.credentials import load_import_file
    from monitors.lab.backfill import backfill
    from monitors.lab.runner import start_lab

    lab = start_lab(tmp_path, sites=1, racks=2, servers=4, port_base=0)
    try:
        doc = yaml.safe_load((tmp_path / "inventory.yaml").read_text(encoding="utf-8"))
        creds = load_import_file(tmp_path / "credentials.yaml")
        bmcs = [
            dev
            for rack in doc["sites"][0]["racks"]
            for dev in rack["devices"]
            if dev.get("protocol") == "redfish"
        ]
        assert len(bmcs) == 2 and all(d["credential"] == "lab-redfish" for d in bmcs)
        srv = lab.topology.device(bmcs[0]["name"])
        cred = creds["lab-redfish"]
        assert isinstance(cred, RedfishCredential) and cred.allow_http

        async def run() -> Any:
            driver = RedfishDriver(lambda _name: cred)
            try:
                device = dataclasses.replace(spec(bmcs[0]["address"]), port=bmcs[0]["port"])
                return await driver.poll(device)
            finally:
                await driver.close()

        result = asyncio.run(run())
        # The backfilled history of a Redfish BMC has the series its live polls write.
        assert app.main(["import", str(tmp_path / "inventory.yaml"), "--db", sqlite_url]) == 0
        engine = make_engine(sqlite_url)
        try:
            backfill(engine, days=0.05, step_s=600, seed=1)
            with engine.connect() as conn:
                history = set(
                    conn.execute(
                        text(
                            "SELECT s.metric, s.channel FROM series s JOIN device d "
                            "ON d.id = s.device_id WHERE d.name = :n"
                        ),
                        {"n": bmcs[0]["name"]},
                    ).all()
                )
        finally:
            engine.dispose()
    finally:
        lab.stop()
    assert history == {(r.metric, r.channel) for r in result.readings}
    assert result.ok, result.error
    got = {(r.metric, r.channel): r for r in result.readings}
    power = got["power_w", "Total"].value
    assert srv is not None and srv.idle_w <= power <= srv.max_w  # type: ignore[union-attr]
    assert got["temperature_c", "Intake"].role == "inlet"
    assert got["temperature_c", "CPU1"].role == "cpu"
    psus = got["power_w", "PSU1 input"].value + got["power_w", "PSU2 input"].value
    assert abs(psus - power) < 1.0  # the two feeds add up to the server's draw


def test_expired_session_logs_in_again_once(pdu: RedfishServer) -> None:
    client = RedfishClient(RedfishTarget(pdu.url, LAB))
    logins = pdu.stats.logins
    try:
        assert client.get("/redfish/v1/Chassis")["Members"]
        with pdu._lock:
            pdu.tokens.clear()  # the BMC forgot the session (timeout, reboot)
        assert client.get("/redfish/v1/Chassis")["Members"]
    finally:
        client.close()
    assert pdu.stats.logins == logins + 2


def test_a_slow_service_stops_within_the_poll_budget(pdu: RedfishServer) -> None:
    client = RedfishClient(RedfishTarget(pdu.url, LAB))
    try:
        with pytest.raises(RedfishError) as info:
            read_service(client.get, budget_s=-1.0)
    finally:
        client.close()
    assert info.value.kind == "unreachable" and "too slow" in str(info.value)


def test_collector_polls_redfish_devices_into_the_store(
    engine: Any, sqlite_url: str, server: RedfishServer, pdu: RedfishServer
) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from models.schema import Device, DeviceState, Rack, Sample, Series, Site
    from monitors.collection.collector import Collector, CollectorOptions

    with Session(engine) as s:
        site = Site(code="T1", name="Test hall", tz="UTC")
        rack = Rack(site=site, name="R01", row="A", position=1, height_u=42)
        s.add_all([site, rack])
        s.flush()
        for name, kind, srv in (("bmc", "server", server), ("rpdu", "pdu", pdu)):
            s.add(
                Device(
                    site_id=site.id,
                    rack_id=rack.id,
                    name=name,
                    kind=kind,
                    feed="A" if kind == "pdu" else None,
                    protocol="redfish",
                    address=f"http://{srv.host}",
                    port=srv.port,
                    credential="bmc",
                    poll_interval_s=60,
                )
            )
        s.commit()
    driver = RedfishDriver(lambda _name: LAB)
    asyncio.run(Collector(CollectorOptions(url=sqlite_url, once=True), {"redfish": driver}).run())
    with Session(engine) as s:
        states = {
            n: st.status for n, st in s.execute(select(Device.name, DeviceState).join(DeviceState))
        }
        latest = dict(
            s.execute(
                select(Device.name + "/" + Series.channel, Sample.value)
                .join(Series, Series.device_id == Device.id)
                .join(Sample, Sample.series_id == Series.id)
                .where(Series.metric == "power_w", Series.channel.in_(["Total", "outlet A1"]))
            ).all()
        )
        cpu = s.execute(select(Series).where(Series.channel == "CPU #1 Temperature")).scalar_one()
    assert states == {"bmc": "ok", "rpdu": "ok"}
    assert latest == {"bmc/Total": 374, "rpdu/Total": 6438, "rpdu/outlet A1": 197.4}
    assert (cpu.unit, cpu.role, cpu.warn_high, cpu.crit_high) == ("°C", "cpu", 42, 45)


@pytest.mark.parametrize("mockup", ["public-rackmount1", "public-pdu"])
def test_expand_gives_the_same_readings_in_fewer_requests(mockup: str) -> None:
    outcomes = {}
    for queries in ("expand", "404", "ignore"):
        with serve(mockup_provider(MOCKUPS / mockup), queries=queries) as srv:
            outcomes[queries] = read(srv)
            if queries == "404":  # sushy-static: a query is a 404, and is tried once only
                assert sum("$expand" in p for p in srv.stats.not_found) == 1
    expanded, plain, ignored = outcomes["expand"], outcomes["404"], outcomes["ignore"]
    assert expanded.expand and not plain.expand
    assert expanded.readings == plain.readings == ignored.readings
    assert expanded.problems == plain.problems
    assert expanded.requests * 3 < plain.requests


def test_app_probe_redfish_exit_codes(
    pdu: RedfishServer, capsys: pytest.CaptureFixture[str]
) -> None:
    import app

    base = ["probe", "--redfish", pdu.url, "--user", "admin"]
    assert app.main([*base, "--password", "s3cret-pw", "--allow-http", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "ok" and doc["profile"] == "redfish"
    assert {k: doc["metrics"][0][k] for k in ("metric", "channel", "value")} == {
        "metric": "power_w",
        "channel": "Total",
        "value": 6438.0,
    } | {}
    assert app.main([*base, "--password", "wrong", "--allow-http"]) == 5
    assert "auth: " in capsys.readouterr().err
    assert app.main([*base, "--password", "s3cret-pw"]) == 1  # http without --allow-http
    assert "allow_http" in capsys.readouterr().err
    assert app.main(["probe", "--redfish", pdu.url]) == 2
    assert (
        app.main(["probe", "--redfish", "http://127.0.0.1:1", "--user", "a", "--allow-http"]) == 6
    )
