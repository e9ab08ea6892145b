"""The message catalogue: alarm and incident texts by template id, in English and Chinese."""

from __future__ import annotations

import json
import os
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Alarms store a template id and its arguments (alarm.message_id, alarm.message_args, JSON);
# every reader renders them in its own locale, so one alarm reads in English on one desk and in
# Chinese on the next. alarm.message keeps the English text for logs, the audit trail and old
# readers. Arguments are pre-formatted strings (numbers already rounded) so a row renders the
# same everywhere; `{name!t}` marks an argument that is itself a term to translate.

Args = Mapping[str, Any]

EN: dict[str, str] = {
    # -- series thresholds -------------------------------------------------------------------
    "series.normal": "{where}: {label} back to normal at {value}{unit}",
    "series.threshold": "{where}: {label} {value}{unit} {side!t} {level!t} {thr}{unit}{src!t}",
    "series.phase_current": (
        "{where}: {channel!t} current {value} A is {pct} % of the {breaker} A breaker "
        "({severity!t} above {thr_pct} %; continuous limit {limit_pct} %)"
    ),
    # -- forecasts ---------------------------------------------------------------------------
    "forecast.rising": (
        "{where}: {what!t} will reach {thr}{unit} in ~{minutes} min "
        "(now {value}{unit}, rising {rate}{unit}/min)"
    ),
    "forecast.reached": "{where}: {label} reached {thr}{unit}; see threshold alarm",
    "forecast.gone": "{where}: {label} no longer trending to {thr}{unit}",
    # -- devices -----------------------------------------------------------------------------
    "device.unreachable": "{where} unreachable: {failures} polls in a row failed ({error!t})",
    "device.answers": "{where} answers again",
    "device.stale": (
        "{where}: {count} series without a new sample for {minutes} min or more (e.g. {sample})"
    ),
    "device.current": "{where}: every series is current again",
    # -- racks -------------------------------------------------------------------------------
    "rack.power": (
        "{rack}: rack power {kw} kW is {pct} % of rated {rated_kw} kW "
        "({severity!t} above {level_pct} %)"
    ),
    "rack.power_normal": "{rack}: rack power back to {pct} % of rated",
    "redundancy.lost_power": (
        "{rack}: redundancy lost: A+B load {kw} kW is {pct} % of one feed's {feed_kw} kW; "
        "if one feed fails the other {verdict!t} its {level_pct} % limit"
    ),
    "redundancy.lost_current": (
        "{rack}: redundancy lost: A+B current {amps} A on phase {phase} is {pct} % of one feed's "
        "{breaker} A breaker; if one feed fails the other {verdict!t} its {level_pct} % limit"
    ),
    "redundancy.restored": "{rack}: A+B redundancy restored ({pct} % of one feed)",
    # -- incidents (titles; phrases below are nested arguments) ------------------------------
    "incident.collector": "Collector {collector} is not reporting: data from its devices is stale",
    "incident.collectors": (
        "{count} collectors are not reporting ({collector}): data from their devices is stale"
    ),
    "incident.thermal": "{what!t} {where} — {alarms}{peak}{cause!t}",
    "incident.feed_lost": "Feed {feed} of {rack} lost — {alarms} on {racks}",
    "incident.feed_lost_redundancy": (
        "Feed {feed} of {rack} lost — redundancy lost on {racks}; {alarms}"
    ),
    "incident.pdu_down": "PDU of {rack} down — {alarms} on {racks}",
    "incident.pdu_down_redundancy": "PDU of {rack} down — redundancy lost on {racks}; {alarms}",
    "incident.power": "Power alarms {where} — {alarms} ({kinds})",
    "incident.reachability": "{devices} not answering or stale {where} — {alarms}",
    "incident.other": "Alarms {where} — {alarms}",
    "phrase.on_rack": "on {site} rack {rack}",
    "phrase.on_racks": "on {count} racks of {area}",
    "phrase.in_area": "in {area}",
    "phrase.site_row": "{site} row {row}",
    "phrase.site": "{site}",
    "phrase.peak": ", peak {value}{unit}",
    "count.alarm": "{n} alarm",
    "count.alarms": "{n} alarms",
    "count.rack": "{n} rack",
    "count.racks": "{n} racks",
    "count.device": "{n} device",
    "count.devices": "{n} devices",
}

