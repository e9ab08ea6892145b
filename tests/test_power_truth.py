"""Power truth: inventory psu mapping, the cross-check rule, and headroom/what-if by hand."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import subprocess
import sys
import zipfile
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from models.inventory.importer import InventoryError, import_inventory
from models.inventory.writer import write_inventory
from models.power_truth import MISMATCH, OK, PSU_SINGLE, check, group_links, outlet_number
from models.read.power import capacity_answer, propose_mapping
from models.rules import PowerTruthRule
from monitors.lab.backfill import backfill
from monitors.lab.runner import LabConfig, inventory_document
from tests.daemons import REPO

RULE = PowerTruthRule()


def test_cross_check_verdicts() -> None:
    assert check(400.0, [200.0, 205.0], RULE).code == OK
    # Outlets deliver 30 % more than the server draws: someone else's cord is in its outlet.
    v = check(400.0, [200.0, 320.0], RULE)
    assert v.code == MISMATCH and math.isclose(v.ratio, 1.3)
    # Tolerance is a share plus a floor: 15 W off on a 100 W server is still fine.
    assert check(100.0, [55.0, 58.0], RULE).code == OK
    assert check(100.0, [60.0, 80.0], RULE).code == MISMATCH
    # One PSU carries everything: the sum matches, the split does not.
    assert check(400.0, [0.0, 401.0], RULE).code == PSU_SINGLE
    assert check(float("nan"), [1.0, 2.0], RULE).code == OK


def test_outlet_groups_and_numbers() -> None:
    groups = group_links([(5, (1, 1)), (5, (2, 1)), (7, (1, 2)), (9, (2, 2)), (9, (1, 2))])
    assert groups == {5: 5, 7: 7, 9: 7}
    assert outlet_number("outlet 17 web-01") == 17
    assert outlet_number("Outlet") is None


def _doc(psu: str) -> str:
    return f"""version: 1
