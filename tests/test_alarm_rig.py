"""A one-rack site fed through the collector's real ResultWriter into the alarm engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, insert, text

from models import schema as s
from models.db import make_engine
from models.inventory.device_specs import load_device_specs
from models.rules import rules_from_mapping
from models.store import postgres as pg_store
from monitors.alarms.engine import AlarmEngine
from monitors.collection.collector import ResultWriter
from monitors.collection.readings import PollResult, Reading

T0 = 1_790_000_000  # a fixed UTC instant so every run sees the same times
STEP = 30


def build_site(engine: Engine, *, racks: int = 1, tz: str = "Asia/Shanghai") -> dict[str, int]:
    """Site S1 with racks R01.. each: PDUs on feeds A and B (3-phase 32 A), a probe, a server."""
    ids: dict[str, int] = {}
    with engine.begin() as conn:
        site = conn.execute(
            insert(s.Site).values(code="S1", name="Lingang 1", tz=tz).returning(s.Site.id)
        ).scalar_one()
        ids["site"] = site
        for r in range(1, racks + 1):
            rname = f"R{r:02d}"
            rack = conn.execute(
                insert(s.Rack)
                .values(site_id=site, name=rname, row="A", position=r, rated_power_w=8000.0)
                .returning(s.Rack.id)
            ).scalar_one()
            ids[rname] = rack
            for feed in ("A", "B"):
                conn.execute(
                    insert(s.RackFeed).values(
                        rack_id=rack, feed=feed, breaker_a=32.0, phases=3, voltage_v=230.0
                    )
                )
            for name, kind, feed, u, h in (
                (f"{rname}-PDUA", "pdu", "A", None, 0),
                (f"{rname}-PDUB", "pdu", "B", None, 0),
                (f"{rname}-ENV", "sensor", None, 42, 1),
                (f"{rname}-SRV01", "server", None, 10, 2),
            ):
                ids[name] = conn.execute(
                    insert(s.Device)
                    .values(
                        site_id=site,
                        rack_id=rack,
                        name=name,
                        kind=kind,
                        feed=feed,
                        u_position=u,
                        u_height=h,
                        model="Model " + kind,
                        serial=f"SN-{name}",
                        address=f"10.0.{r}.{len(ids)}",
                        protocol="snmp",
                        credential="secret-community-name",
                        poll_interval_s=STEP,
                    )
                    .returning(s.Device.id)
                ).scalar_one()
    return ids


class Rig:
    """Feeds poll results through ResultWriter (series registry, SampleWriter, hooks)."""

    def __init__(self, url: str, rules: Mapping[str, Any] | None = None, racks: int = 1) -> None:
        self.url = url
        self.engine = make_engine(url)
        if self.engine.dialect.name == "postgresql":
            # The generic SampleWriter does not create PostgreSQL partitions on demand.
            raw = self.engine.raw_connection()
            try:
                pg_store.ensure_partitions(raw.cursor(), T0 - 86_400, T0 + 2 * 86_400)
                raw.commit()
            finally:
                raw.close()
        self.ids = build_site(self.engine, racks=racks)
        self.alarms = AlarmEngine(
            self.engine, rules_from_mapping(rules or {}), housekeeping_s=0.0, reload_min_s=0.0
        )
        specs = load_device_specs(self.engine)
        self.writer = ResultWriter(self.engine, {d.id: d for d in specs}, [self.alarms])
        self.writer.registry.preload(d.id for d in specs)

    def close(self) -> None:
        self.writer.writer.flush()
        self.engine.dispose()

    def poll(self, t: int, device: str, readings: list[Reading], ok: bool = True) -> None:
        self.send([self.result(t, device, readings, ok)])

    def result(self, t: int, device: str, readings: list[Reading], ok: bool = True) -> PollResult:
        return PollResult(
            self.ids[device],
            t,
            ok,
            tuple(readings) if ok else (),
            None if ok else "timeout after 2.0 s",
            error_kind=None if ok else "unreachable",
        )

    def send(self, results: list[PollResult]) -> None:
        self.writer._write(results)

    def rack_poll(
        self,
        t: int,
        rack: str = "R01",
        *,
        inlet: float = 23.0,
        amps_a: tuple[float, float, float] = (6.0, 6.0, 6.0),
        amps_b: tuple[float, float, float] = (6.0, 6.0, 6.0),
        watts: tuple[float, float] = (2500.0, 2500.0),
    ) -> None:
        """One poll cycle of a whole rack in one batch."""
        res = []
        for feed, amps, w in (("A", amps_a, watts[0]), ("B", amps_b, watts[1])):
            rd = [Reading("current_a", f"L{i + 1}", a, "A") for i, a in enumerate(amps)]
            rd.append(Reading("power_w", "total", w, "W"))
            res.append(self.result(t, f"{rack}-PDU{feed}", rd))
        res.append(
            self.result(
                t,
                f"{rack}-ENV",
                [
                    Reading("temperature_c", "probe 1", inlet, "°C", role="inlet"),
                    Reading("humidity_pct", "probe 1", 45.0, "%RH"),
                ],
            )
        )
        self.send(res)

    def alarms_rows(self) -> list[Any]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    text(
                        "SELECT id, rule, key, severity, state, message, raised_ts, cleared_ts, "
                        "rack_id, device_id, series_id, value, threshold FROM alarm ORDER BY id"
                    )
                )
            )

    def events(self, alarm_id: int | None = None) -> list[Any]:
        sql = 'SELECT alarm_id, ts, action, from_state, to_state, "user", note FROM alarm_event'
        params: dict[str, Any] = {}
        if alarm_id is not None:
            sql += " WHERE alarm_id = :a"
            params["a"] = alarm_id
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql + " ORDER BY id"), params))
