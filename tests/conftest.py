"""Shared fixtures: migrated databases per test on SQLite and on a private PostgreSQL cluster."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from models.db import make_engine, upgrade
from monitors.lab.daemons.pg import PgCluster, missing_reason
from tests import daemons
from tests.daemons import require

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.daemon)]
# No alarm sound or desktop notification from any window a test opens (also in child GUIs).
os.environ.setdefault("RACKWATCH_NO_ALERTS", "1")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    daemons.current_item = item
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    try:
        return (yield)
    finally:
        daemons.current_item = None


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'rackwatch.db'}"
    upgrade(url)
    return url


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    eng = make_engine(sqlite_url)
    yield eng
    eng.dispose()


# -- PostgreSQL ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """One private PostgreSQL cluster for the whole session (started on first use)."""
    reason = missing_reason()
    require(reason is None, reason or "")
    cluster = PgCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def _pg(request: pytest.FixtureRequest) -> PgCluster:
    # Looked up lazily so SQLite-only runs never start a server.
    cluster = request.getfixturevalue("pg_cluster")
    assert isinstance(cluster, PgCluster)
    return cluster


# -- both back ends --------------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database (no schema) on each back end."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    cluster = _pg(request)
    url = cluster.create_database("empty")
    yield url
    cluster.drop_database(url)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to a database migrated to head, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'rackwatch.db'}"
        upgrade(url)
        yield url
        return
    cluster = _pg(request)
    url = cluster.migrated_database()
    yield url
    cluster.drop_database(url)


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    """An engine on db_url (both back ends)."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL to a PostgreSQL database migrated to head (PostgreSQL-only tests)."""
    cluster = _pg(request)
    url = cluster.migrated_database()
    yield url
    cluster.drop_database(url)
