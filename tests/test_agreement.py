"""Every shipped PDU and probe profile: one rack kW, hottest inlet, phase loads and limits."""

from __future__ import annotations

import asyncio
import csv
import io
import math
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from models import staleness
from models.db import make_engine, upgrade
from models.inventory.device_specs import load_device_specs
from models.read import racks as read_racks
from models.read import status as read_status
from models.rules import current_rules, load_rules
from models.schema import Device, Rack, RackFeed, Site
from models.series_meaning import Feed, channel_class, decide
from models.snapshot.data import gather, parse_scope, rack_plot_limits, rack_power_series
from models.store.samples import SampleWriter
from monitors.alarms.engine import AlarmEngine
from monitors.collection.collector import ResultWriter
from monitors.collection.readings import PollResult, Reading
from monitors.lab.daemons.common import captures_dir
from monitors.lab.devices import build_devices
from monitors.lab.physics import Physics
from monitors.lab.readings import discover
from monitors.lab.runner import LabConfig, inventory_document
from monitors.lab.topology import LabPdu, from_inventory
from monitors.profiles.engine import ProfileSet
from tests.daemons import require
from tests.test_vendor_walks import WALKS, walk_names

T0 = 1_795_000_000
STEPS = 3  # samples per series, INTERVAL apart
INTERVAL = 60
# Feed B carries this share of feed A's load (its readings are A's, scaled), so a view that
# drops or doubles one PDU shows.
B_SHARE = 0.5
SCALED = frozenset({"power_w", "apparent_power_va", "current_a", "energy_kwh"})
RATED_W = 20_000.0

# The disagreement table of issue 9, as numbers: each PDU capture's whole power (feed A) as
# its totals say (cords, inlets, the unit total) and never totals plus phases. Read from the
# capture values, independently of RackWatch's own choice.
CAPTURE_PDU_W = {
    "apc-epdu_epdu1116s": 0.0,
    "apc_ap7900b": 312.0,
    "apc_ap8853": 1140.0,
    "dell-rpdu": 3810.0,
    "eatonpdu_2": 1589.0,
    "raritan-pdu_px2": 138.0,
    "raritan-pdu_px2-temp": 673.0,
    "raritan-pdu_px3": 1665.0,
    "sentry3": None,  # infeed power not supported by this unit (-1): no kW anywhere
    "sentry4": 1701.0 + 1265.0,  # two cords; their phases (2981 W) are not added again
    "vertiv-pdu_mg02e4w1": 1017.0,
}
CAPTURE_PROBES = ("akcp_serverprobe8", "apc_environmental-manager", "avtech_roomalert12e")


@dataclass
class Case:
    rack: str
    profile: str
    kind: str  # pdu or sensor
    readings: tuple[Reading, ...]
    phases: int = 3
    breaker_a: float = 32.0
    expected_pdu_w: float | None = None  # feed A's PDU, None = no power reported
    expected_inlet: float | None = None
    check_kw: bool = True  # False: no independent figure, the views must only agree


@dataclass
class Built:
    url: str
    engine: Engine
    alarms: AlarmEngine
    cases: dict[str, Case]
    rack_ids: dict[str, int] = field(default_factory=dict)
    out: Path = Path(".")


def _scaled(readings: tuple[Reading, ...], share: float) -> tuple[Reading, ...]:
    return tuple(replace(r, value=r.value * share) if r.metric in SCALED else r for r in readings)


def _inlet(readings: tuple[Reading, ...]) -> float | None:
    rules = load_rules(use_user_file=False)
    vals = [
        r.value
        for r in readings
        if r.metric == "temperature_c" and rules.temperature_role(r.role, r.channel) == "inlet"
    ]
    return max(vals) if vals else None


