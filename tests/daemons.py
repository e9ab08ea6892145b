"""Helpers for tests that need real daemons: skip locally with a reason, fail in CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REQUIRE_ENV = "RACKWATCH_REQUIRE_DAEMONS"
REPO = Path(__file__).resolve().parents[1]


def require(ok: bool, reason: str) -> None:
    """Skip (locally) or fail (when $RACKWATCH_REQUIRE_DAEMONS=1, as in CI) if not ok."""
    if ok:
        return
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"required for CI: {reason}", pytrace=False)
    pytest.skip(reason)
