"""Every vendor walk built from its MIB (tests/data/walks), served by snmpsim on loopback:
RackWatch must choose the intended profile and read every value, unit and limit right."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from monitors.collection.readings import Reading
from monitors.collection.targets import SnmpCredential, SnmpTarget
from monitors.lab.daemons.snmp import SnmpsimServer, responder_binary, start_snmpsim
from monitors.profiles.engine import ProfileSet, discover, poll
from monitors.snmp.client import SnmpClient
from tests.daemons import require

WALKS = Path(__file__).parent / "data" / "walks"
LIMITS = ("warn_low", "warn_high", "crit_low", "crit_high")


@dataclass
class Expected:
    profile: str
    readings: dict[tuple[str, str], tuple[float, str, dict[str, float | None]]] = field(
        default_factory=dict
    )


def _expected(path: Path) -> Expected:
    lines = [ln for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    head = lines[0].split()
    assert head[0] == "profile", f"{path}: first line must be 'profile NAME'"
    exp = Expected(head[1])
    for ln in lines[1:]:
        metric, channel, value, unit, *extra = ln.split("|")
        limits: dict[str, float | None] = dict.fromkeys(LIMITS)
        for item in extra:
            key, _, num = item.partition("=")
            assert key in LIMITS, f"{path}: unknown limit {key!r}"
            limits[key] = float(num)
        key2 = (metric, channel)
        assert key2 not in exp.readings, f"{path}: {key2} listed twice"
        exp.readings[key2] = (float(value), unit, limits)
    return exp


def walk_names() -> list[str]:
    return sorted(p.stem for p in WALKS.glob("*.snmprec"))


@pytest.fixture(scope="module")
def walks() -> Iterator[SnmpsimServer]:
    require(responder_binary() is not None, "snmpsim-command-responder not installed")
    server = start_snmpsim(WALKS)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def profiles() -> ProfileSet:
    return ProfileSet.load()


async def _read(
    port: int, community: str, profiles: ProfileSet
) -> tuple[str | None, list[Reading], list[str]]:
    target = SnmpTarget("127.0.0.1", port, SnmpCredential("2c", community), 3.0, 2)
    client = SnmpClient()
    try:
        ident = await client.identify(target)
        profile = await profiles.select(client, target, ident)
        if profile is None:
            return None, [], []
        plan = await discover(client, target, profile)
        decoded = await poll(client, target, plan)
        return profile.name, decoded.readings, [*plan.problems, *decoded.problems]
    finally:
        client.close()


def test_every_profile_has_a_walk(profiles: ProfileSet) -> None:
    """Each vendor profile written from a MIB ships with a walk that selects it."""
    covered = {_expected(WALKS / f"{n}.expected").profile for n in walk_names()}
    captured = {  # read by the real-device captures of tests/test_conformance.py instead
        "apc-rpdu", "apc-epdu", "raritan-pdu2", "sentry4", "eaton-epdu", "dell-rpdu",
        "vertiv-geist", "dell-idrac", "hpe-ilo", "lenovo-xclarity", "lm-sensors",
        "akcp-sensorprobe", "apc-environmental", "entity-sensor",
    }  # fmt: skip
    assert set(profiles.names) - captured <= covered, set(profiles.names) - captured - covered


@pytest.mark.daemon
@pytest.mark.parametrize("name", walk_names())
def test_walk_reads_every_value_and_unit(
    name: str, walks: SnmpsimServer, profiles: ProfileSet
) -> None:
    exp = _expected(WALKS / f"{name}.expected")
    chosen, readings, problems = asyncio.run(_read(walks.port, name, profiles))
    assert chosen == exp.profile
    got = {(r.metric, r.channel): r for r in readings}
    assert len(got) == len(readings), "two readings share a metric and channel"
    assert sorted(got) == sorted(exp.readings), problems
    for key, (value, unit, limits) in exp.readings.items():
        r = got[key]
        assert r.value == pytest.approx(value, rel=1e-6, abs=1e-9), key
        assert r.unit == unit, key
        for lim in LIMITS:
            want = limits[lim]
            have = getattr(r, lim)
            assert (have is None) == (want is None), (key, lim, have)
            if want is not None:
                assert have == pytest.approx(want, rel=1e-6), (key, lim)
