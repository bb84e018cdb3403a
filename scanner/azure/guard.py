"""The read-only guard: only declared reads, to the cloud's own hosts, leave the process.

It stands twice in every client: as the first policy of the pipeline (nothing is signed
or retried that would be refused) and in front of the transport (`GuardedTransport`),
so no later policy — a redirect, a retry, a nextLink — can carry a request past it:
every hop is checked just before it would be sent, bearer token and all.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import urlsplit

from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.core.pipeline.transport import HttpTransport

from scanner.azure.allowlist import (
    AllowList,
    ReadPolicy,
    cloud_allowlist,
    declared_count,
    is_vault_host,
)
from scanner.azure.clouds import CLOUDS, Cloud
from scanner.errors import ReadOnlyViolation


class DeclaredReads:
    """The allow-list of one cloud, built from the reads declared when it is first asked
    (`allowlist.declare_reads`: the collectors declare theirs when imported), so a client
    can be made before the collectors are loaded."""

    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self._built: AllowList | None = None
        self._declared = -1

    def refusal(self, method: str, url: str) -> str | None:
        count = declared_count()
        if self._built is None or count != self._declared:
            self._built = cloud_allowlist(self.cloud.arm_host, self.cloud.graph_host,
                                          vault_suffix=self.cloud.keyvault_suffix)
            self._declared = count
        return self._built.refusal(method, url)


@cache
def allowlist_for(cloud: Cloud) -> DeclaredReads:
    """The allow-list of `cloud`, from the declared reads."""
    return DeclaredReads(cloud)


def is_allowed_read(method: str, url: str, cloud: Cloud | None = None) -> bool:
    """True when `method url` is a declared read (of `cloud`, or of any known cloud)."""
    clouds = [cloud] if cloud else list(CLOUDS.values())
    return any(allowlist_for(c).refusal(method, url) is None for c in clouds)


def token_refusal(cloud: Cloud, scope: str, url: str) -> str | None:
    """Why a token for `scope` may not go to `url` (None: it is that host's own audience).

    The token stays home: an ARM token only to ARM, a Graph token only to Graph, a Key
    Vault token only to `<vault>.<the cloud's Key Vault suffix>`, never one to another."""
    host = (urlsplit(url).hostname or "").lower()
    if host == cloud.arm_host:
        audience = cloud.arm_scope
    elif host == cloud.graph_host:
        audience = cloud.graph_scope
    elif is_vault_host(host, cloud.keyvault_suffix):
        audience = cloud.keyvault_scope
    else:
        return f"{host or '(no host)'} is not an endpoint of the {cloud.name.value} cloud"
    if scope != audience:
        return f"a token for {scope} may not go to {host} (its audience is {audience})"
    return None


class TokenBindingPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Raises `ReadOnlyViolation` before a token for `scope` is attached to a request for
    another audience's host (placed just before the bearer-token policy)."""

    def __init__(self, cloud: Cloud, scope: str) -> None:
        self.cloud = cloud
        self.scope = scope

    def on_request(self, request: PipelineRequest) -> None:  # type: ignore[type-arg]
        http = request.http_request
        reason = token_refusal(self.cloud, self.scope, http.url)
        if reason is not None:
            parts = urlsplit(http.url)
            raise ReadOnlyViolation(f"refused {http.method.upper()} {parts.netloc}{parts.path}: "
                                    f"{reason} (the token stays home)")


def check_request(allowlist: ReadPolicy, method: str, url: str) -> None:
    """Raise `ReadOnlyViolation` unless `method url` is a declared read."""
    reason = allowlist.refusal(method, url)
    if reason is not None:
        parts = urlsplit(url)
        raise ReadOnlyViolation(
            f"refused {method.upper()} {parts.netloc}{parts.path}: {reason} "
            f"(cjis-scan only reads: its declared reads, to the cloud's ARM and Graph hosts)")


class ReadOnlyGuardPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Raises `ReadOnlyViolation` before any request that is not a declared read is sent."""

    def __init__(self, allowlist: ReadPolicy) -> None:
        self.allowlist = allowlist

    def on_request(self, request: PipelineRequest) -> None:  # type: ignore[type-arg]
        http = request.http_request
        check_request(self.allowlist, http.method, http.url)


class GuardedTransport(HttpTransport):  # type: ignore[type-arg]
    """Lends one transport (connection pool, replay cassette) to many clients, and checks
    every request against the allow-list as it is handed over: the last word before a
    socket (or a cassette).

    Clients close their transport when they are closed; the shared one outlives them.
    """

    def __init__(self, inner: HttpTransport, allowlist: ReadPolicy) -> None:  # type: ignore[type-arg]
        self.inner = inner
        self.allowlist = allowlist

    def send(self, request: Any, **kwargs: Any) -> Any:
        check_request(self.allowlist, request.method, request.url)
        return self.inner.send(request, **kwargs)

    def open(self) -> None:
        self.inner.open()

    def close(self) -> None:  # the owner closes `inner`
        pass

    def __enter__(self) -> GuardedTransport:
        return self

    def __exit__(self, *args: Any) -> None:
        pass

    def sleep(self, duration: float) -> None:
        self.inner.sleep(duration)
