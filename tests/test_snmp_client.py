"""SNMP client against a real net-snmp snmpd on loopback: v1/v2c/v3 and the faults."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from monitors.collection.targets import SnmpCredential, SnmpTarget
from monitors.lab.daemons.common import find_binary, free_port
from monitors.lab.daemons.snmp import (
    SnmpdAgent,
    SnmpsimServer,
    responder_binary,
    start_snmpd,
    start_snmpsim,
)
from monitors.snmp.client import SYS_DESCR, SYS_OBJECT_ID, SnmpClient
from monitors.snmp.errors import SnmpAuthError, SnmpConfigError, SnmpTimeout
from tests import snmp_daemons
from tests.daemons import require

pytestmark = pytest.mark.daemon
snmpd_agent = snmp_daemons.snmpd_agent  # the shared fixture
T = TypeVar("T")
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
# Values outside the typed literals, as a hand-edited inventory might carry them.
BAD_PROTO: dict[str, Any] = {"auth_proto": "whirlpool"}
BAD_VERSION: dict[str, Any] = {"version": "9", "community": "x"}


def run(factory: Callable[[SnmpClient], Awaitable[T]], **client_kw: Any) -> T:
    async def main() -> T:
        client = SnmpClient(**client_kw)
        try:
            return await factory(client)
        finally:
            client.close()

    return asyncio.run(main())


def v2c(agent: SnmpdAgent, **kw: Any) -> SnmpTarget:
    return SnmpTarget(agent.host, agent.port, SnmpCredential("2c", agent.community), **kw)


def v3(agent: SnmpdAgent, user: str, **kw: Any) -> SnmpTarget:
    auth, akey, priv, pkey = agent.users[user]
    fields: dict[str, Any] = {"auth_proto": auth, "priv_proto": priv}
    cred = SnmpCredential("3", user=user, auth_key=akey, priv_key=pkey, **fields)
    return SnmpTarget(agent.host, agent.port, cred, **kw)


class CountingClient(SnmpClient):
    """Records the size of every request actually sent."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.sizes: list[int] = []

    async def _request(
        self, target: SnmpTarget, kind: str, varbinds: Any, repetitions: int = 0
    ) -> Any:
        if kind != "get":
            self.sizes.append(len(varbinds))
        return await super()._request(target, kind, varbinds, repetitions)

    async def _get_values(self, target: SnmpTarget, names: list[str]) -> Any:
        self.sizes.append(len(names))
        return await super()._get_values(target, names)


def test_identify_v2c(snmpd_agent: SnmpdAgent) -> None:
    ident = run(lambda c: c.identify(v2c(snmpd_agent)))
    assert ident.sys_object_id.startswith("1.3.6.1.4.1.8072.3.2")
    assert ident.sys_descr
    assert ident.sys_name


def test_get_is_batched_by_max_varbinds_and_aligned(snmpd_agent: SnmpdAgent) -> None:
    oids = [SYS_DESCR, "1.3.6.1.2.1.1.99.0", SYS_OBJECT_ID] * 4

    async def go() -> tuple[list[Any], list[int]]:
        client = CountingClient()
        try:
            values = await client.get(v2c(snmpd_agent, max_varbinds=5), oids)
            return values, client.sizes
        finally:
            client.close()

    values, sizes = asyncio.run(go())
    assert sizes == [5, 5, 2]
    assert values[1] is None and values[4] is None  # no such object, not an error
    assert values[0] == values[3] and isinstance(values[0], str)
    assert values[2] == values[5] and str(values[2]).startswith("1.3.6.1.4.1.8072")


def test_walk_v2c_bulk_equals_v1_getnext(snmpd_agent: SnmpdAgent) -> None:
    bulk = run(lambda c: c.walk(v2c(snmpd_agent), IF_DESCR))
    t1 = SnmpTarget(snmpd_agent.host, snmpd_agent.port, SnmpCredential("1", snmpd_agent.community))
    nxt = run(lambda c: c.walk(t1, IF_DESCR))
    assert bulk and bulk == nxt
    assert all(oid.startswith(IF_DESCR + ".") for oid, _ in bulk)
    assert "lo" in [v for _, v in bulk]


def test_v1_get_drops_missing_oid_and_keeps_the_rest(snmpd_agent: SnmpdAgent) -> None:
    t1 = SnmpTarget(snmpd_agent.host, snmpd_agent.port, SnmpCredential("1", snmpd_agent.community))
    values = run(lambda c: c.get(t1, [SYS_DESCR, "1.3.6.1.2.1.1.99.0", SYS_OBJECT_ID]))
    assert values[0] and values[1] is None and values[2]


