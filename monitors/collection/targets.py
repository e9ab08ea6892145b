"""How to reach a device: address plus protocol credentials (never stored in the database)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

AuthProto = Literal["none", "md5", "sha", "sha224", "sha256", "sha384", "sha512"]
PrivProto = Literal["none", "des", "aes", "aes128", "aes192", "aes256"]


@dataclass(frozen=True, slots=True)
class SnmpCredential:
    version: Literal["1", "2c", "3"] = "2c"
    community: str = "public"
    user: str = ""
    auth_proto: AuthProto = "none"
    auth_key: str = ""
    priv_proto: PrivProto = "none"
    priv_key: str = ""
    context: str = ""

    def __repr__(self) -> str:  # keeps secrets out of logs and tracebacks
        return f"SnmpCredential(version={self.version!r}, user={self.user!r})"


@dataclass(frozen=True, slots=True)
class SshCredential:
    user: str
    password: str = ""
    key_file: str = ""  # path to a private key
    key_passphrase: str = ""

    def __repr__(self) -> str:
        return f"SshCredential(user={self.user!r}, key_file={self.key_file!r})"


@dataclass(frozen=True, slots=True)
class SnmpTarget:
    host: str
    port: int = 161
    credential: SnmpCredential = SnmpCredential()
    timeout_s: float = 2.0
    retries: int = 1
    max_varbinds: int = 24  # varbinds per request; split further if the agent says tooBig


@dataclass(frozen=True, slots=True)
class SshTarget:
    host: str
    port: int = 22
    credential: SshCredential | None = None
    known_hosts: str = ""  # path of the known_hosts file checked with RejectPolicy
    timeout_s: float = 5.0


@dataclass(frozen=True, slots=True)
class RedfishCredential:
    """A BMC account plus how to trust its certificate (trust travels with the secret)."""

    user: str
    password: str = ""
    ca_file: str = ""  # PEM bundle the BMC certificate must chain to
    fingerprint: str = ""  # pinned SHA-256 of the BMC certificate (hex, colons optional)
    allow_http: bool = False  # plain http:// only for labs and tests

    def __repr__(self) -> str:
        return f"RedfishCredential(user={self.user!r}, fingerprint={self.fingerprint!r})"


@dataclass(frozen=True, slots=True)
class RedfishTarget:
    url: str  # https://host[:port] (the service root /redfish/v1 is appended)
    credential: RedfishCredential
    timeout_s: float = 10.0  # BMCs are slow; one request, not the whole poll
