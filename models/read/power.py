"""Power truth reads: outlet mapping with its series, cross-check rows, headroom and what-if."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, text

from models.power_truth import (
    BUCKET_S,
    WEEK_S,
    FeedHeadroom,
    ModelPeak,
    Verdict,
    WhatIf,
    check,
    failover_headroom,
    group_links,
    model_peak,
    outlet_number,
    what_if,
)
from models.read.common import _chunks, _now
from models.rules import Rules, current_rules
from models.series_meaning import channel_class, device_power, phase_number


@dataclass(frozen=True, slots=True)
class PsuLink:
    psu: int
    feed: str
    outlet: int
    pdu_id: int | None  # the PDU on that feed (None: the rack has none, or several unnamed)
    pdu_name: str
    outlet_sid: int | None  # that outlet's power_w series (None: the PDU does not meter it)


@dataclass(frozen=True, slots=True)
class ServerLink:
    device_id: int
    name: str
    model: str
    site_id: int
    rack_id: int
    power_sids: tuple[int, ...]  # the server's own input power (totals, else PSU parts)
    psus: tuple[PsuLink, ...]


@dataclass(frozen=True, slots=True)
class FreeOutlet:
    """A metered outlet of a PDU in a mapped rack that no device is mapped to."""

    pdu_id: int
    pdu_name: str
    outlet: int
    sid: int
    site_id: int
    rack_id: int


@dataclass(frozen=True, slots=True)
class PowerMap:
    servers: tuple[ServerLink, ...]
    free_outlets: tuple[FreeOutlet, ...]

    def groups(self) -> dict[int, int]:
        """Server id -> group id (servers sharing an outlet are judged together)."""
        return group_links(
            (s.device_id, (p.pdu_id, p.outlet))
            for s in self.servers
            for p in s.psus
            if p.pdu_id is not None
        )


def _cls(stored: str | None, metric: str, channel: str, kind: str, rules: Rules) -> str:
    # The series row says what it is; rows written before the collector decided it fall back
    # to the one shared decision (models.series_meaning), never to labels of our own.
    return stored or channel_class(metric, channel, None, rules)


def load_power_map(
    conn: Connection, rack_ids: Sequence[int] | None = None, rules: Rules | None = None
) -> PowerMap:
    """Every mapped device (of the given racks, or all) with its power and outlet series."""
    rules = rules or current_rules()
    where = ""
    params: dict[str, object] = {}
    if rack_ids is not None:
        if not rack_ids:
            return PowerMap((), ())
        where = " AND d.rack_id IN (" + ",".join(str(int(r)) for r in rack_ids) + ")"
    psu_rows = conn.execute(
        text(
            "SELECT p.device_id, p.psu, p.feed, p.outlet, p.pdu_name, d.name, d.model, "
            "d.site_id, d.rack_id FROM device_psu p JOIN device d ON d.id = p.device_id "
            "WHERE d.rack_id IS NOT NULL" + where + " ORDER BY p.device_id, p.psu"
        ),
        params,
    ).all()
    if not psu_rows:
        return PowerMap((), ())
    racks = sorted({int(r.rack_id) for r in psu_rows})
    pdus: dict[int, list[tuple[int, str, str]]] = defaultdict(list)  # rack -> (id, name, feed)
    for chunk in _chunks(racks):
        for row in conn.execute(
            text(
                "SELECT id, name, feed, rack_id FROM device WHERE kind = 'pdu' AND rack_id IN ("
                + ",".join(map(str, chunk))
                + ")"
            )
        ):
            pdus[int(row.rack_id)].append((int(row.id), str(row.name), str(row.feed or "")))
    servers = sorted({int(r.device_id) for r in psu_rows})
    pdu_ids = [p[0] for ps in pdus.values() for p in ps]
    power: dict[int, list[tuple[int, str]]] = defaultdict(list)  # server -> (sid, class)
    outlets: dict[tuple[int, int], int] = {}  # (pdu, outlet) -> sid
    for ids, kind in ((servers, "server"), (pdu_ids, "pdu")):
        for chunk in _chunks(ids):
            for row in conn.execute(
                text(
                    "SELECT id, device_id, channel, channel_class FROM series "
                    "WHERE metric = 'power_w' AND device_id IN ("
                    + ",".join(map(str, chunk))
                    + ") ORDER BY id"
                )
            ):
                cls = _cls(row.channel_class, "power_w", str(row.channel), kind, rules)
                if kind == "server":
                    power[int(row.device_id)].append((int(row.id), cls))
                elif cls == "outlet":
                    n = outlet_number(str(row.channel))
                    if n is not None:
                        outlets.setdefault((int(row.device_id), n), int(row.id))
    by_server: dict[int, list[PsuLink]] = defaultdict(list)
    info: dict[int, tuple[str, str, int, int]] = {}
    used: set[tuple[int, int]] = set()
    for r in psu_rows:
        rack_pdus = pdus.get(int(r.rack_id), [])
        if r.pdu_name:
            cands = [p for p in rack_pdus if p[1] == r.pdu_name]
        else:
            cands = [p for p in rack_pdus if p[2] == r.feed]
        pdu = cands[0] if len(cands) == 1 else None
        sid = outlets.get((pdu[0], int(r.outlet))) if pdu else None
        if pdu is not None:
            used.add((pdu[0], int(r.outlet)))
        by_server[int(r.device_id)].append(
            PsuLink(
                int(r.psu),
                str(r.feed),
                int(r.outlet),
                pdu[0] if pdu else None,
                pdu[1] if pdu else (r.pdu_name or ""),
                sid,
            )
        )
        info[int(r.device_id)] = (str(r.name), str(r.model or ""), int(r.site_id), int(r.rack_id))
    links = tuple(
        ServerLink(
            dev,
            *info[dev][:2],
            info[dev][2],
            info[dev][3],
            tuple(device_power("server", power.get(dev, []))),
            tuple(psus),
        )
        for dev, psus in by_server.items()
    )
    rack_of_pdu = {p[0]: (rack, p[1]) for rack, ps in pdus.items() for p in ps}
    site_of_rack = {s.rack_id: s.site_id for s in links}
    free = tuple(
        FreeOutlet(
            pdu, rack_of_pdu[pdu][1], n, sid, site_of_rack[rack_of_pdu[pdu][0]], rack_of_pdu[pdu][0]
        )
        for (pdu, n), sid in sorted(outlets.items())
        if (pdu, n) not in used
    )
    return PowerMap(links, free)


# -- the cross-check as desks show it ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TruthRow:
    device_id: int
    name: str
    model: str
    rack_id: int
    server_w: float | None  # its own reading
    outlet_w: float | None  # the sum of its outlets (of its group, when outlets are shared)
    outlets: str  # "A7 B7"
    shared_with: int  # other servers in its outlet group
    verdict: Verdict | None

    @property
    def ratio(self) -> float | None:
        if self.verdict is None or math.isnan(self.verdict.ratio):
            return None
        return self.verdict.ratio


def _latest(conn: Connection, sids: Iterable[int]) -> dict[int, float]:
    out: dict[int, float] = {}
    ids = sorted(set(sids))
    for chunk in _chunks(ids):
        for row in conn.execute(
            text(
                "SELECT series_id, value FROM latest WHERE series_id IN ("
                + ",".join(map(str, chunk))
                + ")"
            )
        ):
            out[int(row.series_id)] = float(row.value)
    return out


def truth_rows(
    engine: Engine, rack_ids: Sequence[int] | None = None, rules: Rules | None = None
) -> list[TruthRow]:
    """One row per mapped server: both numbers, their ratio and the verdict (latest values)."""
    rules = rules or current_rules()
    with engine.connect() as conn:
        pmap = load_power_map(conn, rack_ids, rules)
        vals = _latest(
            conn,
            [sid for s in pmap.servers for sid in s.power_sids]
            + [p.outlet_sid for s in pmap.servers for p in s.psus if p.outlet_sid is not None],
        )
    groups = pmap.groups()
    members: dict[int, list[ServerLink]] = defaultdict(list)
    for s in pmap.servers:
        members[groups.get(s.device_id, s.device_id)].append(s)
    rows: list[TruthRow] = []
    for s in pmap.servers:
        group = members[groups.get(s.device_id, s.device_id)]
        own = [vals.get(sid) for sid in s.power_sids]
        server_w = sum(v for v in own if v is not None) if any(v is not None for v in own) else None
        label = " ".join(f"{p.feed}{p.outlet}" for p in s.psus)
        outlet_sids = sorted({p.outlet_sid for g in group for p in g.psus if p.outlet_sid})
        metered = all(p.outlet_sid is not None for g in group for p in g.psus)
        outlet_vals = [vals.get(sid) for sid in outlet_sids]
        group_w = [
            sum(vals.get(sid, math.nan) for sid in g.power_sids) if g.power_sids else math.nan
            for g in group
        ]
        verdict = None
        outlet_w = None
        if metered and outlet_sids and all(v is not None for v in outlet_vals):
            outlet_w = float(sum(v for v in outlet_vals if v is not None))
            total_server = float(sum(group_w))
            if not math.isnan(total_server):
                per = (
                    [vals[p.outlet_sid] for p in s.psus if p.outlet_sid is not None]
                    if len(group) == 1
                    else [outlet_w]
                )
                verdict = check(total_server, per, rules.power_truth)
        rows.append(
            TruthRow(
                s.device_id,
                s.name,
                s.model,
                s.rack_id,
                server_w,
                outlet_w,
                label,
                len(group) - 1,
                verdict,
            )
        )
    return rows


# -- peaks ---------------------------------------------------------------------------------


def bucket_maxima(conn: Connection, sids: Sequence[int], start: int) -> dict[int, dict[int, float]]:
    """sid -> {5-minute bucket start: max value} since start, from raw samples and the 5-minute
    rollup (whichever still holds the bucket; the larger maximum when both do)."""
    out: dict[int, dict[int, float]] = defaultdict(dict)
    for chunk in _chunks(sorted(set(sids))):
        ids = ",".join(map(str, chunk))
        for sql in (
            f"SELECT series_id, (ts / {BUCKET_S}) * {BUCKET_S} AS b, max(value) AS v FROM sample "
            f"WHERE series_id IN ({ids}) AND ts >= :start GROUP BY series_id, (ts / {BUCKET_S})",
            f"SELECT series_id, bucket AS b, max AS v FROM rollup WHERE res = {BUCKET_S} "
            f"AND series_id IN ({ids}) AND bucket >= :start",
        ):
            for row in conn.execute(text(sql), {"start": start}):
                d = out[int(row.series_id)]
                b = int(row.b)
                d[b] = max(d.get(b, -math.inf), float(row.v))
    return out


@dataclass(frozen=True, slots=True)
class RackHeadroom:
    rack_id: int
    voltage_v: float
    feeds: list[FeedHeadroom]


def _phase_series(
    conn: Connection, rack_ids: Sequence[int], rules: Rules
) -> tuple[dict[int, list[tuple[int, str, int]]], dict[int, dict[str, tuple[float, int, float]]]]:
    """rack -> [(sid, feed, phase)] of PDU phase currents; rack -> feed -> (breaker, phases, V)."""
    feeds: dict[int, dict[str, tuple[float, int, float]]] = defaultdict(dict)
    phase: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    for chunk in _chunks(sorted(rack_ids)):
        ids = ",".join(map(str, chunk))
        for row in conn.execute(
            text(
                "SELECT rack_id, feed, breaker_a, phases, voltage_v FROM rack_feed "
                f"WHERE rack_id IN ({ids})"
            )
        ):
            feeds[int(row.rack_id)][str(row.feed)] = (
                float(row.breaker_a),
                int(row.phases or 1),
                float(row.voltage_v or 230.0),
            )
        for row in conn.execute(
            text(
                "SELECT s.id, s.channel, s.channel_class, d.feed, d.rack_id FROM series s "
                "JOIN device d ON d.id = s.device_id WHERE d.kind = 'pdu' AND "
                f"s.metric = 'current_a' AND d.rack_id IN ({ids}) ORDER BY s.id"
            )
        ):
            rack = int(row.rack_id)
            feed = str(row.feed or "")
            spec = feeds[rack].get(feed)
            if spec is None:
                continue
            cls = _cls(row.channel_class, "current_a", str(row.channel), "pdu", rules)
            n = phase_number(str(row.channel), cls, rules, spec[1])
            if n is not None and cls in ("phase", "total"):
                phase[rack].append((int(row.id), feed, n))
    return phase, feeds


def racks_headroom(
    engine: Engine, rack_ids: Sequence[int], now: int | None = None, rules: Rules | None = None
) -> dict[int, RackHeadroom]:
    """Failover headroom of racks from their PDUs' phase currents over the last week."""
    rules = rules or current_rules()
    t = _now(now)
    out: dict[int, RackHeadroom] = {}
    with engine.connect() as conn:
        phase, feeds = _phase_series(conn, rack_ids, rules)
        maxima = bucket_maxima(conn, [s for ps in phase.values() for s, _, _ in ps], t - WEEK_S)
    for rack in rack_ids:
        spec = feeds.get(rack, {})
        buckets: dict[tuple[str, int], dict[int, float]] = defaultdict(dict)
        for sid, feed, n in phase.get(rack, []):
            # Two series for one feed and phase (two PDUs on feed A) add up per bucket.
            target = buckets[(feed, n)]
            for b, v in maxima.get(sid, {}).items():
                target[b] = target.get(b, 0.0) + v
        breakers = {f: s[0] for f, s in spec.items()}
        volts = next(iter(spec.values()))[2] if spec else 230.0
        out[rack] = RackHeadroom(
            rack, volts, failover_headroom(buckets, breakers, t, rules.power_truth)
        )
    return out