ZH: dict[str, str] = {
    "series.normal": "{where}：{label} 已恢复正常，当前 {value}{unit}",
    "series.threshold": "{where}：{label} 为 {value}{unit}，{side!t}{level!t} {thr}{unit}{src!t}",
    "series.phase_current": (
        "{where}：{channel!t}电流 {value} A，为 {breaker} A 断路器的 {pct} %"
        "（{severity!t}阈值 {thr_pct} %；持续负载上限 {limit_pct} %）"
    ),
    "forecast.rising": (
        "{where}：{what!t}预计约 {minutes} 分钟后达到 {thr}{unit}"
        "（当前 {value}{unit}，每分钟上升 {rate}{unit}）"
    ),
    "forecast.reached": "{where}：{label} 已达到 {thr}{unit}；请查看阈值告警",
    "forecast.gone": "{where}：{label} 已不再趋向 {thr}{unit}",
    "device.unreachable": "{where} 无法访问：连续 {failures} 次轮询失败（{error!t}）",
    "device.answers": "{where} 已恢复响应",
    "device.stale": "{where}：{count} 个序列已有 {minutes} 分钟或更久没有新样本（例如 {sample}）",
    "device.current": "{where}：所有序列已恢复更新",
    "rack.power": (
        "{rack}：机柜功率 {kw} kW，为额定 {rated_kw} kW 的 {pct} %"
        "（{severity!t}阈值 {level_pct} %）"
    ),
    "rack.power_normal": "{rack}：机柜功率已回落至额定值的 {pct} %",
    "redundancy.lost_power": (
        "{rack}：冗余丧失：A+B 负载 {kw} kW 为单路 {feed_kw} kW 的 {pct} %；"
        "若一路失效，另一路{verdict!t} {level_pct} % 上限"
    ),
    "redundancy.lost_current": (
        "{rack}：冗余丧失：{phase} 相 A+B 电流 {amps} A 为单路 {breaker} A 断路器的 {pct} %；"
        "若一路失效，另一路{verdict!t} {level_pct} % 上限"
    ),
    "redundancy.restored": "{rack}：A+B 冗余已恢复（单路的 {pct} %）",
    "incident.collector": "采集器 {collector} 未上报：其设备的数据已过期",
    "incident.collectors": "{count} 个采集器未上报（{collector}）：其设备的数据已过期",
    "incident.thermal": "{where} {what!t} — {alarms}{peak}{cause!t}",
    "incident.feed_lost": "{rack} 的 {feed} 路供电中断 — {racks} 上 {alarms}",
    "incident.feed_lost_redundancy": "{rack} 的 {feed} 路供电中断 — {racks} 冗余丧失；{alarms}",
    "incident.pdu_down": "{rack} 的 PDU 离线 — {racks} 上 {alarms}",
    "incident.pdu_down_redundancy": "{rack} 的 PDU 离线 — {racks} 冗余丧失；{alarms}",
    "incident.power": "{where} 电力告警 — {alarms}（{kinds}）",
    "incident.reachability": "{where} {devices}无应答或数据过期 — {alarms}",
    "incident.other": "{where} 告警 — {alarms}",
    "phrase.on_rack": "{site} 机柜 {rack}",
    "phrase.on_racks": "{area} 的 {count} 个机柜",
    "phrase.in_area": "{area}",
    "phrase.site_row": "{site} {row} 排",
    "phrase.site": "{site}",
    "phrase.peak": "，峰值 {value}{unit}",
    "count.alarm": "{n} 条告警",
    "count.alarms": "{n} 条告警",
    "count.rack": "{n} 个机柜",
    "count.racks": "{n} 个机柜",
    "count.device": "{n} 台设备",
    "count.devices": "{n} 台设备",
}

