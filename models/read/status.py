"""Status for desks: tree and tile summaries, floor maps, collector health, change cursors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, text

from models import staleness
from models.read.common import _DEVICE_POWER_SQL, _chunks, _now, worst
from models.read.inventory import RackInfo, SiteInfo, _natural

# -- status summaries (tree rows, floor map tiles) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    """Rolled-up status of a site, rack or device at one moment."""

    id: int
    state: str
    devices_ok: int
    devices_unreachable: int
    devices_stale: int
    devices_unknown: int
    alarms_warning: int
    alarms_critical: int
    inlet_c: float | None
    power_w: float | None
    newest_ts: int | None

    @property
    def devices(self) -> int:
        return (
            self.devices_ok + self.devices_unreachable + self.devices_stale + self.devices_unknown
        )

    @property
    def values_stale(self) -> bool:
        """No device below answers with current data: the values shown are old (grey them)."""
        return self.devices_ok == 0 and self.devices_stale > 0


# A device is stale after the stale horizon (models.staleness: two poll intervals), the same
# horizon the collector writes into its series rows and the alarm engine applies.
_STATE_SQL = (
    "CASE WHEN ds.status IS NULL OR ds.status IN ('unknown', 'pending', 'new', 'empty') "
    "THEN 'unknown' "
    "WHEN ds.status IN ('ok', 'up') AND (ds.last_ok_ts IS NULL "
    "OR ds.last_ok_ts < :now - :stale_intervals * d.poll_interval_s) THEN 'stale' "
    "WHEN ds.status IN ('ok', 'up') THEN 'ok' "
    "WHEN ds.status = 'stale' THEN 'stale' ELSE 'unreachable' END"
)


def _stale_intervals() -> int:
    # What desks show as stale (two intervals); the `stale` alarm (rules) waits longer.
    return staleness.stale_intervals()


_LEVEL_KEY = {"site": "d.site_id", "rack": "COALESCE(d.rack_id, 0)", "device": "d.id"}
_FILTER_COL = {"site": "d.site_id", "rack": "d.rack_id", "device": "d.id"}
_ALARM_KEY = {
    "site": "COALESCE(a.site_id, d.site_id)",
    "rack": "COALESCE(a.rack_id, d.rack_id)",
    "device": "a.device_id",
}


def summaries(
    engine: Engine,
    level: str,
    ids: Sequence[int] | None = None,
    *,
    site_id: int | None = None,
    now: int | None = None,
    measures: bool = True,
) -> dict[int, Summary]:
    """Status roll-up per site, rack or device, for the given ids (or all of a site, or all).

    measures=False skips hottest inlet, power and newest reading (a scan of every latest value
    below the level), leaving those None: the cheap part for frequent whole-site refreshes.
    """
    if level not in _LEVEL_KEY:
        raise ValueError(f"summaries: level must be site, rack or device, not {level!r}")
    t = _now(now)
    with engine.connect() as conn:
        if ids is None:
            return _summaries_where(conn, level, None, site_id, t, measures)
        out: dict[int, Summary] = {}
        for chunk in _chunks(sorted(set(ids))):
            out.update(_summaries_where(conn, level, chunk, site_id, t, measures))
        return out


def _summaries_where(
    conn: Connection,
    level: str,
    ids: list[int] | None,
    site_id: int | None,
    now: int,
    with_measures: bool = True,
) -> dict[int, Summary]:
    key = _LEVEL_KEY[level]
    conds = ["d.enabled"]
    params: dict[str, Any] = {"now": now, "stale_intervals": _stale_intervals()}
    if ids is not None:
        # Filter on the bare column so the index on it is used (COALESCE would scan).
        col = _FILTER_COL[level]
        conds.append(
            f"({col} IN :ids OR d.rack_id IS NULL)"
            if level == "rack" and 0 in ids
            else f"{col} IN :ids"
        )
        params["ids"] = ids
    if site_id is not None:
        conds.append("d.site_id = :site")
        params["site"] = site_id
    where = " AND ".join(conds)

    def q(sql: str) -> Any:
        stmt = text(sql)
        if ids is not None:
            stmt = stmt.bindparams(bindparam("ids", expanding=True))
        return conn.execute(stmt, params)

    counts: dict[int, dict[str, int]] = {}
    for k, st, n in q(
        f"SELECT {key} AS k, {_STATE_SQL} AS st, count(*) FROM device d "
        # Passive devices (protocol none) are inventory only: they do not roll up as unknown.
        f"LEFT JOIN device_state ds ON ds.device_id = d.id WHERE {where} "
        "AND d.protocol <> 'none' GROUP BY k, st"
    ):
        counts.setdefault(int(k), {})[st] = int(n)
    measures: dict[int, tuple[Any, ...]] = {}
    # Per device first (its totals, else its phases), then summed per level.
    device_power = _DEVICE_POWER_SQL
    for row in (
        ()
        if not with_measures
        else q(
            "SELECT k, max(inlet), sum(pdu_w), sum(dev_w), max(ts), sum(stale) FROM ("
            f"SELECT {key} AS k, "
            "max(CASE WHEN s.metric = 'temperature_c' AND s.role = 'inlet' THEN l.value END) "
            "AS inlet, "
            f"CASE WHEN d.kind = 'pdu' THEN {device_power} END AS pdu_w, "
            f"CASE WHEN d.kind <> 'pdu' THEN {device_power} END AS dev_w, "
            "max(l.ts) AS ts, "
            "sum(CASE WHEN l.status IN ('stale', 'unreachable') THEN 1 ELSE 0 END) AS stale "
            "FROM device d JOIN series s ON s.device_id = d.id JOIN latest l ON l.series_id = s.id "
            f"WHERE {where} GROUP BY k, d.id, d.kind) per_device GROUP BY k"
        )
    ):
        measures[int(row[0])] = tuple(row[1:])
    alarms: dict[int, dict[str, int]] = {}
    akey = _ALARM_KEY[level]
    aconds = ["a.state IN ('active', 'acknowledged')"]
    if ids is not None:
        aconds.append(f"{akey} IN :ids")
    if site_id is not None:
        aconds.append("COALESCE(a.site_id, d.site_id) = :site")
    for k, sev, n in q(
        f"SELECT {akey} AS k, a.severity, count(*) FROM alarm a "
        f"LEFT JOIN device d ON d.id = a.device_id WHERE {' AND '.join(aconds)} "
        "GROUP BY k, a.severity"
    ):
        if k is not None:
            alarms.setdefault(int(k), {})[sev] = int(n)
    out: dict[int, Summary] = {}
    for k in set(counts) | set(measures) | set(alarms):
        c = counts.get(k, {})
        m = measures.get(k, (None, None, None, None, 0))
        a = alarms.get(k, {})
        state = "ok" if c.get("ok") else "unknown"
        for st in c:
            state = worst(state, st)
        if m[4] and level == "device":
            state = worst(state, "stale")
        if a.get("critical"):
            state = worst(state, "critical")
        if a.get("warning"):
            state = worst(state, "warning")
        power = m[1] if m[1] is not None else m[2]
        out[k] = Summary(
            id=k,
            state=state,
            devices_ok=c.get("ok", 0),
            devices_unreachable=c.get("unreachable", 0),
            devices_stale=c.get("stale", 0),
            devices_unknown=c.get("unknown", 0),
            alarms_warning=a.get("warning", 0),
            alarms_critical=a.get("critical", 0),
            inlet_c=None if m[0] is None else float(m[0]),
            power_w=None if power is None else float(power),
            newest_ts=None if m[3] is None else int(m[3]),
        )
    return out


# -- floor map -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RackTile:
    rack: RackInfo
    summary: Summary | None

    @property
    def power_pct(self) -> float | None:
        s = self.summary
        if s is None or s.power_w is None or not self.rack.rated_power_w:
            return None
        return 100.0 * s.power_w / self.rack.rated_power_w


@dataclass(frozen=True, slots=True)
class FloorMap:
    site: SiteInfo
    rows: tuple[str, ...]
    tiles: tuple[RackTile, ...]
    loaded_ts: int


def floor_map(engine: Engine, site_id: int, now: int | None = None) -> FloorMap:
    """Every rack of a site at its row and position with hottest inlet, kW and worst state."""
    t = _now(now)
    with engine.connect() as conn:
        s = conn.execute(
            text("SELECT id, code, name, tz FROM site WHERE id = :s"), {"s": site_id}
        ).first()
        if s is None:
            raise LookupError(f"site {site_id} does not exist")
        racks = [
            RackInfo(r[0], r[1], r[2], r[3] or "", r[4] or 0, r[5] or 42, r[6])
            for r in conn.execute(
                text(
                    "SELECT id, site_id, name, row, position, height_u, rated_power_w FROM rack "
                    "WHERE site_id = :s"
                ),
                {"s": site_id},
            )
        ]
    sums = summaries(engine, "rack", site_id=site_id, now=t)
    racks.sort(key=lambda r: (_natural(r.row), r.position, _natural(r.name)))
    rows = tuple(dict.fromkeys(r.row for r in racks))
    tiles = tuple(RackTile(r, sums.get(r.id)) for r in racks)
    return FloorMap(SiteInfo(s[0], s[1], s[2], s[3] or "UTC"), rows, tiles, t)


# -- status bar ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Health:
    collectors_alive: int
    collectors_total: int
    devices_ok: int
    devices_unreachable: int
    devices_stale: int
    devices_unknown: int
    newest_sample_ts: int | None
    change_seq: int
    alarm_seq: int
    active_alarms: int
    loaded_ts: int
    last_beat_ts: int | None = None
    interval_s: int | None = None  # shortest poll interval of the polled devices
    dead_collectors: tuple[str, ...] = ()

    @property
    def feed(self) -> staleness.FeedState:
        return staleness.feed_state(
            self.loaded_ts,
            self.last_beat_ts,
            self.collectors_alive,
            self.collectors_total,
            self.newest_sample_ts,
            self.interval_s,
        )


@dataclass(frozen=True, slots=True)
class Liveness:
    """Collector heartbeats: a tiny table, cheap enough to read on every pulse."""

    alive: int
    total: int
    last_beat_ts: int | None
    dead: tuple[str, ...]

    @property
    def all_dead(self) -> bool:
        return self.total > 0 and self.alive == 0


@dataclass(frozen=True, slots=True)
class Cursors:
    change_seq: int
    alarm_seq: int
    liveness: Liveness | None = None


def _liveness(conn: Connection, now: int) -> Liveness:
    beats = staleness.current_collectors(
        staleness.Beat(str(r[0]), str(r[1]), str(r[2]), int(r[3]), int(r[4]))
        for r in conn.execute(
            text(
                "SELECT collector_id, host, shard, started_ts, last_beat_ts "
                "FROM collector_heartbeat"
            )
        )
    )
    alive = [b for b in beats if staleness.is_alive(b, now)]
    dead = tuple(b.collector_id for b in beats if not staleness.is_alive(b, now))
    last = max((b.last_beat_ts for b in beats), default=None)
    return Liveness(len(alive), len(beats), last, dead)


def liveness(engine: Engine, now: int | None = None) -> Liveness:
    with engine.connect() as conn:
        return _liveness(conn, _now(now))


def cursors(engine: Engine, now: int | None = None) -> Cursors:
    """The two change cursors (samples, alarms) and collector liveness: cheap every second."""
    with engine.connect() as conn:
        seq = conn.execute(text("SELECT value FROM counter WHERE name = 'change'")).scalar()
        aseq = conn.execute(text("SELECT max(seq) FROM alarm")).scalar()
        live = _liveness(conn, _now(now))
    return Cursors(int(seq or 0), int(aseq or 0), live)


def health(engine: Engine, now: int | None = None) -> Health:
    """What the status bar shows: live collectors, device reachability, newest data."""
    t = _now(now)
    with engine.connect() as conn:
        live = _liveness(conn, t)
        counts: dict[str, int] = {}
        for st, n in conn.execute(
            text(
                f"SELECT {_STATE_SQL} AS st, count(*) FROM device d "
                "LEFT JOIN device_state ds ON ds.device_id = d.id "
                "WHERE d.enabled AND d.protocol <> 'none' GROUP BY st"
            ),
            {"now": t, "stale_intervals": _stale_intervals()},
        ):
            counts[st] = int(n)
        newest = conn.execute(text("SELECT max(last_ok_ts) FROM device_state")).scalar()
        if newest is None:
            newest = conn.execute(text("SELECT max(ts) FROM latest")).scalar()
        interval = conn.execute(
            text("SELECT min(poll_interval_s) FROM device WHERE enabled AND protocol <> 'none'")
        ).scalar()
        seq = conn.execute(text("SELECT value FROM counter WHERE name = 'change'")).scalar()
        aseq, active = conn.execute(
            text(
                "SELECT COALESCE(max(seq), 0), "
                "COALESCE(sum(CASE WHEN state = 'active' THEN 1 ELSE 0 END), 0) FROM alarm"
            )
        ).one()
    return Health(
        live.alive,
        live.total,
        counts.get("ok", 0),
        counts.get("unreachable", 0),
        counts.get("stale", 0),
        counts.get("unknown", 0),
        None if newest is None else int(newest),
        int(seq or 0),
        int(aseq),
        int(active),
        t,
        live.last_beat_ts,
        None if interval is None else int(interval),
        live.dead,
    )
