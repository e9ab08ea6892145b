"""OID trees of simulated devices: layouts shared by equal shapes, values computed on read."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from monitors.snmp import ber
from monitors.snmp.ber import Oid, Value

Getter = Callable[[Any], Value]


# -- value constructors (what a getter returns) ------------------------------------------


def integer(v: float) -> Value:
    return (ber.INTEGER, round(v))


def gauge(v: float) -> Value:
    return (ber.GAUGE32, max(0, round(v)))


def counter32(v: float) -> Value:
    return (ber.COUNTER32, int(v) & 0xFFFFFFFF)


def counter64(v: float) -> Value:
    return (ber.COUNTER64, int(v) & 0xFFFFFFFFFFFFFFFF)


def timeticks(v: float) -> Value:
    return (ber.TIMETICKS, int(v) & 0xFFFFFFFF)


def octets(s: str | bytes) -> Value:
    return (ber.OCTET_STRING, s if isinstance(s, bytes) else s.encode("utf-8"))


def objid(s: str | Oid) -> Value:
    return (ber.OBJECT_ID, ber.parse_oid(s) if isinstance(s, str) else s)


def ipaddr(s: str) -> Value:
    return (ber.IP_ADDRESS, bytes(int(p) for p in s.split(".")))


def const(v: Value) -> Getter:
    return lambda _ctx: v


@dataclass
class Mib:
    """Sorted OIDs with their pre-encoded names and value getters."""

    oids: list[Oid]
    names: list[bytes]
    getters: list[Getter]
    index: dict[Oid, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = {o: i for i, o in enumerate(self.oids)}

    def __len__(self) -> int:
        return len(self.oids)

    def exact(self, oid: Oid) -> int:
        return self.index.get(oid, -1)

    def next_after(self, oid: Oid) -> int:
        """Index of the first OID strictly after oid, or len() at the end of the view."""
        return bisect.bisect_right(self.oids, oid)

    def walk(self, ctx: Any) -> list[tuple[Oid, Value]]:
        return [(o, g(ctx)) for o, g in zip(self.oids, self.getters, strict=True)]


class MibBuilder:
    def __init__(self) -> None:
        self._entries: dict[Oid, Getter] = {}

    def add(self, oid: str | Oid, getter: Getter | Value) -> None:
        key = ber.parse_oid(oid) if isinstance(oid, str) else oid
        self._entries[key] = getter if callable(getter) else const(getter)

    def table(
        self,
        entry: str,
        columns: dict[int, Callable[[Any, Any], Value] | Value],
        rows: Sequence[tuple[Sequence[int], Any]],
    ) -> None:
        """Add a conceptual table: entry OID, column -> getter(ctx, row key), rows (index, key)."""
        base = ber.parse_oid(entry)
        for col, fn in columns.items():
            for idx, key in rows:
                oid: Oid = (*base, col, *idx)
                if callable(fn):
                    self._entries[oid] = _bind(fn, key)
                else:
                    self._entries[oid] = const(fn)

    def build(self) -> Mib:
        oids = sorted(self._entries)
        return Mib(
            oids=oids,
            names=[ber.encode_oid(o) for o in oids],
            getters=[self._entries[o] for o in oids],
        )


def _bind(fn: Callable[[Any, Any], Value], key: Any) -> Getter:
    return lambda ctx: fn(ctx, key)
