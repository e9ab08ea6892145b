"""Requests from desks to collectors: poll now and focus."""

from __future__ import annotations

from sqlalchemy import Engine, text

from models.read.common import _now

# -- poll requests -------------------------------------------------------------------------------


def request_poll_now(
    engine: Engine,
    *,
    device_id: int | None = None,
    rack_id: int | None = None,
    user: str = "",
    now: int | None = None,
) -> int:
    """Ask the collectors to poll a device or a whole rack at once; returns the request id."""
    if device_id is None and rack_id is None:
        raise ValueError("poll now: give a device or a rack")
    return _insert_request(engine, "poll_now", device_id, rack_id, None, None, user, _now(now))


def request_focus(
    engine: Engine,
    rack_id: int,
    *,
    interval_s: int = 10,
    duration_s: int = 1800,
    user: str = "",
    now: int | None = None,
) -> int:
    """Ask the collectors to poll a rack every interval_s seconds for duration_s seconds."""
    if interval_s < 1 or duration_s < 1:
        raise ValueError("focus: interval and duration must be positive")
    t = _now(now)
    return _insert_request(engine, "focus", None, rack_id, interval_s, t + duration_s, user, t)


def _insert_request(
    engine: Engine,
    kind: str,
    device_id: int | None,
    rack_id: int | None,
    interval_s: int | None,
    until_ts: int | None,
    user: str,
    now: int,
) -> int:
    with engine.begin() as conn:
        row = conn.execute(
            text(
                "INSERT INTO poll_request (kind, device_id, rack_id, interval_s, requested_ts, "
                "until_ts, requested_by) VALUES (:k, :d, :r, :i, :t, :u, :by) RETURNING id"
            ),
            {
                "k": kind,
                "d": device_id,
                "r": rack_id,
                "i": interval_s,
                "t": now,
                "u": until_ts,
                "by": user,
            },
        ).first()
    assert row is not None
    return int(row[0])
