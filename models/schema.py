"""SQLAlchemy 2 typed declarative schema of sites, racks, devices, series, samples and alarms."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names so Alembic migrations work the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Site(Base):
    __tablename__ = "site"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tz: Mapped[str] = mapped_column(String(64), default="UTC")

    racks: Mapped[list[Rack]] = relationship(back_populates="site", cascade="all, delete-orphan")


class Rack(Base):
    __tablename__ = "rack"
    __table_args__ = (UniqueConstraint("site_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    row: Mapped[str] = mapped_column(String(32), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    height_u: Mapped[int] = mapped_column(Integer, default=42)
    rated_power_w: Mapped[float | None] = mapped_column(Float)

    site: Mapped[Site] = relationship(back_populates="racks")
    feeds: Mapped[list[RackFeed]] = relationship(
        back_populates="rack", cascade="all, delete-orphan"
    )
    devices: Mapped[list[Device]] = relationship(back_populates="rack")


class RackFeed(Base):
    """One power feed (A or B) of a rack, with its breaker rating."""

    __tablename__ = "rack_feed"

    rack_id: Mapped[int] = mapped_column(
        ForeignKey("rack.id", ondelete="CASCADE"), primary_key=True
    )
    feed: Mapped[str] = mapped_column(String(1), primary_key=True)
    breaker_a: Mapped[float] = mapped_column(Float)
    phases: Mapped[int] = mapped_column(Integer, default=1)
    voltage_v: Mapped[float] = mapped_column(Float, default=230.0)

    rack: Mapped[Rack] = relationship(back_populates="feeds")


class Device(Base):
    __tablename__ = "device"
    __table_args__ = (UniqueConstraint("site_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    rack_id: Mapped[int | None] = mapped_column(
        ForeignKey("rack.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # pdu, server, sensor, switch
    u_position: Mapped[int | None] = mapped_column(Integer)
    u_height: Mapped[int] = mapped_column(Integer, default=1)
    feed: Mapped[str | None] = mapped_column(String(1))
    model: Mapped[str] = mapped_column(String(200), default="")
    serial: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    port: Mapped[int | None] = mapped_column(Integer)
    protocol: Mapped[str] = mapped_column(String(8), default="snmp")  # snmp, ssh, none
    profile: Mapped[str | None] = mapped_column(String(100))
    credential: Mapped[str | None] = mapped_column(String(100))
    poll_interval_s: Mapped[int] = mapped_column(Integer, default=60)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)

    rack: Mapped[Rack | None] = relationship(back_populates="devices")
    series: Mapped[list[Series]] = relationship(
        back_populates="device", cascade="all, delete-orphan"
    )


class DevicePsu(Base):
    """Which PDU outlet feeds PSU `psu` (1-based) of a device, as the inventory says (issue 16).

    The PDU is the device's rack PDU on `feed`, or the one named `pdu_name` when the rack has
    several on that feed; resolved when read, so the import order of devices does not matter.
    """

    __tablename__ = "device_psu"

    device_id: Mapped[int] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), primary_key=True
    )
    psu: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed: Mapped[str] = mapped_column(String(1))
    outlet: Mapped[int] = mapped_column(Integer)
    pdu_name: Mapped[str | None] = mapped_column(String(200))


class DeviceState(Base):
    """Reachability of one device as the collector last saw it."""

    __tablename__ = "device_state"

    device_id: Mapped[int] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16), default="unknown")
    detected_profile: Mapped[str | None] = mapped_column(String(100))
    last_poll_ts: Mapped[int | None] = mapped_column(BigInteger)
    last_ok_ts: Mapped[int | None] = mapped_column(BigInteger)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Why it gives data or not: ok, no_profile, empty, auth, timeout, error (models.vocabulary).
    reason: Mapped[str | None] = mapped_column(String(16))


class Series(Base):
    __tablename__ = "series"
    __table_args__ = (UniqueConstraint("device_id", "metric", "channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(100), default="")
    # What the series means, decided once by the collector from the profile and the rules
    # (models/series_meaning.py); every desk, the alarm engine and the report read it.
    channel_class: Mapped[str | None] = mapped_column(String(16))  # total|phase|branch|outlet|part
    role: Mapped[str | None] = mapped_column(String(32))  # inlet, outlet, ambient, cpu, psu, ...
    unit: Mapped[str] = mapped_column(String(16))
    # Effective limits: device-supplied when enabled and sane, else rule defaults, then overrides.
    warn_low: Mapped[float | None] = mapped_column(Float)
    warn_high: Mapped[float | None] = mapped_column(Float)
    crit_low: Mapped[float | None] = mapped_column(Float)
    crit_high: Mapped[float | None] = mapped_column(Float)
    limits_source: Mapped[str | None] = mapped_column(String(16))  # device|rules|override
    # What the device itself reported, kept so a changed rule can be re-applied without a poll.
    device_warn_low: Mapped[float | None] = mapped_column(Float)
    device_warn_high: Mapped[float | None] = mapped_column(Float)
    device_crit_low: Mapped[float | None] = mapped_column(Float)
    device_crit_high: Mapped[float | None] = mapped_column(Float)
    interval_s: Mapped[int | None] = mapped_column(Integer)  # expected spacing of samples
    stale_after_s: Mapped[int | None] = mapped_column(Integer)  # no sample for this long = stale

    device: Mapped[Device] = relationship(back_populates="series")


class Sample(Base):
    """Raw samples; ts is UTC epoch seconds. WITHOUT ROWID on SQLite, partitioned on PostgreSQL."""

    __tablename__ = "sample"
    __table_args__ = {"sqlite_with_rowid": False}

    series_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    value: Mapped[float] = mapped_column(Float)


class Rollup(Base):
    """Aggregates per bucket; res is the bucket width in seconds (300 or 3600)."""

    __tablename__ = "rollup"
    __table_args__ = {"sqlite_with_rowid": False}

    series_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    res: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    min: Mapped[float] = mapped_column(Float)
    max: Mapped[float] = mapped_column(Float)
    sum: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)


class Latest(Base):
    __tablename__ = "latest"
    __table_args__ = {"sqlite_with_rowid": False}

    series_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="ok")
    seq: Mapped[int] = mapped_column(BigInteger)


class Counter(Base):
    """Named monotonic counters; the 'change' row is the change sequence readers follow."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Alarm(Base):
    __tablename__ = "alarm"
    __table_args__ = (Index("ix_alarm_state_site", "state", "site_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200), index=True)
    severity: Mapped[str] = mapped_column(String(16))  # warning, critical
    state: Mapped[str] = mapped_column(String(16))  # active, acknowledged, shelved, cleared
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="SET NULL"))
    rack_id: Mapped[int | None] = mapped_column(ForeignKey("rack.id", ondelete="SET NULL"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="SET NULL"))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(Text)
    # Template id and JSON arguments in models.messages (migration 0006); message is English.
    message_id: Mapped[str | None] = mapped_column(String(64))
    message_args: Mapped[str | None] = mapped_column(Text)
    value: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    raised_ts: Mapped[int] = mapped_column(BigInteger)
    cleared_ts: Mapped[int | None] = mapped_column(BigInteger)
    ack_by: Mapped[str | None] = mapped_column(String(100))
    ack_ts: Mapped[int | None] = mapped_column(BigInteger)
    ack_note: Mapped[str | None] = mapped_column(Text)
    shelved_until: Mapped[int | None] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    # The incident this alarm is folded into (models/alarms/incidents.py), None before 0003.
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incident.id", ondelete="SET NULL"), index=True
    )


