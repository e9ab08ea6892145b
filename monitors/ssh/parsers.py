"""Parsers for ipmitool, lm-sensors and sysfs output: odd text becomes problems, not crashes."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from models.vocabulary import METRIC_UNITS, PLAUSIBLE_RANGE
from monitors.collection.readings import Reading
from monitors.ssh.commands import (
    SECTION_DCMI,
    SECTION_HWMON,
    SECTION_IPMI,
    SECTION_SENSORS,
    SECTION_THERMAL,
    is_absent,
    split_sections,
)

MAX_READINGS = 2000  # per section: a runaway output must not flood the writer
MAX_PROBLEMS = 40  # per section; the rest is summarised in one line
MAX_LINE = 120  # characters of an unreadable line quoted in a problem
MAX_JSON_CHARS = 2_000_000
MAX_CHANNEL = 100  # series.channel is VARCHAR(100)
# Values outside these bounds are a parse or sensor fault (one table for every protocol).
PLAUSIBLE = PLAUSIBLE_RANGE


@dataclass(frozen=True, slots=True)
class ParseResult:
    readings: tuple[Reading, ...] = ()
    problems: tuple[str, ...] = ()


class _Collector:
    """Accumulates readings and problems of one section with the limits above."""

    def __init__(self, section: str) -> None:
        self.section = section
        self.readings: list[Reading] = []
        self.problems: list[str] = []
        self._dropped_problems = 0

    def problem(self, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"{self.section}: {message}")
        else:
            self._dropped_problems += 1

    def add(
        self,
        metric: str,
        channel: str,
        value: float,
        *,
        role: str | None = None,
        field: str = "",
        raw: str = "",
        channel_class: str | None = None,
        thresholds: tuple[float | None, float | None, float | None, float | None] = (
            None,
            None,
            None,
            None,
        ),
    ) -> None:
        if not math.isfinite(value):
            self.problem(f"{channel}: value is not a finite number ({_clip(raw)})")
            return
        low, high = PLAUSIBLE[metric]
        if not low <= value <= high:
            unit = METRIC_UNITS[metric]
            self.problem(f"{channel}: {value:g} {unit} is outside {low:g}..{high:g}")
            return
        if len(self.readings) >= MAX_READINGS:
            self.problem(f"more than {MAX_READINGS} readings; the rest were ignored")
            return
        warn_low, crit_low, warn_high, crit_high = thresholds
        self.readings.append(
            Reading(
                metric=metric,
                channel=channel[:MAX_CHANNEL],
                value=value,
                unit=METRIC_UNITS[metric],
                role=role if metric == "temperature_c" else None,
                oid=f"ssh:{self.section}:{field or channel}",
                raw=raw[:MAX_LINE],
                warn_low=warn_low,
                warn_high=warn_high,
                crit_low=crit_low,
                crit_high=crit_high,
                channel_class=channel_class,
            )
        )

    def result(self) -> ParseResult:
        problems = list(self.problems)
        if self._dropped_problems:
            problems.append(f"{self.section}: {self._dropped_problems} more problems not shown")
        return ParseResult(tuple(self.readings), tuple(problems))


def _clip(text: str) -> str:
    text = text.strip()
    return repr(text[:MAX_LINE] + "…") if len(text) > MAX_LINE else repr(text)


def _number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except (ValueError, OverflowError):
        return None
    return value if math.isfinite(value) else None


# NULs, escapes and other control characters a broken tool may emit (tab is kept).
_CONTROL = {c: None for c in (*range(0x20), 0x7F) if c != 0x09}


def _lines(text: str) -> Iterator[str]:
    for line in text.splitlines():
        if not line.isprintable():
            line = line.translate(_CONTROL)
        if line.strip():
            yield line


# -- temperature roles ------------------------------------------------------------------------

# Generic naming conventions (IPMI SDR names, hwmon chips, thermal zone types), first match wins.
_ROLE_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), role)
    for pattern, role in (
        (r"inlet|intake|front\s*panel|\bfp\b|ambient\s*in", "inlet"),
        (r"exhaust|outlet|\bout\b|rear", "outlet"),
        (r"ambient|room", "ambient"),
        (r"cpu|proc|package|\bcore|socket|\bpkg|coretemp|k10temp|k8temp|zenpower|x86_pkg", "cpu"),
        (r"dimm|\bmem|memory|ddr", "memory"),
        (r"nvme|drivetemp|\bhdd|\bssd|disk|drive|\bm\.?2\b|sata|sas\b", "disk"),
        (r"\bpsu?\s*\d*\b|power\s*supply|\bps\d", "psu"),
        (r"system|board|\bmb\b|pch|chipset|acpitz|peripheral|vrm|\bsys", "board"),
    )
)
# IPMI entity IDs (IPMI 2.0 table 43-13 and DCMI): used when the name says nothing.
_ENTITY_ROLES = {
    "3": "cpu",
    "65": "cpu",
    "32": "memory",
    "4": "disk",
    "10": "psu",
    "7": "board",
    "66": "board",
    "55": "inlet",
    "64": "inlet",
}


def temperature_role(*names: str, entity: str = "") -> str:
    """Guess the temperature role (inlet, outlet, cpu, ...) from sensor names or an entity id."""
    for name in names:
        for pattern, role in _ROLE_RULES:
            if name and pattern.search(name):
                return role
    return _ENTITY_ROLES.get(entity.split(".")[0].strip(), "other")


# -- ipmitool sdr elist / sdr list / sensor ---------------------------------------------------

_IPMI_UNITS: dict[str, tuple[str, float, float]] = {
    # unit text -> (metric, multiplier, offset)
    "degrees c": ("temperature_c", 1.0, 0.0),
    "degrees f": ("temperature_c", 5.0 / 9.0, -32.0),
    "rpm": ("fan_rpm", 1.0, 0.0),
    "volts": ("voltage_v", 1.0, 0.0),
    "amps": ("current_a", 1.0, 0.0),
    "watts": ("power_w", 1.0, 0.0),
}
_NO_VALUE = {"no reading", "disabled", "na", "n/a", "not readable", "unavailable", ""}
_IPMI_ERROR = re.compile(
    r"could not open|unable to|error|invalid|failed|no such|not found|timeout|denied|"
    r"insufficient|permission",
    re.IGNORECASE,
)
_UNIT_WORD = re.compile(r"degrees [cf]|\brpm\b|\bvolts\b|\bamps\b|\bwatts\b", re.IGNORECASE)
_VALUE_UNIT = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def _convert(unit: str, number: float) -> tuple[str, float] | None:
    spec = _IPMI_UNITS.get(" ".join(unit.lower().split()))
    if spec is None:
        return None
    metric, multiplier, offset = spec
    return metric, (number + offset) * multiplier


def parse_ipmi(text: str) -> ParseResult:
    """Parse `ipmitool sdr elist`, `ipmitool sdr list` or `ipmitool sensor` output."""
    out = _Collector(SECTION_IPMI)
    rows: list[tuple[str, list[str], str]] = []
    for line in _lines(text):
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 3 or not cells[0]:
            if _IPMI_ERROR.search(line):
                out.problem(f"ipmitool says {_clip(line)}")
            else:
                out.problem(f"unreadable line {_clip(line)}")
            continue
        rows.append((cells[0], cells, line))
    counts: dict[str, int] = {}
    for name, _cells, _line in rows:
        counts[name] = counts.get(name, 0) + 1
    for name, cells, line in rows:
        if len(cells) >= 10:
            _ipmi_sensor_row(out, name, cells, line)
        else:
            _ipmi_sdr_row(out, name, cells, line, duplicate=counts[name] > 1)
    return out.result()


def _ipmi_sdr_row(out: _Collector, name: str, cells: list[str], line: str, duplicate: bool) -> None:
    if len(cells) >= 5:  # elist: name | id | status | entity | reading
        status, entity, reading = cells[2].lower(), cells[3], cells[4]
    else:  # list: name | reading | status
        status, entity, reading = cells[2].lower(), "", cells[1]
    match = _VALUE_UNIT.match(reading)
    if status == "ns" or reading.lower() in _NO_VALUE:
        return  # empty sockets, disabled sensors
    if match is None:
        # Discrete sensors ("Presence detected", "0x01") carry no number; a unit without one
        # ("NaN RPM") is a bad reading.
        if _UNIT_WORD.search(reading):
            out.problem(f"{name}: reading {_clip(reading)} is not a number")
        return
    number = _number(match.group(1))
    # HPE appends states to the reading: "145 Watts, Presence detected".
    unit = match.group(2).split(",", 1)[0]
    converted = _convert(unit, number) if number is not None else None
    if converted is None:
        return  # percent, CFM, discrete units: outside the vocabulary, not an error
    metric, value = converted
    channel = f"{name} ({entity})" if duplicate and entity else name
    role = temperature_role(name, entity=entity) if metric == "temperature_c" else None
    out.add(metric, channel, value, role=role, field=name, raw=line.strip())


def _ipmi_sensor_row(out: _Collector, name: str, cells: list[str], line: str) -> None:
    # sensor: name | value | unit | status | lnr | lcr | lnc | unc | ucr | unr
    raw_value, unit = cells[1], cells[2]
    if raw_value.lower() in _NO_VALUE or unit.lower() == "discrete":
        return
    number = _number(raw_value)
    if number is None:
        out.problem(f"{name}: value {_clip(raw_value)} is not a number")
        return
    converted = _convert(unit, number)
    if converted is None:
        return
    metric, value = converted

    def limit(text: str) -> float | None:
        n = _number(text)
        if n is None:
            return None
        c = _convert(unit, n)
        return c[1] if c else None

    thresholds = (limit(cells[6]), limit(cells[5]), limit(cells[7]), limit(cells[8]))
    role = temperature_role(name) if metric == "temperature_c" else None
    out.add(metric, name, value, role=role, field=name, raw=line.strip(), thresholds=thresholds)


# -- ipmitool dcmi power reading --------------------------------------------------------------

_DCMI_FIELDS = {
    "instantaneous power reading": "DCMI instantaneous",
    "average power reading over sample period": "DCMI average",
}
# The instantaneous reading is the server's whole input power (what a rack without PDUs
# adds up); the average repeats it over a window, so it must not be added again.
_DCMI_CLASS = {"DCMI instantaneous": "total", "DCMI average": "part"}


def parse_dcmi(text: str) -> ParseResult:
    """Parse `ipmitool dcmi power reading`: instantaneous (and average) power in watts."""
    out = _Collector(SECTION_DCMI)
    state_active = True
    for line in _lines(text):
        key, sep, rest = line.partition(":")
        if not sep:
            if _IPMI_ERROR.search(line):
                out.problem(f"ipmitool says {_clip(line)}")
            continue
        key = " ".join(key.lower().split())
        if key.startswith("power reading state"):
            state_active = "deactivated" not in rest.lower()
            continue
        channel = _DCMI_FIELDS.get(key)
        if channel is None:
            if _IPMI_ERROR.search(line):
                out.problem(f"ipmitool says {_clip(line)}")
            continue
        match = _VALUE_UNIT.match(rest)
        number = _number(match.group(1)) if match else None
        if match is None or number is None or match.group(2).lower() not in ("watts", "watt", "w"):
            out.problem(f"{channel}: unreadable value {_clip(rest)}")
            continue
        out.add(
            "power_w",
            channel,
            number,
            field=key,
            raw=line.strip(),
            channel_class=_DCMI_CLASS[channel],
        )
    if not state_active and out.readings:
        out.readings.clear()
        out.problem("power reading state is deactivated; values ignored")
    return out.result()


# -- sensors -j -------------------------------------------------------------------------------

_SENSORS_SUBFEATURES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^temp\d+_input$"), "temperature_c"),
    (re.compile(r"^fan\d+_input$"), "fan_rpm"),
    (re.compile(r"^in\d+_input$"), "voltage_v"),
    (re.compile(r"^curr\d+_input$"), "current_a"),
    (re.compile(r"^power\d+_(?:average|input)$"), "power_w"),
)


def _metric_for(subfeature: str) -> str | None:
    for pattern, metric in _SENSORS_SUBFEATURES:
        if pattern.match(subfeature):
            return metric
    return None


def _json_document(text: str) -> tuple[object | None, list[str]]:
    """Find the JSON object in sensors output that may be mixed with its stderr messages."""
    notes: list[str] = []
    if len(text) > MAX_JSON_CHARS:
        return None, [f"output is larger than {MAX_JSON_CHARS} characters"]
    start = text.find("{")
    if start < 0:
        return None, notes
    for line in text[:start].splitlines():
        if line.strip():
            notes.append(f"sensors says {_clip(line)}")
    decoder = json.JSONDecoder()
    try:
        doc, end = decoder.raw_decode(text, start)
    except (ValueError, RecursionError) as exc:
        # lm-sensors prints "ERROR: Can't get value of subfeature ..." in the middle of the
        # JSON on some chips; retry without such lines before giving up.
        kept = [ln for ln in text[start:].splitlines() if not ln.lstrip().upper().startswith("ERR")]
        try:
            doc, _ = decoder.raw_decode("\n".join(kept))
        except (ValueError, RecursionError):
            return None, [*notes, f"output is not valid JSON ({exc})"[: MAX_LINE + 40]]
        return doc, notes
    for line in text[end:].splitlines():
        if line.strip():
            notes.append(f"sensors says {_clip(line)}")
    return doc, notes


def parse_sensors_json(text: str) -> ParseResult:
    """Parse `sensors -j` (lm-sensors JSON): chip -> feature -> {subfeature: value}."""
    out = _Collector(SECTION_SENSORS)
    doc, notes = _json_document(text)
    for note in notes:
        out.problem(note)
    if doc is None:
        if not notes and text.strip():
            out.problem(f"no JSON object in output {_clip(text)}")
        return out.result()
    if not isinstance(doc, dict):
        out.problem(f"expected a JSON object of chips, got {type(doc).__name__}")
        return out.result()
    for chip, features in doc.items():
        if not isinstance(features, dict):
            out.problem(f"chip {_clip(str(chip))} is not an object")
            continue
        for feature, subs in features.items():
            if feature == "Adapter" or not isinstance(subs, dict):
                continue
            _sensors_feature(out, str(chip), str(feature), subs)
    return out.result()


def _sensors_feature(out: _Collector, chip: str, feature: str, subs: dict[object, object]) -> None:
    for sub, raw in subs.items():
        sub = str(sub)
        metric = _metric_for(sub)
        if metric is None:
            continue
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            out.problem(f"{chip}/{feature} {sub}: value {_clip(str(raw))} is not a number")
            continue
        value = float(raw)
        prefix = sub.split("_", 1)[0]
        thresholds = (
            # A temperature "min" is mostly a no-limit sentinel (-273.15), not a warning.
            None if metric == "temperature_c" else _limit(metric, subs.get(f"{prefix}_min")),
            _limit(metric, subs.get(f"{prefix}_lcrit")),
            _limit(metric, subs.get(f"{prefix}_max")),
            _limit(metric, subs.get(f"{prefix}_crit")),
        )
        role = temperature_role(feature, chip) if metric == "temperature_c" else None
        out.add(
            metric,
            f"{chip}/{feature}",
            value,
            role=role,
            field=f"{chip}/{sub}",
            raw=repr(raw),
            thresholds=thresholds,
        )


def _limit(metric: str, value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    v = float(value)
    # lm-sensors reports "no limit" as huge or sentinel values (65261.85 °C, -273.15 °C).
    low, high = PLAUSIBLE[metric]
    return v if math.isfinite(v) and low <= v <= high and v != 0.0 else None


# -- /sys/class/hwmon and /sys/class/thermal --------------------------------------------------

# sysfs file prefix -> (metric, divisor): millidegrees, RPM, millivolts, milliamps, microwatts.
_HWMON_SCALE: dict[str, tuple[str, float]] = {
    "temp": ("temperature_c", 1000.0),
    "fan": ("fan_rpm", 1.0),
    "in": ("voltage_v", 1000.0),
    "curr": ("current_a", 1000.0),
    "power": ("power_w", 1_000_000.0),
}
_HWMON_FILE = re.compile(r"^(temp|fan|in|curr|power)(\d+)_(input|average)$")


def parse_hwmon(text: str) -> ParseResult:
    """Parse the HWMON_SNIPPET lines: hwmon|<dir>|<chip>|<file>|<value>|<label>."""
    out = _Collector(SECTION_HWMON)
    for line in _lines(text):
        parts = line.split("|", 5)
        if len(parts) < 5 or parts[0] != "hwmon":
            out.problem(f"unreadable line {_clip(line)}")
            continue
        _tag, hwdir, chip, name, raw = parts[:5]
        label = parts[5].strip() if len(parts) > 5 else ""
        match = _HWMON_FILE.match(name.strip())
        if match is None:
            out.problem(f"{hwdir}: unexpected file {_clip(name)}")
            continue
        number = _number(raw)
        kind, index = match.group(1), match.group(2)
        channel = f"{chip.strip() or hwdir}/{label or kind + index}"
        if number is None:
            # Unreadable sysfs files (ENODATA, EIO) are common on idle or absent sensors.
            out.problem(f"{channel}: value {_clip(raw)} is not a number")
            continue
        metric, divisor = _HWMON_SCALE[kind]
        role = temperature_role(label, chip) if metric == "temperature_c" else None
        out.add(
            metric,
            channel,
            number / divisor,
            role=role,
            field=f"{hwdir}/{name.strip()}",
            raw=raw.strip(),
        )
    return out.result()


def parse_thermal(text: str) -> ParseResult:
    """Parse the THERMAL_SNIPPET lines: thermal|<zone>|<type>|<millidegrees>."""
    out = _Collector(SECTION_THERMAL)
    for line in _lines(text):
        parts = line.split("|", 3)
        if len(parts) != 4 or parts[0] != "thermal":
            out.problem(f"unreadable line {_clip(line)}")
            continue
        _tag, zone, ztype, raw = (p.strip() for p in parts)
        channel = f"{ztype or 'zone'}/{zone}"
        number = _number(raw)
        if number is None:
            out.problem(f"{channel}: value {_clip(raw)} is not a number")
            continue
        out.add(
            "temperature_c",
            channel,
            number / 1000.0,
            role=temperature_role(ztype),
            field=zone,
            raw=raw,
        )
    return out.result()


# -- whole poll output ------------------------------------------------------------------------

_PARSERS = {
    SECTION_IPMI: parse_ipmi,
    SECTION_DCMI: parse_dcmi,
    SECTION_SENSORS: parse_sensors_json,
    SECTION_HWMON: parse_hwmon,
    SECTION_THERMAL: parse_thermal,
}
# The host-side sources describe the same chips; the first one that yields readings wins so a
# sensor is not stored twice under two names.
_HOST_SOURCES = (SECTION_SENSORS, SECTION_HWMON, SECTION_THERMAL)


def _safe(section: str, body: str) -> ParseResult:
    try:
        return _PARSERS[section](body)
    except Exception as exc:  # a parser bug must cost one section, never the collector
        return ParseResult((), (f"{section}: parser failed ({type(exc).__name__}: {exc})",))


def parse_poll_output(text: str) -> ParseResult:
    """Parse the full output of POLL_COMMAND into readings and problems; never raises."""
    try:
        sections, problems = split_sections(text)
    except Exception as exc:
        return ParseResult((), (f"output could not be split ({type(exc).__name__}: {exc})",))
    readings: list[Reading] = []
    all_problems: list[str] = list(problems)
    for section in (SECTION_IPMI, SECTION_DCMI):
        body = sections.get(section)
        if body is None or is_absent(body):
            continue
        result = _safe(section, body)
        readings.extend(result.readings)
        all_problems.extend(result.problems)
    host_problems: list[str] = []
    for section in _HOST_SOURCES:
        body = sections.get(section)
        if body is None or is_absent(body):
            continue
        result = _safe(section, body)
        if result.readings:
            readings.extend(result.readings)
            all_problems.extend(result.problems)
            host_problems = []
            break
        host_problems.extend(result.problems)
    all_problems.extend(host_problems)
    return ParseResult(tuple(_unique(readings)), tuple(all_problems))


def _unique(readings: Iterable[Reading]) -> Iterator[Reading]:
    # Two readings on one (metric, channel) would collide in the series table: keep the first.
    seen: set[tuple[str, str]] = set()
    for r in readings:
        key = (r.metric, r.channel)
        if key not in seen:
            seen.add(key)
            yield r