@pytest.mark.parametrize("version", ["1", "2c"])
def test_exists(snmpd_agent: SnmpdAgent, version: str) -> None:
    fields: dict[str, Any] = {"version": version, "community": snmpd_agent.community}
    t = SnmpTarget(snmpd_agent.host, snmpd_agent.port, SnmpCredential(**fields))
    assert run(lambda c: c.exists(t, "1.3.6.1.2.1.2.2.1"))
    assert not run(lambda c: c.exists(t, "1.3.6.1.4.1.318.1.1.12"))
    assert not run(lambda c: c.exists(t, "1.3.6.1.6.3.99"))  # past the end of the agent's MIB


@pytest.mark.parametrize(
    "user",
    ["rw-sha256-aes128", "rw-sha512-aes256", "rw-sha1-aes128", "rw-sha-authnopriv", "rw-noauth"],
)
def test_v3_security_levels(snmpd_agent: SnmpdAgent, user: str) -> None:
    t = v3(snmpd_agent, user)

    async def both(c: SnmpClient) -> tuple[Any, Any]:
        return await c.identify(t), await c.walk(t, IF_DESCR)

    ident, rows = run(both)
    assert ident.sys_object_id.startswith("1.3.6.1.4.1.8072")
    assert rows and all(oid.startswith(IF_DESCR + ".") for oid, _ in rows)


def test_wrong_community_is_a_clear_timeout(snmpd_agent: SnmpdAgent) -> None:
    t = SnmpTarget(
        snmpd_agent.host, snmpd_agent.port, SnmpCredential("2c", "nope"), timeout_s=0.3, retries=1
    )
    with pytest.raises(SnmpTimeout) as exc:
        run(lambda c: c.identify(t))
    msg = str(exc.value)
    assert f"127.0.0.1:{snmpd_agent.port}" in msg and "wrong community" in msg and "2 tries" in msg


def test_wrong_v3_auth_key_is_an_auth_error(snmpd_agent: SnmpdAgent) -> None:
    good = v3(snmpd_agent, "rw-sha256-aes128", timeout_s=0.5, retries=0)
    cred = SnmpCredential(
        "3",
        user="rw-sha256-aes128",
        auth_proto="sha256",
        auth_key="not-the-key",
        priv_proto="aes128",
        priv_key=snmpd_agent.users["rw-sha256-aes128"][3],
    )
    bad = SnmpTarget(good.host, good.port, cred, timeout_s=0.5, retries=0)
    with pytest.raises(SnmpAuthError) as exc:
        run(lambda c: c.identify(bad))
    assert "rw-sha256-aes128" in str(exc.value) and str(snmpd_agent.port) in str(exc.value)


def test_wrong_v3_priv_key_fails_clearly(snmpd_agent: SnmpdAgent) -> None:
    auth, akey, priv, _ = snmpd_agent.users["rw-sha512-aes256"]
    fields: dict[str, Any] = {"auth_proto": auth, "priv_proto": priv}
    cred = SnmpCredential(
        "3",
        user="rw-sha512-aes256",
        auth_key=akey,
        priv_key="wrong-priv-key",
        **fields,
    )
    bad = SnmpTarget(snmpd_agent.host, snmpd_agent.port, cred, timeout_s=0.5, retries=0)
    with pytest.raises((SnmpTimeout, SnmpAuthError)) as exc:
        run(lambda c: c.identify(bad))
    assert str(snmpd_agent.port) in str(exc.value)
    if isinstance(exc.value, SnmpTimeout):  # net-snmp drops what it cannot decrypt
        assert "privacy key" in str(exc.value)


def test_agent_down_times_out_naming_host_and_port() -> None:
    import socket

    port = free_port(socket.SOCK_DGRAM)
    t = SnmpTarget("127.0.0.1", port, SnmpCredential("2c", "public"), timeout_s=0.2, retries=0)
    with pytest.raises(SnmpTimeout) as exc:
        run(lambda c: c.get(t, [SYS_DESCR]))
    assert f"127.0.0.1:{port}" in str(exc.value)


def test_slow_agent_times_out_then_recovers() -> None:
    require(find_binary("snmpd") is not None, "snmpd not installed")
    agent = start_snmpd()
    try:
        t = v2c(agent, timeout_s=0.3, retries=0)

        async def scenario(client: SnmpClient) -> tuple[str, Any]:
            agent.pause()
            try:
                await client.identify(t)
                first = "answered"
            except SnmpTimeout as exc:
                first = str(exc)
            finally:
                agent.resume()
            # the same client (same socket, same engine) keeps working afterwards
            return first, await client.identify(t)

        first, ident = run(scenario)
        assert "no response" in first
        assert ident.sys_object_id
    finally:
        agent.stop()
        shutil.rmtree(agent.workdir, ignore_errors=True)


