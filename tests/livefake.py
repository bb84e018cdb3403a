"""A loopback HTTPS fake of ARM, Microsoft Graph and Entra ID sign-in, behind a CONNECT
proxy, for tests of the live path (real transport, TLS, proxy, token flow, retries).

- A throwaway CA and a server certificate for the cloud's real host names, made with
  `cryptography` (a dependency of azure-identity); the client trusts the CA through
  REQUESTS_CA_BUNDLE, as an agency trusting its TLS-inspecting proxy would.
- The scanner reaches the real host names through HTTPS_PROXY: the proxy answers
  CONNECT only for the hosts it is told, and only ever connects to the fake on 127.0.0.1.
  Nothing leaves the machine; no DNS lookup is made.
- ARM and Graph answers come from a cassette (the demo tenant), matched as replays are;
  the sign-in endpoints hand out a token per audience and count each request.
"""

from __future__ import annotations

import datetime
import json
import socket
import socketserver
import ssl
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from scanner.replay import CassetteMiss, CassetteTransport, Interaction

LOGIN = "login.microsoftonline.com"
ARM_HOST = "management.azure.com"
GRAPH_HOST = "graph.microsoft.com"
HOSTS = (LOGIN, ARM_HOST, GRAPH_HOST)
TENANT = "00000000-0000-0000-0000-00000000aaaa"
CLIENT_ID = "00000000-0000-0000-0000-00000000bbbb"
CLIENT_SECRET = "fake-secret-for-the-loopback-test"  # noqa: S105 - not a secret

Fault = Callable[[BaseHTTPRequestHandler], bool]
"""Given the request, answer it (or drop it) itself and return True, or return False."""


def make_ca(directory: Path, hosts: tuple[str, ...]) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) files for `hosts`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cjis-scan test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(hours=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = (directory / "ca.pem", directory / "server.pem", directory / "server.key")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


@dataclass
class _Request:
    method: str
    url: str
    content: bytes | None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeAzure:
    """State of the fake: what it serves, and what it saw."""

    interactions: list[Interaction]
    faults: dict[str, Fault] = field(default_factory=dict)
    """Path substring -> fault, tried before the cassette."""
    client_secret: str = CLIENT_SECRET
    token_requests: Counter[str] = field(default_factory=Counter)
    """Scope -> token requests the sign-in endpoint answered."""
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    """(method, host, path) of every request to ARM or Graph."""
    bad_tokens: list[str] = field(default_factory=list)
    connects: list[str] = field(default_factory=list)
    """CONNECT targets the proxy saw."""
    proxy_hold: threading.Event | None = None
    """When set, the proxy accepts a CONNECT and answers nothing until the event is set."""
    ca: Path | None = None
    proxy_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.cassette = CassetteTransport(self.interactions)

    def env(self) -> dict[str, str]:
        """What a scan run needs: the proxy, the CA, and a service principal."""
        return {"HTTPS_PROXY": self.proxy_url, "https_proxy": self.proxy_url,
                "REQUESTS_CA_BUNDLE": str(self.ca), "AZURE_TENANT_ID": TENANT,
                "AZURE_CLIENT_ID": CLIENT_ID, "AZURE_CLIENT_SECRET": CLIENT_SECRET}


def _handler(fake: FakeAzure) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            for key, value in {"Content-Type": "application/json; charset=utf-8",
                               **(headers or {})}.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def handle_any(self) -> None:
            host = (self.headers.get("Host") or "").split(":")[0].lower()
            body = self._body()
            if host == LOGIN:
                return self.sign_in(body)
            path = urlsplit(self.path).path
            with fake.lock:
                fake.requests.append((self.command, host, path))
            expected = f"Bearer token-for-https://{host}/.default"
            if self.headers.get("Authorization") != expected:
                with fake.lock:
                    fake.bad_tokens.append(f"{host}{path} {self.headers.get('Authorization')}")
            for marker, fault in fake.faults.items():
                if marker in self.path and fault(self):
                    return None
            try:
                response = fake.cassette.send(_Request(self.command, f"https://{host}{self.path}",
                                                       body or None))
            except CassetteMiss as exc:
                return self.answer(404, {"error": {"code": "NotInCassette", "message": str(exc)}})
            headers = {k: v for k, v in response.headers.items()
                       if k.lower() not in ("content-length", "transfer-encoding",
                                            "content-encoding", "connection")}
            return self.answer(response.status_code, response.content, headers)

        def sign_in(self, body: bytes) -> None:
            path = urlsplit(self.path).path
            if path.endswith("/openid-configuration"):
                base = f"https://{LOGIN}/{TENANT}"
                return self.answer(200, {
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "issuer": f"https://{LOGIN}/{TENANT}/v2.0",
                    "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                    "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                })
            if path.endswith("/discovery/instance"):
                return self.answer(200, {
                    "tenant_discovery_endpoint":
                        f"https://{LOGIN}/{TENANT}/v2.0/.well-known/openid-configuration",
                    "metadata": [{"preferred_network": LOGIN, "preferred_cache": LOGIN,
                                  "aliases": [LOGIN]}]})
            if path.endswith("/oauth2/v2.0/token"):
                form = parse_qs(body.decode())
                if fake.faults.get("token") and fake.faults["token"](self):
                    return None
                scope = (form.get("scope") or [""])[0].split()[0]
                with fake.lock:
                    fake.token_requests[scope] += 1
                if (form.get("client_secret") or [""])[0] != fake.client_secret:
                    return self.answer(401, {
                        "error": "invalid_client",
                        "error_description": "AADSTS7000215: Invalid client secret provided. "
                                             "Ensure the secret being sent in the request is "
                                             "the client secret value, not the client secret "
                                             "ID.\r\nTrace ID: 0\r\nCorrelation ID: 0",
                        "error_codes": [7000215]})
                return self.answer(200, {"token_type": "Bearer", "expires_in": 3599,
                                         "ext_expires_in": 3599,
                                         "access_token": f"token-for-{scope}"})
            return self.answer(404, {"error": "not_found"})

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    return Handler


class _Proxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def _proxy_handler(fake: FakeAzure, upstream: int) -> type[socketserver.BaseRequestHandler]:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            client: socket.socket = self.request
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            line = head.split(b"\r\n", 1)[0].decode()
            method, target, _ = line.split(" ", 2)
            host = target.rsplit(":", 1)[0].lower()
            with fake.lock:
                fake.connects.append(target)
            if fake.proxy_hold is not None:
                fake.proxy_hold.wait(10)
                return
            if method != "CONNECT" or host not in HOSTS:
                client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            server = socket.create_connection(("127.0.0.1", upstream))
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            _pipe(client, server)

    return Handler


def _pipe(a: socket.socket, b: socket.socket) -> None:
    def copy(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    other = threading.Thread(target=copy, args=(b, a), daemon=True)
    other.start()
    copy(a, b)
    other.join(timeout=5)
    a.close()
    b.close()


@contextmanager
def serving(fake: FakeAzure, directory: Path) -> Iterator[FakeAzure]:
    """Run the fake and its proxy on loopback ports for the duration of the block."""
    ca, cert, key = make_ca(directory, (*HOSTS, "graph.microsoft.us"))
    fake.ca = ca
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)
    proxy = _Proxy(("127.0.0.1", 0), _proxy_handler(fake, server.server_address[1]))
    fake.proxy_url = f"http://127.0.0.1:{proxy.server_address[1]}"
    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05},
                                daemon=True) for s in (server, proxy)]
    for thread in threads:
        thread.start()
    try:
        yield fake
    finally:
        for s in (server, proxy):
            s.shutdown()
            s.server_close()
