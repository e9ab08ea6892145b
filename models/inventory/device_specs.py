"""Plain device descriptions the collector polls, read from the inventory tables."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from models.schema import Device, Rack, Site


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    id: int
    name: str
    site: str
    rack: str | None
    rack_id: int | None
    kind: str
    address: str
    port: int | None
    protocol: str
    profile: str | None
    credential: str | None
    interval_s: int

    @property
    def label(self) -> str:
        where = f"{self.site}/{self.rack}" if self.rack else self.site
        return f"{self.name} ({where}, {self.address}:{self.port or '-'})"


def load_device_specs(engine: Engine, shard: int = 0, shards: int = 1) -> list[DeviceSpec]:
    """Enabled, pollable devices of one shard (device id modulo shards)."""
    out: list[DeviceSpec] = []
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Device.id,
                Device.name,
                Site.code,
                Rack.name.label("rack"),
                Device.rack_id,
                Device.kind,
                Device.address,
                Device.port,
                Device.protocol,
                Device.profile,
                Device.credential,
                Device.poll_interval_s,
            )
            .join(Site, Site.id == Device.site_id)
            .outerjoin(Rack, Rack.id == Device.rack_id)
            .where(Device.enabled.is_(True), Device.protocol != "none")
            .order_by(Device.id)
        )
        for r in rows:
            if shards > 1 and r.id % shards != shard:
                continue
            out.append(
                DeviceSpec(
                    id=r.id,
                    name=r.name,
                    site=r.code,
                    rack=r.rack,
                    rack_id=r.rack_id,
                    kind=r.kind,
                    address=r.address,
                    port=r.port,
                    protocol=r.protocol,
                    profile=r.profile,
                    credential=r.credential,
                    interval_s=max(1, int(r.poll_interval_s)),
                )
            )
    return out
