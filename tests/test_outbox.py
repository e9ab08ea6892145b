"""The site collector's alarm outbox: durable, ordered, applied once (real PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from models.alarms.lifecycle import AlarmChange, apply_changes
from models.db import make_engine
from models.schema import Site
from monitors.collection.outbox import AlarmOutbox, OutboxAlarmEngine
from monitors.lab.daemons.common import free_port
from monitors.lab.daemons.pg import PgCluster

pytestmark = pytest.mark.daemon


@pytest.fixture
def central(pg_cluster: PgCluster) -> Iterator[Engine]:
    url = pg_cluster.migrated_database()
    eng = make_engine(url)
    with Session(eng) as s:
        s.add(Site(code="OB1", name="Outbox hall"))
        s.commit()
    yield eng
    eng.dispose()
    pg_cluster.drop_database(url)


def _raise(key: str) -> AlarmChange:
    return AlarmChange(key, "temperature", "critical", f"{key} hot", site_id=1, value=35.0)


def _clear(key: str) -> AlarmChange:
    return AlarmChange(key, "temperature", None, f"{key} back to normal", site_id=1)


def _events(engine: Engine) -> list[tuple[str, str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT a.key, e.action, e.ts FROM alarm_event e JOIN alarm a "
                "ON a.id = e.alarm_id ORDER BY e.id"
            )
        ).all()
    return [(str(k), str(a), int(t)) for k, a, t in rows]


def test_outbox_keeps_batches_in_order_across_a_restart(tmp_path: Path) -> None:
    box = AlarmOutbox(tmp_path / "outbox.db")
    box.append([_raise("a")], 100)
    box.append([_clear("a"), _raise("b")], 130)
    box.close()
    again = AlarmOutbox(tmp_path / "outbox.db")
    got = again.pending()
    assert [(t, [c.key for c in ch]) for _i, _u, t, ch in got] == [(100, ["a"]), (130, ["a", "b"])]
    assert got[1][3][0] == _clear("a")
    again.done(got[0][0])
    assert len(again) == 1
    again.close()


def test_a_replayed_batch_is_applied_once(central: Engine) -> None:
    apply_changes(central, [_raise("x")], 100, batch_uid="u1")
    apply_changes(central, [_clear("x")], 130, batch_uid="u2")
    # The acknowledgement of both was lost: the collector sends them again.
    apply_changes(central, [_raise("x")], 100, batch_uid="u1")
    apply_changes(central, [_clear("x")], 130, batch_uid="u2")
    assert _events(central) == [("x", "raise", 100), ("x", "clear", 130)]


def test_transitions_made_while_the_centre_is_away_arrive_after_a_restart(
    central: Engine, tmp_path: Path
) -> None:
    # A centre nobody answers at: loopback, a port with no server.
    away = make_engine(
        f"postgresql+psycopg://rackwatch:x@127.0.0.1:{free_port()}/none",
        connect_args={"connect_timeout": 2},
    )
    box = AlarmOutbox(tmp_path / "outbox.db")
    cut_off = OutboxAlarmEngine(away, None, box)
    cut_off._write([_raise("p")], 200)  # what process() hands over after a rule fires
    # Queued, not yet delivered, yet open as far as the rules go: their clear will be sent.
    assert "p" in cut_off.open
    cut_off._write([_raise("q")], 230)
    cut_off._write([_clear("p")], 260)
    assert "p" not in cut_off.open and "q" in cut_off.open
    assert len(box) == 3 and cut_off.delivered == 0
    away.dispose()
    box.close()
    # The collector restarts, the link is back: its outbox goes out first, in order.
    box = AlarmOutbox(tmp_path / "outbox.db")
    back = OutboxAlarmEngine(central, None, box)
    assert back.deliver() == 0
    assert back.delivered == 3 and len(box) == 0
    assert _events(central) == [("p", "raise", 200), ("q", "raise", 230), ("p", "clear", 260)]
    box.close()
