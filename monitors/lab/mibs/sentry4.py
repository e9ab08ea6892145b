"""ServerTech Sentry4 (Sentry4-MIB) Wye PDU: one input cord, its lines and phases, env sensors."""

from __future__ import annotations

from typing import Any

from monitors.lab.mib import Mib, MibBuilder, integer, octets
from monitors.lab.mibs.common import Ctx, hundredths, serial, system_group, tenths

SYS_OID = "1.3.6.1.4.1.1718.4"
P = "1.3.6.1.4.1.1718.4.1"
ABSENT_TEMP = -410  # Sentry4's "no probe" value
ABSENT_HUMID = -1


def build(dev: Any) -> Mib:
    b = MibBuilder()
    system_group(b, "Sentry Smart PDU", SYS_OID)
    cord = "AA" if dev.feed == "A" else "BA"
    cord_name = f"Master_Cord_{dev.feed}"
    b.add(f"{P}.1.1.3.0", octets("Version 8.0n"))
    b.add(f"{P}.2.2.1.2.1", octets("A"))
    b.add(f"{P}.2.2.1.4.1", lambda c: octets(c.dev.name))
    b.add(f"{P}.2.2.1.5.1", octets("C2S42CE-YCMFAM00"))
    b.add(f"{P}.2.2.1.6.1", lambda c: octets(serial(c.dev, "ABEF")))
    b.add(f"{P}.2.3.1.1.1", integer(0))
    capacity_va = dev.phases * 230 * dev.rated_a
    one = [((1, 1), None)]
    # st4InputCordConfigTable
    b.table(
        f"{P}.3.2.1",
        {
            2: octets(cord),
            3: octets(cord_name),
            6: octets("IEC 60309 3P+N+E 6h 32A" if dev.phases == 3 else "IEC 60309 2P+E 6h 32A"),
            7: integer(2300),
            8: integer(200),
            9: integer(240),
            10: integer(dev.rated_a),
            11: integer(dev.rated_a),
            12: integer(capacity_va),
            20: integer(dev.phases),
            21: integer(dev.phases),
            22: integer(dev.phases),
            23: integer(dev.phases),
        },
        one,
    )

    def balance(c: Ctx) -> float:
        amps = c.s.line_current_a
        avg = sum(amps) / len(amps)
        return 0.0 if avg <= 0 else (max(amps) - min(amps)) / avg * 100.0

    # st4InputCordMonitorTable
    b.table(
        f"{P}.3.3.1",
        {
            1: integer(1),
            2: integer(0),
            3: lambda c, _: integer(c.s.power_w),
            4: integer(0),
            5: lambda c, _: integer(c.s.apparent_va),
            6: integer(0),
            7: lambda c, _: integer(tenths(c.s.apparent_va / capacity_va * 100)),
            8: lambda c, _: integer(hundredths(c.s.power_factor)),
            9: integer(0),
            10: lambda c, _: integer(tenths(c.s.energy_kwh)),
            11: lambda c, _: integer(tenths(c.s.frequency_hz)),
            12: lambda c, _: integer(tenths(balance(c))),
            13: integer(0),
        },
        one,
    )
    lines = [((1, 1, n), n) for n in range(1, dev.phases + 1)]

    def line_status(c: Ctx, n: int) -> tuple[int, object]:
        # st4 status: normal(0) ... overLimit/alarm values above; 9 = high alarm
        a = c.s.line_current_a[n - 1]
        return integer(9 if a >= dev.rated_a else 8 if a >= dev.rated_a * 0.8 else 0)

    b.table(f"{P}.4.2.1", {4: lambda c, n: octets(f"{cord}:L{n}")}, lines)
    b.table(
        f"{P}.4.3.1",
        {
            1: integer(1),
            2: line_status,
            3: lambda c, n: integer(hundredths(c.s.line_current_a[n - 1])),
            4: line_status,
            5: lambda c, n: integer(tenths(c.s.line_current_a[n - 1] / dev.rated_a * 100)),
        },
        lines,
    )
    b.table(f"{P}.5.2.1", {4: lambda c, n: octets(f"{cord}:L{n}-N")}, lines)
    b.table(
        f"{P}.5.3.1",
        {
            1: integer(1),
            2: integer(0),
            3: lambda c, n: integer(tenths(c.s.voltage_v)),
            4: integer(0),
            6: lambda c, n: integer(hundredths(c.s.line_current_a[n - 1])),
            8: lambda c, n: integer(c.s.line_power_w[n - 1]),
            9: lambda c, n: integer(c.s.line_apparent_va[n - 1]),
            10: lambda c, n: integer(
                hundredths(
                    c.s.line_power_w[n - 1] / c.s.line_apparent_va[n - 1]
                    if c.s.line_apparent_va[n - 1] > 0
                    else 1.0
                )
            ),
            11: integer(0),
            13: lambda c, n: integer(tenths(c.s.line_energy_kwh[n - 1])),
        },
        lines,
    )
    # Temperature and humidity: sensor 1 wired at the rack front on feed A; 2 absent.
    has_env = dev.feed == "A"
    b.add(f"{P}.9.1.10.0", integer(0))  # Celsius
    sensors = [((1, i), i) for i in (1, 2)]
    b.table(
        f"{P}.9.2.1",
        {
            2: lambda c, i: octets(f"A{i}"),
            3: lambda c, i: octets(f"Temp_Sensor_A{i}"),
            4: integer(-40),
            5: integer(123),
        },
        sensors,
    )
    b.table(
        f"{P}.9.3.1",
        {
            1: lambda c, i: integer(tenths(c.s.inlet_c) if has_env and i == 1 else ABSENT_TEMP),
            2: lambda c, i: integer(0 if has_env and i == 1 else 1),
        },
        sensors,
    )
    b.table(
        f"{P}.10.2.1",
        {2: lambda c, i: octets(f"A{i}"), 3: lambda c, i: octets(f"Humid_Sensor_A{i}")},
        sensors,
    )
    b.table(
        f"{P}.10.3.1",
        {
            1: lambda c, i: integer(
                round(c.s.humidity_pct) if has_env and i == 1 else ABSENT_HUMID
            ),
            2: lambda c, i: integer(0 if has_env and i == 1 else 1),
        },
        sensors,
    )
    return b.build()
