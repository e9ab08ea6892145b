"""Generator of realistic simulated inventories (sites, rows of racks, PDUs, servers, probes) in
the documented YAML format, with the pilot-zone and 2M presets used by the lab and benchmarks."""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from models.inventory.writer import write_inventory as _write

Addressing = Literal["device", "rack"]
ProbeMode = Literal["rack", "row", "none"]


@dataclass(frozen=True, slots=True)
class HardwareModel:
    """A device model as it appears in an inventory, and the family the lab simulates it as."""

    name: str
    kind: str
    family: str  # apc_rpdu2, raritan_pdu2, sentry4, idrac, ilo, linux_ssh, akcp, netbotz, switch
    height_u: int = 1
    protocol: str = "snmp"
    serial_prefix: str = ""
    serial_len: int = 10
    outlets: int = 0  # PDUs: outlets per unit (servers are cabled to outlet n on A and B)


PDU_MODELS = (
    HardwareModel(
        "APC AP8853", "pdu", "apc_rpdu2", 0, serial_prefix="5A", serial_len=12, outlets=24
    ),
    HardwareModel(
        "Raritan PX3-5190R", "pdu", "raritan_pdu2", 0, serial_prefix="1F", serial_len=10, outlets=24
    ),
    HardwareModel(
        "ServerTech Sentry4 C2W36",
        "pdu",
        "sentry4",
        0,
        serial_prefix="AB",
        serial_len=11,
        outlets=36,
    ),
)
SERVER_MODELS = (
    HardwareModel("Dell PowerEdge R650", "server", "idrac", 1, serial_len=7),
    HardwareModel("Dell PowerEdge R750", "server", "idrac", 2, serial_len=7),
    HardwareModel("HPE ProLiant DL360 Gen10", "server", "ilo", 1, serial_prefix="CZJ"),
    HardwareModel("HPE ProLiant DL380 Gen10", "server", "ilo", 2, serial_prefix="CZJ"),
    HardwareModel("Inspur NF5280M6", "server", "linux_ssh", 2, "ssh", "2218", 9),
    HardwareModel("Lenovo ThinkSystem SR630 V2", "server", "linux_ssh", 1, "ssh", "J300", 8),
)
PROBE_MODELS = (
    HardwareModel("AKCP sensorProbe2+", "sensor", "akcp", 0, serial_prefix="SP2P-"),
    HardwareModel("APC NetBotz 250", "sensor", "netbotz", 0, serial_prefix="NB250-"),
)
SWITCH_MODEL = HardwareModel("Huawei CE6881-48S6CQ", "switch", "switch", 1, "none", "2102", 20)
MODELS = {m.name: m for m in (*PDU_MODELS, *SERVER_MODELS, *PROBE_MODELS, SWITCH_MODEL)}

# Sites of a provincial big-data pilot zone; beyond twelve the names repeat with a hall number.
SITE_NAMES = (
    ("GA", "Gui'an"),
    ("GY", "Guiyang"),
    ("ZY", "Zunyi"),
    ("AS", "Anshun"),
    ("LP", "Liupanshui"),
    ("KL", "Kaili"),
    ("DY", "Duyun"),
    ("XY", "Xingyi"),
    ("TR", "Tongren"),
    ("BJ", "Bijie"),
    ("QX", "Qianxi"),
    ("RH", "Renhuai"),
)
TIMEZONE = "Asia/Shanghai"

# (rated power W, breaker A, phases): a row is built for one power class.
RACK_CLASSES = ((7_000, 32, 1), (8_000, 32, 1), (12_000, 16, 3), (17_000, 32, 3))
# One unit left free at the bottom; the top holds the ToR switch and a patch panel.
BOTTOM_FREE_U = 1
TOP_RESERVED_U = 2


