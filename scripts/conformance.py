"""Poll every real-device capture through snmpsim with RackWatch profiles; write the report."""

from __future__ import annotations

import argparse
import asyncio
import csv
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from monitors.collection.readings import Reading  # noqa: E402
from monitors.collection.targets import SnmpCredential, SnmpTarget  # noqa: E402
from monitors.profiles.engine import ProfileSet, discover, poll  # noqa: E402
from monitors.snmp.client import SnmpClient  # noqa: E402
from monitors.snmp.errors import SnmpError  # noqa: E402
from monitors.snmp.values import oid_str  # noqa: E402

# Expected sensor classes RackWatch collects, and the metric each becomes.
CLASS_METRIC = {
    "power": "power_w",
    "power_consumed": "energy_kwh",
    "current": "current_a",
    "voltage": "voltage_v",
    "temperature": "temperature_c",
    "humidity": "humidity_pct",
    "frequency": "frequency_hz",
    "power_factor": "power_factor",
    "fanspeed": "fan_rpm",
}
TOLERANCE = 0.005  # relative, on expected_poll
FOUND_TARGET = 0.98


@dataclass
class SensorCheck:
    sensor_class: str
    descr: str
    oid: str
    expected: float
    got: float | None = None

    @property
    def found(self) -> bool:
        return self.got is not None

    @property
    def matching(self) -> bool:
        return self.got is not None and within(self.got, self.expected)


@dataclass
class DeviceReport:
    name: str
    profile: str | None
    checks: list[SensorCheck] = field(default_factory=list)
    readings: int = 0
    error: str | None = None

    @property
    def expected(self) -> int:
        return len(self.checks)

    @property
    def found(self) -> int:
        return sum(c.found for c in self.checks)

    @property
    def matching(self) -> int:
        return sum(c.matching for c in self.checks)


def within(got: float, expected: float) -> bool:
    return abs(got - expected) <= max(TOLERANCE * abs(expected), 1e-6)


def load_expected(path: Path) -> list[SensorCheck]:
    out = []
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            cls = row.get("sensor_class", "")
            if cls not in CLASS_METRIC:
                continue
            try:
                expected = float(row["expected_poll"])
            except (TypeError, ValueError):
                continue
            out.append(
                SensorCheck(cls, row.get("sensor_descr", ""), oid_str(row["sensor_oid"]), expected)
            )
    return out


def compare(checks: list[SensorCheck], readings: list[Reading]) -> None:
    """Attach to each expected sensor the reading RackWatch took from the same OID and metric."""
    by_key: dict[tuple[str, str], Reading] = {}
    for r in readings:
        by_key.setdefault((r.metric, oid_str(r.oid)), r)
    for c in checks:
        hit = by_key.get((CLASS_METRIC[c.sensor_class], c.oid))
        if hit is None:
            continue
        got = hit.value
        # RackWatch keeps power factor as a ratio (0..1); the reference system stores some
        # PDUs' power factor in percent. Compare like with like.
        if c.sensor_class == "power_factor" and abs(c.expected) > 1.5 >= abs(got):
            got *= 100.0
        c.got = got


async def check_device(
    client: SnmpClient, profiles: ProfileSet, host: str, port: int, name: str, expected: Path
) -> DeviceReport:
    target = SnmpTarget(host, port, SnmpCredential("2c", name), timeout_s=3.0, retries=2)
    report = DeviceReport(name, None, load_expected(expected))
    try:
        identity = await client.identify(target)
        profile = await profiles.select(client, target, identity)
        if profile is None:
            report.error = f"no profile matches sysObjectID {identity.sys_object_id!r}"
            return report
        report.profile = profile.name
        plan = await discover(client, target, profile)
        decoded = await poll(client, target, plan)
    except SnmpError as exc:
        report.error = str(exc)
        return report
    report.readings = len(decoded.readings)
    compare(report.checks, decoded.readings)
    return report


