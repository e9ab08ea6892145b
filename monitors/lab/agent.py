"""SNMP v1/v2c agent on asyncio UDP: one loopback address:port per simulated device."""

from __future__ import annotations

import asyncio
import logging
import resource
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from monitors.lab.devices import SimDevice
from monitors.lab.mib import Mib
from monitors.snmp import ber

log = logging.getLogger(__name__)

# GETBULK answers are cut to fit this many bytes of varbinds (agents cap their PDU size too).
BULK_BUDGET = 4000
# A GET/GETNEXT whose answer is bigger than this gets tooBig, as from a real agent.
MAX_RESPONSE = 16_000
MAX_REPETITIONS = 256


@dataclass
class AgentStats:
    requests: int = 0
    responses: int = 0
    dropped_bad: int = 0
    dropped_community: int = 0
    dropped_down: int = 0


def raise_fd_limit(wanted: int) -> int:
    """Raise the soft open-files limit towards wanted (one socket per device); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(hard, max(soft, wanted))
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def answer(
    dev: SimDevice, req: ber.Request, now: float, stats: AgentStats | None = None
) -> bytes | None:
    """The response datagram for one decoded request, or None to stay silent."""
    v1 = req.version == ber.VERSION_1
    if req.pdu_type == ber.GETBULK and v1:
        return None
    mib = dev.mib
    ctx = dev.context(now)
    names = mib.names
    getters = mib.getters
    size = len(mib)
    out: list[tuple[bytes, bytes]] = []
    err, err_idx = ber.NO_ERROR, 0

    def value_at(i: int) -> bytes:
        return ber.encode_value(getters[i](ctx))

    try:
        if req.pdu_type == ber.GET:
            for n, oid in enumerate(req.oids, 1):
                i = mib.exact(oid)
                if i >= 0:
                    out.append((names[i], value_at(i)))
                elif v1:
                    err, err_idx = ber.NO_SUCH_NAME, n
                    break
                else:
                    out.append((ber.encode_oid(oid), bytes((_missing(oid), 0))))
        elif req.pdu_type == ber.GETNEXT:
            for n, oid in enumerate(req.oids, 1):
                i = mib.next_after(oid)
                if i < size:
                    out.append((names[i], value_at(i)))
                elif v1:
                    err, err_idx = ber.NO_SUCH_NAME, n
                    break
                else:
                    out.append((ber.encode_oid(oid), bytes((ber.END_OF_MIB_VIEW, 0))))
        elif req.pdu_type == ber.GETBULK:
            out = _bulk(mib, req, value_at)
        else:  # SET: everything in the lab is read-only
            err = ber.READ_ONLY if v1 else ber.NOT_WRITABLE
            err_idx = 1
    except Exception:  # a broken getter must not take the agent down
        log.exception("lab device %s failed to answer", dev.name)
        err, err_idx, out = ber.GEN_ERR, 1, []
    if err != ber.NO_ERROR:
        # Errors echo the request's varbinds with NULL values.
        out = [(ber.encode_oid(o), b"\x05\x00") for o in req.oids]
    msg = ber.encode_response(req.version, req.community, req.request_id, err, err_idx, out)
    if len(msg) > MAX_RESPONSE:
        empty: list[tuple[bytes, bytes]] = []
        msg = ber.encode_response(req.version, req.community, req.request_id, ber.TOO_BIG, 0, empty)
    if stats is not None:
        stats.responses += 1
    return msg


def _missing(oid: ber.Oid) -> int:
    # A scalar instance (.0) that is absent reads as noSuchInstance, anything else noSuchObject.
    return ber.NO_SUCH_INSTANCE if oid and oid[-1] == 0 else ber.NO_SUCH_OBJECT


def _bulk(
    mib: Mib, req: ber.Request, value_at: Callable[[int], bytes]
) -> list[tuple[bytes, bytes]]:
    size = len(mib)
    names = mib.names
    non_rep = max(0, min(req.non_repeaters, len(req.oids)))
    reps = max(0, min(req.max_repetitions, MAX_REPETITIONS))
    out: list[tuple[bytes, bytes]] = []
    budget = BULK_BUDGET
    eom = bytes((ber.END_OF_MIB_VIEW, 0))
    for oid in req.oids[:non_rep]:
        i = mib.next_after(oid)
        vb = (names[i], value_at(i)) if i < size else (ber.encode_oid(oid), eom)
        out.append(vb)
        budget -= ber.varbind_size(*vb)
    cursors = [mib.next_after(o) for o in req.oids[non_rep:]]
    starts = req.oids[non_rep:]
    for _ in range(reps):
        if not cursors:
            break
        row: list[tuple[bytes, bytes]] = []
        all_end = True
        for k, i in enumerate(cursors):
            if i < size:
                vb = (names[i], value_at(i))
                cursors[k] = i + 1
                all_end = False
            else:
                vb = (ber.encode_oid(starts[k]), eom)
            row.append(vb)
        cost = sum(ber.varbind_size(*vb) for vb in row)
        if cost > budget and out:
            break
        budget -= cost
        out.extend(row)
        if all_end:
            break
    return out


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, agent: SnmpAgent, dev: SimDevice) -> None:
        self.agent = agent
        self.dev = dev
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = self.agent.handle(self.dev, data)
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)


class SnmpAgent:
    """Serves every SimDevice on its own UDP port of 127.0.0.1 with one community string."""

    def __init__(
        self,
        devices: list[SimDevice],
        community: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.devices = devices
        self.community = community.encode()
        self.clock = clock
        self.stats = AgentStats()
        self._transports: list[asyncio.DatagramTransport] = []

    def handle(self, dev: SimDevice, data: bytes) -> bytes | None:
        st = self.stats
        st.requests += 1
        try:
            req = ber.decode_request(data)
        except ber.BerError:
            st.dropped_bad += 1
            return None
        if req.community != self.community:
            st.dropped_community += 1  # real agents stay silent on a wrong community
            return None
        now = self.clock()
        if dev.down_fn(now):
            st.dropped_down += 1
            return None
        return answer(dev, req, now, st)

    async def start(self) -> None:
        """Bind every device on its topology address and port (0 = any free port)."""
        raise_fd_limit(len(self.devices) + 1024)
        loop = asyncio.get_running_loop()
        for dev in self.devices:
            address, port = dev.obj.address, dev.obj.port
            if not address.startswith("127."):
                raise OSError(f"lab device {dev.name}: {address} is not a loopback address")
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
                sock.bind((address, port))
            except OSError as exc:
                sock.close()
                raise OSError(
                    f"lab SNMP agent cannot bind UDP {address}:{port} for {dev.name}: {exc}"
                ) from exc
            dev.port = dev.obj.port = sock.getsockname()[1]
            transport, _ = await loop.create_datagram_endpoint(
                lambda d=dev: _Protocol(self, d),  # type: ignore[misc]
                sock=sock,
            )
            self._transports.append(transport)

    def close(self) -> None:
        for tr in self._transports:
            tr.close()
        self._transports.clear()
