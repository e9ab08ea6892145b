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

# Physical limits per metric, in SI units: a value outside is a sensor or parse fault (an
# unplugged probe reading 850 °C or -273.1 °C, 127.5 %RH), never data. Every protocol's
# readings are screened against this one table; a profile metric may narrow or widen it
# (`plausible: [low, high]`, docs/profiles.md).
PLAUSIBLE_RANGE: dict[str, tuple[float, float]] = {
    "temperature_c": (-80.0, 300.0),
    "humidity_pct": (0.0, 100.0),
    "fan_rpm": (0.0, 100_000.0),
    "voltage_v": (-1000.0, 1000.0),
    "current_a": (-1000.0, 1000.0),
    "power_w": (-1.0, 1_000_000.0),
    "apparent_power_va": (0.0, 1_000_000.0),
    "energy_kwh": (0.0, 1e12),
    "frequency_hz": (0.0, 1000.0),
    "power_factor": (-1.0, 1.0),
}


def implausible(
    metric: str, value: float, override: tuple[float, float] | list[float] | None = None
) -> str | None:
    """Why value cannot be a real reading of metric (None when it can)."""
    if value != value or value in (float("inf"), float("-inf")):
        return "not a finite number"
    bounds = override if override is not None else PLAUSIBLE_RANGE.get(metric)
    if bounds is None:
        return None
    low, high = bounds
    if low <= value <= high:
        return None
    return f"{value:g} {METRIC_UNITS.get(metric, '')} is outside {low:g}..{high:g}".replace(
        "  ", " "
    )


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
# A driver's failure kind (PollResult.error_kind) as one of the words above.
_REASON_OF_KIND = {
    "unreachable": TIMEOUT,
    "auth": AUTH,
    "hostkey": AUTH,
    "hostkey_changed": AUTH,
    NO_PROFILE: NO_PROFILE,
    EMPTY: EMPTY,
}


def no_data_reason(ok: bool, error_kind: str | None) -> str:
    """Why a device gives data or not, in the words of probe and the device state."""
    return OK if ok else _REASON_OF_KIND.get(error_kind or "", ERROR)
