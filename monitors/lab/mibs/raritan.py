"""Raritan PX3 (PDU2-MIB): one single-phase inlet, metered outlets, external sensors on feed A."""

from __future__ import annotations

from typing import Any

from monitors.lab.mib import Mib, MibBuilder, gauge, integer, octets
from monitors.lab.mibs.common import Ctx, serial, system_group

SYS_OID = "1.3.6.1.4.1.13742.6"
MODEL = "PX3-5493U"
P = "1.3.6.1.4.1.13742.6"

# sensor type -> (units enum, decimal digits, lowerCrit, lowerWarn, upperCrit, upperWarn)
# thresholds are raw values in the sensor's units and digits; 0 = not set.
INLET_SENSORS: dict[int, tuple[int, int, int, int, int, int]] = {
    1: (2, 3, 0, 0, 32000, 25600),  # rmsCurrent, mA
    4: (1, 0, 188, 194, 254, 251),  # rmsVoltage
    5: (3, 0, 0, 0, 0, 0),  # activePower
    6: (4, 0, 0, 0, 0, 0),  # apparentPower
    7: (-1, 2, 0, 0, 0, 0),  # powerFactor
    8: (5, 0, 0, 0, 0, 0),  # activeEnergy, Wh
    23: (8, 1, 0, 0, 0, 0),  # frequency
}
OUTLET_SENSORS = {k: v if k != 1 else (2, 3, 0, 0, 10000, 8000) for k, v in INLET_SENSORS.items()}
# external sensors on feed A: (name, type, units, digits)
EXTERNAL = (
    ("Inlet Temperature", 10, 7, 1),
    ("Outlet Temperature", 10, 7, 1),
    ("Relative Humidity", 11, 9, 0),
)


def _state(value: float, spec: tuple[int, int, int, int, int, int]) -> int:
    # SensorStateEnumeration: normal(4), aboveUpperWarning(5), aboveUpperCritical(6)
    _, digits, _, _, crit, warn = spec
    raw = value * 10**digits
    if crit and raw >= crit:
        return 6
    if warn and raw >= warn:
        return 5
    return 4


def _measure(values: Any, sensor: int) -> float:
    """values: an object with power_w, current_a, ... (PduState or OutletState)."""
    if sensor == 1:
        return float(values.current_a)
    if sensor == 4:
        return float(values.voltage_v)
    if sensor == 5:
        return float(values.power_w)
    if sensor == 6:
        return float(values.apparent_va)
    if sensor == 7:
        return float(values.power_factor)
    if sensor == 8:
        return float(values.energy_kwh) * 1000.0
    return float(values.frequency_hz)


class _OutletView:
    """An outlet's values with the unit's voltage and frequency (outlets report both)."""

    __slots__ = (
        "apparent_va",
        "current_a",
        "energy_kwh",
        "frequency_hz",
        "power_factor",
        "power_w",
        "voltage_v",
    )

    def __init__(self, c: Ctx, n: int) -> None:
        o = c.s.outlets[n - 1]
        self.power_w = o.power_w
        self.current_a = o.current_a
        self.apparent_va = o.apparent_va
        self.power_factor = o.power_factor
        self.energy_kwh = o.energy_kwh
        self.voltage_v = c.s.voltage_v
        self.frequency_hz = c.s.frequency_hz


def _raw(value: float, digits: int) -> int:
    raw: int = round(float(value) * 10**digits)
    return max(0, raw)


