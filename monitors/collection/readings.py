"""Plain immutable results that drivers hand to the scheduler, the writer and the GUI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Reading:
    """One metric value read from a device, already scaled to SI units."""

    metric: str  # from models.vocabulary.METRIC_UNITS
    channel: str  # label such as "L1", "outlet 7", "Inlet", "CPU1 Temp"
    value: float
    unit: str
    role: str | None = None  # temperature role: inlet, outlet, ambient, cpu, ...
    oid: str = ""  # SNMP source OID, or the SSH section/field it came from
    raw: str = ""  # the raw value as the device sent it
    warn_low: float | None = None
    warn_high: float | None = None
    crit_low: float | None = None
    crit_high: float | None = None
    channel_class: str | None = None  # total|phase|branch|outlet|part, when the profile says
    # Physical limits of this reading when its profile overrides models.vocabulary's table.
    plausible: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    sys_object_id: str = ""
    sys_descr: str = ""
    sys_name: str = ""


@dataclass(frozen=True, slots=True)
class PollResult:
    """Outcome of one poll of one device; error is a human-readable reason when ok is False."""

    device_id: int
    ts: int  # UTC epoch seconds
    ok: bool
    readings: tuple[Reading, ...] = ()
    error: str | None = None
    profile: str | None = None
    duration_s: float = 0.0
    problems: tuple[str, ...] = field(default=())  # values that could not be read or parsed
    # Why a poll failed: unreachable, auth, hostkey, protocol, config, internal, empty
    # (models.vocabulary: it answered but gave nothing to read).
    error_kind: str | None = None


def reading_json(r: Reading) -> dict[str, Any]:
    """One reading as `app.py probe --json` prints it, whatever the protocol."""
    return {
        "metric": r.metric,
        "channel": r.channel,
        "value": r.value,
        "unit": r.unit,
        "oid": r.oid,
        "raw": r.raw,
        "role": r.role,
        "channel_class": r.channel_class,
        "warn_low": r.warn_low,
        "warn_high": r.warn_high,
        "crit_low": r.crit_low,
        "crit_high": r.crit_high,
    }


def readings_table(readings: list[Reading], source: str) -> list[str]:
    """The aligned table of `app.py probe`; `source` names the column of OIDs or resources."""
    rows = [("metric", "channel", "value", "unit", source, "raw")]
    rows += [(r.metric, r.channel, f"{r.value:.6g}", r.unit, r.oid, r.raw[:24]) for r in readings]
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines
