"""The synthetic tenant served over real HTTP(S) on loopback: what a live scan's transport pays.

The in-process transport (bench/transport.py) hands the scanner responses without a socket,
so it hides the cost every live read pays: requests, urllib3, the socket, TLS and
azure-core's response handling. This server runs in a process of its own (its CPU and
memory are not the scanner's), answers each request with the same `SyntheticAzure` the
in-process transport uses, after `latency` seconds (a network round trip), over HTTP/1.1
keep-alive — with a throwaway certificate when `--tls` — and keeps the benchmark's tallies
(requests by kind, reads per budget, reads Azure would refuse) for `GET /_bench/stats`.

    python -m bench.server -s 20 -r 500 --seed 1 --latency 0.05 [--tls DIR]

prints `PORT <n>` once it listens and serves until its stdin closes. The scanner reaches
it through `LoopbackTransport`: the real transport (`scanner.azure.clients.live_transport`)
with each request's Azure host swapped for the server's.
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ARM = "https://management.azure.com"
_SKIPPED = {"content-length", "transfer-encoding", "content-encoding", "connection"}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def make_handler(azure: Any, latency: float, cpu_at_start: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: connections are reused, as with Azure

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            if self.path.startswith("/_bench/stats"):
                stats = azure.stats()
                stats["server_cpu"] = _cpu() - cpu_at_start
                self._send(200, "OK", {"Content-Type": ["application/json"]},
                           json.dumps(stats).encode())
                return
            interaction = azure.answer(method, ARM + self.path, body)
            if latency:
                time.sleep(latency)
            if interaction is None:
                self._send(404, "Not Found", {"Content-Type": ["application/json"]},
                           b'{"error":{"code":"BenchMiss","message":"not in the tenant"}}')
                return
            self._send(interaction.status, interaction.reason, interaction.headers,
                       interaction.body)

        def _send(self, status: int, reason: str, headers: dict[str, list[str]],
                  body: bytes) -> None:
            self.send_response_only(status, reason)
            for name, values in headers.items():
                if name.lower() not in _SKIPPED:
                    self.send_header(name, ", ".join(values))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


def write_certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 (cert, key)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cjis-scan bench")])
    now = dt.datetime.now(dt.UTC)
    import ipaddress

    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class LoopbackTransport:
    """The real transport, with each request's Azure host swapped for the loopback server.

    The request is copied, not changed: the pipeline (bearer token policy, guard, retries)
    keeps seeing Azure's https URL.
    """

    def __init__(self, inner: Any, base: str) -> None:
        self.inner, self.base = inner, base.rstrip("/")
        self.in_flight = self.peak_in_flight = 0
        self._lock = threading.Lock()

    def send(self, request: Any, **kwargs: Any) -> Any:
        if request.url.startswith(ARM):
            request = copy.copy(request)
            request.url = self.base + request.url[len(ARM):]
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            return self.inner.send(request, **kwargs)
        finally:
            with self._lock:
                self.in_flight -= 1

    def open(self) -> None:
        self.inner.open()

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> LoopbackTransport:
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()

    def sleep(self, duration: float) -> None:
        self.inner.sleep(duration)


def main(argv: list[str] | None = None) -> int:
    from bench.synthetic import SyntheticTenant
    from bench.transport import SyntheticAzure

    parser = argparse.ArgumentParser(prog="python -m bench.server")
    parser.add_argument("--subscriptions", "-s", type=int, required=True)
    parser.add_argument("--resources", "-r", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--tls", type=Path, help="directory for a throwaway certificate")
    args = parser.parse_args(argv)

    azure = SyntheticAzure(SyntheticTenant(args.subscriptions, args.resources, args.seed))
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 make_handler(azure, args.latency, _cpu()))
    server.daemon_threads = True
    server.request_queue_size = 1024
    if args.tls:
        cert, key = write_certificate(args.tls)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"PORT {server.server_address[1]}", flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin (or exits)
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