def server_peaks(
    engine: Engine, model: str, now: int | None = None, rules: Rules | None = None
) -> ModelPeak | None:
    """Weekly peak draw of every server of a model in the zone, as a planning figure."""
    rules = rules or current_rules()
    t = _now(now)
    with engine.connect() as conn:
        devs = [
            int(r.id)
            for r in conn.execute(
                text("SELECT id FROM device WHERE kind = 'server' AND model = :m"), {"m": model}
            )
        ]
        power: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for chunk in _chunks(devs):
            for row in conn.execute(
                text(
                    "SELECT id, device_id, channel, channel_class FROM series "
                    "WHERE metric = 'power_w' AND device_id IN ("
                    + ",".join(map(str, chunk))
                    + ") ORDER BY id"
                )
            ):
                cls = _cls(row.channel_class, "power_w", str(row.channel), "server", rules)
                power[int(row.device_id)].append((int(row.id), cls))
        sids = {d: device_power("server", p) for d, p in power.items()}
        maxima = bucket_maxima(conn, [s for v in sids.values() for s in v], t - WEEK_S)
    peaks: list[float] = []
    for ids in sids.values():
        if not ids:
            continue
        per_bucket: dict[int, float] = defaultdict(float)
        common: set[int] | None = None
        for sid in ids:
            m = maxima.get(sid, {})
            common = set(m) if common is None else common & set(m)
            for b, v in m.items():
                per_bucket[b] += v
        if common:
            peaks.append(max(per_bucket[b] for b in common))
    return model_peak(model, peaks)


