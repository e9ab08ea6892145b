"""HPE iLO 5 (CPQHLTH-MIB / CPQPOWER): temperatures by locale, power supplies, power meter, fans."""

from __future__ import annotations

from typing import Any

from monitors.lab.mib import Mib, MibBuilder, integer, octets
from monitors.lab.mibs.common import Ctx, serial, system_group

SYS_OID = "1.3.6.1.4.1.232.9.4.11"  # iLO 5
P = "1.3.6.1.4.1.232"
# (locale enum, which value, threshold °C): ambient(11) is the front inlet sensor
TEMPS: tuple[tuple[int, str, int], ...] = (
    (11, "inlet", 42),
    (6, "cpu1", 70),
    (6, "cpu2", 70),
    (7, "mem", 87),
    (7, "mem", 87),
    (3, "exhaust", 70),
    (10, "psu", 75),
    (10, "psu", 75),
    (12, "chassis", 65),
)


def _temp(c: Ctx, what: str) -> float:
    s = c.s
    return float(
        {
            "inlet": s.inlet_c,
            "cpu1": s.cpu_c[0],
            "cpu2": s.cpu_c[1],
            "mem": s.inlet_c + 6 + 10 * s.load,
            "exhaust": s.exhaust_c,
            "psu": s.inlet_c + 14 + 8 * s.load,
            "chassis": s.inlet_c + 3,
        }[what]
    )


def build(dev: Any) -> Mib:
    b = MibBuilder()
    system_group(b, "Integrated Lights-Out 5 2.72 Sep 04 2022", SYS_OID)
    b.add(f"{P}.2.2.2.1.0", lambda c: octets(serial(c.dev, "CZ")))
    b.add(f"{P}.2.2.4.2.0", octets(dev.model.removeprefix("HPE ") or "ProLiant DL360 Gen10"))
    rows = [((0, i), i) for i in range(1, len(TEMPS) + 1)]

    def celsius(c: Ctx, i: int) -> tuple[int, object]:
        return integer(round(_temp(c, TEMPS[i - 1][1])))

    def condition(c: Ctx, i: int) -> tuple[int, object]:
        # cpqHeTemperatureCondition: ok(2), degraded(3), failed(4)
        v = _temp(c, TEMPS[i - 1][1])
        limit = TEMPS[i - 1][2]
        return integer(4 if v >= limit else 3 if v >= limit - 5 else 2)

    b.table(
        f"{P}.6.2.6.8.1",
        {
            1: integer(0),
            2: lambda c, i: integer(i),
            3: lambda c, i: integer(TEMPS[i - 1][0]),
            4: celsius,
            5: lambda c, i: integer(TEMPS[i - 1][2]),
            6: condition,
            7: integer(9),
        },
        rows,
    )
    psus = [((0, i), i) for i in (1, 2)]
    b.table(
        f"{P}.6.2.9.3.1",
        {
            1: integer(0),
            2: lambda c, i: integer(i),
            3: integer(3),
            4: integer(2),
            5: integer(1),
            6: lambda c, i: integer(c.s.voltage_v),
            7: lambda c, i: integer(c.s.psu_w[i - 1]),
            8: integer(500),
            9: integer(3),
            10: octets("720478-B21"),
            11: lambda c, i: octets(serial(c.dev, f"5DMWA{i}")),
            13: integer(3),
        },
        psus,
    )
    b.add(f"{P}.6.2.15.2.0", integer(2))  # cpqHePowerMeterStatus: present
    b.add(f"{P}.6.2.15.3.0", lambda c: integer(c.s.power_w))  # cpqHePowerMeterCurrReading
    fans = [((0, i), i) for i in range(1, 7)]
    b.table(
        f"{P}.6.2.6.7.1",
        {
            1: integer(0),
            2: lambda c, i: integer(i),
            3: integer(3),
            4: integer(3),
            5: integer(3),
            6: lambda c, i: integer(3 if c.s.fan_rpm[0] > 9000 else 2),
            9: integer(2),
            12: lambda c, i: integer(round((c.s.fan_rpm[i - 1] - 2400) / 108 + 1)),
        },
        fans,
    )
    return b.build()
