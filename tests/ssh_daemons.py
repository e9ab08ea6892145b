"""Fixtures for a real OpenSSH sshd on loopback: skip locally with a reason, fail in CI."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from monitors.lab.daemons.ssh import Sshd, SshdFactory, ensure_test_user, sshd_binary
from tests.daemons import require


@pytest.fixture
def sshd_factory() -> Iterator[SshdFactory]:
    """Start sshd instances for host variants (see tests/fixtures/ssh/hosts); stops them all."""
    binary = require_sshd()
    ensure_test_user()
    started: list[Sshd] = []
    base = Path(tempfile.mkdtemp(prefix="rackwatch-sshd-"))
    os.chmod(base, 0o755)

    def start(
        variant: str = "dell",
        *,
        extra_config: list[str] | None = None,
        prepare: Callable[[Sshd], None] | None = None,
    ) -> Sshd:
        daemon = Sshd(binary, base / f"{variant}-{len(started)}", variant)
        daemon.extra_config = list(extra_config or [])
        daemon.setup()
        if prepare is not None:
            prepare(daemon)
        started.append(daemon)
        daemon.start()
        return daemon

    yield start
    for daemon in started:
        daemon.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def sshd(sshd_factory: SshdFactory) -> Sshd:
    """An sshd serving the Dell-like host variant."""
    return sshd_factory("dell")


def require_sshd() -> str:
    binary = sshd_binary()
    require(binary is not None, "OpenSSH sshd not installed (apt-get install openssh-server)")
    require(shutil.which("ssh-keygen") is not None, "ssh-keygen not installed (openssh-client)")
    require(os.geteuid() == 0, "sshd tests need root (they run sshd and add the rwtest account)")
    assert binary is not None
    return binary
