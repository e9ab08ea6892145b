"""Alarm rules read from YAML: shipped defaults merged with the operator's override file."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import resources
from models.paths import config_dir
from models.yaml_limits import YamlLimitError, load_limited

DEFAULT_RULES = resources.ALARM_RULES
USER_RULES_NAME = "alarms.yaml"
SEVERITIES = ("warning", "critical")
MAX_FILE_BYTES = 1_000_000


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class Levels:
    """Thresholds of one quantity; None means the level is not checked."""

    warning: float | None = None
    critical: float | None = None
    low_warning: float | None = None
    low_critical: float | None = None
    hysteresis: float = 0.0

    def any(self) -> bool:
        return any(
            v is not None
            for v in (self.warning, self.critical, self.low_warning, self.low_critical)
        )


@dataclass(frozen=True, slots=True)
class PctRule:
    enabled: bool
    warning_pct: float
    critical_pct: float
    hysteresis_pct: float


@dataclass(frozen=True, slots=True)
class PowerTruthRule:
    """Tolerances of the cross-check and the failover rule (alarm rules, `power_truth:`)."""

    enabled: bool = True
    # Both ends measure AC input, so the slack is meter accuracy (PDU outlets about 1 %,
    # BMC/DCMI readings 2-5 %) plus the draw moving between the two polls.
    tolerance_pct: float = 5.0
    floor_w: float = 15.0  # absolute slack for small servers and meter resolution
    psu_share_pct: float = 5.0  # a mapped PSU outlet below this share of the group: PSU out
    unlisted_w: float = 20.0  # an unmapped outlet of a mapped PDU drawing more than this
    failover_enabled: bool = True
    failover_limit_pct: float = 80.0  # continuous-load rule for the surviving breaker
    failover_check_s: int = 300  # how often the weekly peaks are re-read
    power_factor: float = 0.95  # W -> A for what-if servers (the feed's voltage)


@dataclass(frozen=True, slots=True)
class ForecastTarget:
    metric: str
    role: str | None


@dataclass(frozen=True, slots=True)
class ForecastRule:
    enabled: bool
    window_s: int
    horizon_s: int
    min_points: int
    min_slope_per_min: float
    raise_after: int
    clear_after: int
    targets: tuple[ForecastTarget, ...]


@dataclass(frozen=True)
class Rules:
    raise_after: int
    clear_after: int
    temperature: dict[str, Levels]
    humidity: Levels
    device_limits_enabled: bool
    device_limits_hysteresis_pct: float
    device_limits_metrics: frozenset[str]
    device_limits_ignore_zero: bool
    rack_power: PctRule
    phase_current: PctRule
    redundancy: PctRule
    unreachable_enabled: bool
    unreachable_failures: int
    unreachable_clear_after: int
    unreachable_severity: dict[str, str]
    stale_enabled: bool
    stale_intervals: int
    stale_shown_intervals: int
    stale_severity: str
    forecast: ForecastRule
    role_from_channel: tuple[tuple[re.Pattern[str], str], ...]
    total_channel: tuple[re.Pattern[str], ...]
    phase_channel: tuple[re.Pattern[str], ...]
    not_phase_channel: tuple[re.Pattern[str], ...]
    outlet_channel: tuple[re.Pattern[str], ...] = field(default=())
    sources: tuple[str, ...] = field(default=())
    # Dotted key paths the operator's file sets ("temperature.roles.inlet.warning"): those
    # levels win over a device's own (models.series_meaning.effective_levels).
    overridden: frozenset[str] = field(default=frozenset())
    power_truth: PowerTruthRule = field(default=PowerTruthRule())

    def temperature_role(self, role: str | None, channel: str) -> str | None:
        """The role the rules use: the device's, unless it is missing or 'ambient' and the
        channel label says which air it measures."""
        if role not in (None, "", "ambient"):
            return role
        for pattern, mapped in self.role_from_channel:
            if pattern.search(channel):
                return mapped
        return role or None

    def phase_of(self, channel: str, *, ignore_exclusions: bool = False) -> int | None:
        """Phase number (1..3, or A..C) of a channel label, or None when it names no phase.

        ignore_exclusions: the profile already says it is a phase, so an outlet or bank word
        in the label does not matter."""
        c = channel.strip()
        if not ignore_exclusions and any(
            p.search(c) for p in self.not_phase_channel + self.outlet_channel
        ):
            return None
        for p in self.phase_channel:
            m = p.search(c)
            if m:
                try:
                    n = m.group("n").lower()
                except IndexError:
                    return None
                return "abc".index(n) + 1 if n in "abc" else int(n)
        return None

    def overridden_levels(self, prefix: str) -> frozenset[str]:
        """Which levels below prefix ("humidity", "temperature.roles.inlet") the operator set."""
        lead = prefix + "."
        return frozenset(
            p[len(lead) :]
            for p in self.overridden
            if p.startswith(lead) and "." not in p[len(lead) :]
        ) | (frozenset({"warning", "critical"}) if prefix in self.overridden else frozenset())

    def phase_current_levels(self, breaker_a: float) -> Levels | None:
        """Per-phase current levels on a feed with this breaker (continuous-load rule)."""
        rule = self.phase_current
        if not rule.enabled or breaker_a <= 0:
            return None
        return _pct_levels(rule, breaker_a)

    def inlet_levels(self) -> Levels:
        """The inlet temperature rule: colour ramps and default plot lines follow it."""
        return self.temperature.get("inlet", Levels())

    def inlet_scale(self) -> tuple[float, float]:
        """(warning, critical) inlet temperatures that anchor colour ramps; the shipped
        defaults when the operator's file leaves the inlet rule without levels."""
        lv = self.inlet_levels()
        warn = lv.warning if lv.warning is not None else lv.critical
        crit = lv.critical if lv.critical is not None else warn
        if warn is None or crit is None:
            if self.sources[:1] == ("shipped",):
                return (0.0, 1.0)
            return _shipped().inlet_scale()
        return warn, max(crit, warn + 1.0)

    def rack_power_scale(self) -> tuple[float, float]:
        """(warning, critical) percent of rated rack power that anchor the kW colour ramp."""
        rule = self.rack_power
        return rule.warning_pct, max(rule.critical_pct, rule.warning_pct + 1.0)

    def rack_power_levels(self, rated_w: float | None) -> Levels | None:
        """Rack power levels in W against the rack's rated power."""
        rule = self.rack_power
        if not rule.enabled or not rated_w or rated_w <= 0:
            return None
        return _pct_levels(rule, rated_w)


