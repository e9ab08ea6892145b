"""Inventory records, the keys of the file format, and the checks of single field values."""

from __future__ import annotations

import ipaddress
import math
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import resources
from models.inventory.problems import Problem, ProblemList

# resources/ is data beside the package; models may read it but not import it (layering).
BUILTIN_PROFILE_DIR: Final = resources.PROFILES_DIR

FORMAT_VERSION: Final = 1
TOP_KEYS: Final = frozenset(("version", "defaults", "sites"))
SITE_KEYS: Final = frozenset(("code", "name", "timezone", "defaults", "racks", "devices"))
RACK_KEYS: Final = frozenset(
    ("name", "row", "position", "height_u", "rated_power_w", "feeds", "defaults", "devices")
)
FEED_KEYS: Final = frozenset(("breaker_a", "phases", "voltage_v"))
# Device keys in the order files are written and CSV columns are laid out.
DEVICE_KEY_ORDER: Final = (
    "name",
    "kind",
    "u",
    "height_u",
    "feed",
    "model",
    "serial",
    "address",
    "port",
    "protocol",
    "profile",
    "credential",
    "poll_interval_s",
    "enabled",
)
DEVICE_KEYS: Final = frozenset(DEVICE_KEY_ORDER)
DEFAULT_KEYS: Final = frozenset(("protocol", "credential", "profile", "poll_interval_s", "enabled"))

# Protocols that need an address, and their port; Redfish takes the port of its URL scheme
# (443 for https, 80 for http://) unless the inventory gives one.
DEFAULT_PORTS: Final[dict[str, int | None]] = {"snmp": 161, "ssh": 22, "redfish": None}
URL_SCHEMES: Final = ("https://", "http://")  # allowed in the address of Redfish devices
DEFAULT_TZ: Final = "UTC"
DEFAULT_RACK_HEIGHT_U: Final = 42
DEFAULT_POLL_INTERVAL_S: Final = 60
# BMCs answer slowly and have few session slots: Redfish devices are polled once a minute or
# less often (a shorter inherited default is raised to this; a shorter own value is refused).
MIN_REDFISH_INTERVAL_S: Final = 60
MAX_RACK_HEIGHT_U: Final = 60
POLL_INTERVAL_RANGE: Final = (5, 86_400)
BREAKER_RANGE: Final = (1.0, 1_000.0)
VOLTAGE_RANGE: Final = (90.0, 480.0)
PHASES: Final = (1, 3)
MAX_RATED_POWER_W: Final = 1_000_000.0

SITE_CODE_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
CREDENTIAL_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,99}")
PROFILE_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_INT_RE: Final = re.compile(r"[+-]?[0-9]+")
_FLOAT_RE: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_LABEL_RE: Final = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_TRUE: Final = frozenset(("true", "yes", "on", "1"))
_FALSE: Final = frozenset(("false", "no", "off", "0"))


@dataclass(slots=True)
class SiteRec:
    code: str
    name: str
    tz: str
    line: int


@dataclass(slots=True)
class FeedRec:
    feed: str
    breaker_a: float
    phases: int
    voltage_v: float


@dataclass(slots=True)
class RackRec:
    site: str
    name: str
    row: str
    position: int
    height_u: int
    rated_power_w: float | None
    feeds: list[FeedRec]
    line: int


@dataclass(slots=True)
class DeviceRec:
    site: str
    rack: str | None
    name: str
    kind: str
    u: int | None
    height_u: int
    feed: str | None
    model: str
    serial: str
    address: str
    port: int | None
    protocol: str
    profile: str | None
    credential: str | None
    poll_interval_s: int
    enabled: bool
    line: int
    u_line: int
    feed_line: int


@dataclass(slots=True)
class Inventory:
    """A parsed inventory. YAML describes its sites and racks fully; a CSV only names them."""

    path: str
    fmt: str  # "yaml" or "csv"
    sites: list[SiteRec] = field(default_factory=list)
    racks: list[RackRec] = field(default_factory=list)
    devices: list[DeviceRec] = field(default_factory=list)
    # CSV only: sites and racks a row refers to; created with defaults when the DB lacks them.
    named_sites: dict[str, int] = field(default_factory=dict)
    named_racks: dict[tuple[str, str], int] = field(default_factory=dict)


class ProfileNames:
    """Known profile names: stems of *.yaml in the profile folders, re-checked on the disk on a
    miss because another process may be adding profiles while we validate."""

    def __init__(self, dirs: Sequence[Path] | None = None) -> None:
        self.dirs = list(dirs) if dirs is not None else [BUILTIN_PROFILE_DIR]
        self.names: set[str] = set()
        for folder in self.dirs:
            if folder.is_dir():  # the profile engine loads *.yaml only
                self.names.update(p.stem for p in folder.glob("*.yaml"))

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        if name in self.names:
            return True
        if PROFILE_RE.fullmatch(name) and any((d / f"{name}.yaml").is_file() for d in self.dirs):
            self.names.add(name)
            return True
        return False


