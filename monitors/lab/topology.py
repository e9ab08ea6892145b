"""What the lab simulates: sites, rows, racks, PDUs, probes and servers, and how they are wired.

The topology is read from an inventory document in the project's YAML format (normally made
by monitors.lab_presets), so the inventory the lab writes and the devices it simulates are
the same thing by construction.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# Server models: (management flavour, idle W, full-load W). Unknown models fall back by family.
SERVER_POWER: dict[str, tuple[str, float, float]] = {
    "Dell PowerEdge R640": ("idrac", 115.0, 480.0),
    "Dell PowerEdge R650": ("idrac", 135.0, 620.0),
    "Dell PowerEdge R750": ("idrac", 190.0, 950.0),
    "HPE ProLiant DL360 Gen10": ("ilo", 120.0, 560.0),
    "HPE ProLiant DL380 Gen10": ("ilo", 165.0, 820.0),
    "Inspur NF5280M6": ("ssh", 175.0, 880.0),
    "Lenovo ThinkSystem SR630 V2": ("ssh", 110.0, 520.0),
}
FAMILY_MANAGEMENT = {"idrac": "idrac", "ilo": "ilo", "linux_ssh": "ssh"}
FAMILY_DEFAULT_POWER = {"idrac": (130.0, 600.0), "ilo": (125.0, 600.0), "ssh": (120.0, 550.0)}
# PDU models: (family simulated, outlets).
PDU_FAMILIES: dict[str, tuple[str, int]] = {
    "APC AP8853": ("apc", 24),
    "Raritan PX3-5190R": ("raritan", 24),
    "Raritan PX3-5493U": ("raritan", 24),
    "ServerTech Sentry4 C2W36": ("sentry4", 36),
    "ServerTech Sentry4 C2S42CE": ("sentry4", 42),
}
PDU_KEYWORDS = (
    ("apc", "apc"),
    ("raritan", "raritan"),
    ("sentry", "sentry4"),
    ("servertech", "sentry4"),
)


@dataclass(eq=False)
class LabServer:
    name: str
    model: str
    management: str  # idrac, ilo, ssh
    idle_w: float
    max_w: float
    u: int
    rack: LabRack
    outlet: int  # same outlet number on the A and B PDU
    phase: int  # 1..3 (1 on single-phase feeds)
    share_a: float  # fraction of the load drawn from feed A
    address: str = "127.0.0.1"
    port: int = 0  # UDP port (SNMP BMC) or TCP port (SSH)


@dataclass(eq=False)
class LabPdu:
    name: str
    model: str
    vendor: str  # apc, raritan, sentry4
    feed: str  # A or B
    rack: LabRack
    phases: int
    rated_a: float
    outlets: int
    address: str = "127.0.0.1"
    port: int = 0


@dataclass(eq=False)
class LabProbe:
    name: str
    model: str
    rack: LabRack
    fahrenheit: bool
    address: str = "127.0.0.1"
    port: int = 0


@dataclass(eq=False)
class LabRack:
    site: LabSite
    name: str
    row: str
    position: int  # 1-based place in its row
    row_length: int = 1
    servers: list[LabServer] = field(default_factory=list)
    pdus: list[LabPdu] = field(default_factory=list)
    probe: LabProbe | None = None

    @property
    def key(self) -> str:
        return f"{self.site.code}/{self.name}"


@dataclass(eq=False)
class LabSite:
    code: str
    name: str
    racks: list[LabRack] = field(default_factory=list)


LabDevice = LabServer | LabPdu | LabProbe


@dataclass
class Topology:
    seed: int
    sites: list[LabSite]

    def racks(self) -> list[LabRack]:
        return [r for s in self.sites for r in s.racks]

    def servers(self) -> list[LabServer]:
        return [d for r in self.racks() for d in r.servers]

    def pdus(self) -> list[LabPdu]:
        return [p for r in self.racks() for p in r.pdus]

    def probes(self) -> list[LabProbe]:
        return [r.probe for r in self.racks() if r.probe is not None]

    def devices(self) -> list[LabDevice]:
        out: list[LabDevice] = []
        for r in self.racks():
            out.extend(r.pdus)
            if r.probe is not None:
                out.append(r.probe)
            out.extend(r.servers)
        return out

    def device(self, name: str) -> LabDevice | None:
        for d in self.devices():
            if d.name == name:
                return d
        return None

    def rows(self) -> set[tuple[str, str]]:
        return {(r.site.code, r.row) for r in self.racks()}


def pdu_family(model: str) -> tuple[str, int] | None:
    if model in PDU_FAMILIES:
        return PDU_FAMILIES[model]
    low = model.lower()
    for word, family in PDU_KEYWORDS:
        if word in low:
            return family, 24
    return None


def server_power(model: str, family: str) -> tuple[str, float, float] | None:
    if model in SERVER_POWER:
        return SERVER_POWER[model]
    management = FAMILY_MANAGEMENT.get(family)
    if management is None:
        low = model.lower()
        management = "idrac" if "dell" in low else "ilo" if "hpe" in low else None
    if management is None:
        return None
    idle, peak = FAMILY_DEFAULT_POWER[management]
    return management, idle, peak


def _family_of(model: str) -> str:
    try:
        from monitors.lab.presets import MODELS
    except ImportError:  # pragma: no cover - the presets module ships with the lab
        return ""
    m = MODELS.get(model)
    return m.family if m is not None else ""


def from_inventory(doc: dict[str, Any], seed: int = 1) -> Topology:
    """Build the simulated topology from an inventory document (sites -> racks -> devices)."""
    rng = random.Random(f"wiring:{seed}")
    sites: list[LabSite] = []
    for sdoc in _iter(doc.get("sites")):
        site = LabSite(code=str(sdoc["code"]), name=str(sdoc.get("name", sdoc["code"])))
        row_sizes: dict[str, int] = {}
        for rdoc in _iter(sdoc.get("racks")):
            row = str(rdoc.get("row", ""))
            row_sizes[row] = max(row_sizes.get(row, 0), int(rdoc.get("position", 1) or 1))
        for rdoc in _iter(sdoc.get("racks")):
            rack = LabRack(
                site=site,
                name=str(rdoc["name"]),
                row=str(rdoc.get("row", "")),
                position=int(rdoc.get("position", 1) or 1),
            )
            rack.row_length = row_sizes.get(rack.row, 1)
            feeds = rdoc.get("feeds") or {}
            _add_devices(rack, rdoc.get("devices") or [], feeds, rng)
            site.racks.append(rack)
        sites.append(site)
    return Topology(seed=seed, sites=sites)


def _host(address: Any) -> str:
    """The loopback address a lab device binds; Redfish BMCs are written as http:// URLs."""
    text = str(address or "127.0.0.1")
    return text.split("://", 1)[-1]