@dataclass(frozen=True, slots=True)
class LabSpec:
    sites: int = 2
    racks_per_site: int | None = 10
    racks_total: int | None = None
    servers_total: int | None = None
    servers_per_rack: int | None = None  # exact count per rack (the lab's --servers)
    seed: int = 1
    probes: ProbeMode = "rack"
    switches: bool = True
    addressing: Addressing = "device"
    port_base: int = 20_000
    snmp_credential: str = "lab-snmp"
    ssh_credential: str = "lab-ssh"
    poll_interval_s: int = 60
    row_length: int = 20
    ssh_share: float = 0.3  # share of server racks whose servers are read over SSH
    tall_rack_share: float = 0.1  # 48U racks; the rest are 42U


PRESETS: dict[str, LabSpec] = {
    "demo": LabSpec(sites=2, racks_per_site=10, servers_total=400),
    "pilot-zone": LabSpec(sites=12, racks_per_site=None, racks_total=13_400, servers_total=158_000),
    "2m": LabSpec(sites=12, racks_per_site=None, racks_total=169_600, servers_total=2_000_000),
}


def preset(name: str, **overrides: Any) -> LabSpec:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r} (known: {', '.join(PRESETS)})")
    return replace(PRESETS[name], **overrides)


def generate(
    sites: int = 2,
    racks_per_site: int | None = 10,
    servers_total: int | None = None,
    **options: Any,
) -> dict[str, Any]:
    """A whole inventory document in memory (fine up to a few hundred thousand devices; use
    generate_lazy or write_preset beyond that)."""
    doc = generate_lazy(LabSpec(sites, racks_per_site, servers_total=servers_total, **options))
    doc["sites"] = list(doc["sites"])
    return doc


def generate_lazy(spec: LabSpec) -> dict[str, Any]:
    """The inventory document with doc["sites"] a generator yielding one site at a time."""
    return {
        "version": 1,
        "defaults": {
            "protocol": "snmp",
            "credential": spec.snmp_credential,
            "poll_interval_s": spec.poll_interval_s,
        },
        "sites": _Generator(spec).sites(),
    }


def write_inventory(doc: dict[str, Any], path: str | Path, header: str = "") -> int:
    """Write a document from generate()/generate_lazy() as YAML; returns the devices written."""
    return _write(doc, path, header)


def write_preset(name: str, path: str | Path, **overrides: Any) -> int:
    """Generate a preset straight to path, streaming; returns the number of devices."""
    spec = preset(name, **overrides)
    header = (
        f"RackWatch inventory generated by monitors.lab_presets (preset {name}, seed {spec.seed})"
    )
    return write_inventory(generate_lazy(spec), path, header)


def _split(total: int, weights: list[float]) -> list[int]:
    """Integer parts of total in proportion to weights, summing exactly to total."""
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    parts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


@dataclass(slots=True)
class _Rack:
    name: str
    row: str
    position: int
    height_u: int
    power_class: tuple[int, int, int]
    server_model: HardwareModel
    pdu_model: HardwareModel
    servers: int = 0

    @property
    def capacity(self) -> int:
        usable = self.height_u - BOTTOM_FREE_U - TOP_RESERVED_U
        return usable // self.server_model.height_u


