"""The snapshot's Qt renderer: report.pdf and plots/*.png, drawn with the window's own widgets."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPoint, QRectF
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
    QTextOption,
)
from PySide6.QtWidgets import QWidget
from sqlalchemy import Engine

from models.read.inventory import RackInfo, SiteInfo
from models.read.racks import DeviceSlot, FeedInfo, RackContents, SeriesRow
from models.read.status import Summary
from models.snapshot.bundle import ReportInfo
from models.snapshot.data import (
    Curve,
    DeviceStat,
    RackStat,
    SnapshotData,
    TimelineEntry,
    rack_curves,
    rack_groups,
    rack_stats,
    timeline,
)
from models.store.samples import History
from ui import fmt
from ui.plots import PlotPanel
from ui.rack_view import RackElevation

# The page is laid out in these logical units across (A4 less margins: about 96 per inch),
# so widget renderings and text keep the proportions they have on screen.
PAGE_W = 680.0
SUMMARY_RACKS = 12  # rows of the affected-racks table on page 1; the rest in the appendix
SUMMARY_TIMELINE = 10
SUMMARY_PLOTS = 2
ELEVATIONS_PER_ROW = 4
SEVERITY_CSS = {"critical": "#c62828", "warning": "#e65100", "note": "#1565c0"}

_CSS = """
body { font-size: 10px; color: #222; }
h1 { font-size: 19px; margin: 0; color: #0d47a1; }
h2 { font-size: 14px; margin: 0; color: #0d47a1; }
p { margin: 0; }
td { padding: 2px 3px; vertical-align: top; }
th { padding: 2px 3px; text-align: left; background: #e3f2fd; font-weight: bold; }
td.k { color: #555; }
.muted { color: #666; }
.note { background: #fff8e1; }
"""


def _e(value: object) -> str:
    # No soft breaks inserted: they would end up in the PDF's text and break searches; the
    # document wraps an over-long token anywhere instead (WrapAtWordBoundaryOrAnywhere).
    return html.escape(str(value))


def _local(ts: int | None, tz: str, fmt_: str = "%Y-%m-%d %H:%M") -> str:
    if ts is None:
        return "—"
    return dt.datetime.fromtimestamp(ts, fmt.zone(tz)).strftime(fmt_)


def _abbrev(ts: int, tz: str) -> str:
    return dt.datetime.fromtimestamp(ts, fmt.zone(tz)).strftime("%Z")


def _duration(seconds: float) -> str:
    m = int(max(0, seconds) // 60)
    return f"{m // 60} h {m % 60:02d} min" if m >= 60 else f"{m} min"


def png_bytes(img: QImage) -> bytes:
    ba = QByteArray()
    buf = QBuffer(ba)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    # Quality 85: lighter zlib compression, a quarter faster than the default for 15 % more bytes.
    img.save(buf, "PNG", 85)  # type: ignore[call-overload]
    buf.close()
    return bytes(ba.data())


# -- the flow layout ------------------------------------------------------------------------------


@dataclass
class _Block:
    """Something placed on a page: text (an HTML fragment), widgets, or a page break."""

    html: str = ""
    # The window's widgets, drawn side by side straight onto the PDF (vector, not pixels),
    # each scaled to its share of the page width when wider.
    widgets: list[QWidget] = field(default_factory=list)
    columns: int = 0  # page width shares for the widgets (0: one per widget)
    keep_with_next: bool = False
    page_break: bool = False
    space_after: float = 6.0
    header: str = ""  # a table's header row, repeated when the table continues on a new page
    rows: list[str] = field(default_factory=list)


def _doc(body: str, width: float) -> QTextDocument:
    doc = QTextDocument()
    f = QFont("DejaVu Sans")
    f.setPixelSize(10)
    # Without ligatures: "ﬁ" and "ﬀ" glyphs make the PDF's text unsearchable ("Aﬀected").
    for tag in ("liga", "clig", "dlig"):
        f.setFeature(QFont.Tag(tag), 0)
    doc.setDefaultFont(f)
    doc.setDefaultStyleSheet(_CSS)
    opt = QTextOption()
    # Nothing may run into the next column: words wrap, and an unbreakable token breaks anywhere.
    opt.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    doc.setDefaultTextOption(opt)
    doc.setDocumentMargin(0)
    doc.setHtml(f"<html><body>{body}</body></html>")
    doc.setTextWidth(width)
    return doc


def _table(widths: list[int], cells: list[str], header: bool = False, shade: bool = False) -> str:
    tag = "th" if header else "td"
    bg = ' bgcolor="#f3f6f9"' if shade else ""
    tds = "".join(
        f'<{tag} width="{w}%"{bg}>{c}</{tag}>' for w, c in zip(widths, cells, strict=True)
    )
    return f'<table width="100%" cellspacing="0" cellpadding="2"><tr>{tds}</tr></table>'


class _Pages:
    """Places blocks top to bottom, page by page, on a QPdfWriter."""

    def __init__(self, writer: QPdfWriter) -> None:
        self.writer = writer
        self.scale = writer.width() / PAGE_W
        self.page_h = writer.height() / self.scale
        self.painter = QPainter(writer)
        self.painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.painter.scale(self.scale, self.scale)
        self.y = 0.0
        self.pages = 1

    def new_page(self) -> None:
        self.writer.newPage()
        self.pages += 1
        self.y = 0.0

    @staticmethod
    def _widget_scale(b: _Block) -> float:
        share = PAGE_W / max(1, b.columns or len(b.widgets))
        return min(1.0, min(share / max(1, w.width()) for w in b.widgets))

    def _height(self, b: _Block) -> float:
        if b.widgets:
            return self._widget_scale(b) * max(w.height() for w in b.widgets)
        if b.rows:
            return _doc(b.header, PAGE_W).size().height() + _doc(b.rows[0], PAGE_W).size().height()
        return _doc(b.html, PAGE_W).size().height()

    def _draw_doc(self, body: str) -> None:
        doc = _doc(body, PAGE_W)
        h = doc.size().height()
        if self.y + h > self.page_h and self.y > 0:
            self.new_page()
        self.painter.save()
        self.painter.translate(0, self.y)
        doc.drawContents(self.painter, QRectF(0, 0, PAGE_W, h))
        self.painter.restore()
        self.y += h

    def place(self, blocks: list[_Block]) -> None:
        for i, b in enumerate(blocks):
            if b.page_break:
                if self.y > 0:
                    self.new_page()
                continue
            need = self._height(b)
            # A heading stays with (the start of) what follows it: no orphan headers.
            j = i
            while blocks[j].keep_with_next and j + 1 < len(blocks):
                j += 1
                need += self._height(blocks[j])
            if self.y + need > self.page_h and self.y > 0:
                self.new_page()
            if b.widgets:
                k = self._widget_scale(b)
                share = PAGE_W / max(1, b.columns or len(b.widgets))
                for n, w in enumerate(b.widgets):
                    self.painter.save()
                    self.painter.translate(n * share + (share - k * w.width()) / 2, self.y)
                    self.painter.scale(k, k)
                    w.render(self.painter, QPoint(0, 0))
                    self.painter.restore()
                self.y += self._height(b)
            elif b.rows:
                self._draw_doc(b.header)
                for row in b.rows:
                    doc_h = _doc(row, PAGE_W).size().height()
                    if self.y + doc_h > self.page_h:
                        self.new_page()
                        self._draw_doc(b.header)
                    self._draw_doc(row)
            else:
                self._draw_doc(b.html)
            self.y += b.space_after

    def finish(self) -> None:
        self.painter.end()


# -- what goes on the pages ------------------------------------------------------------------------


def _heading(text: str, level: int = 2) -> _Block:
    return _Block(f"<h{level}>{html.escape(text)}</h{level}>", keep_with_next=True, space_after=3)


def _grid(widths: list[int], header: list[str], rows: list[list[str]]) -> _Block:
    return _Block(
        header=_table(widths, header, header=True),
        rows=[_table(widths, r, shade=i % 2 == 1) for i, r in enumerate(rows)],
    )


def _scope_title(data: SnapshotData) -> str:
    kind = {"site": "Site", "row": "Row", "rack": "Rack", "device": "Device"}[data.scope.kind]
    if data.scope.kind == "site":
        return f"{kind} {data.site.code}"
    return f"{kind} {data.scope.name.rpartition('/')[2]} ({data.site.code})"


def _facts(data: SnapshotData, info: ReportInfo) -> _Block:
    tz = data.site.tz
    ab = _abbrev(data.start, tz)
    n_crit = sum(1 for a in data.alarms if a.severity == "critical")
    rows = [
        (
            "Scope",
            f"{_scope_title(data)}: {len(data.racks)} rack(s), {len(data.devices)} device(s), "
            f"{len(data.series)} series",
        ),
        ("Site", f"{data.site.name} ({data.site.code}), time zone {tz}"),
        (
            "Window",
            f"{_local(data.start, tz)} – {_local(data.end, tz)} {ab} ({tz}), "
            f"{_duration(data.end - data.start)}",
        ),
        ("Window (UTC)", f"{_local(data.start, 'UTC')} – {_local(data.end, 'UTC')} UTC"),
        ("Alarms", f"{len(data.alarms)} ({n_crit} critical) — each one in alarms.csv"),
        (
            "Exported",
            f"by {info.exported_by}, {_local(info.exported_ts, tz)} {_abbrev(info.exported_ts, tz)}"
            f"; RackWatch {info.app_version}",
        ),
    ]
    body = "".join(
        _table([20, 80], [f'<span class="k">{_e(k)}</span>', _e(v)], shade=i % 2 == 1)
        for i, (k, v) in enumerate(rows)
    )
    return _Block(body)


def _note(info: ReportInfo) -> list[_Block]:
    text = info.note.strip()
    body = (
        "<br>".join(_e(line) for line in text.splitlines())
        if text
        else '<span class="muted">None entered at export.</span>'
    )
    return [
        _heading("Root cause / notes"),
        _Block(
            f'<table width="100%" cellpadding="4"><tr><td class="note">{body}</td></tr></table>'
        ),
    ]


def _summary_sentence(data: SnapshotData, stats: list[RackStat]) -> _Block:
    tz = data.site.tz
    if not data.alarms:
        return _Block(f"<p>No alarm was active in {_e(_scope_title(data))} during the window.</p>")
    crit = [a for a in data.alarms if a.severity == "critical"]
    first = min(data.alarms, key=lambda a: a.raised_ts)
    hot = max(
        (s for s in stats if s.peak_inlet is not None),
        key=lambda s: s.peak_inlet or 0,
        default=None,
    )
    parts = [
        f"{len(data.alarms)} alarm(s), {len(crit)} critical, on {sum(1 for s in stats if s.worst)} "
        f"rack(s); the first at {_local(first.raised_ts, tz, '%H:%M')}."
    ]
    if hot is not None and hot.peak_inlet is not None:
        parts.append(
            f"Hottest inlet {hot.peak_inlet:.1f} °C in {hot.name} at "
            f"{_local(hot.peak_inlet_ts, tz, '%H:%M')}."
        )
    still = sum(1 for a in data.alarms if a.cleared_ts is None)
    acked = sum(1 for a in data.alarms if a.ack_by)
    parts.append(f"{acked} acknowledged; {still} still open at the end of the window.")
    return _Block(f"<p>{_e(' '.join(parts))}</p>")


def _rack_table(data: SnapshotData, stats: list[RackStat]) -> _Block:
    tz = data.site.tz
    widths = [22, 14, 9, 9, 16, 8, 22]
    limits = {(s.warn_c, s.crit_c) for s in stats if s.uniform_limits}
    same = len(limits) == 1 and all(s.uniform_limits for s in stats)
    warn, crit = next(iter(limits)) if same else (None, None)
    header = [
        "Rack",
        "Peak inlet",
        f"Min above {warn:g} °C" if same and warn is not None else "Min above warning*",
        f"Min above {crit:g} °C" if same and crit is not None else "Min above critical*",
        "Peak power",
        "% of rated",
        "Acknowledged",
    ]
    rows = []
    for s in stats:
        colour = SEVERITY_CSS.get(s.worst, "#222")
        rows.append(
            [
                f'<span style="color:{colour}; font-weight:bold">{_e(s.name)}</span>',
                "—"
                if s.peak_inlet is None
                else f"{s.peak_inlet:.1f} °C at {_local(s.peak_inlet_ts, tz, '%H:%M')}",
                f"{s.minutes_warn:.0f}",
                f"{s.minutes_crit:.0f}",
                "—"
                if s.peak_w is None
                else f"{s.peak_w / 1000:.2f} kW at {_local(s.peak_w_ts, tz, '%H:%M')}",
                "—" if s.pct_rated is None else f"{s.pct_rated:.0f} %",
                _e(f"{s.ack_by} {_local(s.ack_ts, tz, '%H:%M')}") if s.ack_by else "—",
            ]
        )
    return _grid(widths, header, rows)


def _timeline_table(data: SnapshotData, entries: list[TimelineEntry]) -> _Block:
    tz = data.site.tz
    widths = [17, 31, 20, 32]
    rows = []
    for e in entries:
        colour = SEVERITY_CSS.get(e.severity, "#222")
        when = _local(e.start, tz, "%m-%d %H:%M")
        if e.severity != "note":
            when += " – " + (_local(e.end, tz, "%H:%M") if e.end else "open")
        racks = ", ".join(e.racks[:6]) + (f" +{len(e.racks) - 6}" if len(e.racks) > 6 else "")
        if e.severity == "note":
            detail = f"“{e.detail}”" if e.detail else ""
        else:
            detail = f"first: {e.detail}"
            if e.crit_ts is not None and e.crit_message != e.detail:
                detail += f"; critical from {_local(e.crit_ts, tz, '%H:%M')}: {e.crit_message}"
            for ts, rule, message in e.others:
                if message not in (e.detail, e.crit_message):
                    detail += f"; {rule.replace('_', ' ')} {_local(ts, tz, '%H:%M')}: {message}"
        rows.append(
            [
                _e(when),
                f'<span style="color:{colour}">{_e(e.what)}</span>'
                + (f" ({e.alarms} in the window)" if e.severity != "note" else ""),
                _e(racks),
                _e(detail),
            ]
        )
    return _grid(widths, ["Time", "What", "Racks", "Detail"], rows)


def _plot_widget(
    rows: tuple[SeriesRow, ...],
    hist: dict[int, History],
    data: SnapshotData,
    mode: str,
    width: int = 680,
    height: int = 250,
) -> PlotPanel:
    """The window's plot panel (without its controls) showing rows over the window."""
    panel = PlotPanel(None, static=True)
    panel.set_zone(data.site.tz)
    panel.axis.set_zone(data.site.tz, at=data.start)
    panel.show_data(mode, rows, hist, data.start, data.end)
    panel.resize(width, height)
    lay = panel.layout()
    if lay is not None:
        lay.activate()
    return panel


def _grab(widget: QWidget, scale: float = 2.0) -> QImage:
    """A widget as a PNG-ready image at scale x its size (for plots/*.png)."""
    img = QImage(
        int(widget.width() * scale), int(widget.height() * scale), QImage.Format.Format_ARGB32
    )
    img.fill(QColor("#ffffff"))
    # Through a scaled painter: QWidget.render onto a high-DPI QImage paints at 1x in a corner.
    painter = QPainter(img)
    painter.scale(scale, scale)
    widget.render(painter, QPoint(0, 0))
    painter.end()
    return img


def _group_rows(
    data: SnapshotData, rids: list[int], curves: dict[int, Curve], what: str, stats: list[RackStat]
) -> tuple[tuple[SeriesRow, ...], dict[int, History]]:
    """The rack curves as plot rows: one line per rack (its hottest inlet or its kW)."""
    lim = {s.rack_id: s for s in stats}
    rows = []
    hist: dict[int, History] = {}
    for rid in rids:
        rack = data.rack(rid)
        c = curves.get(rid)
        if rack is None or c is None or not len(c.ts):
            continue
        key = -rid  # not a series id: a rack's derived curve
        if what == "inlet":
            st = lim.get(rid)
            rows.append(
                SeriesRow(
                    key, 0, rack.name, "temperature_c", "", "inlet", "°C", None,
                    st.warn_c if st else None, None, st.crit_c if st else None,
                    c.at(data.end), data.end, "ok",
                )
            )  # fmt: skip
            hist[key] = c.history(key)
        else:
            kw = Curve(c.ts, c.values / 1000.0, c.interval_s)
            rows.append(
                SeriesRow(
                    key, 0, rack.name, "power_w", "", None, "kW", None, None, None, None,
                    kw.at(data.end), data.end, "ok",
                )
            )  # fmt: skip
            hist[key] = kw.history(key)
    return tuple(rows), hist


def _elevation(data: SnapshotData, rid: int) -> RackElevation | None:
    """The window's rack elevation, devices coloured by their peak inlet in the window."""
    rack = data.rack(rid)
    if rack is None:
        return None
    alarmed: dict[int, str] = {}
    for a in data.alarms:
        if a.device_id is not None:
            prev = alarmed.get(a.device_id, "")
            alarmed[a.device_id] = "critical" if "critical" in (prev, a.severity) else "warning"
    slots = []
    for d in data.devices:
        if d.rack_id != rid:
            continue
        state = alarmed.get(d.id, "ok")
        inlet = data.device_inlet_max.get(d.id)
        crit = state == "critical"
        summary = Summary(
            d.id, state, 1, 0, 0, 0, int(state == "warning"), int(crit), inlet, None, data.end
        )
        slots.append(
            DeviceSlot(
                d.id, d.name, d.kind, d.u_position, d.u_height, d.feed, d.model, d.serial,
                d.address, d.protocol, d.poll_interval_s, summary, None,
            )
        )  # fmt: skip
    slots.sort(key=lambda s: (-(s.u_position or 0), s.name))
    contents = RackContents(
        SiteInfo(data.site.id, data.site.code, data.site.name, data.site.tz),
        RackInfo(rack.id, data.site.id, rack.name, rack.row, rack.position, rack.height_u,
                 rack.rated_power_w),
        tuple(FeedInfo(f.feed, f.breaker_a, f.phases, f.voltage_v) for f in rack.feeds),
        tuple(slots),
        None,
    )  # fmt: skip
    view = RackElevation()
    view.set_contents(contents, data.end)
    view.resize(240, 24 + rack.height_u * 13 + 10)
    return view


def _device_table(data: SnapshotData, stats: list[DeviceStat], value: str) -> _Block:
    devs = {d.id: d for d in data.devices}
    rows = []
    for i, st in enumerate(stats, 1):
        d = devs.get(st.device_id)
        rack = data.rack(d.rack_id) if d else None
        shown = (
            f"{st.value:.1f} °C"
            if value == "inlet"
            else f"{st.value / 1000:.2f} kW (peak {st.peak / 1000:.2f})"
        )
        rows.append(
            [
                str(i),
                _e(d.name if d else st.device_id),
                _e(rack.name if rack else ""),
                _e(d.model if d else ""),
                shown,
            ]
        )
    return _grid([5, 33, 14, 28, 20], ["#", "Device", "Rack", "Model", "Value"], rows)


def _alarm_groups(data: SnapshotData) -> _Block:
    """Alarms counted by rack and rule: the appendix's view; per-sensor lines are in the CSV."""
    tz = data.site.tz
    dev_rack = {d.id: d.rack_id for d in data.devices}
    groups: dict[tuple[str, str], list[int]] = {}
    for i, a in enumerate(data.alarms):
        rid = a.rack_id if a.rack_id is not None else dev_rack.get(a.device_id or -1)
        rack = data.rack(rid)
        groups.setdefault((rack.name if rack else data.site.code, a.rule), []).append(i)
    rows = []
    for (rack_name, rule), idx in sorted(groups.items()):
        al = [data.alarms[i] for i in idx]
        worst = "critical" if any(a.severity == "critical" for a in al) else al[0].severity
        sensors = len({a.series_id for a in al if a.series_id is not None})
        acked = sorted({a.ack_by for a in al if a.ack_by})
        rows.append(
            [
                _e(rack_name),
                _e(rule.replace("_", " ")),
                f'<span style="color:{SEVERITY_CSS.get(worst, "#222")}">{_e(worst)}</span>',
                f"{len(al)} / {sensors}",
                _e(_local(min(a.raised_ts for a in al), tz, "%m-%d %H:%M")),
                _e(", ".join(acked) or "—"),
            ]
        )
    return _grid(
        [15, 17, 12, 14, 17, 25],
        ["Rack", "Rule", "Worst", "Alarms / sensors", "First raised", "Acknowledged by"],
        rows,
    )


def render_report(engine: Engine, data: SnapshotData, info: ReportInfo) -> dict[str, bytes]:
    """report.pdf and the PNGs of its plots and elevations. Call on the GUI thread."""
    curves = data.curves or rack_curves(engine, data, data.affected_rack_ids)
    power, inlet = curves.power, curves.inlet
    stats = rack_stats(data, curves)
    entries = timeline(data, fmt.locale_name())
    groups = rack_groups(data)
    files: dict[str, bytes] = {}
    images: dict[str, QWidget] = {}
    for row, rids in groups:
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in row)
        for what, mode in (("inlet", "rack_inlet"), ("power", "rack_power")):
            rows, hist = _group_rows(data, rids, inlet if what == "inlet" else power, what, stats)
            if rows:
                images[f"plots/row-{safe}-{what}.png"] = _plot_widget(rows, hist, data, mode)
    elevations: list[QWidget] = []
    for rid in (r for _row, rids in groups for r in rids):  # by row and position
        view = _elevation(data, rid)
        rack = data.rack(rid)
        if view is not None and rack is not None:
            images[f"plots/{rack.name}-elevation.png"] = view
            elevations.append(view)
    for name, widget in images.items():
        files[name] = png_bytes(_grab(widget))

    tz = data.site.tz
    blocks: list[_Block] = [
        _Block(f"<h1>Incident snapshot — {_e(_scope_title(data))}</h1>", space_after=2),
        _Block(
            f'<p class="muted">{_e(data.site.name)} · {_e(_local(data.start, tz))} – '
            f"{_e(_local(data.end, tz))} {_e(_abbrev(data.start, tz))}</p>"
        ),
        _facts(data, info),
        *_note(info),
        _heading("Summary"),
        _summary_sentence(data, stats),
    ]
    if stats:
        shown = stats[:SUMMARY_RACKS]
        blocks += [_heading("Affected racks"), _rack_table(data, shown)]
        if (
            not all(s.uniform_limits for s in shown)
            or len({(s.warn_c, s.crit_c) for s in shown}) > 1
        ):
            blocks.append(
                _Block(
                    '<p class="muted">* time any inlet sensor of the rack was above its own '
                    "effective warning / critical limit.</p>"
                )
            )
        if len(stats) > len(shown):
            blocks.append(
                _Block(f'<p class="muted">{len(stats) - len(shown)} more in the appendix.</p>')
            )
    if entries:
        blocks += [_heading(f"Timeline ({_abbrev(data.start, tz)})")]
        blocks.append(_timeline_table(data, entries[:SUMMARY_TIMELINE]))
        if len(entries) > SUMMARY_TIMELINE:
            blocks.append(
                _Block(
                    f'<p class="muted">{len(entries) - SUMMARY_TIMELINE} more in the appendix.</p>'
                )
            )
    for row, _rids in groups[:SUMMARY_PLOTS]:
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in row)
        name = f"plots/row-{safe}-inlet.png"
        if name in images:
            blocks += [
                _heading(f"Hottest inlet per rack, row {row}"),
                _Block(widgets=[images[name]]),
            ]

    # -- appendix
    blocks.append(_Block(page_break=True))
    blocks.append(_Block("<h1>Appendix</h1>", keep_with_next=True))
    for row, _rids in groups:
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in row)
        name = f"plots/row-{safe}-power.png"
        if name in images:
            blocks += [
                _heading(f"Rack power (sum of the PDU totals), row {row}"),
                _Block(widgets=[images[name]]),
            ]
    for row, _rids in groups[SUMMARY_PLOTS:]:
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in row)
        name = f"plots/row-{safe}-inlet.png"
        if name in images:
            blocks += [
                _heading(f"Hottest inlet per rack, row {row}"),
                _Block(widgets=[images[name]]),
            ]
    if len(stats) > SUMMARY_RACKS:
        blocks += [_heading("Affected racks (all)"), _rack_table(data, stats)]
    if len(entries) > SUMMARY_TIMELINE:
        blocks += [_heading("Timeline (all)"), _timeline_table(data, entries)]
    if elevations:
        blocks.append(_heading("Rack elevations (devices coloured by their peak inlet)"))
        for i in range(0, len(elevations), ELEVATIONS_PER_ROW):
            chunk = elevations[i : i + ELEVATIONS_PER_ROW]
            blocks.append(_Block(widgets=chunk, columns=ELEVATIONS_PER_ROW, space_after=8))
    if data.alarms:
        blocks += [_heading("Alarms by rack and rule"), _alarm_groups(data)]
    if data.hottest:
        blocks += [
            _heading("Hottest devices (peak inlet)"),
            _device_table(data, data.hottest, "inlet"),
        ]
    if data.most_loaded:
        blocks += [
            _heading("Most loaded devices (mean power)"),
            _device_table(data, data.most_loaded, "power"),
        ]
    blocks += [
        _heading("About this snapshot"),
        _Block(
            f"<p>{info.sample_rows:,} samples in data/samples.csv; alarms.csv lists every alarm "
            "with its acknowledgement; inventory.json holds the scope's racks, devices and "
            "series (no credentials). CSV files are UTF-8 with a byte-order mark, comma-"
            "separated, times ISO 8601 in UTC (+00:00). Rack power is the sum of each PDU's "
            "total at the same instant. Every file's SHA-256 is in manifest.json: "
            "<i>app.py verify FILE.zip</i> checks them.</p>"
        ),
    ]

    ba = QByteArray()
    buf = QBuffer(ba)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buf)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(14, 14, 14, 14),
            QPageLayout.Unit.Millimeter,
        )
    )
    writer.setResolution(300)
    writer.setTitle(f"RackWatch incident snapshot {data.scope}")
    writer.setCreator(f"RackWatch {info.app_version}")
    pages = _Pages(writer)
    pages.place(blocks)
    pages.finish()
    for widget in images.values():
        widget.deleteLater()
    buf.close()
    files["report.pdf"] = bytes(ba.data())
    return files
