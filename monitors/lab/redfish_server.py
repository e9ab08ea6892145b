"""A small Redfish service on loopback: DMTF mockup folders or live lab values, with sessions."""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import http.server
import ipaddress
import json
import logging
import secrets
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

ROOT = "/redfish/v1"
SESSIONS = "/redfish/v1/SessionService/Sessions"
# Answers are small JSON documents; a request body beyond this is not a login.
MAX_REQUEST_BODY = 64 * 1024

Provider = Callable[[str], dict[str, Any] | None]  # "/redfish/v1/X" -> resource or None (404)


def mockup_provider(folder: Path | str) -> Provider:
    """DMTF short-form mockup: /redfish/v1/<X> is <folder>/<X>/index.json."""
    base = Path(folder).resolve()

    def get(path: str) -> dict[str, Any] | None:
        rel = path[len(ROOT) :].strip("/")
        target = (base / rel / "index.json").resolve()
        if base not in target.parents and target != base / "index.json":
            return None  # ../ out of the mockup
        try:
            doc = json.loads(target.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    return get


@dataclass
class ServerStats:
    requests: int = 0
    logins: int = 0
    logouts: int = 0
    failed_logins: int = 0
    basic_auth: int = 0
    not_found: list[str] = field(default_factory=list)  # paths answered 404


class RedfishServer:
    """Serves one Redfish service on 127.0.0.1 (http, or https with cert_file/key_file).

    users None means no authentication (like sushy-static); otherwise the service root is
    open (as the standard says) and everything else needs a session token or basic auth.
    sessions=False answers the session login with 405, as services without sessions do.
    queries: "expand" serves $expand on collections (members inline, as the DMTF mockup
    server does), "ignore" drops any query, "404" refuses any query (as sushy-static does).
    """

    def __init__(
        self,
        provider: Provider,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        users: dict[str, str] | None = None,
        sessions: bool = True,
        cert_file: str | Path | None = None,
        key_file: str | Path | None = None,
        queries: str = "expand",
    ) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"the lab Redfish service binds to loopback only, not {host}")
        self.provider = provider
        self.users = users
        self.sessions_enabled = sessions
        if queries not in ("expand", "ignore", "404"):
            raise ValueError(f"queries must be expand, ignore or 404, not {queries!r}")
        self.queries = queries
        self.tokens: dict[str, str] = {}  # token -> session id
        self.stats = ServerStats()
        self._lock = threading.Lock()
        handler = _handler_for(self)
        self.httpd = http.server.ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.tls = cert_file is not None
        if cert_file is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(cert_file), str(key_file) if key_file else None)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        address = self.httpd.server_address
        self.host, self.port = str(address[0]), int(address[1])
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def start(self) -> RedfishServer:
        if self._thread is not None:
            return self
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name=f"redfish-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> RedfishServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- auth --------------------------------------------------------------------------------

    def login(self, body: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
        if not self.sessions_enabled:
            return 405, {}, _error("Sessions are not supported; use basic authentication")
        try:
            doc = json.loads(body or b"{}")
            user, password = str(doc.get("UserName", "")), str(doc.get("Password", ""))
        except (ValueError, AttributeError):
            return 400, {}, _error("Malformed login request")
        if self.users is not None and self.users.get(user) != password:
            with self._lock:
                self.stats.failed_logins += 1
            return 401, {}, _error("Invalid user name or password")
        token = secrets.token_hex(16)
        sid = secrets.token_hex(4)
        with self._lock:
            self.tokens[token] = sid
            self.stats.logins += 1
        location = f"{SESSIONS}/{sid}"
        session = {
            "@odata.id": location,
            "@odata.type": "#Session.v1_7_0.Session",
            "Id": sid,
            "UserName": user,
        }
        return 201, {"X-Auth-Token": token, "Location": location}, session

    def authorized(self, headers: Any) -> bool:
        if self.users is None:
            return True
        token = headers.get("X-Auth-Token")
        if token:
            with self._lock:
                return token in self.tokens
        basic = headers.get("Authorization", "")
        if basic.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
            ok = self.users.get(user) == password
            if ok:
                with self._lock:
                    self.stats.basic_auth += 1
            return ok
        return False

    def logout(self, path: str, headers: Any) -> int:
        sid = path.rsplit("/", 1)[-1]
        token = headers.get("X-Auth-Token", "")
        with self._lock:
            if self.tokens.get(token) != sid:
                return 401 if self.users is not None else 404
            del self.tokens[token]
            self.stats.logouts += 1
        return 204


def _expanded(provider: Provider, doc: dict[str, Any]) -> dict[str, Any]:
    """A collection with each member's resource in place of its link (one level)."""
    members = doc.get("Members")
    if not isinstance(members, list):
        return doc
    inline = []
    for ref in members:
        link = ref.get("@odata.id") if isinstance(ref, dict) else None
        member = provider(link) if isinstance(link, str) else None
        inline.append(member if member is not None else ref)
    return {**doc, "Members": inline}


def _error(message: str) -> dict[str, Any]:
    return {"error": {"code": "Base.1.0.GeneralError", "message": message}}


def _handler_for(server: RedfishServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as BMCs do
        # Headers and body go out as two writes; with Nagle on, the client's delayed ACK
        # costs 40 ms per request.
        disable_nagle_algorithm = True
        server_version = "RackWatchLabRedfish/1"

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("redfish %s: " + format, server.port, *args)

        def _send(self, status: int, doc: dict[str, Any] | None, extra: dict[str, str]) -> None:
            body = json.dumps(doc).encode() if doc is not None else b""
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            if doc is not None:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("OData-Version", "4.0")
            self.end_headers()
            self.wfile.write(body)

        def _path(self) -> str:
            path = urlsplit(self.path).path.rstrip("/")  # the query ($expand) is ignored
            return path or "/"

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(min(length, MAX_REQUEST_BODY)) if length > 0 else b""

        def do_GET(self) -> None:
            with server._lock:
                server.stats.requests += 1
            path = self._path()
            if path == "/redfish":
                self._send(200, {"v1": ROOT + "/"}, {})
                return
            if path != ROOT and not server.authorized(self.headers):
                self._send(401, _error("Authentication required"), {})
                return
            query = urlsplit(self.path).query
            if query and server.queries == "404":
                doc = None
            else:
                doc = server.provider(path) if path.startswith(ROOT) else None
            if doc is not None and "$expand" in query and server.queries == "expand":
                doc = _expanded(server.provider, doc)
            if doc is None:
                with server._lock:
                    server.stats.not_found.append(self.path)
                self._send(404, _error(f"{path} not found"), {})
                return
            self._send(200, doc, {})

        def do_POST(self) -> None:
            body = self._body()
            if self._path() == SESSIONS:
                status, headers, doc = server.login(body)
                self._send(status, doc, headers)
                return
            self._send(405, _error("Read-only lab service"), {})

        def do_DELETE(self) -> None:
            path = self._path()
            if path.startswith(SESSIONS + "/"):
                self._send(server.logout(path, self.headers), None, {})
                return
            self._send(405, _error("Read-only lab service"), {})

        def do_PATCH(self) -> None:
            self._body()
            self._send(405, _error("Read-only lab service"), {})

    return Handler


def make_self_signed(folder: Path | str, name: str = "localhost") -> tuple[Path, Path, str]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert, key, SHA-256 hex)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = out / f"{name}.crt"
    key_path = out / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with contextlib.suppress(OSError):
        key_path.chmod(0o600)
    der = cert.public_bytes(serialization.Encoding.DER)
    return cert_path, key_path, hashlib.sha256(der).hexdigest()


def lab_server_provider(server: Any, physics: Any, clock: Callable[[], float]) -> Provider:
    """A small live Redfish service for one lab server, its values from the lab physics.

    server is a monitors.lab.topology.LabServer and physics a monitors.lab.physics.Physics
    (typed loosely so the mockup server stays free of the lab's simulation modules).
    """
    chassis = f"{ROOT}/Chassis/1U"
    psus = f"{chassis}/PowerSubsystem/PowerSupplies"

    def link(path: str) -> dict[str, str]:
        return {"@odata.id": path}

    def get(path: str) -> dict[str, Any] | None:
        st = physics.server(server, clock())
        docs: dict[str, dict[str, Any]] = {
            ROOT: {
                "@odata.type": "#ServiceRoot.v1_15_0.ServiceRoot",
                "Name": f"{server.name} BMC",
                "RedfishVersion": "1.15.0",
                "UUID": hashlib.md5(server.name.encode()).hexdigest(),
                "Chassis": link(f"{ROOT}/Chassis"),
                "Links": {"Sessions": link(SESSIONS)},
            },
            f"{ROOT}/Chassis": {"Members": [link(chassis)], "Members@odata.count": 1},
            chassis: {
                "@odata.type": "#Chassis.v1_25_0.Chassis",
                "Id": "1U",
                "Name": server.name,
                "Manufacturer": server.model.split()[0],
                "Model": server.model.split(maxsplit=1)[-1],
                "EnvironmentMetrics": link(f"{chassis}/EnvironmentMetrics"),
                "ThermalSubsystem": link(f"{chassis}/ThermalSubsystem"),
                "PowerSubsystem": link(f"{chassis}/PowerSubsystem"),
            },
            f"{chassis}/EnvironmentMetrics": {
                "@odata.type": "#EnvironmentMetrics.v1_3_0.EnvironmentMetrics",
                "PowerWatts": {"Reading": round(st.power_w, 1)},
                "EnergykWh": {"Reading": round(st.energy_kwh, 3)},
            },
            f"{chassis}/ThermalSubsystem": {
                "@odata.type": "#ThermalSubsystem.v1_0_0.ThermalSubsystem",
                "ThermalMetrics": link(f"{chassis}/ThermalSubsystem/ThermalMetrics"),
            },
            f"{chassis}/ThermalSubsystem/ThermalMetrics": {
                "@odata.type": "#ThermalMetrics.v1_0_0.ThermalMetrics",
                "TemperatureSummaryCelsius": {
                    "Intake": {"Reading": round(st.inlet_c, 1)},
                    "Exhaust": {"Reading": round(st.exhaust_c, 1)},
                },
                "TemperatureReadingsCelsius": [
                    {"DeviceName": f"CPU{i + 1}", "PhysicalContext": "CPU", "Reading": round(c, 1)}
                    for i, c in enumerate(st.cpu_c)
                ],
            },
            f"{chassis}/PowerSubsystem": {
                "@odata.type": "#PowerSubsystem.v1_1_0.PowerSubsystem",
                "PowerSupplies": link(psus),
            },
            psus: {"Members": [link(f"{psus}/PSU1"), link(f"{psus}/PSU2")]},
        }
        for i in range(2):
            docs[f"{psus}/PSU{i + 1}"] = {
                "@odata.type": "#PowerSupply.v1_5_0.PowerSupply",
                "Id": f"PSU{i + 1}",
                "Status": {"State": "Enabled", "Health": "OK"},
                "Metrics": link(f"{psus}/PSU{i + 1}/Metrics"),
            }
            docs[f"{psus}/PSU{i + 1}/Metrics"] = {
                "@odata.type": "#PowerSupplyMetrics.v1_0_0.PowerSupplyMetrics",
                "InputPowerWatts": {"Reading": round(st.psu_w[i], 1)},
                "InputCurrentAmps": {"Reading": round(st.psu_a[i], 2)},
                "InputVoltage": {"Reading": round(st.voltage_v, 1)},
            }
        return docs.get(path)

    return get
