"""Faults and their accounting, shared by the reliability tests and benches (issue 15)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from models.inventory.device_specs import DeviceSpec
from models.schema import Device, Rack, Site
from models.store.samples import ROLLUP_RESOLUTIONS
from monitors.collection.collector import Collector, CollectorOptions
from monitors.collection.drivers import SnmpDriver
from monitors.collection.readings import PollResult
from monitors.collection.spool import Spool
from monitors.collection.targets import SnmpCredential
from monitors.credentials import CredentialError
from monitors.lab.daemons.common import REPO
from monitors.profiles.engine import ProfileSet

Stored = set[tuple[int, str, str, int]]  # (device id, metric, channel, ts)


class Recording:
    """The real SNMP driver; keeps every result it returned so losses can be counted."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.results: list[PollResult] = []

    async def poll(self, device: DeviceSpec) -> PollResult:
        result: PollResult = await self.inner.poll(device)
        self.results.append(result)
        return result

    async def close(self) -> None:
        await self.inner.close()

    def expected(self) -> Stored:
        return {
            (r.device_id, rd.metric, rd.channel, r.ts)
            for r in self.results
            if r.ok
            for rd in r.readings
        }


def stored(engine: Engine) -> Stored:
    """Every sample in the database, keyed like Recording.expected()."""
    with engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT se.device_id, se.metric, se.channel, s.ts FROM sample s "
                "JOIN series se ON se.id = s.series_id"
            )
        )
        return {(int(a), str(b), str(c_), int(d)) for a, b, c_, d in rows}


def _buckets(engine: Engine, sql: str) -> dict[tuple[int, int], tuple[int, float, float, float]]:
    with engine.connect() as c:
        return {
            (int(r[0]), int(r[1])): (int(r[2]), float(r[3]), float(r[4]), float(r[5]))
            for r in c.execute(text(sql))
        }


def rollup_mismatches(engine: Engine) -> list[Any]:
    """Buckets whose (count, min, max, sum) differ from the raw samples, both ways."""
    bad: list[Any] = []
    for res in ROLLUP_RESOLUTIONS:
        raw = _buckets(
            engine,
            f"SELECT series_id, (ts / {res}) * {res}, count(*), min(value), "
            f"max(value), sum(value) FROM sample GROUP BY series_id, (ts / {res})",
        )
        roll = _buckets(
            engine, f"SELECT series_id, bucket, count, min, max, sum FROM rollup WHERE res = {res}"
        )
        for key in raw.keys() | roll.keys():
            a, b = raw.get(key), roll.get(key)
            if (
                a is None
                or b is None
                or a[0] != b[0]
                or any(
                    abs(x - y) > 1e-6 * max(1.0, abs(x)) for x, y in zip(a[1:], b[1:], strict=True)
                )
            ):
                bad.append((res, key, a, b))
    return bad


def run_in_thread(
    opts: CollectorOptions, drivers: dict[str, Any]
) -> tuple[threading.Thread, list[Any]]:
    """A whole collector on its own event loop; the list gets its report or exception."""
    out: list[Any] = []

    def body() -> None:
        try:
            out.append(asyncio.run(Collector(opts, drivers).run()))
        except BaseException as exc:
            out.append(exc)

    t = threading.Thread(target=body, daemon=True)
    t.start()
    return t, out


def wait_for(pred: Callable[..., object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def hold_sqlite_lock(db: Path, seconds: float) -> subprocess.Popen[bytes]:
    """Another process takes SQLite's write lock (BEGIN IMMEDIATE) and keeps it."""
    code = (
        "import sqlite3, sys, time\n"
        f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
        "c.execute('BEGIN IMMEDIATE')\n"
        "print('locked', flush=True)\n"
        f"time.sleep({seconds})\n"
        "c.execute('ROLLBACK')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != b"locked":
        proc.kill()
        raise RuntimeError(f"could not lock {db}")
    proc.stdout.close()
    return proc


def spooled(path: Path) -> int:
    """Batches waiting in the spool file at path (0 if there is none)."""
    if not path.exists():
        return 0
    spool = Spool(path)
    try:
        return len(spool)
    finally:
        spool.close()


def start_flood(port: int, rate: float, seconds: float) -> subprocess.Popen[str]:
    """monitors.lab.flood at rate datagrams/s on a loopback port, in its own process."""
    return subprocess.Popen(
        [sys.executable, "-m", "monitors.lab.flood", str(port), "--rate", str(rate),
         "--seconds", str(seconds)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def alias_bomb(path: Path, size: int = 196_000) -> Path:
    """Nine levels of ten aliases each (10^9 sites when expanded), padded to size bytes."""
    defs = ['  l0: &l0 {code: X1, name: "lol", racks: []}']
    defs += [f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 10)]
    head = "x-defs:\n" + "\n".join(defs) + "\nsites: ["
    items = ["*l9"] * ((size - len(head)) // 5)
    path.write_text(head + ", ".join(items) + "]\n", encoding="utf-8")
    return path


def one_rack_site(session: Session) -> tuple[Site, Rack]:
    """One site with one rack, the home of the devices below."""
    site = Site(code="T1", name="Test hall", tz="Europe/Berlin")
    rack = Rack(site=site, name="R01", row="A", position=1, height_u=42, rated_power_w=8000)
    session.add_all([site, rack])
    session.flush()
    return site, rack


def pdu_device(site: Site, rack: Rack, name: str, **kw: object) -> Device:
    values: dict[str, object] = {
        "site_id": site.id,
        "rack_id": rack.id,
        "name": name,
        "kind": "pdu",
        "protocol": "snmp",
        "poll_interval_s": 60,
    }
    values.update(kw)
    return Device(**values)


def apc_pdus(engine: Engine, port: int, count: int, interval_s: int = 60) -> None:
    """count APC PDUs in one rack, all answered by the AP8853 capture."""
    with Session(engine) as s:
        site, rack = one_rack_site(s)
        for i in range(count):
            s.add(
                pdu_device(
                    site,
                    rack,
                    f"pdu-{i}",
                    address="127.0.0.1",
                    port=port,
                    credential="apc",
                    poll_interval_s=interval_s,
                )
            )
        s.commit()


def snmp_driver(communities: dict[str, str]) -> SnmpDriver:
    """The real SNMP driver with v2c communities by credential name (no credential store)."""

    def resolve(name: str | None) -> SnmpCredential:
        if name is None or name not in communities:
            raise CredentialError(f"no SNMP credential named {name!r}")
        return SnmpCredential(version="2c", community=communities[name])

    return SnmpDriver(resolve, ProfileSet.load(), timeout_s=0.5, retries=0)


def collector_env(workdir: Path, community: str) -> dict[str, str]:
    """Environment of an `app.py collect` child whose credential store holds `apc`."""
    config = workdir / "config"
    config.mkdir(exist_ok=True)
    creds = workdir / "creds.yaml"
    creds.write_text(f"credentials:\n  apc:\n    kind: snmp\n    community: {community}\n")
    env = {
        **os.environ,
        "RACKWATCH_CONFIG_DIR": str(config),
        "RACKWATCH_LOG_DIR": str(workdir / "logs"),
        "RACKWATCH_CREDENTIALS": "file",
    }
    subprocess.run(
        [sys.executable, str(REPO / "app.py"), "credentials", "import", str(creds)],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    return env
