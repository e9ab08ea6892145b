"""Profile language: sentinels for values and limits, signed wrap, text conditions, channel."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitors.profiles.engine import build_plan
from monitors.profiles.plan import PollPlan
from monitors.profiles.schema import ProfileError, load_profile
from monitors.snmp.values import SnmpValue

COL = "1.3.6.1.4.1.99999.2.3.1.4"
NAME = "1.3.6.1.4.1.99999.2.3.1.2"
TYPE = "1.3.6.1.4.1.99999.2.3.1.3"
WARN = "1.3.6.1.4.1.99999.2.3.1.8"
CRIT = "1.3.6.1.4.1.99999.2.3.1.9"


def _profile(tmp_path: Path, metric: str) -> Path:
    p = tmp_path / "acme.yaml"
    p.write_text("match: [{sys_object_id: 1.3.6.1.4.1.99999}]\nmetrics:\n" + metric)
    return p


def _plan(
    tmp_path: Path, metric: str, rows: dict[str, SnmpValue], aux: dict[str, SnmpValue]
) -> PollPlan:
    profile = load_profile(_profile(tmp_path, metric))
    walked: dict[str, list[tuple[str, SnmpValue]]] = {
        COL: [(f"{COL}.{i}", v) for i, v in rows.items()]
    }
    return build_plan(profile, walked, lambda oids: {o: aux.get(o) for o in oids})


CURRENT = f"""\
  - metric: current_a
    walk: {COL}
    divisor: 10
    channel: phase
    lookups: {{warn: '{WARN}.{{index}}', crit: '{CRIT}.{{index}}'}}
    thresholds: {{warn_high: warn, crit_high: crit, skip_below: 0, skip_values: [0]}}
    skip_values: [-1]
"""


def test_sentinel_limits_never_become_alarm_limits(tmp_path: Path) -> None:
    # CPQPOWER: "a negative value indicates that this object is not available"; 0 = unset.
    aux: dict[str, SnmpValue] = {
        f"{WARN}.1": 160,
        f"{CRIT}.1": -1,
        f"{WARN}.2": 0,
        f"{CRIT}.2": -5,
        f"{WARN}.3": 150,
        f"{CRIT}.3": 200,
    }
    plan = _plan(tmp_path, CURRENT, {"1": 52, "2": 40, "3": -1}, aux)
    by = {i.channel: i for i in plan.items}
    assert set(by) == {"1", "2"}  # row 3 reports the value sentinel -1
    assert by["1"].warn_high == pytest.approx(16.0) and by["1"].crit_high is None
    assert by["2"].warn_high is None and by["2"].crit_high is None
    assert by["1"].channel_class == "phase"


def test_value_range_sentinels(tmp_path: Path) -> None:
    metric = f"  - {{metric: temperature_c, walk: {COL}, skip_below: -100, skip_above: 1000}}\n"
    plan = _plan(tmp_path, metric, {"1": 25, "2": -999, "3": 65535}, {})
    assert [i.channel for i in plan.items] == ["1"]
    readings, problems = plan.decode([65535])
    assert readings == [] and problems == []  # the probe was unplugged after discovery


def test_signed_wrap_of_unsigned_columns(tmp_path: Path) -> None:
    metric = f"  - {{metric: fan_rpm, walk: {COL}, signed: true, skip_below: 0}}\n"
    plan = _plan(tmp_path, metric, {"1": 4200, "2": 4294944255}, {})
    assert [i.channel for i in plan.items] == ["1"]  # -23041 RPM is not a fan speed
    sixteen = f"  - {{metric: temperature_c, walk: {COL}, signed: 16}}\n"
    t = _plan(tmp_path, sixteen, {"1": 65526}, {})
    readings, _ = t.decode([65526])
    assert readings[0].value == pytest.approx(-10.0)
    again = PollPlan.from_json(t.to_json())
    assert again.decode([65535])[0][0].value == pytest.approx(-1.0)


SHARED = f"""\
  - metric: temperature_c
    walk: {COL}
    lookups: {{type: '{TYPE}.{{index}}', name: '{NAME}.{{index}}'}}
    when: [{{lookup: type, in: [T]}}]
    label: "{{name}}"
  - metric: humidity_pct
    walk: {COL}
    lookups: {{type: '{TYPE}.{{index}}'}}
    when: [{{lookup: type, in: [H, 2]}}]
  - metric: current_a
    walk: {COL}
    lookups: {{type: '{TYPE}.{{index}}', name: '{NAME}.{{index}}'}}
    when: [{{lookup: type, not_in: [T, H]}}, {{lookup: name, matches: '(?i)^amp', missing: keep}}]
