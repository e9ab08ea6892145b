"""Where history lives (rows in the database or VictoriaMetrics), chosen by configuration."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine, text

from models.store.samples import History, Row, WriterStats

# Environment overrides (a collector's config file sets the same through flags).
ENV_QUERY = "RACKWATCH_VM_URL"  # VictoriaMetrics select side, for reading history
ENV_WRITE = "RACKWATCH_VMAGENT_URL"  # the site's vmagent (or VictoriaMetrics itself)
ENV_BACKEND = "RACKWATCH_HISTORY"  # "rows" forces samples as rows even if the database says VM

# Rows of deployment_setting (migration 0004) that desks read, so a desk pointed at the
# central database finds VictoriaMetrics without any flag of its own.
SETTING_BACKEND = "history.backend"
SETTING_QUERY = "history.vm_url"


class SampleSink(Protocol):
    """What the collector writes samples through (models.store.samples.SampleWriter or VM)."""

    stats: WriterStats

    def write(self, rows: Sequence[Row]) -> int: ...

    def flush(self) -> int: ...

    def close(self) -> int: ...


@dataclass(frozen=True, slots=True)
class HistoryConfig:
    """rows: samples, rollups and history in the database (SQLite file or PostgreSQL).
    victoria: samples written to write_url (vmagent), read from query_url (VictoriaMetrics)."""

    backend: str = "rows"
    query_url: str = ""
    write_url: str = ""
    raw_interval_s: int = 30

    @property
    def is_victoria(self) -> bool:
        return self.backend == "victoria"


def _settings(engine: Engine) -> dict[str, str]:
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT name, value FROM deployment_setting")).all()
        return {str(n): str(v) for n, v in rows}
    except Exception:  # an older schema or a database without the table: rows
        return {}


def resolve_config(
    engine: Engine, *, query_url: str | None = None, write_url: str | None = None
) -> HistoryConfig:
    """Flags first, then the environment, then deployment_setting rows; default rows."""
    if os.environ.get(ENV_BACKEND, "") == "rows":
        return HistoryConfig()
    settings = _settings(engine) if engine.dialect.name == "postgresql" else {}
    q = query_url or os.environ.get(ENV_QUERY) or settings.get(SETTING_QUERY, "")
    w = write_url or os.environ.get(ENV_WRITE) or ""
    backend = "victoria" if (q or w or settings.get(SETTING_BACKEND) == "victoria") else "rows"
    if backend == "victoria" and not q:
        raise ValueError(
            "history in VictoriaMetrics but no query URL (--vm-url / RACKWATCH_VM_URL)"
        )
    return HistoryConfig(backend, q, w or q)


def publish_config(engine: Engine, config: HistoryConfig) -> None:
    """Record in the central database where history lives, for every desk to find."""
    values = {SETTING_BACKEND: config.backend, SETTING_QUERY: config.query_url}
    with engine.begin() as conn:
        for name, value in values.items():
            conn.execute(
                text(
                    "INSERT INTO deployment_setting (name, value) VALUES (:n, :v) "
                    "ON CONFLICT (name) DO UPDATE SET value = excluded.value"
                ),
                {"n": name, "v": value},
            )


class HistoryReader(Protocol):
    def history(
        self, series_ids: Sequence[int], start: int, end: int, max_points: int = 2000
    ) -> dict[int, History]: ...

    def stats(
        self, series_ids: Sequence[int], start: int, end: int
    ) -> dict[int, tuple[float, float]]: ...


_readers: dict[str, HistoryReader | None] = {}
_lock = threading.Lock()


def reader_for(engine: Engine) -> HistoryReader | None:
    """The VictoriaMetrics reader configured for engine's database, or None for rows."""
    key = engine.url.render_as_string(hide_password=False)
    with _lock:
        if key in _readers:
            return _readers[key]
    config = resolve_config(engine)
    reader: HistoryReader | None = None
    if config.is_victoria:
        from models.store.victoria import VictoriaHistory

        reader = VictoriaHistory(config.query_url, raw_interval_s=config.raw_interval_s)
    with _lock:
        _readers[key] = reader
    return reader


def set_reader(engine: Engine, reader: HistoryReader | None) -> None:
    """Fix the reader for engine's database (a process that was given URLs by flags)."""
    with _lock:
        _readers[engine.url.render_as_string(hide_password=False)] = reader


def forget_readers() -> None:
    with _lock:
        readers = list(_readers.values())
        _readers.clear()
    for r in readers:
        close = getattr(r, "close", None)
        if close is not None:
            close()


def open_sink(engine: Engine, config: HistoryConfig) -> SampleSink:
    """The sample writer for config: rows (with rollups) or VictoriaMetrics via vmagent."""
    if config.is_victoria:
        from models.store.victoria import VictoriaWriter

        return VictoriaWriter(engine, config.write_url)
    from models.store.samples import SampleWriter

    return SampleWriter(engine)
