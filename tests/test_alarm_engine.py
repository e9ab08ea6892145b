"""Alarm rules and lifecycle against a real SQLite file through the collector's writer path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from models.alarms.lifecycle import (
    acknowledge_alarm,
    add_maintenance,
    new_critical_since,
    shelve_alarm,
)
from models.read.status import cursors
from models.rules import RulesError, load_rules, rules_from_mapping
from models.series_meaning import channel_class
from monitors.alarms.engine import AlarmEngine
from monitors.collection.readings import Reading
from tests.test_alarm_rig import STEP, T0, Rig


@pytest.fixture
def rig(sqlite_url: str) -> Iterator[Rig]:
    r = Rig(sqlite_url)
    yield r
    r.close()


def _inlet(rig: Rig, t: int, value: float, device: str = "R01-ENV") -> None:
    rig.poll(t, device, [Reading("temperature_c", "probe 1", value, "°C", role="inlet")])


def _run(rig: Rig, values: list[float], start: int = T0) -> int:
    t = start
    for v in values:
        _inlet(rig, t, v)
        t += STEP
    return t


def _by_rule(rig: Rig, rule: str) -> list[object]:
    return [a for a in rig.alarms_rows() if a.rule == rule]


# -- thresholds, consecutive counts, hysteresis ---------------------------------------------------


def test_rising_inlet_raises_warning_then_escalates_to_critical(rig: Rig) -> None:
    # One sample above 27 is not enough; the second in a row raises (raise_after = 2).
    t = _run(rig, [24.0, 27.5, 26.9, 27.8])
    assert _by_rule(rig, "temperature") == []
    t = _run(rig, [28.0], t)
    [a] = _by_rule(rig, "temperature")
    assert (a.severity, a.state) == ("warning", "active")
    assert "R01 / R01-ENV" in a.message and "above warning 27" in a.message
    assert a.rack_id == rig.ids["R01"] and a.device_id == rig.ids["R01-ENV"]
    t = _run(rig, [32.5, 33.0, 33.4], t)
    [a] = _by_rule(rig, "temperature")  # updated, not duplicated
    assert (a.severity, a.state, a.threshold) == ("critical", "active", 32.0)
    assert [e.action for e in rig.events(a.id)] == ["raise", "escalate"]


def test_flapping_around_threshold_never_raises(rig: Rig) -> None:
    _run(rig, [26.8, 27.3, 26.9, 27.4, 26.7, 27.6, 26.85, 27.9, 26.4, 27.2] * 3)
    assert _by_rule(rig, "temperature") == []


def test_noisy_value_inside_hysteresis_band_keeps_alarm_then_clears(rig: Rig) -> None:
    t = _run(rig, [28.0, 28.2, 28.1])
    [a] = _by_rule(rig, "temperature")
    # Below 27 but within the 1 °C hysteresis: still a warning.
    t = _run(rig, [26.5, 26.2, 26.8, 26.4, 26.1, 26.6], t)
    [a] = _by_rule(rig, "temperature")
    assert a.state == "active"
    # Two clean samples are not enough to clear (clear_after = 3)...
    t = _run(rig, [25.5, 25.6, 26.4], t)
    assert _by_rule(rig, "temperature")[0].state == "active"
    # ...three in a row are.
    t = _run(rig, [25.5, 25.2, 25.0], t)
    [a] = _by_rule(rig, "temperature")
    assert a.state == "cleared" and a.cleared_ts == t - STEP
    assert [e.action for e in rig.events(a.id)] == ["raise", "clear"]


def test_recovered_then_new_incident_is_a_new_alarm(rig: Rig) -> None:
    t = _run(rig, [33.0] * 3)
    t = _run(rig, [24.0] * 3, t)
    t = _run(rig, [28.0] * 3, t)
    rows = _by_rule(rig, "temperature")
    assert [(a.severity, a.state) for a in rows] == [
        ("critical", "cleared"),
        ("warning", "active"),
    ]
    assert rows[0].key == rows[1].key


def test_low_humidity_and_device_limits(rig: Rig) -> None:
    t = T0
    for _ in range(3):
        rig.poll(
            t,
            "R01-SRV01",
            [
                Reading(
                    "temperature_c", "CPU1", 91.0, "°C", role="cpu", warn_high=80, crit_high=90
                ),
                Reading("fan_rpm", "FAN1", 900.0, "RPM", warn_low=1500.0, crit_low=1000.0),
            ],
        )
        rig.poll(t, "R01-ENV", [Reading("humidity_pct", "probe 1", 15.0, "%RH")])
        t += STEP
    by_rule = {a.rule: a for a in rig.alarms_rows()}
    # The device's own CPU limit (90) is stricter than the rule's cpu critical (95).
    assert by_rule["temperature"].severity == "critical"
    assert "device limit" in by_rule["temperature"].message
    assert by_rule["device_limit"].severity == "critical"
    assert "below critical limit 1000" in by_rule["device_limit"].message
    assert by_rule["humidity"].severity == "warning"
    assert "below warning 20" in by_rule["humidity"].message


# -- forecast ----------------------------------------------------------------------------------


WINDOW_STEPS = 900 // STEP  # the shipped forecast window, in samples


def _quiet(i: int) -> float:
    return 24.0 + (0.05 if i % 2 else -0.05)


def test_forecast_warns_before_the_crossing_then_gives_way(rig: Rig) -> None:
    # A quiet first window (no forecast before the collector has seen one), then 0.4 °C per
    # minute from 24 °C: 32 °C is 20 min away when the rise starts.
    t = _run(rig, [_quiet(i) for i in range(WINDOW_STEPS)])
    assert _by_rule(rig, "forecast") == []
    values = [24.0 + 0.2 * i + (0.05 if i % 2 else -0.05) for i in range(45)]
    first_forecast_at = None
    for v in values:
        _inlet(rig, t, v)
        if first_forecast_at is None and _by_rule(rig, "forecast"):
            first_forecast_at = v
        t += STEP
    # The line still holds the flat start, so it warns a little later, yet 10 min ahead.
    assert first_forecast_at is not None and first_forecast_at < 28.0
    fc = _by_rule(rig, "forecast")
    assert len(fc) == 1
    assert "will reach 32 °C in ~" in rig.events(fc[0].id)[0].note
    # Once 32 °C is actually reached the threshold alarm takes over and the forecast clears.
    assert fc[0].state == "cleared"
    [temp] = _by_rule(rig, "temperature")
    assert temp.severity == "critical"


def test_forecast_ignores_a_flat_noisy_sensor(rig: Rig) -> None:
    _run(rig, [24.0 + (0.6 if i % 3 == 0 else -0.3) for i in range(60)])
    assert _by_rule(rig, "forecast") == []


def test_no_forecast_in_the_first_window_after_start(rig: Rig) -> None:
    # The same rise from the very first sample: the trend is real but the collector has not
    # seen a whole window yet, so it stays quiet until one has passed.
    t = T0
    raised_at = None
    for i in range(WINDOW_STEPS + 10):
        _inlet(rig, t, 24.0 + 0.2 * i)
        if raised_at is None and _by_rule(rig, "forecast"):
            raised_at = t
        t += STEP
    assert raised_at is not None and raised_at - T0 >= 900


def test_whole_degree_steps_are_not_a_trend(rig: Rig) -> None:
    # A whole-degree sensor stepping 30 -> 31 once: a line through the step would reach 32 °C
    # within the horizon, but one step of the sensor's resolution is not a trend.
    t = _run(rig, [30.0] * WINDOW_STEPS)
    _run(rig, [31.0] * 12, t)
    assert _by_rule(rig, "forecast") == []


def test_forecast_needs_the_window_covered(rig: Rig) -> None:
    # After a quiet window, a steep rise sampled only every fifth poll: too few samples back
    # the line (under 80 % of the window), so no forecast.
    t = _run(rig, [_quiet(i) for i in range(WINDOW_STEPS)])
    t += 20 * STEP  # a gap: the window now holds few samples
    for i in range(10):
        _inlet(rig, t, 25.0 + 0.5 * i)
        t += 4 * STEP
    assert _by_rule(rig, "forecast") == []


# -- power, phases, redundancy ----------------------------------------------------------------


def test_rack_power_against_rated_capacity(rig: Rig) -> None:
    t = T0
    for _ in range(3):
        rig.rack_poll(t, watts=(3400.0, 3300.0))  # 6.7 kW of 8 kW = 84 %
        t += STEP
    [a] = _by_rule(rig, "rack_power")
    assert a.severity == "warning" and a.rack_id == rig.ids["R01"]
    assert "84 % of rated 8 kW" in a.message
    for _ in range(3):
        rig.rack_poll(t, watts=(3700.0, 3700.0))  # 92.5 %
        t += STEP
    assert _by_rule(rig, "rack_power")[0].severity == "critical"


def test_phase_current_80_percent_rule(rig: Rig) -> None:
    t = T0
    for _ in range(3):
        rig.rack_poll(t, amps_a=(26.0, 6.0, 6.0), amps_b=(1.0, 6.0, 6.0))  # 81 % of 32 A
        t += STEP
    [a] = _by_rule(rig, "phase_current")
    assert a.severity == "warning"
    assert "L1 current 26 A is 81 % of the 32 A breaker" in a.message
    assert a.device_id == rig.ids["R01-PDUA"]


def test_redundancy_lost_when_one_feed_could_not_carry_both(rig: Rig) -> None:
    t = T0
    for _ in range(3):
        # Each feed is at 44 % per phase on L2, but together 28 A > 80 % of one 32 A feed.
        rig.rack_poll(t, amps_a=(6.0, 14.0, 6.0), amps_b=(6.0, 14.0, 6.0))
        t += STEP
    assert _by_rule(rig, "phase_current") == []
    [a] = _by_rule(rig, "redundancy")
    assert a.severity == "warning"
    assert "A+B current 28 A on phase L2" in a.message
    for _ in range(3):
        rig.rack_poll(t, amps_a=(6.0, 17.0, 6.0), amps_b=(6.0, 17.0, 6.0))  # 34 A > 32 A
        t += STEP
    [a] = _by_rule(rig, "redundancy")
    assert a.severity == "critical" and "would trip" in a.message
    for _ in range(3):
        rig.rack_poll(t)
        t += STEP
    assert _by_rule(rig, "redundancy")[0].state == "cleared"


# -- devices -----------------------------------------------------------------------------------


def test_unreachable_after_n_failed_polls_and_back(rig: Rig) -> None:
    t = T0
    rig.poll(t, "R01-PDUA", [Reading("power_w", "total", 2000.0, "W")])
    for _ in range(2):
        t += STEP
        rig.poll(t, "R01-PDUA", [], ok=False)
    assert _by_rule(rig, "unreachable") == []
    t += STEP
    rig.poll(t, "R01-PDUA", [], ok=False)
    [a] = _by_rule(rig, "unreachable")
    assert a.severity == "critical"  # a PDU: the rules map pdu -> critical
    assert "R01-PDUA unreachable: 3 polls in a row failed (timeout after 2.0 s)" in a.message
    t += STEP
    rig.poll(t, "R01-PDUA", [Reading("power_w", "total", 2000.0, "W")])
    assert _by_rule(rig, "unreachable")[0].state == "cleared"


def test_stale_series_of_a_reachable_device(rig: Rig) -> None:
    t = T0
    both = [
        Reading("temperature_c", "probe 1", 23.0, "°C", role="inlet"),
        Reading("temperature_c", "probe 2", 24.0, "°C", role="inlet"),
    ]
    rig.poll(t, "R01-ENV", both)
    for _ in range(6):  # probe 2 unplugged: polls still succeed
        t += STEP
        rig.poll(t, "R01-ENV", both[:1])
    [a] = _by_rule(rig, "stale")
    assert "1 series without a new sample" in a.message and "probe 2" in a.message
    t += STEP
    rig.poll(t, "R01-ENV", both)
    assert _by_rule(rig, "stale")[0].state == "cleared"


# -- lifecycle ---------------------------------------------------------------------------------


def test_acknowledge_then_escalation_returns_to_active(rig: Rig) -> None:
    t = _run(rig, [28.0] * 3)
    [a] = _by_rule(rig, "temperature")
    before = cursors(rig.engine).alarm_seq
    acknowledge_alarm(rig.engine, a.id, "li.wei", "CRAC 3 filter being replaced", now=t)
    assert _by_rule(rig, "temperature")[0].state == "acknowledged"
    t = _run(rig, [28.5] * 3, t)
    assert _by_rule(rig, "temperature")[0].state == "acknowledged"  # same severity: stays
    t = _run(rig, [33.0] * 3, t)
    [a] = _by_rule(rig, "temperature")
    assert (a.severity, a.state) == ("critical", "active")
    ev = rig.events(a.id)
    assert [(e.action, e.user) for e in ev] == [
        ("raise", "system"),
        ("acknowledge", "li.wei"),
        ("escalate", "system"),
    ]
    assert ev[1].note == "CRAC 3 filter being replaced"
    assert cursors(rig.engine).alarm_seq > before  # what the GUIs follow
    crit, top = new_critical_since(rig.engine, 0)
    assert [c.id for c in crit] == [a.id] and top >= crit[0].seq
    assert new_critical_since(rig.engine, top)[0] == []


def test_shelved_alarm_returns_when_its_time_is_up(rig: Rig) -> None:
    t = _run(rig, [33.0] * 3)
    [a] = _by_rule(rig, "temperature")
    shelve_alarm(rig.engine, a.id, "li.wei", t + 120, "known, vendor on site", now=t)
    t = _run(rig, [33.0] * 2, t)
    assert _by_rule(rig, "temperature")[0].state == "shelved"
    t = _run(rig, [33.0] * 4, t)
    [a] = _by_rule(rig, "temperature")
    assert a.state == "active"
    assert [e.action for e in rig.events(a.id)][-1] == "unshelve"


def test_maintenance_window_keeps_quiet_then_raises_after(rig: Rig) -> None:
    add_maintenance(
        rig.engine, "rack", rig.ids["R01"], T0, T0 + 10 * STEP, user="zhang", note="PDU swap"
    )
    rig.alarms._last_housekeeping = float("-inf")
    t = _run(rig, [33.0] * 8)
    assert rig.alarms_rows() == []
    assert rig.alarms.stats.suppressed >= 1
    # Samples keep being collected during the window.
    with rig.engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM sample")).scalar()
    assert n == 8
    t = _run(rig, [33.0] * 3, t)
    [a] = _by_rule(rig, "temperature")
    assert a.severity == "critical" and a.raised_ts >= T0 + 10 * STEP


def test_restart_updates_the_open_alarm_instead_of_duplicating(rig: Rig) -> None:
    t = _run(rig, [28.0] * 3)
    # A new engine (a restarted collector) sees the condition still there.
    rig.alarms = AlarmEngine(rig.engine, rig.alarms.rules, housekeeping_s=0.0)
    rig.writer.hooks[:] = [rig.alarms]
    t = _run(rig, [33.0] * 3, t)
    rows = _by_rule(rig, "temperature")
    assert len(rows) == 1 and rows[0].severity == "critical"
    t = _run(rig, [22.0] * 3, t)
    assert _by_rule(rig, "temperature")[0].state == "cleared"


# -- rules files -------------------------------------------------------------------------------


def test_user_rules_file_overrides_defaults(tmp_path: Path) -> None:
    path = tmp_path / "alarms.yaml"
    path.write_text(
        "defaults: {raise_after: 5}\ntemperature:\n  roles:\n    inlet: {warning: 25}\n"
    )
    rules = load_rules(path)
    assert rules.raise_after == 5 and rules.clear_after == 3
    assert rules.temperature["inlet"].warning == 25.0
    assert rules.temperature["inlet"].critical == 32.0  # kept from the shipped file
    assert rules.phase_of("load 1 (phase 2, bank 0)") == 2
    assert rules.phase_of("outlet 3 phase 1") is None
    assert channel_class("power_w", "device 1", None, rules) == "total"


def test_bad_rules_file_names_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "alarms.yaml"
    path.write_text("rack_power: {warning_pct: high}\n")
    with pytest.raises(RulesError, match=r"alarms\.yaml.*rack_power\.warning_pct"):
        load_rules(path)
    with pytest.raises(RulesError, match="critical is below warning"):
        rules_from_mapping({"humidity": {"warning": 90, "critical": 80}})


def test_lifecycle_on_each_backend(db_url: str) -> None:
    rig = Rig(db_url)
    try:
        t = _run(rig, [28.0] * 3)
        [a] = _by_rule(rig, "temperature")
        acknowledge_alarm(rig.engine, a.id, "li.wei", "looking", now=t)
        t = _run(rig, [33.0] * 3, t)
        t = _run(rig, [22.0] * 3, t)
        [a] = _by_rule(rig, "temperature")
        assert (a.severity, a.state) == ("critical", "cleared")
        assert [e.action for e in rig.events(a.id)] == [
            "raise",
            "acknowledge",
            "escalate",
            "clear",
        ]
    finally:
        rig.close()


def test_unset_device_limits_reported_as_zero_are_ignored(rig: Rig) -> None:
    # Seen on a real PDU profile: every threshold column read as 0 ("not set").
    t = T0
    for _ in range(4):
        rig.poll(
            t,
            "R01-PDUA",
            [
                Reading("power_w", "outlet 1", 135.0, "W", warn_high=0.0, crit_high=0.0),
                Reading("energy_kwh", "inlet I1", 18_000.0, "kWh", crit_high=10.0),
                Reading("frequency_hz", "inlet I1", 50.0, "Hz", warn_low=0.0, crit_high=0.0),
                Reading("voltage_v", "L1", 262.0, "V", warn_high=250.0, crit_high=260.0),
            ],
        )
        t += STEP
    [a] = rig.alarms_rows()
    assert a.rule == "device_limit" and a.severity == "critical"
    assert "voltage L1 262 V above critical limit 260 V" in a.message


def test_sharded_collectors_judge_each_rack_once_with_both_feeds(rig: Rig) -> None:
    from models.inventory.device_specs import load_device_specs
    from monitors.collection.collector import ResultWriter

    # Shard 0 polls PDU A, the probe and the server; shard 1 polls PDU B only.
    rules = rig.alarms.rules
    shard0 = AlarmEngine(rig.engine, rules, housekeeping_s=0.0, foreign_refresh_s=0.0)
    shard1 = AlarmEngine(rig.engine, rules, housekeeping_s=0.0, foreign_refresh_s=0.0)
    rig.writer.hooks[:] = [shard0]
    specs = {d.id: d for d in load_device_specs(rig.engine)}
    other = ResultWriter(rig.engine, specs, [shard1])
    t = T0
    for _ in range(4):
        b = rig.result(
            t,
            "R01-PDUB",
            [Reading("current_a", f"L{i}", a, "A") for i, a in ((1, 6.0), (2, 14.0), (3, 6.0))],
        )
        other._write([b])
        a = rig.result(
            t,
            "R01-PDUA",
            [Reading("current_a", f"L{i}", a, "A") for i, a in ((1, 6.0), (2, 14.0), (3, 6.0))],
        )
        rig.send([a])
        t += STEP
    other.writer.flush()
    [alarm] = _by_rule(rig, "redundancy")
    assert "A+B current 28 A on phase L2" in alarm.message
    assert shard0.stats.raised == 1 and shard1.stats.raised == 0


def test_alarm_writes_that_fail_are_retried_in_order(rig: Rig) -> None:
    # A real failure: the audit table is briefly missing, so the whole transaction fails.
    with rig.engine.begin() as conn:
        conn.execute(text("ALTER TABLE alarm_event RENAME TO alarm_event_away"))
    t = _run(rig, [33.0] * 3)
    with rig.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alarm")).scalar() == 0
    with rig.engine.begin() as conn:
        conn.execute(text("ALTER TABLE alarm_event_away RENAME TO alarm_event"))
    _run(rig, [33.0], t)  # no new transition, but the pending raise goes out now
    [a] = _by_rule(rig, "temperature")
    assert a.severity == "critical" and [e.action for e in rig.events(a.id)] == ["raise"]


def test_periodic_full_reload_keeps_state_and_size(rig: Rig) -> None:
    rig.alarms = AlarmEngine(rig.engine, rig.alarms.rules, housekeeping_s=0.0, full_reload_s=0.0)
    rig.writer.hooks[:] = [rig.alarms]
    t = _run(rig, [24.0] * 3)
    size = len(rig.alarms.meta.rule)
    t = _run(rig, [33.0] * 3, t)
    assert rig.alarms.stats.reloads >= 6
    assert len(rig.alarms.meta.rule) == size  # reloading does not grow the arrays
    [a] = _by_rule(rig, "temperature")
    assert a.severity == "critical"