def build_site(tmp: Path, cases: list[Case]) -> Built:
    url = f"sqlite:///{tmp / 'agree.db'}"
    upgrade(url)
    engine = make_engine(url)
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        site_row = Site(code="AG1", name="Agreement", tz="UTC")
        s.add(site_row)
        s.flush()
        for i, c in enumerate(cases):
            rack = Rack(
                site_id=site_row.id, name=c.rack, row="R1", position=i, rated_power_w=RATED_W
            )
            s.add(rack)
            s.flush()
            feeds = ("A", "B") if c.kind == "pdu" else ("A",)
            for f in feeds:
                s.add(RackFeed(rack_id=rack.id, feed=f, breaker_a=c.breaker_a, phases=c.phases))
                s.add(
                    Device(
                        site_id=site_row.id,
                        rack_id=rack.id,
                        name=f"{c.rack}-{c.kind}-{f}",
                        kind=c.kind,
                        feed=f if c.kind == "pdu" else None,
                        address="127.0.0.1",
                        port=161,
                        protocol="snmp",
                        profile=c.profile,
                        poll_interval_s=INTERVAL,
                    )
                )
        s.commit()
    devices = {d.id: d for d in load_device_specs(engine)}
    by_name = {d.name: d.id for d in devices.values()}
    alarms = AlarmEngine(engine, current_rules())
    writer = ResultWriter(engine, devices, [alarms])
    writer.start()
    for step in range(STEPS):
        ts = T0 + step * INTERVAL
        batch = []
        for c in cases:
            for f in ("A", "B") if c.kind == "pdu" else ("A",):
                rd = c.readings if f == "A" else _scaled(c.readings, B_SHARE)
                dev = by_name[f"{c.rack}-{c.kind}-{f}"]
                batch.append(PollResult(dev, ts, True, rd, profile=c.profile))
        writer.inbox.put(batch)
    writer.inbox.put(None)
    writer.join()
    assert writer.failed is None
    site = Built(url, engine, alarms, {c.rack: c for c in cases}, out=tmp)
    with engine.connect() as conn:
        from sqlalchemy import text

        site.rack_ids = {r[1]: int(r[0]) for r in conn.execute(text("SELECT id, name FROM rack"))}
    return site


# -- what each reader says ----------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    kw: float | None
    inlet: float | None


def _close(a: float | None, b: float | None, rel: float = 1e-6) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-6)


def tree_view(site: Built, rid: int) -> Seen:
    s = read_status.summaries(site.engine, "rack", [rid], now=T0 + STEPS * INTERVAL).get(rid)
    assert s is not None
    return Seen(s.power_w, s.inlet_c)


def floor_view(site: Built, rid: int) -> Seen:
    fm = read_status.floor_map(site.engine, 1, now=T0 + STEPS * INTERVAL)
    tile = next(t for t in fm.tiles if t.rack.id == rid)
    assert tile.summary is not None
    return Seen(tile.summary.power_w, tile.summary.inlet_c)


def rack_view(site: Built, rid: int) -> Seen:
    """The rack view's title (rack kW, hottest inlet) and its PDU panels' totals."""
    contents = read_racks.rack_contents(site.engine, rid, now=T0 + STEPS * INTERVAL)
    assert contents.summary is not None
    pdus = read_racks.pdu_loads(site.engine, rid)
    totals = [p.total_w for p in pdus if p.total_w is not None]
    if totals:
        assert _close(sum(totals), contents.summary.power_w), "PDU panels vs title"
    inlet = [
        r.value
        for r in read_racks.rack_series(site.engine, rid, "temperature_c", role="inlet")
        if r.value is not None
    ]
    assert _close(max(inlet) if inlet else None, contents.summary.inlet_c)
    return Seen(contents.summary.power_w, max(inlet) if inlet else None)


def plot_view(site: Built, rid: int) -> Seen:
    rows = read_racks.power_series(read_racks.rack_series(site.engine, rid, "power_w"))
    inlet = read_racks.rack_series(site.engine, rid, "temperature_c", role="inlet")
    vals = [r.value for r in rows if r.value is not None]
    ivals = [r.value for r in inlet if r.value is not None]
    return Seen(sum(vals) if vals else None, max(ivals) if ivals else None)