def rack_what_if(
    engine: Engine,
    rack_id: int,
    model: str,
    count: int,
    now: int | None = None,
    rules: Rules | None = None,
) -> tuple[RackHeadroom, WhatIf | None]:
    """Headroom of a rack now and after adding `count` servers of `model` (None: no peaks)."""
    rules = rules or current_rules()
    head = racks_headroom(engine, [rack_id], now, rules)[rack_id]
    peak = server_peaks(engine, model, now, rules)
    if peak is None:
        return head, None
    return head, what_if(head.feeds, peak, count, head.voltage_v, rules.power_truth)


def server_models(engine: Engine) -> list[tuple[str, int]]:
    """Server models in the inventory with how many of each (for the what-if dialog)."""
    with engine.connect() as conn:
        return [
            (str(r.model), int(r.n))
            for r in conn.execute(
                text(
                    "SELECT model, count(*) AS n FROM device WHERE kind = 'server' "
                    "AND model <> '' GROUP BY model ORDER BY model"
                )
            )
        ]


@dataclass(frozen=True, slots=True)
class Proposal:
    site: str
    rack: str
    server: str
    feed: str
    outlet: int
    pdu: str
    mapped: bool  # the inventory already says so


def propose_mapping(engine: Engine, rules: Rules | None = None) -> list[Proposal]:
    """Outlets whose PDU-reported name contains a server of the same rack: a proposed `psu:`
    entry per (server, feed, outlet), flagged when the inventory already has it."""
    rules = rules or current_rules()
    with engine.connect() as conn:
        servers: dict[int, list[str]] = defaultdict(list)
        for r in conn.execute(
            text("SELECT rack_id, name FROM device WHERE kind = 'server' AND rack_id IS NOT NULL")
        ):
            servers[int(r.rack_id)].append(str(r.name))
        have = {
            (str(r.name), str(r.feed), int(r.outlet))
            for r in conn.execute(
                text(
                    "SELECT d.name, p.feed, p.outlet FROM device_psu p "
                    "JOIN device d ON d.id = p.device_id"
                )
            )
        }
        rows = conn.execute(
            text(
                "SELECT s.channel, s.channel_class, d.name AS pdu, d.feed, d.rack_id, "
                "r.name AS rack, si.code FROM series s JOIN device d ON d.id = s.device_id "
                "JOIN rack r ON r.id = d.rack_id JOIN site si ON si.id = r.site_id "
                "WHERE d.kind = 'pdu' AND s.metric = 'power_w' ORDER BY si.code, r.name, d.name"
            )
        ).all()
    out: list[Proposal] = []
    for r in rows:
        channel = str(r.channel)
        if _cls(r.channel_class, "power_w", channel, "pdu", rules) != "outlet":
            continue
        n = outlet_number(channel)
        if n is None or not r.feed:
            continue
        words = set(channel.replace(",", " ").split())
        for name in servers.get(int(r.rack_id), []):
            if name in words:
                out.append(
                    Proposal(
                        str(r.code),
                        str(r.rack),
                        name,
                        str(r.feed),
                        n,
                        str(r.pdu),
                        (name, str(r.feed), n) in have,
                    )
                )
    return out


