"""Asynchronous SNMP v1/v2c/v3 client over one pysnmp dispatcher and one engine per process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterable, Sequence
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.hlapi.v1arch import asyncio as v1
from pysnmp.hlapi.v3arch import asyncio as v3
from pysnmp.proto import errind
from pysnmp.proto.rfc1902 import Null

from monitors.collection.readings import DeviceIdentity
from monitors.collection.targets import SnmpCredential, SnmpTarget
from monitors.snmp.errors import (
    SnmpAuthError,
    SnmpConfigError,
    SnmpError,
    SnmpProtocolError,
    SnmpTimeout,
)
from monitors.snmp.fast import FastGet, FastTimeout, raise_rcvbuf
from monitors.snmp.values import SnmpValue, is_end_of_mib, oid_str, oid_tuple, to_python

log = logging.getLogger(__name__)

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"

DEFAULT_RCVBUF = 4 * 1024 * 1024  # >50 requests in flight overflow the default (DESIGN.md)

_ERROR_STATUS = {
    0: "noError",
    1: "tooBig",
    2: "noSuchName",
    3: "badValue",
    4: "readOnly",
    5: "genErr",
    6: "noAccess",
    7: "wrongType",
    8: "wrongLength",
    9: "wrongEncoding",
    10: "wrongValue",
    11: "noCreation",
    12: "inconsistentValue",
    13: "resourceUnavailable",
    14: "commitFailed",
    15: "undoFailed",
    16: "authorizationError",
    17: "notWritable",
    18: "inconsistentName",
}

_AUTH_PROTOCOLS: dict[str, Any] = {
    "none": v3.usmNoAuthProtocol,
    "md5": v3.usmHMACMD5AuthProtocol,
    "sha": v3.usmHMACSHAAuthProtocol,
    "sha224": v3.usmHMAC128SHA224AuthProtocol,
    "sha256": v3.usmHMAC192SHA256AuthProtocol,
    "sha384": v3.usmHMAC256SHA384AuthProtocol,
    "sha512": v3.usmHMAC384SHA512AuthProtocol,
}
# AES-192/256 as net-snmp and most agents implement them (draft-blumenthal key extension).
_PRIV_PROTOCOLS: dict[str, Any] = {
    "none": v3.usmNoPrivProtocol,
    "des": v3.usmDESPrivProtocol,
    "aes": v3.usmAesCfb128Protocol,
    "aes128": v3.usmAesCfb128Protocol,
    "aes192": v3.usmAesBlumenthalCfb192Protocol,
    "aes256": v3.usmAesBlumenthalCfb256Protocol,
}
_AUTH_FAILURES = (
    errind.UnknownUserName,
    errind.WrongDigest,
    errind.DecryptionError,
    errind.UnsupportedSecurityLevel,
    errind.UnknownSecurityName,
    errind.AuthenticationError,
    errind.AuthenticationFailure,
    errind.UnsupportedAuthProtocol,
    errind.UnsupportedPrivProtocol,
    errind.NotInTimeWindow,
    errind.UnknownEngineID,
)

_Varbinds = list[tuple[str, Any]]


class SnmpClient:
    """One process-wide SNMP client: a v1arch dispatcher for v1/v2c and a v3arch engine for v3.

    Create one per process (or use :func:`shared_client`) inside the running event loop and reuse
    it for every device; creating engines per request costs hundreds of milliseconds of CPU.
    All methods raise :class:`~monitors.snmp_errors.SnmpError` subclasses whose message names
    host:port and what failed; they never raise pysnmp internals.
    """

    def __init__(
        self,
        *,
        rcvbuf_bytes: int = DEFAULT_RCVBUF,
        bulk_repetitions: int = 25,
        max_walk_rows: int = 50_000,
        v3_max_message_size: int | None = None,
    ) -> None:
        self.rcvbuf_bytes = rcvbuf_bytes
        self.bulk_repetitions = bulk_repetitions
        self.max_walk_rows = max_walk_rows
        # msgMaxSize this engine announces in SNMPv3 requests; agents answer tooBig above it.
        self.v3_max_message_size = v3_max_message_size
        self._dispatcher: Any = None
        self._engine: Any = None
        self._v1_targets: dict[tuple[str, int, float, int], Any] = {}
        self._v3_targets: dict[tuple[str, int, float, int], Any] = {}
        self._users: dict[SnmpCredential, Any] = {}
        self._communities: dict[tuple[str, int], Any] = {}
        self._v1_target_cls = _sized_target(v1.UdpTransportTarget, rcvbuf_bytes)
        self._v3_target_cls = _sized_target(v3.UdpTransportTarget, rcvbuf_bytes)
        self._context = v3.ContextData()
        self._fast: FastGet | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def fast_path(self) -> FastGet | None:
        """The v1/v2c GET socket owner, once a GET has opened it (its ports and counters)."""
        return self._fast

    def close(self) -> None:
        """Release the sockets; pending requests fail with 'terminated'."""
        if self._fast is not None:
            self._fast.close()
            self._fast = None
        # pysnmp's close leaves its UDP transport to the garbage collector; close it ourselves.
        transports = [_transport_of(o) for o in (self._dispatcher, self._engine) if o is not None]
        if self._dispatcher is not None:
            # pysnmp 7 calls pending walk callbacks with the wrong arity while closing
            # (TypeError); the sockets are closed by then, which is all we need.
            with contextlib.suppress(Exception):
                self._dispatcher.close()
            self._dispatcher = None
        if self._engine is not None:
            self._engine.close_dispatcher()
            self._engine = None
        for transport in transports:
            if transport is not None:
                with contextlib.suppress(OSError, RuntimeError):
                    transport.close()
        self._v1_targets.clear()
        self._v3_targets.clear()

    # -- public operations ------------------------------------------------------------------

    async def identify(self, target: SnmpTarget) -> DeviceIdentity:
        """Read sysObjectID, sysDescr and sysName in one request."""
        values = await self.get(target, (SYS_OBJECT_ID, SYS_DESCR, SYS_NAME))
        oid, descr, name = values
        return DeviceIdentity(
            sys_object_id=oid_str(str(oid)) if oid is not None else "",
            sys_descr=str(descr) if descr is not None else "",
            sys_name=str(name) if name is not None else "",
        )

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> list[SnmpValue]:
        """GET many OIDs in as few requests as target.max_varbinds allows.

        Returns values aligned with ``oids``; an OID the agent does not have is None.
        A tooBig answer splits the request in halves until it fits.
        """
        names = [oid_str(o) for o in oids]
        out: list[SnmpValue] = [None] * len(names)
        if not names:
            return out
        step = max(1, int(target.max_varbinds))
        chunks = [range(i, min(i + step, len(names))) for i in range(0, len(names), step)]
        if len(chunks) == 1:
            await self._get_chunk(target, names, list(chunks[0]), out)
        else:
            await asyncio.gather(*(self._get_chunk(target, names, list(c), out) for c in chunks))
        return out

    async def get_map(self, target: SnmpTarget, oids: Iterable[str]) -> dict[str, SnmpValue]:
        """GET many OIDs and return {oid (no leading dot): value or None}."""
        names = list(dict.fromkeys(oid_str(o) for o in oids))
        values = await self.get(target, names)
        return dict(zip(names, values, strict=True))

    async def walk(self, target: SnmpTarget, oid: str) -> list[tuple[str, SnmpValue]]:
        """Walk one subtree (GETBULK on v2c/v3, GETNEXT on v1); returns [(oid, value)] in order."""
        base = oid_str(oid)
        base_t = oid_tuple(base)
        prefix = base + "."
        rows: list[tuple[str, SnmpValue]] = []
        current = base
        last_t = base_t
        while len(rows) < self.max_walk_rows:
            if target.credential.version == "1":
                vbs = await self._walk_step_v1(target, current)
            else:
                vbs = await self._request(
                    target, "bulk", [(current, Null(""))], repetitions=self.bulk_repetitions
                )
            if not vbs:
                break
            done = False
            for name, value in vbs:
                if is_end_of_mib(value) or not (name.startswith(prefix)):
                    done = True
                    break
                t = oid_tuple(name)
                if t <= last_t:  # agents with unsorted tables loop forever otherwise
                    log.warning("%s:%s: OID not increasing at %s", target.host, target.port, name)
                    done = True
                    break
                last_t = t
                rows.append((name, to_python(value)))
                current = name
            if done:
                break
        return rows

    async def walk_many(
        self, target: SnmpTarget, oids: Iterable[str], concurrency: int = 4
    ) -> dict[str, list[tuple[str, SnmpValue]]]:
        """Walk several subtrees, a few at a time, and return {base oid: rows}."""
        bases = list(dict.fromkeys(oid_str(o) for o in oids))
        sem = asyncio.Semaphore(max(1, concurrency))
        result: dict[str, list[tuple[str, SnmpValue]]] = {}

        async def one(base: str) -> None:
            async with sem:
                result[base] = await self.walk(target, base)

        await asyncio.gather(*(one(b) for b in bases))
        return result

    async def exists(self, target: SnmpTarget, oid: str) -> bool:
        """True if the agent has the OID itself or anything below it (one GETNEXT)."""
        base = oid_str(oid)
        if target.credential.version == "1":
            vbs = await self._walk_step_v1(target, base)
        else:
            vbs = await self._request(target, "next", [(base, Null(""))])
        if not vbs:
            return False
        name, value = vbs[0]
        return not is_end_of_mib(value) and (name == base or name.startswith(base + "."))

    # -- internals --------------------------------------------------------------------------

    async def _walk_step_v1(self, target: SnmpTarget, current: str) -> _Varbinds:
        try:
            return await self._request(target, "next", [(current, Null(""))])
        except SnmpProtocolError as exc:
            if "noSuchName" in str(exc):  # v1 signals the end of the MIB this way
                return []
            raise

    async def _get_chunk(
        self, target: SnmpTarget, names: list[str], idx: list[int], out: list[SnmpValue]
    ) -> None:
        pending = list(idx)
        while pending:
            try:
                vbs = await self._get_values(target, [names[i] for i in pending])
            except _TooBig:
                if len(pending) == 1:
                    raise SnmpProtocolError(
                        target.host,
                        target.port,
                        f"GET {names[pending[0]]}: response too big even for one OID",
                    ) from None
                half = len(pending) // 2
                await self._get_chunk(target, names, pending[:half], out)
                await self._get_chunk(target, names, pending[half:], out)
                return
            except _BadVarbind as exc:
                if exc.status != "noSuchName":
                    # genErr and friends for one broken sensor: some agents report a wrong
                    # error index, so isolate the culprit by halving instead of trusting it.
                    if len(pending) == 1:
                        log.debug("%s:%s: %s for %s", target.host, target.port, exc.status,
                                  names[pending[0]])  # fmt: skip
                        out[pending[0]] = None
                        return
                    half = len(pending) // 2
                    await self._get_chunk(target, names, pending[:half], out)
                    await self._get_chunk(target, names, pending[half:], out)
                    return
                # SNMPv1 rejects the whole PDU for one missing OID: drop it and ask again.
                bad = exc.index - 1
                if not 0 <= bad < len(pending):
                    raise SnmpProtocolError(
                        target.host, target.port, "noSuchName with an invalid error index"
                    ) from None
                out[pending[bad]] = None
                del pending[bad]
                continue
            if len(vbs) != len(pending):
                raise SnmpProtocolError(
                    target.host,
                    target.port,
                    f"GET of {len(pending)} OIDs answered with {len(vbs)} values",
                )
            for i, (name, value) in zip(pending, vbs, strict=True):
                if name != names[i]:
                    # An agent that reorders or renames varbinds must not shift values onto
                    # the wrong metrics: fall back to matching by name.
                    by_name = {n: v for n, v in vbs}
                    for j in pending:
                        out[j] = by_name.get(names[j])
                    return
                out[i] = value
            return

    async def _get_values(
        self, target: SnmpTarget, names: list[str]
    ) -> list[tuple[str, SnmpValue]]:
        """One GET; v1/v2c go through the direct codec, v3 through pysnmp's engine."""
        cred = target.credential
        if cred.version not in ("1", "2c"):
            vbs = await self._request(target, "get", [(n, Null("")) for n in names])
            return [(n, to_python(v)) for n, v in vbs]
        if self._fast is None:
            self._fast = FastGet(rcvbuf_bytes=self.rcvbuf_bytes)
        try:
            rsp = await self._fast.get(
                target.host,
                target.port,
                0 if cred.version == "1" else 1,
                cred.community,
                names,
                target.timeout_s,
                target.retries,
            )
        except FastTimeout:
            raise self._timeout(target, "get") from None
        except OSError as exc:
            raise SnmpProtocolError(target.host, target.port, f"GET failed: {exc}") from exc
        if rsp.error_status:
            if rsp.error_status == 1:
                raise _TooBig(target.host, target.port, "tooBig")
            status = _ERROR_STATUS.get(rsp.error_status, f"error {rsp.error_status}")
            if rsp.error_index > 0:
                raise _BadVarbind(target.host, target.port, rsp.error_index, status)
            raise SnmpProtocolError(target.host, target.port, f"GET: agent answered {status}")
        return rsp.varbinds

    async def _request(
        self,
        target: SnmpTarget,
        kind: str,
        varbinds: list[tuple[str, Any]],
        repetitions: int = 0,
    ) -> _Varbinds:
        cred = target.credential
        total = target.timeout_s * (target.retries + 1) + 2.0
        try:
            if cred.version in ("1", "2c"):
                coro = self._v1_request(target, kind, varbinds, repetitions)
            elif cred.version == "3":
                coro = self._v3_request(target, kind, varbinds, repetitions)
            else:
                raise SnmpConfigError(
                    target.host, target.port, f"unknown SNMP version {cred.version!r}"
                )
            err_ind, err_status, err_index, vbs = await asyncio.wait_for(coro, total)
        except SnmpError:
            raise
        except TimeoutError:
            raise self._timeout(target, kind) from None
        except Exception as exc:  # pysnmp raises many types for bad input; name them all once
            raise SnmpProtocolError(
                target.host, target.port, f"{kind.upper()} failed: {type(exc).__name__}: {exc}"
            ) from exc
        if err_ind:
            raise self._indication(target, kind, err_ind)
        status = int(err_status or 0)
        if status:
            if status == 1:
                raise _TooBig(target.host, target.port, "tooBig")
            idx = int(err_index or 0)
            name = _ERROR_STATUS.get(status, f"error {status}")
            if kind == "get" and idx > 0:
                raise _BadVarbind(target.host, target.port, idx, name)
            where = varbinds[idx - 1][0] if 0 < idx <= len(varbinds) else "?"
            raise SnmpProtocolError(
                target.host, target.port, f"{kind.upper()} {where}: agent answered {name}"
            )
        return [(str(n), v) for n, v in vbs]

    def _timeout(self, target: SnmpTarget, kind: str) -> SnmpTimeout:
        tries = target.retries + 1
        hint = (
            "agent down, unreachable, slow, or a wrong privacy key"
            if target.credential.version == "3"
            else "agent down, unreachable, slow, or wrong community"
        )
        return SnmpTimeout(
            target.host,
            target.port,
            f"no response to {kind.upper()} after {tries} tries of {target.timeout_s:g} s ({hint})",
        )

    def _indication(self, target: SnmpTarget, kind: str, err: Any) -> SnmpError:
        if isinstance(err, errind.RequestTimedOut):
            return self._timeout(target, kind)
        if isinstance(err, _AUTH_FAILURES):
            user = target.credential.user
            return SnmpAuthError(
                target.host, target.port, f"SNMPv3 user {user!r} rejected: {err} (check keys)"
            )
        return SnmpProtocolError(target.host, target.port, f"{kind.upper()} failed: {err}")

    async def _v1_request(
        self, target: SnmpTarget, kind: str, varbinds: list[tuple[str, Any]], repetitions: int
    ) -> tuple[Any, Any, Any, Any]:
        if self._dispatcher is None:
            self._dispatcher = v1.SnmpDispatcher()
        auth = self._community(target.credential)
        transport = await self._v1_transport(target)
        result: tuple[Any, Any, Any, Any]
        if kind == "get":
            result = await v1.get_cmd(self._dispatcher, auth, transport, *varbinds, lookupMib=False)
        elif kind == "next":
            result = await v1.next_cmd(
                self._dispatcher, auth, transport, *varbinds, lookupMib=False
            )
        else:
            result = await v1.bulk_cmd(
                self._dispatcher, auth, transport, 0, repetitions, *varbinds, lookupMib=False
            )
        return result

    async def _v3_request(
        self, target: SnmpTarget, kind: str, varbinds: list[tuple[str, Any]], repetitions: int
    ) -> tuple[Any, Any, Any, Any]:
        if self._engine is None:
            self._engine = self._new_engine()
        user = self._user(target)
        transport = await self._v3_transport(target)
        context = self._context
        if target.credential.context:
            context = v3.ContextData(contextName=target.credential.context)
        result: tuple[Any, Any, Any, Any]
        if kind == "get":
            result = await v3.get_cmd(
                self._engine, user, transport, context, *varbinds, lookupMib=False
            )
        elif kind == "next":
            result = await v3.next_cmd(
                self._engine, user, transport, context, *varbinds, lookupMib=False
            )
        else:
            result = await v3.bulk_cmd(
                self._engine, user, transport, context, 0, repetitions, *varbinds, lookupMib=False
            )
        return result

    def _new_engine(self) -> Any:
        engine = v3.SnmpEngine()
        if self.v3_max_message_size is not None:
            (size,) = engine.get_mib_builder().import_symbols(
                "__SNMP-FRAMEWORK-MIB", "snmpEngineMaxMessageSize"
            )
            size.syntax = size.syntax.clone(int(self.v3_max_message_size))
        return engine

    def _community(self, cred: SnmpCredential) -> Any:
        key = (cred.community, 0 if cred.version == "1" else 1)
        auth = self._communities.get(key)
        if auth is None:
            auth = self._communities[key] = v1.CommunityData(cred.community, mpModel=key[1])
        return auth

    def _user(self, target: SnmpTarget) -> Any:
        cred = target.credential
        user = self._users.get(cred)
        if user is not None:
            return user
        try:
            auth = _AUTH_PROTOCOLS[cred.auth_proto]
            priv = _PRIV_PROTOCOLS[cred.priv_proto]
        except KeyError as exc:
            raise SnmpConfigError(
                target.host, target.port, f"unknown SNMPv3 protocol {exc.args[0]!r}"
            ) from None
        if not cred.user:
            raise SnmpConfigError(target.host, target.port, "SNMPv3 needs a user name")
        if cred.auth_proto != "none" and len(cred.auth_key) < 8:
            raise SnmpConfigError(
                target.host, target.port, "SNMPv3 auth key must be at least 8 characters"
            )
        if cred.priv_proto != "none":
            if cred.auth_proto == "none":
                raise SnmpConfigError(
                    target.host, target.port, "SNMPv3 privacy needs an auth protocol"
                )
            if len(cred.priv_key) < 8:
                raise SnmpConfigError(
                    target.host, target.port, "SNMPv3 priv key must be at least 8 characters"
                )
        user = v3.UsmUserData(
            cred.user,
            authKey=cred.auth_key or None,
            privKey=cred.priv_key or None,
            authProtocol=auth,
            privProtocol=priv,
        )
        self._users[cred] = user
        return user

    async def _v1_transport(self, target: SnmpTarget) -> Any:
        key = (target.host, target.port, float(target.timeout_s), int(target.retries))
        tr = self._v1_targets.get(key)
        if tr is None:
            tr = await self._create_transport(self._v1_target_cls, target)
            self._v1_targets[key] = tr
        return tr

    async def _v3_transport(self, target: SnmpTarget) -> Any:
        key = (target.host, target.port, float(target.timeout_s), int(target.retries))
        tr = self._v3_targets.get(key)
        if tr is None:
            tr = await self._create_transport(self._v3_target_cls, target)
            self._v3_targets[key] = tr
        return tr

    @staticmethod
    async def _create_transport(cls: Any, target: SnmpTarget) -> Any:
        try:
            return await cls.create(
                (target.host, int(target.port)),
                timeout=float(target.timeout_s),
                retries=int(target.retries),
            )
        except Exception as exc:
            raise SnmpConfigError(
                target.host, target.port, f"cannot resolve address: {exc}"
            ) from None

    def receive_buffer_bytes(self) -> dict[str, int]:
        """Current SO_RCVBUF of the v1/v2c and v3 sockets (for diagnostics and tests)."""
        out: dict[str, int] = {}
        for label, owner in (("v1v2c", self._dispatcher), ("v3", self._engine)):
            sock = _socket_of(owner) if owner is not None else None
            if sock is not None:
                out[label] = int(sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
        fast = self._fast.receive_buffer_bytes() if self._fast is not None else None
        if fast is not None:
            out["v1v2c"] = fast  # every v1/v2c GET goes through this socket
        return out


class _TooBig(SnmpProtocolError):
    pass


class _BadVarbind(SnmpProtocolError):
    def __init__(self, host: str, port: int, index: int, status: str) -> None:
        super().__init__(host, port, f"{status} at varbind {index}")
        self.index = index
        self.status = status


def _sized_target(base: Any, size: int) -> Any:
    """A pysnmp transport target whose socket gets a large receive buffer the moment it
    opens: the first walks' replies arrive together and overflow the default buffer (four
    64 KB replies were dropped, so the walks timed out), before any reply could size it."""

    class SizedUdp(udp.UdpAsyncioTransport):  # type: ignore[misc]
        def connection_made(self, transport: asyncio.DatagramTransport) -> None:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                raise_rcvbuf(sock, size)
            super().connection_made(transport)

    return type(f"Sized{base.__name__}", (base,), {"PROTO_TRANSPORT": SizedUdp})


def _socket_of(owner: Any) -> Any:
    aio = _transport_of(owner)
    return None if aio is None else aio.get_extra_info("socket")


def _transport_of(owner: Any) -> Any:
    """The asyncio datagram transport under a pysnmp dispatcher or engine, if it has one."""
    from pysnmp.carrier.asyncio.dgram import udp

    dispatcher = getattr(owner, "transport_dispatcher", None)
    if dispatcher is None:
        return None
    try:
        transport = dispatcher.get_transport(udp.DOMAIN_NAME)
    except Exception:
        return None
    return getattr(transport, "transport", None)


_shared: dict[int, SnmpClient] = {}


def shared_client() -> SnmpClient:
    """The process-wide client bound to the running event loop (created on first use)."""
    loop = asyncio.get_running_loop()
    client = _shared.get(id(loop))
    if client is None:
        client = _shared[id(loop)] = SnmpClient()
    return client
