"""Maps (device, metric, channel) to series ids, creating series rows in bulk on first sight."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update

from models.schema import Series

Key = tuple[int, str, str]


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

    @property
    def key(self) -> Key:
        return (self.device_id, self.metric, self.channel)

    def limits(self) -> tuple[float | None, float | None, float | None, float | None]:
        return (self.warn_low, self.warn_high, self.crit_low, self.crit_high)


class SeriesRegistry:
    """Cache of series ids for the devices one collector polls."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._ids: dict[Key, int] = {}
        self._limits: dict[int, tuple[float | None, ...]] = {}

    def preload(self, device_ids: Iterable[int]) -> int:
        ids = list(device_ids)
        with self.engine.connect() as conn:
            for i in range(0, len(ids), 900):
                rows = conn.execute(
                    select(
                        Series.id,
                        Series.device_id,
                        Series.metric,
                        Series.channel,
                        Series.warn_low,
                        Series.warn_high,
                        Series.crit_low,
                        Series.crit_high,
                    ).where(Series.device_id.in_(ids[i : i + 900]))
                )
                for r in rows:
                    self._ids[(r.device_id, r.metric, r.channel)] = r.id
                    self._limits[r.id] = (r.warn_low, r.warn_high, r.crit_low, r.crit_high)
        return len(self._ids)

    def get(self, key: Key) -> int | None:
        return self._ids.get(key)

    def resolve(self, specs: Sequence[SeriesSpec]) -> list[int]:
        """Series id of each spec, creating missing series and refreshing device limits."""
        missing: dict[Key, SeriesSpec] = {}
        changed: list[tuple[int, SeriesSpec]] = []
        for spec in specs:
            sid = self._ids.get(spec.key)
            if sid is None:
                missing.setdefault(spec.key, spec)
            elif (
                any(v is not None for v in spec.limits()) and self._limits.get(sid) != spec.limits()
            ):
                changed.append((sid, spec))
        if missing or changed:
            self._create(list(missing.values()), changed)
        return [self._ids[s.key] for s in specs]

    def _create(self, specs: list[SeriesSpec], changed: list[tuple[int, SeriesSpec]]) -> None:
        with self.engine.begin() as conn:
            if specs:
                conn.execute(
                    insert(Series).prefix_with("OR IGNORE")
                    if self.engine.dialect.name == "sqlite"
                    else insert(Series),
                    [
                        {
                            "device_id": s.device_id,
                            "metric": s.metric,
                            "channel": s.channel,
                            "unit": s.unit,
                            "role": s.role,
                            "warn_low": s.warn_low,
                            "warn_high": s.warn_high,
                            "crit_low": s.crit_low,
                            "crit_high": s.crit_high,
                        }
                        for s in specs
                    ],
                )
                devices = sorted({s.device_id for s in specs})
                rows = conn.execute(
                    select(Series.id, Series.device_id, Series.metric, Series.channel).where(
                        Series.device_id.in_(devices)
                    )
                )
                for r in rows:
                    self._ids[(r.device_id, r.metric, r.channel)] = r.id
                for s in specs:
                    self._limits[self._ids[s.key]] = s.limits()
            for sid, s in changed:
                conn.execute(
                    update(Series)
                    .where(Series.id == sid)
                    .values(
                        warn_low=s.warn_low,
                        warn_high=s.warn_high,
                        crit_low=s.crit_low,
                        crit_high=s.crit_high,
                    )
                )
                self._limits[sid] = s.limits()
