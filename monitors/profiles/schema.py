"""Parsing and validation of device profile YAML into typed specs (no I/O beyond reading files)."""

from __future__ import annotations

import re
import string
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from models.vocabulary import CHANNEL_CLASSES, METRIC_UNITS, TEMPERATURE_ROLES
from models.yaml_limits import YamlLimitError, load_limited
from monitors.profiles.mibs import MibNameError, MibNames, default_mib_dirs, looks_like_name
from monitors.snmp.values import oid_str, oid_tuple

_THRESHOLD_KEYS = ("warn_low", "warn_high", "crit_low", "crit_high")
_METRIC_KEYS = {
    "metric",
    "oid",
    "walk",
    "index",
    "label",
    "lookups",
    "when",
    "multiplier",
    "divisor",
    "divisor_from",
    "scale_from",
    "digits_from",
    "exponent_from",
    "exponent_map",
    "fahrenheit",
    "fahrenheit_from",
    "fahrenheit_values",
    "skip_values",
    "plausible",
    "skip_below",
    "skip_above",
    "signed",
    "role",
    "channel",
    "roles",
    "thresholds",
    "thresholds_enabled",
    "maps",
    "note",
}
# A profile is a page of YAML; anything near this size is not one.
MAX_PROFILE_BYTES = 1_000_000
_PROFILE_KEYS = {"description", "kind", "priority", "match", "metrics", "vendor", "models"}
_RULE_KEYS = {"sys_object_id", "sys_descr", "has_oid"}
_CONDITION_KEYS = {"lookup", "in", "not_in", "present", "matches", "missing"}
_THRESHOLD_OPTIONS = {"scaled", "skip_values", "skip_below"}
_FORMATTER = string.Formatter()
# The MIB names of the profile being loaded (set by load_profile): every OID field may be a
# name, and threading a resolver through each parser helper would only add noise.
_MIB_NAMES: ContextVar[MibNames | None] = ContextVar("rackwatch_mib_names", default=None)