async def run(host: str, port: int, captures: Path, names: list[str]) -> list[DeviceReport]:
    profiles = ProfileSet.load()
    client = SnmpClient()
    try:
        reports = []
        for name in names:
            exp = captures / "expected" / f"{name}.sensors.tsv"
            if not exp.exists():
                continue
            reports.append(await check_device(client, profiles, host, port, name, exp))
        return reports
    finally:
        client.close()


def totals(reports: list[DeviceReport]) -> tuple[int, int, int]:
    return (
        sum(r.expected for r in reports),
        sum(r.found for r in reports),
        sum(r.matching for r in reports),
    )


def markdown(reports: list[DeviceReport]) -> str:
    exp, found, ok = totals(reports)
    pct = 100.0 * found / exp if exp else 0.0
    lines = [
        "# Conformance against real-device captures",
        "",
        "Generated by `scripts/conformance.py` (run in CI through `tests/test_conformance.py`).",
        "Each capture in `../shared/captures` is served by snmpsim on loopback, identified,",
        "matched to a profile by RackWatch itself, discovered and polled once; every expected",
        "sensor of the classes power, power_consumed, current, voltage, temperature, humidity,",
        "frequency, power_factor and fanspeed is looked up by OID and compared with",
        f"`expected_poll` (tolerance {TOLERANCE:.1%}).",
        "",
        "| device | profile | expected | found | matching | readings | note |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in reports:
        missing = [c for c in r.checks if not c.found]
        wrong = [c for c in r.checks if c.found and not c.matching]
        notes = []
        if r.error:
            notes.append(r.error)
        if missing:
            notes.append("missing: " + ", ".join(f"{c.sensor_class} {c.oid}" for c in missing[:4]))
        if wrong:
            notes.append(
                "off: "
                + ", ".join(f"{c.sensor_class} {c.oid} {c.got:g}≠{c.expected:g}" for c in wrong[:4])
            )
        lines.append(
            f"| {r.name} | {r.profile or '—'} | {r.expected} | {r.found} | {r.matching} "
            f"| {r.readings} | {'; '.join(notes)} |"
        )
    lines += [
        f"| **total** | | **{exp}** | **{found}** | **{ok}** | | found {pct:.1f} % |",
        "",
        f"Targets: found ≥ {FOUND_TARGET:.0%} of expected; every found value within "
        f"{TOLERANCE:.1%}.",
        "",
        "Notes: a sensor counts as found when RackWatch reads the same OID as the same metric.",
        "Values the MIB defines as 'not available' (APC -1, Sentry -1/-410, ...) are dropped as",
        "'no probe' by the profiles, so the reference system's -1 readings show up as missing.",
        "RackWatch keeps power factor as a ratio; where the reference stores percent the",
        "comparison multiplies by 100.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from monitors.lab.daemons.common import captures_dir
    from monitors.lab.daemons.snmp import start_snmpsim

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--captures", type=Path, default=None, help="default: $RACKWATCH_CAPTURES")
    ap.add_argument("--port", type=int, help="use an snmpsim already serving the captures")
    ap.add_argument("--only", nargs="*", help="capture names (file stems)")
    ap.add_argument("--output", type=Path, default=REPO / "docs" / "conformance.md")
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args(argv)
    captures = args.captures or captures_dir()
    if captures is None:
        print("conformance: captures not found; set RACKWATCH_CAPTURES", file=sys.stderr)
        return 2
    names = args.only or sorted(p.stem for p in captures.glob("*.snmprec"))
    server = None
    port = args.port
    if port is None:
        server = start_snmpsim(captures, names)
        port = server.port
    try:
        reports = asyncio.run(run("127.0.0.1", port, captures, names))
    finally:
        if server is not None:
            server.stop()
            shutil.rmtree(server.workdir, ignore_errors=True)
    text = markdown(reports)
    print(text)
    if not args.no_write:
        args.output.write_text(text, encoding="utf-8")
    exp, found, ok = totals(reports)
    return 0 if exp and found >= FOUND_TARGET * exp and ok == found else 1


if __name__ == "__main__":
    sys.exit(main())