def alarm_view(site: Built, rid: int) -> Seen:
    eng = site.alarms
    meta = eng.meta
    idx = meta.racks[rid].index
    sids = [int(s) for s, r in zip(meta.rp_sid, meta.rp_rack, strict=True) if int(r) == idx]
    kw = sum(float(eng.last_val[s]) for s in sids) if sids else None
    inlet = [
        float(eng.last_val[sid])
        for sid, sm in meta.series.items()
        if sm.metric == "temperature_c"
        and sm.role == "inlet"
        and meta.devices[sm.device_id].rack_id == rid
    ]
    return Seen(kw, max(inlet) if inlet else None)


def snapshot_view(site: Built, rid: int) -> Seen:
    end = T0 + (STEPS - 1) * INTERVAL
    data = gather(site.engine, parse_scope(f"rack:AG1/{_name(site, rid)}"), T0, end)
    return Seen(data.rack_power_max.get(rid), data.rack_inlet_max.get(rid))


def _name(site: Built, rid: int) -> str:
    return next(n for n, i in site.rack_ids.items() if i == rid)


VIEWS = {
    "tree": tree_view,
    "floor map": floor_view,
    "rack view": rack_view,
    "plots": plot_view,
    "alarm engine": alarm_view,
    "snapshot": snapshot_view,
}


def check_rack(site: Built, name: str) -> None:
    case = site.cases[name]
    rid = site.rack_ids[name]
    seen = {view: fn(site, rid) for view, fn in VIEWS.items()}
    expected_kw = None if case.expected_pdu_w is None else case.expected_pdu_w * (1 + B_SHARE)
    if case.kind != "pdu":
        expected_kw = None
    if not case.check_kw:
        expected_kw = seen["tree"].kw
        # Never more than the PDUs' totals (or, without totals, their phases) allow.
        if case.kind == "pdu":
            assert expected_kw is None or expected_kw <= _ceiling(case) * 1.0001
    for view, s in seen.items():
        assert _close(s.kw, expected_kw, 0.01), f"{name} ({case.profile}): {view} says {s.kw} W"
        assert _close(s.inlet, case.expected_inlet), (
            f"{name} ({case.profile}): {view} says hottest inlet {s.inlet}"
        )
    check_phases(site, rid, case)
    check_limits(site, rid, case)


def _class(r: Reading) -> str:
    return channel_class(r.metric, r.channel, r.channel_class, load_rules())


def _ceiling(case: Case) -> float:
    """What the PDUs' own totals allow: A's total-class power (else its phases) plus B's."""
    totals = [
        r.value for r in case.readings if r.metric == "power_w" and r.channel_class == "total"
    ]
    phases = [
        r.value for r in case.readings if r.metric == "power_w" and r.channel_class == "phase"
    ]
    return (sum(totals) if totals else sum(phases)) * (1 + B_SHARE)


def check_phases(site: Built, rid: int, case: Case) -> None:
    """Per-phase loads and their limits: the rack view's bars are the alarm engine's groups."""
    eng = site.alarms
    meta = eng.meta
    engine_phases = {
        int(s): (float(eng.last_val[s]), float(meta.warn_hi[s]), float(meta.crit_hi[s]))
        for s, g in zip(meta.ph_sid, meta.ph_group, strict=True)
        if int(g) // 3 == meta.racks[rid].index
    }
    view = {
        ph.series_id: (ph.value, ph.warning, ph.critical)
        for p in read_racks.pdu_loads(site.engine, rid)
        for ph in p.phases
    }
    assert set(view) == set(engine_phases), f"{case.rack}: phases differ"
    rules = current_rules()
    warn = case.breaker_a * rules.phase_current.warning_pct / 100
    for sid, (value, w, c) in view.items():
        ev, ew, ec = engine_phases[sid]
        assert value is not None and _close(value, ev)
        assert w is not None and c is not None and _close(w, ew) and _close(c, ec)
        # The rule's continuous-load level, or a stricter one the PDU itself reports.
        assert w <= warn + 1e-9
    if case.kind == "pdu" and any(
        r.metric == "current_a" and _class(r) in ("phase", "total") for r in case.readings
    ):
        assert view, f"{case.rack} ({case.profile}): no per-phase load anywhere"


