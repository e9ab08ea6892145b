"""Dell iDRAC9 (IDRAC-MIB-SMIv2): temperature, amperage/power, fan and power-supply tables."""

from __future__ import annotations

from typing import Any

from monitors.lab.mib import Mib, MibBuilder, integer, octets
from monitors.lab.mibs.common import Ctx, serial, system_group, tenths

SYS_OID = "1.3.6.1.4.1.674.10892.5"
P = "1.3.6.1.4.1.674.10892.5"
TEMPS = ("CPU1 Temp", "CPU2 Temp", "System Board Inlet Temp", "System Board Exhaust Temp")
# (upperCritical, upperNonCritical, lowerNonCritical, lowerCritical) in tenths of °C
TEMP_LIMITS = ((980, 930, 30, -70), (980, 930, 30, -70), (470, 430, 30, -70), (800, 750, 30, 30))
FANS = ("Fan1A", "Fan2A", "Fan3A", "Fan4A", "Fan5A", "Fan6A")
OK = 3  # ObjectStatusEnum ok(3); nonCriticalUpper 4, criticalUpper 5


def _temp(c: Ctx, i: int) -> float:
    s = c.s
    return float((s.cpu_c[0], s.cpu_c[1], s.inlet_c, s.exhaust_c)[i - 1])


def _temp_status(c: Ctx, i: int) -> int:
    raw = tenths(_temp(c, i))
    crit, warn, _, _ = TEMP_LIMITS[i - 1]
    return 5 if raw >= crit else 4 if raw >= warn else OK


def build(dev: Any) -> Mib:
    b = MibBuilder()
    model = dev.model.removeprefix("Dell ") or "PowerEdge R650"
    system_group(b, "", SYS_OID)  # iDRAC leaves sysDescr empty; identify by sysObjectID
    b.add(f"{P}.1.3.2.0", lambda c: octets(serial(c.dev, "")[:7].upper()))
    b.add(f"{P}.1.3.8.0", lambda c: octets(c.dev.rack.site.name))
    b.add(f"{P}.1.3.12.0", octets(model))
    b.add(f"{P}.2.1.0", integer(OK))  # globalSystemStatus
    rows = [((1, i), i) for i in range(1, len(TEMPS) + 1)]
    b.table(
        f"{P}.4.700.20.1",
        {
            1: integer(1),
            2: lambda c, i: integer(i),
            4: integer(2),
            5: lambda c, i: integer(_temp_status(c, i)),
            6: lambda c, i: integer(tenths(_temp(c, i))),
            7: integer(3),
            8: lambda c, i: octets(TEMPS[i - 1]),
            10: lambda c, i: integer(TEMP_LIMITS[i - 1][0]),
            11: lambda c, i: integer(TEMP_LIMITS[i - 1][1]),
            12: lambda c, i: integer(TEMP_LIMITS[i - 1][2]),
            13: lambda c, i: integer(TEMP_LIMITS[i - 1][3]),
        },
        rows,
    )
    # amperageProbeTable: PSU input currents (tenths of A) and system power (W)
    amps = [((1, i), i) for i in (1, 2, 3)]

    def amp_reading(c: Ctx, i: int) -> tuple[int, object]:
        if i == 3:
            return integer(c.s.power_w)
        return integer(tenths(c.s.psu_a[i - 1]))

    b.table(
        f"{P}.4.600.30.1",
        {
            1: integer(1),
            2: lambda c, i: integer(i),
            4: integer(2),
            5: integer(OK),
            6: amp_reading,
            7: lambda c, i: integer(26 if i == 3 else 23),
            8: lambda c, i: octets(
                "System Board Pwr Consumption" if i == 3 else f"PS{i} Current {i}"
            ),
            10: lambda c, i: integer(round(dev.max_w * 1.6) if i == 3 else 0),
            11: lambda c, i: integer(round(dev.max_w * 1.45) if i == 3 else 0),
            15: lambda c, i: integer(5 if i == 3 else 0),
        },
        amps,
    )
    fans = [((1, i), i) for i in range(1, len(FANS) + 1)]
    b.table(
        f"{P}.4.700.12.1",
        {
            1: integer(1),
            2: lambda c, i: integer(i),
            5: integer(OK),
            6: lambda c, i: integer(c.s.fan_rpm[i - 1]),
            7: integer(3),
            8: lambda c, i: octets(f"System Board {FANS[i - 1]}"),
            13: integer(480),
        },
        fans,
    )
    psus = [((1, i), i) for i in (1, 2)]
    b.table(
        f"{P}.4.600.12.1",
        {
            1: integer(1),
            2: lambda c, i: integer(i),
            5: integer(OK),
            8: lambda c, i: octets(f"PS{i} Status"),
            16: lambda c, i: integer(c.s.voltage_v),
        },
        psus,
    )
    return b.build()