class _Generator:
    def __init__(self, spec: LabSpec) -> None:
        if spec.sites < 1:
            raise ValueError("at least one site")
        self.spec = spec
        if spec.racks_total is not None:
            # Real zones have a few big sites and several small ones.
            self.site_racks = _split(
                spec.racks_total, [1.0 / (1.0 + 0.12 * i) for i in range(spec.sites)]
            )
        else:
            self.site_racks = [spec.racks_per_site or 10] * spec.sites
        racks = sum(self.site_racks)
        if spec.servers_per_rack is not None:
            self.site_servers: list[int | None] = [None] * spec.sites
        else:
            total = spec.servers_total if spec.servers_total is not None else 12 * racks
            self.site_servers = list(_split(total, [float(n) for n in self.site_racks]))
        self.next_address = (127 << 24) | (1 << 16)  # 127.1.0.0; .0 and .255 are skipped
        self.rack_endpoints: dict[int, list[Any]] = {}  # id(rack doc) -> [address, next port]

    def address(self) -> str:
        while True:
            self.next_address += 1
            if self.next_address & 0xFF not in (0, 255):
                break
        a = self.next_address
        if a >= (128 << 24):
            raise ValueError("more devices than loopback addresses (127.0.0.0/8)")
        return f"127.{(a >> 16) & 0xFF}.{(a >> 8) & 0xFF}.{a & 0xFF}"

    def sites(self) -> Iterator[dict[str, Any]]:
        for index in range(self.spec.sites):
            yield self.site(index)

    def site(self, index: int) -> dict[str, Any]:
        spec = self.spec
        rng = random.Random(f"{spec.seed}:{index}")
        prefix, city = SITE_NAMES[index % len(SITE_NAMES)]
        hall = index // len(SITE_NAMES) + 1
        code = f"{prefix}{hall}"
        name = f"{city} Data Center {hall}"
        self.rack_endpoints.clear()
        racks = self.layout(rng, self.site_racks[index])
        self.fill(rng, racks, self.site_servers[index], code)
        rows: dict[str, list[_Rack]] = {}
        for rack in racks:
            rows.setdefault(rack.row, []).append(rack)
        site_racks = [self.rack_doc(rng, code, rack) for rack in racks]
        if spec.probes == "row":
            by_name = {r["name"]: r for r in site_racks}
            for row, members in rows.items():
                middle = by_name[members[len(members) // 2].name]
                middle["devices"].append(
                    self.probe(rng, f"{code.lower()}-{row.lower()}-env", middle)
                )
        return {"code": code, "name": name, "timezone": TIMEZONE, "racks": site_racks}

    def layout(self, rng: random.Random, count: int) -> list[_Rack]:
        """Rows of racks on the floor grid; each row has one power class and hardware mix."""
        spec = self.spec
        racks: list[_Rack] = []
        row_number = 0
        width = 3 if count > 99 * spec.row_length else 2
        while len(racks) < count:
            row_number += 1
            row = f"R{row_number:0{width}d}"
            length = min(count - len(racks), max(4, spec.row_length + rng.randint(-4, 4)))
            power = rng.choice(RACK_CLASSES)
            pdu = rng.choice(PDU_MODELS)
            ssh = rng.random() < spec.ssh_share
            choices = [m for m in SERVER_MODELS if (m.protocol == "ssh") == ssh]
            main = rng.choice(choices)
            tall = rng.random() < spec.tall_rack_share
            for position in range(1, length + 1):
                model = main if rng.random() < 0.85 else rng.choice(choices)
                racks.append(
                    _Rack(
                        f"{row}-{position:02d}",
                        row,
                        position,
                        48 if tall else 42,
                        power,
                        model,
                        pdu,
                    )
                )
        return racks

    def fill(self, rng: random.Random, racks: list[_Rack], total: int | None, code: str) -> None:
        if total is None:
            wanted = self.spec.servers_per_rack or 0
            for rack in racks:
                if wanted > rack.capacity:  # a full rack of 2U servers: use a 1U model instead
                    slim = [
                        m
                        for m in SERVER_MODELS
                        if m.height_u == 1 and m.protocol == rack.server_model.protocol
                    ]
                    rack.server_model = slim[0] if slim else rack.server_model
                if wanted > rack.capacity:
                    raise ValueError(
                        f"{wanted} servers do not fit rack {code}/{rack.name}"
                        f" ({rack.capacity} x {rack.server_model.height_u}U)"
                    )
                rack.servers = wanted
            return
        capacity = sum(r.capacity for r in racks)
        if total > capacity:
            raise ValueError(f"{total} servers do not fit the {len(racks)} racks of site {code}")
        counts = _split(total, [rng.uniform(0.6, 1.4) for _ in racks])
        spill = 0
        for rack, want in zip(racks, counts, strict=True):
            rack.servers = min(want, rack.capacity)
            spill += want - rack.servers
        while spill:  # racks that were over capacity hand their servers to racks with room
            for rack in racks:
                if spill and rack.servers < rack.capacity:
                    rack.servers += 1
                    spill -= 1

    def serial(self, rng: random.Random, model: HardwareModel) -> str:
        alphabet = string.ascii_uppercase + string.digits
        tail = "".join(rng.choices(alphabet, k=max(1, model.serial_len - len(model.serial_prefix))))
        return model.serial_prefix + tail

    def endpoint(self, device: dict[str, Any], protocol: str, rack_doc: dict[str, Any]) -> None:
        if protocol == "none":
            return
        if self.spec.addressing == "device":
            device["address"] = self.address()
            return
        # One loopback address per rack, a distinct port per device on it.
        state = self.rack_endpoints.setdefault(id(rack_doc), [self.address(), self.spec.port_base])
        device["address"] = state[0]
        device["port"] = state[1]
        state[1] += 1

    def device(
        self,
        rng: random.Random,
        rack_doc: dict[str, Any],
        name: str,
        model: HardwareModel,
        **fields: Any,
    ) -> dict[str, Any]:
        device: dict[str, Any] = {"name": name, "kind": model.kind, **fields}
        device["model"] = model.name
        device["serial"] = self.serial(rng, model)
        self.endpoint(device, model.protocol, rack_doc)
        if model.protocol != "snmp":
            device["protocol"] = model.protocol
        if model.protocol == "ssh":
            device["credential"] = self.spec.ssh_credential
        return device

    def probe(self, rng: random.Random, name: str, rack_doc: dict[str, Any]) -> dict[str, Any]:
        return self.device(rng, rack_doc, name, PROBE_MODELS[0])

    def rack_doc(self, rng: random.Random, code: str, rack: _Rack) -> dict[str, Any]:
        rated, breaker, phases = rack.power_class
        doc: dict[str, Any] = {
            "name": rack.name,
            "row": rack.row,
            "position": rack.position,
            "height_u": rack.height_u,
            "rated_power_w": rated,
            "feeds": {
                feed: {"breaker_a": breaker, "phases": phases, "voltage_v": 230}
                for feed in ("A", "B")
            },
        }
        base = f"{code.lower()}-{rack.name.lower()}"
        devices = [
            self.device(rng, doc, f"{base}-pdu-a", rack.pdu_model, feed="A"),
            self.device(rng, doc, f"{base}-pdu-b", rack.pdu_model, feed="B"),
        ]
        if self.spec.probes == "rack":
            devices.append(self.probe(rng, f"{base}-env", doc))
        height = rack.server_model.height_u
        spare = rack.height_u - BOTTOM_FREE_U - TOP_RESERVED_U - rack.servers * height
        # Blanking gaps for airflow every few servers, as far as the rack has room for them.
        every = 4 if rack.servers else 0
        u = BOTTOM_FREE_U + 1
        outlets = rack.pdu_model.outlets or 24
        for index in range(1, rack.servers + 1):
            # Server n's two PSUs sit in outlet n of the A and of the B PDU (wrapping when a
            # rack has more servers than outlets), so the cross-check has a mapping to check.
            outlet = (index - 1) % outlets + 1
            devices.append(
                self.device(
                    rng,
                    doc,
                    f"{base}-s{index:02d}",
                    rack.server_model,
                    u=u,
                    height_u=height,
                    psu=[{"feed": "A", "outlet": outlet}, {"feed": "B", "outlet": outlet}],
                )
            )
            u += height
            if every and index % every == 0 and spare > 0:
                u += 1
                spare -= 1
        if self.spec.switches:
            devices.append(
                self.device(rng, doc, f"{base}-tor", SWITCH_MODEL, u=rack.height_u, height_u=1)
            )
        doc["devices"] = devices
        return doc
