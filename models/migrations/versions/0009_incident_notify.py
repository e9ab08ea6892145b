"""incident notify: desks hear incident changes (acknowledge, shelve, notes) on 'alarms'

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 0003 created the incident tables before 0004 created rackwatch_notify(); an incident
# acknowledged after its alarms cleared changes only these rows.
_TABLES = ("incident", "incident_event")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(
            f"CREATE TRIGGER rackwatch_notify_{table} AFTER INSERT OR UPDATE OR DELETE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION rackwatch_notify('alarms')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS rackwatch_notify_{table} ON {table}")
