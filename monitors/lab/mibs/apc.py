"""APC rPDU2 (PowerNet-MIB) metered rack PDU laid out like an AP8853: phases, then two banks."""

from __future__ import annotations

from typing import Any

from monitors.lab.mib import Mib, MibBuilder, gauge, integer, octets
from monitors.lab.mibs.common import Ctx, hundredths, serial, system_group, tenths

SYS_OID = "1.3.6.1.4.1.318.1.3.4.6"
BANK_OUTLETS = 12
BANK_NEAR_A, BANK_OVER_A = 13, 16


def _descr() -> str:
    return (
        "APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.8.2 PN:apc_hw05_aos_682.bin "
        "AF1:v6.8.0 AN1:apc_hw05_rpdu2g_680.bin MN:AP8853 HR:02 SN: ZA2001000000 MD:01/03/2020)"
    )


def _bank_amps(c: Ctx, bank: int) -> float:
    lo = (bank - 1) * BANK_OUTLETS
    return float(sum(o.current_a for o in c.s.outlets[lo : lo + BANK_OUTLETS]))


def _load_state(amps: float, near: float, over: float) -> int:
    # rPDU2 load states: lowLoad(1), normal(2), nearOverload(3), overload(4)
    if amps >= over:
        return 4
    if amps >= near:
        return 3
    return 2 if amps >= 0.5 else 1


