"""Simulated SNMP devices: topology object + shared OID layout + physical state at read time."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from monitors.lab.mib import Mib
from monitors.lab.mibs import akcp, apc, idrac, ilo, raritan, sentry4
from monitors.lab.mibs.common import Ctx
from monitors.lab.physics import Physics
from monitors.lab.topology import LabPdu, LabProbe, LabServer, Topology

# A state computed for one read is reused by reads within this many seconds (a GETBULK walk
# of one device sees one consistent instant, like a real agent's sensor cache).
STATE_CACHE_S = 0.5


@dataclass(eq=False)
class SimDevice:
    name: str
    kind: str  # pdu, sensor, server
    family: str  # apc, raritan, sentry4, akcp, idrac, ilo
    obj: Any
    mib: Mib
    state_fn: Callable[[float], Any]
    boot_t: float
    port: int = 0
    down_fn: Callable[[float], bool] = field(default=lambda _t: False)
    _cache_t: float = -1e18
    _cache: Ctx | None = None

    def invalidate(self) -> None:
        """Forget the cached state (an incident changed the physics)."""
        self._cache = None

    def context(self, t: float) -> Ctx:
        c = self._cache
        if c is not None and abs(t - self._cache_t) < STATE_CACHE_S:
            return c
        c = Ctx(t=t, dev=self.obj, s=self.state_fn(t), uptime_cs=int((t - self.boot_t) * 100))
        self._cache = c
        self._cache_t = t
        return c


def _boot(name: str, t0: float) -> float:
    # devices booted at different times in the last 200 days
    return t0 - 3600.0 - zlib.crc32(name.encode()) % (200 * 86400)


def build_devices(topo: Topology, physics: Physics, t0: float) -> list[SimDevice]:
    """Every SNMP-speaking device of the topology, with layouts shared between equal shapes."""
    layouts: dict[tuple[Any, ...], Mib] = {}

    def layout(key: tuple[Any, ...], build: Callable[[Any], Mib], obj: Any) -> Mib:
        mib = layouts.get(key)
        if mib is None:
            mib = layouts[key] = build(obj)
        return mib

    pdu_builders: dict[str, Callable[[Any], Mib]] = {
        "apc": apc.build,
        "raritan": raritan.build,
        "sentry4": sentry4.build,
    }
    out: list[SimDevice] = []
    scn = physics.scenarios
    for rack in topo.racks():
        for pdu in rack.pdus:
            out.append(_pdu_device(pdu, physics, t0, layout, pdu_builders[pdu.vendor]))
        if rack.probe is not None:
            probe = rack.probe
            out.append(
                SimDevice(
                    name=probe.name,
                    kind="sensor",
                    family="akcp",
                    obj=probe,
                    mib=layout(("akcp", probe.fahrenheit), akcp.build, probe),
                    state_fn=_probe_state(physics, probe),
                    boot_t=_boot(probe.name, t0),
                    down_fn=_down(scn, probe.name),
                )
            )
        for srv in rack.servers:
            if srv.management == "ssh":
                continue
            build = idrac.build if srv.management == "idrac" else ilo.build
            out.append(
                SimDevice(
                    name=srv.name,
                    kind="server",
                    family=srv.management,
                    obj=srv,
                    mib=layout((srv.management, srv.model), build, srv),
                    state_fn=_server_state(physics, srv),
                    boot_t=_boot(srv.name, t0),
                    down_fn=_down(scn, srv.name),
                )
            )
    return out


def _pdu_device(
    pdu: LabPdu,
    physics: Physics,
    t0: float,
    layout: Callable[[tuple[Any, ...], Callable[[Any], Mib], Any], Mib],
    build: Callable[[Any], Mib],
) -> SimDevice:
    return SimDevice(
        name=pdu.name,
        kind="pdu",
        family=pdu.vendor,
        obj=pdu,
        mib=layout((pdu.vendor, pdu.feed, pdu.outlets, pdu.phases, pdu.rated_a), build, pdu),
        state_fn=lambda t: physics.pdu(pdu, t),
        boot_t=_boot(pdu.name, t0),
        down_fn=_down(physics.scenarios, pdu.name),
    )


def _probe_state(physics: Physics, probe: LabProbe) -> Callable[[float], Any]:
    return lambda t: physics.probe(probe, t)


def _server_state(physics: Physics, srv: LabServer) -> Callable[[float], Any]:
    return lambda t: physics.server(srv, t)


def _down(scn: Any, name: str) -> Callable[[float], bool]:
    # Any device can be made silent with pdu-down (the name says what it is used for most).
    return lambda t: scn.is_active("pdu-down", name, t)
