"""Device profile engine: pick a YAML profile for a device, discover its poll plan, poll it."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import resources
from monitors.collection.readings import DeviceIdentity
from monitors.collection.targets import SnmpTarget
from monitors.profiles.mibs import MibNames, default_mib_dirs
from monitors.profiles.plan import (
    Decoded,
    PlanItem,
    PollPlan,
    is_sentinel,
    parse_number,
    unwrap,
)
from monitors.profiles.schema import MatchRule, MetricSpec, Profile, ProfileError, load_profile
from monitors.snmp.client import SnmpClient
from monitors.snmp.values import SnmpValue, octet_bytes, oid_str

__all__ = [
    "Decoded",
    "PlanItem",
    "PollPlan",
    "Profile",
    "ProfileError",
    "ProfileSet",
    "build_plan",
    "default_profiles_dir",
    "discover",
    "poll",
]

log = logging.getLogger(__name__)
_SPACES = re.compile(r"\s+")


def default_profiles_dir() -> Path:
    """resources/profiles inside the installed package tree."""
    return resources.PROFILES_DIR


class ProfileSet:
    """All profiles of a directory, by name (file stem), ordered by priority for matching."""

    def __init__(self, profiles: Iterable[Profile], broken: dict[str, str] | None = None) -> None:
        # Profiles that failed to load, by name -> "file:line: why" (their devices fail alone).
        self.broken: dict[str, str] = dict(broken or {})
        self._by_name: dict[str, Profile] = {}
        for p in profiles:
            self._by_name[p.name] = p
        self._ordered = sorted(self._by_name.values(), key=lambda p: (-p.priority, p.name))

    @classmethod
    def load(cls, directory: Path | str | None = None) -> ProfileSet:
        """Load every *.yaml under directory (default resources/profiles); ProfileError if bad."""
        root = Path(directory) if directory is not None else default_profiles_dir()
        if not root.is_dir():
            raise ProfileError(f"{root}: profile directory not found")
        # One MIB name table for the whole directory: MIB files are compiled at most once.
        mibs = MibNames([root / "mibs", *default_mib_dirs()])
        good: list[Profile] = []
        broken: dict[str, str] = {}
        for path in sorted(root.glob("*.yaml")):
            try:
                good.append(load_profile(path, mibs))
            except ProfileError as exc:
                # One broken file must not stop the collector: only its devices go without.
                broken[path.stem] = str(exc)
                log.error("profile not loaded: %s", exc)
        return cls(good, broken)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self._ordered]

    def get(self, name: str) -> Profile:
        """The profile called name; KeyError naming the known profiles otherwise."""
        try:
            return self._by_name[name]
        except KeyError:
            if name in self.broken:
                raise KeyError(f"profile {name!r} is broken: {self.broken[name]}") from None
            raise KeyError(
                f"no profile {name!r}; known: {', '.join(sorted(self._by_name))}"
            ) from None

    def __len__(self) -> int:
        return len(self._ordered)

    def __iter__(self) -> Any:
        return iter(self._ordered)

    def candidates(self, identity: DeviceIdentity) -> list[Profile]:
        """Profiles with at least one rule whose sysObjectID/sysDescr conditions hold."""
        return [
            p
            for p in self._ordered
            if any(r.static_ok(identity.sys_object_id, identity.sys_descr) for r in p.match)
        ]

    def _rules(self, identity: DeviceIdentity) -> list[tuple[Profile, MatchRule]]:
        # Rules naming the device's sysObjectID come first (by priority), then rules that only
        # look at sysDescr or OID presence: a vendor's own profile beats another one whose
        # tables the device happens to expose too.
        first: list[tuple[Profile, MatchRule]] = []
        second: list[tuple[Profile, MatchRule]] = []
        for p in self._ordered:
            for rule in p.match:
                if rule.static_ok(identity.sys_object_id, identity.sys_descr):
                    (first if rule.sys_object_id else second).append((p, rule))
        return first + second

    def match(self, identity: DeviceIdentity, has_oid: Callable[[str], bool]) -> Profile | None:
        """Best profile with a rule that holds; has_oid(oid) tells whether a subtree exists."""
        for p, rule in self._rules(identity):
            if all(has_oid(o) for o in rule.has_oid):
                return p
        return None

    async def select(
        self, client: SnmpClient, target: SnmpTarget, identity: DeviceIdentity
    ) -> Profile | None:
        """Like match(), asking the agent (one GETNEXT per distinct OID, cached) for presence."""
        known: dict[str, bool] = {}
        for p, rule in self._rules(identity):
            ok = True
            for oid in rule.has_oid:
                if oid not in known:
                    known[oid] = await client.exists(target, oid)
                if not known[oid]:
                    ok = False
                    break
            if ok:
                return p
        return None


# -- discovery ------------------------------------------------------------------------------


class _Vars(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


@dataclass(slots=True)
class _Row:
    spec: MetricSpec
    index: str
    vars: _Vars
    value_oid: str
    lookup_oids: dict[str, str]
    walked: SnmpValue


def _rows_for(spec: MetricSpec, walked: dict[str, list[tuple[str, SnmpValue]]]) -> list[_Row]:
    if spec.walk is None:
        return [_Row(spec, "", _Vars(), spec.oid, dict(spec.lookups), None)]
    rows = []
    prefix = spec.walk + "."
    for name, value in walked.get(spec.walk, []):
        index = name[len(prefix) :]
        groups: dict[str, str] = {}
        if spec.index is not None:
            m = spec.index.fullmatch(index)
            if m is None:
                continue
            groups = {k: v for k, v in m.groupdict().items() if v is not None}
        v = _Vars(index=index, value="" if value is None else str(value), **groups)
        for n, part in enumerate(index.split(".")):
            v[f"i{n}"] = part
        rows.append(
            _Row(
                spec,
                index,
                v,
                oid_str(spec.oid.format_map(v)),
                {k: oid_str(t.format_map(v)) for k, t in spec.lookups.items()},
                value,
            )
        )
    return rows


def _choice_ok(choices: tuple[float | str, ...], text: str, num: float | None) -> bool:
    return any(c == text if isinstance(c, str) else num == c for c in choices)


def _cond_ok(spec: MetricSpec, got: dict[str, SnmpValue], value: SnmpValue) -> bool:
    for c in spec.when:
        raw = value if c.lookup == "value" else got.get(c.lookup)
        if raw is None:
            # The looked-up object is absent (column not implemented, row without it).
            if c.missing is not None:
                if c.missing == "drop":
                    return False
                continue
            if c.present is True or c.in_ or c.matches is not None:
                return False
            continue
        if c.present is False:
            return False
        text = str(raw).strip()
        num = parse_number(raw)
        if c.in_ and not _choice_ok(c.in_, text, num):
            return False
        if c.not_in and _choice_ok(c.not_in, text, num):
            return False
        if c.matches is not None and not c.matches.search(text):
            return False
    return True


def _is_fahrenheit(spec: MetricSpec, got: dict[str, SnmpValue]) -> bool:
    if spec.fahrenheit:
        return True
    if spec.fahrenheit_from is None:
        return False
    raw = got.get(spec.fahrenheit_from)
    if raw is None:
        return False
    text = str(raw).strip()
    num = parse_number(raw)
    return text in spec.fahrenheit_values or (
        num is not None and f"{num:g}" in spec.fahrenheit_values
    )


def _scale(spec: MetricSpec, got: dict[str, SnmpValue]) -> tuple[float, str | None]:
    scale = spec.multiplier / spec.divisor
    if spec.divisor_from is not None:
        d = parse_number(got.get(spec.divisor_from))
        if not d:
            return scale, f"divisor {spec.divisor_from} missing or zero"
        scale /= d
    if spec.scale_from is not None:
        # Rittal CMC III style: -10 means "divide by 10", +1000 "multiply by 1000".
        f = parse_number(got.get(spec.scale_from))
        if not f:
            return scale, f"scale {spec.scale_from} missing or zero"
        scale = scale / -f if f < 0 else scale * f
    if spec.digits_from is not None:
        d = parse_number(got.get(spec.digits_from))
        if d is None or not 0 <= d <= 12:
            return scale, f"decimal digits {spec.digits_from} missing or out of range"
        scale /= 10 ** int(d)
    if spec.exponent_from is not None:
        e = parse_number(got.get(spec.exponent_from))
        if e is None:
            return scale, f"exponent {spec.exponent_from} missing"
        exp = spec.exponent_map.get(int(e), None) if spec.exponent_map else int(e)
        if exp is None:
            return scale, f"exponent {spec.exponent_from}={int(e)} not in exponent_map"
        scale *= 10.0**exp
    return scale, None


def _role(spec: MetricSpec, label: str) -> str | None:
    for pattern, role in spec.roles:
        if pattern.search(label):
            return role
    if spec.role is not None:
        return spec.role
    return "other" if spec.metric == "temperature_c" else None


def _enabled_limits(spec: MetricSpec, got: dict[str, SnmpValue]) -> set[str] | None:
    """Threshold keys the device has switched on (None: the profile has no such flags).

    Devices such as Raritan keep values for disabled thresholds; using them would raise
    alarms the operator turned off. A missing flags object means nothing is enabled.
    """
    if spec.thresholds_enabled is None:
        return None
    lookup, bits = spec.thresholds_enabled
    data = octet_bytes(got.get(lookup)) if got.get(lookup) is not None else b""
    on: set[str] = set()
    for key, pos in bits.items():
        byte = pos // 8
        if byte < len(data) and data[byte] & (0x80 >> (pos % 8)):
            on.add(key)
    return on


def _wanted(rows: list[_Row]) -> list[str]:
    """OIDs discovery must GET: every lookup, and values the walk did not already return."""
    wanted: list[str] = []
    for row in rows:
        wanted.extend(row.lookup_oids.values())
        if row.spec.walk is None or row.value_oid != f"{row.spec.walk}.{row.index}":
            wanted.append(row.value_oid)
    return list(dict.fromkeys(wanted))


def build_plan(
    profile: Profile,
    walked: dict[str, list[tuple[str, SnmpValue]]],
    fetch: Callable[[Sequence[str]], dict[str, SnmpValue]],
) -> PollPlan:
    """Pure core of discovery: walked columns + a GET function -> PollPlan (testable offline)."""
    rows = [row for spec in profile.metrics for row in _rows_for(spec, walked)]
    wanted = _wanted(rows)
    got_all = fetch(wanted) if wanted else {}
    items: list[PlanItem] = []
    problems: list[str] = []
    for row in rows:
        spec = row.spec
        got = {k: got_all.get(o) for k, o in row.lookup_oids.items()}
        if spec.walk is not None and row.value_oid == f"{spec.walk}.{row.index}":
            value = row.walked
        else:
            value = got_all.get(row.value_oid)
        if value is None:
            continue  # the agent does not have this object: nothing to poll
        if not _cond_ok(spec, got, value):
            continue
        number = parse_number(value)
        if number is None:
            problems.append(f"{spec.metric} {row.value_oid}: not a number: {value!r:.40}")
            continue
        number = unwrap(number, spec.signed_bits)
        if is_sentinel(number, spec.skip_values, spec.skip_below, spec.skip_above):
            continue  # "no probe" sentinel: re-discovery picks the sensor up when it appears
        scale, problem = _scale(spec, got)
        if problem is not None:
            problems.append(f"{spec.metric} {row.value_oid}: {problem}")
            continue
        label_vars = _Vars(row.vars)
        for k, v in got.items():
            text = "" if v is None else str(v).strip()
            label_vars[k] = spec.maps[k].get(text, text) if k in spec.maps else text
        label = _SPACES.sub(" ", spec.label.format_map(label_vars)).strip() if spec.label else ""
        if not label:
            label = row.index or spec.metric
        fahrenheit = _is_fahrenheit(spec, got)
        limits: dict[str, float | None] = {}
        enabled = _enabled_limits(spec, got)
        for key, src in spec.thresholds.items():
            if enabled is not None and key not in enabled:
                limits[key] = None
                continue
            lim = parse_number(got.get(src)) if isinstance(src, str) else float(src)
            if lim is not None:
                lim = unwrap(lim, spec.signed_bits)
                # A sentinel limit ("-1: not available", 0 on devices without limits) must
                # never become an alarm limit.
                if is_sentinel(
                    lim, spec.threshold_skip + spec.skip_values, spec.threshold_skip_below, None
                ):
                    limits[key] = None
                    continue
                if spec.thresholds_scaled:
                    lim *= scale
                if fahrenheit:
                    lim = (lim - 32.0) * 5.0 / 9.0
            limits[key] = lim
        items.append(
            PlanItem(
                oid=row.value_oid,
                metric=spec.metric,
                channel=label,
                unit=spec.unit,
                scale=scale,
                fahrenheit=fahrenheit,
                skip=spec.skip_values,
                role=_role(spec, label),
                signed_bits=spec.signed_bits,
                skip_below=spec.skip_below,
                skip_above=spec.skip_above,
                channel_class=spec.channel_class,
                plausible=spec.plausible,
                **limits,
            )
        )
    return PollPlan(profile.name, tuple(items), problems=tuple(problems))


async def discover(client: SnmpClient, target: SnmpTarget, profile: Profile) -> PollPlan:
    """Walk the profile's table columns once and return the device's PollPlan (cache it)."""
    columns = [s.walk for s in profile.metrics if s.walk is not None]
    walked = await client.walk_many(target, columns) if columns else {}
    wanted = _wanted([row for spec in profile.metrics for row in _rows_for(spec, walked)])
    got = await client.get_map(target, wanted) if wanted else {}
    return build_plan(profile, walked, lambda oids: {o: got.get(o) for o in oids})


async def poll(client: SnmpClient, target: SnmpTarget, plan: PollPlan) -> Decoded:
    """GET the plan's OIDs (batched by target.max_varbinds) and decode them into Readings."""
    values = await client.get(target, plan.oids)
    return plan.decode(values)
