"""What every view shares: the engine, the background loader, the user and the database label."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from ui.workers import Loader


@dataclass
class Context:
    engine: Engine
    url: str
    loader: Loader
    user: str

    @property
    def db_label(self) -> str:
        u = make_url(self.url)
        if u.get_backend_name() == "sqlite":
            return f"SQLite {u.database}"
        return u.render_as_string(hide_password=True)


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
