"""Inventory import: the examples, every rejected case with its exact message, upsert semantics."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

import app
from models.inventory.importer import (
    InventoryError,
    check_inventory,
    import_inventory,
    parse_inventory,
)
from models.inventory.writer import scalar
from models.schema import Device, Rack, RackFeed, Site
from monitors.lab.presets import PRESETS, _Generator, generate, write_inventory
from tests.daemons import REPO

EXAMPLE_YAML = REPO / "resources" / "inventory" / "example.yaml"
EXAMPLE_CSV = REPO / "resources" / "inventory" / "example.csv"
SITE_HEAD = """\
version: 1
sites:
  - code: S1
    name: Site one
    racks:
      - name: R1
        height_u: 42
        feeds:
          A: {breaker_a: 32}
          B: {breaker_a: 32}
        devices:
"""


def counts(engine: Engine) -> tuple[int, int, int, int]:
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (Site.__table__, Rack.__table__, RackFeed.__table__, Device.__table__)
        )


def write(tmp_path: Path, body: str, name: str = "inv.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def devices_yaml(tmp_path: Path, *lines: str) -> Path:
    body = SITE_HEAD + "".join(f"          - {line}\n" for line in lines)
    return write(tmp_path, body)


def problems_of(engine: Engine, path: Path) -> list[str]:
    before = counts(engine)
    with pytest.raises(InventoryError) as info:
        import_inventory(engine, path)
    assert counts(engine) == before, "a rejected file must not write anything"
    return [str(p) for p in info.value.problems]


@pytest.fixture
def loaded(engine: Engine) -> Engine:
    """A database already holding the example, so a rejected file has something to disturb."""
    import_inventory(engine, EXAMPLE_YAML)
    return engine


# -- the examples -------------------------------------------------------------------------------


def test_example_yaml_imports_and_reimport_changes_nothing(engine: Engine) -> None:
    report = import_inventory(engine, EXAMPLE_YAML)
    assert (report.sites.created, report.racks.created, report.devices.created) == (2, 4, 24)
    assert counts(engine) == (2, 4, 8, 24)
    with engine.connect() as conn:
        row = conn.execute(
            select(Device.__table__).where(Device.__table__.c.name == "gy2-b03-07-srv03")
        ).one()
        site = conn.execute(select(Site.__table__).where(Site.__table__.c.code == "GY2")).one()
    assert (row.protocol, row.port, row.address, row.credential) == (
        "ssh",
        2222,
        "fd00:40:9::13",
        "gy2-ssh-monitor",
    )
    assert row.poll_interval_s == 30  # from the site defaults
    assert site.tz == "Asia/Shanghai"
    again = import_inventory(engine, EXAMPLE_YAML)
    assert str(again.total) == "0 created, 0 updated, 30 unchanged"
    assert not again.changed


def test_example_values_are_typed_by_field(engine: Engine) -> None:
    import_inventory(engine, EXAMPLE_YAML)
    with engine.connect() as conn:
        rows = {
            r.name: r
            for r in conn.execute(
                select(
                    Device.__table__.c.name,
                    Device.__table__.c.serial,
                    Device.__table__.c.enabled,
                    Device.__table__.c.credential,
                    Device.__table__.c.u_position,
                    Device.__table__.c.port,
                )
            )
        }
    assert rows["gy2-b03-07-srv01"].serial == "221830127"  # digits stay text
    assert rows["ga1-a01-02-srv03"].enabled is False
    assert rows["ga1-a01-02-srv01"].credential == "ga1-ilo-snmp"  # rack defaults
    assert rows["ga1-a01-02-pdu-a"].credential == "zone-snmp-v3"  # device beats rack defaults
    assert rows["ga1-a01-01-pdu-a"].u_position is None  # zero-U
    assert rows["ga1-a01-01-srv01"].port == 161
    assert rows["ga1-a01-01-tor"].port is None  # protocol none


def test_example_csv_imports_into_empty_db_with_default_sites_and_racks(engine: Engine) -> None:
    report = import_inventory(engine, EXAMPLE_CSV)
    assert (report.sites.created, report.racks.created, report.devices.created) == (2, 2, 11)
    with engine.connect() as conn:
        site = conn.execute(select(Site.__table__).where(Site.__table__.c.code == "KL1")).one()
        rack = conn.execute(select(Rack.__table__).where(Rack.__table__.c.name == "C02-01")).one()
    assert (site.name, site.tz) == ("KL1", "UTC")
    assert (rack.height_u, rack.row, rack.position) == (42, "", 0)
    assert str(import_inventory(engine, EXAMPLE_CSV).total) == "0 created, 0 updated, 15 unchanged"


def test_csv_uses_existing_sites_and_racks_untouched(loaded: Engine) -> None:
    report = import_inventory(loaded, EXAMPLE_CSV)
    assert (report.sites.created, report.sites.unchanged) == (1, 1)
    with loaded.connect() as conn:
        ga1 = conn.execute(select(Site.__table__).where(Site.__table__.c.code == "GA1")).one()
    assert ga1.name == "Gui'an Data Center 1, Hall A"


def test_cli_import_prints_summary(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert app.main(["import", str(EXAMPLE_YAML), "--db", sqlite_url]) == 0
    out = capsys.readouterr().out
    assert "devices: 24 created, 0 updated, 0 unchanged" in out
    assert app.main(["import", str(EXAMPLE_YAML), "--db", sqlite_url]) == 0
    assert "total:   0 created, 0 updated, 30 unchanged" in capsys.readouterr().out


def test_cli_upgrades_an_empty_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert app.main(["import", str(EXAMPLE_CSV), "--db", url]) == 0
    assert "devices: 11 created" in capsys.readouterr().out


def test_cli_dry_run_writes_nothing(
    sqlite_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert app.main(["import", str(EXAMPLE_YAML), "--db", sqlite_url, "--dry-run"]) == 0
    assert "dry run, nothing written" in capsys.readouterr().out
    assert counts(engine) == (0, 0, 0, 0)


def test_cli_rejects_with_problems_on_stderr(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = devices_yaml(tmp_path, "{name: s1, kind: server, u: 3, address: 10.0.0.1, colour: red}")
    assert app.main(["import", str(path), "--db", sqlite_url]) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines()[0].startswith(f"{path}:12: colour: unknown key in device")
    assert "nothing written" in captured.err
    assert captured.out == ""


# -- rejected files: exact file:line: field: message ---------------------------------------------


def test_yaml_syntax_error(loaded: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "sites:\n  - code: S1\n    name: [oops\n")
    assert problems_of(loaded, path) == [
        f"{path}:4: yaml: syntax error: did not find expected ',' or ']'"
        " (while parsing a flow sequence started at line 3)"
    ]


def test_duplicate_yaml_key(loaded: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "sites:\n  - code: S1\n    name: x\n    name: y\n")
    assert problems_of(loaded, path) == [f"{path}:4: name: duplicate key (first at line 3)"]


def test_empty_file(loaded: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "# nothing yet\n")
    assert problems_of(loaded, path) == [
        f"{path}:1: sites: the file is empty; expected a mapping with a 'sites' list"
    ]


@pytest.mark.parametrize(
    ("device", "expected"),
    [
        (
            "{name: s1, kind: server, u: 3, address: 10.0.0.1, adress: x}",
            "adress: unknown key in device (allowed: address, credential, enabled, feed, height_u,"
            " kind, model, name, poll_interval_s, port, profile, protocol, serial, u)",
        ),
        ("{name: s1, u: 3, address: 10.0.0.1}", "kind: device s1: missing required field"),
        ("{kind: server, address: 10.0.0.1}", "name: device: missing required field"),
        (
            "{name: s1, kind: blade, address: 10.0.0.1}",
            "kind: 'blade' is not one of pdu, server, sensor, switch",
        ),
        (
            "{name: s1, kind: server, u: top, address: 10.0.0.1}",
            "u: expected a whole number, got 'top'",
        ),
        (
            "{name: s1, kind: server, u: 42, height_u: 2, address: 10.0.0.1}",
            "u: device s1 at U 42-43 is outside rack S1/R1 (U 1-42)",
        ),
        (
            "{name: s1, kind: server, address: 10.0.0.300}",
            "address: '10.0.0.300' is neither an IP address nor a valid host name",
        ),
        (
            "{name: s1, kind: server, address: bad_host.example}",
            "address: 'bad_host.example' is neither an IP address nor a valid host name",
        ),
        ("{name: s1, kind: server}", "address: device s1: required for protocol snmp"),
        (
            "{name: s1, kind: server, address: 10.0.0.1, port: 70000}",
            "port: 70000 is out of range 1..65535",
        ),
        (
            "{name: s1, kind: server, address: 10.0.0.1, poll_interval_s: 1}",
            "poll_interval_s: 1 is out of range 5..86400",
        ),
        (
            "{name: s1, kind: server, address: 10.0.0.1, protocol: telnet}",
            "protocol: 'telnet' is not one of snmp, ssh, redfish, none",
        ),
        (
            "{name: s1, kind: server, address: 10.0.0.1, enabled: maybe}",
            "enabled: expected true or false, got 'maybe'",
        ),
        (
            "{name: s1, kind: server, address: 10.0.0.1, profile: no-such-profile}",
            "profile: unknown profile 'no-such-profile' (no no-such-profile.yaml in {profiles})",
        ),
        (
            "{name: s1, kind: server, address: 10.0.0.1, credential: 'my secret'}",
            "credential: 'my secret' is not a valid credential name",
        ),
        (
            "{name: s1, kind: server, address: 10.0.0.1, feed: A}",
            "feed: only PDUs have a feed (this device is a server)",
        ),
        (
            "{name: p1, kind: pdu, address: 10.0.0.1}",
            "feed: PDU p1: missing required field (A or B)",
        ),
    ],
)
def test_bad_device_field(loaded: Engine, tmp_path: Path, device: str, expected: str) -> None:
    from models.inventory.format import BUILTIN_PROFILE_DIR

    path = devices_yaml(tmp_path, device)
    expected = expected.replace("{profiles}", str(BUILTIN_PROFILE_DIR))
    assert problems_of(loaded, path) == [f"{path}:12: {expected}"]


def test_overlapping_u_positions(loaded: Engine, tmp_path: Path) -> None:
    path = devices_yaml(
        tmp_path,
        "{name: s1, kind: server, u: 10, height_u: 2, address: 10.0.0.1}",
        "{name: s2, kind: server, u: 12, height_u: 2, address: 10.0.0.2}",
        "{name: s3, kind: server, u: 13, address: 10.0.0.3}",
    )
    assert problems_of(loaded, path) == [
        f"{path}:14: u: device s3 at U 13-13 overlaps s2 at U 12-13 (line 13) in rack S1/R1"
    ]


def test_duplicates_of_sites_racks_and_devices(loaded: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        sites:
          - code: S1
            name: one
            racks:
              - name: R1
                devices:
                  - {name: d1, kind: sensor, address: 10.0.0.1}
              - name: R1
            devices:
              - {name: d1, kind: sensor, address: 10.0.0.2}
          - code: S1
            name: again
          - code: S2
            name: two
            devices:
              - {name: d1, kind: sensor, address: 10.0.0.3}
        """,
    )
    assert problems_of(loaded, path) == [
        f"{path}:8: name: duplicate rack 'R1' in site S1 (first at line 5)",
        f"{path}:10: name: duplicate device 'd1' in site S1 (first at line 7)",
        f"{path}:11: code: duplicate site code 'S1' (first at line 2)",
    ]


