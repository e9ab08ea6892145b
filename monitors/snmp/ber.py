"""The one BER codec for SNMP v1/v2c, shared by the lab agent and the fast path (wire.py)."""

from __future__ import annotations

from dataclasses import dataclass

# Universal and SNMP application tags.
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OBJECT_ID = 0x06
SEQUENCE = 0x30
IP_ADDRESS = 0x40
COUNTER32 = 0x41
GAUGE32 = 0x42
TIMETICKS = 0x43
OPAQUE = 0x44
COUNTER64 = 0x46
UINTEGER32 = 0x47
NO_SUCH_OBJECT = 0x80
NO_SUCH_INSTANCE = 0x81
END_OF_MIB_VIEW = 0x82

# PDU tags.
GET = 0xA0
GETNEXT = 0xA1
RESPONSE = 0xA2
SET = 0xA3
GETBULK = 0xA5

# Error statuses.
NO_ERROR = 0
TOO_BIG = 1
NO_SUCH_NAME = 2
GEN_ERR = 5
NOT_WRITABLE = 17
READ_ONLY = 4

VERSION_1 = 0
VERSION_2C = 1

Oid = tuple[int, ...]
# A value on the wire: (tag, payload) where payload is int, bytes, Oid or None.
Value = tuple[int, object]

_UNSIGNED = frozenset({COUNTER32, GAUGE32, TIMETICKS, COUNTER64})


class BerError(ValueError):
    """The datagram is not a well-formed SNMP v1/v2c message."""


@dataclass(slots=True)
class Request:
    version: int
    community: bytes
    pdu_type: int
    request_id: int
    non_repeaters: int  # error-status field in GET/GETNEXT
    max_repetitions: int  # error-index field in GET/GETNEXT
    oids: list[Oid]


# -- encoding -----------------------------------------------------------------------------


def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes((tag, n)) + body
    return bytes((tag,)) + encode_length(n) + body


def encode_int_body(value: int) -> bytes:
    """Two's complement, minimal length."""
    if value == 0:
        return b"\x00"
    n = (value + (value < 0)).bit_length() // 8 + 1
    return value.to_bytes(n, "big", signed=True)


def encode_unsigned_body(value: int) -> bytes:
    if value == 0:
        return b"\x00"
    n = value.bit_length() // 8 + 1
    return value.to_bytes(n, "big")


def encode_oid_body(oid: Oid) -> bytes:
    if len(oid) < 2:
        oid = (*oid, 0) if oid else (0, 0)
    first = oid[0] * 40 + oid[1]
    # The combined first arc is base-128 like the others once it reaches 128 (2.100 -> 180).
    out = bytearray((first,)) if first < 0x80 else bytearray(_base128(first))
    for arc in oid[2:]:
        if arc < 0x80:
            out.append(arc)
        else:
            out += _base128(arc)
    return bytes(out)


def _base128(arc: int) -> bytes:
    parts = [arc & 0x7F]
    arc >>= 7
    while arc:
        parts.append(0x80 | (arc & 0x7F))
        arc >>= 7
    return bytes(reversed(parts))


def encode_oid(oid: Oid) -> bytes:
    return tlv(OBJECT_ID, encode_oid_body(oid))


def encode_value(value: Value) -> bytes:
    tag, payload = value
    if tag == INTEGER:
        return tlv(INTEGER, encode_int_body(int(payload)))  # type: ignore[call-overload]
    if tag in (OCTET_STRING, OPAQUE):
        data = payload if isinstance(payload, bytes) else str(payload).encode()
        return tlv(tag, data)
    if tag in _UNSIGNED:
        limit = 0xFFFFFFFFFFFFFFFF if tag == COUNTER64 else 0xFFFFFFFF
        return tlv(tag, encode_unsigned_body(int(payload) & limit))  # type: ignore[call-overload]
    if tag == OBJECT_ID:
        return encode_oid(payload)  # type: ignore[arg-type]
    if tag == IP_ADDRESS:
        return tlv(IP_ADDRESS, payload)  # type: ignore[arg-type]
    # NULL and the v2c exceptions carry no body.
    return bytes((tag, 0))


