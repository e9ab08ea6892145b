"""Leases of racks and devices to the live collectors of a site, in PostgreSQL."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

# A lease lives this long after its holder's last heartbeat. With a 10 s heartbeat a dead
# collector's racks are free 30 s after its last beat and claimed by the next beat of a
# peer, so failover takes at most TTL + HEARTBEAT (40 s) plus the first poll: within 60 s.
DEFAULT_TTL_S = 30
DEFAULT_HEARTBEAT_S = 10

# Database time, so collectors on hosts with skewed clocks agree on what has expired.
_NOW = "CAST(floor(extract(epoch FROM clock_timestamp())) AS bigint)"


@dataclass(frozen=True, slots=True)
class Assignment:
    """What one heartbeat left this collector holding."""

    units: frozenset[str]
    devices: frozenset[int]
    live_collectors: int
    total_units: int
    claimed: tuple[str, ...] = ()
    released: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()
    now: int = 0


def _site_id(conn: Connection, site: str) -> int:
    got = conn.execute(text("SELECT id FROM site WHERE code = :c"), {"c": site}).scalar()
    if got is None:
        raise LookupError(f"no site with code {site!r} in the central database")
    return int(got)


def sync_units(conn: Connection, site_id: int) -> int:
    """Create lease rows for racks and rack-less devices new to the site; returns rows added."""
    added = conn.execute(
        text(
            "INSERT INTO lease (unit, site_id, rack_id, device_id, owner, expires_ts, generation, "
            "since_ts) SELECT 'rack:' || r.id, r.site_id, r.id, NULL, NULL, 0, 0, 0 FROM rack r "
            "WHERE r.site_id = :s AND EXISTS (SELECT 1 FROM device d WHERE d.rack_id = r.id "
            "AND d.enabled AND d.protocol <> 'none') ON CONFLICT (unit) DO NOTHING"
        ),
        {"s": site_id},
    ).rowcount
    added += conn.execute(
        text(
            "INSERT INTO lease (unit, site_id, rack_id, device_id, owner, expires_ts, generation, "
            "since_ts) SELECT 'device:' || d.id, d.site_id, NULL, d.id, NULL, 0, 0, 0 "
            "FROM device d WHERE d.site_id = :s AND d.rack_id IS NULL AND d.enabled "
            "AND d.protocol <> 'none' ON CONFLICT (unit) DO NOTHING"
        ),
        {"s": site_id},
    ).rowcount
    return int(added or 0)


class LeaseManager:
    """One collector's side of the lease protocol; call beat() every heartbeat.

    Each beat, in one transaction: renew this collector's row and its leases, count the
    site's live collectors, give back leases above a fair share (a collector joined), and
    claim free or expired ones up to the fair share with FOR UPDATE SKIP LOCKED, so two
    collectors claiming at once never take the same rack and never wait on each other.
    Only collectors of the same site compete, so a cut-off site is never taken over by
    another site.
    """

    def __init__(
        self,
        engine: Engine,
        site: str,
        collector_id: str,
        *,
        host: str = "",
        pid: int = 0,
        ttl_s: int = DEFAULT_TTL_S,
    ) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("leases need the central PostgreSQL database")
        self.engine = engine
        self.site = site
        self.collector_id = collector_id
        self.host = host
        self.pid = pid
        self.ttl_s = int(ttl_s)
        self.site_id: int | None = None
        self.started_ts = 0
        self.held: frozenset[str] = frozenset()

    def beat(self, devices_polled: int = 0, *, claim: bool = True) -> Assignment:
        """One heartbeat; with claim=False only renew and give back (see SiteCollector)."""
        with self.engine.begin() as conn:
            if self.site_id is None:
                self.site_id = _site_id(conn, self.site)
            sid = self.site_id
            now = int(conn.execute(text(f"SELECT {_NOW}")).scalar_one())
            if not self.started_ts:
                self.started_ts = now
            exp = now + self.ttl_s
            me = self.collector_id
            conn.execute(
                text(
                    "INSERT INTO site_collector (collector_id, site_id, host, pid, started_ts, "
                    "beat_ts, expires_ts, units, devices) VALUES (:me, :s, :h, :p, :st, :now, "
                    ":exp, 0, :d) ON CONFLICT (collector_id) DO UPDATE SET "
                    "site_id = excluded.site_id, "
                    "beat_ts = excluded.beat_ts, expires_ts = excluded.expires_ts, "
                    "devices = excluded.devices, host = excluded.host, pid = excluded.pid"
                ),
                {
                    "me": me,
                    "s": sid,
                    "h": self.host,
                    "p": self.pid,
                    "st": self.started_ts,
                    "now": now,
                    "exp": exp,
                    "d": devices_polled,
                },
            )
            sync_units(conn, sid)
            # Renew what is still ours. A lease we lost (we were too late, a peer claimed it)
            # is not renewed and leaves our assignment.
            mine = {
                str(r[0])
                for r in conn.execute(
                    text(
                        "UPDATE lease SET expires_ts = :exp WHERE site_id = :s AND owner = :me "
                        "RETURNING unit"
                    ),
                    {"exp": exp, "s": sid, "me": me},
                )
            }
            lost = tuple(sorted(self.held - mine))
            live = int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM site_collector WHERE site_id = :s "
                        "AND expires_ts > :now"
                    ),
                    {"s": sid, "now": now},
                ).scalar_one()
            )
            total = int(
                conn.execute(
                    text("SELECT count(*) FROM lease WHERE site_id = :s"), {"s": sid}
                ).scalar_one()
            )
            fair = math.ceil(total / max(1, live))
            released: tuple[str, ...] = ()
            claimed: tuple[str, ...] = ()
            if len(mine) > fair:
                # Give back the most recently acquired first: the oldest stay where they are.
                surplus = conn.execute(
                    text(
                        "SELECT unit FROM lease WHERE site_id = :s AND owner = :me "
                        "ORDER BY since_ts DESC, unit DESC LIMIT :k"
                    ),
                    {"s": sid, "me": me, "k": len(mine) - fair},
                )
                released = tuple(sorted(str(r[0]) for r in surplus))
                conn.execute(
                    text(
                        "UPDATE lease SET owner = NULL, expires_ts = 0 "
                        "WHERE owner = :me AND unit = ANY(:u)"
                    ),
                    {"me": me, "u": list(released)},
                )
                mine -= set(released)
            elif len(mine) < fair and claim:
                got = conn.execute(
                    text(
                        "UPDATE lease SET owner = :me, expires_ts = :exp, since_ts = :now, "
                        "generation = generation + 1 WHERE unit IN (SELECT unit FROM lease "
                        "WHERE site_id = :s AND (owner IS NULL OR expires_ts <= :now) "
                        "ORDER BY unit LIMIT :k FOR UPDATE SKIP LOCKED) RETURNING unit"
                    ),
                    {"me": me, "exp": exp, "now": now, "s": sid, "k": fair - len(mine)},
                )
                claimed = tuple(sorted(str(r[0]) for r in got))
                mine |= set(claimed)
            devices = _devices_of(conn, sid, mine)
            conn.execute(
                text("UPDATE site_collector SET units = :u WHERE collector_id = :me"),
                {"u": len(mine), "me": me},
            )
        self.held = frozenset(mine)
        return Assignment(self.held, frozenset(devices), live, total, claimed, released, lost, now)

    def leave(self) -> None:
        """Give every lease back and drop out of the live set (graceful stop)."""
        with self.engine.begin() as conn:
            conn.execute(
                text("UPDATE lease SET owner = NULL, expires_ts = 0 WHERE owner = :me"),
                {"me": self.collector_id},
            )
            conn.execute(
                text("DELETE FROM site_collector WHERE collector_id = :me"),
                {"me": self.collector_id},
            )
        self.held = frozenset()


def _devices_of(conn: Connection, site_id: int, units: set[str]) -> set[int]:
    if not units:
        return set()
    rows = conn.execute(
        text(
            "SELECT d.id FROM device d JOIN lease l ON (l.rack_id = d.rack_id OR "
            "l.device_id = d.id) WHERE l.site_id = :s AND l.unit = ANY(:u) AND d.enabled "
            "AND d.protocol <> 'none'"
        ),
        {"s": site_id, "u": sorted(units)},
    )
    return {int(r[0]) for r in rows}


def owners(engine: Engine, site: str | None = None) -> dict[str, str | None]:
    """unit -> owner (for tests, the console and `what to watch`)."""
    sql = "SELECT l.unit, l.owner FROM lease l"
    params: dict[str, str] = {}
    if site is not None:
        sql += " JOIN site s ON s.id = l.site_id WHERE s.code = :c"
        params["c"] = site
    with engine.connect() as conn:
        return {str(u): (None if o is None else str(o)) for u, o in conn.execute(text(sql), params)}


def device_owners(engine: Engine) -> dict[int, str]:
    """device id -> the collector holding its lease (live leases only)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                f"SELECT d.id, l.owner FROM device d JOIN lease l ON (l.rack_id = d.rack_id OR "
                f"l.device_id = d.id) WHERE l.owner IS NOT NULL AND l.expires_ts > {_NOW} "
                "AND d.enabled AND d.protocol <> 'none'"
            )
        )
        return {int(d): str(o) for d, o in rows}
