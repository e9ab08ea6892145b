"""Hostile and broken input files: alias bombs, floods of problems, broken profiles (issue 15)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from models.inventory.device_specs import DeviceSpec
from models.inventory.importer import InventoryError, import_inventory, parse_inventory
from models.rules import RulesError, load_rules
from models.yaml_limits import MAX_PROBLEMS_SHOWN
from monitors.collection.drivers import SnmpDriver
from monitors.collection.targets import SnmpCredential
from monitors.lab.faults import alias_bomb
from monitors.profiles.engine import ProfileSet, default_profiles_dir
from tests.daemons import REPO

SITE_HEAD = """\
version: 1
sites:
  - code: S1
    name: Site one
    racks:
      - name: R1
        height_u: 42
        devices:
"""


def test_alias_bomb_inventory_is_refused_with_its_line_and_little_memory(tmp_path: Path) -> None:
    bomb = alias_bomb(tmp_path / "bomb.yaml")
    assert bomb.stat().st_size >= 190_000
    # In its own process, so the memory it took can be measured: VmHWM is this process's peak
    # (ru_maxrss would include the parent's, which Linux carries across fork and exec).
    code = (
        "import re, sys\n"
        "from models.inventory.importer import parse_inventory\n"
        "inv, problems = parse_inventory(sys.argv[1])\n"
        "print(len(problems)); print(problems[0])\n"
        "status = open('/proc/self/status').read()\n"
        "print(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(bomb)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    count, first, rss_kib = done.stdout.splitlines()
    assert count == "1"
    assert first.startswith(f"{bomb}:") and "aliases expand" in first
    assert int(rss_kib) < 100 * 1024, f"{int(rss_kib) // 1024} MiB"


def test_templates_reused_by_aliases_are_still_fine(tmp_path: Path) -> None:
    head = SITE_HEAD.replace(
        "        devices:\n",
        "        devices:\n          - &pdu {kind: sensor, name: p0, address: 10.0.0.1}\n",
    )
    body = head + "".join(
        f"          - {{<<: *pdu, name: p{i}, address: 10.0.{i // 250}.{i % 250 + 1}}}\n"
        for i in range(1, 300)
    )
    path = tmp_path / "ok.yaml"
    path.write_text(body, encoding="utf-8")
    inv, problems = parse_inventory(path)
    assert problems == [] and len(inv.devices) == 300


def test_a_flood_of_problems_reports_the_first_hundred_and_a_count(tmp_path: Path) -> None:
    lines = "".join(f"          - {{name: d{i}, kind: toaster}}\n" for i in range(20_000))
    path = tmp_path / "bad.yaml"
    path.write_text(SITE_HEAD + lines, encoding="utf-8")
    with pytest.raises(InventoryError) as err:
        import_inventory(None, path, dry_run=True)
    text = str(err.value).splitlines()
    assert len(text) == MAX_PROBLEMS_SHOWN + 1
    assert text[0].startswith(f"{path}:9: ")
    assert err.value.total >= 20_000
    assert text[-1] == f"... and {err.value.total - MAX_PROBLEMS_SHOWN:,} more problems"


def test_alias_bomb_rules_file_is_refused_with_file_and_line(tmp_path: Path) -> None:
    bomb = alias_bomb(tmp_path / "rules.yaml", 20_000)
    with pytest.raises(RulesError) as err:
        load_rules(bomb)
    assert f"{bomb}:" in str(err.value) and "aliases expand" in str(err.value)


def _profile_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "profiles"
    folder.mkdir()
    shutil.copy(default_profiles_dir() / "apc-rpdu.yaml", folder / "apc-rpdu.yaml")
    (folder / "broken.yaml").write_text("match:\n  - sys_object_id: [oops\n", encoding="utf-8")
    (folder / "latin1.yaml").write_bytes(b"description: Temp\xe9rature\nmatch: []\n")
    return folder


def test_broken_profiles_are_named_with_file_and_line_and_the_rest_loads(tmp_path: Path) -> None:
    folder = _profile_dir(tmp_path)
    profiles = ProfileSet.load(folder)
    assert profiles.names == ["apc-rpdu"]
    assert set(profiles.broken) == {"broken", "latin1"}
    assert profiles.broken["broken"].startswith(f"{folder / 'broken.yaml'}:3:")
    assert profiles.broken["latin1"].startswith(f"{folder / 'latin1.yaml'}:1: not UTF-8")


def test_a_broken_profile_disables_only_the_devices_that_use_it(tmp_path: Path) -> None:
    profiles = ProfileSet.load(_profile_dir(tmp_path))
    driver = SnmpDriver(lambda _n: SnmpCredential("2c", community="x"), profiles)
    spec = DeviceSpec(
        id=1,
        name="pdu-1",
        site="S1",
        rack="R1",
        rack_id=1,
        kind="pdu",
        address="127.0.0.1",
        port=9,
        protocol="snmp",
        profile="broken",
        credential=None,
        interval_s=60,
    )
    result = asyncio.run(driver.poll(spec))
    assert not result.ok and result.error_kind == "config"
    assert "broken.yaml:3" in (result.error or "")


def test_import_names_broken_profiles(tmp_path: Path) -> None:
    folder = _profile_dir(tmp_path)
    inv = tmp_path / "inv.yaml"
    inv.write_text(SITE_HEAD + "          - {name: p1, kind: sensor, address: 10.0.0.1}\n")
    done = subprocess.run(
        [sys.executable, str(REPO / "app.py"), "import", str(inv), "--dry-run",
         "--profiles-dir", str(folder)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"profile problem: {folder / 'broken.yaml'}:3:" in done.stderr
    assert "latin1.yaml:1: not UTF-8" in done.stderr