def check_limits(site: Built, rid: int, case: Case) -> None:
    """Inlet limit lines: the plots' (series rows), the alarm engine's and the report's."""
    from ui.plots import threshold_levels

    rows = read_racks.rack_series(site.engine, rid, "temperature_c", role="inlet")
    plot = {k: v for k, v in threshold_levels(rows) if v >= 20}  # the high lines
    data = gather(site.engine, parse_scope(f"rack:AG1/{case.rack}"), T0, T0 + 2 * INTERVAL)
    report = rack_plot_limits(data, rid, "temperature")
    meta = site.alarms.meta
    sids = [r.id for r in rows]
    if not sids:
        return
    eng_warn = min(float(meta.warn_hi[s]) for s in sids)
    eng_crit = min(float(meta.crit_hi[s]) for s in sids)
    assert _close(plot["warning"], eng_warn) and _close(plot["critical"], eng_crit)
    assert _close(report[0], eng_warn) and _close(report[1], eng_crit)


# -- the cases --------------------------------------------------------------------------------


def lab_cases() -> list[Case]:
    doc = inventory_document(LabConfig(out_dir=Path("."), sites=1, racks=10, servers=4, seed=3))
    topo = from_inventory(doc, seed=3)
    physics = Physics(topo)
    devices = build_devices(topo, physics, float(T0))
    profiles = ProfileSet.load()
    out = []
    for family in ("apc", "raritan", "sentry4", "akcp"):
        dev = next(d for d in devices if d.family == family)
        reader = discover(dev, profiles, float(T0))
        assert reader is not None
        readings = tuple(reader.read(float(T0)))
        obj = dev.obj
        if isinstance(obj, LabPdu):
            out.append(
                Case(
                    f"lab-{family}",
                    reader.plan.profile,
                    "pdu",
                    readings,
                    obj.phases,
                    obj.rated_a,
                    physics.pdu(obj, float(T0)).power_w,
                    _inlet(readings),
                )
            )
        else:
            out.append(
                Case(
                    f"lab-{family}",
                    reader.plan.profile,
                    "sensor",
                    readings,
                    1,
                    16.0,
                    None,
                    _inlet(readings),
                )
            )
    return out


@pytest.fixture(scope="module")
def lab_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    tmp = tmp_path_factory.mktemp("agree-lab")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RACKWATCH_CONFIG_DIR", str(tmp / "config"))
        site = build_site(tmp, lab_cases())
        yield site
        site.engine.dispose()


@pytest.mark.parametrize("family", ["apc", "raritan", "sentry4", "akcp"])
def test_lab_profiles_agree_everywhere(lab_site: Built, family: str) -> None:
    check_rack(lab_site, f"lab-{family}")


def test_lab_probe_labelled_front_is_an_inlet_everywhere(lab_site: Built) -> None:
    case = lab_site.cases["lab-akcp"]
    assert any("front" in r.channel.lower() for r in case.readings)
    assert case.expected_inlet is not None  # so the tree and floor map show it too


