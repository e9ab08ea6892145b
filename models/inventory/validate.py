"""Validation of a parsed YAML inventory tree into site, rack and device records."""

from __future__ import annotations

from typing import Any

from models.inventory.format import (
    BREAKER_RANGE,
    CREDENTIAL_RE,
    DEFAULT_KEYS,
    DEFAULT_POLL_INTERVAL_S,
    DEFAULT_PORTS,
    DEFAULT_RACK_HEIGHT_U,
    DEFAULT_TZ,
    DEVICE_KEYS,
    FEED_KEYS,
    FORMAT_VERSION,
    MAX_RACK_HEIGHT_U,
    MAX_RATED_POWER_W,
    MIN_REDFISH_INTERVAL_S,
    PHASES,
    POLL_INTERVAL_RANGE,
    RACK_KEYS,
    SITE_CODE_RE,
    SITE_KEYS,
    TOP_KEYS,
    VOLTAGE_RANGE,
    Checker,
    DeviceRec,
    FeedRec,
    Inventory,
    RackRec,
    SiteRec,
)
from models.inventory.yaml_reader import YList, YMap
from models.vocabulary import DEVICE_KINDS, FEEDS, PROTOCOLS

# Effective defaults for devices: field -> (raw text, line it came from).
Defaults = dict[str, tuple[Any, int]]


class TreeValidator:
    """Validates a YAML inventory tree into records. Sites may be fed one at a time while the
    file is read (stream_site), so a huge file never sits in memory as a whole tree."""

    def __init__(self, inv: Inventory, ck: Checker) -> None:
        self.inv = inv
        self.ck = ck
        self.defaults: Defaults | None = None
        self.seen_codes: dict[str, int] = {}

    def stream_site(self, site_map: YMap, root: YMap) -> bool:
        if self.defaults is None:
            if "defaults" not in root:
                return False  # top-level defaults may still follow: keep the tree for finish()
            self.defaults = _defaults(root, {}, self.ck)
        _site(site_map, self.defaults, self.seen_codes, self.inv, self.ck)
        return True

    def finish(self, root: Any) -> None:
        """Check the top level and every site not already streamed."""
        ck = self.ck
        if root is None:
            ck.fail(1, "sites", "the file is empty; expected a mapping with a 'sites' list")
            return
        if not isinstance(root, YMap):
            ck.fail(getattr(root, "line", 1), "sites", "expected a mapping with a 'sites' list")
            return
        _unknown_keys(root, TOP_KEYS, "top level", ck)
        if "version" in root:
            line = root.line_of("version")
            version = ck.integer(root["version"], line, "version", 1, 1_000)
            if version is not None and version != FORMAT_VERSION:
                ck.fail(line, "version", f"unsupported format version {version}")
        if self.defaults is None:
            self.defaults = _defaults(root, {}, ck)
        sites = _list(root, "sites", ck, required=not self.seen_codes)
        for site_map, line in zip(sites, sites.item_lines, strict=False):
            if not isinstance(site_map, YMap):
                ck.fail(line, "sites", "each site must be a mapping (code, name, racks, ...)")
                continue
            _site(site_map, self.defaults, self.seen_codes, self.inv, ck)


def validate_tree(root: Any, inv: Inventory, ck: Checker) -> None:
    """Fill inv from a whole YAML tree, appending every problem found to ck.problems."""
    TreeValidator(inv, ck).finish(root)


def _site(m: YMap, defaults: Defaults, seen: dict[str, int], inv: Inventory, ck: Checker) -> None:
    _unknown_keys(m, SITE_KEYS, "site", ck)
    code = _required(m, "code", ck, "site")
    code = ck.pattern(code, m.line_of("code"), "code", SITE_CODE_RE, "site code") if code else None
    name = (
        ck.name(m.get("name"), m.line_of("name"), "name")
        if _required(m, "name", ck, "site")
        else None
    )
    tz = ck.timezone(m["timezone"], m.line_of("timezone"), "timezone") if "timezone" in m else None
    if code is not None:
        if code in seen:
            ck.fail(
                m.line_of("code"),
                "code",
                f"duplicate site code {code!r} (first at line {seen[code]})",
            )
            code = None
        else:
            seen[code] = m.line_of("code")
    site_defaults = _defaults(m, defaults, ck)
    label = code if code is not None else f"<site at line {m.line}>"
    if code is not None and name is not None:
        inv.sites.append(SiteRec(code, name, tz or DEFAULT_TZ, m.line))
    device_names: dict[str, int] = {}
    rack_names: dict[str, int] = {}
    racks = _list(m, "racks", ck)
    for rack_map, line in zip(racks, racks.item_lines, strict=False):
        if not isinstance(rack_map, YMap):
            ck.fail(line, "racks", "each rack must be a mapping (name, row, devices, ...)")
            continue
        _rack(rack_map, label, code is not None, site_defaults, rack_names, device_names, inv, ck)
    devices = _list(m, "devices", ck)
    for dev_map, line in zip(devices, devices.item_lines, strict=False):
        if not isinstance(dev_map, YMap):
            ck.fail(line, "devices", "each device must be a mapping (name, kind, address, ...)")
            continue
        rec = _device(dev_map, label, None, None, site_defaults, device_names, ck)
        if rec is not None and code is not None:
            inv.devices.append(rec)