"""


def test_when_compares_text_and_defines_missing(tmp_path: Path) -> None:
    aux: dict[str, SnmpValue] = {
        f"{TYPE}.1": "T",
        f"{NAME}.1": "Rack top",
        f"{TYPE}.2": "H ",
        f"{TYPE}.3": "I",
        f"{NAME}.3": "Amps",
        f"{TYPE}.4": 2,
        f"{TYPE}.5": "I",
        f"{NAME}.5": "Volts",
        # row 6: no type at all, no name
    }
    plan = _plan(tmp_path, SHARED, {str(n): 10 * n for n in range(1, 7)}, aux)
    got = sorted((i.metric, i.oid.rsplit(".", 1)[1]) for i in plan.items)
    assert got == [
        ("current_a", "3"),  # type I, name matches
        ("current_a", "4"),  # type 2 is not T/H; no name: missing keep
        ("current_a", "6"),  # type missing: not_in keeps it; name missing: missing keep
        ("humidity_pct", "2"),  # text "H " is trimmed
        ("humidity_pct", "4"),  # numeric choice 2
        ("temperature_c", "1"),
    ]


@pytest.mark.parametrize(
    ("metric", "fragment"),
    [
        (f"  - {{metric: power_w, walk: {COL}, channel: feed}}\n", "metrics[0].channel"),
        (f"  - {{metric: power_w, walk: {COL}, signed: 12}}\n", "metrics[0].signed"),
        (
            f"  - {{metric: power_w, walk: {COL}, lookups: {{t: '{TYPE}.{{index}}'}},"
            " when: [{lookup: t, in: [T], missing: maybe}]}\n",
            "metrics[0].when[0].missing",
        ),
        (
            f"  - {{metric: power_w, walk: {COL}, lookups: {{t: '{TYPE}.{{index}}'}},"
            " when: [{lookup: t, equals: T}]}\n",
            "unknown keys",
        ),
        (f"  - {{metric: power_w, walk: {COL}, skip_below: low}}\n", "metrics[0].skip_below"),
    ],
)
def test_new_keys_are_validated(tmp_path: Path, metric: str, fragment: str) -> None:
    with pytest.raises(ProfileError, match=r"acme\.yaml") as exc:
        load_profile(_profile(tmp_path, metric))
    assert fragment in str(exc.value)


MIB_PROFILE = """\
match: [{sys_object_id: 'ACME-TEST-MIB::acme'}]
metrics:
  - metric: current_a
    walk: acmeCurrent
    divisor: 100
    lookups: {name: 'RACKWATCH-TEST-MIB::acmeName.{index}'}
    label: "{name}"
  - {metric: power_w, oid: acmeTotal.0}
"""


def test_mib_names_resolve_through_pysmi_and_are_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RACKWATCH_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "mibs").mkdir()
    mib = (Path(__file__).parent / "data" / "mibs" / "RACKWATCH-TEST-MIB").read_text()
    (tmp_path / "mibs" / "RACKWATCH-TEST-MIB").write_text(mib)
    p = tmp_path / "acme.yaml"
    p.write_text(MIB_PROFILE.replace("ACME-TEST-MIB", "RACKWATCH-TEST-MIB"))
    prof = load_profile(p)
    assert prof.match[0].sys_object_id == ("1.3.6.1.4.1.99999",)
    cur, total = prof.metrics
    assert cur.walk == "1.3.6.1.4.1.99999.2.3.1.4"
    assert cur.lookups["name"] == "1.3.6.1.4.1.99999.2.3.1.2.{index}"
    assert total.oid == "1.3.6.1.4.1.99999.2.5.0"
    assert list((tmp_path / "cache" / "mibs").glob("names-*.json"))  # compiled once, cached
    p.write_text(MIB_PROFILE)  # a module that does not exist
    with pytest.raises(ProfileError, match=r"acme\.yaml: match\[0\]\.sys_object_id: MIB module"):
        load_profile(p)
    p.write_text(MIB_PROFILE.replace("ACME-TEST-MIB", "RACKWATCH-TEST-MIB").replace(
        "acmeTotal", "acmeTotl"))  # fmt: skip
    with pytest.raises(ProfileError, match=r"metrics\[1\]\.oid: 'acmeTotl' is not defined"):
        load_profile(p)
