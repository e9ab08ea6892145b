"""series meaning: channel class, effective and device limits, interval, stale horizon

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 20:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIMITS = ("warn_low", "warn_high", "crit_low", "crit_high")


def upgrade() -> None:
    with op.batch_alter_table("series") as batch:
        batch.add_column(sa.Column("channel_class", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("interval_s", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("stale_after_s", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("limits_source", sa.String(length=16), nullable=True))
        for name in _LIMITS:
            batch.add_column(sa.Column(f"device_{name}", sa.Float(), nullable=True))
    # Until a collector re-decides them, the old columns held what the device reported.
    op.execute(
        "UPDATE series SET " + ", ".join(f"device_{n} = {n}" for n in _LIMITS) + ", "
        "interval_s = (SELECT d.poll_interval_s FROM device d WHERE d.id = series.device_id)"
    )
    # The label fallback readers used before the collector decided it (models/series_meaning).
    op.execute(
        "UPDATE series SET channel_class = CASE "
        "WHEN lower(channel) LIKE 'outlet%' THEN 'outlet' "
        "WHEN lower(channel) IN ('', 'total', 'input', 'inlet', 'system', 'pdu', 'device') "
        "OR lower(channel) LIKE 'inlet%' OR lower(channel) LIKE 'cord%' THEN 'total' "
        "WHEN lower(channel) LIKE 'phase%' OR lower(channel) LIKE '%l1%' "
        "OR lower(channel) LIKE '%l2%' "
        "OR lower(channel) LIKE '%l3%' THEN 'phase' "
        "WHEN lower(channel) LIKE 'branch%' OR lower(channel) LIKE 'bank%' "
        "OR lower(channel) LIKE 'breaker%' OR lower(channel) LIKE 'circuit%' THEN 'branch' "
        "ELSE 'part' END "
        "WHERE metric IN ('power_w', 'apparent_power_va', 'energy_kwh', 'current_a', 'voltage_v', "
        "'power_factor', 'frequency_hz')"
    )
    op.execute("UPDATE series SET channel_class = 'part' WHERE channel_class IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("series") as batch:
        for name in _LIMITS:
            batch.drop_column(f"device_{name}")
        for name in ("limits_source", "stale_after_s", "interval_s", "channel_class"):
            batch.drop_column(name)
