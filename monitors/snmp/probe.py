"""One-shot probe of an SNMP device: identify, pick a profile, discover, poll, report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from monitors.collection.readings import DeviceIdentity, Reading
from monitors.collection.targets import SnmpTarget
from monitors.profiles.engine import ProfileSet, discover, poll
from monitors.snmp.client import SnmpClient
from monitors.snmp.errors import SnmpError


class ProbeError(Exception):
    """The probe could not finish; str() is the operator-facing reason."""


@dataclass
class ProbeResult:
    target: SnmpTarget
    identity: DeviceIdentity
    profile: str
    readings: list[Reading] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "device": {
                "host": self.target.host,
                "port": self.target.port,
                "sys_object_id": self.identity.sys_object_id,
                "sys_descr": self.identity.sys_descr,
                "sys_name": self.identity.sys_name,
            },
            "profile": self.profile,
            "metrics": [
                {
                    "metric": r.metric,
                    "channel": r.channel,
                    "value": r.value,
                    "unit": r.unit,
                    "oid": r.oid,
                    "raw": r.raw,
                    "role": r.role,
                    "warn_low": r.warn_low,
                    "warn_high": r.warn_high,
                    "crit_low": r.crit_low,
                    "crit_high": r.crit_high,
                }
                for r in self.readings
            ],
            "problems": self.problems,
        }

    def as_table(self) -> str:
        ident = self.identity
        head = [
            f"device   {self.target.host}:{self.target.port}",
            f"sysName  {ident.sys_name or '-'}",
            f"sysObjectID {ident.sys_object_id or '-'}",
            f"sysDescr {ident.sys_descr.splitlines()[0] if ident.sys_descr else '-'}",
            f"profile  {self.profile}",
            "",
        ]
        rows = [("metric", "channel", "value", "unit", "oid", "raw")]
        rows += [
            (r.metric, r.channel, f"{r.value:.6g}", r.unit, r.oid, r.raw[:24])
            for r in self.readings
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(6)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        tail = [f"{len(self.readings)} metrics"]
        tail += [f"problem: {p}" for p in self.problems]
        return "\n".join([*head, *lines, "", *tail])


async def probe_device(
    target: SnmpTarget,
    profile_name: str | None = None,
    profiles: ProfileSet | None = None,
    client: SnmpClient | None = None,
) -> ProbeResult:
    """Identify target, choose (or force) its profile, discover and poll once.

    Raises ProbeError naming host:port and the cause (timeout, auth, no profile, bad profile).
    """
    profiles = profiles if profiles is not None else ProfileSet.load()
    own = client is None
    client = client or SnmpClient()
    try:
        identity = await client.identify(target)
        if profile_name:
            try:
                profile = profiles.get(profile_name)
            except KeyError as exc:
                raise ProbeError(str(exc.args[0])) from None
        else:
            chosen = await profiles.select(client, target, identity)
            if chosen is None:
                raise ProbeError(
                    f"{target.host}:{target.port}: no profile matches sysObjectID "
                    f"{identity.sys_object_id or '(none)'}; force one with --profile "
                    f"({', '.join(profiles.names)})"
                )
            profile = chosen
        plan = await discover(client, target, profile)
        decoded = await poll(client, target, plan)
    except SnmpError as exc:
        raise ProbeError(str(exc)) from None
    finally:
        if own:
            client.close()
    return ProbeResult(
        target,
        identity,
        profile.name,
        decoded.readings,
        [*plan.problems, *decoded.problems],
    )
