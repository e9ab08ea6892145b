"""Exceptions raised by the SNMP client, each naming the agent and what failed."""

from __future__ import annotations


class SnmpError(Exception):
    """An SNMP operation against host:port failed; str() is a complete operator-facing message."""

    def __init__(self, host: str, port: int, what: str) -> None:
        self.host = host
        self.port = port
        self.what = what
        super().__init__(f"{host}:{port}: {what}")


class SnmpTimeout(SnmpError):
    """No answer: agent down, unreachable, slow, or (v1/v2c) a wrong community string."""


class SnmpAuthError(SnmpError):
    """SNMPv3 security failure: unknown user, wrong auth or priv key, unsupported level."""


class SnmpProtocolError(SnmpError):
    """The agent answered with an error status or a malformed response."""


class SnmpConfigError(SnmpError):
    """The target or credential cannot be used (bad address, unknown protocol name)."""