class Incident(Base):
    """Alarms with one cause and place, seen and acknowledged as one (docs/alarms.md)."""

    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_state_key", "state", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))  # family:site:row, what joins alarms
    family: Mapped[str] = mapped_column(String(32))  # thermal, power, reachability, collector
    severity: Mapped[str] = mapped_column(String(16))  # worst open member
    state: Mapped[str] = mapped_column(String(16))  # active, acknowledged, shelved, cleared
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="SET NULL"))
    row: Mapped[str] = mapped_column(String(32), default="")
    rack_id: Mapped[int | None] = mapped_column(ForeignKey("rack.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(Text, default="")
    # The title as a catalogue template (models.messages; migration 0006); title is English.
    title_id: Mapped[str | None] = mapped_column(String(64))
    title_args: Mapped[str | None] = mapped_column(Text)
    alarms_open: Mapped[int] = mapped_column(Integer, default=0)
    alarms_total: Mapped[int] = mapped_column(Integer, default=0)
    racks: Mapped[int] = mapped_column(Integer, default=0)
    peak_value: Mapped[float | None] = mapped_column(Float)
    first_ts: Mapped[int] = mapped_column(BigInteger)
    last_ts: Mapped[int] = mapped_column(BigInteger)
    cleared_ts: Mapped[int | None] = mapped_column(BigInteger)
    ack_by: Mapped[str | None] = mapped_column(String(100))
    ack_ts: Mapped[int | None] = mapped_column(BigInteger)
    ack_note: Mapped[str | None] = mapped_column(Text)
    # The severity it was acknowledged at: a joining alarm re-alerts only above it.
    ack_severity: Mapped[str | None] = mapped_column(String(16))
    shelved_until: Mapped[int | None] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger, default=0, index=True)


class IncidentEvent(Base):
    """Audit trail of incidents, like alarm_event."""

    __tablename__ = "incident_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    ts: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    user: Mapped[str] = mapped_column(String(100), default="system")
    note: Mapped[str | None] = mapped_column(Text)


class AlarmEvent(Base):
    """Audit trail: every alarm transition, with who and why."""

    __tablename__ = "alarm_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarm.id", ondelete="CASCADE"), index=True)
    ts: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    user: Mapped[str] = mapped_column(String(100), default="system")
    note: Mapped[str | None] = mapped_column(Text)
    # A system event's condition as a catalogue template (models.messages; migration 0006).
    message_id: Mapped[str | None] = mapped_column(String(64))
    message_args: Mapped[str | None] = mapped_column(Text)


