"""The requests session under azure-core's RequestsTransport, minus per-request environment scans.

A stock `requests.Session` reads the environment on every request: it walks every
variable of `os.environ` twice for proxy settings (`get_environ_proxies`), looks for a
CA bundle variable, and stats `~/.netrc` for basic-auth credentials. Measured over a real
socket on loopback (bench/README.md), that is ~0.28 ms of a ~2 ms read's CPU — and each
stat drops and retakes the interpreter lock the other workers queue for.

`EnvironmentOnceSession` reads the same settings the same way (requests' own code), once
per origin and call settings, and keeps them for the scan: `HTTPS_PROXY`, `NO_PROXY` and
`REQUESTS_CA_BUNDLE` / `CURL_CA_BUNDLE` still apply, as they stood when the scan started.
`~/.netrc` never does: its basic auth would replace the bearer token's Authorization
header, which no Azure read wants.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

import requests


class EnvironmentOnceSession(requests.Session):
    """A `requests.Session` that merges environment settings once per origin."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False  # no per-request environment reads (and no ~/.netrc)
        self._settings: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any,
                                   cert: Any) -> dict[str, Any]:
        parts = urlsplit(str(url))
        key = (parts.scheme, parts.netloc, tuple(sorted((proxies or {}).items())), stream,
               verify if isinstance(verify, bool | str | None) else id(verify),
               cert if isinstance(cert, str | tuple | None) else id(cert))
        settings = self._settings.get(key)
        if settings is None:
            environment = requests.Session()  # trust_env: requests' own reading of it
            environment.proxies, environment.stream = self.proxies, self.stream
            environment.verify, environment.cert = self.verify, self.cert
            settings = environment.merge_environment_settings(
                url, dict(proxies or {}), stream, verify, cert)
            environment.close()
            with self._lock:
                self._settings[key] = settings
        return {**settings, "proxies": dict(settings["proxies"])}