# -- the capacity answer (CLI and dialog share it) -----------------------------------------


def _r(v: float | None, digits: int = 1) -> float | None:
    return None if v is None else round(v, digits)


def capacity_answer(
    engine: Engine,
    rack_id: int,
    add: tuple[str, int] | None = None,
    now: int | None = None,
    rules: Rules | None = None,
) -> dict[str, Any]:
    """Failover headroom of a rack and, with add=(model, count), the what-if, as plain data."""
    rules = rules or current_rules()
    head, wi = (
        rack_what_if(engine, rack_id, add[0], add[1], now, rules)
        if add
        else (racks_headroom(engine, [rack_id], now, rules)[rack_id], None)
    )
    feeds = [
        {
            "lost": f.lost,
            "survivor": f.survivor,
            "breaker_a": f.breaker_a,
            "limit_a": _r(f.breaker_a * rules.power_truth.failover_limit_pct / 100.0),
            "survives_week_peak": f.survives,
            "phases": [
                {
                    "phase": p.phase,
                    "peak_1d_a": _r(p.peak_1d_a, 2),
                    "peak_7d_a": _r(p.peak_7d_a, 2),
                    "headroom_1d_a": _r(p.headroom_1d_a, 2),
                    "headroom_7d_a": _r(p.headroom_7d_a, 2),
                }
                for p in f.phases
            ],
        }
        for f in head.feeds
    ]
    out: dict[str, Any] = {
        "rack_id": rack_id,
        "limit_pct": rules.power_truth.failover_limit_pct,
        "failover": feeds,
    }
    if add:
        if wi is None:
            out["what_if"] = {"model": add[0], "count": add[1], "error": "no measured peaks"}
        else:
            out["what_if"] = {
                "model": wi.model.model,
                "count": wi.count,
                "sample_size": wi.model.servers,
                "model_peak_w": _r(wi.model.peak_w),
                "model_mean_w": _r(wi.model.mean_w),
                "model_max_w": _r(wi.model.max_w),
                "added_peak_w": _r(wi.added_w),
                "fits": wi.fits,
                "phases": [
                    {
                        "phase": p.phase,
                        "servers": p.added_servers,
                        "added_a": _r(p.added_a, 2),
                        "normal_headroom_a": {k: _r(v, 2) for k, v in p.normal_headroom_a.items()},
                        "failover_headroom_a": {
                            k: _r(v, 2) for k, v in p.failover_headroom_a.items()
                        },
                    }
                    for p in wi.phases
                ],
            }
    return out


