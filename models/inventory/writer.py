"""Writes an inventory document (plain dicts and lists) as YAML in the documented layout, one
line per device, streaming so that millions of devices never sit in memory as text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

from models.inventory.format import DEVICE_KEY_ORDER

_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_ ./+()'-]*")
# Spellings that other YAML readers turn into booleans or null: always quoted.
_RESERVED = frozenset(("null", "~", "true", "false", "yes", "no", "on", "off", "y", "n"))
SITE_ORDER = ("code", "name", "timezone", "defaults")
RACK_ORDER = ("name", "row", "position", "height_u", "rated_power_w")
DEVICE_ORDER = DEVICE_KEY_ORDER


def scalar(value: Any) -> str:
    """One value as a YAML scalar that reads back as the same text, in block or flow context."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value)
    if (
        _PLAIN.fullmatch(text)
        and text[-1] != " "
        and text.lower() not in _RESERVED
        and "  " not in text
    ):
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted one


def flow(mapping: Mapping[str, Any], order: Iterable[str] = ()) -> str:
    keys = [k for k in order if k in mapping] + [k for k in mapping if k not in order]
    return "{" + ", ".join(f"{k}: {scalar(mapping[k])}" for k in keys) + "}"


def dump_inventory(doc: Mapping[str, Any], out: TextIO, header: str = "") -> int:
    """Write doc to out; doc["sites"] may be any iterable (a generator streams). Returns the
    number of devices written."""
    for line in header.splitlines():
        out.write(f"# {line}\n" if line else "#\n")
    out.write(f"version: {scalar(doc.get('version', 1))}\n")
    if doc.get("defaults"):
        out.write("defaults:\n")
        for key, value in doc["defaults"].items():
            out.write(f"  {key}: {scalar(value)}\n")
    out.write("sites:\n")
    devices = 0
    for site in doc.get("sites", ()):
        out.write(f"  - code: {scalar(site['code'])}\n")
        for key in SITE_ORDER[1:]:
            if key == "defaults" and site.get("defaults"):
                out.write(f"    defaults: {flow(site['defaults'])}\n")
            elif key in site and key != "defaults":
                out.write(f"    {key}: {scalar(site[key])}\n")
        racks = site.get("racks") or ()
        if racks:
            out.write("    racks:\n")
        for rack in racks:
            out.write(f"      - name: {scalar(rack['name'])}\n")
            for key in RACK_ORDER[1:]:
                if rack.get(key) is not None:
                    out.write(f"        {key}: {scalar(rack[key])}\n")
            if rack.get("feeds"):
                out.write("        feeds:\n")
                for feed, spec in rack["feeds"].items():
                    out.write(
                        f"          {feed}: {flow(spec, ('breaker_a', 'phases', 'voltage_v'))}\n"
                    )
            if rack.get("defaults"):
                out.write(f"        defaults: {flow(rack['defaults'])}\n")
            rack_devices = rack.get("devices") or ()
            if rack_devices:
                out.write("        devices:\n")
                out.writelines(f"          - {flow(d, DEVICE_ORDER)}\n" for d in rack_devices)
                devices += len(rack_devices)
        site_devices = site.get("devices") or ()
        if site_devices:
            out.write("    devices:\n")
            out.writelines(f"      - {flow(d, DEVICE_ORDER)}\n" for d in site_devices)
            devices += len(site_devices)
    return devices


def write_inventory(doc: Mapping[str, Any], path: str | Path, header: str = "") -> int:
    """Write doc to path (parents created); returns the number of devices written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as out:
        count = dump_inventory(doc, out, header)
    tmp.replace(path)
    return count
