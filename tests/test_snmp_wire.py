"""The direct GET codec agrees with pysnmp's BER codec and never crashes on junk."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902

from monitors.snmp.fast import _decode_with_pysnmp
from monitors.snmp.values import to_python
from monitors.snmp.wire import GetTemplate, WireError, decode_response, encode_oid

P = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]


def _response(request_id: int, varbinds: list[tuple[str, Any]], status: int = 0) -> bytes:
    pdu = P.ResponsePDU()
    P.apiPDU.set_defaults(pdu)
    P.apiPDU.set_request_id(pdu, request_id)
    P.apiPDU.set_error_status(pdu, status)
    P.apiPDU.set_error_index(pdu, 1 if status else 0)
    P.apiPDU.set_varbinds(pdu, varbinds)
    msg = P.Message()
    P.apiMessage.set_defaults(msg)
    P.apiMessage.set_community(msg, "public")
    P.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


VALUES: list[tuple[str, Any]] = [
    ("1.3.6.1.2.1.1.1.0", rfc1902.OctetString(b"APC Web/SNMP\x00\x00")),
    ("1.3.6.1.2.1.1.2.0", rfc1902.ObjectName("1.3.6.1.4.1.318.1.3.4.5")),
    ("1.3.6.1.2.1.1.3.0", rfc1902.TimeTicks(4294967295)),
    ("1.3.6.1.4.1.1.1", rfc1902.Integer32(-410)),
    ("1.3.6.1.4.1.1.2", rfc1902.Counter32(4294967295)),
    ("1.3.6.1.4.1.1.3", rfc1902.Gauge32(0)),
    ("1.3.6.1.4.1.1.4", rfc1902.Counter64(18446744073709551615)),
    ("1.3.6.1.4.1.1.5", rfc1902.IpAddress("10.1.2.3")),
    ("1.3.6.1.4.1.1.6", P.NoSuchObject("")),
    ("1.3.6.1.4.1.1.7", P.NoSuchInstance("")),
    ("1.3.6.1.4.1.1.8", rfc1902.OctetString(b"\xff\xfe bad utf8")),
    ("1.3.6.1.4.1.99999.4294967295.0", rfc1902.Integer32(2147483647)),
]


def test_decode_matches_pysnmp_for_every_value_type() -> None:
    wire = _response(0x12345678, VALUES)
    request_id, status, index, vbs = decode_response(wire)
    assert (request_id, status, index) == (0x12345678, 0, 0)
    assert [o for o, _ in vbs] == [o for o, _ in VALUES]
    assert [v for _, v in vbs] == [to_python(v) for _, v in VALUES]
    assert _decode_with_pysnmp(wire)[3] == vbs


def test_error_status_and_index_are_reported() -> None:
    _rid, status, index, _vbs = decode_response(
        _response(7, [("1.3.6.1.2.1.1.1.0", P.Null(""))], status=5)
    )
    assert (status, index) == (5, 1)


def test_opaque_values_are_left_to_pysnmp() -> None:
    wire = _response(
        9, [("1.3.6.1.4.1.2021.10.1.6.1", rfc1902.Opaque(b"\x9f\x78\x04\x3f\x80\x00\x00"))]
    )
    try:
        decode_response(wire)
    except WireError:
        pass
    else:
        raise AssertionError("Opaque must fall back to pysnmp")
    assert _decode_with_pysnmp(wire)[0] == 9


def test_get_template_is_a_valid_get_request() -> None:
    oids = ["1.3.6.1.2.1.1.3.0", "1.3.6.1.4.1.318.1.1.26.4.3.1.5.1", "2.999.1"]
    wire = GetTemplate(1, "s3cret", oids).encode(0x7FFFFFFF)
    msg, rest = decoder.decode(wire, asn1Spec=P.Message())
    assert not rest
    assert str(P.apiMessage.get_community(msg)) == "s3cret"
    pdu = P.apiMessage.get_pdu(msg)
    assert int(P.apiPDU.get_request_id(pdu)) == 0x7FFFFFFF
    assert [str(o) for o, _v in P.apiPDU.get_varbinds(pdu)] == oids


def test_encode_oid_matches_pyasn1() -> None:
    for oid in ("1.3.6.1.2.1.1.1.0", "1.3.6.1.4.1.2021.4294967295.128.127", "2.100.3"):
        assert encode_oid(oid) == bytes(encoder.encode(rfc1902.ObjectName(oid)))


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_junk_raises_only_wire_error(data: bytes) -> None:
    with contextlib.suppress(WireError):
        decode_response(data)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_truncated_responses_never_crash(data: st.DataObject) -> None:
    wire = _response(1, VALUES)
    cut = data.draw(st.integers(min_value=0, max_value=len(wire) - 1))
    with contextlib.suppress(WireError):
        decode_response(wire[:cut])
