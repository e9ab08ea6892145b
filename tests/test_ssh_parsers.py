"""SSH output parsers: ipmitool, sensors -j and sysfs examples, and never-raise properties."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.vocabulary import METRIC_UNITS, TEMPERATURE_ROLES
from monitors.collection.readings import Reading
from monitors.lab.daemons.ssh import FIXTURES, HOSTS
from monitors.ssh.commands import (
    ABSENT,
    MARKER_PREFIX,
    POLL_COMMAND,
    SCRIPT,
    SECTIONS,
    render_output,
    split_sections,
)
from monitors.ssh.parsers import (
    ParseResult,
    parse_dcmi,
    parse_hwmon,
    parse_ipmi,
    parse_poll_output,
    parse_sensors_json,
    parse_thermal,
    temperature_role,
)

ALL_PARSERS = (parse_ipmi, parse_dcmi, parse_sensors_json, parse_hwmon, parse_thermal)


def _read(variant: str, name: str) -> str:
    return (HOSTS / variant / name).read_text(encoding="utf-8", errors="replace")


def _by_channel(result: ParseResult) -> dict[str, Reading]:
    return {r.channel: r for r in result.readings}


def _poll_text(sections: dict[str, str], end: bool = True) -> str:
    parts = [f"{MARKER_PREFIX}{name}\n{body}\n" for name, body in sections.items()]
    return "".join(parts) + (f"{MARKER_PREFIX}end\n" if end else "")


def _check_wellformed(result: ParseResult) -> None:
    assert isinstance(result, ParseResult)
    for r in result.readings:
        assert r.metric in METRIC_UNITS
        assert r.unit == METRIC_UNITS[r.metric]
        assert math.isfinite(r.value)
        assert r.channel and len(r.channel) <= 100
        if r.metric == "temperature_c":
            assert r.role in TEMPERATURE_ROLES
    assert all(isinstance(p, str) and p for p in result.problems)


# -- ipmitool ---------------------------------------------------------------------------------


def test_dell_sdr_elist() -> None:
    result = parse_ipmi(_read("dell", "ipmitool-sdr-elist.txt"))
    got = _by_channel(result)
    assert got["Inlet Temp"].value == 22.0 and got["Inlet Temp"].role == "inlet"
    assert got["Exhaust Temp"].value == 35.0 and got["Exhaust Temp"].role == "outlet"
    # Two sensors named "Temp" are told apart by their entity, and entity 3 is a processor.
    assert got["Temp (3.1)"].value == 48.0 and got["Temp (3.1)"].role == "cpu"
    assert got["Temp (3.2)"].value == 44.0
    assert got["Fan1"].metric == "fan_rpm" and got["Fan1"].value == 5880.0
    assert got["Current 1"].metric == "current_a" and got["Current 1"].value == pytest.approx(0.8)
    assert got["Voltage 2"].metric == "voltage_v" and got["Voltage 2"].value == 230.0
    assert got["Pwr Consumption"].metric == "power_w" and got["Pwr Consumption"].value == 308.0
    assert got["Inlet Temp"].unit == "°C" and got["Inlet Temp"].oid == "ssh:ipmi-sdr:Inlet Temp"
    # Discrete and disabled sensors are not readings and not problems either.
    assert "Intrusion" not in got and "PS Redundancy" not in got
    assert len(result.readings) == 15
    assert result.problems == ()


def test_hpe_sdr_elist_roles_and_power_supply_state_suffix() -> None:
    got = _by_channel(parse_ipmi(_read("hpe", "ipmitool-sdr-elist.txt")))
    assert got["01-Inlet Ambient"].role == "inlet"
    assert got["02-CPU 1"].role == "cpu"
    assert got["05-P1 DIMM 7-12"].role == "memory"
    assert got["12-HD Max"].role == "disk"
    assert got["14-Chipset"].role == "board"
    assert got["17-Exhaust Temp"].role == "outlet"
    assert got["Power Supply 1"].value == 145.0 and got["Power Supply 1"].metric == "power_w"
    assert got["Power Meter"].value == 285.0
    assert "04-P1 DIMM 1-6" not in got  # "No Reading"
    assert "Fan 1" not in got  # percent is outside the vocabulary


def test_supermicro_sdr_elist() -> None:
    result = parse_ipmi(_read("supermicro", "ipmitool-sdr-elist.txt"))
    got = _by_channel(result)
    assert got["CPU1 Temp"].role == "cpu"
    assert got["PCH Temp"].role == "board"
    assert got["Inlet Temp"].role == "inlet"
    assert got["P1-DIMMA1 Temp"].role == "memory"
    assert got["12V"].value == pytest.approx(12.19)
    assert got["FANA"].value == 3900.0
    assert "FAN3" not in got
    assert result.problems == ()


def test_ipmitool_sensor_format_with_thresholds() -> None:
    result = parse_ipmi((FIXTURES / "samples" / "ipmitool-sensor.txt").read_text())
    got = _by_channel(result)
    inlet = got["Inlet Temp"]
    assert (inlet.value, inlet.role) == (24.0, "inlet")
    assert (inlet.warn_low, inlet.crit_low, inlet.warn_high, inlet.crit_high) == (5, 0, 40, 42)
    assert got["FAN1"].value == 4200.0 and got["FAN1"].crit_low == 500.0
    assert got["12V"].warn_high == pytest.approx(12.945)
    assert got["PS1 Input Power"].value == 240.0 and got["PS1 Input Power"].crit_high == 1080.0
    assert "CPU2 Temp" not in got and "PS1 Status" not in got and "FAN3" not in got
    assert result.problems == ()


def test_ipmi_odd_lines_become_problems() -> None:
    result = parse_ipmi(_read("odd", "ipmitool-sdr-elist.txt"))
    got = _by_channel(result)
    assert got["Inlet Temp"].value == pytest.approx(22.0)  # 71.6 °F
    assert got["Power"].value == 120.0  # 1.2e2
    assert "Exhaust Temp" not in got  # 9999999 °C is not plausible
    text = "\n".join(result.problems)
    assert "this line has no pipes" in text
    assert "Exhaust Temp" in text and "outside" in text
    assert "NaN RPM" in text
    assert "Response data length is invalid" in text


def test_ipmi_error_message_is_reported() -> None:
    result = parse_ipmi("Could not open device at /dev/ipmi0 or /dev/ipmi/0: No such file\n")
    assert result.readings == ()
    assert "Could not open device" in result.problems[0]


# -- dcmi -------------------------------------------------------------------------------------


def test_dcmi_power_reading() -> None:
    got = _by_channel(parse_dcmi(_read("dell", "ipmitool-dcmi-power-reading.txt")))
    assert got["DCMI instantaneous"].value == 308.0
    assert got["DCMI instantaneous"].metric == "power_w"
    assert got["DCMI average"].value == 301.0
    assert len(got) == 2


def test_dcmi_deactivated_and_unsupported() -> None:
    odd = parse_dcmi(_read("odd", "ipmitool-dcmi-power-reading.txt"))
    assert odd.readings == ()
    assert any("deactivated" in p for p in odd.problems)
    assert any("???" in p for p in odd.problems)
    unsupported = parse_dcmi(_read("supermicro", "ipmitool-dcmi-power-reading.txt"))
    assert unsupported.readings == ()
    assert "Invalid command" in unsupported.problems[0]


# -- sensors -j -------------------------------------------------------------------------------


def test_sensors_json_intel_server() -> None:
    result = parse_sensors_json(_read("dell", "sensors-j.txt"))
    got = _by_channel(result)
    pkg = got["coretemp-isa-0000/Package id 0"]
    assert (pkg.value, pkg.role, pkg.warn_high, pkg.crit_high) == (47.0, "cpu", 88.0, 98.0)
    assert got["coretemp-isa-0001/Package id 1"].value == 43.0
    assert got["nvme-pci-3b00/Composite"].role == "disk"
    # 65261.85 °C is lm-sensors' "no limit", not a threshold.
    assert got["nvme-pci-3b00/Sensor 1"].warn_high is None
    assert got["acpitz-acpi-0/temp1"].role == "board"
    assert got["power_meter-acpi-0/power1"].metric == "power_w"
    assert got["power_meter-acpi-0/power1"].value == 302.0
    assert result.problems == ()


def test_sensors_json_amd_server() -> None:
    got = _by_channel(parse_sensors_json(_read("hpe", "sensors-j.txt")))
    assert got["k10temp-pci-00c3/Tctl"].value == 51.125
    assert got["k10temp-pci-00c3/Tctl"].role == "cpu"
    assert got["nvme-pci-c100/Composite"].crit_high == 84.85


def test_sensors_json_with_error_lines_and_odd_values() -> None:
    result = parse_sensors_json(_read("odd", "sensors-j.txt"))
    got = _by_channel(result)
    assert got["coretemp-isa-0000/Package id 0"].value == 47.0
    assert got["it8728-isa-0a30/in0"].metric == "voltage_v"
    assert got["it8728-isa-0a30/fan1"].value == 2145.0
    text = "\n".join(result.problems)
    assert "Can't get value" in text
    assert "'n/a'" in text
    assert "broken-chip" in text


def test_sensors_json_truncated() -> None:
    result = parse_sensors_json(_read("broken", "sensors-j.txt"))
    assert result.readings == ()
    assert "not valid JSON" in result.problems[0]


def test_sensors_error_inside_json_is_skipped() -> None:
    text = (
        '{"acpitz-acpi-0": {\n'
        "ERROR: Can't get value of subfeature temp1_input\n"
        '"temp1": {"temp1_input": 30.5}}}'
    )
    result = parse_sensors_json(text)
    assert _by_channel(result)["acpitz-acpi-0/temp1"].value == 30.5


# -- sysfs ------------------------------------------------------------------------------------


def test_hwmon_scales_units() -> None:
    text = "\n".join(
        [
            "hwmon|hwmon1|coretemp|temp1_input|47000|Package id 0",
            "hwmon|hwmon2|nct6779|in0_input|1024|Vcore",
            "hwmon|hwmon2|nct6779|power1_average|235000000|",
            "hwmon|hwmon2|nct6779|curr1_input|1500|",
            "hwmon|hwmon2|nct6779|fan1_input|3456|",
            "hwmon|hwmon2|nct6779|temp2_input||",
            "hwmon|hwmon3|drivetemp|temp1_input|35000|",
        ]
    )
    result = parse_hwmon(text)
    got = _by_channel(result)
    assert got["coretemp/Package id 0"].value == 47.0 and got["coretemp/Package id 0"].role == "cpu"
    assert got["nct6779/Vcore"].value == pytest.approx(1.024)
    assert got["nct6779/power1"].value == pytest.approx(235.0)
    assert got["nct6779/curr1"].value == pytest.approx(1.5)
    assert got["nct6779/fan1"].value == 3456.0
    assert got["drivetemp/temp1"].role == "disk"
    assert any("nct6779/temp2" in p for p in result.problems)


def test_thermal_zones() -> None:
    result = parse_thermal(
        "thermal|thermal_zone0|x86_pkg_temp|52000\nthermal|thermal_zone1|acpitz|"
    )
    got = _by_channel(result)
    assert got["x86_pkg_temp/thermal_zone0"].value == 52.0
    assert got["x86_pkg_temp/thermal_zone0"].role == "cpu"
    assert len(result.problems) == 1


def test_roles() -> None:
    assert temperature_role("Inlet Temp") == "inlet"
    assert temperature_role("Exhaust Temp") == "outlet"
    assert temperature_role("Temp", entity="3.1") == "cpu"
    assert temperature_role("Temp", entity="55.1") == "inlet"
    assert temperature_role("Mystery") == "other"


# -- whole poll output ------------------------------------------------------------------------


def test_poll_command_is_constant_and_quotable() -> None:
    assert "'" not in SCRIPT
    assert POLL_COMMAND.startswith("exec /bin/sh -c '") and POLL_COMMAND.endswith("'")
    for section in SECTIONS:
        assert f"{MARKER_PREFIX}{section}" in SCRIPT


def test_full_output_prefers_sensors_over_hwmon() -> None:
    text = _poll_text(
        {
            "ipmi-sdr": _read("dell", "ipmitool-sdr-elist.txt"),
            "dcmi": _read("dell", "ipmitool-dcmi-power-reading.txt"),
            "sensors": _read("dell", "sensors-j.txt"),
            "hwmon": "hwmon|hwmon1|coretemp|temp1_input|47000|Package id 0",
            "thermal": "thermal|thermal_zone0|acpitz|27800",
        }
    )
    result = parse_poll_output(text)
    channels = {r.channel for r in result.readings}
    assert "Inlet Temp" in channels and "DCMI instantaneous" in channels
    assert "coretemp-isa-0000/Package id 0" in channels
    assert "coretemp/Package id 0" not in channels  # the same chip, not stored twice
    assert "acpitz/thermal_zone0" not in channels
    assert result.problems == ()


def test_full_output_falls_back_to_hwmon_then_thermal() -> None:
    text = _poll_text(
        {"ipmi-sdr": ABSENT, "dcmi": ABSENT, "sensors": ABSENT, "hwmon": "", "thermal": ""}
    )
    assert parse_poll_output(text).readings == ()
    text = _poll_text(
        {"sensors": ABSENT, "hwmon": "", "thermal": "thermal|thermal_zone0|acpitz|27800"}
    )
    assert [r.channel for r in parse_poll_output(text).readings] == ["acpitz/thermal_zone0"]


def test_render_output_round_trip() -> None:
    text = render_output(
        {
            "ipmi-sdr": _read("supermicro", "ipmitool-sdr-elist.txt"),
            "dcmi": None,
            "sensors": None,
            "hwmon": "",
            "thermal": "thermal|thermal_zone0|acpitz|27800\n",
        }
    )
    sections, problems = split_sections(text)
    assert problems == [] and sections["dcmi"] == ABSENT and sections["hwmon"] == ""
    result = parse_poll_output(text)
    channels = {r.channel for r in result.readings}
    assert {"CPU1 Temp", "acpitz/thermal_zone0"} <= channels
    assert result.problems == ()


def test_missing_end_marker_is_a_problem() -> None:
    text = _poll_text({"ipmi-sdr": _read("dell", "ipmitool-sdr-elist.txt")}, end=False)
    result = parse_poll_output(text)
    assert len(result.readings) == 15
    assert any("end marker" in p for p in result.problems)


def test_marker_after_output_without_newline() -> None:
    text = f"{MARKER_PREFIX}ipmi-sdr\nFan1 | 30h | ok | 7.1 | 5880 RPM{MARKER_PREFIX}end\n"
    sections, problems = split_sections(text)
    assert sections["ipmi-sdr"].strip().endswith("5880 RPM")
    assert problems == []


# -- never raise ------------------------------------------------------------------------------

_REAL_OUTPUTS = [
    p.read_text(encoding="utf-8", errors="replace")
    for p in sorted(HOSTS.glob("*/*.*")) + sorted((FIXTURES / "samples").glob("*.txt"))
]
_PIPE_LINES = st.lists(
    st.lists(st.text(max_size=20), min_size=1, max_size=12).map(" | ".join), max_size=20
).map("\n".join)
_JSONISH = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["temp1_input", "fan1_input", "in0_input", "power1_average", "x"])
            | st.text(max_size=8),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)
_RANDOM_TEXT = st.one_of(
    st.text(max_size=2000),
    st.binary(max_size=2000).map(lambda b: b.decode("utf-8", errors="replace")),
    _PIPE_LINES,
    st.sampled_from(_REAL_OUTPUTS).flatmap(lambda s: st.integers(0, len(s)).map(lambda n: s[:n])),
    st.tuples(st.sampled_from(_REAL_OUTPUTS), st.text(max_size=50), st.integers(0, 3000)).map(
        lambda t: t[0][: t[2]] + t[1] + t[0][t[2] :]
    ),
    _JSONISH.map(lambda v: __import__("json").dumps(v, allow_nan=True)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_RANDOM_TEXT)
def test_parsers_never_raise(text: str) -> None:
    for parser in ALL_PARSERS:
        _check_wellformed(parser(text))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bodies=st.lists(st.tuples(st.sampled_from([*SECTIONS, "end", "x"]), _RANDOM_TEXT), max_size=6),
    cut=st.integers(0, 20000),
)
def test_poll_output_never_raises(bodies: list[tuple[str, str]], cut: int) -> None:
    text = "".join(f"{MARKER_PREFIX}{name}\n{body}\n" for name, body in bodies)[:cut]
    _check_wellformed(parse_poll_output(text))


def test_parsers_limit_output_size() -> None:
    huge = "\n".join(f"Fan{i} | 30h | ok | 7.1 | 1000 RPM" for i in range(5000))
    result = parse_ipmi(huge)
    assert len(result.readings) == 2000
    assert len(result.problems) <= 41
    junk = "\n".join(f"junk {i}" for i in range(1000))
    assert any("more problems" in p for p in parse_ipmi(junk).problems)


def test_fixture_files_exist() -> None:
    assert Path(HOSTS / "dell" / "ipmitool-sdr-elist.txt").is_file()


def test_long_names_are_clipped_to_the_channel_column() -> None:
    name = "X" * 300 + " Temp"
    result = parse_ipmi(f"{name} | 01h | ok | 3.1 | 40 degrees C\n")
    assert len(result.readings[0].channel) == 100
