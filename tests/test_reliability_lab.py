"""Hostile devices in the lab: a probe reporting impossible values, a changed SSH host key."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from models.db import make_engine
from monitors.lab import LabHandle, send_control, start_lab
from tests.test_alarm_lab import _app, _env


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[LabHandle]:
    handle = start_lab(
        tmp_path / "lab",
        sites=1,
        racks=3,
        servers=4,
        seed=7,
        net=random.randint(100, 250),
        port_base=random.randint(21_000, 60_000),
    )
    try:
        yield handle
    finally:
        handle.stop()


@pytest.mark.daemon
def test_impossible_probe_values_and_a_changed_host_key_in_one_collection(
    lab: LabHandle, tmp_path: Path, sqlite_url: str
) -> None:
    env = _env(tmp_path)
    out = lab.out_dir
    for args in (
        ("import", str(out / "inventory.yaml"), "--db", sqlite_url),
        ("credentials", "import", str(out / "credentials.yaml")),
    ):
        res = _app(env, *args)
        assert res.returncode == 0, f"{args[0]}: {res.stderr[-2000:]}"
    probe = lab.topology.probes()[0]
    server = [s for s in lab.topology.servers() if s.management == "ssh"][-1]
    for kind, device in (("probe-nonsense", probe.name), ("hostkey-change", server.name)):
        done = send_control(out, {"action": "inject", "kind": kind, "device": device})
        assert done["ok"], done
    res = _app(
        env, "collect", "--once", "--db", sqlite_url, "--known-hosts", str(out / "known_hosts")
    )
    assert res.returncode == 0, res.stderr[-2000:]
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as c:
            values = c.execute(
                text(
                    "SELECT se.metric, x.value FROM sample x JOIN series se ON se.id = x.series_id "
                    "JOIN device d ON d.id = se.device_id WHERE d.name = :n"
                ),
                {"n": probe.name},
            ).all()
            state = c.execute(
                text(
                    "SELECT ds.status, ds.error FROM device_state ds JOIN device d "
                    "ON d.id = ds.device_id WHERE d.name = :n"
                ),
                {"n": probe.name},
            ).one()
            alarms = c.execute(
                text(
                    "SELECT a.rule, a.severity, a.message, d.name FROM alarm a "
                    "LEFT JOIN device d ON d.id = a.device_id"
                )
            ).all()
    finally:
        engine.dispose()
    # 850 °C, -273.1 °C, 3276.7 °C and 127.5 %RH are sensor faults, not data.
    temps = [v for m, v in values if m == "temperature_c"]
    humid = [v for m, v in values if m == "humidity_pct"]
    assert all(-80 <= v <= 300 for v in temps), temps
    assert all(0 <= v <= 100 for v in humid), humid
    assert state[0] == "ok" and state[1] and "sensor fault" in state[1], state
    assert not [a for a in alarms if a[3] == probe.name], alarms
    # The changed key: its own critical alarm naming the host and both fingerprints.
    keyed = [a for a in alarms if a[0] == "hostkey"]
    assert len(keyed) == 1, alarms
    _rule, severity, message, name = keyed[0]
    assert severity == "critical" and name == server.name
    assert server.address in message and "HOST KEY CHANGED" in message
    assert len(re.findall(r"SHA256:[A-Za-z0-9+/]{43}", message)) == 2, message
    assert not [a for a in alarms if a[0] == "unreachable" and a[3] == server.name]
