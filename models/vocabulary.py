"""The metric vocabulary: SI metric names, their units and the device kinds."""

from __future__ import annotations

METRIC_UNITS: dict[str, str] = {
    "power_w": "W",
    "apparent_power_va": "VA",
    "energy_kwh": "kWh",
    "current_a": "A",
    "voltage_v": "V",
    "frequency_hz": "Hz",
    "temperature_c": "°C",
    "humidity_pct": "%RH",
    "fan_rpm": "RPM",
    "power_factor": "",
    "state": "",
}

# What a reading is within its device (profile key `channel:`): the PDU or inlet total, one
# phase or line, a branch circuit or bank, one outlet, or a part (a sensor, PSU or fan of a server).
CHANNEL_CLASSES = ("total", "phase", "branch", "outlet", "part")
TEMPERATURE_ROLES = ("inlet", "outlet", "ambient", "cpu", "memory", "disk", "psu", "board", "other")
DEVICE_KINDS = ("pdu", "server", "sensor", "switch")
PROTOCOLS = ("snmp", "ssh", "redfish", "none")
FEEDS = ("A", "B")
