"""The message catalogue: every template renders in every locale; alarm rows read in Chinese."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from models.alarms.desk import open_alarms
from models.messages import (
    CATALOGUES,
    EN,
    TERMS_ZH,
    ZH,
    Message,
    language,
    load_args,
    locale_from_env,
    render,
    render_stored,
)
from monitors.collection.readings import Reading
from tests.test_alarm_rig import STEP, T0, Rig

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def rig(sqlite_url: str) -> Iterator[Rig]:
    r = Rig(sqlite_url)
    yield r
    r.close()


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_every_template_has_a_chinese_text_with_the_same_arguments() -> None:
    assert set(ZH) == set(EN)
    for mid, en in EN.items():
        assert _fields(ZH[mid]) == _fields(en), mid
        args = {f: "x" for f in _fields(en)}
        assert not HAN.search(render(mid, args, "en_US")), mid
        zh_words = re.sub(r"\{[^}]*\}", "", ZH[mid])
        # No English left in the Chinese text (PDU and A+B are names); a phrase Chinese does
        # without ("in {area}" is just "{area}") may be only its arguments.
        assert not set(re.findall(r"[A-Za-z]{3,}", zh_words)) - {"PDU"}, mid
        en_words = re.sub(r"\{[^}]*\}", "", en)
        if re.search(r"[A-Za-z]{2,}", en_words) and zh_words.strip():
            assert HAN.search(zh_words), mid


def test_locale_names_and_fallbacks() -> None:
    assert [language(x) for x in ("zh_CN.UTF-8", "zh-Hans", "en_GB", "C", "", None, "de_DE")] == [
        "zh",
        "zh",
        "en",
        "en",
        "en",
        "en",
        "en",
    ]
    assert locale_from_env({"LANG": "en_US.UTF-8", "LC_ALL": "zh_CN.UTF-8"}) == "zh_CN.UTF-8"
    assert locale_from_env({}) == "C"
    # An unknown id renders the stored text; missing arguments fall back to English, then it.
    assert render("no.such.id", {}, "zh_CN", fallback="old text") == "old text"
    assert render("device.answers", {}, "zh_CN", fallback="kept") == "kept"
    assert render_stored("plain", None, None, "zh_CN") == "plain"
    assert load_args("not json") == {} and load_args("[1]") == {}
    assert "zh" in CATALOGUES and TERMS_ZH["critical"] == "严重"


def test_terms_in_arguments_are_translated() -> None:
    args = {
        "where": "R01 / ENV",
        "label": "probe 1",
        "value": "28",
        "unit": " °C",
        "side": "above",
        "level": "warning",
        "thr": "27",
        "src": "",
    }
    assert render("series.threshold", args, "en") == "R01 / ENV: probe 1 28 °C above warning 27 °C"
    assert render("series.threshold", args, "zh_CN") == (
        "R01 / ENV：probe 1 为 28 °C，高于警告 27 °C"
    )


def test_engine_rows_render_in_chinese_and_keep_english_text(rig: Rig) -> None:
    t = T0
    for v in (28.0, 28.5, 33.0, 33.5, 34.0):
        rig.poll(t, "R01-ENV", [Reading("temperature_c", "probe 1", v, "°C", role="inlet")])
        t += STEP
    [temp] = open_alarms(rig.engine)
    assert temp.rule == "temperature" and temp.message_id == "series.threshold"
    assert "above critical 32" in temp.message  # the stored English text
    assert temp.text("en_US") == temp.message
    zh = temp.text("zh_CN.UTF-8")
    assert "高于严重 32 °C" in zh and zh.startswith("R01 / R01-ENV：")
    # Each system event keeps the condition as it stood then, as a template too.
    with rig.engine.connect() as conn:
        events = conn.execute(
            text(
                "SELECT action, note, message_id, message_args FROM alarm_event "
                "WHERE alarm_id = :a ORDER BY id"
            ),
            {"a": temp.id},
        ).all()
    assert [e[0] for e in events] == ["raise", "escalate"]
    raised = render_stored(events[0][1], events[0][2], events[0][3], "zh_CN")
    assert "高于警告 27 °C" in raised and "above warning 27" in events[0][1]
    for _ in range(3):
        rig.rack_poll(t, watts=(3700.0, 3700.0))
        t += STEP
    [power] = [a for a in open_alarms(rig.engine) if a.rule == "rack_power"]
    assert power.message_id == "rack.power"
    assert "机柜功率 7.4 kW" in power.text("zh_CN") and "严重阈值 90 %" in power.text("zh_CN")


def test_incident_titles_nest_phrases_in_either_language() -> None:
    where = Message(
        "phrase.on_racks",
        {"count": "10", "area": Message("phrase.site_row", {"site": "GA1", "row": "R01"}).as_arg()},
    )
    title = Message(
        "incident.thermal",
        {
            "what": "Temperature critical",
            "where": where.as_arg(),
            "alarms": Message("count.alarms", {"n": "12"}).as_arg(),
            "peak": Message("phrase.peak", {"value": "36.2", "unit": " °C"}).as_arg(),
            "cause": "; likely cooling failure",
        },
    )
    assert title.english() == (
        "Temperature critical on 10 racks of GA1 row R01 — 12 alarms, peak 36.2 °C; "
        "likely cooling failure"
    )
    zh = title.render("zh_CN")
    assert zh == "GA1 R01 排 的 10 个机柜 温度严重 — 12 条告警，峰值 36.2 °C；可能是制冷故障"
    # Stored as JSON and rendered back the same.
    assert render_stored(title.english(), title.id, title.args_json(), "zh_CN") == zh


def test_incident_titles_from_the_catalogue_read_as_before() -> None:
    from models.alarms.incidents import Facts, incident_message, incident_title

    base = dict(
        family="thermal",
        site_code="GA1",
        row="R01",
        alarms_open=12,
        racks=10,
        rack_names=("R01-01",),
        rules=frozenset({"temperature"}),
        critical=3,
        peak_value=36.2,
        unit="°C",
        pdu_down=(),
        devices=4,
        collector="c1",
        since_ts=0,
    )
    variants = [
        {},
        {"racks": 1, "alarms_open": 1, "critical": 0, "rules": frozenset({"forecast"})},
        {"row": "", "racks": 0, "peak_value": None},
        {"family": "power", "pdu_down": (("R01-02", "B"),), "rules": frozenset({"redundancy"})},
        {"family": "power", "pdu_down": (("R01-02", ""),)},
        {"family": "power", "rules": frozenset({"rack_power", "phase_current"})},
        {"family": "reachability", "devices": 1},
        {"family": "collector", "alarms_open": 1},
        {"family": "collector", "alarms_open": 2, "collector": "c1, c2"},
        {"family": "other"},
    ]
    for v in variants:
        f = Facts(**(base | v))  # type: ignore[arg-type]
        title = incident_title(f)
        assert title.english() == incident_message(f), v
        zh = title.render("zh_CN")
        assert HAN.search(zh) and zh != title.english(), v