class InventoryEvent(Base):
    """Audit trail of inventory changes made from a desk: who added or edited what (0006)."""

    __tablename__ = "inventory_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger, index=True)
    user: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))  # add, edit, import
    kind: Mapped[str] = mapped_column(String(16))  # site, rack, device, inventory
    name: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)


class MaintenanceWindow(Base):
    __tablename__ = "maintenance_window"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # site, rack, device
    target_id: Mapped[int] = mapped_column(Integer)
    start_ts: Mapped[int] = mapped_column(BigInteger)
    end_ts: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class CollectorHeartbeat(Base):
    __tablename__ = "collector_heartbeat"

    collector_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    shard: Mapped[str] = mapped_column(String(32), default="0/1")
    started_ts: Mapped[int] = mapped_column(BigInteger)
    last_beat_ts: Mapped[int] = mapped_column(BigInteger)
    devices: Mapped[int] = mapped_column(Integer, default=0)
    polls_ok: Mapped[int] = mapped_column(BigInteger, default=0)
    polls_failed: Mapped[int] = mapped_column(BigInteger, default=0)
    # ok | spooling (database writes failing, results kept on disk) | overloaded (polls run
    # late) | failed (cannot write and cannot keep); detail says why (issue 15).
    health: Mapped[str] = mapped_column(String(16), default="ok", server_default="ok")
    health_detail: Mapped[str | None] = mapped_column(Text)
    spool_batches: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class PollRequest(Base):
    """'Poll now' and 'focus' requests written by GUIs and watched by collectors."""

    __tablename__ = "poll_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # poll_now, focus
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    rack_id: Mapped[int | None] = mapped_column(ForeignKey("rack.id", ondelete="CASCADE"))
    interval_s: Mapped[int | None] = mapped_column(Integer)
    requested_ts: Mapped[int] = mapped_column(BigInteger)
    until_ts: Mapped[int | None] = mapped_column(BigInteger)
    done_ts: Mapped[int | None] = mapped_column(BigInteger, index=True)
    requested_by: Mapped[str] = mapped_column(String(100), default="")


# -- scale-out (issue 12): leases, site collectors, deployment settings -----------------------


class DeploymentSetting(Base):
    """Deployment-wide settings every process reads from the central database (history URL)."""

    __tablename__ = "deployment_setting"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


class SiteCollector(Base):
    """A live collector of one site; expires_ts is renewed with every heartbeat."""

    __tablename__ = "site_collector"

    collector_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    started_ts: Mapped[int] = mapped_column(BigInteger)
    beat_ts: Mapped[int] = mapped_column(BigInteger)
    expires_ts: Mapped[int] = mapped_column(BigInteger)
    units: Mapped[int] = mapped_column(Integer, default=0)
    devices: Mapped[int] = mapped_column(Integer, default=0)


class Lease(Base):
    """One unit of work (a rack with all its devices, or a device outside racks) and its holder.

    Racks are the unit so rack-level rules (rack power, A+B redundancy) see every contributor
    on one collector. owner is NULL when free; a lease whose expires_ts passed is free to claim.
    """

    __tablename__ = "lease"
    __table_args__ = (Index("ix_lease_site_owner", "site_id", "owner"),)

    unit: Mapped[str] = mapped_column(String(64), primary_key=True)  # rack:ID or device:ID
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    rack_id: Mapped[int | None] = mapped_column(ForeignKey("rack.id", ondelete="CASCADE"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    owner: Mapped[str | None] = mapped_column(String(100))
    expires_ts: Mapped[int] = mapped_column(BigInteger, default=0)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)
    since_ts: Mapped[int] = mapped_column(BigInteger, default=0)


class AlarmOutboxReceipt(Base):
    """One batch of alarm transitions from a site's outbox, applied once (idempotent replay)."""

    __tablename__ = "alarm_outbox_receipt"

    uid: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_ts: Mapped[int] = mapped_column(BigInteger)