def build(dev: Any) -> Mib:
    b = MibBuilder()
    system_group(b, _descr(), SYS_OID)
    near, over = dev.rated_a * 0.8, dev.rated_a
    # Legacy rPDU load tables: row 1 = phase 1 total, rows 2-3 = banks.
    b.add("1.3.6.1.4.1.318.1.1.12.1.15.0", integer(-1))
    b.add("1.3.6.1.4.1.318.1.1.12.2.1.4.0", integer(2))
    b.table(
        "1.3.6.1.4.1.318.1.1.12.2.2.1.1",
        {1: integer(1), 2: integer(0), 3: integer(near), 4: integer(over)},
        [((p,), p) for p in range(1, dev.phases + 1)],
    )

    phases = dev.phases

    def legacy_amps(c: Ctx, row: int) -> tuple[int, object]:
        amps = c.s.line_current_a[row - 1] if row <= phases else _bank_amps(c, row - phases)
        return gauge(tenths(amps))

    def legacy_state(c: Ctx, row: int) -> tuple[int, object]:
        if row <= phases:
            return integer(_load_state(c.s.line_current_a[row - 1], near, over))
        return integer(_load_state(_bank_amps(c, row - phases), BANK_NEAR_A, BANK_OVER_A))

    rows = [((i,), i) for i in range(1, phases + 3)]
    b.table(
        "1.3.6.1.4.1.318.1.1.12.2.3.1.1",
        {
            1: lambda c, r: integer(r),
            2: legacy_amps,
            3: legacy_state,
            4: lambda c, r: integer(r if r <= phases else 0),
            5: lambda c, r: integer(0 if r <= phases else r - phases),
        },
        rows,
    )
    b.table(
        "1.3.6.1.4.1.318.1.1.12.2.4.1.1",
        {
            1: lambda c, r: integer(r),
            2: integer(0),
            3: integer(BANK_NEAR_A),
            4: integer(BANK_OVER_A),
        },
        [((1,), 1), ((2,), 2)],
    )
    # rPDU2DeviceStatusTable
    one = [((1,), 1)]
    b.table(
        "1.3.6.1.4.1.318.1.1.26.4.3.1",
        {
            1: integer(1),
            2: integer(1),
            3: lambda c, r: octets(c.dev.name),
            4: lambda c, r: integer(_load_state(c.s.current_a, near, over)),
            5: lambda c, r: integer(hundredths(c.s.power_w / 1000.0)),
            6: lambda c, r: integer(hundredths(c.s.power_w / 1000.0 * 1.25)),
            7: octets("01/02/2026 13:26:52"),
            8: octets("01/01/2024 00:00:00"),
            9: lambda c, r: integer(tenths(c.s.energy_kwh)),
            10: octets("01/01/2024 00:00:00"),
            11: integer(2),
            12: integer(1),
            13: integer(1),
            14: integer(3),
            15: octets("01/01/2024 00:00:00"),
            16: lambda c, r: integer(hundredths(c.s.apparent_va / 1000.0)),
            17: lambda c, r: integer(hundredths(c.s.power_factor)),
            18: integer(1),
        },
        one,
    )

    # rPDU2PhaseStatusTable
    def pf(c: Ctx, p: int) -> float:
        va = c.s.line_apparent_va[p - 1]
        return c.s.line_power_w[p - 1] / va if va > 0 else 1.0

    b.table(
        "1.3.6.1.4.1.318.1.1.26.6.3.1",
        {
            1: lambda c, p: integer(p),
            2: integer(1),
            3: lambda c, p: integer(p),
            4: lambda c, p: integer(_load_state(c.s.line_current_a[p - 1], near, over)),
            5: lambda c, p: integer(tenths(c.s.line_current_a[p - 1])),
            6: lambda c, p: integer(c.s.voltage_v),
            7: lambda c, p: integer(hundredths(c.s.line_power_w[p - 1] / 1000.0)),
            8: lambda c, p: integer(hundredths(c.s.line_apparent_va[p - 1] / 1000.0)),
            9: lambda c, p: integer(hundredths(pf(c, p))),
            10: lambda c, p: integer(tenths(c.s.line_current_a[p - 1] * 1.2)),
            11: octets("01/02/2026 13:26:52"),
            12: octets("01/01/2024 00:00:00"),
        },
        [((p,), p) for p in range(1, dev.phases + 1)],
    )
    # rPDU2BankStatusTable
    b.table(
        "1.3.6.1.4.1.318.1.1.26.8.3.1",
        {
            1: lambda c, r: integer(r),
            2: integer(1),
            3: lambda c, r: integer(r),
            4: lambda c, r: integer(_load_state(_bank_amps(c, r), BANK_NEAR_A, BANK_OVER_A)),
            5: lambda c, r: integer(tenths(_bank_amps(c, r))),
        },
        [((1,), 1), ((2,), 2)],
    )
    # rPDU2SensorTempHumidityStatusTable: feed A carries an AP9335TH at the rack front.
    installed = dev.feed == "A"

    def temp_f(c: Ctx, r: int) -> tuple[int, object]:
        return integer(tenths(c.s.inlet_c * 9 / 5 + 32) if installed else -1)

    def temp_c(c: Ctx, r: int) -> tuple[int, object]:
        return integer(tenths(c.s.inlet_c) if installed else -1)

    def humid(c: Ctx, r: int) -> tuple[int, object]:
        return integer(round(c.s.humidity_pct) if installed else -1)

    b.table(
        "1.3.6.1.4.1.318.1.1.26.10.2.2.1",
        {
            1: integer(1),
            2: integer(1),
            3: octets("Rack front" if installed else ""),
            4: integer(1),
            5: integer(4 if installed else 1),  # temperatureHumidity(4) / notInstalled
            6: integer(2 if installed else 1),  # commsOK(2) / notInstalled(1)
            7: temp_f,
            8: temp_c,
            9: integer(2 if installed else 1),
            10: humid,
            11: integer(2 if installed else 1),
            12: integer(-1),
            13: integer(-1),
            14: octets("" if installed else "noTempSensorInstalled"),
            15: octets("" if installed else "noTempSensorInstalled"),
        },
        one,
    )
    b.add("1.3.6.1.4.1.318.1.1.26.2.1.3.1", lambda c: octets(c.dev.name))
    b.add("1.3.6.1.4.1.318.1.1.26.2.1.6.1", lambda c: octets(serial(c.dev, "ZA")))
    b.add("1.3.6.1.4.1.318.1.1.26.2.1.8.1", octets("AP8853"))
    return b.build()