def _rack(
    m: YMap,
    site: str,
    site_ok: bool,
    defaults: Defaults,
    seen: dict[str, int],
    device_names: dict[str, int],
    inv: Inventory,
    ck: Checker,
) -> None:
    _unknown_keys(m, RACK_KEYS, "rack", ck)
    name = (
        ck.name(m.get("name"), m.line_of("name"), "name", max_len=100)
        if _required(m, "name", ck, "rack")
        else None
    )
    if name is not None:
        if name in seen:
            ck.fail(
                m.line_of("name"),
                "name",
                f"duplicate rack {name!r} in site {site} (first at line {seen[name]})",
            )
            name = None
        else:
            seen[name] = m.line_of("name")
    row = ck.text(m.get("row"), m.line_of("row"), "row", max_len=32)
    position = ck.integer(m.get("position"), m.line_of("position"), "position", 0, 100_000)
    height = ck.integer(m.get("height_u"), m.line_of("height_u"), "height_u", 1, MAX_RACK_HEIGHT_U)
    rated = ck.number(
        m.get("rated_power_w"), m.line_of("rated_power_w"), "rated_power_w", 1.0, MAX_RATED_POWER_W
    )
    feeds = _feeds(m, ck)
    rack_defaults = _defaults(m, defaults, ck)
    height_ok = "height_u" not in m or height is not None
    rack = RackRec(
        site,
        name or "",
        row or "",
        position or 0,
        height or DEFAULT_RACK_HEIGHT_U,
        rated,
        feeds or [],
        m.line,
    )
    if site_ok and name is not None and height_ok:
        inv.racks.append(rack)
    devices = _list(m, "devices", ck)
    for dev_map, line in zip(devices, devices.item_lines, strict=False):
        if not isinstance(dev_map, YMap):
            ck.fail(line, "devices", "each device must be a mapping (name, kind, address, ...)")
            continue
        rec = _device(dev_map, site, name, rack, rack_defaults, device_names, ck)
        if rec is not None and site_ok and name is not None:
            inv.devices.append(rec)


def _feeds(m: YMap, ck: Checker) -> list[FeedRec] | None:
    raw = m.get("feeds")
    if raw is None:
        return None
    if not isinstance(raw, YMap):
        ck.fail(
            m.line_of("feeds"), "feeds", "expected a mapping of feed names (A, B) to breaker data"
        )
        return None
    out: list[FeedRec] = []
    for feed, line in zip(raw, raw.key_lines, strict=False):
        spec = raw[feed]
        if feed not in FEEDS:
            ck.fail(line, "feeds", f"unknown feed {feed!r} (feeds are {', '.join(FEEDS)})")
            continue
        if not isinstance(spec, YMap):
            ck.fail(line, feed, "expected a mapping with breaker_a, phases, voltage_v")
            continue
        _unknown_keys(spec, FEED_KEYS, f"feed {feed}", ck)
        if "breaker_a" not in spec:
            ck.fail(spec.line, "breaker_a", f"feed {feed}: missing required field")
            continue
        breaker = ck.number(
            spec["breaker_a"], spec.line_of("breaker_a"), "breaker_a", *BREAKER_RANGE
        )
        phases = ck.integer(spec.get("phases"), spec.line_of("phases"), "phases", 1, 3)
        if phases is not None and phases not in PHASES:
            ck.fail(spec.line_of("phases"), "phases", f"{phases} phases: a feed has 1 or 3 phases")
            phases = None
        volts = ck.number(
            spec.get("voltage_v"), spec.line_of("voltage_v"), "voltage_v", *VOLTAGE_RANGE
        )
        if breaker is not None:
            out.append(FeedRec(feed, breaker, phases or 1, volts or 230.0))
    return out


