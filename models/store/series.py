"""Maps (device, metric, channel) to series ids, creating series rows and their meaning."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, bindparam, insert, select, text, update

from models.rules import Rules, current_rules
from models.schema import Series
from models.series_meaning import Feed, Limits, Meaning, decide

Key = tuple[int, str, str]
# What the device said about a series: role, channel class, its own limits.
Inputs = tuple[str | None, str | None, float | None, float | None, float | None, float | None]
_MEANING_COLS = (
    "channel_class",
    "role",
    "warn_low",
    "warn_high",
    "crit_low",
    "crit_high",
    "limits_source",
    "interval_s",
    "stale_after_s",
)


@dataclass(frozen=True, slots=True)
class SeriesSpec:
    device_id: int
    metric: str
    channel: str
    unit: str
    role: str | None = None
    warn_low: float | None = None
    warn_high: float | None = None
    crit_low: float | None = None
    crit_high: float | None = None
    channel_class: str | None = None  # what the profile or driver declared

    @property
    def key(self) -> Key:
        return (self.device_id, self.metric, self.channel)

    def limits(self) -> Limits:
        return (self.warn_low, self.warn_high, self.crit_low, self.crit_high)

    def inputs(self) -> Inputs:
        return (self.role, self.channel_class, *self.limits())


@dataclass(frozen=True, slots=True)
class DeviceContext:
    """What the meaning of a device's series depends on besides the reading itself."""

    kind: str
    interval_s: int
    feed: Feed | None


