"""Fast BER encoding of v1/v2c GET requests and decoding of their responses.

pyasn1 builds a Python object per BER element, which makes it the whole cost of a poll
(about 1 ms per request, see DESIGN.md). A GET request and its response use a handful of
fixed shapes, so a direct codec for exactly those shapes cuts that cost several times.
Anything outside those shapes raises WireError and the caller falls back to pysnmp.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitors.snmp.values import OctetText, SnmpValue

_INTEGER = 0x02
_OCTET_STRING = 0x04
_NULL = 0x05
_OID = 0x06
_SEQUENCE = 0x30
_IP_ADDRESS = 0x40
_COUNTER32 = 0x41
_GAUGE32 = 0x42
_TIMETICKS = 0x43
_OPAQUE = 0x44
_COUNTER64 = 0x46
_UINTEGER32 = 0x47
_NO_SUCH_OBJECT = 0x80
_NO_SUCH_INSTANCE = 0x81
_END_OF_MIB_VIEW = 0x82
_GET = 0xA0
_RESPONSE = 0xA2

_UNSIGNED = frozenset({_COUNTER32, _GAUGE32, _TIMETICKS, _COUNTER64, _UINTEGER32})
_EXCEPTIONS = frozenset({_NO_SUCH_OBJECT, _NO_SUCH_INSTANCE, _END_OF_MIB_VIEW, _NULL})


class WireError(ValueError):
    """Not a response this codec understands (the caller decodes it with pysnmp instead)."""


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes((tag,)) + _length(len(body)) + body


def _int_body(value: int) -> bytes:
    return value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True)


def encode_oid(oid: str) -> bytes:
    """BER of one dotted OID (tag, length and body)."""
    arcs = [int(p) for p in oid.strip().lstrip(".").split(".")]
    if len(arcs) < 2:
        raise ValueError(f"not a numeric OID: {oid!r}")
    out = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return _tlv(_OID, bytes(out))


class GetTemplate:
    """A GET of fixed OIDs for one community; only the request id changes between polls."""

    def __init__(self, version: int, community: str, oids: Sequence[str]) -> None:
        self.oids = tuple(oids)
        varbinds = b"".join(_tlv(_SEQUENCE, encode_oid(o) + b"\x05\x00") for o in self.oids)
        self._head = _tlv(_INTEGER, _int_body(version)) + _tlv(
            _OCTET_STRING, community.encode("utf-8")
        )
        # error-status, error-index and the varbind list never change.
        self._tail = b"\x02\x01\x00\x02\x01\x00" + _tlv(_SEQUENCE, varbinds)

    def encode(self, request_id: int) -> bytes:
        pdu = _tlv(_GET, _tlv(_INTEGER, _int_body(request_id)) + self._tail)
        return _tlv(_SEQUENCE, self._head + pdu)


def _read(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, body start, body end) of the TLV at pos."""
    try:
        tag = data[pos]
        n = data[pos + 1]
    except IndexError:
        raise WireError("truncated BER") from None
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4:
            raise WireError("unsupported BER length")
        n = int.from_bytes(data[pos : pos + k], "big")
        pos += k
    end = pos + n
    if end > len(data):
        raise WireError("truncated BER")
    return tag, pos, end


def _decode_oid(body: bytes) -> str:
    arcs: list[int] = []
    value = 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if not arcs:
        raise WireError("empty OID")
    first = arcs[0]
    head = (0, first) if first < 40 else ((1, first - 40) if first < 80 else (2, first - 80))
    return ".".join(map(str, (*head, *arcs[1:])))


def _value(tag: int, body: bytes) -> SnmpValue:
    if tag == _INTEGER:
        return int.from_bytes(body, "big", signed=True)
    if tag in _UNSIGNED:
        return int.from_bytes(body, "big", signed=False)
    if tag == _OCTET_STRING:
        return OctetText(body)
    if tag in _EXCEPTIONS:
        return None
    if tag == _IP_ADDRESS:
        return ".".join(str(b) for b in body)
    if tag == _OID:
        return _decode_oid(body)
    raise WireError(f"value tag 0x{tag:02x} left to pysnmp")


def response_request_id(data: bytes) -> int:
    """The request id of a v1/v2c Response-PDU, reading only the message header.

    Cheap on purpose: the fast path checks it against its pending requests before paying
    for a full decode, so a flood of well-formed but unasked-for replies costs little.
    """
    tag, pos, _end = _read(data, 0)
    if tag != _SEQUENCE:
        raise WireError("not an SNMP message")
    tag, _s, pos = _read(data, pos)  # version
    if tag != _INTEGER:
        raise WireError("bad version")
    tag, _s, pos = _read(data, pos)  # community
    if tag != _OCTET_STRING:
        raise WireError("bad community")
    tag, pos, _pdu_end = _read(data, pos)
    if tag != _RESPONSE:
        raise WireError(f"PDU type 0x{tag:02x} is not a response")
    tag, s, e = _read(data, pos)
    if tag != _INTEGER or e - s > 5:
        raise WireError("bad request id")
    return int.from_bytes(data[s:e], "big", signed=True)


def decode_response(data: bytes) -> tuple[int, int, int, list[tuple[str, SnmpValue]]]:
    """(request id, error status, error index, varbinds) of a v1/v2c Response-PDU."""
    tag, pos, _end = _read(data, 0)
    if tag != _SEQUENCE:
        raise WireError("not an SNMP message")
    tag, s, e = _read(data, pos)  # version
    if tag != _INTEGER:
        raise WireError("bad version")
    tag, s, pos = _read(data, e)  # community
    if tag != _OCTET_STRING:
        raise WireError("bad community")
    tag, pos, _pdu_end = _read(data, pos)
    if tag != _RESPONSE:
        raise WireError(f"PDU type 0x{tag:02x} is not a response")
    fields = []
    for _ in range(3):
        tag, s, pos = _read(data, pos)
        if tag != _INTEGER:
            raise WireError("bad PDU header")
        fields.append(int.from_bytes(data[s:pos], "big", signed=True))
    tag, pos, vb_end = _read(data, pos)
    if tag != _SEQUENCE:
        raise WireError("bad varbind list")
    out: list[tuple[str, SnmpValue]] = []
    while pos < vb_end:
        tag, s, pos = _read(data, pos)
        if tag != _SEQUENCE:
            raise WireError("bad varbind")
        otag, os_, oe = _read(data, s)
        if otag != _OID:
            raise WireError("bad varbind name")
        vtag, vs, ve = _read(data, oe)
        out.append((_decode_oid(data[os_:oe]), _value(vtag, data[vs:ve])))
    return fields[0], fields[1], fields[2], out
