"""Every real-device capture, served by snmpsim, read through RackWatch's own profile choice."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from types import ModuleType

import pytest

from monitors.lab.daemons.common import captures_dir
from monitors.lab.daemons.snmp import SnmpsimServer
from tests import snmp_daemons
from tests.daemons import REPO

pytestmark = pytest.mark.daemon
snmpsim_captures = snmp_daemons.snmpsim_captures  # the shared fixture


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "rw_conformance", REPO / "scripts" / "conformance.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_captures_meet_conformance_targets(snmpsim_captures: SnmpsimServer) -> None:
    conf = _script()
    captures = captures_dir()
    assert captures is not None
    reports = asyncio.run(
        conf.run(
            snmpsim_captures.host, snmpsim_captures.port, captures, snmpsim_captures.communities
        )
    )
    assert len(reports) == len(list((captures / "expected").glob("*.sensors.tsv")))
    unmatched = [r.name for r in reports if r.profile is None]
    assert unmatched == [], f"no profile chosen for {unmatched}"
    expected, found, matching = conf.totals(reports)
    assert matching == found
    assert expected > 0
    assert found >= conf.FOUND_TARGET * expected, conf.markdown(reports)
    off = [
        (r.name, c.oid, c.got, c.expected)
        for r in reports
        for c in r.checks
        if c.found and not c.matching
    ]
    assert off == [], f"values outside {conf.TOLERANCE:.1%}: {off}"