sites:
  - code: S1
    name: Site 1
    racks:
      - name: R1
        feeds:
          A: {{breaker_a: 32}}
          B: {{breaker_a: 32}}
        devices:
          - {{name: pa, kind: pdu, feed: A, address: 127.0.0.1}}
          - {{name: pb, kind: pdu, feed: B, address: 127.0.0.1}}
          - name: s1
            kind: server
            u: 2
            address: 127.0.0.1
            psu:
{psu}
"""


def test_inventory_psu_errors_name_file_and_line(tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(
        _doc(
            "              - {feed: C, outlet: 1}\n"
            "              - {feed: A, outlet: 0}\n"
            "              - {feed: B, outlet: 3, pdu: nope}\n"
            "              - {feed: A, outlet: 4, plug: x}\n"
        ),
        encoding="utf-8",
    )
    with pytest.raises(InventoryError) as exc:
        import_inventory(engine, path)
    msgs = [str(p) for p in exc.value.problems]
    assert f"{path}:18: feed: 'C' is not one of A, B" in msgs
    assert f"{path}:19: outlet: 0 is out of range 1..1000" in msgs
    assert f"{path}:20: pdu: device s1: no PDU 'nope' in this rack" in msgs
    assert any(m.startswith(f"{path}:21: plug: unknown key in psu") for m in msgs)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM device")).scalar() == 0


def test_inventory_psu_round_trip_and_reimport(tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(
        _doc("              - {feed: A, outlet: 7}\n              - {feed: B, outlet: 7}\n"),
        encoding="utf-8",
    )
    import_inventory(engine, path)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT psu, feed, outlet FROM device_psu ORDER BY psu")).all()
    assert [tuple(r) for r in rows] == [(1, "A", 7), (2, "B", 7)]
    path.write_text(_doc("              - {feed: A, outlet: 8}\n"), encoding="utf-8")
    report = import_inventory(engine, path)
    assert report.devices.updated == 1  # only the cabling changed
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT psu, feed, outlet FROM device_psu")).all()
    assert [tuple(r) for r in rows] == [(1, "A", 8)]
    # CSV: the psu column, FEED:OUTLET separated by spaces.
    csv_path = tmp_path / "inv.csv"
    csv_path.write_text(
        "site,rack,name,kind,u,address,psu\nS1,R1,s1,server,2,127.0.0.1,A:3 B:4\n"
        "S1,R1,s2,server,3,127.0.0.1,A:x\n",
        encoding="utf-8",
    )
    with pytest.raises(InventoryError) as exc:
        import_inventory(engine, csv_path)
    assert [str(p) for p in exc.value.problems] == [
        f"{csv_path}:3: psu: expected a whole number, got 'x'"
    ]


# -- headroom and what-if by hand from samples.csv ------------------------------------------

PHASE_RE = re.compile(r"phase (\d), bank 0\)$|:L(\d)$")


def _lab_db(tmp_path: Path, engine: Engine, end: int) -> None:
    doc = inventory_document(LabConfig(tmp_path / "lab", sites=1, racks=3, servers=5, seed=3))
    write_inventory(doc, tmp_path / "inventory.yaml")
    import_inventory(engine, tmp_path / "inventory.yaml")
    backfill(engine, 1.5, 300, seed=3, end=end)


def _samples(tmp_path: Path, url: str, end: int) -> list[dict[str, str]]:
    from models.snapshot.data import iso_utc

    out = tmp_path / "snap.zip"
    res = subprocess.run(
        [sys.executable, str(REPO / "app.py"), "export", "--db", url, "--scope", "site:GA1",
         "--start", iso_utc(end - 8 * 86_400), "--end", iso_utc(end), "-o", str(out),
         "--user", "t"],
        capture_output=True, text=True, cwd=REPO, check=False, timeout=300,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin",
             "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_DATA_HOME": str(tmp_path / "d")},
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    with zipfile.ZipFile(out) as zf:
        text = zf.read("data/samples.csv").decode("utf-8-sig")  # Excel's byte-order mark
        return list(csv.DictReader(io.StringIO(text)))


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def test_headroom_and_what_if_equal_a_hand_computation_from_samples_csv(
    tmp_path: Path, engine: Engine, sqlite_url: str
) -> None:
    end = 1_796_000_400  # a whole 5-minute bucket
    _lab_db(tmp_path, engine, end)
    rows = _samples(tmp_path, sqlite_url, end)
    assert rows and {r["resolution_s"] for r in rows} == {"0"}  # raw samples, by hand
    # Per (rack, feed, phase): 5-minute bucket maxima of the PDU phase currents.
    buckets: dict[tuple[str, str, int], dict[int, float]] = defaultdict(dict)
    for r in rows:
        m = PHASE_RE.search(r["channel"])
        if r["metric"] != "current_a" or "-pdu-" not in r["device"] or not m:
            continue
        feed = r["device"][-1].upper()
        phase = int(m.group(1) or m.group(2))
        b = _epoch(r["time_utc"]) // 300 * 300
        d = buckets[(r["rack"], feed, phase)]
        d[b] = max(d.get(b, -math.inf), float(r["value"]))
    racks = sorted({k[0] for k in buckets})
    assert len(racks) >= 2, racks  # APC and Sentry4 racks report phase currents
    with engine.connect() as conn:
        rack_ids = {
            str(n): int(i) for i, n in conn.execute(text("SELECT id, name FROM rack")).all()
        }
    limit = 32 * 0.8
    for rack in racks[:2]:
        answer = capacity_answer(engine, rack_ids[rack], now=end)
        got = {(f["lost"], ph["phase"]): ph for f in answer["failover"] for ph in f["phases"]}
        for (rk, feed, phase), _ in buckets.items():
            if rk != rack or feed != "A":
                continue
            fa, fb = buckets[(rk, "A", phase)], buckets[(rk, "B", phase)]
            common = set(fa) & set(fb)
            peak7 = max(fa[x] + fb[x] for x in common)
            peak1 = max(fa[x] + fb[x] for x in common if x >= end - 86_400)
            for lost in ("A", "B"):
                row = got[(lost, phase)]
                assert row["peak_7d_a"] == pytest.approx(round(peak7, 2), abs=0.006)
                assert row["peak_1d_a"] == pytest.approx(round(peak1, 2), abs=0.006)
                assert row["headroom_7d_a"] == pytest.approx(round(limit - peak7, 2), abs=0.006)

    # What-if: two more servers of the first rack's model, from that model's measured peaks.
    with engine.connect() as conn:
        model = conn.execute(
            text("SELECT model FROM device WHERE kind = 'server' AND rack_id = :r LIMIT 1"),
            {"r": rack_ids[racks[0]]},
        ).scalar()
        chosen = {
            (str(d), str(c))
            for d, c, cls in conn.execute(
                text(
                    "SELECT d.name, s.channel, s.channel_class FROM series s JOIN device d "
                    "ON d.id = s.device_id WHERE d.model = :m AND s.metric = 'power_w'"
                ),
                {"m": model},
            )
            if cls == "total"
        }
    per_server: dict[str, dict[int, float]] = defaultdict(dict)
    for r in rows:
        if r["metric"] == "power_w" and (r["device"], r["channel"]) in chosen:
            b = _epoch(r["time_utc"]) // 300 * 300
            d = per_server[r["device"]]
            d[b] = max(d.get(b, -math.inf), float(r["value"]))
    peaks = sorted(max(v.values()) for v in per_server.values())
    assert peaks
    p95 = peaks[max(1, math.ceil(0.95 * len(peaks))) - 1]
    answer = capacity_answer(engine, rack_ids[racks[0]], (str(model), 2), now=end)
    wi = answer["what_if"]
    assert isinstance(wi, dict)
    assert wi["sample_size"] == len(peaks)
    assert wi["model_peak_w"] == pytest.approx(round(p95, 1), abs=0.06)
    assert wi["added_peak_w"] == pytest.approx(round(2 * p95, 1), abs=0.11)
    amps = p95 / (230 * 0.95)
    head = {p["phase"]: p["headroom_7d_a"] for p in answer["failover"][0]["phases"]}
    added = dict.fromkeys(head, 0)
    for _ in range(2):  # each server goes to the phase with the most failover headroom left
        best = max(head, key=lambda ph: (head[ph] - added[ph] * amps, -ph))
        added[best] += 1
    # The headless command gives the same answer.
    res = subprocess.run(
        [sys.executable, str(REPO / "app.py"), "capacity", "--db", sqlite_url, "--rack",
         f"GA1/{racks[0]}", "--add", f"{model}:2", "--json"],
        capture_output=True, text=True, cwd=REPO, check=False, timeout=120,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    cli = json.loads(res.stdout)
    assert cli["what_if"]["phases"] == wi["phases"]
    assert cli["what_if"]["model_peak_w"] == wi["model_peak_w"]
    for p in wi["phases"]:
        assert p["servers"] == added[p["phase"]]
        assert p["added_a"] == pytest.approx(round(added[p["phase"]] * amps, 2), abs=0.006)
        for v in p["failover_headroom_a"].values():
            want = head[p["phase"]] - added[p["phase"]] * amps
            assert v == pytest.approx(want, abs=0.02)


def test_propose_mapping_from_outlet_names(tmp_path: Path, engine: Engine) -> None:
    end = 1_796_000_400
    doc = inventory_document(LabConfig(tmp_path / "lab", sites=1, racks=2, servers=3, seed=3))
    write_inventory(doc, tmp_path / "inventory.yaml")
    import_inventory(engine, tmp_path / "inventory.yaml")
    backfill(engine, 0.02, 300, seed=3, end=end)
    props = propose_mapping(engine)
    # The Raritan rack names its outlets after the servers: one proposal per server and feed.
    assert props and all(p.mapped for p in props)
    assert {(p.server[-3:], p.feed, p.outlet) for p in props} >= {("s01", "A", 1), ("s01", "B", 1)}
