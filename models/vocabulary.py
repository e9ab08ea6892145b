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


# Why a device gives data or not: the status word of `app.py probe` (and its exit code) and of
# the collector's device state, for every protocol.
OK = "ok"
NO_PROFILE = "no_profile"  # no profile matches the device
EMPTY = "empty"  # a profile matched but discovery or the poll yielded no readings
AUTH = "auth"  # authentication failure (SNMPv3, Redfish, SSH)
TIMEOUT = "timeout"  # no answer (down, unreachable, or a wrong v1/v2c community)
ERROR = "error"  # anything else: protocol error, bad profile, bad target
EXIT_CODES = {OK: 0, ERROR: 1, NO_PROFILE: 3, EMPTY: 4, AUTH: 5, TIMEOUT: 6}