def _iter(value: Any) -> Iterable[dict[str, Any]]:
    return value if value is not None else []


def _add_devices(
    rack: LabRack, devices: list[dict[str, Any]], feeds: dict[str, Any], rng: random.Random
) -> None:
    servers: list[dict[str, Any]] = []
    for d in devices:
        kind = d.get("kind")
        model = str(d.get("model", ""))
        address = _host(d.get("address"))
        port = int(d.get("port") or 0)
        if kind == "pdu":
            fam = pdu_family(model)
            if fam is None:
                log.warning("lab: no simulation for PDU model %r (%s)", model, d["name"])
                continue
            feed = str(d.get("feed") or ("A" if not rack.pdus else "B"))
            fdoc = feeds.get(feed) or {}
            rack.pdus.append(
                LabPdu(
                    name=str(d["name"]),
                    model=model,
                    vendor=fam[0],
                    feed=feed,
                    rack=rack,
                    phases=3 if int(fdoc.get("phases", 1) or 1) == 3 else 1,
                    rated_a=float(fdoc.get("breaker_a", 32) or 32),
                    outlets=fam[1],
                    address=address,
                    port=port,
                )
            )
        elif kind == "sensor":
            if "akcp" not in model.lower() and _family_of(model) not in ("akcp", ""):
                log.warning("lab: no simulation for probe model %r (%s)", model, d["name"])
                continue
            rack.probe = LabProbe(
                name=str(d["name"]),
                model=model,
                rack=rack,
                # Some sites configure their probes in Fahrenheit; the profiles must convert.
                fahrenheit=rack.position % 5 == 0,
                address=address,
                port=port,
            )
        elif kind == "server":
            servers.append(d)
    phases = rack.pdus[0].phases if rack.pdus else 1
    outlets = rack.pdus[0].outlets if rack.pdus else 24
    for k, d in enumerate(servers):
        model = str(d.get("model", ""))
        spec = server_power(model, _family_of(model))
        if spec is None:
            log.warning("lab: no simulation for server model %r (%s)", model, d["name"])
            continue
        management, idle, peak = spec
        if management == "ssh" and d.get("protocol", "ssh") != "ssh":
            management = "idrac"
        rack.servers.append(
            LabServer(
                name=str(d["name"]),
                model=model,
                management=management,
                idle_w=idle,
                max_w=peak,
                u=int(d.get("u") or k + 2),
                rack=rack,
                outlet=k % outlets + 1,
                phase=k % phases + 1,
                share_a=0.5 + rng.uniform(-0.03, 0.03),
                address=_host(d.get("address")),
                port=int(d.get("port") or 0),
            )
        )
