"""Conversion of pysnmp/pyasn1 values into plain Python values, and OID helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyasn1.type import univ
from pysnmp.proto import rfc1902

# What the client hands out: integers for every integer-like SNMP type (Integer32, Counter32,
# Gauge32, TimeTicks, Counter64), text for OCTET STRING and IpAddress, dotted text for OIDs and
# None where the agent has no value (noSuchObject, noSuchInstance, endOfMibView, NULL).
SnmpValue = int | float | str | None


def oid_str(oid: str) -> str:
    """Normalise an OID to the dotted form without a leading dot ("1.3.6.1...")."""
    return oid.strip().lstrip(".")


def oid_tuple(oid: str) -> tuple[int, ...]:
    """Parse a dotted OID into integers, raising ValueError naming the OID if it is not one."""
    text = oid_str(oid)
    try:
        parts = tuple(int(p) for p in text.split("."))
    except ValueError:
        raise ValueError(f"not a numeric OID: {oid!r}") from None
    if len(parts) < 2 or any(p < 0 for p in parts):
        raise ValueError(f"not a numeric OID: {oid!r}")
    return parts


class OctetText(str):
    """Text of an OCTET STRING that keeps its bytes, for BITS values such as enabled flags."""

    raw: bytes

    def __new__(cls, data: bytes) -> OctetText:
        # Agents pad strings with NULs and mix encodings; decoding must never fail.
        obj = super().__new__(cls, data.rstrip(b"\x00").decode("utf-8", "replace"))
        obj.raw = data
        return obj


def octet_bytes(value: object) -> bytes:
    """The bytes of an OCTET STRING value (its text encoded again when the bytes are gone)."""
    raw = getattr(value, "raw", None)
    if isinstance(raw, bytes):
        return raw
    return b"" if value is None else str(value).encode("utf-8", "replace")


def _text(value: Any) -> str:
    return OctetText(bytes(value))


def _ip(value: Any) -> str:
    return ".".join(str(b) for b in bytes(value))


def _int(value: Any) -> int:
    return int(value)


def _oid(value: Any) -> str:
    return str(value)


def _none(_value: Any) -> None:
    return None


_CONVERTERS: dict[type, Callable[[Any], SnmpValue]] = {}


def _converter_for(cls: type) -> Callable[[Any], SnmpValue]:
    if issubclass(cls, univ.Null):  # noSuchObject, noSuchInstance, endOfMibView are Nulls
        return _none
    if issubclass(cls, rfc1902.IpAddress):
        return _ip
    if issubclass(cls, univ.Integer):
        return _int
    if issubclass(cls, univ.OctetString):
        return _text
    if issubclass(cls, univ.ObjectIdentifier):
        return _oid
    return lambda v: str(v.prettyPrint()) if hasattr(v, "prettyPrint") else str(v)


def to_python(value: Any) -> SnmpValue:
    """Convert one pysnmp value; unknown types become their printed text rather than failing."""
    cls = value.__class__
    conv = _CONVERTERS.get(cls)
    if conv is None:
        conv = _CONVERTERS[cls] = _converter_for(cls)
    try:
        return conv(value)
    except Exception:  # a malformed value from the agent must not end the poll
        return None


def is_end_of_mib(value: Any) -> bool:
    return bool(value.__class__.__name__ == "EndOfMibView")
