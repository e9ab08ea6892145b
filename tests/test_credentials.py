"""Named credentials: 0600 file store, keyring store, YAML import, resolver and the CLI."""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

import app
from monitors.collection.targets import SnmpCredential, SshCredential
from monitors.credentials import (
    CredentialError,
    FileStore,
    KeyringStore,
    describe,
    import_file,
    keyring_usable,
    load_import_file,
    open_store,
    resolve_snmp,
    resolve_ssh,
    resolver,
)

V3 = SnmpCredential(
    version="3",
    user="rwuser",
    auth_proto="sha256",
    auth_key="auth-secret-1",
    priv_proto="aes256",
    priv_key="priv-secret-1",
)
SECRETS = ("auth-secret-1", "priv-secret-1", "comm-secret", "ssh-secret", "pass-phrase-9")

LAB_YAML = """\
# written by the lab
credentials:
  lab-v2c:
    kind: snmp
    version: 2c
    community: comm-secret
  lab-v3:
    kind: snmp
    version: 3
    user: rwuser
    auth_proto: SHA-256
    auth_key: auth-secret-1
    priv_proto: AES256
    priv_key: priv-secret-1
  lab-ssh:
    kind: ssh
    user: rwtest
    key_file: keys/id_ed25519
    key_passphrase: pass-phrase-9
  lab-ssh-pw:
    kind: ssh
    user: rwtest
    password: ssh-secret
"""


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps its secrets in memory (no desktop session here)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RACKWATCH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("RACKWATCH_CREDENTIALS", "file")
    return tmp_path / "config"


def test_file_store_round_trip_and_mode(config: Path) -> None:
    store = open_store()
    assert isinstance(store, FileStore) and store.path == config / "credentials.json"
    store.set("v3", V3)
    store.set("v2", SnmpCredential(version="2c", community="comm-secret"))
    store.set("srv", SshCredential(user="root", key_file="/k", key_passphrase="pass-phrase-9"))
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.names() == ["srv", "v2", "v3"]
    assert store.get("v3") == V3
    assert store.get("srv") == SshCredential("root", "", "/k", "pass-phrase-9")
    assert FileStore(store.path).get("v2").community == "comm-secret"  # type: ignore[union-attr]
    assert store.delete("v2") and not store.delete("v2")
    assert store.names() == ["srv", "v3"]
    doc = json.loads(store.path.read_text())
    assert "community" not in doc["credentials"]["v3"]


def test_file_store_refuses_permissive_mode(config: Path) -> None:
    store = open_store()
    store.set("v3", V3)
    assert isinstance(store, FileStore)
    os.chmod(store.path, 0o640)
    with pytest.raises(CredentialError, match=r"mode 0640.*chmod 600"):
        store.get("v3")
    with pytest.raises(CredentialError, match="refusing to read"):
        store.names()


def test_describe_and_repr_never_show_secrets() -> None:
    for cred in (
        V3,
        SnmpCredential(community="comm-secret"),
        SshCredential("u", "ssh-secret", "/k", "pass-phrase-9"),
    ):
        text = json.dumps(describe(cred)) + repr(cred)
        assert not any(s in text for s in SECRETS), text
    assert describe(V3)["auth_key"] == "(set)" and describe(V3)["auth_proto"] == "sha256"


def test_import_yaml(config: Path, tmp_path: Path) -> None:
    src = tmp_path / "lab" / "credentials.yaml"
    src.parent.mkdir()
    src.write_text(LAB_YAML)
    store = open_store()
    assert import_file(src, store) == ["lab-ssh", "lab-ssh-pw", "lab-v2c", "lab-v3"]
    assert resolve_snmp("lab-v3", store) == V3
    assert resolve_snmp("lab-v2c", store).community == "comm-secret"
    ssh = resolve_ssh("lab-ssh", store)
    assert ssh.key_file == str(src.parent / "keys" / "id_ed25519")  # relative to the file
    assert resolve_ssh("lab-ssh-pw", store).password == "ssh-secret"
    with pytest.raises(CredentialError, match="SSH credential, not SNMP"):
        resolve_snmp("lab-ssh", store)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("credentials:\n  x:\n    kind: snmp\n    comunity: c\n", r"'x': unknown field.*comunity"),
        ("credentials:\n  x:\n    kind: telnet\n", r"'x': kind must be one of snmp, ssh"),
        ("credentials:\n  x:\n    kind: snmp\n    version: 4\n", "version must be 1, 2c or 3"),
        ("credentials:\n  x:\n    kind: snmp\n    version: 2c\n", "needs a community"),
        (
            "credentials:\n  x: {kind: snmp, version: 3, user: u, auth_proto: sha, auth_key: k}\n",
            "auth_key must be at least 8",
        ),
        (
            "credentials:\n  x: {kind: snmp, version: 3, user: u, priv_proto: aes, "
            "priv_key: 12345678}\n",
            "privacy.*needs authentication",
        ),
        ("credentials:\n  x: {kind: ssh, user: u}\n", "needs a password or a key_file"),
        ("credentials:\n  x: {kind: ssh, user: [a]}\n", "user must be a string"),
        ("credentials: [1, 2]\n", "expected a mapping"),
        ("credentials:\n  x: {kind: ssh\n", r"line \d+ invalid YAML"),
    ],
)
def test_import_errors_name_file_and_entry(tmp_path: Path, body: str, message: str) -> None:
    src = tmp_path / "bad.yaml"
    src.write_text(body)
    with pytest.raises(CredentialError, match=message) as info:
        load_import_file(src)
    assert str(src) in str(info.value)


