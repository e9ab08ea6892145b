"""One-shot probe of a Redfish service: log in, read everything once, report like the SNMP probe."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models.vocabulary import AUTH, EMPTY, ERROR, EXIT_CODES, OK, TIMEOUT
from monitors.collection.readings import DeviceIdentity, Reading, reading_json, readings_table
from monitors.collection.targets import RedfishCredential, RedfishTarget
from monitors.redfish.client import RedfishClient, RedfishError
from monitors.redfish.driver import PROFILE
from monitors.redfish.read import Resources, read_service


class ProbeError(Exception):
    """The probe could not read the service; str() is the reason, .status its class."""

    def __init__(self, message: str, status: str = ERROR) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class RedfishProbeResult:
    target: RedfishTarget
    host: str
    port: int
    identity: DeviceIdentity
    readings: list[Reading] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    requests: int = 0

    @property
    def status(self) -> str:
        return OK if self.readings else EMPTY

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    def as_json(self) -> dict[str, Any]:
        return {
            "device": {
                "host": self.host,
                "port": self.port,
                "url": self.target.url,
                "sys_object_id": self.identity.sys_object_id,
                "sys_descr": self.identity.sys_descr,
                "sys_name": self.identity.sys_name,
            },
            "profile": PROFILE,
            "status": self.status,
            "metrics": [reading_json(r) for r in self.readings],
            "problems": self.problems,
        }

    def as_table(self) -> str:
        ident = self.identity
        head = [
            f"device   {self.target.url}",
            f"sysName  {ident.sys_name or '-'}",
            f"UUID     {ident.sys_object_id or '-'}",
            f"sysDescr {ident.sys_descr or '-'}",
            f"profile  {PROFILE}",
            "",
        ]
        lines = readings_table(self.readings, "resource")
        tail = [f"{len(self.readings)} metrics ({self.requests} requests)"]
        if not self.readings:
            tail.append(f"NO DATA ({EMPTY}): the service offers no power or thermal readings")
        tail += [f"problem: {p}" for p in self.problems]
        return "\n".join([*head, *lines, "", *tail])


def probe_redfish(target: RedfishTarget, resources: Resources = "auto") -> RedfishProbeResult:
    """Log in, read every power and thermal resource once, log out.

    Raises ProbeError (status AUTH, TIMEOUT or ERROR) naming the host when nothing can be read.
    """
    try:
        client = RedfishClient(target)
    except RedfishError as exc:
        raise ProbeError(str(exc)) from None
    try:
        outcome = read_service(client.get, resources)
    except RedfishError as exc:
        status = {"auth": AUTH, "unreachable": TIMEOUT}.get(exc.kind, ERROR)
        raise ProbeError(str(exc), status) from None
    finally:
        client.close()
    return RedfishProbeResult(
        target,
        client.host,
        client.port,
        outcome.identity,
        outcome.readings,
        outcome.problems,
        client.requests,
    )


def cli_probe(args: Any) -> int:
    """`app.py probe --redfish URL ...`: print the table or JSON; the exit code names the status."""
    import dataclasses
    import getpass
    import json
    import sys

    from monitors.credentials import CredentialError, resolve_redfish

    try:
        if args.credential:
            cred = resolve_redfish(args.credential)
        elif args.user:
            password = args.password or ""
            if password == "-":
                password = getpass.getpass(f"Redfish password for {args.user}: ")
            cred = RedfishCredential(args.user, password)
        else:
            print(
                "rackwatch probe: --redfish needs --user/--password or --credential",
                file=sys.stderr,
            )
            return 2
    except CredentialError as exc:
        print(f"rackwatch probe: {exc}", file=sys.stderr)
        return 2
    # Options given on the command line add to (or override) what the stored credential says.
    if args.allow_http:
        cred = dataclasses.replace(cred, allow_http=True)
    if args.ca:
        cred = dataclasses.replace(cred, ca_file=args.ca)
    if args.fingerprint:
        cred = dataclasses.replace(cred, fingerprint=args.fingerprint)
    timeout = float(getattr(args, "timeout", 10.0) or 10.0)
    target = RedfishTarget(args.redfish, cred, timeout_s=max(timeout, 5.0))
    try:
        result = probe_redfish(target)
    except ProbeError as exc:
        if args.json:
            failure = {
                "device": {"url": args.redfish},
                "profile": PROFILE,
                "status": exc.status,
                "reason": str(exc),
                "metrics": [],
                "problems": [],
            }
            print(json.dumps(failure, indent=2))
        print(f"rackwatch probe: {exc.status}: {exc}", file=sys.stderr)
        return EXIT_CODES.get(exc.status, 1)
    if args.json:
        print(json.dumps(result.as_json(), indent=2))
    else:
        print(result.as_table())
    return result.exit_code
