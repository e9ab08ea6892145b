"""power truth: server PSU to PDU outlet mapping (power-truth issue 16)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 20:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_psu",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("psu", sa.Integer(), nullable=False),
        sa.Column("feed", sa.String(length=1), nullable=False),
        sa.Column("outlet", sa.Integer(), nullable=False),
        sa.Column("pdu_name", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
            name=op.f("fk_device_psu_device_id_device"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", "psu", name=op.f("pk_device_psu")),
    )


def downgrade() -> None:
    op.drop_table("device_psu")
