"""`--debug`: one log line per request (method, redacted URL, status, milliseconds).

A transport wrapper, so it sees exactly what leaves the process (after the read-only
guard) and how long Azure took. Only the method, host, path and the `api-version` are
logged: no header (the bearer token lives there), no other query parameter (paging
tokens), no body.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from scanner.azure.clients import Transport

log = logging.getLogger("cjis_scan.http")

_KEPT_QUERY = ("api-version", "$top")


def redact_url(url: str) -> str:
    """`url` with only its host, path, api-version and $top: nothing that could be secret."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    kept = "&".join(f"{k}={query[k][0]}" for k in _KEPT_QUERY if k in query)
    dropped = " (+query)" if any(k not in _KEPT_QUERY for k in query) else ""
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + (f"?{kept}" if kept else "") + dropped


class DebugTransport(Transport):
    """Forwards every request to `inner`, logging what went and how long it took."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner

    def send(self, request: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        status: object = "no response"
        try:
            response = self.inner.send(request, **kwargs)
            status = getattr(response, "status_code", "?")
            return response
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.debug("%s %s -> %s in %.0f ms", request.method, redact_url(request.url),
                      status, elapsed, extra={"method": request.method,
                                              "url": redact_url(request.url),
                                              "status": status, "ms": round(elapsed, 1)})

    def open(self) -> None:
        self.inner.open()

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> DebugTransport:
        return self

    def __exit__(self, *args: Any) -> None:
        pass

    def sleep(self, duration: float) -> None:
        self.inner.sleep(duration)