def load_device_contexts(engine: Engine, device_ids: Iterable[int]) -> dict[int, DeviceContext]:
    ids = sorted({int(d) for d in device_ids})
    out: dict[int, DeviceContext] = {}
    stmt = text(
        "SELECT d.id, d.kind, d.poll_interval_s, f.breaker_a, f.phases FROM device d "
        "LEFT JOIN rack_feed f ON f.rack_id = d.rack_id AND f.feed = d.feed WHERE d.id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    with engine.connect() as conn:
        for i in range(0, len(ids), 900):
            for r in conn.execute(stmt, {"ids": ids[i : i + 900]}):
                feed = None if r[3] is None else Feed(float(r[3]), int(r[4] or 1))
                out[int(r[0])] = DeviceContext(str(r[1]), max(1, int(r[2] or 60)), feed)
    return out


def meaning_of(
    metric: str, channel: str, inputs: Inputs, ctx: DeviceContext, rules: Rules
) -> Meaning:
    role, declared, *limits = inputs
    return decide(
        metric=metric,
        channel=channel,
        role=role,
        declared_class=declared,
        kind=ctx.kind,
        interval_s=ctx.interval_s,
        device_limits=(limits[0], limits[1], limits[2], limits[3]),
        feed=ctx.feed,
        rules=rules,
    )


def meaning_row(m: Meaning) -> tuple[Any, ...]:
    """The series columns a meaning fills, in _MEANING_COLS order."""
    return (m.channel_class, m.role, *m.limits, m.limits_source, m.interval_s, m.stale_after_s)


class SeriesRegistry:
    """Cache of series ids for the devices one collector polls, and what each series means.

    The meaning is decided here (models.series_meaning) from what the device said and the
    current rules, and written into the series row whenever it changes: on first sight, when
    the device reports other limits, and when the rules file changes (`refresh_rules`).
    """

    def __init__(self, engine: Engine, rules: Callable[[], Rules] = current_rules) -> None:
        self.engine = engine
        self._rules_source = rules
        self.rules = rules()
        self._ids: dict[Key, int] = {}
        self._keys: dict[int, Key] = {}
        self._inputs: dict[int, Inputs] = {}
        self._written: dict[int, tuple[Any, ...]] = {}
        self._devices: dict[int, DeviceContext] = {}
        # Labels and device contexts repeat across thousands of devices ("Inlet Temp" on a
        # server polled every 60 s), so decisions are memoised until the rules change.
        self._memo: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self.redecided = 0  # rows whose meaning was rewritten (tests, logs)

    def preload(self, device_ids: Iterable[int]) -> int:
        """Learn the series of these devices and re-decide every one of them (so a database
        written by an older collector, or under older rules, is brought up to date)."""
        ids = sorted({int(d) for d in device_ids})
        self._devices.update(load_device_contexts(self.engine, ids))
        cols = [
            Series.id,
            Series.device_id,
            Series.metric,
            Series.channel,
            Series.role,
            Series.channel_class,
            Series.device_warn_low,
            Series.device_warn_high,
            Series.device_crit_low,
            Series.device_crit_high,
            Series.stale_after_s,
            *(getattr(Series, c) for c in _MEANING_COLS),
        ]
        with self.engine.connect() as conn:
            for i in range(0, len(ids), 900):
                for r in conn.execute(select(*cols).where(Series.device_id.in_(ids[i : i + 900]))):
                    key = (r[1], r[2], r[3])
                    self._ids[key] = r[0]
                    self._keys[r[0]] = key
                    # A row never decided by this code (stale_after_s unset) keeps only its
                    # label: the class comes from the rules until the profile says.
                    declared = r[5] if r[10] is not None else None
                    self._inputs[r[0]] = (r[4], declared, r[6], r[7], r[8], r[9])
                    self._written[r[0]] = tuple(r[11:])
        self.redecide()
        return len(self._ids)

    def get(self, key: Key) -> int | None:
        return self._ids.get(key)

    def __len__(self) -> int:
        return len(self._ids)

    def known(self) -> list[tuple[Key, int]]:
        """Every (key, series id) learned so far (a copy, safe beside the writer thread)."""
        return list(self._ids.items())

    def remember(self, ids: Mapping[Key, int]) -> None:
        """Ids known from elsewhere (a site collector's saved state while the centre is
        away); `preload` later replaces them with the rows and their meaning."""
        for key, sid in ids.items():
            self._ids.setdefault(key, sid)
            self._keys.setdefault(sid, key)

    def refresh_rules(self) -> bool:
        """Re-apply the rules to every known series when they changed; True if they did."""
        rules = self._rules_source()
        if rules is self.rules:
            return False
        self.rules = rules
        self._memo.clear()
        self.redecide()
        return True

    def _row(
        self, metric: str, channel: str, inputs: Inputs, ctx: DeviceContext
    ) -> tuple[Any, ...]:
        key = (metric, channel, inputs, ctx)
        row = self._memo.get(key)
        if row is None:
            if len(self._memo) >= 200_000:
                self._memo.clear()
            row = meaning_row(meaning_of(metric, channel, inputs, ctx, self.rules))
            self._memo[key] = row
        return row

    def redecide(self) -> int:
        """Decide every known series again and write the rows whose meaning changed."""
        changed: list[tuple[int, tuple[Any, ...]]] = []
        for sid, inputs in self._inputs.items():
            dev_id, metric, channel = self._keys[sid]
            row = self._row(metric, channel, inputs, self._context(dev_id))
            if self._written.get(sid) != row:
                changed.append((sid, row))
        self._update(changed, [])
        return len(changed)

    def _context(self, device_id: int) -> DeviceContext:
        ctx = self._devices.get(device_id)
        if ctx is None:
            self._devices.update(load_device_contexts(self.engine, [device_id]))
            ctx = self._devices.get(device_id, DeviceContext("server", 60, None))
        return ctx

    def resolve(self, specs: Sequence[SeriesSpec]) -> list[int]:
        """Series id of each spec, creating missing series and re-deciding changed ones."""
        missing: dict[Key, SeriesSpec] = {}
        changed: dict[int, SeriesSpec] = {}
        for spec in specs:
            sid = self._ids.get(spec.key)
            if sid is None:
                missing.setdefault(spec.key, spec)
            elif self._inputs.get(sid) != spec.inputs():
                changed[sid] = spec
        if missing or changed:
            self._create(list(missing.values()), changed)
        return [self._ids[s.key] for s in specs]

    def _create(self, specs: list[SeriesSpec], changed: dict[int, SeriesSpec]) -> None:
        if specs:
            rows = []
            for s in specs:
                decided = self._row(s.metric, s.channel, s.inputs(), self._context(s.device_id))
                rows.append(
                    {
                        "device_id": s.device_id,
                        "metric": s.metric,
                        "channel": s.channel,
                        "unit": s.unit,
                        **dict(zip(_MEANING_COLS, decided, strict=True)),
                        "device_warn_low": s.warn_low,
                        "device_warn_high": s.warn_high,
                        "device_crit_low": s.crit_low,
                        "device_crit_high": s.crit_high,
                    }
                )
            with self.engine.begin() as conn:
                conn.execute(
                    insert(Series).prefix_with("OR IGNORE")
                    if self.engine.dialect.name == "sqlite"
                    else insert(Series),
                    rows,
                )
                devices = sorted({s.device_id for s in specs})
                found = conn.execute(
                    select(Series.id, Series.device_id, Series.metric, Series.channel).where(
                        Series.device_id.in_(devices)
                    )
                )
                for r in found:
                    self._ids[(r.device_id, r.metric, r.channel)] = r.id
                    self._keys[r.id] = (r.device_id, r.metric, r.channel)
            for s, rec in zip(specs, rows, strict=True):
                sid = self._ids[s.key]
                self._inputs[sid] = s.inputs()
                self._written[sid] = tuple(rec[c] for c in _MEANING_COLS)
        updates: list[tuple[int, tuple[Any, ...]]] = []
        devices_changed: list[tuple[int, SeriesSpec]] = []
        for sid, s in changed.items():
            old = self._inputs.get(sid)
            self._inputs[sid] = s.inputs()
            row = self._row(s.metric, s.channel, s.inputs(), self._context(s.device_id))
            if self._written.get(sid) != row:
                updates.append((sid, row))
            if old is None or old[2:] != s.inputs()[2:]:
                devices_changed.append((sid, s))
        self._update(updates, devices_changed)

    def _update(
        self, rows: list[tuple[int, tuple[Any, ...]]], device_limits: list[tuple[int, SeriesSpec]]
    ) -> None:
        if not rows and not device_limits:
            return
        with self.engine.begin() as conn:
            # One executemany per kind of change: re-deciding 600,000 rows must not cost
            # 600,000 round trips.
            if rows:
                conn.execute(
                    update(Series)
                    .where(Series.id == bindparam("sid"))
                    .values({c: bindparam(f"m_{c}") for c in _MEANING_COLS}),
                    [
                        {
                            "sid": sid,
                            **{f"m_{c}": v for c, v in zip(_MEANING_COLS, row, strict=True)},
                        }
                        for sid, row in rows
                    ],
                )
                for sid, row in rows:
                    self._written[sid] = row
            if device_limits:
                conn.execute(
                    update(Series)
                    .where(Series.id == bindparam("sid"))
                    .values(
                        device_warn_low=bindparam("d_wl"),
                        device_warn_high=bindparam("d_wh"),
                        device_crit_low=bindparam("d_cl"),
                        device_crit_high=bindparam("d_ch"),
                    ),
                    [
                        {
                            "sid": sid,
                            "d_wl": s.warn_low,
                            "d_wh": s.warn_high,
                            "d_cl": s.crit_low,
                            "d_ch": s.crit_high,
                        }
                        for sid, s in device_limits
                    ],
                )
        self.redecided += len(rows)