def test_site_and_rack_fields(loaded: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        sites:
          - code: S 1
            name: one
            timezone: Mars/Olympus
            owner: me
            racks:
              - name: R1
                height_u: 90
                rated_power_w: lots
                feeds:
                  A: {breaker_a: 32, phases: 2}
                  C: {breaker_a: 16}
              - row: A
        """,
    )
    assert problems_of(loaded, path) == [
        f"{path}:2: code: 'S 1' is not a valid site code",
        f"{path}:4: timezone: unknown time zone 'Mars/Olympus'"
        " (use an IANA name like Europe/Berlin)",
        f"{path}:5: owner: unknown key in site"
        " (allowed: code, defaults, devices, name, racks, timezone)",
        f"{path}:8: height_u: 90 is out of range 1..60",
        f"{path}:9: rated_power_w: expected a number, got 'lots'",
        f"{path}:11: phases: 2 phases: a feed has 1 or 3 phases",
        f"{path}:12: feeds: unknown feed 'C' (feeds are A, B)",
        f"{path}:13: name: rack: missing required field",
    ]


def test_pdu_feed_must_exist_on_rack(loaded: Engine, tmp_path: Path) -> None:
    body = SITE_HEAD.replace("          B: {breaker_a: 32}\n", "")
    path = write(tmp_path, body + "          - {name: p1, kind: pdu, feed: B, address: 10.0.0.1}\n")
    assert problems_of(loaded, path) == [
        f"{path}:11: feed: PDU p1: rack R1 has no feed B (it has A)"
    ]


def test_all_problems_are_reported_in_line_order(loaded: Engine, tmp_path: Path) -> None:
    path = devices_yaml(
        tmp_path,
        "{name: s1, kind: server, u: 0, address: 10.0.0.1}",
        "{name: s2, kind: server, address: '::zz'}",
        "{name: s3, kind: server, address: 10.0.0.3, port: -1}",
    )
    problems = problems_of(loaded, path)
    assert [p.split(": ")[0] for p in problems] == [f"{path}:12", f"{path}:13", f"{path}:14"]
    assert problems[0].endswith("u: 0 is out of range 1..60")


def test_merge_keys_and_anchors_are_understood(engine: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        x-server: &srv {kind: server, height_u: 2, model: Dell PowerEdge R750}
        """,
    )
    # x- keys are not part of the format: unknown at the top level
    first = next(str(p) for p in check_inventory(path))
    assert first.startswith(f"{path}:1: x-server: unknown key")
    path = write(
        tmp_path,
        SITE_HEAD + "          - &srv {name: s1, kind: server, u: 2, height_u: 2,"
        " address: 10.0.0.1, serial: '007'}\n"
        + "          - {<<: *srv, name: s2, u: 4, address: 10.0.0.2}\n",
    )
    import_inventory(engine, path)
    with engine.connect() as conn:
        s2 = conn.execute(select(Device.__table__).where(Device.__table__.c.name == "s2")).one()
    assert (s2.u_position, s2.u_height, s2.serial) == (4, 2, "007")


