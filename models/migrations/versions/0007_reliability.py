"""reliability: collector reliability: rollup rebuild marks, sensor faults (reliability issue 15)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 20:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
