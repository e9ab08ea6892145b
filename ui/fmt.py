"""Formatting of values, ages and times for display."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QLocale


def tr(text: str) -> str:
    return QCoreApplication.translate("fmt", text)


def locale_name() -> str:
    """The reader's locale ('zh_CN', 'en_US'), for messages rendered from the catalogue."""
    return QLocale().name()


def age(seconds: float | None) -> str:
    """Short human age: '8 s', '4 min', '3 h', '2 d'."""
    if seconds is None:
        return "—"
    s = max(0, int(seconds))
    if s < 90:
        return QCoreApplication.translate("fmt", "%1 s").replace("%1", str(s))
    if s < 90 * 60:
        return QCoreApplication.translate("fmt", "%1 min").replace("%1", str(round(s / 60)))
    if s < 36 * 3600:
        return QCoreApplication.translate("fmt", "%1 h").replace(
            "%1", f"{s / 3600:.1f}".rstrip("0").rstrip(".")
        )
    return QCoreApplication.translate("fmt", "%1 d").replace(
        "%1", f"{s / 86400:.1f}".rstrip("0").rstrip(".")
    )


def number(value: float | None, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}"
    return f"{text} {unit}".rstrip() if unit else text


def kw(watts: float | None) -> str:
    return "—" if watts is None else f"{watts / 1000:.2f}"


def zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def local_time(ts: int | float | None, tz: str = "UTC", with_date: bool = True) -> str:
    if ts is None:
        return "—"
    t = dt.datetime.fromtimestamp(ts, zone(tz))
    return t.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")


def digits_for(value: float, unit: str) -> int:
    if unit in ("W", "RPM", "VA") or abs(value) >= 1000:
        return 0
    return 2 if unit in ("A", "") else 1


def value_with_unit(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return number(value, digits_for(value, unit), unit)


# QT_TRANSLATE_NOOP marks the names for lupdate; they are translated where they are shown.
METRIC_NAMES: dict[str, object] = {
    "power_w": QT_TRANSLATE_NOOP("metric", "Power"),
    "apparent_power_va": QT_TRANSLATE_NOOP("metric", "Apparent power"),
    "energy_kwh": QT_TRANSLATE_NOOP("metric", "Energy"),
    "current_a": QT_TRANSLATE_NOOP("metric", "Current"),
    "voltage_v": QT_TRANSLATE_NOOP("metric", "Voltage"),
    "frequency_hz": QT_TRANSLATE_NOOP("metric", "Frequency"),
    "temperature_c": QT_TRANSLATE_NOOP("metric", "Temperature"),
    "humidity_pct": QT_TRANSLATE_NOOP("metric", "Humidity"),
    "fan_rpm": QT_TRANSLATE_NOOP("metric", "Fan"),
    "power_factor": QT_TRANSLATE_NOOP("metric", "Power factor"),
    "state": QT_TRANSLATE_NOOP("metric", "State"),
}
ROLE_NAMES: dict[str, object] = {
    "inlet": QT_TRANSLATE_NOOP("role", "inlet"),
    "outlet": QT_TRANSLATE_NOOP("role", "outlet"),
    "exhaust": QT_TRANSLATE_NOOP("role", "exhaust"),
    "ambient": QT_TRANSLATE_NOOP("role", "ambient"),
    "cpu": QT_TRANSLATE_NOOP("role", "cpu"),
    "memory": QT_TRANSLATE_NOOP("role", "memory"),
    "disk": QT_TRANSLATE_NOOP("role", "disk"),
    "psu": QT_TRANSLATE_NOOP("role", "psu"),
    "board": QT_TRANSLATE_NOOP("role", "board"),
    "other": QT_TRANSLATE_NOOP("role", "other"),
}

STATE_NAMES: dict[str, object] = {
    "ok": QT_TRANSLATE_NOOP("state", "ok"),
    "warning": QT_TRANSLATE_NOOP("state", "warning"),
    "critical": QT_TRANSLATE_NOOP("state", "critical"),
    "stale": QT_TRANSLATE_NOOP("state", "stale"),
    "unreachable": QT_TRANSLATE_NOOP("state", "unreachable"),
    "unknown": QT_TRANSLATE_NOOP("state", "unknown"),
}


def state_name(state: str) -> str:
    """A sensor or device state ('ok', 'stale', ...) in the reader's language."""
    return QCoreApplication.translate("state", str(STATE_NAMES.get(state, state)))


def metric_name(metric: str) -> str:
    """The translated name of a metric ('Power' / '功率'); the metric id when unknown."""
    return QCoreApplication.translate("metric", str(METRIC_NAMES.get(metric, metric)))


def role_name(role: str) -> str:
    return QCoreApplication.translate("role", str(ROLE_NAMES.get(role.lower(), role)))


def series_label(metric: str, channel: str, role: str | None) -> str:
    """'Temperature Inlet Temp (inlet)'-style label of a series, translated metric name."""
    text = f"{metric_name(metric)} {channel}".strip()
    if role and role.lower() not in channel.lower():
        text += f" ({role_name(role)})"
    return text


def common_prefix(names: list[str]) -> str:
    """The shared leading part of device names, cut at a separator ("ga1-r01-01-")."""
    if len(set(names)) < 2:
        return ""
    first, last = min(names), max(names)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    prefix = first[:n]
    cut = max(prefix.rfind("-"), prefix.rfind("_"), prefix.rfind("."))
    return prefix[: cut + 1] if cut >= 0 else ""
