"""Read lab devices in-process as the collector would: profile plans for SNMP, parsers for SSH.

Used by backfill (history with the collector's metric and channel names) and by tests.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from monitors.collection.readings import DeviceIdentity, Reading
from monitors.lab.devices import SimDevice
from monitors.lab.mib import Mib
from monitors.lab.mibs.common import Ctx
from monitors.lab.physics import Physics
from monitors.lab.ssh_text import poll_output
from monitors.lab.topology import LabServer
from monitors.profiles import engine as profiles_mod
from monitors.profiles.plan import PollPlan
from monitors.snmp import ber
from monitors.snmp.values import SnmpValue
from monitors.ssh.parsers import parse_poll_output


def python_value(value: ber.Value) -> SnmpValue:
    """A lab wire value as the collector's SNMP client hands it to the profile engine."""
    tag, payload = value
    if tag == ber.OCTET_STRING:
        assert isinstance(payload, bytes)
        return payload.decode("utf-8", "replace")
    if tag == ber.OBJECT_ID:
        return ber.format_oid(payload)  # type: ignore[arg-type]
    if tag == ber.IP_ADDRESS:
        assert isinstance(payload, bytes)
        return ".".join(str(b) for b in payload)
    if isinstance(payload, int):
        return payload
    return None


def _walk(mib: Mib, ctx: Ctx, column: str) -> list[tuple[str, SnmpValue]]:
    base = ber.parse_oid(column)
    n = len(base)
    out: list[tuple[str, SnmpValue]] = []
    i = mib.next_after(base)
    while i < len(mib) and mib.oids[i][:n] == base:
        out.append((ber.format_oid(mib.oids[i]), python_value(mib.getters[i](ctx))))
        i += 1
    return out


def _get(mib: Mib, ctx: Ctx, oid: str) -> SnmpValue:
    i = mib.exact(ber.parse_oid(oid))
    return python_value(mib.getters[i](ctx)) if i >= 0 else None


@dataclass
class SnmpReader:
    """A discovered lab SNMP device: its profile's poll plan and the MIB positions it reads."""

    device: SimDevice
    plan: PollPlan
    positions: tuple[int, ...]

    def values(self, t: float) -> list[SnmpValue]:
        ctx = self.device.context(t)
        getters = self.device.mib.getters
        return [python_value(getters[i](ctx)) if i >= 0 else None for i in self.positions]

    def read(self, t: float) -> list[Reading]:
        return self.plan.decode(self.values(t)).readings


def discover(dev: SimDevice, profile_set: profiles_mod.ProfileSet, t: float) -> SnmpReader | None:
    """Identify and discover a lab device the way the collector does, without the network."""
    mib = dev.mib
    ctx = dev.context(t)
    identity = DeviceIdentity(
        sys_object_id=str(_get(mib, ctx, "1.3.6.1.2.1.1.2.0") or ""),
        sys_descr=str(_get(mib, ctx, "1.3.6.1.2.1.1.1.0") or ""),
        sys_name=str(_get(mib, ctx, "1.3.6.1.2.1.1.5.0") or ""),
    )

    def has_oid(oid: str) -> bool:
        base = ber.parse_oid(oid)
        i = bisect.bisect_left(mib.oids, base)
        return i < len(mib) and mib.oids[i][: len(base)] == base

    profile = profile_set.match(identity, has_oid)
    if profile is None:
        return None
    columns = [s.walk for s in profile.metrics if s.walk is not None]
    walked = {c: _walk(mib, ctx, c) for c in columns}
    plan = profiles_mod.build_plan(
        profile, walked, lambda oids: {o: _get(mib, ctx, o) for o in oids}
    )
    positions = tuple(mib.exact(ber.parse_oid(o)) for o in plan.oids)
    return SnmpReader(dev, plan, positions)


def read_ssh(srv: LabServer, physics: Physics, t: float) -> list[Reading]:
    """What the SSH collector parses from this server at time t."""
    state = physics.server(srv, t)
    return list(parse_poll_output(poll_output(srv, state, t)).readings)
