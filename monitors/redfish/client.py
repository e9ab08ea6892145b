"""A blocking Redfish HTTP(S) client: one kept-alive connection and one session per BMC."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import logging
import ssl
from typing import Any
from urllib.parse import urlsplit

from monitors.collection.targets import RedfishTarget

log = logging.getLogger("rackwatch.redfish")

SERVICE_ROOT = "/redfish/v1"
DEFAULT_SESSIONS = "/redfish/v1/SessionService/Sessions"
# A BMC resource is a few kB; anything near this is not a Redfish resource and must not be
# buffered whole (a broken or hostile endpoint could stream forever).
MAX_BODY = 4 << 20
# Session creation answers these when the service has no SessionService: use basic auth.
NO_SESSIONS = frozenset({404, 405, 501})


class RedfishError(Exception):
    """A request failed; kind is unreachable, auth, tls, protocol or config (as PollResult)."""

    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status


class RedfishNotFound(RedfishError):
    """The resource does not exist (HTTP 404): a dangling link, not a broken device."""


def normalize_fingerprint(text: str) -> str:
    """'SHA256:AB:CD…', 'ab cd…' or 'abcd…' -> 64 lower-case hex digits; ValueError otherwise."""
    raw = text.strip()
    if raw.lower().startswith("sha256:"):
        raw = raw[7:]
    digits = "".join(c for c in raw if c not in ": ").lower()
    if len(digits) != 64 or any(c not in "0123456789abcdef" for c in digits):
        raise ValueError(f"not a SHA-256 certificate fingerprint (64 hex digits): {text!r}")
    return digits


def show_fingerprint(digits: str) -> str:
    """The form operators paste back: SHA256:AB:CD:…"""
    return "SHA256:" + ":".join(digits[i : i + 2] for i in range(0, len(digits), 2)).upper()


def cert_fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def split_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a BMC address: a URL, host or host:port (https by default)."""
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise RedfishError("config", f"{url}: a Redfish address must be http:// or https://")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise RedfishError("config", f"{url}: bad port") from None
    if not parts.hostname:
        raise RedfishError("config", f"{url}: no host in the address")
    return scheme, parts.hostname, port


def _message(body: bytes) -> str:
    """The Redfish error message of a failed request, if the body carries one."""
    try:
        doc = json.loads(body[:65536])
        err = doc.get("error", {}) if isinstance(doc, dict) else {}
        info = err.get("@Message.ExtendedInfo") or []
        if info and isinstance(info[0], dict) and info[0].get("Message"):
            return str(info[0]["Message"])[:200]
        return str(err.get("message", ""))[:200]
    except (ValueError, AttributeError, TypeError):
        return ""


