"""Render every GUI view of a database into docs/screenshots/ with `app.py gui --screenshot`."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from models.db import make_engine, upgrade  # noqa: E402
from models.paths import resolve_db_url  # noqa: E402
from models.read import common as read_common  # noqa: E402
from models.read import inventory as read_inventory  # noqa: E402
from models.read import status as read_status  # noqa: E402


def pick_targets(url: str, site: str | None, rack: str | None) -> tuple[str, str]:
    """The site to show (given, else the one holding the worst rack) and the worst rack."""
    engine = make_engine(url)
    try:
        inv = read_inventory.load_inventory(engine)
        if not inv.sites:
            raise SystemExit(f"screenshots: database {url} has no sites")
        if site and rack:
            return site, rack
        sums = read_status.summaries(engine, "rack")
        by_id = {r.id: r for r in inv.racks if r.id}
        code = {s.id: s.code for s in inv.sites}
        candidates = [s for s in sums.values() if s.id in by_id]
        if site:
            wanted = {s.id for s in inv.sites if s.code == site}
            candidates = [s for s in candidates if by_id[s.id].site_id in wanted]

        def badness(s: read_status.Summary) -> tuple[int, float]:
            return (read_common.STATE_RANK.get(s.state, 0), s.inlet_c or 0.0)

        worst = max(candidates, key=badness, default=None)
        if worst is None:
            first = next(r for r in inv.racks if r.id)
            return site or inv.sites[0].code, rack or f"{code[first.site_id]}/{first.name}"
        r = by_id[worst.id]
        return site or code[r.site_id], rack or f"{code[r.site_id]}/{r.name}"
    finally:
        engine.dispose()


def synthetic_db(directory: Path) -> str:
    """A small populated hall (the GUI tests' data set) when no database is given."""
    from monitors.lab.hall_dataset import populate

    url = f"sqlite:///{directory / 'screenshots.db'}"
    upgrade(url)
    engine = make_engine(url)
    populate(engine, now=int(time.time()), hours=30.0, step_s=120)
    engine.dispose()
    return url


def keep_fresh(url: str) -> None:
    """Move the synthetic hall's freshness forward to now, as if its collectors just reported.

    The data set is written once; without this every view after the first would be (rightly)
    shown as stale, with a collector-down alarm, which is not what these pictures are about.
    """
    from sqlalchemy import text

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            newest = conn.execute(
                text("SELECT max(last_beat_ts) FROM collector_heartbeat")
            ).scalar()
            delta = int(time.time()) - 3 - int(newest or time.time())
            if delta <= 0:
                return
            for sql in (
                "UPDATE device_state SET last_ok_ts = last_ok_ts + :d, "
                "last_poll_ts = last_poll_ts + :d",
                "UPDATE latest SET ts = ts + :d",
                "UPDATE collector_heartbeat SET last_beat_ts = last_beat_ts + :d",
            ):
                conn.execute(text(sql), {"d": delta})
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--db", metavar="URL", help="database (default: $RACKWATCH_DB or the user DB)")
    ap.add_argument("--synthetic", action="store_true", help="render a generated demo hall instead")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    ap.add_argument("--site", help="site code for the floor map (default: where the worst rack is)")
    ap.add_argument("--rack", help="rack NAME or SITE/NAME (default: the worst rack)")
    ap.add_argument("--width", type=int, default=1600)
    ap.add_argument("--height", type=int, default=1000)
    ap.add_argument(
        "--offscreen", action="store_true", help="use Qt's offscreen platform instead of Xvfb"
    )
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="rackwatch-shots-"))
    url = synthetic_db(tmp) if args.synthetic else resolve_db_url(args.db)
    site, rack = pick_targets(url, args.site, args.rack)
    args.out.mkdir(parents=True, exist_ok=True)
    views = [
        ("floor-map", f"site:{site}", "light"),
        ("rack", f"rack:{rack}", "light"),
        ("rack-dark", f"rack:{rack}", "dark"),
        ("alarms", "alarms", "light"),
        ("wall", "wall", "light"),
    ]
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp / "config"))
    prefix: list[str] = []
    if args.offscreen or not shutil.which("xvfb-run"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    elif not os.environ.get("DISPLAY"):
        prefix = ["xvfb-run", "-a", "-s", f"-screen 0 {args.width}x{args.height}x24"]
    failures = 0
    for name, view, theme in views:
        target = args.out / f"{name}.png"
        if args.synthetic:
            keep_fresh(url)
        cmd = [
            *prefix,
            sys.executable,
            str(REPO / "app.py"),
            "gui",
            "--db",
            url,
            "--screenshot",
            str(target),
            "--view",
            view,
            "--theme",
            theme,
            "--width",
            str(args.width),
            "--height",
            str(args.height),
        ]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        ok = proc.returncode == 0 and target.exists() and target.stat().st_size > 0
        failures += not ok
        shown = target.relative_to(REPO) if target.is_relative_to(REPO) else target
        print(f"{'ok ' if ok else 'FAILED'} {shown}  ({view}, {theme})")
        if not ok:
            print(proc.stderr.strip()[-2000:], file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
