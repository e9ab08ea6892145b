"""The read context handed to getters, and the MIB-II system group every device answers."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from monitors.lab.mib import MibBuilder, integer, objid, octets, timeticks


@dataclass(slots=True)
class Ctx:
    t: float  # UTC epoch seconds of the read
    dev: Any  # the topology object (LabPdu, LabServer, LabProbe)
    s: Any  # its physical state at t
    uptime_cs: int  # sysUpTime in hundredths of a second


def system_group(b: MibBuilder, descr: str, object_id: str, services: int = 72) -> None:
    b.add("1.3.6.1.2.1.1.1.0", octets(descr))
    b.add("1.3.6.1.2.1.1.2.0", objid(object_id))
    b.add("1.3.6.1.2.1.1.3.0", lambda c: timeticks(c.uptime_cs))
    b.add("1.3.6.1.2.1.1.4.0", octets("lab@rackwatch.invalid"))
    b.add("1.3.6.1.2.1.1.5.0", lambda c: octets(c.dev.name))
    b.add("1.3.6.1.2.1.1.6.0", lambda c: octets(_location(c.dev)))
    b.add("1.3.6.1.2.1.1.7.0", integer(services))


def _location(dev: Any) -> str:
    rack = dev.rack
    return f"{rack.site.name}, row {rack.row}, rack {rack.name}"


def tenths(v: float) -> int:
    return round(v * 10)


def hundredths(v: float) -> int:
    return round(v * 100)


def serial(dev: Any, prefix: str) -> str:
    return f"{prefix}{zlib.crc32(dev.name.encode()) % 10**8:08d}"
