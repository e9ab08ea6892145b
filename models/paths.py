"""Where RackWatch keeps data, logs and configuration (platformdirs), and the database URL."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "rackwatch"
DB_ENV = "RACKWATCH_DB"


def data_dir() -> Path:
    path = Path(os.environ.get("RACKWATCH_DATA_DIR") or platformdirs.user_data_dir(APP))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    path = Path(os.environ.get("RACKWATCH_CONFIG_DIR") or platformdirs.user_config_dir(APP))
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    path = Path(os.environ.get("RACKWATCH_LOG_DIR") or platformdirs.user_log_dir(APP))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Rebuildable caches (compiled MIBs); safe to delete."""
    path = Path(os.environ.get("RACKWATCH_CACHE_DIR") or platformdirs.user_cache_dir(APP))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_url() -> str:
    return f"sqlite:///{data_dir() / 'rackwatch.db'}"


def resolve_db_url(cli_value: str | None) -> str:
    """--db wins, then $RACKWATCH_DB, then the SQLite file in the user data dir."""
    if cli_value:
        return cli_value
    return os.environ.get(DB_ENV) or default_db_url()