class Checker:
    """Typed reading of raw text values; every failure becomes a Problem and returns None."""

    def __init__(self, display: str, profiles: ProfileNames) -> None:
        self.display = display
        self.problems: list[Problem] = ProblemList()
        self.profiles = profiles
        self._zones: dict[str, bool] = {}
        self._hosts: dict[str, str | None] = {}
        self._shared: dict[str, str] = {}

    def fail(self, line: int, key: str, message: str) -> None:
        self.problems.append(Problem(self.display, line, key, message))

    def text(self, raw: Any, line: int, key: str, *, max_len: int = 200) -> str | None:
        if isinstance(raw, str):
            if len(raw) > max_len:
                self.fail(line, key, f"longer than {max_len} characters")
                return None
            return raw
        if raw is None:
            return None
        self.fail(line, key, f"expected a text value, got {_kind(raw)}")
        return None

    def shared(self, value: str | None) -> str | None:
        """One object per distinct value for fields that repeat (model, credential): at two
        million devices separate copies would cost hundreds of MB."""
        if value is None or len(value) > 64:
            return value
        return self._shared.setdefault(value, value)

    def name(self, raw: Any, line: int, key: str, *, max_len: int = 200) -> str | None:
        value = self.text(raw, line, key, max_len=max_len)
        if value is None:
            return None
        if not value.strip():
            self.fail(line, key, "must not be empty")
            return None
        if value != value.strip() or any(ord(c) < 32 for c in value):
            self.fail(line, key, f"{value!r} has leading/trailing spaces or control characters")
            return None
        return value

    def integer(self, raw: Any, line: int, key: str, lo: int, hi: int) -> int | None:
        if raw is None:
            return None
        if not isinstance(raw, str) or not _INT_RE.fullmatch(raw.strip()):
            self.fail(line, key, f"expected a whole number, got {_show(raw)}")
            return None
        value = int(raw)
        if not lo <= value <= hi:
            self.fail(line, key, f"{value} is out of range {lo}..{hi}")
            return None
        return value

    def number(self, raw: Any, line: int, key: str, lo: float, hi: float) -> float | None:
        if raw is None:
            return None
        if not isinstance(raw, str) or not _FLOAT_RE.fullmatch(raw.strip()):
            self.fail(line, key, f"expected a number, got {_show(raw)}")
            return None
        value = float(raw)
        if not (math.isfinite(value) and lo <= value <= hi):
            self.fail(line, key, f"{raw.strip()} is out of range {lo:g}..{hi:g}")
            return None
        return value

    def boolean(self, raw: Any, line: int, key: str) -> bool | None:
        if raw is None:
            return None
        if isinstance(raw, str):
            low = raw.strip().lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
        self.fail(line, key, f"expected true or false, got {_show(raw)}")
        return None

    def choice(self, raw: Any, line: int, key: str, choices: Iterable[str]) -> str | None:
        value = self.text(raw, line, key)
        if value is None:
            return None
        options = tuple(choices)
        for option in options:
            if option == value:
                return option  # the shared constant, not one string object per device
        self.fail(line, key, f"{value!r} is not one of {', '.join(options)}")
        return None

    def pattern(
        self, raw: Any, line: int, key: str, regex: re.Pattern[str], what: str
    ) -> str | None:
        value = self.text(raw, line, key)
        if value is None:
            return None
        if not regex.fullmatch(value):
            self.fail(line, key, f"{value!r} is not a valid {what}")
            return None
        return value

    def timezone(self, raw: Any, line: int, key: str) -> str | None:
        value = self.text(raw, line, key, max_len=64)
        if value is None:
            return None
        ok = self._zones.get(value)
        if ok is None:
            try:
                zoneinfo.ZoneInfo(value)
                ok = True
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                ok = False
            self._zones[value] = ok
        if not ok:
            self.fail(
                line, key, f"unknown time zone {value!r} (use an IANA name like Europe/Berlin)"
            )
            return None
        return value

    def address(self, raw: Any, line: int, key: str, protocol: str | None = None) -> str | None:
        value = self.text(raw, line, key, max_len=255)
        if value is None:
            return None
        scheme = next((s for s in URL_SCHEMES if value.lower().startswith(s)), "")
        if scheme and protocol != "redfish":
            self.fail(line, key, f"{value!r}: a URL address is only for protocol redfish")
            return None
        if value not in self._hosts:
            host = value[len(scheme) :].rstrip("/")
            self._hosts[value] = address_error(host[1:-1] if host.startswith("[") else host)
        error = self._hosts[value]
        if error is not None:
            self.fail(line, key, error)
            return None
        return value

    def profile(self, raw: Any, line: int, key: str) -> str | None:
        value = self.text(raw, line, key, max_len=100)
        if value is None:
            return None
        if value not in self.profiles:
            where = ", ".join(str(d) for d in self.profiles.dirs)
            self.fail(line, key, f"unknown profile {value!r} (no {value}.yaml in {where})")
            return None
        return value


def address_error(value: str) -> str | None:
    """None when value is an IPv4/IPv6 literal or a valid host name, else why it is not."""
    try:
        ipaddress.ip_address(value)
        return None
    except ValueError:
        pass
    host = value[:-1] if value.endswith(".") else value
    labels = host.split(".")
    if (
        0 < len(host) <= 253
        and all(_LABEL_RE.fullmatch(label) for label in labels)
        and not labels[-1].isdigit()
    ):
        return None
    return f"{value!r} is neither an IP address nor a valid host name"


def _kind(raw: Any) -> str:
    if isinstance(raw, dict):
        return "a mapping"
    if isinstance(raw, list):
        return "a list"
    return type(raw).__name__


def _show(raw: Any) -> str:
    return repr(raw) if isinstance(raw, str) else _kind(raw)