def encode_response(
    version: int,
    community: bytes,
    request_id: int,
    error_status: int,
    error_index: int,
    varbinds: list[tuple[bytes, bytes]],
) -> bytes:
    """varbinds are (encoded OID TLV, encoded value TLV) pairs."""
    vbl = b"".join(tlv(SEQUENCE, name + val) for name, val in varbinds)
    pdu = (
        tlv(INTEGER, encode_int_body(request_id))
        + tlv(INTEGER, encode_int_body(error_status))
        + tlv(INTEGER, encode_int_body(error_index))
        + tlv(SEQUENCE, vbl)
    )
    msg = tlv(INTEGER, encode_int_body(version)) + tlv(OCTET_STRING, community) + tlv(RESPONSE, pdu)
    return tlv(SEQUENCE, msg)


def varbind_size(name: bytes, value: bytes) -> int:
    n = len(name) + len(value)
    return n + len(encode_length(n)) + 1


# -- decoding -----------------------------------------------------------------------------


def read_tlv(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """Returns (tag, body start, body end)."""
    if pos + 2 > end:
        raise BerError("truncated TLV header")
    tag = data[pos]
    n = data[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4 or pos + k > end:
            raise BerError("bad length")
        n = int.from_bytes(data[pos : pos + k], "big")
        pos += k
    if pos + n > end:
        raise BerError("length beyond datagram")
    return tag, pos, pos + n


def _expect(data: bytes, pos: int, end: int, tag: int) -> tuple[int, int]:
    got, start, stop = read_tlv(data, pos, end)
    if got != tag:
        raise BerError(f"expected tag 0x{tag:02x}, got 0x{got:02x}")
    return start, stop


def _int(data: bytes, start: int, stop: int) -> int:
    if start == stop or stop - start > 9:
        raise BerError("bad integer")
    return int.from_bytes(data[start:stop], "big", signed=True)


def decode_oid_body(body: bytes) -> Oid:
    if not body:
        raise BerError("empty OID")
    arcs: list[int] = []
    acc = 0
    for b in body:
        acc = (acc << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(acc)
            acc = 0
    if body[-1] & 0x80:
        raise BerError("truncated OID")
    first = arcs[0]
    if first < 40:
        head: tuple[int, ...] = (0, first)
    elif first < 80:
        head = (1, first - 40)
    else:
        head = (2, first - 80)
    return head + tuple(arcs[1:])


def decode_request(data: bytes) -> Request:
    end = len(data)
    start, stop = _expect(data, 0, end, SEQUENCE)
    v0, v1 = _expect(data, start, stop, INTEGER)
    version = _int(data, v0, v1)
    if version not in (VERSION_1, VERSION_2C):
        raise BerError(f"unsupported SNMP version {version}")
    c0, c1 = _expect(data, v1, stop, OCTET_STRING)
    community = data[c0:c1]
    pdu_type, p0, p1 = read_tlv(data, c1, stop)
    if pdu_type not in (GET, GETNEXT, GETBULK, SET):
        raise BerError(f"unsupported PDU 0x{pdu_type:02x}")
    r0, r1 = _expect(data, p0, p1, INTEGER)
    e0, e1 = _expect(data, r1, p1, INTEGER)
    i0, i1 = _expect(data, e1, p1, INTEGER)
    l0, l1 = _expect(data, i1, p1, SEQUENCE)
    oids: list[Oid] = []
    pos = l0
    while pos < l1:
        b0, b1 = _expect(data, pos, l1, SEQUENCE)
        o0, o1 = _expect(data, b0, b1, OBJECT_ID)
        oids.append(decode_oid_body(data[o0:o1]))
        pos = b1
    return Request(
        version=version,
        community=community,
        pdu_type=pdu_type,
        request_id=_int(data, r0, r1),
        non_repeaters=_int(data, e0, e1),
        max_repetitions=_int(data, i0, i1),
        oids=oids,
    )


def parse_oid(text: str) -> Oid:
    return tuple(int(p) for p in text.strip().strip(".").split("."))


def format_oid(oid: Oid) -> str:
    return ".".join(str(a) for a in oid)
