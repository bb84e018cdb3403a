"""Microsoft Graph: a thin reader on azure-core, not msgraph-sdk.

Measured on one machine (AMD EPYC, 2 vCPU, Python 3.11.7; msgraph-sdk 1.65.0 installed
with azure-identity and vcrpy in a clean venv; 7 warm runs each, medians; one replayed
GET /policies/authenticationMethodsPolicy):
- msgraph-sdk adds 27 distributions the scanner does not already have, 280.6 MB of files
  (the `msgraph` package alone: 16,741 .py files, 392 MiB on disk with bytecode);
  `from msgraph import GraphServiceClient` takes 0.22 s, but import plus the first
  replayed GET takes 1.80 s (1.58-2.07) and loads 2,030 modules (88 MB RSS).
- this reader adds no distribution (azure-core is already required); import plus the
  first replayed GET takes 0.25 s (0.21-0.29), 508 modules (38 MB RSS).
- Both replay under vcrpy. msgraph-sdk requests `/v1.0//policies/...` (double slash), so
  under vcrpy's default matcher it misses a cassette recorded by any other client; the
  scanner's cassette transport collapses repeated slashes and plays either.
This reader also shares the credential, retry policy and read-only guard of every other
client and reads Graph's JSON straight into the scanner's typed models.

Graph specifics handled here: the cloud's Graph host (graph.microsoft.com or
graph.microsoft.us) and its token scope, the `/v1.0` API version in the path, and paging
by `@odata.nextLink` (an absolute URL, followed as given).
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from azure.core.exceptions import HttpResponseError

from scanner.azure.arm import JsonReader
from scanner.azure.clients import ClientFactory
from scanner.azure.clouds import Cloud

GRAPH_API_VERSION = "v1.0"
NEXT_LINK = "@odata.nextLink"


def graph_base_url(cloud: Cloud) -> str:
    """The Graph v1.0 root of `cloud` (`https://graph.microsoft.us/v1.0` in US Government)."""
    return f"{cloud.graph_endpoint.rstrip('/')}/{GRAPH_API_VERSION}"


class GraphReader(JsonReader):
    """GETs Graph v1.0 JSON for one cloud and follows `@odata.nextLink`.

    Paths are relative to the v1.0 root (`/identity/conditionalAccess/policies`).
    """

    def __init__(self, factory: ClientFactory) -> None:
        super().__init__(factory, graph_base_url(factory.cloud), factory.cloud.graph_scope,
                         next_link_key=NEXT_LINK)
        self.cloud = factory.cloud


_READERS: weakref.WeakKeyDictionary[ClientFactory, GraphReader] = weakref.WeakKeyDictionary()
_READERS_LOCK = threading.Lock()


def graph_reader(factory: ClientFactory) -> GraphReader:
    """The one Graph reader of `factory` (created on first use, shared by every task)."""
    with _READERS_LOCK:
        reader = _READERS.get(factory)
        if reader is None:
            reader = _READERS[factory] = GraphReader(factory)
        return reader


def graph_error_code(exc: HttpResponseError) -> str | None:
    """Graph's `error.code` of a failed call (`Authorization_RequestDenied`, `BadRequest`)."""
    return getattr(getattr(exc, "error", None), "code", None)


def graph_error_message(exc: HttpResponseError) -> str:
    """Graph's `error.message` of a failed call (first line), or the HTTP reason."""
    message: Any = getattr(getattr(exc, "error", None), "message", None) or exc.reason or ""
    return str(message).strip().splitlines()[0] if str(message).strip() else ""
