"""Protocol drivers the scheduler calls: SNMP through profiles, SSH through the fixed command,
Redfish through monitors.redfish."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from models.inventory.device_specs import DeviceSpec
from models.vocabulary import EMPTY, NO_PROFILE
from monitors.collection.readings import PollResult
from monitors.collection.scheduler import Driver
from monitors.collection.targets import (
    RedfishCredential,
    SnmpCredential,
    SnmpTarget,
    SshCredential,
    SshTarget,
)
from monitors.credentials import CredentialError
from monitors.profiles.engine import ProfileSet, discover, poll
from monitors.profiles.plan import PollPlan
from monitors.snmp.client import SnmpClient
from monitors.snmp.errors import SnmpAuthError, SnmpConfigError, SnmpError, SnmpTimeout

log = logging.getLogger("rackwatch.drivers")

# A plan is rebuilt now and then so added outlets, probes or PSUs show up without a restart.
REDISCOVER_S = 6 * 3600


class NoData(Exception):
    """The device answered but discovery found nothing to read."""


class NoProfile(Exception):
    """The device answered but no profile matches it."""


SnmpCredentials = Callable[[str | None], SnmpCredential]
SshCredentials = Callable[[str | None], SshCredential]


@dataclass
class _PlanEntry:
    plan: PollPlan
    built: float


class SnmpDriver:
    """Identifies each device once, discovers its poll plan, then GETs only the plan's OIDs."""

    def __init__(
        self,
        credentials: SnmpCredentials,
        profiles: ProfileSet,
        *,
        client: SnmpClient | None = None,
        timeout_s: float = 2.0,
        retries: int = 1,
        max_varbinds: int = 24,
    ) -> None:
        self.credentials = credentials
        self.profiles = profiles
        self.client = client
        self.timeout_s = timeout_s
        self.retries = retries
        self.max_varbinds = max_varbinds
        self._plans: dict[int, _PlanEntry] = {}

    def _target(self, device: DeviceSpec) -> SnmpTarget:
        return SnmpTarget(
            host=device.address,
            port=device.port or 161,
            credential=self.credentials(device.credential),
            timeout_s=self.timeout_s,
            retries=self.retries,
            max_varbinds=self.max_varbinds,
        )

    async def _plan(self, client: SnmpClient, target: SnmpTarget, device: DeviceSpec) -> PollPlan:
        entry = self._plans.get(device.id)
        if entry is not None and time.monotonic() - entry.built < REDISCOVER_S:
            return entry.plan
        if device.profile:
            profile = self.profiles.get(device.profile)
        else:
            identity = await client.identify(target)
            found = await self.profiles.select(client, target, identity)
            if found is None:
                raise NoProfile(
                    f"{target.host}:{target.port}: "
                    f"no profile matches sysObjectID {identity.sys_object_id or '(empty)'} "
                    f"sysDescr {identity.sys_descr[:60]!r}; set one with `profile:` "
                    "in the inventory",
                )
            profile = found
        plan = await discover(client, target, profile)
        for problem in plan.problems[:10]:
            log.info("discovery device=%s %s", device.name, problem)
        if not plan.items:
            # Never cache nothing: an empty plan would show the device OK while it sends
            # nothing for hours. The failed poll makes the scheduler retry with backoff.
            raise NoData(f"{plan.empty_reason()}; retrying")
        self._plans[device.id] = _PlanEntry(plan, time.monotonic())
        return plan

    async def poll(self, device: DeviceSpec) -> PollResult:
        ts = int(time.time())
        started = time.monotonic()
        if self.client is None:
            self.client = SnmpClient()
        client = self.client
        profile: str | None = None
        try:
            target = self._target(device)
            plan = await self._plan(client, target, device)
            profile = plan.profile
            decoded = await poll(client, target, plan)
        except CredentialError as exc:
            return self._fail(device, ts, started, str(exc), "config", profile)
        except NoData as exc:
            return self._fail(device, ts, started, str(exc), EMPTY, profile)
        except NoProfile as exc:
            return self._fail(device, ts, started, str(exc), NO_PROFILE)
        except KeyError as exc:  # forced profile that does not exist
            return self._fail(device, ts, started, f"{device.label}: {exc.args[0]}", "config")
        except SnmpTimeout as exc:
            return self._fail(device, ts, started, str(exc), "unreachable", profile)
        except SnmpAuthError as exc:
            return self._fail(device, ts, started, str(exc), "auth", profile)
        except SnmpConfigError as exc:
            return self._fail(device, ts, started, str(exc), "config", profile)
        except SnmpError as exc:
            # The device may have been replaced or reconfigured: rediscover next time.
            self._plans.pop(device.id, None)
            return self._fail(device, ts, started, str(exc), "protocol", profile)
        if not decoded.readings and plan.items:
            self._plans.pop(device.id, None)
        return PollResult(
            device.id,
            ts,
            True,
            tuple(decoded.readings),
            profile=profile,
            duration_s=time.monotonic() - started,
            problems=tuple(decoded.problems),
        )

    @staticmethod
    def _fail(
        device: DeviceSpec,
        ts: int,
        started: float,
        error: str,
        kind: str,
        profile: str | None = None,
    ) -> PollResult:
        return PollResult(
            device.id,
            ts,
            False,
            error=f"{device.name}: {error}",
            error_kind=kind,
            profile=profile,
            duration_s=time.monotonic() - started,
        )

    async def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None


class SshDriver:
    """Polls Linux servers over persistent SSH connections on the collector's event loop."""

    def __init__(self, credentials: SshCredentials, known_hosts: str) -> None:
        from monitors.ssh.client import SshPool

        self.credentials = credentials
        self.known_hosts = known_hosts
        self.pool = SshPool()

    async def poll(self, device: DeviceSpec) -> PollResult:
        try:
            cred = self.credentials(device.credential)
        except CredentialError as exc:
            return PollResult(
                device.id, int(time.time()), False, error=str(exc), error_kind="config"
            )
        target = SshTarget(
            host=device.address,
            port=device.port or 22,
            credential=cred,
            known_hosts=self.known_hosts,
        )
        result = await self.pool.poll_async(device.id, target)
        if not result.ok and result.error and not result.error.startswith(device.name):
            return PollResult(
                result.device_id,
                result.ts,
                False,
                error=f"{device.name}: {result.error}",
                error_kind=result.error_kind,
                profile=result.profile,
                duration_s=result.duration_s,
            )
        return result

    async def close(self) -> None:
        await self.pool.aclose()


def build_drivers(
    snmp_credentials: SnmpCredentials,
    ssh_credentials: SshCredentials,
    known_hosts: str,
    profiles: ProfileSet | None = None,
    redfish_credentials: Callable[[str | None], RedfishCredential] | None = None,
) -> dict[str, Driver]:
    """One driver per inventory protocol; Redfish only when its credentials are given."""
    drivers: dict[str, Driver] = {
        "snmp": SnmpDriver(snmp_credentials, profiles or ProfileSet.load()),
        "ssh": SshDriver(ssh_credentials, known_hosts),
    }
    if redfish_credentials is not None:
        from monitors.redfish.driver import RedfishDriver

        drivers["redfish"] = RedfishDriver(redfish_credentials)
    return drivers