class RedfishClient:
    """GETs JSON resources of one BMC over a single kept-alive connection.

    Logs in through SessionService (X-Auth-Token) and falls back to basic auth when the
    service has no sessions; logs out on close(). Not thread-safe: one poll at a time.
    """

    def __init__(self, target: RedfishTarget) -> None:
        self.target = target
        self.scheme, self.host, self.port = split_url(target.url)
        self.where = f"{self.host}:{self.port}"
        cred = target.credential
        if self.scheme == "http" and not cred.allow_http:
            raise RedfishError(
                "config",
                f"{self.scheme}://{self.where}: plain HTTP sends the BMC password in clear; "
                "refused without allow_http (meant for labs and tests)",
            )
        self.pin = ""
        if cred.fingerprint:
            try:
                self.pin = normalize_fingerprint(cred.fingerprint)
            except ValueError as exc:
                raise RedfishError("config", f"{self.where}: {exc}") from None
        self._conn: http.client.HTTPConnection | None = None
        self._token = ""
        self._session_uri = ""
        self._basic = ""
        self._logged_in = False
        self.requests = 0

    # -- connection and TLS ------------------------------------------------------------------

    def _context(self) -> ssl.SSLContext:
        cred = self.target.credential
        if cred.ca_file:
            try:
                return ssl.create_default_context(cafile=cred.ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise RedfishError(
                    "config", f"{self.where}: cannot load CA file {cred.ca_file} ({exc})"
                ) from None
        if self.pin:
            # The pin replaces chain and name checks, as a known_hosts entry does for SSH.
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return ctx
        return ssl.create_default_context()

    def _presented(self) -> str:
        """Fingerprint of the certificate the BMC presents, fetched without trusting it."""
        try:
            pem = ssl.get_server_certificate((self.host, self.port), timeout=self.target.timeout_s)
            return cert_fingerprint(ssl.PEM_cert_to_DER_cert(pem))
        except (OSError, ssl.SSLError, ValueError):
            return ""

    def _connect(self) -> http.client.HTTPConnection:
        if self._conn is not None:
            return self._conn
        timeout = self.target.timeout_s
        conn: http.client.HTTPConnection
        if self.scheme == "https":
            conn = http.client.HTTPSConnection(
                self.host, self.port, timeout=timeout, context=self._context()
            )
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.connect()
        except ssl.SSLCertVerificationError as exc:
            conn.close()
            seen = self._presented()
            shown = show_fingerprint(seen) if seen else "(could not be read)"
            raise RedfishError(
                "tls",
                f"{self.where}: certificate not trusted ({exc.verify_message}); it presents "
                f"{shown}. Check it out of band, then pin it (fingerprint) or give the CA "
                "file (ca_file) that signed it",
            ) from None
        except ssl.SSLError as exc:
            conn.close()
            raise RedfishError("tls", f"{self.where}: TLS handshake failed ({exc})") from None
        except TimeoutError:
            conn.close()
            raise RedfishError("unreachable", f"{self.where}: connect timed out") from None
        except OSError as exc:
            conn.close()
            raise RedfishError(
                "unreachable", f"{self.where}: cannot connect ({exc.strerror or exc})"
            ) from None
        if self.pin and isinstance(conn.sock, ssl.SSLSocket):
            der = conn.sock.getpeercert(binary_form=True) or b""
            seen = cert_fingerprint(der)
            if seen != self.pin:
                conn.close()
                raise RedfishError(
                    "tls",
                    f"{self.where}: BMC CERTIFICATE HAS CHANGED: pinned "
                    f"{show_fingerprint(self.pin)}, presented {show_fingerprint(seen)}. "
                    "Refusing to connect (it may be replaced hardware or someone in between); "
                    "update the pinned fingerprint once the new one is checked",
                )
        self._conn = conn
        return conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- requests ----------------------------------------------------------------------------

    def _headers(self, body: bool, auth: bool) -> dict[str, str]:
        headers = {"Accept": "application/json", "OData-Version": "4.0"}
        if body:
            headers["Content-Type"] = "application/json"
        if auth and self._token:
            headers["X-Auth-Token"] = self._token
        elif auth and self._basic:
            headers["Authorization"] = self._basic
        return headers

    def _exchange(
        self, method: str, path: str, payload: bytes | None, auth: bool
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """One request; a kept-alive connection the BMC closed meanwhile is reopened once."""
        for attempt in (1, 2):
            conn = self._connect()
            try:
                conn.request(method, path, body=payload, headers=self._headers(bool(payload), auth))
                resp = conn.getresponse()
                body = resp.read(MAX_BODY + 1)
                self.requests += 1
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._drop()
                if attempt == 2:
                    raise RedfishError(
                        "unreachable", f"{self.where}: {method} {path}: connection closed"
                    ) from None
                continue
            except TimeoutError:
                self._drop()
                raise RedfishError(
                    "unreachable",
                    f"{self.where}: {method} {path}: no answer in {self.target.timeout_s:g} s",
                ) from None
            except (OSError, http.client.HTTPException) as exc:
                self._drop()
                raise RedfishError("unreachable", f"{self.where}: {method} {path}: {exc}") from None
            if len(body) > MAX_BODY:
                self._drop()  # the rest of the body is still in flight on this connection
                raise RedfishError(
                    "protocol", f"{self.where}: {path}: answer larger than {MAX_BODY} bytes"
                )
            if resp.will_close:
                self._drop()
            return resp.status, resp.headers, body
        raise AssertionError("unreachable")  # the loop returns or raises

    def login(self) -> None:
        """Open a session (or settle on basic auth); raises RedfishError(kind='auth')."""
        cred = self.target.credential
        self._token = self._session_uri = ""
        self._basic = "Basic " + base64.b64encode(f"{cred.user}:{cred.password}".encode()).decode(
            "ascii"
        )
        sessions = DEFAULT_SESSIONS
        status, _, body = self._exchange("GET", SERVICE_ROOT, None, auth=False)
        if status == 200:
            try:
                root = json.loads(body)
                link = root.get("Links", {}).get("Sessions", {}).get("@odata.id")
                if isinstance(link, str) and link.startswith("/"):
                    sessions = link
            except (ValueError, AttributeError):
                pass  # the GET below reports a broken root properly
        payload = json.dumps({"UserName": cred.user, "Password": cred.password}).encode()
        status, headers, body = self._exchange("POST", sessions, payload, auth=False)
        if status in (200, 201, 204) and headers.get("X-Auth-Token"):
            self._token = headers["X-Auth-Token"]
            self._session_uri = urlsplit(headers.get("Location", "")).path
            self._basic = ""  # never send the password again while the session lives
        elif status in (400, 401, 403):
            raise RedfishError(
                "auth",
                f"{self.where}: login as {cred.user!r} refused (HTTP {status}"
                f"{': ' + _message(body) if _message(body) else ''}); check the credential",
                status,
            )
        elif status in NO_SESSIONS or 200 <= status < 300:
            # No SessionService, or one that hands out no token: every request carries
            # basic auth instead (still only over TLS unless allow_http).
            log.debug("%s: no session token (HTTP %s); using basic auth", self.where, status)
        else:
            raise RedfishError(
                "protocol", f"{self.where}: session login answered HTTP {status}", status
            )
        self._logged_in = True

    def get(self, path: str) -> dict[str, Any]:
        """GET one resource as a JSON object; RedfishNotFound for 404, RedfishError otherwise."""
        if not path.startswith("/") or "://" in path:
            # Links to other hosts (a PSU's PDU outlet) are never followed with our credential.
            raise RedfishError("protocol", f"{self.where}: not a local resource link: {path}")
        path = path.split("#", 1)[0]
        if not self._logged_in:
            self.login()
        status, _, body = self._exchange("GET", path, None, auth=True)
        if status == 401 and self._token:
            log.info("%s: session expired; logging in again", self.where)
            self.login()
            status, _, body = self._exchange("GET", path, None, auth=True)
        if status in (401, 403):
            raise RedfishError(
                "auth",
                f"{self.where}: GET {path} refused for {self.target.credential.user!r} "
                f"(HTTP {status}); check the credential",
                status,
            )
        if status == 404:
            raise RedfishNotFound("protocol", f"{self.where}: {path} not found (HTTP 404)", 404)
        if status != 200:
            detail = _message(body)
            raise RedfishError(
                "protocol",
                f"{self.where}: GET {path} answered HTTP {status}{': ' + detail if detail else ''}",
                status,
            )
        try:
            doc = json.loads(body)
        except ValueError as exc:
            raise RedfishError("protocol", f"{self.where}: {path}: not JSON ({exc})") from None
        if not isinstance(doc, dict):
            raise RedfishError(
                "protocol",
                f"{self.where}: {path}: expected a JSON object, got {type(doc).__name__}",
            )
        return doc

    def close(self) -> None:
        """Log out (a BMC has few session slots) and close the connection; never raises."""
        if self._session_uri and self._token:
            try:
                self._exchange("DELETE", self._session_uri, None, auth=True)
            except RedfishError as exc:
                log.debug("%s: logout failed: %s", self.where, exc)
        self._token = self._session_uri = self._basic = ""
        self._logged_in = False
        self._drop()
