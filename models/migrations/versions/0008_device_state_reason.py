"""device state reason: why a device gives no data (no profile, empty, auth, timeout)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("device_state") as batch:
        batch.add_column(sa.Column("reason", sa.String(length=16), nullable=True))
    # Until the next poll says better: what the old status words allow.
    op.execute(
        "UPDATE device_state SET reason = CASE status WHEN 'ok' THEN 'ok' "
        "WHEN 'unreachable' THEN 'timeout' WHEN 'empty' THEN 'empty' ELSE 'error' END"
    )


def downgrade() -> None:
    with op.batch_alter_table("device_state") as batch:
        batch.drop_column("reason")
