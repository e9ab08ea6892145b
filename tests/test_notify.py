"""Desks follow PostgreSQL LISTEN/NOTIFY and learn when to re-read everything (real server)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from models.alarms.lifecycle import AlarmChange, apply_changes
from models.db import make_engine, upgrade
from models.notify import ChangeListener, Changes
from models.store.samples import SampleWriter
from monitors.lab.daemons.pg import PgCluster, missing_reason
from tests.daemons import require

pytestmark = pytest.mark.daemon


@pytest.fixture(scope="module")
def own_pg() -> Iterator[PgCluster]:
    # A cluster of its own: this module stops and starts the server.
    reason = missing_reason()
    require(reason is None, reason or "")
    pg = PgCluster()
    pg.start()
    try:
        yield pg
    finally:
        pg.stop()


@pytest.fixture
def url(own_pg: PgCluster) -> Iterator[str]:
    u = own_pg.create_database("notify")
    upgrade(u)
    yield u


def _until(listener: ChangeListener, want: set[str], timeout: float = 20.0) -> Changes:
    got = Changes()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not want <= got.topics:
        c = listener.wait(0.5)
        got.topics |= c.topics
        got.reconnected |= c.reconnected
    return got


def test_alarms_data_and_inventory_are_notified(url: str) -> None:
    eng: Engine = make_engine(url)
    listener = ChangeListener(url)
    try:
        assert listener.wait(0.2).reconnected  # the first connection: read everything
        with eng.begin() as conn:
            conn.execute(text("INSERT INTO site (code, name, tz) VALUES ('N1', 'n', 'UTC')"))
        assert "inventory" in _until(listener, {"inventory"}).topics
        apply_changes(eng, [AlarmChange("k", "temperature", "warning", "warm", site_id=1)], 100)
        assert "alarms" in _until(listener, {"alarms"}).topics
        w = SampleWriter(eng)
        w.write([(1, 100, 1.0)])
        w.flush()
        assert "data" in _until(listener, {"data"}).topics
        # Nothing changes: nothing is reported.
        assert not listener.wait(0.5)
        # An incident changed on its own (acknowledged after its alarms cleared) too.
        with eng.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO incident (key, family, severity, state, site_id, row, rack_id, "
                    "title, alarms_open, alarms_total, racks, first_ts, last_ts, seq) VALUES "
                    "('i', 'temperature', 'warning', 'cleared', 1, '', NULL, '', 0, 1, 0, "
                    "100, 100, 1)"
                )
            )
        assert "alarms" in _until(listener, {"alarms"}).topics
        with eng.begin() as conn:
            conn.execute(text("UPDATE incident SET ack_by = 'lead', ack_ts = 200"))
        assert "alarms" in _until(listener, {"alarms"}).topics
    finally:
        listener.close()
        eng.dispose()


def test_a_restarted_server_is_reported_as_reconnected(url: str, own_pg: PgCluster) -> None:
    listener = ChangeListener(url)
    try:
        assert listener.wait(0.2).reconnected
        own_pg.halt()
        lost = [listener.wait(0.3) for _ in range(3)]
        assert not any(c.reconnected for c in lost)
        own_pg.resume()
        got = Changes()
        deadline = time.monotonic() + 30
        while not got.reconnected and time.monotonic() < deadline:
            got = listener.wait(0.5)
        assert got.reconnected  # the desk re-reads: NOTIFY has no replay
        eng = make_engine(url)
        with eng.begin() as conn:
            conn.execute(text("INSERT INTO site (code, name, tz) VALUES ('N2', 'n', 'UTC')"))
        eng.dispose()
        assert "inventory" in _until(listener, {"inventory"}).topics
    finally:
        listener.close()