async def _capture_readings(
    src: Path, names: list[str]
) -> dict[str, tuple[str, str, tuple[Reading, ...]]]:
    """(profile, kind, readings) of each capture or walk in src, polled through snmpsim."""
    from monitors.collection.targets import SnmpCredential, SnmpTarget
    from monitors.lab.daemons.snmp import start_snmpsim
    from monitors.profiles.engine import discover as pdiscover
    from monitors.profiles.engine import poll
    from monitors.snmp.client import SnmpClient

    server = start_snmpsim(src)
    client = SnmpClient()
    profiles = ProfileSet.load()
    out = {}
    try:
        for name in names:
            t = SnmpTarget(server.host, server.port, SnmpCredential("2c", name), 3.0, 2)
            ident = await client.identify(t)
            prof = await profiles.select(client, t, ident)
            assert prof is not None, name
            plan = await pdiscover(client, t, prof)
            out[name] = (prof.name, prof.kind, tuple((await poll(client, t, plan)).readings))
    finally:
        client.close()
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)
    return out


@pytest.fixture(scope="module")
def capture_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    from monitors.lab.daemons.snmp import responder_binary

    require(captures_dir() is not None, "real-device captures not found (set RACKWATCH_CAPTURES)")
    require(responder_binary() is not None, "snmpsim-command-responder not installed")
    tmp = tmp_path_factory.mktemp("agree-cap")
    src = captures_dir()
    assert src is not None
    got = asyncio.run(_capture_readings(src, [*CAPTURE_PDU_W, *CAPTURE_PROBES]))
    walked = asyncio.run(_capture_readings(WALKS, walk_names()))
    got.update((f"walk-{n}", v) for n, v in walked.items() if v[1] in ("pdu", "sensor"))
    cases = []
    for name, (profile, kind, readings) in got.items():
        phases = (
            3
            if any(
                r.metric == "current_a"
                and re.search(r"(?i)\b(l|phase\s*)[23]\b|phase [bc]", r.channel)
                for r in readings
            )
            else 1
        )
        cases.append(
            Case(
                name,
                profile,
                kind,
                readings,
                phases,
                32.0,
                CAPTURE_PDU_W.get(name),
                _inlet(readings),
                check_kw=not name.startswith("walk-"),
            )
        )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RACKWATCH_CONFIG_DIR", str(tmp / "config"))
        site = build_site(tmp, cases)
        yield site
        site.engine.dispose()


@pytest.mark.daemon
@pytest.mark.parametrize("capture", [*CAPTURE_PDU_W, *CAPTURE_PROBES])
def test_capture_profiles_agree_everywhere(capture_site: Built, capture: str) -> None:
    check_rack(capture_site, capture)


@pytest.mark.daemon
def test_vendor_walk_profiles_agree_everywhere(capture_site: Built) -> None:
    """The profiles with no real capture, on the walks written from their MIBs."""
    walked = [n for n in capture_site.cases if n.startswith("walk-")]
    assert len(walked) >= 10
    for name in walked:
        check_rack(capture_site, name)


@pytest.mark.daemon
def test_every_shipped_pdu_and_probe_profile_is_covered(capture_site: Built) -> None:
    import yaml

    from monitors.profiles.engine import default_profiles_dir

    covered = {c.profile for c in capture_site.cases.values()}
    shipped = {
        p.stem
        for p in default_profiles_dir().glob("*.yaml")
        if yaml.safe_load(p.read_text())["kind"] in ("pdu", "sensor")
    }
    # ENTITY-SENSOR-MIB is the generic fallback no capture selects; its class comes from
    # the label rules, which the lab and capture cases above exercise.
    assert shipped - covered == {"entity-sensor"}


# -- the report's text and CSV ------------------------------------------------------------------


def _export(site: Built, rack: str) -> tuple[str, list[dict[str, str]]]:
    require(shutil.which("pdftotext") is not None, "poppler-utils (pdftotext) not installed")
    from ui.snapshot_export import ensure_gui_app, export_snapshot

    ensure_gui_app()
    out = site.out / f"{rack}.zip"
    export_snapshot(
        site.engine, parse_scope(f"rack:AG1/{rack}"), T0, T0 + (STEPS - 1) * INTERVAL, out
    )
    with zipfile.ZipFile(out) as zf:
        pdf = zf.read("report.pdf")
        rows = list(csv.DictReader(io.StringIO(zf.read("data/samples.csv").decode("utf-8-sig"))))
    pdf_path = site.out / f"{rack}.pdf"
    pdf_path.write_bytes(pdf)
    txt = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return txt, rows


