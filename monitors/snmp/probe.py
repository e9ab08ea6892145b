"""One-shot probe of an SNMP device: identify, pick a profile, discover, poll, report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models.vocabulary import AUTH, EMPTY, ERROR, EXIT_CODES, NO_PROFILE, OK, TIMEOUT
from monitors.collection.readings import DeviceIdentity, Reading, reading_json, readings_table
from monitors.collection.targets import SnmpTarget
from monitors.profiles.engine import Profile, ProfileSet, discover, poll
from monitors.snmp.client import SnmpClient
from monitors.snmp.errors import SnmpAuthError, SnmpError, SnmpTimeout


class ProbeError(Exception):
    """The probe could not finish; str() is the operator-facing reason, .status its class."""

    def __init__(self, message: str, status: str = ERROR) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class ProbeResult:
    target: SnmpTarget
    identity: DeviceIdentity
    profile: str | None
    readings: list[Reading] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    status: str = OK  # one of OK, NO_PROFILE, EMPTY (the failures before identify raise)
    reason: str = ""  # operator-facing sentence when status is not OK

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.status, 1)

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
            "status": self.status,
            "reason": self.reason,
            "metrics": [reading_json(r) for r in self.readings],
            "problems": self.problems,
        }

    def as_table(self) -> str:
        ident = self.identity
        head = [
            f"device   {self.target.host}:{self.target.port}",
            f"sysName  {ident.sys_name or '-'}",
            f"sysObjectID {ident.sys_object_id or '-'}",
            f"sysDescr {ident.sys_descr.splitlines()[0] if ident.sys_descr else '-'}",
            f"profile  {self.profile or '-'}",
            f"status   {self.status}{': ' + self.reason if self.reason else ''}",
            "",
        ]
        lines = readings_table(self.readings, "oid")
        tail = [f"{len(self.readings)} metrics"]
        if self.status != OK:
            tail.append(f"NO DATA ({self.status}): {self.reason}")
        tail += [f"problem: {p}" for p in self.problems]
        return "\n".join([*head, *lines, "", *tail])


def failure_json(target: SnmpTarget, error: ProbeError) -> dict[str, Any]:
    """The JSON probe prints when it could not identify or read the device at all."""
    return {
        "device": {"host": target.host, "port": target.port},
        "profile": None,
        "status": error.status,
        "reason": str(error),
        "metrics": [],
        "problems": [],
    }


async def probe_device(
    target: SnmpTarget,
    profile_name: str | None = None,
    profiles: ProfileSet | None = None,
    client: SnmpClient | None = None,
    profile: Profile | None = None,
) -> ProbeResult:
    """Identify target, choose (or force, by name or object) its profile, discover and poll once.

    A device that answers but gives no data is a result with status NO_PROFILE or EMPTY;
    ProbeError (with .status TIMEOUT, AUTH or ERROR) when it cannot be read at all.
    """
    profiles = profiles if profiles is not None else ProfileSet.load()
    own = client is None
    client = client or SnmpClient()
    where = f"{target.host}:{target.port}"
    try:
        identity = await client.identify(target)
        if profile is None and profile_name:
            try:
                profile = profiles.get(profile_name)
            except KeyError as exc:
                raise ProbeError(str(exc.args[0])) from None
        elif profile is None:
            profile = await profiles.select(client, target, identity)
            if profile is None:
                return ProbeResult(
                    target,
                    identity,
                    None,
                    status=NO_PROFILE,
                    reason=f"{where}: no profile matches sysObjectID "
                    f"{identity.sys_object_id or '(none)'}; force one with --profile "
                    f"({', '.join(profiles.names)})",
                )
        plan = await discover(client, target, profile)
        decoded = await poll(client, target, plan)
    except SnmpTimeout as exc:
        raise ProbeError(str(exc), TIMEOUT) from None
    except SnmpAuthError as exc:
        raise ProbeError(str(exc), AUTH) from None
    except SnmpError as exc:
        raise ProbeError(str(exc)) from None
    finally:
        if own:
            client.close()
    result = ProbeResult(
        target, identity, profile.name, decoded.readings, [*plan.problems, *decoded.problems]
    )
    if plan.empty:
        result.status, result.reason = EMPTY, f"{where}: {plan.empty_reason()}"
    elif not decoded.readings:
        result.status = EMPTY
        result.reason = f"{where}: profile {profile.name} found {len(plan.items)} readings "
        result.reason += "at discovery but the poll returned none"
    return result
