"""Device-supplied thresholds count only when the device has them switched on."""

from __future__ import annotations

import pytest

from monitors.profiles.engine import ProfileSet, build_plan
from monitors.snmp.values import OctetText, SnmpValue

WALK = "1.3.6.1.4.1.13742.6.5.2.3.1.4"
CFG = "1.3.6.1.4.1.13742.6.3.3.4.1"


def _plan(enabled: bytes | None) -> dict[str, float | None]:
    profile = ProfileSet.load().get("raritan-pdu2")
    walked: dict[str, list[tuple[str, SnmpValue]]] = {WALK: [(f"{WALK}.1.1.1", 1234)]}
    aux: dict[str, SnmpValue] = {
        f"{CFG}.7.1.1.1": 3,  # decimal digits
        f"{CFG}.21.1.1.1": 0,
        f"{CFG}.22.1.1.1": 0,
        f"{CFG}.23.1.1.1": 16000,
        f"{CFG}.24.1.1.1": 13000,
        "1.3.6.1.4.1.13742.6.3.3.3.1.2.1.1": OctetText(b"I1"),
    }
    if enabled is not None:
        aux[f"{CFG}.25.1.1.1"] = OctetText(enabled)
    plan = build_plan(profile, walked, lambda oids: {o: aux.get(o) for o in oids})
    (item,) = [i for i in plan.items if i.metric == "current_a"]
    return {
        "crit_low": item.crit_low,
        "warn_low": item.warn_low,
        "warn_high": item.warn_high,
        "crit_high": item.crit_high,
    }


def test_only_enabled_upper_thresholds_are_used() -> None:
    limits = _plan(b"\x30")  # upperWarning(2) and upperCritical(3)
    assert limits["crit_high"] == pytest.approx(16.0)
    assert limits["warn_high"] == pytest.approx(13.0)
    assert limits["crit_low"] is None and limits["warn_low"] is None


def test_all_enabled() -> None:
    limits = _plan(b"\xf0")
    assert limits == {"crit_low": 0.0, "warn_low": 0.0, "warn_high": 13.0, "crit_high": 16.0}


@pytest.mark.parametrize("flags", [b"\x00", None])
def test_disabled_or_missing_flags_mean_no_device_limits(flags: bytes | None) -> None:
    assert set(_plan(flags).values()) == {None}
