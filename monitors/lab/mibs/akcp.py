"""AKCP sensorProbe8 environmental probe: temperature and humidity tables (SPAGENT-MIB)."""

from __future__ import annotations

from typing import Any

from monitors.lab.mib import Mib, MibBuilder, integer, octets
from monitors.lab.mibs.common import Ctx, system_group

SYS_OID = "1.3.6.1.4.1.3854.1"
P = "1.3.6.1.4.1.3854.1.2.2.1"
TEMP_NAMES = (
    "Rack front (inlet)",
    "Rack rear (exhaust)",
    "Temperature3 Description",
    "Temperature4 Description",
)
HUMID_NAMES = (
    "Rack humidity",
    "Humidity2 Description",
    "Humidity3 Description",
    "Humidity4 Description",
)
# (highWarning, highCritical, lowWarning, lowCritical) in °C / %RH
TEMP_LIMITS = ((27, 32, 15, 10), (45, 55, 15, 10))
HUMID_LIMITS = (70, 80, 20, 15)


def _f(c_value: float) -> float:
    return c_value * 9.0 / 5.0 + 32.0


def _nonsense_temp(c: Ctx, row: int) -> float:
    # A failing sensor: wild jumps between impossible readings.
    return (850.0, -273.1, 3276.7)[(int(c.t) // 20 + row) % 3]


def _temp(c: Ctx, row: int) -> float:
    """Temperature in the probe's configured unit."""
    if c.s.nonsense:
        return _nonsense_temp(c, row)
    value = c.s.front_c if row == 0 else c.s.rear_c
    return _f(value) if c.dev.fahrenheit else value


def _status(value: float, limits: tuple[float, float, float, float], f: bool) -> int:
    # sensorProbe status: normal(2), highWarning(3), highCritical(4), lowWarning(5), lowCritical(6)
    hw, hc, lw, lc = (_f(x) for x in limits) if f else limits
    if value >= hc:
        return 4
    if value >= hw:
        return 3
    if value <= lc:
        return 6
    if value <= lw:
        return 5
    return 2


def build(dev: Any) -> Mib:
    b = MibBuilder()
    system_group(b, "SensorProbe", SYS_OID)
    b.add("1.3.6.1.4.1.3854.1.1.6.0", octets("AKCP"))
    b.add("1.3.6.1.4.1.3854.1.1.8.0", octets("sensorProbe8 v2.0"))
    b.add(f"{P}.3.0", octets("00-0B-DC-00-00-01"))
    fahrenheit = dev.fahrenheit
    rows = [((i,), i) for i in range(len(TEMP_NAMES))]

    def online(i: int) -> bool:
        return i < 2

    def limits(i: int, k: int) -> tuple[int, object]:
        lim = TEMP_LIMITS[min(i, 1)][k]
        return integer(round(_f(lim)) if fahrenheit else lim)

    b.table(
        f"{P}.16.1",
        {
            1: lambda c, i: octets(TEMP_NAMES[i]),
            3: lambda c, i: integer(int(_temp(c, i)) if online(i) else 0),
            4: lambda c, i: integer(
                _status(_temp(c, i), TEMP_LIMITS[i], fahrenheit) if online(i) else 0
            ),
            5: lambda c, i: integer(1 if online(i) else 2),
            6: integer(1),
            7: lambda c, i: limits(i, 0),
            8: lambda c, i: limits(i, 1),
            9: lambda c, i: limits(i, 2),
            10: lambda c, i: limits(i, 3),
            11: integer(1),
            12: integer(0 if fahrenheit else 1),  # degreeType: fahr(0), celsius(1)
            14: lambda c, i: integer(round(_temp(c, i) * 10) if online(i) else 0),
        },
        rows,
    )

    def humid(c: Ctx) -> float:
        return 127.5 if c.s.nonsense else c.s.humidity_pct

    def hstatus(c: Ctx, i: int) -> tuple[int, object]:
        return integer(_status(humid(c), HUMID_LIMITS, False) if i == 0 else 0)

    b.table(
        f"{P}.17.1",
        {
            1: lambda c, i: octets(HUMID_NAMES[i]),
            3: lambda c, i: integer(int(humid(c)) if i == 0 else 0),
            4: hstatus,
            5: lambda c, i: integer(1 if i == 0 else 2),
            6: integer(2),
            7: integer(HUMID_LIMITS[0]),
            8: integer(HUMID_LIMITS[1]),
            9: integer(HUMID_LIMITS[2]),
            10: integer(HUMID_LIMITS[3]),
            11: integer(2),
            13: lambda c, i: integer(round(humid(c) * 10) if i == 0 else 0),
        },
        rows,
    )
    return b.build()
