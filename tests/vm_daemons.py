"""Fixtures for VictoriaMetrics and vmagent on loopback: skip locally with a reason, fail in CI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitors.lab.daemons.victoria import VictoriaMetrics, VmAgent, missing_reason
from tests.daemons import require


@pytest.fixture(scope="module")
def victoria() -> Iterator[VictoriaMetrics]:
    reason = missing_reason()
    require(reason is None, reason or "")
    vm = VictoriaMetrics(dedup_s=5)
    vm.start()
    try:
        yield vm
    finally:
        vm.stop()


@pytest.fixture(scope="module")
def vmagent(victoria: VictoriaMetrics) -> Iterator[VmAgent]:
    agent = VmAgent(victoria.url)
    agent.start()
    try:
        yield agent
    finally:
        agent.stop()
