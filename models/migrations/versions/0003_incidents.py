"""incidents: incidents and alarm grouping, collector-down alarms (operator-trust issue 10)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 20:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("row", sa.String(length=32), nullable=False),
        sa.Column("rack_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("alarms_open", sa.Integer(), nullable=False),
        sa.Column("alarms_total", sa.Integer(), nullable=False),
        sa.Column("racks", sa.Integer(), nullable=False),
        sa.Column("peak_value", sa.Float(), nullable=True),
        sa.Column("first_ts", sa.BigInteger(), nullable=False),
        sa.Column("last_ts", sa.BigInteger(), nullable=False),
        sa.Column("cleared_ts", sa.BigInteger(), nullable=True),
        sa.Column("ack_by", sa.String(length=100), nullable=True),
        sa.Column("ack_ts", sa.BigInteger(), nullable=True),
        sa.Column("ack_note", sa.Text(), nullable=True),
        sa.Column("ack_severity", sa.String(length=16), nullable=True),
        sa.Column("shelved_until", sa.BigInteger(), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_incident_site_id_site"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["rack_id"], ["rack.id"], name=op.f("fk_incident_rack_id_rack"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
    )
    with op.batch_alter_table("incident") as batch:
        batch.create_index(batch.f("ix_incident_seq"), ["seq"], unique=False)
        batch.create_index("ix_incident_state_key", ["state", "key"], unique=False)
    op.create_table(
        "incident_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("user", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_event_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_event")),
    )
    with op.batch_alter_table("incident_event") as batch:
        batch.create_index(batch.f("ix_incident_event_incident_id"), ["incident_id"], unique=False)
    with op.batch_alter_table("alarm") as batch:
        batch.add_column(sa.Column("incident_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_alarm_incident_id"), ["incident_id"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_alarm_incident_id_incident"),
            "incident",
            ["incident_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("alarm") as batch:
        batch.drop_constraint("fk_alarm_incident_id_incident", type_="foreignkey")
        batch.drop_index("ix_alarm_incident_id")
        batch.drop_column("incident_id")
    with op.batch_alter_table("incident_event") as batch:
        batch.drop_index("ix_incident_event_incident_id")
    op.drop_table("incident_event")
    with op.batch_alter_table("incident") as batch:
        batch.drop_index("ix_incident_state_key")
        batch.drop_index("ix_incident_seq")
    op.drop_table("incident")
