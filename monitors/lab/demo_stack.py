"""The demo's child processes: a simulated lab and a collector, started and stopped together."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

log = logging.getLogger("rackwatch.demo")

APP = Path(__file__).resolve().parents[2] / "app.py"
_PR_SET_PDEATHSIG = 1
MAX_RESTARTS = 5
RESTART_WINDOW_S = 300.0


def _die_with_parent() -> None:
    """Runs in the child before exec: the kernel sends SIGTERM if the demo dies, so no orphans."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_lab_net(port: int = 20_000) -> int:
    """A second octet N whose 127.N.0.1 ports are free, so the demo never collides with a lab."""
    for net in random.sample(range(2, 255), 40):
        try:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                with socket.socket(socket.AF_INET, kind) as s:
                    s.bind((f"127.{net}.0.1", port))
        except OSError:
            continue
        return net
    raise DemoError("no free 127.N.0.0/16 network for the lab")


class DemoError(RuntimeError):
    pass


@dataclass
class DemoStack:
    folder: Path
    db_url: str
    sites: int = 2
    racks: int = 10
    servers: int = 20
    interval_s: int = 10
    backfill_days: float = 1.0
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)
    collector: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)

    @property
    def lab_dir(self) -> Path:
        return self.folder / "lab"

    @property
    def env(self) -> dict[str, str]:
        # The demo keeps its credentials and logs in its own folder, away from the user's.
        return {
            **os.environ,
            "RACKWATCH_CONFIG_DIR": str(self.folder / "config"),
            "RACKWATCH_LOG_DIR": str(self.folder / "logs"),
            "RACKWATCH_CREDENTIALS": "file",
        }

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        logs = self.folder / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        out = (logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, str(APP), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=self.env,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        out.close()
        self.children.append(proc)
        return proc

    def _run(self, what: str, args: list[str]) -> None:
        done = subprocess.run(
            [sys.executable, str(APP), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            raise DemoError(f"{what} failed:\n{done.stderr[-3000:]}")

    def start(self, progress: object = print) -> None:
        say = progress if callable(progress) else print
        self.folder.mkdir(parents=True, exist_ok=True)
        say(f"demo folder: {self.folder}")
        lab = self._spawn(
            "lab",
            [
                "lab",
                "--net",
                str(free_lab_net()),
                "--out",
                str(self.lab_dir),
                "--sites",
                str(self.sites),
                "--racks",
                str(self.racks),
                "--servers",
                str(self.servers),
            ],
        )
        inventory = self.lab_dir / "inventory.yaml"
        creds = self.lab_dir / "credentials.yaml"
        deadline = time.monotonic() + 120
        while not (inventory.exists() and creds.exists()):
            if lab.poll() is not None:
                raise DemoError(f"the lab exited early; see {self.folder / 'logs' / 'lab.log'}")
            if time.monotonic() > deadline:
                raise DemoError("the lab did not write its inventory within 120 s")
            time.sleep(0.1)
        self._set_interval(inventory)
        say("importing the lab's inventory and credentials ...")
        self._run("import", ["import", str(inventory), "--db", self.db_url])
        self._run("credentials import", ["credentials", "import", str(creds)])
        self._wait_for_lab(lab)
        say("starting the collector ...")
        self._start_collector()
        if self.backfill_days > 0:
            # Live values first; the past fills in behind them while the operator looks around.
            say(f"writing {self.backfill_days:g} days of history in the background ...")
            self._spawn(
                "backfill", ["lab", "--backfill", str(self.backfill_days), "--db", self.db_url]
            )

    def _start_collector(self) -> None:
        self.collector = self._spawn(
            "collector",
            ["collect", "--db", self.db_url, "--known-hosts", str(self.lab_dir / "known_hosts")],
        )

    def check(self) -> str | None:
        """Restart the collector if it died; returns what happened (for the window) or None.

        More than MAX_RESTARTS within RESTART_WINDOW_S is a crash loop: it is left down and
        reported, with the log to read.
        """
        proc = self.collector
        if proc is None or proc.poll() is None:
            return None
        code = proc.returncode
        how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        if proc in self.children:
            self.children.remove(proc)
        self.collector = None
        now = time.monotonic()
        self.restarts = [t for t in self.restarts if now - t < RESTART_WINDOW_S] + [now]
        if len(self.restarts) > MAX_RESTARTS:
            msg = (
                f"demo: the collector died ({how}) {len(self.restarts)} times in a few minutes; "
                f"not restarting it. See {self.folder / 'logs' / 'collector.log'}"
            )
            log.error(msg)
            return msg
        self._start_collector()
        msg = f"demo: the collector died ({how}); restarted it"
        log.warning(msg)
        return msg

    def _set_interval(self, inventory: Path) -> None:
        """Poll every device every interval_s so the demo moves visibly."""
        doc = yaml.safe_load(inventory.read_text(encoding="utf-8"))

        def visit(node: object) -> None:
            if isinstance(node, dict):
                if "poll_interval_s" in node:
                    node["poll_interval_s"] = self.interval_s
                for value in node.values():
                    visit(value)
            elif isinstance(node, list):
                for value in node:
                    visit(value)

        visit(doc)
        doc.setdefault("defaults", {})["poll_interval_s"] = self.interval_s
        tmp = inventory.with_suffix(".tmp")
        tmp.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        tmp.replace(inventory)

    def _wait_for_lab(self, lab: subprocess.Popen[bytes]) -> None:
        """The lab writes lab.json once every port is bound."""
        deadline = time.monotonic() + 120
        while not (self.lab_dir / "lab.json").exists():
            if lab.poll() is not None:
                raise DemoError(f"the lab exited; see {self.folder / 'logs' / 'lab.log'}")
            if time.monotonic() > deadline:
                raise DemoError("the lab did not bind its ports within 120 s")
            time.sleep(0.1)

    def first_row(self) -> tuple[str, str]:
        """(site code, row) of the first rack, for the hint that shows how to inject an incident."""
        doc = yaml.safe_load((self.lab_dir / "inventory.yaml").read_text(encoding="utf-8"))
        site = doc["sites"][0]
        return str(site.get("code", "")), str(site["racks"][0].get("row", ""))

    def stop(self, grace_s: float = 15.0) -> None:
        for proc in reversed(self.children):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for proc in reversed(self.children):
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.children.clear()