def test_too_big_response_is_split(snmpd_agent: SnmpdAgent) -> None:
    # Announce a small msgMaxSize: snmpd answers tooBig for 60 sysDescr values in one PDU.
    t = v3(snmpd_agent, "rw-sha256-aes128", max_varbinds=100)

    async def go() -> tuple[list[Any], list[int]]:
        client = CountingClient(v3_max_message_size=1500)
        try:
            return await client.get(t, [SYS_DESCR] * 60), client.sizes
        finally:
            client.close()

    values, sizes = asyncio.run(go())
    assert sizes[0] == 60 and len(sizes) > 1 and max(sizes[1:]) < 60
    assert all(isinstance(v, str) and v for v in values)


def test_receive_buffer_is_raised(snmpd_agent: SnmpdAgent) -> None:
    async def go(client: SnmpClient) -> dict[str, int]:
        await client.identify(v2c(snmpd_agent))
        return client.receive_buffer_bytes()

    got = run(go)
    rmem_max = int(Path("/proc/sys/net/core/rmem_max").read_text())
    # Linux doubles the request for bookkeeping and caps it at rmem_max (unless root forces it).
    assert got["v1v2c"] >= min(4 * 1024 * 1024, rmem_max)


@pytest.mark.parametrize(
    ("cred", "fragment"),
    [
        (SnmpCredential("3", user="u", auth_proto="sha", auth_key="short"), "at least 8"),
        (
            SnmpCredential(
                "3", user="u", auth_proto="none", priv_proto="aes128", priv_key="12345678"
            ),
            "needs an auth",
        ),
        (SnmpCredential("3", user="", auth_proto="sha", auth_key="12345678"), "user name"),
        (
            SnmpCredential("3", user="u", auth_key="12345678", **BAD_PROTO),
            "unknown SNMPv3",
        ),
        (SnmpCredential(**BAD_VERSION), "unknown SNMP version"),
    ],
)
def test_bad_credentials_are_config_errors(cred: SnmpCredential, fragment: str) -> None:
    t = SnmpTarget("127.0.0.1", 9, cred, timeout_s=0.2, retries=0)
    with pytest.raises(SnmpConfigError) as exc:
        run(lambda c: c.get(t, [SYS_DESCR]))
    assert fragment in str(exc.value) and "127.0.0.1:9" in str(exc.value)


ODDAGENT = """\
1.3.6.1.2.1.1.1.0|4|Error box
1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.99999.2
1.3.6.1.2.1.1.4.0|4:error|op=get,status=genError
1.3.6.1.2.1.1.5.0|4|errbox
1.3.6.1.2.1.1.6.0|4|row 7
1.3.6.1.2.1.1.7.0|2:delay|value=72,wait=600
"""


@pytest.fixture(scope="module")
def oddagent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpsimServer]:
    """snmpsim with one OID answering genErr and one answering after 600 ms."""
    require(responder_binary() is not None, "snmpsim-command-responder not installed")
    data = tmp_path_factory.mktemp("oddagent")
    (data / "oddagent.snmprec").write_text(ODDAGENT)
    server = start_snmpsim(data)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)


def test_gen_err_for_one_oid_spares_the_others(oddagent: SnmpsimServer) -> None:
    # snmpsim reports genErr with a wrong error index, as some agents do.
    t = SnmpTarget("127.0.0.1", oddagent.port, SnmpCredential("2c", "oddagent"), timeout_s=3)
    oids = [f"1.3.6.1.2.1.1.{n}.0" for n in (1, 4, 5, 6)]
    assert run(lambda c: c.get(t, oids)) == ["Error box", None, "errbox", "row 7"]


def test_slow_agent_within_and_beyond_the_timeout(oddagent: SnmpsimServer) -> None:
    slow = "1.3.6.1.2.1.1.7.0"
    patient = SnmpTarget("127.0.0.1", oddagent.port, SnmpCredential("2c", "oddagent"), 3.0, 0)
    assert run(lambda c: c.get(patient, [slow])) == [72]
    hasty = SnmpTarget("127.0.0.1", oddagent.port, SnmpCredential("2c", "oddagent"), 0.2, 0)
    with pytest.raises(SnmpTimeout) as exc:
        run(lambda c: c.get(hasty, [slow]))
    assert f"127.0.0.1:{oddagent.port}" in str(exc.value) and "slow" in str(exc.value)
