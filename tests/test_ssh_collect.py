"""`app.py collect --once` over SSH: stored credentials, history written, per-device faults."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from monitors.lab.daemons.ssh import Sshd, SshdFactory, keygen
from tests.daemons import REPO
from tests.ssh_daemons import sshd_factory as sshd_factory

pytestmark = pytest.mark.daemon

HEADER = (
    "site,rack,name,kind,u,height_u,feed,model,serial,address,port,protocol,profile,"
    "credential,poll_interval_s,enabled\n"
)


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "app.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_collect_once_over_ssh(sshd_factory: SshdFactory, tmp_path: Path) -> None:
    good = sshd_factory("dell")
    broken = sshd_factory("broken")

    def new_host_key(d: Sshd) -> None:
        # known_hosts keeps the first key, the daemon gets another one: a changed host key.
        key = d.base / "ssh_host_ed25519_key"
        key.unlink()
        key.with_name(key.name + ".pub").unlink()
        keygen(key)

    changed = sshd_factory("hpe", prepare=new_host_key)
    known = tmp_path / "known_hosts"
    known.write_text("".join(d.known_hosts.read_text() for d in (good, broken, changed)))
    creds = tmp_path / "creds.yaml"
    creds.write_text(
        "credentials:\n"
        f"  lab-ssh:\n    kind: ssh\n    user: rwtest\n    key_file: {good.client_key}\n"
        f"  lab-ssh-b:\n    kind: ssh\n    user: rwtest\n    key_file: {broken.client_key}\n"
        f"  lab-ssh-c:\n    kind: ssh\n    user: rwtest\n    key_file: {changed.client_key}\n"
    )
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(
        HEADER
        + f"GA1,A01,srv-good,server,2,1,,Dell R650,S1,127.0.0.1,{good.port},ssh,,lab-ssh,60,true\n"
        + f"GA1,A01,srv-broken,server,4,1,,X,S2,127.0.0.1,{broken.port},ssh,,lab-ssh-b,60,true\n"
        + f"GA1,A01,srv-moved,server,6,1,,Y,S3,127.0.0.1,{changed.port},ssh,,lab-ssh-c,60,true\n"
    )
    db = tmp_path / "rw.db"
    url = f"sqlite:///{db}"
    env = dict(
        os.environ,
        RACKWATCH_CONFIG_DIR=str(tmp_path / "config"),
        RACKWATCH_DATA_DIR=str(tmp_path / "data"),
        RACKWATCH_CREDENTIALS="file",
    )
    for args in (
        ("credentials", "import", str(creds)),
        ("db", "upgrade", "--db", url),
        ("import", "--db", url, str(inventory)),
        ("collect", "--db", url, "--once", "--known-hosts", str(known)),
    ):
        done = _run(env, *args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    secret_free = done.stdout + done.stderr
    assert "PRIVATE KEY" not in secret_free

    con = sqlite3.connect(db)
    try:
        rows = dict(
            con.execute(
                "select d.name, count(s.series_id) from device d "
                "left join series r on r.device_id = d.id "
                "left join sample s on s.series_id = r.id group by d.name"
            ).fetchall()
        )
        assert rows["srv-good"] == 25
        assert rows["srv-broken"] == 2
        assert rows["srv-moved"] == 0
        state = dict(
            con.execute(
                "select d.name, st.error from device d join device_state st on st.device_id = d.id"
            ).fetchall()
        )
        assert state["srv-good"] is None
        assert "HOST KEY CHANGED" in state["srv-moved"]
        assert f"127.0.0.1:{changed.port}" in state["srv-moved"]
        inlet = con.execute(
            "select r.role, s.value from series r join sample s on s.series_id = r.id "
            "join device d on d.id = r.device_id "
            "where d.name = 'srv-good' and r.channel = 'Inlet Temp'"
        ).fetchone()
        assert inlet == ("inlet", 22.0)
    finally:
        con.close()
