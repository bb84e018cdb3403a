"""A benchmark run's fake Azure over loopback: start the server, connect the real transport,
read its tallies, stop it. (The in-process `SyntheticTransport` stays for `--transport
inproc` and the tests.)"""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import tempfile
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from bench.server import LoopbackTransport

ROOT = Path(__file__).resolve().parents[1]


class LoopbackAzure:
    """The server process and the transport a scan uses to reach it."""

    def __init__(self, subscriptions: int, resources: int, seed: int, latency: float,
                 concurrency: int, tls: bool = True) -> None:
        from scanner.azure.clients import live_transport

        self._tmp = tempfile.TemporaryDirectory(prefix="cjis-bench-")
        command = [sys.executable, "-m", "bench.server", "-s", str(subscriptions),
                   "-r", str(resources), "--seed", str(seed), "--latency", str(latency)]
        if tls:
            command += ["--tls", self._tmp.name]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        cwd=ROOT, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.process.kill()
            raise SystemExit(f"the bench server did not start: {line!r}")
        scheme = "https" if tls else "http"
        self.base = f"{scheme}://127.0.0.1:{int(line.split()[1])}"
        inner = live_transport(concurrency)  # the scanner's own live transport
        if not tls:  # live_transport sizes its pool for https:// only
            session = inner.session  # type: ignore[attr-defined]
            session.mount("http://", session.get_adapter("https://x"))
        self.context: ssl.SSLContext | None = None
        if tls:
            cafile = str(Path(self._tmp.name) / "cert.pem")
            inner.connection_config.verify = cafile  # type: ignore[attr-defined]
            self.context = ssl.create_default_context(cafile=cafile)
        self.inner = inner
        self.transport = LoopbackTransport(inner, self.base)

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.base}/_bench/stats", context=self.context,
                                    timeout=30) as response:
            stats: dict[str, Any] = json.load(response)
        stats["by_kind"] = Counter(stats["by_kind"])
        return stats

    def close(self) -> None:
        self.inner.close()
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._tmp.cleanup()
