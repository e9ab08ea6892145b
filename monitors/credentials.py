"""Named SNMP, SSH and Redfish credentials in the system keyring or a 0600 file; never in the DB."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import logging
import os
import stat
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import yaml

from models.paths import config_dir
from monitors.collection.targets import RedfishCredential, SnmpCredential, SshCredential

log = logging.getLogger(__name__)

Credential = SnmpCredential | SshCredential | RedfishCredential

KINDS = ("snmp", "ssh", "redfish")
SERVICE = "rackwatch"  # keyring service name
INDEX_KEY = "__rackwatch_index__"  # keyring entry listing the names (keyrings cannot list)
FILE_NAME = "credentials.json"
BACKEND_ENV = "RACKWATCH_CREDENTIALS"  # "keyring", "file" or unset (keyring when usable)
MAX_IMPORT_BYTES = 1 << 20
FILE_FORMAT = 1

SNMP_FIELDS = tuple(f.name for f in dataclasses.fields(SnmpCredential))
SSH_FIELDS = tuple(f.name for f in dataclasses.fields(SshCredential))
REDFISH_FIELDS = tuple(f.name for f in dataclasses.fields(RedfishCredential))
_FIELDS = {"snmp": SNMP_FIELDS, "ssh": SSH_FIELDS, "redfish": REDFISH_FIELDS}
SECRET_FIELDS = frozenset({"community", "auth_key", "priv_key", "password", "key_passphrase"})
AUTH_PROTOS = ("none", "md5", "sha", "sha224", "sha256", "sha384", "sha512")
PRIV_PROTOS = ("none", "des", "aes", "aes128", "aes192", "aes256")
VERSIONS = ("1", "2c", "3")


class CredentialError(LookupError):
    """A credential is missing, invalid or cannot be stored; the message names it and where."""


# -- records: the one serialised form for keyring, file and import ----------------------------


_KIND_NAMES = {"snmp": "SNMP", "ssh": "SSH", "redfish": "Redfish"}
_KIND_TEXT = {"snmp": "an SNMP", "ssh": "an SSH", "redfish": "a Redfish"}


def kind_of(cred: Credential) -> str:
    if isinstance(cred, RedfishCredential):
        return "redfish"
    return "snmp" if isinstance(cred, SnmpCredential) else "ssh"


def to_record(cred: Credential) -> dict[str, str]:
    """The fields that matter for this credential (no v2c community on a v3 user, no 'none')."""
    record = {"kind": kind_of(cred)}
    skip: set[str] = set()
    if isinstance(cred, SnmpCredential):
        v3 = ("user", "auth_proto", "auth_key", "priv_proto", "priv_key", "context")
        skip = {"community"} if cred.version == "3" else set(v3)
    for key, value in dataclasses.asdict(cred).items():
        if value is False:
            continue
        if key not in skip and value not in ("", "none", None):
            record[key] = "true" if value is True else str(value)
    return record


def describe(cred: Credential) -> dict[str, str]:
    """The non-secret fields of a credential, with secrets shown only as set or not."""
    record = to_record(cred)
    return {
        key: ("(set)" if key in SECRET_FIELDS else value)
        for key, value in record.items()
        if key not in SECRET_FIELDS or value
    }


def _scalar(value: object, where: str, key: str) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        raise CredentialError(f"{where}: {key} must be a string, not {type(value).__name__}")
    return str(value)


def from_record(record: Mapping[str, Any], where: str, base_dir: Path | None = None) -> Credential:
    """Build and validate a credential from a mapping; where names it in error messages."""
    if not isinstance(record, Mapping):
        raise CredentialError(f"{where}: expected a mapping of fields, got {type(record).__name__}")
    kind = str(record.get("kind", "")).strip().lower()
    if kind not in KINDS:
        raise CredentialError(f"{where}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    allowed = _FIELDS[kind]
    unknown = sorted(str(k) for k in record if k != "kind" and k not in allowed)
    if unknown:
        raise CredentialError(
            f"{where}: unknown field(s) {', '.join(unknown)} for kind {kind} "
            f"(expected {', '.join(allowed)})"
        )
    values = {
        str(k): _flag(v) if k == "allow_http" else _scalar(v, where, str(k))
        for k, v in record.items()
        if k != "kind"
    }
    if kind == "snmp":
        return _snmp(values, where)
    if kind == "redfish":
        return _redfish(values, where, base_dir)
    return _ssh(values, where, base_dir)


def _flag(value: object) -> str:
    return str(value).strip().lower() if isinstance(value, bool | str | int) else repr(value)


def _redfish(values: dict[str, str], where: str, base_dir: Path | None) -> RedfishCredential:
    from monitors.redfish.client import normalize_fingerprint

    user = values.get("user", "")
    if not user:
        raise CredentialError(f"{where}: Redfish credential needs a user")
    flag = values.get("allow_http", "false")
    if flag not in ("true", "false", "yes", "no", "1", "0"):
        raise CredentialError(f"{where}: allow_http must be true or false, got {flag!r}")
    fingerprint = values.get("fingerprint", "")
    if fingerprint:
        try:
            fingerprint = normalize_fingerprint(fingerprint)
        except ValueError as exc:
            raise CredentialError(f"{where}: {exc}") from None
    ca_file = values.get("ca_file", "")
    if ca_file:
        path = Path(ca_file).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        ca_file = str(path)
    return RedfishCredential(
        user=user,
        password=values.get("password", ""),
        ca_file=ca_file,
        fingerprint=fingerprint,
        allow_http=flag in ("true", "yes", "1"),
    )


def _snmp(values: dict[str, str], where: str) -> SnmpCredential:
    version = values.get("version", "2c").strip().lower().removeprefix("v")
    if version not in VERSIONS:
        raise CredentialError(f"{where}: version must be 1, 2c or 3, got {version!r}")
    auth = values.get("auth_proto", "none").strip().lower().replace("-", "")
    priv = values.get("priv_proto", "none").strip().lower().replace("-", "")
    if auth not in AUTH_PROTOS:
        raise CredentialError(f"{where}: auth_proto must be one of {', '.join(AUTH_PROTOS)}")
    if priv not in PRIV_PROTOS:
        raise CredentialError(f"{where}: priv_proto must be one of {', '.join(PRIV_PROTOS)}")
    if version in ("1", "2c"):
        if not values.get("community"):
            raise CredentialError(f"{where}: SNMP v{version} needs a community")
        return SnmpCredential(version=version, community=values["community"])  # type: ignore[arg-type]
    user = values.get("user", "")
    if not user:
        raise CredentialError(f"{where}: SNMPv3 needs a user")
    if priv != "none" and auth == "none":
        raise CredentialError(f"{where}: SNMPv3 privacy (priv_proto) needs authentication too")
    for proto, key_field in ((auth, "auth_key"), (priv, "priv_key")):
        key = values.get(key_field, "")
        if proto != "none" and len(key) < 8:
            # RFC 3414 password-to-key needs at least 8 characters; agents reject shorter ones.
            raise CredentialError(f"{where}: {key_field} must be at least 8 characters")
    return SnmpCredential(
        version="3",
        user=user,
        auth_proto=auth,  # type: ignore[arg-type]
        auth_key=values.get("auth_key", "") if auth != "none" else "",
        priv_proto=priv,  # type: ignore[arg-type]
        priv_key=values.get("priv_key", "") if priv != "none" else "",
        context=values.get("context", ""),
    )


def _ssh(values: dict[str, str], where: str, base_dir: Path | None) -> SshCredential:
    user = values.get("user", "")
    if not user:
        raise CredentialError(f"{where}: SSH credential needs a user")
    key_file = values.get("key_file", "")
    if key_file:
        path = Path(key_file).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        key_file = str(path)
    if not key_file and not values.get("password"):
        raise CredentialError(f"{where}: SSH credential needs a password or a key_file")
    return SshCredential(
        user=user,
        password=values.get("password", ""),
        key_file=key_file,
        key_passphrase=values.get("key_passphrase", ""),
    )


# -- stores -----------------------------------------------------------------------------------


class CredentialStore(Protocol):
    backend: str
    location: str

    def names(self) -> list[str]: ...

    def get(self, name: str) -> Credential: ...

    def set(self, name: str, cred: Credential) -> None: ...

    def delete(self, name: str) -> bool: ...


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200 or name == INDEX_KEY or any(c in name for c in "\n\r\0"):
        raise CredentialError(f"invalid credential name {name!r}")
    return name


class FileStore:
    """Credentials in one JSON file that only its owner may read (mode 0600)."""

    backend = "file"

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / FILE_NAME
        self.location = str(self.path)

    def _check_mode(self) -> None:
        st = self.path.stat()
        if st.st_mode & 0o077:
            raise CredentialError(
                f"{self.path}: credentials file is accessible by other users "
                f"(mode {stat.S_IMODE(st.st_mode):04o}); refusing to read it. "
                f"Fix with: chmod 600 {self.path}"
            )
        if st.st_uid != os.geteuid():
            raise CredentialError(
                f"{self.path}: credentials file belongs to uid {st.st_uid}, not to this user "
                f"(uid {os.geteuid()}); refusing to read it"
            )

    def _load(self) -> dict[str, dict[str, str]]:
        if not self.path.exists():
            return {}
        self._check_mode()
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CredentialError(f"{self.path}: credentials file is unreadable ({exc})") from None
        creds = doc.get("credentials") if isinstance(doc, dict) else None
        if not isinstance(creds, dict):
            raise CredentialError(f"{self.path}: not a RackWatch credentials file")
        return creds

    def _save(self, creds: dict[str, dict[str, str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"format": FILE_FORMAT, "credentials": dict(sorted(creds.items()))}
        # mkstemp creates the file 0600 from the start, so no secret is ever world-readable.
        fd, tmp = tempfile.mkstemp(prefix=".credentials-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(doc, f, indent=1)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def names(self) -> list[str]:
        return sorted(self._load())

    def get(self, name: str) -> Credential:
        record = self._load().get(name)
        if record is None:
            raise CredentialError(f"no credential named {name!r} in {self.location}")
        return from_record(record, f"{self.path}: credential {name!r}")

    def set(self, name: str, cred: Credential) -> None:
        name = _check_name(name)
        with self._locked():
            creds = self._load()
            creds[name] = to_record(cred)
            self._save(creds)

    def delete(self, name: str) -> bool:
        with self._locked():
            creds = self._load()
            if creds.pop(name, None) is None:
                return False
            self._save(creds)
            return True


class KeyringStore:
    """Credentials in the system keyring (Secret Service, macOS Keychain, Windows vault)."""

    backend = "keyring"

    def __init__(self, service: str = SERVICE) -> None:
        import keyring

        self._keyring = keyring
        self.service = service
        self.location = f"keyring {keyring.get_keyring().__class__.__name__} ({service})"

    def _call(self, what: str, func: Any, *args: str) -> Any:
        try:
            return func(self.service, *args)
        except Exception as exc:  # backends raise their own types (dbus, locked keychain)
            raise CredentialError(f"{self.location}: cannot {what} ({exc})") from None

    def names(self) -> list[str]:
        raw = self._call("read the index", self._keyring.get_password, INDEX_KEY)
        try:
            names = json.loads(raw) if raw else []
        except ValueError:
            raise CredentialError(f"{self.location}: the name index is damaged") from None
        return sorted(str(n) for n in names) if isinstance(names, list) else []

    def get(self, name: str) -> Credential:
        raw = self._call(f"read {name!r}", self._keyring.get_password, name)
        if raw is None:
            raise CredentialError(f"no credential named {name!r} in {self.location}")
        try:
            record = json.loads(raw)
        except ValueError:
            raise CredentialError(f"{self.location}: credential {name!r} is damaged") from None
        return from_record(record, f"{self.location}: credential {name!r}")

    def set(self, name: str, cred: Credential) -> None:
        name = _check_name(name)
        self._call(f"store {name!r}", self._keyring.set_password, name, json.dumps(to_record(cred)))
        names = set(self.names()) | {name}
        self._call(
            "update the index", self._keyring.set_password, INDEX_KEY, json.dumps(sorted(names))
        )

    def delete(self, name: str) -> bool:
        names = set(self.names())
        existed = name in names
        with contextlib.suppress(CredentialError):
            self._call(f"delete {name!r}", self._keyring.delete_password, name)
        names.discard(name)
        self._call(
            "update the index", self._keyring.set_password, INDEX_KEY, json.dumps(sorted(names))
        )
        return existed


def keyring_usable() -> bool:
    """True when a real keyring backend is configured (headless boxes usually have none)."""
    try:
        import keyring
        from keyring.backends import chainer, fail

        backend = keyring.get_keyring()
    except Exception:
        return False
    if isinstance(backend, fail.Keyring) or type(backend).__module__.endswith("null"):
        return False
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return False
    priority = getattr(backend, "priority", 1)
    return not (isinstance(priority, int | float) and priority <= 0)


def open_store(backend: str | None = None, path: Path | None = None) -> CredentialStore:
    """The credential store: backend "keyring", "file", or None for $RACKWATCH_CREDENTIALS/auto."""
    choice = (backend or os.environ.get(BACKEND_ENV) or "auto").strip().lower()
    if choice == "file" or path is not None:
        return FileStore(path)
    if choice == "keyring":
        if not keyring_usable():
            raise CredentialError("no usable system keyring backend (use the file store instead)")
        return KeyringStore()
    if choice != "auto":
        raise CredentialError(f"{BACKEND_ENV} must be keyring, file or auto, got {choice!r}")
    if keyring_usable():
        return KeyringStore()
    log.debug("no usable keyring backend; using the credentials file")
    return FileStore()


def resolve(name: str, store: CredentialStore | None = None) -> Credential:
    return (store or open_store()).get(name)


def resolve_snmp(name: str, store: CredentialStore | None = None) -> SnmpCredential:
    """The SNMP credential called name; CredentialError if missing or of another kind."""
    cred = resolve(name, store)
    if not isinstance(cred, SnmpCredential):
        raise CredentialError(
            f"credential {name!r} is {_KIND_TEXT[kind_of(cred)]} credential, not SNMP"
        )
    return cred


def resolve_redfish(name: str, store: CredentialStore | None = None) -> RedfishCredential:
    """The Redfish credential called name; CredentialError if missing or of another kind."""
    cred = resolve(name, store)
    if not isinstance(cred, RedfishCredential):
        raise CredentialError(
            f"credential {name!r} is {_KIND_TEXT[kind_of(cred)]} credential, not Redfish"
        )
    return cred


def resolve_ssh(name: str, store: CredentialStore | None = None) -> SshCredential:
    """The SSH credential called name; CredentialError if missing or of another kind."""
    cred = resolve(name, store)
    if not isinstance(cred, SshCredential):
        raise CredentialError(
            f"credential {name!r} is {_KIND_TEXT[kind_of(cred)]} credential, not SSH"
        )
    return cred


DEFAULT_NAME = "default"  # used for devices whose inventory names no credential
RESOLVER_TTL_S = 60.0


class Resolver:
    """Name -> credential lookups for the collector, cached so a poll never waits on storage.

    snmp(name) and ssh(name) raise CredentialError (a LookupError) when the name is unknown,
    of the other kind, or invalid; name None means the credential called "default".
    """

    def __init__(self, store: CredentialStore | None = None, ttl_s: float = RESOLVER_TTL_S) -> None:
        self._store = store
        self.ttl_s = ttl_s
        self._cache: dict[str, tuple[float, Credential | CredentialError]] = {}
        self._lock = threading.Lock()

    @property
    def store(self) -> CredentialStore:
        if self._store is None:
            self._store = open_store()
        return self._store

    def get(self, name: str | None) -> Credential:
        key = name or DEFAULT_NAME
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is None or now - hit[0] > self.ttl_s:
            try:
                value: Credential | CredentialError = self.store.get(key)
            except CredentialError as exc:
                value = exc
            hit = (now, value)
            with self._lock:
                self._cache[key] = hit
        if isinstance(hit[1], CredentialError):
            if name is None:
                raise CredentialError(
                    f"device names no credential and there is no {DEFAULT_NAME!r} credential"
                )
            raise hit[1]
        return hit[1]

    def snmp(self, name: str | None) -> SnmpCredential:
        cred = self.get(name)
        if not isinstance(cred, SnmpCredential):
            raise CredentialError(
                f"credential {name or DEFAULT_NAME!r} is {_KIND_NAMES[kind_of(cred)]}, not SNMP"
            )
        return cred

    def ssh(self, name: str | None) -> SshCredential:
        cred = self.get(name)
        if not isinstance(cred, SshCredential):
            raise CredentialError(
                f"credential {name or DEFAULT_NAME!r} is {_KIND_NAMES[kind_of(cred)]}, not SSH"
            )
        return cred

    def redfish(self, name: str | None) -> RedfishCredential:
        cred = self.get(name)
        if not isinstance(cred, RedfishCredential):
            raise CredentialError(
                f"credential {name or DEFAULT_NAME!r} is {_KIND_NAMES[kind_of(cred)]}, not Redfish"
            )
        return cred

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


def resolver(store: CredentialStore | None = None, ttl_s: float = RESOLVER_TTL_S) -> Resolver:
    """A cached resolver over the configured store (opened on first use)."""
    return Resolver(store, ttl_s)


# -- import -----------------------------------------------------------------------------------


def load_import_file(path: Path) -> dict[str, Credential]:
    """Read and validate a YAML file of named credentials (format in docs/credentials.md)."""
    try:
        size = path.stat().st_size
        if size > MAX_IMPORT_BYTES:
            raise CredentialError(f"{path}: file is larger than {MAX_IMPORT_BYTES} bytes")
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CredentialError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise CredentialError(f"{path}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1}" if mark is not None else ""
        raise CredentialError(f"{path}:{at} invalid YAML ({exc})") from None
    if isinstance(doc, dict) and "credentials" in doc:
        doc = doc["credentials"]
    if not isinstance(doc, dict) or not doc:
        raise CredentialError(f"{path}: expected a mapping 'credentials:' of name -> fields")
    base = path.resolve().parent
    out: dict[str, Credential] = {}
    for name, record in doc.items():
        where = f"{path}: credential {name!r}"
        out[_check_name(str(name))] = from_record(record, where, base)
    return out


def import_file(path: Path, store: CredentialStore) -> list[str]:
    """Validate every entry first, then store them all; returns the names imported."""
    creds = load_import_file(path)
    for name, cred in creds.items():
        store.set(name, cred)
    return sorted(creds)