def capacity_text(answer: dict[str, Any], rack: str) -> str:
    """The answer as a technician reads it on a terminal."""
    lines = [f"rack {rack}: failover headroom at {answer['limit_pct']:.0f} % of the breaker"]
    for f in answer["failover"]:
        verdict = {True: "survives", False: "WOULD NOT SURVIVE", None: "no data"}[
            f["survives_week_peak"]
        ]
        lines.append(
            f"  if feed {f['lost']} is lost, feed {f['survivor']} ({f['breaker_a']:.0f} A, "
            f"limit {f['limit_a']} A) {verdict} its weekly peak"
        )
        for p in f["phases"]:
            lines.append(
                f"    L{p['phase']}: A+B peak 1 d {p['peak_1d_a']} A, 7 d {p['peak_7d_a']} A; "
                f"headroom 1 d {p['headroom_1d_a']} A, 7 d {p['headroom_7d_a']} A"
            )
    wi = answer.get("what_if")
    if isinstance(wi, dict):
        if "error" in wi:
            lines.append(f"add {wi['count']} x {wi['model']}: {wi['error']}")
        else:
            lines.append(
                f"add {wi['count']} x {wi['model']}: peak {wi['model_peak_w']} W each "
                f"(p95 of {wi['sample_size']} servers' weekly peaks; mean {wi['model_mean_w']} W, "
                f"max {wi['model_max_w']} W), {wi['added_peak_w']} W added: "
                + ("fits" if wi["fits"] else "DOES NOT FIT")
            )
            for p in wi["phases"]:
                normal = ", ".join(f"{k} {v} A" for k, v in p["normal_headroom_a"].items())
                fo = ", ".join(f"{k} lost {v} A" for k, v in p["failover_headroom_a"].items())
                lines.append(
                    f"    L{p['phase']}: +{p['servers']} servers (+{p['added_a']} A); "
                    f"headroom normal {normal}; failover {fo}"
                )
    return "\n".join(lines)


def failover_percent(
    engine: Engine, rack_ids: Sequence[int], lost: str = "A", now: int | None = None
) -> dict[int, float]:
    """Rack -> worst phase's weekly A+B peak as % of the surviving breaker if `lost` fails."""
    out: dict[int, float] = {}
    for rid, head in racks_headroom(engine, rack_ids, now).items():
        f = next((x for x in head.feeds if x.lost == lost), None)
        pct = f.peak_pct_of_breaker if f is not None else None
        if pct is not None:
            out[rid] = pct
    return out
