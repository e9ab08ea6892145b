"""Session fixtures for snmpd and snmpsim: skip locally with a reason, fail in CI."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from monitors.lab.daemons.common import captures_dir, find_binary
from monitors.lab.daemons.snmp import (
    SnmpdAgent,
    SnmpsimServer,
    responder_binary,
    start_snmpd,
    start_snmpsim,
)
from tests.daemons import require


@pytest.fixture(scope="session")
def snmpd_agent() -> Iterator[SnmpdAgent]:
    """Session-wide snmpd: .host, .port, .community (v2c), .users {name: (auth, key, priv, key)}."""
    require(find_binary("snmpd") is not None, "snmpd not installed")
    agent = start_snmpd()
    try:
        yield agent
    finally:
        agent.stop()
        shutil.rmtree(agent.workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def snmpsim_captures() -> Iterator[SnmpsimServer]:
    """Session-wide snmpsim serving every capture: .host, .port, .communities (file stems)."""
    src = captures_dir()
    require(src is not None, "real-device captures not found (set RACKWATCH_CAPTURES)")
    require(responder_binary() is not None, "snmpsim-command-responder not installed")
    assert src is not None
    server = start_snmpsim(src)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)