def test_csv_problems(loaded: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "site,rack,name,kind,u,height_u,address,colour\n",
        name="bad.csv",
    )
    assert problems_of(loaded, path) == [
        f"{path}:1: colour: unknown column (allowed: site, rack, name, kind, u, height_u, feed,"
        " model, serial, address, port, protocol, profile, credential, poll_interval_s, enabled)"
    ]
    path = write(
        tmp_path,
        """\
        site,rack,name,kind,u,height_u,address
        GA1,A01-01,x1,server,2,1,10.0.0.1
        GA1,A01-01,x2,server,9,1,10.0.0.2
        GA1,,x3,server,4,,x..y
        GA1,A01-02,x4,sever,,,10.0.0.4
        """,
        name="bad.csv",
    )
    # A01-01 of the example holds ga1-a01-01-srv01 at U 2, which this CSV does not mention.
    assert problems_of(loaded, path) == [
        f"{path}:2: u: device x1 at U 2-2 overlaps ga1-a01-01-srv01 at U 2-2"
        " (in the database, not in this file; --prune removes it) in rack GA1/A01-01",
        f"{path}:4: address: 'x..y' is neither an IP address nor a valid host name",
        f"{path}:4: u: only devices inside a rack have a U position",
        f"{path}:5: kind: 'sever' is not one of pdu, server, sensor, switch",
    ]