def _device(
    m: YMap,
    site: str,
    rack_name: str | None,
    rack: RackRec | None,
    defaults: Defaults,
    seen: dict[str, int],
    ck: Checker,
) -> DeviceRec | None:
    if not m.keys() <= DEVICE_KEYS:
        _unknown_keys(m, DEVICE_KEYS, "device", ck)
    line_of = m.line_of
    name = ck.name(m["name"], line_of("name"), "name") if "name" in m else None
    if "name" not in m:
        ck.fail(m.line, "name", "device: missing required field")
    elif name is not None:
        if name in seen:
            ck.fail(
                line_of("name"),
                "name",
                f"duplicate device {name!r} in site {site} (first at line {seen[name]})",
            )
            name = None
        else:
            seen[name] = line_of("name")
    if "kind" in m:
        kind = ck.choice(m["kind"], line_of("kind"), "kind", DEVICE_KINDS)
    else:
        kind = None
        ck.fail(m.line, "kind", f"device {name or ''}: missing required field")

    def pick(key: str) -> tuple[Any, int]:
        if key in m:
            return m[key], line_of(key)
        return defaults.get(key, (None, m.line))

    raw, pline = pick("protocol")
    protocol = ck.choice(raw, pline, "protocol", PROTOCOLS) if raw is not None else "snmp"
    raw, cline = pick("credential")
    credential = ck.pattern(raw, cline, "credential", CREDENTIAL_RE, "credential name")
    raw, fline = pick("profile")
    profile = ck.profile(raw, fline, "profile")
    raw, iline = pick("poll_interval_s")
    interval = ck.integer(raw, iline, "poll_interval_s", *POLL_INTERVAL_RANGE)
    if protocol == "redfish" and interval is not None and interval < MIN_REDFISH_INTERVAL_S:
        if "poll_interval_s" in m:
            ck.fail(
                iline,
                "poll_interval_s",
                f"{interval} s is too often for protocol redfish (at least "
                f"{MIN_REDFISH_INTERVAL_S} s: BMCs are slow and have few sessions)",
            )
        interval = MIN_REDFISH_INTERVAL_S
    raw, eline = pick("enabled")
    enabled = ck.boolean(raw, eline, "enabled")

    address = (
        ck.address(m["address"], line_of("address"), "address", protocol)
        if "address" in m
        else None
    )
    if address is None and "address" not in m and protocol in DEFAULT_PORTS:
        ck.fail(m.line, "address", f"device {name or ''}: required for protocol {protocol}")
    port = ck.integer(m["port"], line_of("port"), "port", 1, 65_535) if "port" in m else None
    if port is None and protocol is not None:
        port = DEFAULT_PORTS.get(protocol)

    model = ck.text(m.get("model"), line_of("model"), "model")
    serial = ck.text(m.get("serial"), line_of("serial"), "serial", max_len=100)
    max_u = rack.height_u if rack is not None else MAX_RACK_HEIGHT_U
    u = ck.integer(m["u"], line_of("u"), "u", 1, MAX_RACK_HEIGHT_U) if "u" in m else None
    height = (
        ck.integer(m["height_u"], line_of("height_u"), "height_u", 1, max_u)
        if "height_u" in m
        else 1
    )
    if u is not None and rack_name is None and rack is None:
        ck.fail(line_of("u"), "u", f"device {name}: only devices inside a rack have a U position")
    feed = ck.choice(m["feed"], line_of("feed"), "feed", FEEDS) if "feed" in m else None
    if feed is not None and kind is not None and kind != "pdu":
        ck.fail(line_of("feed"), "feed", f"only PDUs have a feed (this device is a {kind})")
    if kind == "pdu" and rack is not None and "feed" not in m:
        ck.fail(m.line, "feed", f"PDU {name or ''}: missing required field (A or B)")
    # A device with a bad field still takes part in the U checks (the import is refused anyway).
    if name is None or kind is None or protocol is None:
        return None
    return DeviceRec(
        site,
        rack_name,
        name,
        kind,
        u,
        height or 1,
        feed,
        ck.shared(model) or "",
        serial or "",
        address or "",
        port,
        protocol,
        ck.shared(profile),
        ck.shared(credential),
        interval if interval is not None else DEFAULT_POLL_INTERVAL_S,
        True if enabled is None else enabled,
        m.line,
        line_of("u"),
        line_of("feed"),
    )


def _defaults(m: YMap, inherited: Defaults, ck: Checker) -> Defaults:
    raw = m.get("defaults")
    if raw is None:
        return inherited
    if not isinstance(raw, YMap):
        ck.fail(m.line_of("defaults"), "defaults", "expected a mapping of device fields")
        return inherited
    _unknown_keys(raw, DEFAULT_KEYS, "defaults", ck)
    merged = dict(inherited)
    for key, line in zip(raw, raw.key_lines, strict=False):
        if key in DEFAULT_KEYS:
            merged[key] = (raw[key], line)
    return merged


def _list(m: YMap, key: str, ck: Checker, *, required: bool = False) -> YList:
    raw = m.get(key)
    if isinstance(raw, YList):
        return raw
    if raw is None:
        if required:
            ck.fail(m.line_of(key), key, "missing required list")
        return YList(m.line)
    ck.fail(m.line_of(key), key, "expected a list (items start with '- ')")
    return YList(m.line)


def _required(m: YMap, key: str, ck: Checker, what: str) -> Any:
    raw = m.get(key)
    if raw is None:
        ck.fail(m.line_of(key), key, f"{what}: missing required field")
    return raw


def _unknown_keys(m: YMap, allowed: frozenset[str], what: str, ck: Checker) -> None:
    for key, line in zip(m, m.key_lines, strict=False):
        if key not in allowed:
            ck.fail(line, key, f"unknown key in {what} (allowed: {', '.join(sorted(allowed))})")
