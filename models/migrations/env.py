"""Alembic environment: runs migrations online against the configured URL."""

from __future__ import annotations

from typing import Any

from alembic import context

from models.db import make_engine
from models.schema import Base

config = context.config
target_metadata = Base.metadata


def _partitions(conn: Any) -> set[str]:
    """PostgreSQL lists partitions as tables; autogenerate must not propose dropping them."""
    if conn.dialect.name != "postgresql":
        return set()
    rows = conn.exec_driver_sql("SELECT relname FROM pg_class WHERE relispartition")
    return {str(r[0]) for r in rows}


def _include(partitions: set[str]) -> Any:
    def include(_obj: Any, name: str | None, type_: str, _reflected: bool, _cmp: Any) -> bool:
        return not (type_ == "table" and name in partitions)

    return include


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_object=_include(_partitions(connection)),
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