def test_csv_semicolon_and_u_range_of_existing_rack(loaded: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path, "site;rack;name;kind;u;address\nGY2;B03-07;x1;server;49;10.0.0.1\n", name="s.csv"
    )
    assert problems_of(loaded, path) == [
        f"{path}:2: u: device x1 at U 49-49 is outside rack GY2/B03-07 (U 1-48)"
    ]


# -- upsert semantics -----------------------------------------------------------------------------


def test_edit_updates_in_place(loaded: Engine, tmp_path: Path) -> None:
    with loaded.connect() as conn:
        ids_before = dict(
            conn.execute(select(Device.__table__.c.name, Device.__table__.c.id)).all()
        )
    edited = EXAMPLE_YAML.read_text(encoding="utf-8")
    edited = edited.replace(
        "serial: 7XK2QH3, address: 10.20.8.21", "serial: 7XK2QH3, address: 10.20.8.99"
    )
    edited = edited.replace("name: Guiyang Data Center 2", "name: Guiyang DC 2")
    edited = edited.replace(
        "A: {breaker_a: 16, phases: 3, voltage_v: 230}",
        "A: {breaker_a: 20, phases: 3, voltage_v: 230}",
    )
    path = write(tmp_path, edited)
    report = import_inventory(loaded, path)
    assert (report.sites.updated, report.racks.updated, report.devices.updated) == (1, 1, 1)
    assert report.total.created == 0
    with loaded.connect() as conn:
        ids_after = dict(conn.execute(select(Device.__table__.c.name, Device.__table__.c.id)).all())
        address = conn.execute(
            select(Device.__table__.c.address).where(Device.__table__.c.name == "ga1-a01-01-srv01")
        ).scalar_one()
        breakers = sorted(conn.execute(select(RackFeed.__table__.c.breaker_a)).scalars())
    assert ids_after == ids_before
    assert address == "10.20.8.99"
    assert breakers.count(20.0) == 1
    assert str(import_inventory(loaded, path).total) == "0 created, 0 updated, 30 unchanged"