def test_import_is_all_or_nothing(config: Path, tmp_path: Path) -> None:
    src = tmp_path / "mixed.yaml"
    src.write_text(LAB_YAML + "  broken:\n    kind: ssh\n")
    store = open_store()
    with pytest.raises(CredentialError, match="'broken'"):
        import_file(src, store)
    assert store.names() == []


def test_resolver_default_kinds_and_cache(config: Path) -> None:
    store = open_store()
    store.set("default", SnmpCredential(community="comm-secret"))
    store.set("srv", SshCredential(user="u", password="ssh-secret"))
    creds = resolver(store)
    assert creds.snmp(None).community == "comm-secret"
    assert creds.ssh("srv").user == "u"
    with pytest.raises(LookupError, match="'srv' is SSH, not SNMP"):
        creds.snmp("srv")
    with pytest.raises(CredentialError, match="no credential named 'nope'"):
        creds.ssh("nope")
    store.set("srv", SshCredential(user="v", password="ssh-secret"))
    assert creds.ssh("srv").user == "u"  # cached; the collector does not hit storage per poll
    creds.clear()
    assert creds.ssh("srv").user == "v"
    empty = resolver(FileStore(config / "other.json"))
    with pytest.raises(CredentialError, match="no 'default' credential"):
        empty.snmp(None)


def test_keyring_store(memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RACKWATCH_CREDENTIALS", raising=False)
    assert keyring_usable()
    store = open_store()
    assert isinstance(store, KeyringStore)
    store.set("v3", V3)
    store.set("srv", SshCredential(user="root", password="ssh-secret"))
    assert store.names() == ["srv", "v3"]
    assert store.get("v3") == V3
    assert store.delete("srv") and store.names() == ["v3"]
    with pytest.raises(CredentialError, match="no credential named 'srv'"):
        store.get("srv")
    assert ("rackwatch", "v3") in memory_keyring.items


def test_no_keyring_falls_back_to_file(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        monkeypatch.delenv("RACKWATCH_CREDENTIALS", raising=False)
        assert not keyring_usable()
        assert isinstance(open_store(), FileStore)
        with pytest.raises(CredentialError, match="no usable system keyring"):
            open_store("keyring")
    finally:
        keyring.set_keyring(previous)


def test_cli_set_list_import_delete(
    config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("ssh-secret\n"))
    assert (
        app.main(
            [
                "-v",
                "credentials",
                "set",
                "srv",
                "--kind",
                "ssh",
                "--user",
                "root",
                "--password",
                "-",
            ]
        )
        == 0
    )
    assert (
        app.main(
            [
                "credentials",
                "set",
                "v3",
                "--kind",
                "snmp",
                "--version",
                "3",
                "--user",
                "rwuser",
                "--auth-proto",
                "sha256",
                "--auth-key",
                "auth-secret-1",
                "--priv-proto",
                "aes256",
                "--priv-key",
                "priv-secret-1",
            ]
        )
        == 0
    )
    src = tmp_path / "lab.yaml"
    src.write_text(LAB_YAML)
    assert app.main(["credentials", "import", str(src)]) == 0
    assert app.main(["credentials", "list"]) == 0
    assert app.main(["credentials", "list", "--json"]) == 0
    out = capsys.readouterr()
    listed = json.loads(out.out[out.out.index('{\n "store"') :])
    assert [c["name"] for c in listed["credentials"]] == [
        "lab-ssh",
        "lab-ssh-pw",
        "lab-v2c",
        "lab-v3",
        "srv",
        "v3",
    ]
    assert not any(s in out.out + out.err for s in SECRETS)
    assert "password=(set)" in out.out
    assert resolve_ssh("srv").password == "ssh-secret"
    assert app.main(["credentials", "delete", "srv"]) == 0
    assert app.main(["credentials", "delete", "srv"]) == 1
    assert (
        app.main(["credentials", "set", "x", "--kind", "ssh", "--user", "u", "--community", "c"])
        == 2
    )
    err = capsys.readouterr().err
    assert "--community do not apply to --kind ssh" in err
