"""Renders an incident snapshot's plots, rack elevations and report.pdf with Qt (no widgets)."""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QMarginsF,
    QPointF,
    QRectF,
    QSizeF,
    Qt,
    QUrl,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPainterPath,
    QPdfWriter,
    QPen,
    QTextDocument,
)

from models.rules import current_rules
from models.snapshot.data import DeviceRec, DeviceStat, PlotSeries, RackRec, SnapshotData
from ui.fmt import locale_name

PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
    "#393b79",
    "#ad494a",
    "#637939",
    "#e7969c",
    "#6b6ecf",
    "#843c39",
)
SEVERITY_COLOUR = {"critical": "#c62828", "warning": "#ef6c00"}
INK = QColor("#222222")
GRID = QColor("#dddddd")


def zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local(ts: int, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return datetime.fromtimestamp(ts, zone(tz)).strftime(fmt)


def utc(ts: int, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return datetime.fromtimestamp(ts, ZoneInfo("UTC")).strftime(fmt)


def png_bytes(img: QImage) -> bytes:
    ba = QByteArray()
    buf = QBuffer(ba)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")  # type: ignore[call-overload]
    buf.close()
    return bytes(ba.data())


def _font(px: int, bold: bool = False) -> QFont:
    f = QFont("DejaVu Sans")
    f.setPixelSize(px)
    f.setBold(bold)
    return f


# -- plots ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    value: float
    label: str
    colour: str


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    colour: str


def _nice_step(span: float, target: int) -> float:
    raw = span / max(1, target)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


_TIME_STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800)


def render_plot(
    series: list[PlotSeries],
    *,
    title: str,
    unit: str,
    start: int,
    end: int,
    tz: str,
    thresholds: list[Threshold] | None = None,
    spans: list[Span] | None = None,
    scale: float = 1.0,
    width: int = 1600,
    height: int = 620,
) -> QImage:
    """A line chart of several series with threshold lines and shaded alarm spans."""
    img = QImage(width, height, QImage.Format.Format_ARGB32)
    img.fill(QColor("white"))
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    left, right, top = 110, 30, 60
    legend_rows = math.ceil(len(series) / 4) if series else 0
    bottom = 70 + 26 * legend_rows
    plot = QRectF(left, top, width - left - right, height - top - bottom)
    p.setFont(_font(26, bold=True))
    p.setPen(INK)
    p.drawText(QRectF(left, 8, width - left, 40), Qt.AlignmentFlag.AlignLeft, title)
    values = [v * scale for s in series for v in s.history.avg.tolist() if math.isfinite(v)]
    values += [v * scale for s in series for v in s.history.hi.tolist() if math.isfinite(v)]
    ths = thresholds or []
    if not values:
        p.setFont(_font(22))
        p.drawText(plot, Qt.AlignmentFlag.AlignCenter, "no samples in this window")
        p.end()
        return img
    lo, hi = min(values), max(values)
    for th in ths:
        if th.value <= hi * 1.25 + 1:
            hi = max(hi, th.value)
    pad = (hi - lo) * 0.08 or 1.0
    lo, hi = lo - pad, hi + pad
    step = _nice_step(hi - lo, 6)
    lo = math.floor(lo / step) * step
    hi = math.ceil(hi / step) * step

    def x(ts: float) -> float:
        return plot.left() + (ts - start) / max(1, end - start) * plot.width()

    def y(v: float) -> float:
        return plot.bottom() - (v - lo) / (hi - lo) * plot.height()

    for sp in spans or []:
        a, b = max(sp.start, start), min(sp.end, end)
        if b > a:
            c = QColor(sp.colour)
            c.setAlpha(38)
            p.fillRect(QRectF(x(a), plot.top(), max(2.0, x(b) - x(a)), plot.height()), c)
    p.setFont(_font(19))
    v = lo
    while v <= hi + step / 2:
        p.setPen(QPen(GRID, 1))
        p.drawLine(QPointF(plot.left(), y(v)), QPointF(plot.right(), y(v)))
        p.setPen(INK)
        p.drawText(
            QRectF(0, y(v) - 12, left - 10, 24),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            f"{v:g}",
        )
        v += step
    p.save()
    p.translate(22, plot.center().y())
    p.rotate(-90)
    p.drawText(QRectF(-120, -14, 240, 28), Qt.AlignmentFlag.AlignCenter, unit)
    p.restore()
    span = end - start
    tstep = next((s for s in _TIME_STEPS if span / s <= 8), 172800)
    zi = zone(tz)
    offset = int(datetime.fromtimestamp(start, zi).utcoffset().total_seconds())  # type: ignore[union-attr]
    t = ((start + offset) // tstep + 1) * tstep - offset
    fmt = "%H:%M" if span <= 2 * 86400 else "%m-%d %H:%M"
    while t < end:
        p.setPen(QPen(GRID, 1))
        p.drawLine(QPointF(x(t), plot.top()), QPointF(x(t), plot.bottom()))
        p.setPen(INK)
        p.drawText(
            QRectF(x(t) - 80, plot.bottom() + 6, 160, 26),
            Qt.AlignmentFlag.AlignCenter,
            datetime.fromtimestamp(t, zi).strftime(fmt),
        )
        t += tstep
    p.setPen(QPen(INK, 1.5))
    p.drawRect(plot)
    for th in ths:
        if lo <= th.value <= hi:
            pen = QPen(QColor(th.colour), 2.5, Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.drawLine(QPointF(plot.left(), y(th.value)), QPointF(plot.right(), y(th.value)))
            p.setFont(_font(18, bold=True))
            p.drawText(
                QRectF(plot.right() - 420, y(th.value) - 26, 414, 24),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                th.label,
            )
    p.setClipRect(plot)
    for i, s in enumerate(series):
        h = s.history
        if not len(h):
            continue
        path = QPainterPath()
        ts_list = h.ts.tolist()
        av = h.avg.tolist()
        gap = max(180, 3 * int((ts_list[-1] - ts_list[0]) / max(1, len(ts_list) - 1)))
        prev = None
        for ts_, val in zip(ts_list, av, strict=True):
            pt = QPointF(x(ts_), y(val * scale))
            if prev is None or ts_ - prev > gap:
                path.moveTo(pt)
            else:
                path.lineTo(pt)
            prev = ts_
        p.setPen(QPen(QColor(PALETTE[i % len(PALETTE)]), 2.6))
        p.drawPath(path)
    p.setClipping(False)
    p.setFont(_font(18))
    col_w = (width - left - right) / 4
    for i, s in enumerate(series):
        row_i, col_i = divmod(i, 4)
        lx = left + col_i * col_w
        ly = plot.bottom() + 40 + row_i * 26
        p.setPen(QPen(QColor(PALETTE[i % len(PALETTE)]), 5))
        p.drawLine(QPointF(lx, ly + 12), QPointF(lx + 26, ly + 12))
        p.setPen(INK)
        p.drawText(
            QRectF(lx + 32, ly, col_w - 36, 24),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            p.fontMetrics().elidedText(s.label, Qt.TextElideMode.ElideRight, int(col_w - 40)),
        )
    p.end()
    return img


# -- rack elevation ------------------------------------------------------------------------------


def heat_colour(v: float | None) -> QColor:
    """Blue-green when cool, amber from the inlet warning level, red from the critical one
    (the rules every process applies; ASHRAE 27/32 °C unless an operator changed them)."""
    if v is None:
        return QColor("#cfd8dc")
    warn, crit = current_rules().inlet_scale()
    if v >= crit:
        return QColor("#e53935")
    if v >= warn:
        return QColor("#ffb300")
    if v >= warn - 3:
        return QColor("#9ccc65")
    return QColor("#4db6ac")


def heat_legend() -> list[tuple[QColor, str]]:
    warn, crit = current_rules().inlet_scale()
    calm = warn - 3
    return [
        (heat_colour(calm - 1), f"< {calm:g} °C"),
        (heat_colour(calm), f"{calm:g}–{warn:g} °C"),
        (heat_colour(warn), f"{warn:g}–{crit:g} °C"),
        (heat_colour(crit), f"≥ {crit:g} °C"),
        (heat_colour(None), "no inlet"),
    ]


def render_elevation(
    rack: RackRec,
    devices: list[DeviceRec],
    inlet_max: dict[int, float],
    alarmed: set[int],
) -> QImage:
    """Front view of a rack, U by U, devices coloured by their peak inlet in the window."""
    u_px, head = 18, 70
    h_u = max(1, rack.height_u)
    width, height = 620, head + h_u * u_px + 90
    img = QImage(width, height, QImage.Format.Format_ARGB32)
    img.fill(QColor("white"))
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(INK)
    p.setFont(_font(24, bold=True))
    p.drawText(QRectF(0, 6, width, 34), Qt.AlignmentFlag.AlignCenter, f"Rack {rack.name}")
    p.setFont(_font(15))
    rated = f"{rack.rated_power_w / 1000:g} kW rated" if rack.rated_power_w else "no rating"
    feeds = ", ".join(f"{f.feed}: {f.breaker_a:g} A × {f.phases}φ" for f in rack.feeds)
    p.drawText(QRectF(0, 38, width, 24), Qt.AlignmentFlag.AlignCenter, f"{rated}   {feeds}".strip())
    frame = QRectF(130, head, 360, h_u * u_px)
    p.fillRect(frame.adjusted(-14, -6, 14, 6), QColor("#37474f"))
    p.fillRect(frame, QColor("#eceff1"))
    p.setFont(_font(11))
    for u in range(1, h_u + 1):
        yy = frame.bottom() - u * u_px
        p.setPen(QColor("#b0bec5"))
        p.drawLine(QPointF(frame.left(), yy), QPointF(frame.right(), yy))
        p.setPen(QColor("#eceff1"))
        p.drawText(QRectF(frame.left() - 14, yy, 12, u_px), Qt.AlignmentFlag.AlignCenter, str(u))
    pdus = [d for d in devices if d.u_position is None and d.kind == "pdu"]
    for d in devices:
        if d.u_position is None:
            continue
        hgt = max(1, d.u_height)
        r = QRectF(
            frame.left() + 3,
            frame.bottom() - (d.u_position + hgt - 1) * u_px + 2,
            frame.width() - 6,
            hgt * u_px - 4,
        )
        p.setPen(
            QPen(
                QColor("#c62828") if d.id in alarmed else QColor("#455a64"),
                3 if d.id in alarmed else 1,
            )
        )
        p.setBrush(heat_colour(inlet_max.get(d.id)))
        p.drawRoundedRect(r, 3, 3)
        p.setPen(INK)
        p.setFont(_font(12, bold=d.id in alarmed))
        v = inlet_max.get(d.id)
        label = d.name + (f"  {v:.1f} °C" if v is not None else "")
        p.drawText(
            r.adjusted(6, 0, -4, 0),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            p.fontMetrics().elidedText(label, Qt.TextElideMode.ElideRight, int(r.width() - 10)),
        )
    for i, d in enumerate(pdus[:2]):
        x0 = frame.left() - 120 if i == 0 else frame.right() + 20
        r = QRectF(x0, frame.top() + 10, 100, frame.height() - 20)
        p.setPen(QPen(QColor("#c62828") if d.id in alarmed else QColor("#455a64"), 2))
        p.setBrush(QColor("#fff8e1"))
        p.drawRoundedRect(r, 4, 4)
        p.save()
        p.translate(r.center())
        p.rotate(-90)
        p.setPen(INK)
        p.setFont(_font(14, bold=True))
        p.drawText(
            QRectF(-r.height() / 2, -12, r.height(), 24),
            Qt.AlignmentFlag.AlignCenter,
            f"{d.name}  (feed {d.feed or '?'})",
        )
        p.restore()
    ly = frame.bottom() + 22
    p.setFont(_font(13))
    x0 = 20.0
    for colour, text in heat_legend():
        p.setPen(QPen(QColor("#455a64"), 1))
        p.setBrush(colour)
        p.drawRect(QRectF(x0, ly, 18, 18))
        p.setPen(INK)
        p.drawText(QRectF(x0 + 24, ly - 2, 90, 22), Qt.AlignmentFlag.AlignVCenter, text)
        x0 += 118
    p.setFont(_font(12))
    p.drawText(
        QRectF(0, ly + 28, width, 22),
        Qt.AlignmentFlag.AlignCenter,
        "peak inlet temperature in the window; red outline = device with an alarm",
    )
    p.end()
    return img


# -- the PDF -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportInfo:
    exported_by: str
    exported_ts: int
    app_version: str
    sample_rows: int
    database: str


_CSS = """
body { font-family: 'DejaVu Sans'; font-size: 9pt; color: #222; }
h1 { font-size: 17pt; margin: 0 0 2pt 0; color: #0d47a1; }
h2 { font-size: 12.5pt; margin-top: 14pt; margin-bottom: 4pt; color: #0d47a1;
     border-bottom: 1px solid #90caf9; }
h3 { font-size: 10.5pt; margin-top: 8pt; margin-bottom: 2pt; }
table.grid { border-collapse: collapse; }
table.grid td, table.grid th { border: 1px solid #b0bec5; padding: 2pt 4pt; }
table.grid th { background: #e3f2fd; text-align: left; }
td.k { color: #555; }
.crit { color: #c62828; font-weight: bold; }
.warn { color: #e65100; font-weight: bold; }
.muted { color: #666; }
"""


def _e(s: object) -> str:
    return html.escape(str(s))


def _duration(a: int, b: int) -> str:
    m = max(0, b - a) // 60
    return f"{m // 60} h {m % 60:02d} min" if m >= 60 else f"{m} min"


def _sev(sev: str) -> str:
    cls = "crit" if sev == "critical" else "warn"
    return f'<span class="{cls}">{_e(sev)}</span>'


def summary_text(data: SnapshotData) -> str:
    """Two or three sentences a manager reads first."""
    tz = data.site.tz
    if not data.alarms:
        return (
            f"No alarm was active in {data.scope} between {local(data.start, tz)} and "
            f"{local(data.end, tz)}."
        )
    dev_rack = {d.id: d.rack_id for d in data.devices}
    racks = {r.id: r.name for r in data.racks}
    hit = sorted(
        {
            racks[r]
            for a in data.alarms
            for r in [a.rack_id if a.rack_id is not None else dev_rack.get(a.device_id or -1)]
            if r in racks
        }
    )
    crit = [a for a in data.alarms if a.severity == "critical"]
    first = min(data.alarms, key=lambda a: a.raised_ts)
    parts = [
        f"{len(data.alarms)} alarm(s) ({len(crit)} critical) on {len(hit)} rack(s)"
        + (f": {', '.join(hit[:8])}{' …' if len(hit) > 8 else ''}" if hit else "")
        + "."
    ]
    parts.append(
        f"The first, at {local(first.raised_ts, tz, '%H:%M')}: {first.text(locale_name())}."
    )
    if crit:
        c = min(crit, key=lambda a: a.raised_ts)
        parts.append(
            f"First critical at {local(c.raised_ts, tz, '%H:%M')}: {c.text(locale_name())}."
        )
    acked = [a for a in data.alarms if a.ack_by]
    still = [a for a in data.alarms if a.cleared_ts is None]
    parts.append(f"{len(acked)} acknowledged; {len(still)} still open at the end of the window.")
    peak = max(data.rack_inlet_max.items(), key=lambda kv: kv[1], default=None)
    if peak is not None and peak[0] in racks:
        parts.append(f"Hottest inlet: {peak[1]:.1f} °C in rack {racks[peak[0]]}.")
    return " ".join(parts)


def report_html(data: SnapshotData, info: ReportInfo, images: dict[str, tuple[int, int]]) -> str:
    tz = data.site.tz
    abbrev = datetime.fromtimestamp(data.start, zone(tz)).strftime("%Z")
    racks = {r.id: r for r in data.racks}
    devs = {d.id: d for d in data.devices}
    n_crit = sum(1 for a in data.alarms if a.severity == "critical")
    n_warn = len(data.alarms) - n_crit
    what = {"site": "Site", "rack": "Rack", "device": "Device"}[data.scope.kind]
    out = [f"<html><head><style>{_CSS}</style></head><body>"]
    out.append(f"<h1>Incident snapshot — {what} {_e(data.scope.name)}</h1>")
    out.append(
        f'<p class="muted">{_e(data.site.name)} ({_e(data.site.code)}) · '
        f"{_e(local(data.start, tz))} – {_e(local(data.end, tz))} {_e(abbrev)}</p>"
    )
    rows = [
        (
            "Scope",
            f"{what.lower()} {data.scope.name} — {len(data.racks)} rack(s), "
            f"{len(data.devices)} device(s), {len(data.series)} series",
        ),
        ("Site", f"{data.site.name} ({data.site.code}), time zone {tz}"),
        (
            "Window (site time)",
            f"{local(data.start, tz)} – {local(data.end, tz)} {abbrev} "
            f"({_duration(data.start, data.end)})",
        ),
        ("Window (UTC)", f"{utc(data.start)} – {utc(data.end)} UTC"),
        ("Alarms in window", f"{len(data.alarms)} ({n_crit} critical, {n_warn} warning)"),
        (
            "Exported by",
            f"{info.exported_by} on {utc(info.exported_ts)} UTC "
            f"({local(info.exported_ts, tz)} {abbrev})",
        ),
        (
            "Source",
            f"RackWatch {info.app_version}" + (f"; {info.database}" if info.database else ""),
        ),
        (
            "Data",
            f"{info.sample_rows:,} samples in data/samples.csv; every file's SHA-256 in "
            "manifest.json (check with `app.py verify`)",
        ),
    ]
    out.append('<table class="grid" width="100%" cellspacing="0">')
    for k, v in rows:
        out.append(f'<tr><td class="k" width="22%">{_e(k)}</td><td>{_e(v)}</td></tr>')
    out.append("</table>")

    out.append("<h2>Summary</h2>")
    out.append(f"<p>{_e(summary_text(data))}</p>")
    out.append("<h2>Alarms</h2>")
    if not data.alarms:
        out.append("<p>No alarm was active in this scope during the window.</p>")
    else:
        out.append(
            '<table class="grid" width="100%" cellspacing="0"><tr><th width="10%">Raised</th>'
            '<th width="9%">Severity</th><th width="17%">Where</th><th width="36%">Condition'
            '</th><th width="12%">Cleared / state</th><th width="16%">Acknowledged</th></tr>'
        )
        for a in data.alarms:
            dev = devs.get(a.device_id or -1)
            rk = racks.get(a.rack_id or (dev.rack_id if dev else -1) or -1)
            where = " / ".join(x for x in (rk.name if rk else "", dev.name if dev else "") if x)
            end = (
                f"{local(a.cleared_ts, tz, '%H:%M')} ({_duration(a.raised_ts, a.cleared_ts)})"
                if a.cleared_ts
                else f"{a.state}, open"
            )
            ack = (
                f"{_e(a.ack_by)} {local(a.ack_ts, tz, '%H:%M')}: <i>{_e(a.ack_note or '')}</i>"
                if a.ack_by and a.ack_ts
                else '<span class="muted">—</span>'
            )
            # Messages start with "RACK / DEVICE: " ("：" in Chinese); Where already says so.
            message = a.text(locale_name())
            cond = message
            if where and message.startswith(where):
                cond = message[len(where) :].lstrip(":： ") or message
            out.append(
                f"<tr><td>{_e(local(a.raised_ts, tz, '%m-%d %H:%M'))}</td><td>{_sev(a.severity)}"
                f"</td><td>{_e(where or data.site.code)}</td><td>{_e(cond)}</td>"
                f"<td>{_e(end)}</td><td>{ack}</td></tr>"
            )
        out.append("</table>")

    out.append(f"<h2>Alarm timeline ({_e(abbrev)})</h2>")
    by_id = {a.id: a for a in data.alarms}
    if not data.events:
        out.append("<p>No alarm transitions.</p>")
    else:
        verbs = {
            "raise": "raised",
            "escalate": "escalated",
            "deescalate": "eased",
            "update": "updated",
            "clear": "cleared",
            "acknowledge": "acknowledged",
            "shelve": "shelved",
            "unshelve": "unshelved",
        }
        out.append(
            '<table class="grid" width="100%" cellspacing="0"><tr><th width="13%">Time</th>'
            '<th width="13%">Event</th><th width="10%">By</th><th width="46%">Condition at '
            'that time</th><th width="18%">Operator note</th></tr>'
        )
        for ev in data.events[:400]:
            al = by_id.get(ev.alarm_id)
            if ev.user == "system":
                # The note of a system event is the condition as it stood at that moment
                # (the alarm's own severity and message may have moved on since).
                detail = (
                    ev.text(locale_name()) if ev.note else (al.text(locale_name()) if al else "")
                )
                note = ""
            else:
                detail = al.text(locale_name()) if al else f"alarm {ev.alarm_id}"
                note = ev.note or ""
            verb = verbs.get(ev.action, ev.action)
            if ev.action in ("raise", "escalate", "clear") and al is not None:
                verb = f"{verb} ({al.rule.replace('_', ' ')})"
            out.append(
                f"<tr><td>{_e(local(ev.ts, tz, '%m-%d %H:%M:%S'))}</td>"
                f"<td>{_e(verb)}</td><td>{_e(ev.user)}</td>"
                f"<td>{_e(detail)}</td><td>{_e(note)}</td></tr>"
            )
        out.append("</table>")
        if len(data.events) > 400:
            out.append(f"<p class='muted'>{len(data.events) - 400} more in alarms.csv.</p>")

    for rid in data.affected_rack_ids:
        rk = racks.get(rid)
        if rk is None:
            continue
        peak_t = data.rack_inlet_max.get(rid)
        peak_p = data.rack_power_max.get(rid)
        facts = []
        if peak_t is not None:
            facts.append(f"peak inlet {peak_t:.1f} °C")
        if peak_p is not None:
            pct = f" ({100 * peak_p / rk.rated_power_w:.0f} % of rated)" if rk.rated_power_w else ""
            facts.append(f"peak power {peak_p / 1000:.2f} kW{pct}")
        out.append(f"<h2>Rack {_e(rk.name)}</h2><p>{_e('; '.join(facts))}</p>")
        for kind in ("temperature", "power"):
            name = f"plots/{rk.name}-{kind}.png"
            if name in images:
                out.append(f'<p><img src="{_e(name)}" width="640"></p>')
        name = f"plots/{rk.name}-elevation.png"
        if name in images:
            w, h = images[name]
            out.append(
                f'<p align="center"><img src="{_e(name)}" width="{300}" '
                f'height="{int(300 * h / w)}"></p>'
            )

    def device_table(
        title: str, stats: list[DeviceStat], fmt_val: Callable[[DeviceStat], str]
    ) -> None:
        out.append(f"<h2>{_e(title)}</h2>")
        if not stats:
            out.append("<p class='muted'>No data in this window.</p>")
            return
        out.append(
            '<table class="grid" width="100%" cellspacing="0"><tr><th>#</th><th>Device</th>'
            "<th>Rack</th><th>Model</th><th>Value</th></tr>"
        )
        for i, st in enumerate(stats, 1):
            d = devs.get(st.device_id)
            rk = racks.get(d.rack_id or -1) if d else None
            out.append(
                f"<tr><td>{i}</td><td>{_e(d.name if d else st.device_id)}</td>"
                f"<td>{_e(rk.name if rk else '')}</td><td>{_e(d.model if d else '')}</td>"
                f"<td>{_e(fmt_val(st))}</td></tr>"
            )
        out.append("</table>")

    device_table(
        "Hottest devices (peak inlet temperature)", data.hottest, lambda s: f"{s.value:.1f} °C"
    )
    device_table(
        "Most loaded devices (mean power, peak)",
        data.most_loaded,
        lambda s: f"{s.value / 1000:.2f} kW (peak {s.peak / 1000:.2f} kW)",
    )
    out.append(
        "<p class='muted'>Files in this snapshot: report.pdf, data/samples.csv (UTC ISO time, "
        "site, rack, device, metric, channel, value, unit, resolution_s: 0 = raw sample, 300 = "
        "5-minute mean), alarms.csv, inventory.json (no credentials), plots/*.png, "
        "manifest.json.</p>"
    )
    out.append("</body></html>")
    return "\n".join(out)


def render_pdf(data: SnapshotData, info: ReportInfo, images: dict[str, QImage]) -> bytes:
    """report.pdf: the HTML report laid out on A4 pages by QTextDocument."""
    ba = QByteArray()
    buf = QBuffer(ba)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buf)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(14, 14, 14, 16),
            QPageLayout.Unit.Millimeter,
        )
    )
    writer.setResolution(300)
    writer.setTitle(f"RackWatch incident snapshot {data.scope}")
    writer.setCreator(f"RackWatch {info.app_version}")
    doc = QTextDocument()
    doc.setDefaultFont(_font(12))
    sizes = {}
    for name, img in images.items():
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), img)
        sizes[name] = (img.width(), img.height())
    doc.setHtml(report_html(data, info, sizes))
    # Lay out on a 680-unit wide page so the 640-wide images and 9 pt text keep proportion.
    doc.setPageSize(QSizeF(680, 680 * 297 / 210))
    doc.print_(writer)
    buf.close()
    return bytes(ba.data())
