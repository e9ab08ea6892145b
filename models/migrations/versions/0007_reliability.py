"""reliability: collector health and spool depth on the heartbeat (reliability issue 15)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 20:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("collector_heartbeat") as batch:
        batch.add_column(sa.Column("health", sa.String(16), nullable=False, server_default="ok"))
        batch.add_column(sa.Column("health_detail", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("spool_batches", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("collector_heartbeat") as batch:
        batch.drop_column("spool_batches")
        batch.drop_column("health_detail")
        batch.drop_column("health")
