"""Lab PDUs of every family: the report's peak rack kW matches samples.csv and the window."""

from __future__ import annotations

import csv
import io
import json
import random
import re
import shutil
import subprocess
import time
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.db import make_engine
from models.read.status import summaries
from models.snapshot.data import gather, iso_utc, parse_scope, rack_curves
from models.store.samples import history
from monitors.lab import LabHandle, start_lab
from tests.daemons import require
from tests.test_alarm_lab import _app, _env, _rows, start_collecting
from ui.plots import MAX_POINTS

# What each family calls its whole-PDU power (the profiles' labels); the test sums these itself.
FAMILY_TOTAL = {"APC": r"^total$", "Raritan": r"^inlet ", "ServerTech": r"^cord "}


def _family(model: str) -> str:
    return next(f for f in FAMILY_TOTAL if model.startswith(f))


def _rack_peaks_from_csv(samples: list[list[str]], pdus: dict[str, str]) -> dict[str, float]:
    """Max over instants of the sum of each PDU's latest total (the test's own arithmetic)."""
    series: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    for r in samples:
        dev, metric, channel = r[3], r[4], r[5]
        if metric == "power_w" and dev in pdus and re.search(FAMILY_TOTAL[pdus[dev]], channel):
            series[(r[2], dev)].append((r[0], float(r[6])))
    out: dict[str, float] = {}
    for rack in {k[0] for k in series}:
        mine = {dev: pts for (rk, dev), pts in series.items() if rk == rack}
        events = sorted((t, dev, v) for dev, pts in mine.items() for t, v in pts)
        latest: dict[str, float] = {}
        best = 0.0
        for _t, dev, v in events:
            latest[dev] = v
            if len(latest) == len(mine):
                best = max(best, sum(latest.values()))
        out[rack] = best
    return out


@pytest.fixture
def lab3(tmp_path: Path) -> Iterator[LabHandle]:
    """Three racks: the lab cycles the PDU family by rack (APC, Raritan, ServerTech)."""
    handle = start_lab(
        tmp_path / "lab",
        sites=1,
        racks=3,
        servers=2,
        seed=5,
        net=random.randint(100, 250),
        port_base=random.randint(21_000, 60_000),
    )
    try:
        yield handle
    finally:
        handle.stop()


@pytest.mark.daemon
def test_peak_rack_power_per_pdu_family(lab3: LabHandle, tmp_path: Path, sqlite_url: str) -> None:
    require(shutil.which("pdftotext") is not None, "poppler-utils (pdftotext) not installed")
    handle = lab3
    t0 = int(time.time())
    collector = start_collecting(handle, tmp_path, sqlite_url)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            time.sleep(2)
            n = _rows(
                sqlite_url,
                "SELECT min(c) FROM (SELECT count(*) AS c FROM sample s JOIN series r "
                "ON r.id = s.series_id JOIN device d ON d.id = r.device_id "
                "WHERE d.kind = 'pdu' AND r.metric = 'power_w' GROUP BY d.id)",
            )
            if n and n[0][0] and n[0][0] >= 8:
                break
    finally:
        collector.terminate()
        collector.communicate(timeout=60)
    [(t1,)] = _rows(sqlite_url, "SELECT max(ts) FROM sample")
    snap = tmp_path / "site.zip"
    [(site,)] = _rows(sqlite_url, "SELECT code FROM site")
    res = _app(
        _env(tmp_path),
        "export", "--db", sqlite_url, "--scope", f"site:{site}",
        "--start", iso_utc(t0 - 60), "--end", iso_utc(int(t1)),
        "-o", str(snap), "--note", "lab check of every PDU family",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    with zipfile.ZipFile(snap) as zf:
        samples = list(csv.reader(io.StringIO(zf.read("data/samples.csv").decode("utf-8-sig"))))
        inventory = json.loads(zf.read("inventory.json"))
        (tmp_path / "report.pdf").write_bytes(zf.read("report.pdf"))
    pdus = {d["name"]: _family(d["model"]) for d in inventory["devices"] if d["kind"] == "pdu"}
    assert set(pdus.values()) == set(FAMILY_TOTAL)  # the lab has all three families
    want = _rack_peaks_from_csv(samples[1:], pdus)
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(tmp_path / "report.pdf"), "-"],
            capture_output=True, text=True, check=True,
        ).stdout.split()
    )  # fmt: skip
    assert "no samples in this window" not in text
    racks = {r["id"]: r["name"] for r in inventory["racks"]}
    for rack, peak in want.items():
        m = re.search(re.escape(rack) + r" .*?(\d+\.\d\d) kW at", text)
        assert m, f"{rack}: no peak kW in the report"
        assert float(m.group(1)) * 1000 == pytest.approx(peak, rel=0.01), rack
        assert peak > 0

    # The same instant in the window: the rack view's rack kW equals the report's curve.
    engine = make_engine(sqlite_url)
    try:
        data = gather(engine, parse_scope(f"site:{site}"), t0 - 60, int(t1))
        power = rack_curves(engine, data, list(racks)).power
        shown = summaries(engine, "rack", list(racks), now=int(t1))
        for rid in racks:
            at_end = power[rid].at(int(t1))
            window = shown[rid].power_w
            assert at_end is not None and window is not None
            assert at_end == pytest.approx(window, rel=1e-9), racks[rid]
        # What the plots draw covers the window for every series with samples across it.
        ids = [s.id for s in data.series if s.metric in ("power_w", "temperature_c")]
        drawn = history(engine, ids, t0 - 60, int(t1), MAX_POINTS)
        for sid, h in drawn.items():
            if len(h) < 2:
                continue
            span = int(t1) - int(h.ts[0])
            assert h.covered_s() >= 0.95 * span, sid
    finally:
        engine.dispose()
