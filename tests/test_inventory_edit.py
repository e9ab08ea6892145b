"""Desk edits of the inventory: same validation as the import, audited, nothing on a problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from models.inventory.edit import (
    import_file,
    inventory_events,
    rack_entry,
    save_device,
    save_rack,
    save_site,
)
from models.inventory.importer import ImportCancelled, InventoryError
from tests.daemons import REPO


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_site_rack_device_added_then_edited_and_audited(engine: Engine) -> None:
    save_site(engine, {"code": "GA1", "name": "Hall A", "timezone": "Asia/Shanghai"}, user="li")
    rack = {
        "name": "A01",
        "row": "A",
        "position": 1,
        "height_u": 42,
        "rated_power_w": 8000,
        "feeds": {"A": {"breaker_a": 32, "phases": 1, "voltage_v": 230}},
    }
    save_rack(engine, "GA1", rack, user="li")
    device = {
        "site": "GA1",
        "rack": "A01",
        "name": "pdu-a",
        "kind": "pdu",
        "feed": "A",
        "address": "127.0.0.1",
        "port": 1161,
        "credential": "lab",
    }
    report = save_device(engine, device, user="li")
    assert report.devices.created == 1
    # Saving a device never restates its rack: the rack keeps its feeds and power.
    assert rack_entry(engine, "GA1", "A01") == rack
    report = save_device(engine, device | {"model": "APC AP8853"}, user="wang")
    assert report.devices.updated == 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT model FROM device")).scalar_one() == "APC AP8853"
    events = inventory_events(engine)
    assert [(e[1], e[2], e[3], e[4]) for e in reversed(events)] == [
        ("li", "add", "site", "GA1"),
        ("li", "add", "rack", "GA1/A01"),
        ("li", "add", "device", "GA1/pdu-a"),
        ("wang", "edit", "device", "GA1/pdu-a"),
    ]


def test_invalid_device_reports_field_problems_and_writes_nothing(engine: Engine) -> None:
    save_site(engine, {"code": "GA1", "name": "Hall A"}, user="li")
    bad = {"site": "GA1", "name": "srv", "kind": "server", "address": "10.0.0.300", "port": 0}
    with pytest.raises(InventoryError) as exc:
        save_device(engine, bad, user="li")
    fields = {p.field for p in exc.value.problems}
    assert {"address", "port"} <= fields
    assert all(str(p).startswith("device GA1/srv:0: ") for p in exc.value.problems)
    assert _count(engine, "device") == 0
    with pytest.raises(InventoryError) as exc:
        save_rack(engine, "NOPE", {"name": "R1"}, user="li")
    assert exc.value.problems[0].field == "site"
    assert len(inventory_events(engine)) == 1  # only the site


def test_window_import_reports_progress_and_cancel_writes_nothing(engine: Engine) -> None:
    example = REPO / "resources" / "inventory" / "example.yaml"
    with pytest.raises(ImportCancelled):
        import_file(engine, example, user="li", progress=lambda stage, _f: stage != "write")
    assert _count(engine, "device") == 0 and inventory_events(engine) == []
    stages: list[str] = []
    report = import_file(engine, example, user="li", progress=lambda s, _f: not stages.append(s))
    assert stages == ["read", "check", "write", "commit", "done"]
    assert report.devices.created > 0 and _count(engine, "device") == report.devices.created
    assert inventory_events(engine)[0][2:4] == ("import", "inventory")


def test_bad_file_problems_are_file_line_field_message(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("sites:\n  - code: GA1\n    name: A\n    timezone: Mars/Base\n")
    with pytest.raises(InventoryError) as exc:
        import_file(engine, path, user="li")
    assert str(exc.value.problems[0]).startswith(f"{path}:4: timezone: ")
    assert _count(engine, "site") == 0
