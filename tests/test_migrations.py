"""Alembic migrations from empty, on SQLite and on a private PostgreSQL."""

from __future__ import annotations

import subprocess
import sys

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from models.db import alembic_config, current_revision, make_engine, upgrade
from models.schema import Base
from tests.daemons import REPO

EXPECTED_TABLES = {
    "site",
    "rack",
    "rack_feed",
    "device",
    "device_state",
    "series",
    "sample",
    "rollup",
    "latest",
    "counter",
    "alarm",
    "alarm_event",
    "incident",
    "incident_event",
    "inventory_event",
    "maintenance_window",
    "collector_heartbeat",
    "poll_request",
}


def _head(url: str) -> str:
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert head is not None
    return head


def _tables(url: str) -> set[str]:
    eng = make_engine(url)
    try:
        return set(inspect(eng).get_table_names())
    finally:
        eng.dispose()


def _partitioned(url: str) -> dict[str, str]:
    """PostgreSQL: partitioned table -> strategy ('r' range, 'l' list)."""
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT c.relname, p.partstrat FROM pg_partitioned_table p "
                    "JOIN pg_class c ON c.oid = p.partrelid"
                )
            ).all()
        return {str(name): str(strategy) for name, strategy in rows}
    finally:
        eng.dispose()


def test_upgrade_from_empty_reaches_head_with_every_table(empty_db_url: str) -> None:
    assert _tables(empty_db_url) == set()
    upgrade(empty_db_url)
    tables = _tables(empty_db_url)
    assert tables >= EXPECTED_TABLES | {"alembic_version"}
    eng = make_engine(empty_db_url)
    try:
        assert current_revision(eng) == _head(empty_db_url)
        with eng.connect() as conn:
            rows = conn.execute(text("SELECT name, value FROM counter")).all()
        counters = {str(r[0]): int(r[1]) for r in rows}
        assert counters == {"change": 0, "alarm": 0}
    finally:
        eng.dispose()


def test_sample_and_rollup_are_partitioned_on_postgresql(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    if not empty_db_url.startswith("postgresql"):
        # SQLite has no partitions: the same tables are plain WITHOUT ROWID tables.
        eng = make_engine(empty_db_url)
        with eng.connect() as conn:
            ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'sample'")).scalar()
        eng.dispose()
        assert "WITHOUT ROWID" in str(ddl)
        return
    parts = _partitioned(empty_db_url)
    assert parts == {"sample": "r", "rollup": "l", "rollup_300": "r", "rollup_3600": "r"}
    eng = make_engine(empty_db_url)
    with eng.connect() as conn:
        options = conn.execute(
            text("SELECT reloptions FROM pg_class WHERE relname = 'latest'")
        ).scalar()
    eng.dispose()
    assert "fillfactor=50" in (options or [])


def test_downgrade_to_base_and_upgrade_again(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    command.downgrade(alembic_config(empty_db_url), "base")
    assert _tables(empty_db_url) <= {"alembic_version"}
    upgrade(empty_db_url)
    assert _tables(empty_db_url) >= EXPECTED_TABLES
    eng = make_engine(empty_db_url)
    try:
        assert current_revision(eng) == _head(empty_db_url)
    finally:
        eng.dispose()


def test_migrated_schema_matches_the_models(db_url: str) -> None:
    eng = make_engine(db_url)
    try:
        with eng.connect() as conn:
            partitions: set[str] = set()
            if eng.dialect.name == "postgresql":
                # Partitions are storage detail of sample and rollup, not model tables.
                partitions = set(
                    conn.execute(
                        text("SELECT relname FROM pg_class WHERE relispartition")
                    ).scalars()
                )

            def include_name(name: str | None, type_: str, _parent: object) -> bool:
                return not (type_ == "table" and name in partitions)

            ctx = MigrationContext.configure(conn, opts={"include_name": include_name})
            diffs = compare_metadata(ctx, Base.metadata)
    finally:
        eng.dispose()
    assert diffs == []


def test_cli_db_upgrade(empty_db_url: str) -> None:
    proc = subprocess.run(
        [sys.executable, "app.py", "db", "upgrade", "--db", empty_db_url],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "revision head" in proc.stdout
    # The password never reaches the terminal.
    if "@" in empty_db_url:
        password = empty_db_url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
        assert password not in proc.stdout + proc.stderr
    eng = make_engine(empty_db_url)
    try:
        assert current_revision(eng) == _head(empty_db_url)
    finally:
        eng.dispose()
    assert _tables(empty_db_url) >= EXPECTED_TABLES