class ProfileError(ValueError):
    """A profile file is invalid; the message names the file and the key.

    .where is the key path (`metrics[3].divisor`) and .detail the bare reason, when known.
    """

    def __init__(self, message: str, where: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.where = where
        self.detail = detail or message


@dataclass(frozen=True, slots=True)
class MatchRule:
    """All given conditions must hold: sysObjectID prefix, sysDescr regex, OID subtrees present."""

    sys_object_id: tuple[str, ...] = ()
    sys_descr: re.Pattern[str] | None = None
    has_oid: tuple[str, ...] = ()

    def static_ok(self, sys_object_id: str, sys_descr: str) -> bool:
        if self.sys_object_id:
            oid = oid_str(sys_object_id)
            if not any(oid == p or oid.startswith(p + ".") for p in self.sys_object_id):
                return False
        return not (self.sys_descr is not None and not self.sys_descr.search(sys_descr))


@dataclass(frozen=True, slots=True)
class Condition:
    """A row filter on one lookup; numbers compare numerically, strings as trimmed text."""

    lookup: str
    in_: tuple[float | str, ...] = ()
    not_in: tuple[float | str, ...] = ()
    present: bool | None = None
    matches: re.Pattern[str] | None = None
    # What a row whose looked-up object is absent does: "keep" or "drop"; None = the default
    # (present/in/matches drop it, not_in keeps it).
    missing: str | None = None


@dataclass(frozen=True, slots=True)
class MetricSpec:
    metric: str
    unit: str
    oid: str  # scalar OID or value OID template with {index}
    walk: str | None = None  # table column whose rows give the indexes
    index: re.Pattern[str] | None = None
    label: str = ""
    lookups: dict[str, str] = field(default_factory=dict)
    when: tuple[Condition, ...] = ()
    multiplier: float = 1.0
    divisor: float = 1.0
    divisor_from: str | None = None
    scale_from: str | None = None  # signed scale: n > 0 multiplies, n < 0 divides by -n
    digits_from: str | None = None
    exponent_from: str | None = None
    exponent_map: dict[int, int] = field(default_factory=dict)
    fahrenheit: bool = False
    fahrenheit_from: str | None = None
    fahrenheit_values: tuple[str, ...] = ()
    skip_values: tuple[float, ...] = ()
    plausible: tuple[float, float] | None = None  # overrides models.vocabulary's limits
    skip_below: float | None = None  # raw values below this mean "not available"
    skip_above: float | None = None  # raw values above this mean "not available"
    signed_bits: int = 0  # > 0: raw >= 2**(bits-1) is a negative number wrapped by the agent
    role: str | None = None
    roles: tuple[tuple[re.Pattern[str], str], ...] = ()
    channel_class: str | None = (
        None  # `channel:`; None lets models.series_meaning guess from the label
    )
    thresholds: dict[str, str | float] = field(default_factory=dict)
    thresholds_scaled: bool = True
    # Raw limit values meaning "no limit" (besides the metric's own skip_values).
    threshold_skip: tuple[float, ...] = ()
    threshold_skip_below: float | None = None
    # (lookup, {threshold key: BITS position}): a limit counts only when its bit is set.
    thresholds_enabled: tuple[str, dict[str, int]] | None = None
    maps: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    path: str
    description: str
    kind: str
    priority: int
    match: tuple[MatchRule, ...]
    metrics: tuple[MetricSpec, ...]

    def oids_to_check(self) -> tuple[str, ...]:
        return tuple(o for r in self.match for o in r.has_oid)


def _err(path: Path, where: str, msg: str) -> ProfileError:
    return ProfileError(f"{path}: {where}: {msg}", where, msg)


def _oid(path: Path, where: str, value: Any) -> str:
    if not isinstance(value, str | int):
        raise _err(path, where, f"expected an OID string, got {value!r}")
    text = oid_str(str(value))
    if looks_like_name(text):
        names = _MIB_NAMES.get()
        if names is None:
            raise _err(path, where, f"MIB name {value!r} outside a profile load")
        try:
            text = names.resolve(text)
        except MibNameError as exc:
            raise _err(path, where, str(exc)) from None
    probe = re.sub(r"\{[^}]*\}", "1", text)
    try:
        oid_tuple(probe)
    except ValueError:
        raise _err(path, where, f"not a numeric OID: {value!r}") from None
    return text


def _num(path: Path, where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _err(path, where, f"expected a number, got {value!r}")
    return float(value)


def _nums(path: Path, where: str, value: Any) -> tuple[float, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(_num(path, where, v) for v in items)


def _plausible(path: Path, where: str, value: Any) -> tuple[float, float]:
    nums = _nums(path, where, value)
    if len(nums) != 2 or not nums[0] < nums[1]:
        raise _err(path, where, f"expected [low, high] with low < high, got {value!r}")
    return nums[0], nums[1]


def _regex(path: Path, where: str, value: Any) -> re.Pattern[str]:
    try:
        return re.compile(str(value))
    except re.error as exc:
        raise _err(path, where, f"bad regular expression {value!r}: {exc}") from None


def _fields(template: str) -> set[str]:
    try:
        return {f for _, f, _, _ in _FORMATTER.parse(template) if f}
    except ValueError as exc:
        raise ValueError(str(exc)) from None


def _parse_rule(path: Path, where: str, raw: Any) -> MatchRule:
    if not isinstance(raw, dict) or not raw:
        raise _err(path, where, "each match rule is a mapping of conditions")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise _err(path, where, f"unknown keys {sorted(unknown)}; use {sorted(_RULE_KEYS)}")
    so = raw.get("sys_object_id", [])
    so_list = so if isinstance(so, list) else [so]
    ho = raw.get("has_oid", [])
    ho_list = ho if isinstance(ho, list) else [ho]
    descr = raw.get("sys_descr")
    return MatchRule(
        sys_object_id=tuple(_oid(path, f"{where}.sys_object_id", o) for o in so_list),
        sys_descr=_regex(path, f"{where}.sys_descr", descr) if descr is not None else None,
        has_oid=tuple(_oid(path, f"{where}.has_oid", o) for o in ho_list),
    )


def _choices(path: Path, where: str, value: Any) -> tuple[float | str, ...]:
    items = value if isinstance(value, list) else [value]
    out: list[float | str] = []
    for v in items:
        out.append(v if isinstance(v, str) else _num(path, where, v))
    return tuple(out)


def _parse_when(path: Path, where: str, raw: Any, lookups: dict[str, str]) -> tuple[Condition, ...]:
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for n, c in enumerate(items):
        w = f"{where}[{n}]"
        if not isinstance(c, dict) or "lookup" not in c:
            raise _err(path, w, "a condition needs 'lookup' and one of in/not_in/present/matches")
        unknown = set(c) - _CONDITION_KEYS
        if unknown:
            raise _err(path, w, f"unknown keys {sorted(unknown)}; use {sorted(_CONDITION_KEYS)}")
        if c["lookup"] not in lookups and c["lookup"] != "value":
            raise _err(path, w, f"unknown lookup {c['lookup']!r}")
        missing = c.get("missing")
        if missing is not None and missing not in ("keep", "drop"):
            raise _err(path, f"{w}.missing", f"expected keep or drop, got {missing!r}")
        out.append(
            Condition(
                lookup=str(c["lookup"]),
                in_=_choices(path, f"{w}.in", c["in"]) if "in" in c else (),
                not_in=_choices(path, f"{w}.not_in", c["not_in"]) if "not_in" in c else (),
                present=bool(c["present"]) if "present" in c else None,
                matches=_regex(path, f"{w}.matches", c["matches"]) if "matches" in c else None,
                missing=missing,
            )
        )
    return tuple(out)


def _parse_metric(path: Path, where: str, raw: Any) -> MetricSpec:
    if not isinstance(raw, dict):
        raise _err(path, where, "each metric is a mapping")
    unknown = set(raw) - _METRIC_KEYS
    if unknown:
        raise _err(path, where, f"unknown keys {sorted(unknown)}")
    metric = raw.get("metric")
    if metric not in METRIC_UNITS:
        raise _err(path, f"{where}.metric", f"{metric!r} is not one of {sorted(METRIC_UNITS)}")
    walk = _oid(path, f"{where}.walk", raw["walk"]) if "walk" in raw else None
    if "oid" in raw:
        oid = _oid(path, f"{where}.oid", raw["oid"])
    elif walk is not None:
        oid = walk + ".{index}"
    else:
        raise _err(path, where, "needs 'oid' (a scalar) or 'walk' (a table column)")
    lookups_raw = raw.get("lookups", {}) or {}
    if not isinstance(lookups_raw, dict):
        raise _err(path, f"{where}.lookups", "expected a mapping of name: OID template")
    lookups = {str(k): _oid(path, f"{where}.lookups.{k}", v) for k, v in lookups_raw.items()}
    index_re = _regex(path, f"{where}.index", raw["index"]) if "index" in raw else None
    index_names = {"index", "value"} | {f"i{n}" for n in range(16)}
    if index_re is not None:
        index_names |= set(index_re.groupindex)
    for name, template in [("oid", oid), *lookups.items()]:
        try:
            bad = _fields(template) - index_names
        except ValueError as exc:
            raise _err(path, f"{where}.{name}", f"bad template: {exc}") from None
        if bad:
            raise _err(path, f"{where}.{name}", f"unknown template fields {sorted(bad)}")
        if "{" in template and walk is None:
            raise _err(path, f"{where}.{name}", "index templates need 'walk'")
    label = str(raw.get("label", ""))
    try:
        bad = _fields(label) - index_names - set(lookups)
    except ValueError as exc:
        raise _err(path, f"{where}.label", f"bad template: {exc}") from None
    if bad:
        raise _err(path, f"{where}.label", f"unknown template fields {sorted(bad)}")
    for key in ("divisor_from", "scale_from", "digits_from", "exponent_from", "fahrenheit_from"):
        if key in raw and raw[key] not in lookups:
            raise _err(path, f"{where}.{key}", f"unknown lookup {raw[key]!r}")
    channel_class = raw.get("channel")
    if channel_class is not None and channel_class not in CHANNEL_CLASSES:
        raise _err(path, f"{where}.channel", f"{channel_class!r} is not one of {CHANNEL_CLASSES}")
    role = raw.get("role")
    if role is not None and role not in TEMPERATURE_ROLES:
        raise _err(path, f"{where}.role", f"{role!r} is not one of {TEMPERATURE_ROLES}")
    roles = []
    for n, item in enumerate(raw.get("roles", []) or []):
        if not isinstance(item, dict) or set(item) != {"label", "role"}:
            raise _err(path, f"{where}.roles[{n}]", "expected {label: regex, role: name}")
        if item["role"] not in TEMPERATURE_ROLES:
            raise _err(path, f"{where}.roles[{n}].role", f"{item['role']!r} is not a role")
        roles.append((_regex(path, f"{where}.roles[{n}].label", item["label"]), item["role"]))
    thresholds: dict[str, str | float] = {}
    scaled = True
    th_raw = raw.get("thresholds", {}) or {}
    if not isinstance(th_raw, dict):
        raise _err(path, f"{where}.thresholds", "expected a mapping of limit: lookup or number")
    th_skip = (
        _nums(path, f"{where}.thresholds.skip_values", th_raw["skip_values"])
        if "skip_values" in th_raw
        else ()
    )
    th_below = th_raw.get("skip_below")
    for key, value in th_raw.items():
        if key in _THRESHOLD_OPTIONS:
            if key == "scaled":
                scaled = bool(value)
            continue
        if key not in _THRESHOLD_KEYS:
            raise _err(path, f"{where}.thresholds", f"unknown key {key!r}")
        if isinstance(value, str):
            if value not in lookups:
                raise _err(path, f"{where}.thresholds.{key}", f"unknown lookup {value!r}")
            thresholds[key] = value
        else:
            thresholds[key] = _num(path, f"{where}.thresholds.{key}", value)
    enabled: tuple[str, dict[str, int]] | None = None
    if "thresholds_enabled" in raw:
        te = raw["thresholds_enabled"]
        ok = isinstance(te, dict) and set(te) == {"lookup", "bits"} and isinstance(te["bits"], dict)
        if not ok or te["lookup"] not in lookups:
            raise _err(
                path,
                f"{where}.thresholds_enabled",
                "expected {lookup: NAME, bits: {crit_high: N, ...}} with a known lookup",
            )
        bits: dict[str, int] = {}
        for key, pos in te["bits"].items():
            if key not in _THRESHOLD_KEYS or not isinstance(pos, int) or pos < 0:
                raise _err(path, f"{where}.thresholds_enabled.bits.{key}", "bad key or position")
            bits[str(key)] = pos
        enabled = (str(te["lookup"]), bits)
    divisor = _num(path, f"{where}.divisor", raw.get("divisor", 1))
    if divisor == 0:
        raise _err(path, f"{where}.divisor", "must not be 0")
    emap = raw.get("exponent_map", {}) or {}
    maps_raw = raw.get("maps", {}) or {}
    if not isinstance(maps_raw, dict):
        raise _err(path, f"{where}.maps", "expected {lookup: {value: text}}")
    maps: dict[str, dict[str, str]] = {}
    for k, m in maps_raw.items():
        if k not in lookups or not isinstance(m, dict):
            raise _err(path, f"{where}.maps.{k}", "expected a known lookup mapped to {value: text}")
        maps[str(k)] = {str(a): str(b) for a, b in m.items()}
    signed = raw.get("signed", False)
    if signed is True:
        signed_bits = 32
    elif signed is False:
        signed_bits = 0
    elif signed in (8, 16, 32, 64):
        signed_bits = int(signed)
    else:
        raise _err(
            path, f"{where}.signed", f"expected true, false, 8, 16, 32 or 64, got {signed!r}"
        )
    return MetricSpec(
        metric=str(metric),
        unit=METRIC_UNITS[str(metric)],
        oid=oid,
        walk=walk,
        index=index_re,
        label=label,
        lookups=lookups,
        when=_parse_when(path, f"{where}.when", raw["when"], lookups) if "when" in raw else (),
        multiplier=_num(path, f"{where}.multiplier", raw.get("multiplier", 1)),
        divisor=divisor,
        divisor_from=raw.get("divisor_from"),
        scale_from=raw.get("scale_from"),
        digits_from=raw.get("digits_from"),
        exponent_from=raw.get("exponent_from"),
        exponent_map={int(k): int(v) for k, v in emap.items()},
        fahrenheit=bool(raw.get("fahrenheit", False)),
        fahrenheit_from=raw.get("fahrenheit_from"),
        fahrenheit_values=tuple(str(v) for v in raw.get("fahrenheit_values", []) or []),
        skip_values=_nums(path, f"{where}.skip_values", raw["skip_values"])
        if "skip_values" in raw
        else (),
        plausible=_plausible(path, f"{where}.plausible", raw["plausible"])
        if "plausible" in raw
        else None,
        skip_below=_num(path, f"{where}.skip_below", raw["skip_below"])
        if "skip_below" in raw
        else None,
        skip_above=_num(path, f"{where}.skip_above", raw["skip_above"])
        if "skip_above" in raw
        else None,
        signed_bits=signed_bits,
        role=role,
        roles=tuple(roles),
        channel_class=channel_class,
        thresholds=thresholds,
        thresholds_scaled=scaled,
        threshold_skip=th_skip,
        threshold_skip_below=_num(path, f"{where}.thresholds.skip_below", th_below)
        if th_below is not None
        else None,
        thresholds_enabled=enabled,
        maps=maps,
    )


def load_profile(path: Path, mibs: MibNames | None = None) -> Profile:
    """Read and validate one profile file; the profile's name is the file stem.

    MIB names are looked up in `mibs` (default: a `mibs/` folder beside the file, then
    resources/mibs and $RACKWATCH_MIBS); MIB files are only compiled when a name is used.
    """
    token = _MIB_NAMES.set(mibs or MibNames([path.parent / "mibs", *default_mib_dirs()]))
    try:
        return _load(path)
    finally:
        _MIB_NAMES.reset(token)


def _load(path: Path) -> Profile:
    try:
        data = load_limited(path, max_bytes=MAX_PROFILE_BYTES)
    except YamlLimitError as exc:
        raise ProfileError(str(exc)) from None
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: the top level must be a mapping")
    unknown = set(data) - _PROFILE_KEYS
    if unknown:
        raise _err(path, "top level", f"unknown keys {sorted(unknown)}")
    match_raw = data.get("match")
    if not isinstance(match_raw, list) or not match_raw:
        raise _err(path, "match", "expected a non-empty list of rules")
    metrics_raw = data.get("metrics")
    if not isinstance(metrics_raw, list) or not metrics_raw:
        raise _err(path, "metrics", "expected a non-empty list")
    priority = data.get("priority", 50)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise _err(path, "priority", f"expected an integer, got {priority!r}")
    return Profile(
        name=path.stem,
        path=str(path),
        description=str(data.get("description", "")),
        kind=str(data.get("kind", "pdu")),
        priority=priority,
        match=tuple(_parse_rule(path, f"match[{n}]", r) for n, r in enumerate(match_raw)),
        metrics=tuple(_parse_metric(path, f"metrics[{n}]", m) for n, m in enumerate(metrics_raw)),
    )


def _key_lines(node: yaml.Node, where: str, out: dict[str, int]) -> None:
    out.setdefault(where, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = str(key.value)
            sub = f"{where}.{name}" if where else name
            out[sub] = key.start_mark.line + 1
            _key_lines(value, sub, out)
    elif isinstance(node, yaml.SequenceNode):
        for n, item in enumerate(node.value):
            _key_lines(item, f"{where}[{n}]", out)


def _line_of(lines: dict[str, int], where: str) -> int:
    """Line of the deepest key path known for where (`metrics[2].when[0].in` -> its line)."""
    probe = where
    while probe:
        if probe in lines:
            return lines[probe]
        cut = max(probe.rfind("."), probe.rfind("["))
        probe = probe[:cut] if cut > 0 else ""
    return 1


def check_profile(path: Path, mibs: MibNames | None = None) -> list[str]:
    """Every schema and OID error of one profile as `file:line: key: message` (empty: valid).

    Unlike load_profile, which stops at the first error, each match rule and metric is
    checked on its own so one run lists everything to fix.
    """
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else 1
        return [f"{path}:{line}: cannot read YAML: {exc.problem or exc}"]
    except (OSError, yaml.YAMLError) as exc:
        return [f"{path}:1: cannot read YAML: {exc}"]
    lines: dict[str, int] = {}
    if node is not None:
        _key_lines(node, "", lines)
    errors: list[str] = []

    def note(exc: ProfileError) -> None:
        errors.append(f"{path}:{_line_of(lines, exc.where)}: {exc.where or 'file'}: {exc.detail}")

    token = _MIB_NAMES.set(mibs or MibNames([path.parent / "mibs", *default_mib_dirs()]))
    try:
        try:
            _load(path)
            return []
        except ProfileError as exc:
            first = exc
        data = yaml.safe_load(text)
        if not isinstance(data, dict) or not isinstance(data.get("metrics"), list):
            note(first)
            return errors
        for n, rule in enumerate(data.get("match") or []):
            try:
                _parse_rule(path, f"match[{n}]", rule)
            except ProfileError as exc:
                note(exc)
        for n, metric in enumerate(data["metrics"]):
            try:
                _parse_metric(path, f"metrics[{n}]", metric)
            except ProfileError as exc:
                note(exc)
        if not errors:
            note(first)
        return errors
    finally:
        _MIB_NAMES.reset(token)
