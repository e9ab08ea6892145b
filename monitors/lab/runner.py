"""Starting and stopping a lab: inventory, agents, SSH servers, scenario clock and control dir."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko

from monitors.lab import presets as lab_presets
from monitors.lab.agent import SnmpAgent
from monitors.lab.devices import SimDevice, build_devices
from monitors.lab.physics import Physics
from monitors.lab.redfish_server import RedfishServer, lab_server_provider
from monitors.lab.scenarios import Event, ScenarioError, Scenarios, Step, apply_step
from monitors.lab.ssh_server import SshLab
from monitors.lab.topology import LabServer, Topology, from_inventory

log = logging.getLogger(__name__)

SNMP_CREDENTIAL = "lab-snmp"
SSH_CREDENTIAL = "lab-ssh"
REDFISH_CREDENTIAL = "lab-redfish"
REDFISH_USER = "rackwatch"
REDFISH_PER_SITE = 2  # servers per site whose BMC speaks Redfish (http on loopback)
SSH_USER = "rackwatch"
STATE_FILE = "lab.json"
CONTROL_DIR = "control"
CONTROL_POLL_S = 0.25


@dataclass
class LabConfig:
    out_dir: Path
    sites: int = 2
    racks: int = 10  # per site
    servers: int = 20  # per rack, on average (rack capacity and model heights decide)
    seed: int = 1
    net: int = 1  # second octet of the 127.N.x.y addresses the devices get
    port_base: int = 20_000
    steps: list[Step] = field(default_factory=list)
    mix: bool = True  # every site gets each PDU vendor and each server flavour
    clock: Callable[[], float] = time.time


def inventory_document(cfg: LabConfig) -> dict[str, Any]:
    """The lab's inventory in the project's YAML document form (sites materialised)."""
    if not 1 <= cfg.net <= 254:
        raise ValueError("--net must be 1..254 (second octet of the 127.N.x.y lab addresses)")
    spec = lab_presets.LabSpec(
        sites=cfg.sites,
        racks_per_site=cfg.racks,
        servers_total=cfg.sites * cfg.racks * cfg.servers,
        seed=cfg.seed,
        addressing="rack",
        port_base=cfg.port_base,
        snmp_credential=SNMP_CREDENTIAL,
        ssh_credential=SSH_CREDENTIAL,
    )
    doc = lab_presets.generate_lazy(spec)
    doc["sites"] = list(doc["sites"])
    if cfg.mix:
        _mix_families(doc)
    if cfg.net != 1:
        for site in doc["sites"]:
            for rack in site["racks"]:
                for dev in rack["devices"]:
                    addr = dev.get("address")
                    if isinstance(addr, str) and addr.startswith("127.1."):
                        dev["address"] = f"127.{cfg.net}." + addr[len("127.1.") :]
    if cfg.mix:
        _redfish_servers(doc)
    return doc


def _redfish_servers(doc: dict[str, Any]) -> None:
    """The first BMC servers of each site speak Redfish instead of SNMP (plain http: a lab)."""
    for site in doc["sites"]:
        left = REDFISH_PER_SITE
        for rack in site["racks"]:
            for dev in rack["devices"]:
                if left and dev.get("kind") == "server" and dev.get("protocol") != "ssh":
                    dev["protocol"] = "redfish"
                    dev["credential"] = REDFISH_CREDENTIAL
                    dev["address"] = f"http://{dev.get('address') or '127.0.0.1'}"
                    left -= 1


# Same-height replacements, so a rack's U layout stays valid: (1U model, 2U model) per flavour.
SERVER_FLAVOURS = (
    ("Dell PowerEdge R650", "Dell PowerEdge R750"),
    ("HPE ProLiant DL360 Gen10", "HPE ProLiant DL380 Gen10"),
    ("Lenovo ThinkSystem SR630 V2", "Inspur NF5280M6"),
)
PDU_CYCLE = ("APC AP8853", "Raritan PX3-5190R", "ServerTech Sentry4 C2W36")


def _mix_families(doc: dict[str, Any]) -> None:
    """Real rows are homogeneous; a small lab still needs every family, so cycle them by rack."""
    for site in doc["sites"]:
        for n, rack in enumerate(site["racks"]):
            flavour = SERVER_FLAVOURS[n % len(SERVER_FLAVOURS)]
            pdu_model = PDU_CYCLE[(n + n // len(PDU_CYCLE)) % len(PDU_CYCLE)]
            for dev in rack["devices"]:
                if dev.get("kind") == "pdu":
                    dev["model"] = pdu_model
                elif dev.get("kind") == "server":
                    dev["model"] = flavour[0] if int(dev.get("height_u", 1)) < 2 else flavour[1]
                    if flavour is SERVER_FLAVOURS[2]:
                        dev["protocol"] = "ssh"
                        dev["credential"] = SSH_CREDENTIAL
                    else:
                        dev.pop("protocol", None)
                        dev.pop("credential", None)


def _redfish_names(doc: dict[str, Any]) -> set[str]:
    return {
        str(dev["name"])
        for site in doc["sites"]
        for rack in site["racks"]
        for dev in rack["devices"]
        if dev.get("protocol") == "redfish"
    }


def _patch_ports(doc: dict[str, Any], topo: Topology) -> None:
    """Write the ports actually bound back into the document (they differ only for port 0)."""
    ports = {d.name: d.port for d in topo.devices()}
    for site in doc["sites"]:
        for rack in site["racks"]:
            for dev in rack["devices"]:
                if dev["name"] in ports and ports[dev["name"]]:
                    dev["port"] = ports[dev["name"]]


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o600)


class LabHandle:
    """A running lab. Programmatic use: `h = start_lab(...)`, read h.out_dir, then h.stop()."""

    def __init__(self, cfg: LabConfig) -> None:
        self.cfg = cfg
        self.out_dir = cfg.out_dir
        self.clock = cfg.clock
        self.doc = inventory_document(cfg)
        self.topology = from_inventory(self.doc, cfg.seed)
        self.scenarios = Scenarios()
        self.physics = Physics(self.topology, self.scenarios)
        self.started = self.clock()
        self.devices: list[SimDevice] = build_devices(self.topology, self.physics, self.started)
        self.community = f"lab-{secrets.token_hex(6)}"
        self.agent = SnmpAgent(self.devices, self.community, clock=self.clock)
        self.password = secrets.token_urlsafe(12)
        self.client_key = paramiko.ECDSAKey.generate(bits=256)
        ssh_servers = [s for s in self.topology.servers() if s.management == "ssh"]
        self.ssh = SshLab(
            ssh_servers, self.physics, SSH_USER, self.password, self.client_key, clock=self.clock
        )
        self.redfish_password = secrets.token_urlsafe(12)
        names = _redfish_names(self.doc)
        self.redfish_servers = [s for s in self.topology.servers() if s.name in names]
        self.redfish: list[RedfishServer] = []
        self.scenarios.listeners.append(self._on_event)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._pending_steps = sorted(cfg.steps, key=lambda s: s.at)
        for step in self._pending_steps:  # a typo in a scenario file fails now, not at step time
            if step.action == "inject":
                try:
                    self._check_target(step.kind, step.site, step.row, step.device)
                except ScenarioError as exc:
                    raise ScenarioError(f"scenario step at {step.at:g} s: {exc}") from None

    # -- lifecycle ---------------------------------------------------------------------------

    def _check_not_running(self) -> None:
        try:
            state = json.loads((self.out_dir / STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        pid = int(state.get("pid") or 0)
        if state.get("stopped") or pid in (0, os.getpid()):
            return
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        except PermissionError:
            pass
        raise OSError(f"another lab (pid {pid}) is running with {self.out_dir}; stop it first")

    async def _bind(self) -> None:
        self._check_not_running()
        await self.agent.start()
        self.ssh.bind()
        self.ssh.start()
        for srv in self.redfish_servers:
            bmc = RedfishServer(
                lab_server_provider(srv, self.physics, self.clock),
                host=srv.address,
                port=srv.port,
                users={REDFISH_USER: self.redfish_password},
            )
            self.redfish.append(bmc.start())
            srv.port = bmc.port  # the port bound (differs only for port 0)
        self._write_files()

    def _write_files(self) -> None:
        out = self.out_dir
        out.mkdir(parents=True, exist_ok=True)
        (out / CONTROL_DIR).mkdir(exist_ok=True)
        _patch_ports(self.doc, self.topology)
        header = (
            f"RackWatch lab inventory: {self.cfg.sites} sites x {self.cfg.racks} racks, "
            f"seed {self.cfg.seed}; devices answer on loopback while `app.py lab` runs"
        )
        lab_presets.write_inventory(self.doc, out / "inventory.yaml", header)
        (out / "known_hosts").write_text(self.ssh.known_hosts(), encoding="utf-8")
        key_path = out / "lab_ssh_key"
        buf = _StringIO()
        self.client_key.write_private_key(buf)
        _write_private(key_path, buf.getvalue())
        (out / "lab_ssh_key.pub").write_text(
            f"{self.client_key.get_name()} {self.client_key.get_base64()} rackwatch-lab\n",
            encoding="utf-8",
        )
        creds = (
            "# Credentials of the RackWatch lab: app.py credentials import credentials.yaml\n"
            "credentials:\n"
            f"  {SNMP_CREDENTIAL}:\n"
            "    kind: snmp\n"
            "    version: 2c\n"
            f"    community: {self.community}\n"
            f"  {SSH_CREDENTIAL}:\n"
            "    kind: ssh\n"
            f"    user: {SSH_USER}\n"
            f"    key_file: {key_path.resolve()}\n"
            f"    password: {self.password}\n"
            f"  {REDFISH_CREDENTIAL}:\n"
            "    kind: redfish\n"
            f"    user: {REDFISH_USER}\n"
            f"    password: {self.redfish_password}\n"
            "    allow_http: true\n"
        )
        _write_private(out / "credentials.yaml", creds)
        self._write_state()

    def _write_state(self, stopped: bool = False) -> None:
        state = {
            "stopped": stopped,
            "pid": os.getpid(),
            "started": self.started,
            "seed": self.cfg.seed,
            "snmp_devices": len(self.devices),
            "ssh_servers": len(self.ssh.servers),
            "redfish_servers": len(self.redfish),
            "events": [e.to_dict() for e in self.scenarios.events()],
            "snmp_requests": self.agent.stats.requests,
            "ssh_execs": self.ssh.execs,
        }
        tmp = self.out_dir / (STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(state, indent=1), encoding="utf-8")
        tmp.replace(self.out_dir / STATE_FILE)

    async def _run(self, duration: float | None) -> None:
        await self._bind()
        self._ready.set()
        deadline = None if duration is None else self.clock() + duration
        last_state = 0.0
        while not self._stopped.is_set():
            now = self.clock()
            if deadline is not None and now >= deadline:
                break
            while self._pending_steps and self.started + self._pending_steps[0].at <= now:
                step = self._pending_steps.pop(0)
                try:
                    apply_step(self.scenarios, step, now)
                except ScenarioError as exc:
                    log.error("scenario step at %ss: %s", step.at, exc)
            self._process_control()
            if now - last_state >= 5.0:
                self._write_state()
                last_state = now
            await asyncio.sleep(CONTROL_POLL_S)

    def run_forever(self, duration: float | None = None) -> None:
        """Run in the calling thread until stop(), SIGINT or duration seconds."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._run(duration))
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            raise
        finally:
            self.agent.close()
            self.ssh.close()
            for bmc in self.redfish:
                bmc.close()
            if self._ready.is_set() and self._error is None:
                with contextlib.suppress(OSError):
                    self._write_state(stopped=True)
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()
            self._stopped.set()

    def start_background(self, timeout: float = 60.0) -> LabHandle:
        self._thread = threading.Thread(target=self._bg, name="rackwatch-lab", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("lab did not start in time")
        if self._error is not None:
            raise RuntimeError(f"lab failed to start: {self._error}") from self._error
        return self

    def _bg(self) -> None:
        try:
            self.run_forever()
        except BaseException as exc:  # reported through start_background
            log.error("lab stopped: %s", exc)

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # -- incidents ---------------------------------------------------------------------------

    def inject(
        self,
        kind: str,
        *,
        site: str | None = None,
        row: str | None = None,
        device: str | None = None,
        phase: int = 1,
    ) -> Event:
        self._check_target(kind, site, row, device)
        return self.scenarios.inject(
            kind, self.clock(), site=site, row=row, device=device, phase=phase
        )

    def clear(self, kind: str = "all", ident: int | None = None) -> list[Event]:
        return self.scenarios.clear(self.clock(), kind, ident)

    def _check_target(
        self, kind: str, site: str | None, row: str | None, device: str | None
    ) -> None:
        if kind == "cooling-failure":
            rows = self.topology.rows()
            if not any(r == row and site in (None, s) for s, r in rows):
                known = ", ".join(sorted(f"{s}/{r}" for s, r in rows)[:12])
                raise ScenarioError(f"no row {row!r} in site {site or 'any'} (rows: {known} ...)")
            return
        dev = self.topology.device(device or "")
        if dev is None:
            raise ScenarioError(f"no lab device named {device!r}")
        if kind == "hostkey-change" and not (
            isinstance(dev, LabServer) and dev.management == "ssh"
        ):
            raise ScenarioError(f"{device} is not an SSH server; hostkey-change needs one")
        if kind == "phase-overload" and dev not in self.topology.pdus():
            raise ScenarioError(f"{device} is not a PDU; phase-overload needs one")
        if kind == "probe-nonsense" and dev not in self.topology.probes():
            raise ScenarioError(f"{device} is not an environmental probe")

    def _on_event(self, ev: Event, action: str) -> None:
        for dev in self.devices:  # the next read must see the incident, not a cached state
            dev.invalidate()
        log.info("lab %s %s (%s)", action, ev.kind, ev.device or f"{ev.site or '*'}/{ev.row}")
        if ev.kind == "hostkey-change" and action == "inject" and ev.device:
            fp = self.ssh.rotate_host_key(ev.device)
            log.info("lab: %s has a new host key (md5 %s)", ev.device, fp)

    def _process_control(self) -> None:
        cdir = self.out_dir / CONTROL_DIR
        try:
            requests = sorted(cdir.glob("*.json"))
        except OSError:
            return
        for path in requests:
            try:
                req = json.loads(path.read_text(encoding="utf-8"))
                result = self._control(req)
            except (OSError, ValueError, ScenarioError) as exc:
                result = {"ok": False, "error": str(exc)}
            done = path.with_suffix(".done")
            done.write_text(json.dumps(result), encoding="utf-8")
            path.unlink(missing_ok=True)
            self._write_state()

    def _control(self, req: dict[str, Any]) -> dict[str, Any]:
        action = req.get("action")
        if action == "inject":
            ev = self.inject(
                str(req.get("kind")),
                site=req.get("site"),
                row=req.get("row"),
                device=req.get("device"),
                phase=int(req.get("phase") or 1),
            )
            return {"ok": True, "event": ev.to_dict()}
        if action == "clear":
            ident = req.get("id")
            ended = self.clear(str(req.get("kind") or "all"), int(ident) if ident else None)
            return {"ok": True, "cleared": [e.to_dict() for e in ended]}
        if action == "status":
            return {"ok": True, "events": [e.to_dict() for e in self.scenarios.events()]}
        raise ScenarioError(f"unknown control action {action!r}")


class _StringIO:
    """Minimal text sink for paramiko's write_private_key."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def getvalue(self) -> str:
        return "".join(self.parts)


def start_lab(
    out_dir: Path | str,
    sites: int = 1,
    racks: int = 2,
    servers: int = 4,
    seed: int = 1,
    *,
    net: int = 1,
    port_base: int = 20_000,
    steps: list[Step] | None = None,
    clock: Callable[[], float] = time.time,
) -> LabHandle:
    """Start a lab in a background thread of this process; returns once every port is bound."""
    cfg = LabConfig(
        out_dir=Path(out_dir),
        sites=sites,
        racks=racks,
        servers=servers,
        seed=seed,
        net=net,
        port_base=port_base,
        steps=list(steps or []),
        clock=clock,
    )
    return LabHandle(cfg).start_background()


def send_control(out_dir: Path, request: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """Hand a control request to the lab running with out_dir and wait for its answer."""
    cdir = out_dir / CONTROL_DIR
    if not cdir.is_dir():
        raise ScenarioError(f"{out_dir} has no {CONTROL_DIR}/ directory: is a lab running there?")
    name = f"{time.time_ns()}-{secrets.token_hex(3)}"
    tmp = cdir / f"{name}.tmp"
    tmp.write_text(json.dumps(request), encoding="utf-8")
    tmp.replace(cdir / f"{name}.json")
    done = cdir / f"{name}.done"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done.exists():
            result: dict[str, Any] = json.loads(done.read_text(encoding="utf-8"))
            done.unlink(missing_ok=True)
            return result
        time.sleep(0.05)
    (cdir / f"{name}.json").unlink(missing_ok=True)
    raise ScenarioError(f"the lab in {out_dir} did not answer within {timeout:.0f} s")
