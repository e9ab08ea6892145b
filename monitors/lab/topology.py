"""What the lab simulates: sites, rows, racks, PDUs, probes and servers, and how they are wired."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field

# Server hardware: name in the inventory, management flavour, idle and full-load power.
SERVER_MODELS: dict[str, tuple[str, str, float, float]] = {
    # key: (inventory model, management, idle W, max W)
    "r640": ("Dell PowerEdge R640", "idrac", 115.0, 480.0),
    "r650": ("Dell PowerEdge R650", "idrac", 135.0, 620.0),
    "dl360": ("HPE ProLiant DL360 Gen9", "ilo", 105.0, 520.0),
    "linux": ("Supermicro SYS-1029P (Linux)", "ssh", 95.0, 410.0),
}

# Rack PDU families: inventory model, phases, rated current per line (A), outlets.
PDU_MODELS: dict[str, tuple[str, int, float, int]] = {
    "apc": ("APC AP8853", 1, 32.0, 24),
    "raritan": ("Raritan PX3-5493U", 1, 32.0, 24),
    "sentry4": ("ServerTech Sentry4 C2S42CE", 3, 32.0, 42),
}
PDU_CYCLE = ("apc", "raritan", "sentry4")
PROBE_MODEL = "AKCP sensorProbe8"

ROWS = string.ascii_uppercase
RACKS_PER_ROW = 10


@dataclass(eq=False)
class LabServer:
    name: str
    model: str  # key of SERVER_MODELS
    u: int
    rack: LabRack
    outlet: int  # same outlet number on the A and B PDU
    phase: int  # 1..3 (1 on single-phase PDUs)
    share_a: float  # fraction of the load drawn from feed A
    port: int = 0  # UDP port (SNMP BMC) or TCP port (SSH)

    @property
    def management(self) -> str:
        return SERVER_MODELS[self.model][1]

    @property
    def idle_w(self) -> float:
        return SERVER_MODELS[self.model][2]

    @property
    def max_w(self) -> float:
        return SERVER_MODELS[self.model][3]


@dataclass(eq=False)
class LabPdu:
    name: str
    vendor: str  # key of PDU_MODELS
    feed: str  # A or B
    rack: LabRack
    port: int = 0

    @property
    def phases(self) -> int:
        return PDU_MODELS[self.vendor][1]

    @property
    def rated_a(self) -> float:
        return PDU_MODELS[self.vendor][2]

    @property
    def outlets(self) -> int:
        return PDU_MODELS[self.vendor][3]


@dataclass(eq=False)
class LabProbe:
    name: str
    rack: LabRack
    fahrenheit: bool
    port: int = 0


@dataclass(eq=False)
class LabRack:
    site: LabSite
    name: str
    row: str
    position: int  # 1-based place in its row
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

    def device(self, name: str) -> LabServer | LabPdu | LabProbe | None:
        for r in self.racks():
            for d in (*r.servers, *r.pdus, *([r.probe] if r.probe else [])):
                if d.name == name:
                    return d
        return None

    def rows(self) -> set[tuple[str, str]]:
        return {(r.site.code, r.row) for r in self.racks()}


def server_mix(index: int, ssh_every: int) -> str:
    """Model of the index-th server in a rack: mostly iDRAC, some iLO, every ssh_every-th SSH."""
    if ssh_every > 0 and index % ssh_every == ssh_every - 1:
        return "linux"
    return ("r640", "r650", "dl360")[index % 3]


def build_topology(
    sites: int, racks: int, servers: int, seed: int = 1, ssh_every: int = 4
) -> Topology:
    """sites, racks per site, servers per rack; deterministic for a given seed."""
    if sites < 1 or racks < 1 or servers < 0:
        raise ValueError("lab needs at least 1 site and 1 rack per site; servers must be >= 0")
    rng = random.Random(f"topology:{seed}")
    out: list[LabSite] = []
    for si in range(1, sites + 1):
        site = LabSite(code=f"LAB{si}", name=f"Lab site {si}")
        for ri in range(racks):
            row = ROWS[(ri // RACKS_PER_ROW) % len(ROWS)]
            if ri // RACKS_PER_ROW >= len(ROWS):
                row += str(ri // (RACKS_PER_ROW * len(ROWS)))
            pos = ri % RACKS_PER_ROW + 1
            rack = LabRack(site=site, name=f"{row}{pos:02d}", row=row, position=pos)
            vendor = PDU_CYCLE[(si + ri) % len(PDU_CYCLE)]
            base = f"{site.code.lower()}-{rack.name.lower()}"
            rack.pdus = [LabPdu(f"{base}-pdu-{f.lower()}", vendor, f, rack) for f in ("A", "B")]
            rack.probe = LabProbe(f"{base}-env", rack, fahrenheit=(ri % 5 == 4))
            phases = rack.pdus[0].phases
            outlets = rack.pdus[0].outlets
            for k in range(min(servers, 42)):
                model = server_mix(k, ssh_every)
                rack.servers.append(
                    LabServer(
                        name=f"{base}-srv{k + 1:02d}",
                        model=model,
                        u=k + 1,
                        rack=rack,
                        outlet=k % outlets + 1,
                        phase=k % phases + 1,
                        share_a=0.5 + rng.uniform(-0.03, 0.03),
                    )
                )
            site.racks.append(rack)
        out.append(site)
    return Topology(seed=seed, sites=out)
