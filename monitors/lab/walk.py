"""Serve a recorded walk (snmpsim .snmprec) from the lab agent on loopback, for profile tests."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace

from monitors.collection.targets import SnmpCredential, SnmpTarget
from monitors.lab.agent import SnmpAgent
from monitors.lab.devices import SimDevice
from monitors.lab.mib import Mib, MibBuilder
from monitors.profiles.engine import Profile, ProfileSet
from monitors.snmp import ber
from monitors.snmp.client import SnmpClient
from monitors.snmp.probe import ProbeResult, probe_device

# snmprec type tags (snmpsim's numbering is the BER tag in decimal); a trailing "x" = hex.
_TAGS = {
    "2": ber.INTEGER,
    "4": ber.OCTET_STRING,
    "5": ber.NULL,
    "6": ber.OBJECT_ID,
    "64": ber.IP_ADDRESS,
    "65": ber.COUNTER32,
    "66": ber.GAUGE32,
    "67": ber.TIMETICKS,
    "68": ber.OPAQUE,
    "70": ber.COUNTER64,
}
MAX_LINES = 200_000


class WalkError(ValueError):
    """A line of a walk file cannot be served; the message names file:line."""


def _value(tag_text: str, text: str) -> ber.Value:
    hexed = tag_text.endswith("x")
    tag = _TAGS.get(tag_text[:-1] if hexed else tag_text)
    if tag is None:
        raise ValueError(f"unknown type {tag_text!r}")
    data = bytes.fromhex(text) if hexed else text.encode("utf-8")
    if tag in (ber.OCTET_STRING, ber.OPAQUE):
        return (tag, data)
    if tag == ber.OBJECT_ID:
        return (tag, ber.parse_oid(data.decode()))
    if tag == ber.IP_ADDRESS:
        parts = data if hexed else bytes(int(p) for p in data.decode().split("."))
        return (tag, parts)
    if tag == ber.NULL:
        return (tag, b"")
    return (tag, int(data.decode()))


def load_walk(path: Path) -> Mib:
    """Parse `oid|type|value` lines into a Mib; WalkError with file:line on a bad line."""
    builder = MibBuilder()
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise WalkError(f"{path}: cannot read: {exc}") from None
    if len(lines) > MAX_LINES:
        raise WalkError(f"{path}: more than {MAX_LINES} lines")
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("|", 2)
        if len(parts) != 3:
            raise WalkError(f"{path}:{n}: expected OID|TYPE|VALUE")
        oid, tag, text = parts
        try:
            builder.add(ber.parse_oid(oid.strip().lstrip(".")), _value(tag.strip(), text))
        except ValueError as exc:
            raise WalkError(f"{path}:{n}: {exc}") from None
    return builder.build()


class WalkAgent:
    """The lab's SNMP agent answering from one walk on 127.0.0.1 (any free port)."""

    def __init__(self, mib: Mib, community: str = "public") -> None:
        obj = SimpleNamespace(address="127.0.0.1", port=0)
        self.device = SimDevice("walk", "pdu", "walk", obj, mib, lambda _t: None, time.time())
        self.agent = SnmpAgent([self.device], community)
        self.community = community

    @property
    def port(self) -> int:
        return self.device.port

    async def start(self) -> None:
        await self.agent.start()

    def close(self) -> None:
        self.agent.close()


async def test_profile_on_walk(
    profile: Profile, walk: Path, installed: Iterable[Profile] = ()
) -> tuple[ProbeResult, str]:
    """Serve walk on loopback, read it with profile; also say which profile would be chosen.

    Returns the probe result (the profile forced) and a sentence about automatic matching
    among the installed profiles plus this one ('' when this profile would be chosen).
    """
    mib = load_walk(walk)
    agent = WalkAgent(mib, "rackwatch-walk")
    await agent.start()
    client = SnmpClient()
    try:
        target = SnmpTarget("127.0.0.1", agent.port, SnmpCredential("2c", "rackwatch-walk"), 2.0, 1)
        others = [p for p in installed if p.name != profile.name]
        pool = ProfileSet([*others, profile])
        result = await probe_device(target, profiles=pool, client=client, profile=profile)
        chosen = await pool.select(client, target, result.identity)
    finally:
        client.close()
        agent.close()
    if chosen is None:
        note = "no match rule of this profile holds for the walk: it would not be chosen"
    elif chosen.name != profile.name:
        note = f"another profile would be chosen first: {chosen.name}"
    else:
        note = ""
    return result, note