def test_moving_a_device_between_racks(loaded: Engine, tmp_path: Path) -> None:
    text_ = EXAMPLE_YAML.read_text(encoding="utf-8")
    line = next(ln for ln in text_.splitlines() if "gy2-b03-08-srv02" in ln)
    text_ = text_.replace(line + "\n", "")
    moved = line.replace("u: 4, height_u: 1", "u: 20, height_u: 1")
    anchor = next(ln for ln in text_.splitlines() if "gy2-b03-07-tor" in ln)
    text_ = text_.replace(anchor, anchor + "\n" + moved)
    report = import_inventory(loaded, write(tmp_path, text_))
    assert (report.devices.updated, report.devices.created) == (1, 0)
    with loaded.connect() as conn:
        rack = conn.execute(
            select(Rack.__table__.c.name)
            .join(Device.__table__, Device.__table__.c.rack_id == Rack.__table__.c.id)
            .where(Device.__table__.c.name == "gy2-b03-08-srv02")
        ).scalar_one()
    assert rack == "B03-07"


def test_missing_entries_are_kept_unless_pruned(loaded: Engine, tmp_path: Path) -> None:
    text_ = EXAMPLE_YAML.read_text(encoding="utf-8")
    start = text_.index("      - name: B03-08")
    smaller = text_[:start]  # drops rack B03-08 and its 4 devices
    smaller = smaller.replace(
        next(ln for ln in smaller.splitlines() if "ga1-a01-01-srv02" in ln) + "\n", ""
    )
    path = write(tmp_path, smaller)
    report = import_inventory(loaded, path)
    assert str(report.total) == "0 created, 0 updated, 24 unchanged"
    assert counts(loaded) == (2, 4, 8, 24)
    dry = import_inventory(loaded, path, prune=True, dry_run=True)
    assert (dry.racks.removed, dry.devices.removed) == (1, 5)
    assert counts(loaded) == (2, 4, 8, 24)
    report = import_inventory(loaded, path, prune=True)
    assert (report.racks.removed, report.devices.removed) == (1, 5)
    assert counts(loaded) == (2, 3, 6, 19)


def test_overlap_with_a_device_only_in_the_database(loaded: Engine, tmp_path: Path) -> None:
    text_ = EXAMPLE_YAML.read_text(encoding="utf-8")
    line = next(ln for ln in text_.splitlines() if "ga1-a01-01-srv01" in ln)
    path = write(
        tmp_path, text_.replace(line, line.replace("ga1-a01-01-srv01", "ga1-a01-01-new01"))
    )
    problems = problems_of(loaded, path)
    lineno = text_.splitlines().index(line) + 1
    assert problems == [
        f"{path}:{lineno}: u: device ga1-a01-01-new01 at U 2-2 overlaps ga1-a01-01-srv01 at U 2-2"
        " (in the database, not in this file; --prune removes it) in rack GA1/A01-01"
    ]
    report = import_inventory(loaded, path, prune=True)  # the rename is fine once the old goes
    assert (report.devices.created, report.devices.removed) == (1, 1)


def test_csv_prune_removes_only_devices(loaded: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "site,rack,name,kind,address\nGY2,B03-07,gy2-b03-07-env,sensor,10.40.3.73\n",
        name="p.csv",
    )
    report = import_inventory(loaded, path, prune=True)
    assert report.devices.removed == 10  # every other GY2 device
    assert report.devices.updated == 1  # empty cells mean defaults: model and serial now ""
    assert report.racks.removed == 0
    assert counts(loaded)[1] == 4


