"""Runs database reads off the GUI thread and hands plain results back through a signal."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class _Relay(QObject):
    # Queued across threads: the slot runs on the thread that owns the Loader (the GUI thread).
    done = Signal(str, int, object)
    failed = Signal(str, int, str)


class _Task(QRunnable):
    def __init__(self, relay: _Relay, key: str, gen: int, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.relay, self.key, self.gen, self.fn = relay, key, gen, fn
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # reported on the GUI thread, never raised in the pool
            log.debug("background read %s failed", self.key, exc_info=True)
            msg = f"{type(exc).__name__}: {exc}"
            if not str(exc):
                msg += "\n" + traceback.format_exc(limit=3)
            self._emit(self.relay.failed, msg)
            return
        self._emit(self.relay.done, result)

    def _emit(self, signal: Any, payload: object) -> None:
        try:
            signal.emit(self.key, self.gen, payload)
        except RuntimeError:
            # The window closed while this read ran; nobody is left to take the result.
            log.debug("result of %s dropped: receiver gone", self.key)


class Loader(QObject):
    """Keyed background reads: one in flight per key, newest request wins, stale ones dropped.

    loaded(key, result) fires on the GUI thread with whatever the function returned (plain,
    immutable data); failed(key, message) when it raised.
    """

    loaded = Signal(str, object)
    failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self.pool = pool or QThreadPool.globalInstance()
        self._relay = _Relay()
        self._relay.done.connect(self._on_done)
        self._relay.failed.connect(self._on_failed)
        self._gen: dict[str, int] = {}
        self._busy: set[str] = set()
        self._queued: dict[str, Callable[[], Any]] = {}
        self.in_flight = 0

    def submit(self, key: str, fn: Callable[[], Any]) -> None:
        """Run fn in the pool; if key is busy, run it after the current one (latest wins)."""
        if key in self._busy:
            self._queued[key] = fn
            self._gen[key] = self._gen.get(key, 0) + 1
            return
        self._start(key, fn)

    def busy(self, key: str | None = None) -> bool:
        return bool(self._busy) if key is None else key in self._busy

    def _start(self, key: str, fn: Callable[[], Any]) -> None:
        gen = self._gen.get(key, 0) + 1
        self._gen[key] = gen
        self._busy.add(key)
        self.in_flight += 1
        self.pool.start(_Task(self._relay, key, gen, fn))

    def _finish(self, key: str) -> bool:
        self._busy.discard(key)
        self.in_flight -= 1
        nxt = self._queued.pop(key, None)
        if nxt is not None:
            self._start(key, nxt)
            return False
        return True

    def _on_done(self, key: str, gen: int, result: object) -> None:
        fresh = self._finish(key) and gen == self._gen.get(key)
        if fresh:
            self.loaded.emit(key, result)

    def _on_failed(self, key: str, gen: int, message: str) -> None:
        fresh = self._finish(key) and gen == self._gen.get(key)
        if fresh:
            log.warning("reading %s failed: %s", key, message)
            self.failed.emit(key, message)


class ChangeFollower(QObject):
    """Follows PostgreSQL LISTEN/NOTIFY on a plain thread; `changed` fires on the GUI thread.

    The desk re-reads its cursors on every notification instead of waiting for the next
    pulse, and re-reads everything when `changed` says the listener reconnected (NOTIFY
    has no replay). SQLite has no NOTIFY: there the cursor pulse alone drives the desk.
    """

    changed = Signal(object)  # models.notify.Changes

    def __init__(self, url: str, parent: QObject | None = None) -> None:
        import threading

        from models.notify import ChangeListener

        super().__init__(parent)
        self._listener = ChangeListener(url)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rackwatch-listen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            got = self._listener.wait(1.0)
            if got and not self._stop.is_set():
                try:
                    self.changed.emit(got)
                except RuntimeError:  # the window is gone
                    return
        self._listener.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3)
