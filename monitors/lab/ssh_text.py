"""What a simulated Linux server prints for ipmitool, sensors -j and the poll command."""

from __future__ import annotations

import json
import time

from monitors.lab.physics import ServerState
from monitors.lab.topology import LabServer
from monitors.ssh.commands import ABSENT, MARKER_PREFIX, POLL_COMMAND, SECTION_END, SECTIONS


def ipmi_sdr_elist(srv: LabServer, s: ServerState) -> str:
    """`ipmitool sdr elist` of a BMC: name | id | status | entity | reading."""
    rows: list[tuple[str, str, str, str]] = [
        ("Inlet Temp", "04h", "7.1", f"{s.inlet_c:.0f} degrees C"),
        ("Exhaust Temp", "01h", "7.1", f"{s.exhaust_c:.0f} degrees C"),
        ("CPU1 Temp", "0Eh", "3.1", f"{s.cpu_c[0]:.0f} degrees C"),
        ("CPU2 Temp", "0Fh", "3.2", f"{s.cpu_c[1]:.0f} degrees C"),
    ]
    for i, rpm in enumerate(s.fan_rpm, 1):
        rows.append((f"Fan{i}", f"{0x30 + i:02X}h", f"29.{i}", f"{rpm // 120 * 120} RPM"))
    rows += [
        ("Current 1", "6Ah", "10.1", f"{s.psu_a[0]:.2f} Amps"),
        ("Current 2", "6Bh", "10.2", f"{s.psu_a[1]:.2f} Amps"),
        ("Voltage 1", "6Ch", "10.1", f"{s.voltage_v:.0f} Volts"),
        ("Voltage 2", "6Dh", "10.2", f"{s.voltage_v:.0f} Volts"),
        ("Pwr Consumption", "77h", "7.1", f"{s.power_w:.0f} Watts"),
    ]
    lines = [f"{n:<17}| {sid} | ok  | {ent:>4} | {reading}" for n, sid, ent, reading in rows]
    lines += [
        "PS1 Status       | 62h | ok  | 10.1 | Presence detected",
        "PS2 Status       | 63h | ok  | 10.2 | Presence detected",
        "Intrusion        | 73h | ok  |  7.1 | ",
    ]
    return "\n".join(lines) + "\n"


def dcmi_power_reading(srv: LabServer, s: ServerState, t: float) -> str:
    stamp = time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(t))
    low = srv.idle_w + (srv.max_w - srv.idle_w) * max(0.0, s.load - 0.15)
    high = srv.idle_w + (srv.max_w - srv.idle_w) * min(1.0, s.load + 0.2)
    return (
        "\n"
        f"    Instantaneous power reading:              {s.power_w:5.0f} Watts\n"
        f"    Minimum during sampling period:           {low:5.0f} Watts\n"
        f"    Maximum during sampling period:           {high:5.0f} Watts\n"
        f"    Average power reading over sample period: {s.power_w:5.0f} Watts\n"
        f"    IPMI timestamp:                           {stamp}\n"
        "    Sampling period:                          00000005 Seconds.\n"
        "    Power reading state is:                   activated\n\n"
    )


def sensors_json(srv: LabServer, s: ServerState) -> str:
    """`sensors -j` of a two-socket Intel host with an ACPI zone and a BMC-less board chip."""
    doc: dict[str, object] = {}
    for sock, cpu in enumerate(s.cpu_c):
        cores: dict[str, object] = {"Adapter": "ISA adapter"}
        cores[f"Package id {sock}"] = {
            "temp1_input": round(cpu + 1.0, 1),
            "temp1_max": 84.0,
            "temp1_crit": 94.0,
            "temp1_crit_alarm": 0.0,
        }
        for core in range(4):
            cores[f"Core {core}"] = {
                f"temp{core + 2}_input": round(cpu - 1.0 + 0.7 * core, 1),
                f"temp{core + 2}_max": 84.0,
                f"temp{core + 2}_crit": 94.0,
                f"temp{core + 2}_crit_alarm": 0.0,
            }
        doc[f"coretemp-isa-{sock:04d}"] = cores
    doc["acpitz-acpi-0"] = {
        "Adapter": "ACPI interface",
        "temp1": {"temp1_input": round(s.inlet_c + 8.0, 1), "temp1_crit": 105.0},
    }
    doc["nvme-pci-0100"] = {
        "Adapter": "PCI adapter",
        "Composite": {
            "temp1_input": round(s.inlet_c + 12.0 + 6.0 * s.load, 1),
            "temp1_max": 81.85,
            "temp1_min": -273.15,
            "temp1_crit": 84.85,
            "temp1_alarm": 0.0,
        },
    }
    return json.dumps(doc, indent=2) + "\n"


def poll_output(srv: LabServer, s: ServerState, t: float) -> str:
    """The sectioned answer to monitors.ssh_commands.POLL_COMMAND."""
    parts = {
        "ipmi-sdr": ipmi_sdr_elist(srv, s),
        "dcmi": dcmi_power_reading(srv, s, t),
        "sensors": sensors_json(srv, s),
        "hwmon": "",  # sensors -j covers the same chips; the collector takes the first source
        "thermal": "",
    }
    out: list[str] = []
    for name in SECTIONS:
        out.append(f"{MARKER_PREFIX}{name}\n")
        body = parts.get(name)
        out.append(body if body is not None else ABSENT + "\n")
    out.append(f"{MARKER_PREFIX}{SECTION_END}\n")
    return "".join(out)


def run_command(srv: LabServer, s: ServerState, t: float, command: str) -> tuple[str, str, int]:
    """(stdout, stderr, exit status) of one exec request, like a small login shell would give."""
    if command.strip() == POLL_COMMAND.strip():
        return poll_output(srv, s, t), "", 0
    stdout: list[str] = []
    status = 0
    for part in command.replace("&&", ";").split(";"):
        words = part.split()
        words = [w for w in words if w not in ("2>&1", "2>/dev/null")]
        if not words:
            continue
        cmd = " ".join(words)
        if cmd in ("ipmitool sdr elist", "ipmitool sdr elist full", "ipmitool sdr"):
            stdout.append(ipmi_sdr_elist(srv, s))
        elif cmd == "ipmitool dcmi power reading":
            stdout.append(dcmi_power_reading(srv, s, t))
        elif cmd == "sensors -j":
            stdout.append(sensors_json(srv, s))
        elif words[0] == "echo":
            stdout.append(" ".join(words[1:]) + "\n")
        elif cmd == "hostname":
            stdout.append(srv.name + "\n")
        elif words[0] == "true":
            status = 0
        else:
            return "".join(stdout), f"sh: 1: {words[0]}: not found\n", 127
    return "".join(stdout), "", status
