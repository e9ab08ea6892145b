"""The v1/v2c GET fast path: one UDP socket per process, a direct codec, request-id matching."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import socket
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from monitors.snmp.values import SnmpValue, to_python
from monitors.snmp.wire import GetTemplate, WireError, decode_response, response_request_id

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


def raise_rcvbuf(sock: socket.socket, size: int) -> None:
    """More than about 50 replies in flight overflow the default buffer (DESIGN.md)."""
    force = getattr(socket, "SO_RCVBUFFORCE", None)
    if force is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, force, size)
            return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)


class FastGet:
    """GETs over one shared socket per address family; replies are matched by request id.

    The socket is read by our own reader callback, at most `recv_budget` datagrams per loop
    iteration, so a flood on the port cannot starve the scheduler. Each datagram is judged
    cheaply before any decoding: a sender we have no request pending with is dropped, then
    the request id (read from the first few bytes) must be pending for that sender; only a
    reply that passes both is decoded in full.
    """

    def __init__(
        self,
        rcvbuf_bytes: int = 4 * 1024 * 1024,
        max_templates: int = 200_000,
        recv_budget: int = 256,
    ) -> None:
        self.rcvbuf_bytes = rcvbuf_bytes
        self.recv_budget = recv_budget
        self._socks: dict[int, socket.socket] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[
            int, tuple[asyncio.Future[tuple[int, int, Varbinds]], tuple[str, int]]
        ] = {}
        # Senders with at least one request in flight (a flood from anyone else is ignored).
        self._peers: Counter[tuple[str, int]] = Counter()
        self._ids = itertools.count(random.randint(0x01000000, 0x3FFFFFFF))
        self._templates: OrderedDict[tuple[int, str, tuple[str, ...]], GetTemplate] = OrderedDict()
        self._max_templates = max_templates
        self._addr: dict[tuple[str, int], tuple[int, tuple[str, int]]] = {}
        self.fallback_decodes = 0
        self.received = 0
        self.dropped_stranger = 0  # from an address we asked nothing
        self.dropped_unmatched = 0  # unknown or answered request id, or not a response

    async def _endpoint(self, family: int) -> socket.socket:
        sock = self._socks.get(family)
        if sock is None:
            loop = asyncio.get_running_loop()
            sock = socket.socket(family, socket.SOCK_DGRAM)
            raise_rcvbuf(sock, self.rcvbuf_bytes)
            sock.bind(("::", 0) if family == socket.AF_INET6 else ("0.0.0.0", 0))
            sock.setblocking(False)
            loop.add_reader(sock.fileno(), self._readable, sock)
            self._loop = loop
            self._socks[family] = sock
        return sock

    def local_ports(self) -> list[int]:
        """The UDP ports replies arrive on (for tests and diagnostics)."""
        return [int(s.getsockname()[1]) for s in self._socks.values()]

    def _readable(self, sock: socket.socket) -> None:
        # Level-triggered: what is left after the budget is read on the next loop iteration.
        for _ in range(self.recv_budget):
            try:
                data, addr = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # ICMP errors reported on the socket: nothing to read
                return
            self._received(data, addr)

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
        sock = await self._endpoint(family)
        tpl = self._template(version, community, oids)
        request_id = next(self._ids) & 0x7FFFFFFF
        payload = tpl.encode(request_id)
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[tuple[int, int, Varbinds]] = loop.create_future()
        self._pending[request_id] = (fut, addr)
        self._peers[addr] += 1
        try:
            for _ in range(retries + 1):
                with contextlib.suppress(BlockingIOError, InterruptedError):
                    # A full send buffer loses this try like a lost datagram would.
                    sock.sendto(payload, addr)
                try:
                    status, index, vbs = await asyncio.wait_for(asyncio.shield(fut), timeout_s)
                except TimeoutError:
                    continue
                return FastResponse(status, index, vbs)
            raise FastTimeout()
        finally:
            self._pending.pop(request_id, None)
            left = self._peers[addr] - 1
            if left > 0:
                self._peers[addr] = left
            else:
                del self._peers[addr]
            if not fut.done():
                fut.cancel()

    def _received(self, data: bytes, addr: tuple[str, int] | tuple[str, int, int, int]) -> None:
        self.received += 1
        peer = (addr[0], addr[1])
        # A reply must come from an address we asked; anything else is dropped undecoded.
        if peer not in self._peers:
            self.dropped_stranger += 1
            return
        try:
            request_id = response_request_id(data)
        except WireError:
            self.dropped_unmatched += 1
            return
        entry = self._pending.get(request_id)
        if entry is None or entry[1] != peer or entry[0].done():
            self.dropped_unmatched += 1
            return
        fut = entry[0]
        try:
            _rid, status, index, vbs = decode_response(data)
        except WireError:
            try:
                _rid, status, index, vbs = _decode_with_pysnmp(data)
                self.fallback_decodes += 1
            except Exception:  # garbage with a valid header is dropped, as an agent would
                self.dropped_unmatched += 1
                return
        fut.set_result((status, index, vbs))

    def receive_buffer_bytes(self) -> int | None:
        for sock in self._socks.values():
            return int(sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
        return None

    def close(self) -> None:
        for sock in self._socks.values():
            if self._loop is not None and not self._loop.is_closed():
                with contextlib.suppress(Exception):
                    self._loop.remove_reader(sock.fileno())
            sock.close()
        self._socks.clear()
        for fut, _addr in self._pending.values():
            if not fut.done():
                fut.cancel()
        self._pending.clear()