# -- profiles -----------------------------------------------------------------------------------


def test_profile_names_come_from_the_profile_folder(engine: Engine, tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "apc_rpdu2.yaml").write_text("name: apc_rpdu2\n", encoding="utf-8")
    path = devices_yaml(
        tmp_path,
        "{name: p1, kind: pdu, feed: A, address: 10.0.0.1, profile: apc_rpdu2}",
        "{name: p2, kind: pdu, feed: B, address: 10.0.0.2, profile: raritan_pdu2}",
    )
    _inv, problems = parse_inventory(path, profile_dirs=[profiles])
    assert [str(p) for p in problems] == [
        f"{path}:13: profile: unknown profile 'raritan_pdu2' (no raritan_pdu2.yaml in {profiles})"
    ]
    (profiles / "raritan_pdu2.yaml").write_text("name: raritan_pdu2\n", encoding="utf-8")
    report = import_inventory(engine, path, profile_dirs=[profiles])
    assert report.devices.created == 2


# -- generator and writer -----------------------------------------------------------------------


def test_generated_inventory_round_trips_and_imports(engine: Engine, tmp_path: Path) -> None:
    doc = generate(sites=2, racks_per_site=6, servers_total=90, probes="row", seed=7)
    path = tmp_path / "lab.yaml"
    assert write_inventory(doc, path) == len(
        [d for s in doc["sites"] for r in s["racks"] for d in r["devices"]]
    )
    report = import_inventory(engine, path)
    assert (report.sites.created, report.racks.created) == (2, 12)
    with engine.connect() as conn:
        kinds = dict(
            conn.execute(
                select(Device.__table__.c.kind, func.count()).group_by(Device.__table__.c.kind)
            ).all()
        )
        addresses = (
            conn.execute(
                select(Device.__table__.c.address).where(Device.__table__.c.protocol != "none")
            )
            .scalars()
            .all()
        )
        protocols = set(conn.execute(select(Device.__table__.c.protocol)).scalars())
    assert kinds["server"] == 90
    assert kinds["pdu"] == 24
    assert kinds["switch"] == 12
    assert 2 <= kinds["sensor"] <= 12  # one per row
    assert all(a.startswith("127.") for a in addresses)
    assert len(set(addresses)) == len(addresses)
    assert protocols <= {"snmp", "ssh", "none"}


def test_rack_addressing_gives_distinct_ports_per_rack(tmp_path: Path, engine: Engine) -> None:
    doc = generate(
        sites=1, racks_per_site=3, servers_per_rack=5, addressing="rack", port_base=30000
    )
    rack = doc["sites"][0]["racks"][0]
    endpoints = [(d.get("address"), d.get("port")) for d in rack["devices"] if "address" in d]
    assert len({a for a, _ in endpoints}) == 1
    assert [p for _, p in endpoints] == list(range(30000, 30000 + len(endpoints)))
    assert sum(d["kind"] == "server" for d in rack["devices"]) == 5
    path = tmp_path / "lab.yaml"
    write_inventory(doc, path)
    assert import_inventory(engine, path).devices.created == 3 * (2 + 1 + 5 + 1)


def test_presets_hit_the_brief_totals() -> None:
    pilot = _Generator(PRESETS["pilot-zone"])
    assert (len(pilot.site_racks), sum(pilot.site_racks)) == (12, 13_400)
    assert sum(n or 0 for n in pilot.site_servers) == 158_000
    big = _Generator(PRESETS["2m"])
    assert sum(n or 0 for n in big.site_servers) == 2_000_000
    site = next(_Generator(PRESETS["pilot-zone"]).sites())
    servers = [d for r in site["racks"] for d in r["devices"] if d["kind"] == "server"]
    assert len(site["racks"]) == pilot.site_racks[0]
    assert len(servers) == pilot.site_servers[0]
    assert {d["height_u"] for d in servers} == {1, 2}


def test_writer_quotes_what_yaml_would_retype() -> None:
    assert scalar("no") == '"no"'
    assert scalar("127.0.0.1") == '"127.0.0.1"'
    assert scalar("a, b") == '"a, b"'
    assert scalar("Dell PowerEdge R650") == "Dell PowerEdge R650"
    assert scalar(8000.0) == "8000"
    assert scalar(None) == "null"


