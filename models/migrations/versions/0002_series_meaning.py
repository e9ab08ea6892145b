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
    # Until now the limit columns held what the device reported.
    op.execute("UPDATE series SET " + ", ".join(f"device_{n} = {n}" for n in _LIMITS))
    _decide_existing()


def _decide_existing() -> None:
    """What every existing series means, decided as a collector would (from its label, the
    device's own limits and the current rules), so desks and reports read the decision even
    before a collector runs; a collector re-decides with the profile's `channel:` on start."""
    from models.rules import current_rules
    from models.series_meaning import Feed, decide

    rules = current_rules()
    bind = op.get_bind()
    devices = {
        int(r[0]): (str(r[1]), int(r[2] or 60), None if r[3] is None else Feed(r[3], r[4] or 1))
        for r in bind.execute(
            sa.text(
                "SELECT d.id, d.kind, d.poll_interval_s, f.breaker_a, f.phases FROM device d "
                "LEFT JOIN rack_feed f ON f.rack_id = d.rack_id AND f.feed = d.feed"
            )
        )
    }
    update = sa.text(
        "UPDATE series SET channel_class = :cls, role = :role, warn_low = :wl, warn_high = :wh, "
        "crit_low = :cl, crit_high = :ch, limits_source = :src, interval_s = :iv, "
        "stale_after_s = :st WHERE id = :id"
    )
    result = bind.execute(
        sa.text(
            "SELECT id, device_id, metric, channel, role, device_warn_low, device_warn_high, "
            "device_crit_low, device_crit_high FROM series ORDER BY id"
        )
    )
    rows = result.fetchall()
    for i in range(0, len(rows), 5000):
        params = []
        for r in rows[i : i + 5000]:
            kind, interval, feed = devices.get(int(r[1]), ("server", 60, None))
            m = decide(
                metric=str(r[2]),
                channel=str(r[3] or ""),
                role=r[4],
                declared_class=None,
                kind=kind,
                interval_s=interval,
                device_limits=(r[5], r[6], r[7], r[8]),
                feed=feed,
                rules=rules,
            )
            wl, wh, cl, ch = m.limits
            params.append(
                {
                    "id": int(r[0]),
                    "cls": m.channel_class,
                    "role": m.role,
                    "wl": wl,
                    "wh": wh,
                    "cl": cl,
                    "ch": ch,
                    "src": m.limits_source,
                    "iv": m.interval_s,
                    "st": m.stale_after_s,
                }
            )
        if params:
            bind.execute(update, params)


def downgrade() -> None:
    # Before 0002 the limit columns held what the device reported.
    op.execute("UPDATE series SET " + ", ".join(f"{n} = device_{n}" for n in _LIMITS))
    with op.batch_alter_table("series") as batch:
        for name in _LIMITS:
            batch.drop_column(f"device_{name}")
        for name in ("limits_source", "stale_after_s", "interval_s", "channel_class"):
            batch.drop_column(name)
