"""The v1/v2c GET fast path: one UDP socket per process, a direct codec, request-id matching."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import socket
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from monitors.snmp.values import SnmpValue, to_python
from monitors.snmp.wire import GetTemplate, WireError, decode_response

Varbinds = list[tuple[str, SnmpValue]]


@dataclass(frozen=True, slots=True)
class FastResponse:
    error_status: int
    error_index: int
    varbinds: Varbinds


class FastTimeout(Exception):
    """No response after every try."""


def _decode_with_pysnmp(data: bytes) -> tuple[int, int, int, Varbinds]:
    """The slow but complete decoder, for values the direct codec leaves alone (Opaque...)."""
    from pyasn1.codec.ber import decoder
    from pysnmp.proto import api

    version = int(api.decodeMessageVersion(data))
    p = api.PROTOCOL_MODULES[version]
    msg, _ = decoder.decode(data, asn1Spec=p.Message())
    pdu = p.apiMessage.get_pdu(msg)
    vbs = [(str(o), to_python(v)) for o, v in p.apiPDU.get_varbinds(pdu)]
    return (
        int(p.apiPDU.get_request_id(pdu)),
        int(p.apiPDU.get_error_status(pdu)),
        int(p.apiPDU.get_error_index(pdu)),
        vbs,
    )


def _raise_rcvbuf(sock: socket.socket, size: int) -> None:
    """More than about 50 replies in flight overflow the default buffer (DESIGN.md)."""
    force = getattr(socket, "SO_RCVBUFFORCE", None)
    if force is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, force, size)
            return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, owner: FastGet) -> None:
        self.owner = owner

    def datagram_received(
        self, data: bytes, addr: tuple[str, int] | tuple[str, int, int, int]
    ) -> None:
        self.owner._received(data, addr)

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable and friends
        pass


class FastGet:
    """GETs over one shared socket per address family; replies are matched by request id."""

    def __init__(self, rcvbuf_bytes: int = 4 * 1024 * 1024, max_templates: int = 200_000) -> None:
        self.rcvbuf_bytes = rcvbuf_bytes
        self._transports: dict[int, asyncio.DatagramTransport] = {}
        self._pending: dict[
            int, tuple[asyncio.Future[tuple[int, int, Varbinds]], tuple[str, int]]
        ] = {}
        self._ids = itertools.count(random.randint(0x01000000, 0x3FFFFFFF))
        self._templates: OrderedDict[tuple[int, str, tuple[str, ...]], GetTemplate] = OrderedDict()
        self._max_templates = max_templates
        self._addr: dict[tuple[str, int], tuple[int, tuple[str, int]]] = {}
        self.fallback_decodes = 0

    async def _endpoint(self, family: int) -> asyncio.DatagramTransport:
        transport = self._transports.get(family)
        if transport is None or transport.is_closing():
            loop = asyncio.get_running_loop()
            sock = socket.socket(family, socket.SOCK_DGRAM)
            _raise_rcvbuf(sock, self.rcvbuf_bytes)
            sock.bind(("::", 0) if family == socket.AF_INET6 else ("0.0.0.0", 0))
            sock.setblocking(False)
            transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), sock=sock)
            self._transports[family] = transport
        return transport

    async def _resolve(self, host: str, port: int) -> tuple[int, tuple[str, int]]:
        key = (host, port)
        hit = self._addr.get(key)
        if hit is None:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_DGRAM)
            family, _t, _p, _c, sockaddr = infos[0]
            hit = (family, (str(sockaddr[0]), int(sockaddr[1])))
            self._addr[key] = hit
        return hit

    def _template(self, version: int, community: str, oids: Sequence[str]) -> GetTemplate:
        key = (version, community, tuple(oids))
        tpl = self._templates.get(key)
        if tpl is None:
            tpl = self._templates[key] = GetTemplate(version, community, oids)
            if len(self._templates) > self._max_templates:
                self._templates.popitem(last=False)
        return tpl

    async def get(
        self,
        host: str,
        port: int,
        version: int,
        community: str,
        oids: Sequence[str],
        timeout_s: float,
        retries: int,
    ) -> FastResponse:
        family, addr = await self._resolve(host, port)
        transport = await self._endpoint(family)
        tpl = self._template(version, community, oids)
        request_id = next(self._ids) & 0x7FFFFFFF
        payload = tpl.encode(request_id)
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[tuple[int, int, Varbinds]] = loop.create_future()
        self._pending[request_id] = (fut, addr)
        try:
            for _ in range(retries + 1):
                transport.sendto(payload, addr)
                try:
                    status, index, vbs = await asyncio.wait_for(asyncio.shield(fut), timeout_s)
                except TimeoutError:
                    continue
                return FastResponse(status, index, vbs)
            raise FastTimeout()
        finally:
            self._pending.pop(request_id, None)
            if not fut.done():
                fut.cancel()

    def _received(self, data: bytes, addr: tuple[str, int] | tuple[str, int, int, int]) -> None:
        try:
            request_id, status, index, vbs = decode_response(data)
        except WireError:
            try:
                request_id, status, index, vbs = _decode_with_pysnmp(data)
                self.fallback_decodes += 1
            except Exception:  # garbage on our port is dropped, as an agent would
                return
        entry = self._pending.get(request_id)
        if entry is None:
            return
        fut, expected = entry
        # A reply must come from the address we asked; anything else is ignored, not trusted.
        if (str(addr[0]), int(addr[1])) != expected or fut.done():
            return
        fut.set_result((status, index, vbs))

    def receive_buffer_bytes(self) -> int | None:
        for transport in self._transports.values():
            sock = transport.get_extra_info("socket")
            if sock is not None:
                return int(sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
        return None

    def close(self) -> None:
        for transport in self._transports.values():
            transport.close()
        self._transports.clear()
        for fut, _addr in self._pending.values():
            if not fut.done():
                fut.cancel()
        self._pending.clear()