# Words that arguments carry (`{x!t}`): severities, sides, roles, verdicts. An argument that is
# not a known term is shown as it is (a sensor label, a device error text).
TERMS_ZH: dict[str, str] = {
    "warning": "警告",
    "critical": "严重",
    "warning limit": "警告限值",
    "critical limit": "严重限值",
    "above": "高于",
    "below": "低于",
    " (device limit)": "（设备限值）",
    "phase": "相",
    "inlet": "进风温度",
    "outlet": "出风温度",
    "ambient": "环境温度",
    "cpu": "CPU 温度",
    "memory": "内存温度",
    "disk": "硬盘温度",
    "psu": "电源温度",
    "board": "主板温度",
    "would trip": "将跳闸，超出其",
    "exceeds": "将超出其",
    "no answer": "无应答",
    "Temperature critical": "温度严重",
    "Temperature rising toward critical": "温度正升向严重",
    "Temperature high": "温度偏高",
    "; likely cooling failure": "；可能是制冷故障",
    "timeout": "超时",
}
TERMS_EN: dict[str, str] = {"would trip": "would trip", "exceeds": "exceeds"}

CATALOGUES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "en": (EN, TERMS_EN),
    "zh": (ZH, TERMS_ZH),
}
LOCALES = tuple(CATALOGUES)


@dataclass(frozen=True, slots=True)
class Message:
    """A template id and its arguments: what an alarm row stores instead of finished text."""

    id: str
    args: dict[str, Any] = field(default_factory=dict)

    def render(self, locale: str | None = None) -> str:
        return render(self.id, self.args, locale)

    def english(self) -> str:
        return render(self.id, self.args, "en")

    def args_json(self) -> str:
        return dump_args(self.args)

    def as_arg(self) -> dict[str, Any]:
        """This message as an argument of another (rendered in the same language)."""
        return {"id": self.id, "args": dict(self.args)}


class _Formatter(string.Formatter):
    def __init__(self, terms: Mapping[str, str], lang: str) -> None:
        super().__init__()
        self.terms = terms
        self.lang = lang

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if isinstance(value, Mapping) and "id" in value:
            # A nested message ({"id": ..., "args": {...}}, as Message.as_arg() gives): a
            # phrase such as "on 10 racks of GA1 row R01" that itself is translated.
            return render(str(value["id"]), value.get("args") or {}, self.lang)
        if conversion == "t":
            text = "" if value is None else str(value)
            return self.terms.get(text, text)
        return super().convert_field(value, conversion)


def language(locale: str | None) -> str:
    """'zh' for zh_CN, zh_CN.UTF-8, zh-Hans...; 'en' for everything without a catalogue."""
    if not locale:
        return "en"
    lang = locale.replace("-", "_").split(".")[0].split("_")[0].lower()
    return lang if lang in CATALOGUES else "en"


def locale_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The reader's locale as POSIX sets it: LC_ALL, then LC_MESSAGES, then LANG."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return value
    return "C"


def render(
    message_id: str, args: Args | None, locale: str | None = None, fallback: str = ""
) -> str:
    """The text of a message in locale; English when that locale lacks the template or fails.

    fallback (usually the stored English text) is returned for an unknown id, so alarms
    written by an older collector still read as they were written.
    """
    values = dict(args or {})
    lang = language(locale if locale is not None else locale_from_env())
    for code in dict.fromkeys((lang, "en")):
        templates, terms = CATALOGUES[code]
        template = templates.get(message_id)
        if template is None:
            continue
        try:
            return _Formatter(terms, code).vformat(template, (), values)
        except (KeyError, IndexError, ValueError):
            continue
    return fallback or message_id


def dump_args(args: Args) -> str:
    return json.dumps(dict(args), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def load_args(text: str | None) -> dict[str, Any]:
    """Arguments from an alarm row; {} for NULL or text that is not a JSON object."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def render_stored(
    message: str, message_id: str | None, message_args: str | None, locale: str | None = None
) -> str:
    """Render an alarm (or incident) row's message columns; the stored text without an id."""
    if not message_id:
        return message
    return render(message_id, load_args(message_args), locale, fallback=message)