def check_report(site: Built, rack: str) -> None:
    """The PDF states the rack's peak power and inlet as the window does, and the CSV holds
    the samples those numbers are made of."""
    rid = site.rack_ids[rack]
    window = tree_view(site, rid)
    txt, rows = _export(site, rack)
    flat = " ".join(txt.split())
    # The affected-racks table: "RACK  PEAK °C at HH:MM  min  min  PEAK kW at HH:MM  % ...".
    m = re.search(rf"{re.escape(rack)} (?:([0-9.]+) °C at \S+|—) \d+ \d+ (?:([0-9.]+) kW|—)", flat)
    assert m, f"no row for rack {rack} in the PDF's affected racks"
    if window.kw:
        assert m.group(2), flat[:300]
        assert abs(float(m.group(2)) * 1000 - window.kw) <= 0.01 * window.kw + 5
    if window.inlet is not None:
        assert m.group(1) and abs(float(m.group(1)) - window.inlet) <= 0.05
    # The CSV: the last samples of the series the rack's kW adds up give the same kW.
    data = gather(site.engine, parse_scope(f"rack:AG1/{rack}"), T0, T0 + 2 * INTERVAL)
    used = read_racks.power_series(read_racks.rack_series(site.engine, rid, "power_w"))
    kinds = {d.id: d.kind for d in data.devices}
    assert len(rack_power_series(data.series, kinds)) == len(used)
    keys = {(r.device_name, r.channel) for r in used}
    last: dict[tuple[str, str], tuple[str, float]] = {}
    for r in rows:
        key = (r["device"], r["channel"])
        newer = key not in last or r["time_utc"] >= last[key][0]
        if r["metric"] == "power_w" and key in keys and newer:
            last[key] = (r["time_utc"], float(r["value"]))
    assert set(last) == keys
    if window.kw:
        assert abs(sum(v for _, v in last.values()) - window.kw) <= 0.01 * window.kw


@pytest.mark.daemon  # pdftotext
def test_lab_reports_state_what_the_window_shows(lab_site: Built) -> None:
    for family in ("apc", "raritan", "sentry4", "akcp"):
        check_report(lab_site, f"lab-{family}")


@pytest.mark.daemon
def test_capture_reports_state_what_the_window_shows(capture_site: Built) -> None:
    for name in ("sentry4", "raritan-pdu_px3", "apc_ap8853", "vertiv-pdu_mg02e4w1"):
        check_report(capture_site, name)


# -- one decision, one set of rules --------------------------------------------------------------


def test_a_probe_labelled_front_intake_is_an_inlet() -> None:
    m = decide(
        metric="temperature_c",
        channel="Rack front (intake)",
        role="ambient",
        declared_class=None,
        kind="sensor",
        interval_s=60,
        rules=load_rules(use_user_file=False),
    )
    assert m.role == "inlet" and m.channel_class == "part"
    assert (m.levels.warning, m.levels.critical) == (27.0, 32.0)  # resources/alarms/default.yaml
    assert m.stale_after_s == 60 * staleness.stale_intervals()  # the one stale rule


