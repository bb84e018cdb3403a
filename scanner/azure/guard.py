"""The read-only guard: a pipeline policy that lets only reads leave the process."""

from __future__ import annotations

from urllib.parse import urlsplit

from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy

from scanner.errors import ReadOnlyViolation

# The one POST a scanner needs: a Resource Graph query is a read sent as a POST body.
_ALLOWED_POST_PATHS = ("/providers/microsoft.resourcegraph/resources",)
# Paths that return secrets even on GET-like verbs are refused whatever the method.
_FORBIDDEN_SEGMENTS = ("/listkeys", "/listaccountsas", "/listservicesas", "/regeneratekey",
                       "/listconnectionstrings", "/secrets/")


def is_allowed_read(method: str, url: str) -> bool:
    """True when `method url` is a read the scanner is allowed to send."""
    path = urlsplit(url).path.lower()
    if any(segment in path for segment in _FORBIDDEN_SEGMENTS):
        return False
    method = method.upper()
    if method == "GET":
        return True
    return method == "POST" and path.rstrip("/").endswith(_ALLOWED_POST_PATHS)


class ReadOnlyGuardPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Raises `ReadOnlyViolation` before any request that is not an allowed read is sent."""

    def on_request(self, request: PipelineRequest) -> None:  # type: ignore[type-arg]
        http = request.http_request
        if not is_allowed_read(http.method, http.url):
            raise ReadOnlyViolation(
                f"refused {http.method} {urlsplit(http.url).path}: cjis-scan only reads"
            )