def test_sqlite_has_no_leftovers_from_rejected_import(loaded: Engine, tmp_path: Path) -> None:
    path = devices_yaml(tmp_path, "{name: s1, kind: server, u: 60, address: 10.0.0.1}")
    problems_of(loaded, path)
    with loaded.connect() as conn:
        assert conn.execute(text("select count(*) from site where code = 'S1'")).scalar_one() == 0


# -- both back ends -----------------------------------------------------------------------------


def test_import_cycle_on_sqlite_and_postgresql(db_engine: Engine, tmp_path: Path) -> None:
    assert (
        str(import_inventory(db_engine, EXAMPLE_YAML).total) == "30 created, 0 updated, 0 unchanged"
    )
    assert (
        str(import_inventory(db_engine, EXAMPLE_CSV).total) == "14 created, 0 updated, 1 unchanged"
    )
    assert counts(db_engine) == (3, 6, 8, 35)
    edited = EXAMPLE_YAML.read_text(encoding="utf-8").replace(
        "model: AKCP sensorProbe2+", "model: AKCP SP2+"
    )
    report = import_inventory(db_engine, write(tmp_path, edited), prune=True)
    assert (report.devices.updated, report.devices.removed, report.racks.removed) == (2, 5, 1)
    assert counts(db_engine) == (3, 5, 8, 30)
    bad = devices_yaml(tmp_path, "{name: s1, kind: server, u: 42, height_u: 2, address: 10.0.0.1}")
    assert problems_of(db_engine, bad) == [
        f"{bad}:12: u: device s1 at U 42-43 is outside rack S1/R1 (U 1-42)"
    ]
    assert (
        str(import_inventory(db_engine, write(tmp_path, edited)).total)
        == "0 created, 0 updated, 30 unchanged"
    )


def test_bad_encoding_and_multiline_csv_rows_keep_real_lines(
    loaded: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "enc.yaml"
    path.write_bytes(b"sites:\n  - code: S\n    name: \xff\xfe\n")
    assert problems_of(loaded, path) == [
        f"{path}:3: yaml: not UTF-8 text: invalid leading UTF-8 octet"
    ]
    path = write(
        tmp_path,
        'site,rack,name,kind,address,model\nS1,R1,a,server,10.0.0.1,"two\nlines"\n'
        "S1,R1,b,server,10.0.0.300,x\n",
        name="ml.csv",
    )
    assert problems_of(loaded, path) == [
        f"{path}:4: address: '10.0.0.300' is neither an IP address nor a valid host name"
    ]


def test_top_level_defaults_apply_wherever_they_stand(engine: Engine, tmp_path: Path) -> None:
    body = SITE_HEAD + "          - {name: s1, kind: server, u: 2, address: 10.0.0.1}\n"
    before = write(tmp_path, "defaults: {credential: early}\n" + body, name="a.yaml")
    after = write(tmp_path, body + "defaults: {credential: late}\n", name="b.yaml")
    for path, expected in ((before, "early"), (after, "late")):
        import_inventory(engine, path)
        with engine.connect() as conn:
            cred = conn.execute(select(Device.__table__.c.credential)).scalar_one()
        assert cred == expected


def test_cli_dry_run_on_an_empty_database_creates_no_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "none.db"
    assert app.main(["import", str(EXAMPLE_YAML), "--db", f"sqlite:///{db}", "--dry-run"]) == 0
    assert "total:   30 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    import sqlite3

    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from sqlite_master").fetchone() == (0,)


def test_exact_servers_per_rack_switches_to_1u_models_when_needed(
    engine: Engine, tmp_path: Path
) -> None:
    doc = generate(sites=1, racks_per_site=4, servers_per_rack=30, seed=3)
    for rack in doc["sites"][0]["racks"]:
        servers = [d for d in rack["devices"] if d["kind"] == "server"]
        assert len(servers) == 30
        assert max(d["u"] + d["height_u"] - 1 for d in servers) < rack["height_u"]
    path = tmp_path / "full.yaml"
    write_inventory(doc, path)
    assert import_inventory(engine, path).devices.created == 4 * (2 + 1 + 30 + 1)
    with pytest.raises(ValueError, match="45 servers do not fit rack GA1/R01-01"):
        generate(sites=1, racks_per_site=1, servers_per_rack=45, tall_rack_share=0.0)
