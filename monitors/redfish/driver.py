"""The Redfish driver the collector calls: one client (session) per BMC, blocking I/O in threads."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from models.inventory.device_specs import DeviceSpec
from monitors.collection.readings import PollResult
from monitors.collection.targets import RedfishCredential, RedfishTarget
from monitors.credentials import CredentialError
from monitors.redfish.client import RedfishClient, RedfishError
from monitors.redfish.read import read_service

log = logging.getLogger("rackwatch.redfish")

PROFILE = "redfish"  # what PollResult.profile and the device state show for Redfish devices
# A whole poll stays below the scheduler's hard timeout (60 s), so it ends with a clear reason.
POLL_BUDGET_S = 45.0
# PollResult.error_kind for each RedfishError.kind: a refused certificate is the TLS twin of
# a changed SSH host key.
ERROR_KINDS = {
    "unreachable": "unreachable",
    "auth": "auth",
    "tls": "hostkey",
    "protocol": "protocol",
    "config": "config",
}


def device_url(address: str, port: int | None) -> str:
    """The BMC URL of an inventory device: its address (host or URL) with the inventory port."""
    text = address.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if port and parts.port is None:
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        return f"{parts.scheme}://{host}:{port}"
    return f"{parts.scheme}://{parts.netloc}"


RedfishCredentials = Callable[[str | None], RedfishCredential]


class RedfishDriver:
    """Polls Redfish services; keeps one logged-in client per device between polls.

    The HTTP calls block, so polls run in a thread pool; the threads mostly wait on slow BMCs,
    and max_workers bounds how many BMCs are polled at once by this collector process.
    """

    def __init__(
        self,
        credentials: RedfishCredentials,
        *,
        timeout_s: float = 10.0,
        max_workers: int = 32,
        budget_s: float = POLL_BUDGET_S,
    ) -> None:
        self.credentials = credentials
        self.timeout_s = timeout_s
        self.budget_s = budget_s
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="redfish")
        self._clients: dict[int, RedfishClient] = {}
        self._busy: set[int] = set()  # devices with a poll running in a thread
        self._expand: dict[int, bool] = {}  # whether $expand worked on the device last time
        self._lock = threading.Lock()

    def _client(self, device: DeviceSpec, cred: RedfishCredential) -> RedfishClient:
        target = RedfishTarget(device_url(device.address, device.port), cred, self.timeout_s)
        client = self._clients.get(device.id)
        if client is not None and client.target != target:
            client.close()  # the inventory or the credential changed: new session
            client = None
        if client is None:
            client = RedfishClient(target)
            self._clients[device.id] = client
        return client

    def _poll_sync(self, device: DeviceSpec, cred: RedfishCredential) -> PollResult:
        with self._lock:
            if device.id in self._busy:
                # An abandoned poll (scheduler timeout) still owns the session: never share it.
                return PollResult(
                    device.id,
                    int(time.time()),
                    False,
                    error=f"{device.name}: the previous poll of this BMC is still running",
                    error_kind="unreachable",
                    profile=PROFILE,
                )
            self._busy.add(device.id)
        try:
            return self._poll_locked(device, cred)
        finally:
            with self._lock:
                self._busy.discard(device.id)

    def _poll_locked(self, device: DeviceSpec, cred: RedfishCredential) -> PollResult:
        ts = int(time.time())
        started = time.monotonic()
        try:
            client = self._client(device, cred)
            before = client.requests
            outcome = read_service(
                client.get, budget_s=self.budget_s, expand=self._expand.get(device.id)
            )
            self._expand[device.id] = outcome.expand
        except RedfishError as exc:
            if exc.kind in ("auth", "tls", "config"):
                self._forget(device.id)  # log in afresh (and re-check trust) next time
            return PollResult(
                device.id,
                ts,
                False,
                error=f"{device.name}: {exc}",
                error_kind=ERROR_KINDS.get(exc.kind, "protocol"),
                profile=PROFILE,
                duration_s=time.monotonic() - started,
            )
        problems = list(outcome.problems)
        if not outcome.readings:
            problems.insert(0, "the service offers no power or thermal readings")
        log.debug("redfish %s: %d requests", device.name, client.requests - before)
        return PollResult(
            device.id,
            ts,
            True,
            tuple(outcome.readings),
            profile=PROFILE,
            duration_s=time.monotonic() - started,
            problems=tuple(problems),
        )

    def _forget(self, device_id: int) -> None:
        client = self._clients.pop(device_id, None)
        if client is not None:
            client.close()

    async def poll(self, device: DeviceSpec) -> PollResult:
        try:
            cred = self.credentials(device.credential)
        except CredentialError as exc:
            return PollResult(
                device.id,
                int(time.time()),
                False,
                error=f"{device.name}: {exc}",
                error_kind="config",
                profile=PROFILE,
            )
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._poll_sync, device, cred)

    async def close(self) -> None:
        """Log out of every BMC (their session slots are few) and stop the threads."""
        loop = asyncio.get_running_loop()
        clients = list(self._clients.values())
        self._clients.clear()
        await asyncio.gather(*(loop.run_in_executor(self._pool, c.close) for c in clients))
        self._pool.shutdown(wait=False)