def test_changed_rules_reach_rows_desks_alarms_and_report(tmp_path: Path) -> None:
    """An operator lowers the inlet warning to 25 °C: the collector re-decides the rows, the
    tree colours, the alarm engine and the report all use 25 without a restart."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RACKWATCH_CONFIG_DIR", str(tmp_path / "config"))
        case = next(c for c in lab_cases() if c.rack == "lab-akcp")
        site = build_site(tmp_path, [case])
        try:
            rid = site.rack_ids[case.rack]
            rows = read_racks.rack_series(site.engine, rid, "temperature_c", role="inlet")
            assert rows and all(r.warn_high == 27.0 for r in rows)
            cfg = tmp_path / "config"
            (cfg / "alarms.yaml").write_text(
                "temperature:\n  roles:\n    inlet: {warning: 25.0}\n", encoding="utf-8"
            )
            from models.rules import user_rules_path

            assert user_rules_path().parent == cfg
            # The next batch the collector writes applies the new rules first.
            devices = {d.id: d for d in load_device_specs(site.engine)}
            writer = ResultWriter(site.engine, devices, [site.alarms])
            site.alarms.rules_source = current_rules
            writer.start()
            dev = next(iter(devices))
            writer.inbox.put([PollResult(dev, T0 + STEPS * INTERVAL, True, case.readings)])
            writer.inbox.put(None)
            writer.join()
            rows = read_racks.rack_series(site.engine, rid, "temperature_c", role="inlet")
            assert all(r.warn_high == 25.0 and r.limits_source == "override" for r in rows)
            meta = site.alarms.meta
            assert all(float(meta.warn_hi[r.id]) == 25.0 for r in rows)
            data = gather(site.engine, parse_scope(f"rack:AG1/{case.rack}"), T0, T0 + 300)
            assert rack_plot_limits(data, rid, "temperature")[0] == 25.0
            from ui import theme

            theme._anchors[0] = -math.inf  # its once-a-second look at the rules, now
            assert theme.inlet_warning_c() == 25.0
        finally:
            site.engine.dispose()


def test_a_database_from_before_the_decision_upgrades_and_keeps_its_history(
    tmp_path: Path, empty_db_url: str
) -> None:
    """A 0001 database (limits as the device sent them, no channel class) upgraded with
    `app.py db upgrade`: every sample stays, every series is decided, and readers agree."""
    import sys

    from sqlalchemy import text

    from tests.daemons import REPO

    url = empty_db_url
    upgrade(url, "0001")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO site (id, code, name, tz) VALUES (1, 'OLD', 'Old', 'UTC')"))
        conn.execute(
            text(
                "INSERT INTO rack (id, site_id, name, row, position, height_u, rated_power_w) "
                "VALUES (1, 1, 'R1', 'A', 1, 42, 20000)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO rack_feed (rack_id, feed, breaker_a, phases, voltage_v) "
                "VALUES (1, 'A', 32, 3, 230)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO device (id, site_id, rack_id, name, kind, u_height, feed, model, "
                "serial, address, protocol, poll_interval_s, enabled) VALUES "
                "(1, 1, 1, 'pdu', 'pdu', 1, 'A', '', '', '', 'snmp', 30, :on), "
                "(2, 1, 1, 'env', 'sensor', 1, NULL, '', '', '', 'snmp', 30, :on)"
            ),
            {"on": True},
        )
        series = [
            (1, 1, "power_w", "cord AA", None, None),
            (2, 1, "power_w", "phase AA:L1-L2", None, None),
            (3, 1, "current_a", "line AA:L1", None, 20.0),
            (4, 2, "temperature_c", "Rack front (intake)", "ambient", None),
        ]
        for sid, dev, metric, channel, role, warn in series:
            conn.execute(
                text(
                    "INSERT INTO series (id, device_id, metric, channel, role, unit, warn_high) "
                    "VALUES (:i, :d, :m, :c, :r, '', :w)"
                ),
                {"i": sid, "d": dev, "m": metric, "c": channel, "r": role, "w": warn},
            )
    values = {1: 3000.0, 2: 1000.0, 3: 12.0, 4: 24.5}
    # History written by the store itself (PostgreSQL needs its partitions).
    writer = SampleWriter(engine)
    writer.write([(sid, T0 + k * 30, v) for k in range(10) for sid, v in values.items()])
    writer.flush()
    engine.dispose()
    proc = subprocess.run(
        [sys.executable, str(REPO / "app.py"), "db", "upgrade", "--db", url],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "RACKWATCH_CONFIG_DIR": str(tmp_path / "config")},
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM sample")).scalar() == 40
            got = {
                int(r[0]): tuple(r[1:])
                for r in conn.execute(
                    text(
                        "SELECT id, channel_class, role, warn_high, device_warn_high, "
                        "limits_source, stale_after_s FROM series"
                    )
                )
            }
        rules = load_rules(use_user_file=False)
        assert got[1][0] == "total" and got[2][0] == "phase"
        # The PDU's own 20 A is stricter than the rule's 80 % of the 32 A breaker.
        assert got[3][:5] == ("phase", None, 20.0, 20.0, "device")
        assert got[4][:3] == ("part", "inlet", rules.temperature["inlet"].warning)
        assert got[4][5] == 30 * staleness.stale_intervals()
        s = read_status.summaries(engine, "rack", [1], now=T0 + 280)[1]
        # The cord total alone, not the cord plus its phases (issue 9's 15.27 kW vs 7.3 kW).
        assert (s.power_w, s.inlet_c) == (3000.0, 24.5)
    finally:
        engine.dispose()


def _server_inlet(
    device: tuple[float | None, float | None, float | None, float | None], rules: Any
) -> Any:
    return decide(
        metric="temperature_c",
        channel="Inlet Temp",
        role="inlet",
        declared_class=None,
        kind="server",
        interval_s=30,
        device_limits=device,
        rules=rules,
    )


def test_effective_limits_device_rules_then_operator(tmp_path: Path) -> None:
    shipped = load_rules(use_user_file=False)
    stricter = _server_inlet((None, 25.0, None, None), shipped)
    assert (stricter.levels.warning, stricter.levels.critical) == (25.0, 32.0)
    assert stricter.limits_source == "device"
    looser = _server_inlet((None, 30.0, None, 45.0), shipped)
    assert (looser.levels.warning, looser.limits_source) == (27.0, "rules")
    # A high limit below a low one is a misread table: ignored, the rule stands.
    assert _server_inlet((40.0, 20.0, None, None), shipped).limits_source == "rules"
    (tmp_path / "alarms.yaml").write_text(
        "temperature:\n  roles:\n    inlet: {warning: 29.0}\n", encoding="utf-8"
    )
    operator = load_rules(tmp_path / "alarms.yaml")
    m = _server_inlet((None, 25.0, None, None), operator)
    # The operator's level wins over the device's; the critical stays the stricter one.
    assert (m.levels.warning, m.levels.critical, m.limits_source) == (29.0, 32.0, "override")


def test_phase_numbers_and_phase_limits_come_from_the_feed() -> None:
    rules = load_rules(use_user_file=False)

    def cur(channel: str, declared: str | None, phases: int) -> Any:
        return decide(
            metric="current_a",
            channel=channel,
            role=None,
            declared_class=declared,
            kind="pdu",
            interval_s=60,
            feed=Feed(16.0, phases),
            rules=rules,
        )

    assert cur("Phase B", "phase", 3).phase == 2
    assert cur("line AA:L3", "phase", 3).phase == 3
    assert cur("L3", None, 1).phase is None  # a third phase on a single-phase feed
    single = cur("inlet I1", "total", 1)
    assert (single.phase, single.rule) == (1, "phase_current")
    assert single.levels.warning == 16.0 * rules.phase_current.warning_pct / 100
    branch = cur("load 3 (phase 0, bank 2)", None, 3)
    assert (branch.channel_class, branch.phase, branch.rule) == ("branch", None, "")


def test_a_server_over_ssh_counts_its_dcmi_power_once() -> None:
    from monitors.ssh.parsers import parse_dcmi

    got = parse_dcmi(
        "    Instantaneous power reading:                   220 Watts\n"
        "    Average power reading over sample period:      210 Watts\n"
        "    Power reading state is:                        activated\n"
    ).readings
    classes = {r.channel: r.channel_class for r in got}
    assert classes == {"DCMI instantaneous": "total", "DCMI average": "part"}
