"""A small but realistic data hall written through the real schema and SampleWriter."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert

from models import schema as s
from models.messages import Message
from models.store.samples import SampleWriter
from models.store.series import SeriesRegistry


@dataclass
class Hall:
    """Ids of what populate() wrote, so tests can assert against them."""

    now: int
    site_ids: dict[str, int] = field(default_factory=dict)
    rack_ids: dict[str, int] = field(default_factory=dict)
    device_ids: dict[str, int] = field(default_factory=dict)
    series_ids: dict[tuple[str, str, str], int] = field(default_factory=dict)
    alarm_ids: list[int] = field(default_factory=list)
    hot_rack: str = ""
    down_device: str = ""


def populate(
    engine: Engine,
    *,
    now: int,
    sites: tuple[tuple[str, str, str], ...] = (
        ("SH1", "Shanghai Lingang 1", "Asia/Shanghai"),
        ("GY2", "Guiyang Gui'an 2", "Asia/Shanghai"),
    ),
    rows: int = 3,
    racks_per_row: int = 6,
    servers_per_rack: int = 8,
    hours: float = 6.0,
    step_s: int = 60,
    seed: int = 7,
) -> Hall:
    """Sites with rows of racks (2 PDUs, servers, an env probe each), history, states, alarms."""
    rnd = random.Random(seed)
    hall = Hall(now=now)
    series_meta: list[tuple[int, float, float, float]] = []  # id, base, amplitude, noise
    with engine.begin() as conn:
        for si, (code, name, tz) in enumerate(sites):
            site_id = conn.execute(
                insert(s.Site).values(code=code, name=name, tz=tz).returning(s.Site.id)
            ).scalar_one()
            hall.site_ids[code] = site_id
            for ri in range(rows):
                row = chr(ord("A") + ri)
                for pos in range(1, racks_per_row + 1):
                    rname = f"{code}-{row}{pos:02d}"
                    rack_id = conn.execute(
                        insert(s.Rack)
                        .values(
                            site_id=site_id,
                            name=rname,
                            row=row,
                            position=pos,
                            height_u=42,
                            rated_power_w=8000.0,
                        )
                        .returning(s.Rack.id)
                    ).scalar_one()
                    hall.rack_ids[rname] = rack_id
                    for feed in ("A", "B"):
                        conn.execute(
                            insert(s.RackFeed).values(
                                rack_id=rack_id,
                                feed=feed,
                                breaker_a=32.0,
                                phases=3,
                                voltage_v=230.0,
                            )
                        )
                    hot = si == 0 and ri == 1 and pos == 3
                    if hot:
                        hall.hot_rack = rname
                    base_inlet = 22.0 + rnd.uniform(-2.0, 3.0) + (9.5 if hot else 0.0)
                    load = rnd.uniform(0.35, 0.75) + (0.2 if hot else 0.0)

                    def device(
                        dname: str,
                        kind: str,
                        u: int | None,
                        h: int,
                        feed: str | None,
                        model: str,
                        addr: str,
                        proto: str,
                        *,
                        rack_id: int = rack_id,
                        site_id: int = site_id,
                    ) -> int:
                        did = conn.execute(
                            insert(s.Device)
                            .values(
                                site_id=site_id,
                                rack_id=rack_id,
                                name=dname,
                                kind=kind,
                                u_position=u,
                                u_height=h,
                                feed=feed,
                                model=model,
                                serial=f"SN{rnd.randrange(10**9):09d}",
                                address=addr,
                                protocol=proto,
                                poll_interval_s=60,
                            )
                            .returning(s.Device.id)
                        ).scalar_one()
                        hall.device_ids[dname] = did
                        return did

                    def series(
                        did: int,
                        metric: str,
                        channel: str,
                        role: str | None,
                        unit: str,
                        base: float,
                        amp: float,
                        noise: float,
                        **limits: float,
                    ) -> int:
                        sid = conn.execute(
                            insert(s.Series)
                            .values(
                                device_id=did,
                                metric=metric,
                                channel=channel,
                                role=role,
                                unit=unit,
                                **{f"device_{k}": v for k, v in limits.items()},
                            )
                            .returning(s.Series.id)
                        ).scalar_one()
                        series_meta.append((sid, base, amp, noise))
                        return sid

                    ip3 = si * 40 + ri * 10 + pos
                    for fi, feed in enumerate(("A", "B")):
                        pdu = device(
                            f"{rname}-PDU{feed}",
                            "pdu",
                            None,
                            0,
                            feed,
                            "Raritan PX3-5145R",
                            f"10.{si}.{ip3}.{250 + fi}",
                            "snmp",
                        )
                        watts = 8000.0 * load / 2
                        series(pdu, "power_w", "", None, "W", watts, watts * 0.08, watts * 0.01)
                        for ph in ("L1", "L2", "L3"):
                            amps = watts / 3 / 230.0 * rnd.uniform(0.85, 1.15)
                            series(pdu, "current_a", ph, None, "A", amps, amps * 0.08, 0.05)
                        for o in range(1, servers_per_rack + 1):
                            w = watts / servers_per_rack * rnd.uniform(0.7, 1.3)
                            series(pdu, "power_w", f"outlet {o}", None, "W", w, w * 0.1, 3.0)
                    probe = device(
                        f"{rname}-ENV",
                        "sensor",
                        42,
                        1,
                        None,
                        "APC AP9335TH",
                        f"10.{si}.{ip3}.249",
                        "snmp",
                    )
                    series(probe, "temperature_c", "front", "inlet", "°C", base_inlet, 1.0, 0.1)
                    series(probe, "humidity_pct", "front", "ambient", "%RH", 40.0, 3.0, 0.5)
                    u = 2
                    for n in range(1, servers_per_rack + 1):
                        h = 2 if n % 3 == 0 else 1
                        dname = f"{rname}-SRV{n:02d}"
                        model = "Dell PowerEdge R750" if h == 2 else "Inspur NF5180M6"
                        did = device(
                            dname, "server", u, h, None, model, f"10.{si}.{ip3}.{10 + n}", "ssh"
                        )
                        inlet = base_inlet + rnd.uniform(-1.0, 1.5) - u * 0.03
                        sid = series(
                            did, "temperature_c", "Inlet Temp", "inlet", "°C", inlet, 0.8, 0.15
                        )
                        hall.series_ids[(dname, "temperature_c", "inlet")] = sid
                        series(
                            did,
                            "temperature_c",
                            "CPU1",
                            "cpu",
                            "°C",
                            inlet + 30,
                            6.0,
                            1.0,
                            warn_high=85.0,
                            crit_high=95.0,
                        )
                        w = 8000.0 * load / servers_per_rack * rnd.uniform(0.7, 1.3)
                        series(did, "power_w", "", None, "W", w, w * 0.1, w * 0.02)
                        series(did, "fan_rpm", "FAN1", None, "RPM", 9000.0, 800.0, 50.0)
                        u += h
    # What a collector does on start: decide what every series means (models.series_meaning).
    SeriesRegistry(engine).preload(hall.device_ids.values())
    _write_history(engine, series_meta, now, hours, step_s, rnd)
    _states_and_alarms(engine, hall, rnd, servers_per_rack)
    return hall


def _write_history(
    engine: Engine,
    meta: list[tuple[int, float, float, float]],
    now: int,
    hours: float,
    step_s: int,
    rnd: random.Random,
) -> None:
    writer = SampleWriter(engine)
    start = now - int(hours * 3600)
    start -= start % step_s
    batch: list[tuple[int, int, float]] = []
    for ts in range(start, now + 1, step_s):
        phase = 2 * math.pi * ts / 86_400
        for sid, base, amp, noise in meta:
            batch.append(
                (sid, ts, base + amp * math.sin(phase + sid * 0.37) + rnd.gauss(0.0, noise))
            )
        if len(batch) > 20_000:
            writer.write(batch)
            batch = []
    if batch:
        writer.write(batch)
    writer.flush()


def _states_and_alarms(
    engine: Engine, hall: Hall, rnd: random.Random, servers_per_rack: int
) -> None:
    now = hall.now
    with engine.begin() as conn:
        names = sorted(hall.device_ids)
        last = f"SRV{min(5, servers_per_rack):02d}"
        down = next(n for n in names if n.endswith(last) and not n.startswith(hall.hot_rack))
        hall.down_device = down
        for n in names:
            did = hall.device_ids[n]
            if n == down:
                conn.execute(
                    insert(s.DeviceState).values(
                        device_id=did,
                        status="unreachable",
                        reason="timeout",
                        last_poll_ts=now - 20,
                        last_ok_ts=now - 1800,
                        consecutive_failures=30,
                        error="ssh: connection timed out after 5 s",
                    )
                )
            else:
                conn.execute(
                    insert(s.DeviceState).values(
                        device_id=did,
                        status="ok",
                        last_poll_ts=now - rnd.randint(1, 50),
                        last_ok_ts=now - rnd.randint(1, 50),
                        consecutive_failures=0,
                    )
                )
        hot = hall.hot_rack
        site_id = hall.site_ids[hot.split("-")[0]]
        rack_id = hall.rack_ids[hot]
        srv = f"{hot}-SRV01"
        sid = hall.series_ids[(srv, "temperature_c", "inlet")]
        # Messages as the alarm engine writes them: catalogue id + arguments, English text.
        inlet_msg = Message(
            "series.threshold",
            {
                "where": srv,
                "label": "Inlet Temp",
                "value": "33.1",
                "unit": " °C",
                "side": "above",
                "level": "critical",
                "thr": "32",
                "src": "",
            },
        )
        power_msg = Message(
            "rack.power",
            {"rack": hot, "kw": "6.72", "pct": "84", "rated_kw": "8", "severity": "warning"}
            | {"level_pct": "80"},
        )
        down_msg = Message(
            "device.unreachable", {"where": down, "failures": "30", "error": "timeout"}
        )
        alarms: list[dict[str, Any]] = [
            dict(
                rule="temperature.inlet",
                key=f"inlet:{sid}",
                severity="critical",
                state="active",
                device_id=hall.device_ids[srv],
                series_id=sid,
                message=inlet_msg.english(),
                message_id=inlet_msg.id,
                message_args=inlet_msg.args_json(),
                value=33.1,
                threshold=32.0,
                raised_ts=now - 600,
            ),
            dict(
                rule="power.rack",
                key=f"rackpower:{rack_id}",
                severity="warning",
                state="active",
                device_id=None,
                series_id=None,
                message=power_msg.english(),
                message_id=power_msg.id,
                message_args=power_msg.args_json(),
                value=6720.0,
                threshold=6400.0,
                raised_ts=now - 2400,
            ),
            dict(
                rule="device.unreachable",
                key=f"unreach:{hall.device_ids[down]}",
                severity="critical",
                state="acknowledged",
                device_id=hall.device_ids[down],
                series_id=None,
                message=down_msg.english(),
                message_id=down_msg.id,
                message_args=down_msg.args_json(),
                value=None,
                threshold=None,
                raised_ts=now - 1700,
                ack_by="operator1",
                ack_ts=now - 1200,
                ack_note="BMC replaced, ticket 4711",
            ),
        ]
        for a in alarms:
            dev = a["device_id"]
            r_id = rack_id if dev is None or a["rule"] != "device.unreachable" else None
            if a["rule"] == "device.unreachable":
                r_id = hall.rack_ids[down.rsplit("-", 1)[0]]
                site = hall.site_ids[down.split("-")[0]]
            else:
                site = site_id
            aid = conn.execute(
                insert(s.Alarm).values(site_id=site, rack_id=r_id, seq=1, **a).returning(s.Alarm.id)
            ).scalar_one()
            hall.alarm_ids.append(aid)
            conn.execute(
                insert(s.AlarmEvent).values(
                    alarm_id=aid,
                    ts=a["raised_ts"],
                    action="raise",
                    from_state=None,
                    to_state="active",
                    user="system",
                )
            )
        conn.execute(
            insert(s.CollectorHeartbeat).values(
                collector_id="lab-0",
                host="localhost",
                pid=4242,
                shard="0/2",
                started_ts=now - 7200,
                last_beat_ts=now - 3,
                devices=len(names) // 2,
                polls_ok=100_000,
                polls_failed=12,
            )
        )
        conn.execute(
            insert(s.CollectorHeartbeat).values(
                collector_id="lab-1",
                host="localhost",
                pid=4243,
                shard="1/2",
                started_ts=now - 7200,
                last_beat_ts=now - 5,
                devices=len(names) // 2,
                polls_ok=99_000,
                polls_failed=40,
            )
        )
