"""Helpers for tests that need real daemons: skip locally with a reason, fail in CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REQUIRE_ENV = "RACKWATCH_REQUIRE_DAEMONS"
REPO = Path(__file__).resolve().parents[1]


# The test being set up or run, so require() can insist on the `daemon` marker.
current_item: pytest.Item | None = None


def require(ok: bool, reason: str) -> None:
    """Skip (locally) or fail (when $RACKWATCH_REQUIRE_DAEMONS=1, as in CI) if not ok.

    Every test that needs a daemon or an external tool says so with @pytest.mark.daemon, so
    `-m "not daemon"` is a true quick run; a test that reaches here without it fails.
    """
    if current_item is not None and current_item.get_closest_marker("daemon") is None:
        pytest.fail(f"{current_item.nodeid} needs a daemon ({reason}) but is not marked daemon")
    if ok:
        return
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"required for CI: {reason}", pytrace=False)
    pytest.skip(reason)
