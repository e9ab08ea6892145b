"""messages and first run: alarm message templates, inventory audit (newcomer issue 14)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 20:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Alarm texts as a catalogue template plus arguments (models/messages.py); rows written
    # before this keep their English message and render as stored.
    # alarm_event too: a system event's note (the condition then) renders like its alarm.
    for table in ("alarm", "alarm_event"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("message_id", sa.String(length=64), nullable=True))
            batch.add_column(sa.Column("message_args", sa.Text(), nullable=True))
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("title_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("title_args", sa.Text(), nullable=True))
    # Who changed the inventory from a desk (add/edit dialogs, window import), and what.
    op.create_table(
        "inventory_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("user", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    op.create_index("ix_inventory_event_ts", "inventory_event", ["ts"])


def downgrade() -> None:
    op.drop_index("ix_inventory_event_ts", table_name="inventory_event")
    op.drop_table("inventory_event")
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("title_args")
        batch.drop_column("title_id")
    for table in ("alarm_event", "alarm"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("message_args")
            batch.drop_column("message_id")