def build(dev: Any) -> Mib:
    b = MibBuilder()
    system_group(b, f"Raritan PDU, MD:{MODEL}-K2 HW:0x10 FW:4.2.0.5-50274", SYS_OID)
    b.add(f"{P}.3.2.1.1.2.1", lambda c: octets(c.dev.name))
    b.add(f"{P}.3.2.1.1.3.1", octets(MODEL))
    b.add(f"{P}.3.2.1.1.4.1", lambda c: octets(serial(c.dev, "1S")))
    b.add(f"{P}.3.2.3.1.6.1.1.1", octets("4.2.0.5-50274"))
    # inletConfigurationTable
    b.table(
        f"{P}.3.3.3.1",
        {2: octets("I1"), 3: octets(""), 5: integer(2), 6: octets("200-240V"), 7: octets("32A")},
        [((1, 1), None)],
    )
    # inletSensorConfigurationTable and outletSensorConfigurationTable
    for base, sensors, prefix in (
        (f"{P}.3.3.4.1", INLET_SENSORS, (1, 1)),
        (f"{P}.3.5.4.1", OUTLET_SENSORS, None),
    ):
        idx_list = [prefix] if prefix else [(1, n) for n in range(1, dev.outlets + 1)]
        rows = [((*pre, st), spec) for pre in idx_list for st, spec in sensors.items()]
        b.table(
            base,
            {
                4: integer(1),
                6: lambda c, s: integer(s[0]),
                7: lambda c, s: gauge(s[1]),
                21: lambda c, s: gauge(s[2]),
                22: lambda c, s: gauge(s[3]),
                23: lambda c, s: gauge(s[4]),
                24: lambda c, s: gauge(s[5]),
            },
            rows,
        )
    # outletConfigurationTable
    outlet_rows = [((1, n), n) for n in range(1, dev.outlets + 1)]

    def outlet_name(c: Ctx, n: int) -> tuple[int, object]:
        names = [s.name for s in c.dev.rack.servers if s.outlet == n]
        return octets(names[0] if names else "")

    b.table(
        f"{P}.3.5.3.1",
        {
            2: lambda c, n: octets(str(n)),
            3: outlet_name,
            6: octets("200-240V"),
            7: octets("10A"),
            29: octets("IEC 60320 C13"),
        },
        outlet_rows,
    )

    def inlet_row(c: Ctx, st: int) -> tuple[int, object]:
        return gauge(_raw(_measure(c.s, st), INLET_SENSORS[st][1]))

    def inlet_state(c: Ctx, st: int) -> tuple[int, object]:
        return integer(_state(_measure(c.s, st), INLET_SENSORS[st]))

    irows = [((1, 1, st), st) for st in INLET_SENSORS]
    b.table(
        f"{P}.5.2.3.1",
        {
            2: integer(1),
            3: inlet_state,
            4: inlet_row,
            5: lambda c, st: gauge(int(c.t)),
            6: lambda c, st: integer(min(2**31 - 1, _raw(_measure(c.s, st), INLET_SENSORS[st][1]))),
        },
        irows,
    )

    def outlet_row(c: Ctx, key: tuple[int, int]) -> tuple[int, object]:
        n, st = key
        return gauge(_raw(_measure(_OutletView(c, n), st), OUTLET_SENSORS[st][1]))

    def outlet_state(c: Ctx, key: tuple[int, int]) -> tuple[int, object]:
        n, st = key
        return integer(_state(_measure(_OutletView(c, n), st), OUTLET_SENSORS[st]))

    orows = [((1, n, st), (n, st)) for n in range(1, dev.outlets + 1) for st in OUTLET_SENSORS]
    b.table(
        f"{P}.5.4.3.1",
        {2: integer(1), 3: outlet_state, 4: outlet_row, 5: lambda c, k: gauge(int(c.t))},
        orows,
    )
    if dev.feed == "A":
        erows = [((1, i), i) for i in range(1, len(EXTERNAL) + 1)]

        def ext_value(c: Ctx, i: int) -> float:
            return float((c.s.inlet_c, c.s.exhaust_c, c.s.humidity_pct)[i - 1])

        b.table(
            f"{P}.3.6.3.1",
            {
                2: lambda c, i: integer(EXTERNAL[i - 1][1]),
                3: lambda c, i: octets(f"1JX18{i:05d}"),
                4: lambda c, i: octets(f"{c.dev.rack.name} {EXTERNAL[i - 1][0]}"),
                16: lambda c, i: integer(EXTERNAL[i - 1][2]),
                17: lambda c, i: gauge(EXTERNAL[i - 1][3]),
                31: lambda c, i: integer(100 if i < 3 else 10),
                32: lambda c, i: integer(150 if i < 3 else 20),
                33: lambda c, i: integer(350 if i == 1 else 450 if i == 2 else 80),
                34: lambda c, i: integer(270 if i == 1 else 400 if i == 2 else 70),
            },
            erows,
        )
        b.table(
            f"{P}.5.5.3.1",
            {
                2: integer(1),
                3: integer(4),
                4: lambda c, i: integer(round(ext_value(c, i) * 10 ** EXTERNAL[i - 1][3])),
                5: lambda c, i: gauge(int(c.t)),
            },
            erows,
        )
    return b.build()
