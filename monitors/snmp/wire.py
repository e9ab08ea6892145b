"""The fast path's shapes over the one BER codec (ber.py): GET requests, their responses.

pyasn1 builds a Python object per BER element, which makes it the whole cost of a poll
(about 1 ms per request, see DESIGN.md). A GET request and its response use a handful of
fixed shapes, so a direct codec for exactly those shapes cuts that cost several times.
Anything outside those shapes raises WireError and the caller falls back to pysnmp.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitors.snmp import ber
from monitors.snmp.values import OctetText, SnmpValue

_UNSIGNED = frozenset({ber.COUNTER32, ber.GAUGE32, ber.TIMETICKS, ber.COUNTER64, ber.UINTEGER32})
_EXCEPTIONS = frozenset({ber.NO_SUCH_OBJECT, ber.NO_SUCH_INSTANCE, ber.END_OF_MIB_VIEW, ber.NULL})

# One exception for the one codec: the caller decodes what this rejects with pysnmp instead.
WireError = ber.BerError
_tlv = ber.tlv
_int_body = ber.encode_int_body


def encode_oid(oid: str) -> bytes:
    """BER of one dotted OID (tag, length and body)."""
    try:
        arcs = ber.parse_oid(oid)
    except ValueError:
        raise ValueError(f"not a numeric OID: {oid!r}") from None
    if len(arcs) < 2:
        raise ValueError(f"not a numeric OID: {oid!r}")
    return ber.encode_oid(arcs)


class GetTemplate:
    """A GET of fixed OIDs for one community; only the request id changes between polls."""

    def __init__(self, version: int, community: str, oids: Sequence[str]) -> None:
        self.oids = tuple(oids)
        varbinds = b"".join(_tlv(ber.SEQUENCE, encode_oid(o) + b"\x05\x00") for o in self.oids)
        self._head = _tlv(ber.INTEGER, _int_body(version)) + _tlv(
            ber.OCTET_STRING, community.encode("utf-8")
        )
        # error-status, error-index and the varbind list never change.
        self._tail = b"\x02\x01\x00\x02\x01\x00" + _tlv(ber.SEQUENCE, varbinds)

    def encode(self, request_id: int) -> bytes:
        pdu = _tlv(ber.GET, _tlv(ber.INTEGER, _int_body(request_id)) + self._tail)
        return _tlv(ber.SEQUENCE, self._head + pdu)


def _read(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, body start, body end) of the TLV at pos."""
    return ber.read_tlv(data, pos, len(data))


def _decode_oid(body: bytes) -> str:
    return ber.format_oid(ber.decode_oid_body(body))


def _value(tag: int, body: bytes) -> SnmpValue:
    if tag == ber.INTEGER:
        return int.from_bytes(body, "big", signed=True)
    if tag in _UNSIGNED:
        return int.from_bytes(body, "big", signed=False)
    if tag == ber.OCTET_STRING:
        return OctetText(body)
    if tag in _EXCEPTIONS:
        return None
    if tag == ber.IP_ADDRESS:
        return ".".join(str(b) for b in body)
    if tag == ber.OBJECT_ID:
        return _decode_oid(body)
    raise WireError(f"value tag 0x{tag:02x} left to pysnmp")


def response_request_id(data: bytes) -> int:
    """The request id of a v1/v2c Response-PDU, reading only the message header.

    Cheap on purpose: the fast path checks it against its pending requests before paying
    for a full decode, so a flood of well-formed but unasked-for replies costs little.
    """
    tag, pos, _end = _read(data, 0)
    if tag != ber.SEQUENCE:
        raise WireError("not an SNMP message")
    tag, _s, pos = _read(data, pos)  # version
    if tag != ber.INTEGER:
        raise WireError("bad version")
    tag, _s, pos = _read(data, pos)  # community
    if tag != ber.OCTET_STRING:
        raise WireError("bad community")
    tag, pos, _pdu_end = _read(data, pos)
    if tag != ber.RESPONSE:
        raise WireError(f"PDU type 0x{tag:02x} is not a response")
    tag, s, e = _read(data, pos)
    if tag != ber.INTEGER or e - s > 5:
        raise WireError("bad request id")
    return int.from_bytes(data[s:e], "big", signed=True)


def decode_response(data: bytes) -> tuple[int, int, int, list[tuple[str, SnmpValue]]]:
    """(request id, error status, error index, varbinds) of a v1/v2c Response-PDU."""
    tag, pos, _end = _read(data, 0)
    if tag != ber.SEQUENCE:
        raise WireError("not an SNMP message")
    tag, s, e = _read(data, pos)  # version
    if tag != ber.INTEGER:
        raise WireError("bad version")
    tag, s, pos = _read(data, e)  # community
    if tag != ber.OCTET_STRING:
        raise WireError("bad community")
    tag, pos, _pdu_end = _read(data, pos)
    if tag != ber.RESPONSE:
        raise WireError(f"PDU type 0x{tag:02x} is not a response")
    fields = []
    for _ in range(3):
        tag, s, pos = _read(data, pos)
        if tag != ber.INTEGER:
            raise WireError("bad PDU header")
        fields.append(int.from_bytes(data[s:pos], "big", signed=True))
    tag, pos, vb_end = _read(data, pos)
    if tag != ber.SEQUENCE:
        raise WireError("bad varbind list")
    out: list[tuple[str, SnmpValue]] = []
    while pos < vb_end:
        tag, s, pos = _read(data, pos)
        if tag != ber.SEQUENCE:
            raise WireError("bad varbind")
        otag, os_, oe = _read(data, s)
        if otag != ber.OBJECT_ID:
            raise WireError("bad varbind name")
        vtag, vs, ve = _read(data, oe)
        out.append((_decode_oid(data[os_:oe]), _value(vtag, data[vs:ve])))
    return fields[0], fields[1], fields[2], out
