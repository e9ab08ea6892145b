"""leases: device leases, site collectors and the alarm event outbox ids (scale-out issue 12)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 20:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOTIFY = (
    ("alarm", "alarms"),
    ("counter", "data"),
    ("device_state", "state"),
    ("site", "inventory"),
    ("rack", "inventory"),
    ("device", "inventory"),
)


def upgrade() -> None:
    op.create_table(
        "deployment_setting",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_deployment_setting")),
    )
    op.create_table(
        "site_collector",
        sa.Column("collector_id", sa.String(length=100), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False, server_default=""),
        sa.Column("pid", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("started_ts", sa.BigInteger(), nullable=False),
        sa.Column("beat_ts", sa.BigInteger(), nullable=False),
        sa.Column("expires_ts", sa.BigInteger(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("devices", sa.Integer(), nullable=False, server_default="0"),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
            name=op.f("fk_site_collector_site_id_site"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("collector_id", name=op.f("pk_site_collector")),
    )
    op.create_index(op.f("ix_site_collector_site_id"), "site_collector", ["site_id"])
    op.create_table(
        "lease",
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("rack_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("expires_ts", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("generation", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("since_ts", sa.BigInteger(), nullable=False, server_default="0"),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_lease_site_id_site"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["rack_id"], ["rack.id"], name=op.f("fk_lease_rack_id_rack"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_lease_device_id_device"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("unit", name=op.f("pk_lease")),
    )
    op.create_index("ix_lease_site_owner", "lease", ["site_id", "owner"])
    op.create_table(
        "alarm_outbox_receipt",
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("received_ts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("uid", name=op.f("pk_alarm_outbox_receipt")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Desks LISTEN on 'rackwatch' (models/notify.py): one NOTIFY per statement that
        # changes alarms, the change counter (samples, latest), device states or inventory.
        op.execute(
            "CREATE OR REPLACE FUNCTION rackwatch_notify() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_notify('rackwatch', TG_ARGV[0]); RETURN NULL; END $$"
        )
        for table, topic in _NOTIFY:
            op.execute(
                f"CREATE TRIGGER rackwatch_notify_{table} AFTER INSERT OR UPDATE OR DELETE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION rackwatch_notify('{topic}')"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, _topic in _NOTIFY:
            op.execute(f"DROP TRIGGER IF EXISTS rackwatch_notify_{table} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS rackwatch_notify()")
    op.drop_table("alarm_outbox_receipt")
    op.drop_index("ix_lease_site_owner", table_name="lease")
    op.drop_table("lease")
    op.drop_index(op.f("ix_site_collector_site_id"), table_name="site_collector")
    op.drop_table("site_collector")
    op.drop_table("deployment_setting")