def _pct_levels(rule: PctRule, capacity: float) -> Levels:
    return Levels(
        capacity * rule.warning_pct / 100.0,
        capacity * rule.critical_pct / 100.0,
        None,
        None,
        capacity * rule.hysteresis_pct / 100.0,
    )


def user_rules_path() -> Path:
    return config_dir() / USER_RULES_NAME


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge over into base: mappings merge key by key, anything else replaces."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def _read(path: Path) -> dict[str, Any]:
    try:
        data = load_limited(path, max_bytes=MAX_FILE_BYTES)
    except OSError as exc:
        raise RulesError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except YamlLimitError as exc:
        raise RulesError(str(exc)) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RulesError(f"{path}: the top level must be a mapping of rule sections")
    return data


def _paths(data: Mapping[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for k, v in data.items():
        p = f"{prefix}{k}"
        out.add(p)
        if isinstance(v, Mapping):
            out |= _paths(v, p + ".")
    return out


def load_rules(user_path: Path | None = None, *, use_user_file: bool = True) -> Rules:
    """Shipped defaults, then the user file (config dir or user_path) merged over them."""
    data = _read(DEFAULT_RULES)
    sources = [str(DEFAULT_RULES)]
    overridden: set[str] = set()
    if use_user_file:
        path = user_path or user_rules_path()
        if path.exists():
            user = _read(path)
            data = merge(data, user)
            sources.append(str(path))
            overridden = _paths(user)
    rules = parse_rules(data, where=" + ".join(sources), sources=tuple(sources))
    return replace(rules, overridden=frozenset(overridden))


_current: dict[str, tuple[tuple[int, int] | None, Rules]] = {}


def _shipped() -> Rules:
    rules = load_rules(use_user_file=False)
    return replace(rules, sources=("shipped",))


def current_rules(user_path: Path | None = None) -> Rules:
    """The rules every process applies now: re-read when the operator's file changes.

    Cheap enough to call on every read (one stat). A broken operator file keeps the last
    good rules (or the shipped defaults) so a typo never leaves a desk without limits.
    """
    path = user_path or user_rules_path()
    try:
        st = path.stat()
        stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = None
    key = str(path)
    cached = _current.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        rules = load_rules(path) if stamp is not None else load_rules(use_user_file=False)
    except RulesError:
        if cached is not None:
            return cached[1]
        rules = load_rules(use_user_file=False)
    _current[key] = (stamp, rules)
    return rules


def rules_from_mapping(over: Mapping[str, Any]) -> Rules:
    """Defaults with over merged on top (tests and embedders); no user file is read."""
    return parse_rules(merge(_read(DEFAULT_RULES), over), where="rules", sources=("mapping",))


class _Reader:
    def __init__(self, data: Mapping[str, Any], where: str) -> None:
        self.data = data
        self.where = where

    def section(self, name: str) -> Mapping[str, Any]:
        v = self.data.get(name, {})
        if not isinstance(v, Mapping):
            raise RulesError(f"{self.where}: '{name}' must be a mapping")
        return v

    def num(
        self, sec: Mapping[str, Any], path: str, key: str, default: float | None
    ) -> float | None:
        v = sec.get(key, default)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise RulesError(f"{self.where}: {path}.{key} must be a number, not {v!r}")
        return float(v)

    def req(self, sec: Mapping[str, Any], path: str, key: str, default: float) -> float:
        v = self.num(sec, path, key, default)
        if v is None:
            raise RulesError(f"{self.where}: {path}.{key} is required")
        return v

    def count(self, sec: Mapping[str, Any], path: str, key: str, default: int) -> int:
        v = self.req(sec, path, key, default)
        if v < 1 or v != int(v):
            raise RulesError(f"{self.where}: {path}.{key} must be a whole number >= 1, not {v}")
        return int(v)

    def flag(self, sec: Mapping[str, Any], path: str, key: str, default: bool) -> bool:
        v = sec.get(key, default)
        if not isinstance(v, bool):
            raise RulesError(f"{self.where}: {path}.{key} must be true or false, not {v!r}")
        return v

    def severity(self, v: Any, path: str) -> str:
        if v not in SEVERITIES:
            raise RulesError(f"{self.where}: {path} must be one of {', '.join(SEVERITIES)}")
        return str(v)

    def levels(self, sec: Mapping[str, Any], path: str, hysteresis: float) -> Levels:
        if not isinstance(sec, Mapping):
            raise RulesError(f"{self.where}: {path} must be a mapping")
        lv = Levels(
            self.num(sec, path, "warning", None),
            self.num(sec, path, "critical", None),
            self.num(sec, path, "low_warning", None),
            self.num(sec, path, "low_critical", None),
            self.req(sec, path, "hysteresis", hysteresis),
        )
        if lv.warning is not None and lv.critical is not None and lv.critical < lv.warning:
            raise RulesError(f"{self.where}: {path}: critical is below warning")
        if (
            lv.low_warning is not None
            and lv.low_critical is not None
            and lv.low_critical > lv.low_warning
        ):
            raise RulesError(f"{self.where}: {path}: low_critical is above low_warning")
        if lv.hysteresis < 0:
            raise RulesError(f"{self.where}: {path}.hysteresis must not be negative")
        return lv

    def pct(self, name: str) -> PctRule:
        sec = self.section(name)
        rule = PctRule(
            self.flag(sec, name, "enabled", True),
            self.req(sec, name, "warning_pct", 80.0),
            self.req(sec, name, "critical_pct", 90.0),
            self.req(sec, name, "hysteresis_pct", 2.0),
        )
        if not 0 < rule.warning_pct <= rule.critical_pct:
            raise RulesError(f"{self.where}: {name}: need 0 < warning_pct <= critical_pct")
        return rule

    def names(self, sec: Mapping[str, Any], path: str, key: str) -> list[str]:
        v = sec.get(key, [])
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise RulesError(f"{self.where}: {path}.{key} must be a list of names")
        return list(v)

    def patterns(self, sec: Mapping[str, Any], key: str) -> tuple[re.Pattern[str], ...]:
        v = sec.get(key, [])
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise RulesError(f"{self.where}: channels.{key} must be a list of regular expressions")
        out = []
        for x in v:
            try:
                out.append(re.compile(x, re.I))
            except re.error as exc:
                raise RulesError(f"{self.where}: channels.{key}: bad pattern {x!r}: {exc}") from exc
        return tuple(out)


def parse_rules(data: Mapping[str, Any], *, where: str, sources: tuple[str, ...] = ()) -> Rules:
    r = _Reader(data, where)
    d = r.section("defaults")
    raise_after = r.count(d, "defaults", "raise_after", 2)
    clear_after = r.count(d, "defaults", "clear_after", 3)

    t = r.section("temperature")
    t_hyst = r.req(t, "temperature", "hysteresis", 1.0)
    roles = t.get("roles", {})
    if not isinstance(roles, Mapping):
        raise RulesError(f"{where}: temperature.roles must be a mapping of role to levels")
    temperature = {
        str(role): r.levels(lv, f"temperature.roles.{role}", t_hyst) for role, lv in roles.items()
    }
    h = r.section("humidity")
    humidity = r.levels(h, "humidity", r.req(h, "humidity", "hysteresis", 2.0))

    dl = r.section("device_limits")
    u = r.section("unreachable")
    sev_map = u.get("severity", {})
    if not isinstance(sev_map, Mapping):
        raise RulesError(f"{where}: unreachable.severity must map device kind to severity")
    unreachable_severity = {
        str(k): r.severity(v, f"unreachable.severity.{k}") for k, v in sev_map.items()
    }
    s = r.section("stale")
    f = r.section("forecast")
    targets_raw = f.get("targets", [])
    if not isinstance(targets_raw, list):
        raise RulesError(f"{where}: forecast.targets must be a list of {{metric, role}}")
    targets = []
    for i, tg in enumerate(targets_raw):
        if not isinstance(tg, Mapping) or not isinstance(tg.get("metric"), str):
            raise RulesError(f"{where}: forecast.targets[{i}] needs a metric")
        role = tg.get("role")
        targets.append(ForecastTarget(tg["metric"], None if role is None else str(role)))
    forecast = ForecastRule(
        r.flag(f, "forecast", "enabled", True),
        r.count(f, "forecast", "window_s", 900),
        r.count(f, "forecast", "horizon_s", 1800),
        max(3, r.count(f, "forecast", "min_points", 6)),
        r.req(f, "forecast", "min_slope_per_min", 0.05),
        r.count(f, "forecast", "raise_after", 2),
        r.count(f, "forecast", "clear_after", 3),
        tuple(targets),
    )
    ch = r.section("channels")
    rfc_raw = data.get("role_from_channel", [])
    if not isinstance(rfc_raw, list):
        raise RulesError(f"{where}: role_from_channel must be a list of {{pattern, role}}")
    role_from_channel = []
    for i, item in enumerate(rfc_raw):
        if not (
            isinstance(item, Mapping)
            and isinstance(item.get("pattern"), str)
            and isinstance(item.get("role"), str)
        ):
            raise RulesError(f"{where}: role_from_channel[{i}] needs a pattern and a role")
        try:
            role_from_channel.append((re.compile(item["pattern"], re.I), item["role"]))
        except re.error as exc:
            raise RulesError(f"{where}: role_from_channel[{i}]: bad pattern: {exc}") from exc
    return Rules(
        raise_after=raise_after,
        clear_after=clear_after,
        temperature=temperature,
        humidity=humidity,
        device_limits_enabled=r.flag(dl, "device_limits", "enabled", True),
        device_limits_hysteresis_pct=r.req(dl, "device_limits", "hysteresis_pct", 2.0),
        device_limits_metrics=frozenset(r.names(dl, "device_limits", "metrics")),
        device_limits_ignore_zero=r.flag(dl, "device_limits", "ignore_zero", True),
        rack_power=r.pct("rack_power"),
        phase_current=r.pct("phase_current"),
        redundancy=r.pct("redundancy"),
        unreachable_enabled=r.flag(u, "unreachable", "enabled", True),
        unreachable_failures=r.count(u, "unreachable", "failures", 3),
        unreachable_clear_after=r.count(u, "unreachable", "clear_after", 1),
        unreachable_severity=unreachable_severity,
        stale_enabled=r.flag(s, "stale", "enabled", True),
        stale_intervals=r.count(s, "stale", "intervals", 5),
        stale_shown_intervals=r.count(s, "stale", "shown_after_intervals", 2),
        stale_severity=r.severity(s.get("severity", "warning"), "stale.severity"),
        forecast=forecast,
        role_from_channel=tuple(role_from_channel),
        total_channel=r.patterns(ch, "total"),
        phase_channel=r.patterns(ch, "phase"),
        not_phase_channel=r.patterns(ch, "not_phase"),
        outlet_channel=r.patterns(ch, "outlet"),
        sources=sources,
        power_truth=_power_truth(r),
    )


def _power_truth(r: _Reader) -> PowerTruthRule:
    pt = r.section("power_truth")
    fo = r.section("failover")
    base = PowerTruthRule()
    return PowerTruthRule(
        enabled=r.flag(pt, "power_truth", "enabled", base.enabled),
        tolerance_pct=r.req(pt, "power_truth", "tolerance_pct", base.tolerance_pct),
        floor_w=r.req(pt, "power_truth", "floor_w", base.floor_w),
        psu_share_pct=r.req(pt, "power_truth", "psu_share_pct", base.psu_share_pct),
        unlisted_w=r.req(pt, "power_truth", "unlisted_w", base.unlisted_w),
        failover_enabled=r.flag(fo, "failover", "enabled", base.failover_enabled),
        failover_limit_pct=r.req(fo, "failover", "limit_pct", base.failover_limit_pct),
        failover_check_s=r.count(fo, "failover", "check_s", base.failover_check_s),
        power_factor=r.req(fo, "failover", "power_factor", base.power_factor),
    )
