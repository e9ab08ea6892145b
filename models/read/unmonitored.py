"""Devices the hall cannot read, and why: no profile, nothing to read, auth, timeout, error."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from models import schema as s
from models.vocabulary import OK, no_data_reason


@dataclass(frozen=True, slots=True)
class Unmonitored:
    device_id: int
    device: str
    site: str
    rack: str
    address: str
    protocol: str
    reason: str  # models.vocabulary word, or "never polled"
    error: str
    since_ts: int | None  # last good poll, if there ever was one


NEVER_POLLED = "never_polled"


def unmonitored(engine: Engine) -> tuple[Unmonitored, ...]:
    """Every polled device whose last poll gave no data, and those never polled at all."""
    stmt = (
        select(
            s.Device.id,
            s.Device.name.label("device_name"),
            s.Site.code,
            s.Rack.name.label("rack_name"),
            s.Device.address,
            s.Device.port,
            s.Device.protocol,
            s.DeviceState.reason,
            s.DeviceState.status,
            s.DeviceState.error,
            s.DeviceState.last_ok_ts,
        )
        .join(s.Site, s.Site.id == s.Device.site_id)
        .outerjoin(s.Rack, s.Rack.id == s.Device.rack_id)
        .outerjoin(s.DeviceState, s.DeviceState.device_id == s.Device.id)
        .where(s.Device.protocol != "none")
        .order_by(s.Site.code, s.Device.name)
    )
    out: list[Unmonitored] = []
    with engine.connect() as conn:
        for r in conn.execute(stmt):
            if r.status is None:
                reason = NEVER_POLLED
            elif r.status == "ok":
                continue
            else:
                # A state written before reasons were kept: its status word is the best guess.
                reason = r.reason or no_data_reason(False, r.status)
            if reason == OK:
                continue
            address = f"{r.address}:{r.port}" if r.port else str(r.address)
            out.append(
                Unmonitored(
                    int(r.id),
                    str(r.device_name),
                    str(r.code),
                    str(r.rack_name or ""),
                    address,
                    str(r.protocol),
                    str(reason),
                    str(r.error or ""),
                    None if r.last_ok_ts is None else int(r.last_ok_ts),
                )
            )
    return tuple(out)
