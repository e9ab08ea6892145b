"""Plausible history for an imported inventory, written through the store's SampleWriter.

Values come from the lab's physical model and are read through the same profile plans and SSH
parsers the collector uses, so metric and channel names match live collection exactly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from models.schema import Device, Rack, RackFeed, Site
from models.store.samples import SampleWriter
from models.store.series import SeriesRegistry, SeriesSpec
from monitors.collection.readings import Reading
from monitors.lab.devices import build_devices
from monitors.lab.physics import Physics
from monitors.lab.readings import SnmpReader, discover, read_ssh
from monitors.lab.redfish_server import lab_server_provider
from monitors.lab.topology import LabServer, from_inventory
from monitors.profiles.engine import ProfileSet
from monitors.redfish.client import RedfishNotFound
from monitors.redfish.read import read_service

log = logging.getLogger(__name__)

BATCH_ROWS = 50_000


@dataclass
class BackfillStats:
    devices: int = 0
    devices_skipped: int = 0
    series: int = 0
    rows: int = 0
    steps: int = 0
    seconds: float = 0.0

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def inventory_from_db(engine: Engine) -> tuple[dict[str, Any], dict[tuple[str, str], int]]:
    """The imported inventory as a document, and (site code, device name) -> device id."""
    ids: dict[tuple[str, str], int] = {}
    with engine.connect() as conn:
        sites = {s.id: s for s in conn.execute(select(Site.id, Site.code, Site.name))}
        racks = list(
            conn.execute(
                select(Rack.id, Rack.site_id, Rack.name, Rack.row, Rack.position).order_by(
                    Rack.site_id, Rack.row, Rack.position, Rack.id
                )
            )
        )
        feeds: dict[int, dict[str, Any]] = {}
        for f in conn.execute(
            select(RackFeed.rack_id, RackFeed.feed, RackFeed.breaker_a, RackFeed.phases)
        ):
            feeds.setdefault(f.rack_id, {})[f.feed] = {"breaker_a": f.breaker_a, "phases": f.phases}
        devices: dict[int, list[dict[str, Any]]] = {}
        for d in conn.execute(
            select(
                Device.id,
                Device.site_id,
                Device.rack_id,
                Device.name,
                Device.kind,
                Device.model,
                Device.feed,
                Device.u_position,
                Device.protocol,
                Device.enabled,
            ).order_by(Device.rack_id, Device.u_position, Device.id)
        ):
            if d.rack_id is None or not d.enabled or d.protocol == "none":
                continue
            ids[(sites[d.site_id].code, d.name)] = d.id
            devices.setdefault(d.rack_id, []).append(
                {
                    "name": d.name,
                    "kind": d.kind,
                    "model": d.model,
                    "feed": d.feed,
                    "u": d.u_position,
                    "protocol": d.protocol,
                }
            )
    site_docs: dict[int, dict[str, Any]] = {
        sid: {"code": s.code, "name": s.name, "racks": []} for sid, s in sites.items()
    }
    for r in racks:
        site_docs[r.site_id]["racks"].append(
            {
                "name": r.name,
                "row": r.row,
                "position": r.position,
                "feeds": feeds.get(r.id, {}),
                "devices": devices.get(r.id, []),
            }
        )
    return {"sites": list(site_docs.values())}, ids


def backfill(
    engine: Engine,
    days: float,
    step_s: int = 300,
    *,
    seed: int = 1,
    end: float | None = None,
    progress: Callable[[BackfillStats, float], None] | None = None,
) -> BackfillStats:
    """Write `days` of history ending at `end` (default now) every `step_s` seconds."""
    if days <= 0 or step_s <= 0:
        raise ValueError("backfill needs days > 0 and --step > 0")
    started = time.perf_counter()
    stats = BackfillStats()
    doc, ids = inventory_from_db(engine)
    topo = from_inventory(doc, seed)
    physics = Physics(topo)
    t_end = float(int(end if end is not None else time.time()))
    t_end -= t_end % step_s
    t_start = t_end - days * 86_400
    profile_set = ProfileSet.load()
    redfish = {
        str(dev["name"])
        for site in doc["sites"]
        for rack in site["racks"]
        for dev in rack["devices"]
        if dev.get("protocol") == "redfish"
    }
    readers: list[tuple[int, Callable[[float], list[Reading]]]] = []
    for dev in build_devices(topo, physics, t_end):
        if dev.name in redfish:
            continue  # read below through Redfish, as the collector reads it
        reader = discover(dev, profile_set, t_end)
        dev_id = ids.get((dev.obj.rack.site.code, dev.name))
        if reader is None or dev_id is None:
            stats.devices_skipped += 1
            continue
        readers.append((dev_id, _snmp_read(reader)))
    for srv in topo.servers():
        dev_id = ids.get((srv.rack.site.code, srv.name))
        if dev_id is None:
            continue
        if srv.name in redfish:
            readers.append((dev_id, _redfish_read(srv, physics)))
        elif srv.management == "ssh":
            readers.append((dev_id, _ssh_read(srv, physics)))
    stats.devices = len(readers)
    registry = SeriesRegistry(engine)
    registry.preload([d for d, _ in readers])
    writer = SampleWriter(engine)
    rows: list[tuple[int, int, float]] = []
    t = t_start + step_s
    try:
        while t <= t_end:
            ts = int(t)
            for dev_id, read in readers:
                for r in read(t):
                    sid = registry.get((dev_id, r.metric, r.channel))
                    if sid is None:
                        sid = registry.resolve([_spec(dev_id, r)])[0]
                        stats.series += 1
                    rows.append((sid, ts, r.value))
            stats.steps += 1
            if len(rows) >= BATCH_ROWS:
                writer.write(rows)
                stats.rows += len(rows)
                rows = []
                stats.seconds = time.perf_counter() - started
                if progress is not None:
                    progress(stats, (t - t_start) / (t_end - t_start))
            t += step_s
        if rows:
            writer.write(rows)
            stats.rows += len(rows)
    finally:
        writer.flush()
    stats.seconds = time.perf_counter() - started
    return stats


def _redfish_read(srv: LabServer, physics: Physics) -> Callable[[float], list[Reading]]:
    """The lab BMC's Redfish resources at time t, mapped by the collector's own reader."""
    now = [0.0]
    provider = lab_server_provider(srv, physics, lambda: now[0])

    def get(uri: str) -> dict[str, Any]:
        doc = provider(uri.split("?", 1)[0])
        if doc is None:
            raise RedfishNotFound("protocol", f"{uri} not found", 404)
        return doc

    def read(t: float) -> list[Reading]:
        now[0] = t
        return read_service(get, expand=False).readings

    return read


def _spec(dev_id: int, r: Reading) -> SeriesSpec:
    return SeriesSpec(
        device_id=dev_id,
        metric=r.metric,
        channel=r.channel,
        unit=r.unit,
        role=r.role,
        warn_low=r.warn_low,
        warn_high=r.warn_high,
        crit_low=r.crit_low,
        crit_high=r.crit_high,
        channel_class=r.channel_class,
    )


def _snmp_read(reader: SnmpReader) -> Callable[[float], list[Reading]]:
    return reader.read


def _ssh_read(srv: LabServer, physics: Physics) -> Callable[[float], list[Reading]]:
    return lambda t: read_ssh(srv, physics, t)
