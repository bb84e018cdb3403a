"""One place that builds every Azure client: cloud, credential, retry, user agent, guard."""

from __future__ import annotations

from typing import Any, TypeVar

from azure.core.credentials import TokenCredential
from azure.core.pipeline.policies import RetryPolicy
from azure.core.pipeline.transport import HttpTransport

from scanner import __version__
from scanner.azure.clouds import Cloud
from scanner.azure.guard import ReadOnlyGuardPolicy
from scanner.azure.throttle import ReadBudget, ThrottlePolicy

USER_AGENT = f"cjis-scan/{__version__}"
# Azure can ask for a very long Retry-After under sustained throttling; a scan waits at
# most this long per retry and gives up on the call (→ `unknown`) rather than hang.
MAX_RETRY_AFTER_SECONDS = 60.0

ClientT = TypeVar("ClientT")
Transport = HttpTransport[Any, Any]
"""A synchronous azure-core transport (live requests, replay or recording)."""


class BoundedRetryPolicy(RetryPolicy):  # type: ignore[type-arg]
    """azure-core's RetryPolicy (honours Retry-After on 429/503) with a cap per wait."""

    def get_retry_after(self, response: Any) -> float | None:
        """Retry-After in seconds, capped at MAX_RETRY_AFTER_SECONDS."""
        retry_after = super().get_retry_after(response)
        return None if retry_after is None else min(retry_after, MAX_RETRY_AFTER_SECONDS)


def retry_policy() -> RetryPolicy:  # type: ignore[type-arg]
    """The scanner's retry policy: 3 retries on 408/429/5xx, backoff, bounded total time."""
    return BoundedRetryPolicy(
        retry_total=3, retry_backoff_factor=0.8, retry_backoff_max=30, timeout=600
    )


class _SharedTransport(Transport):
    """Lends one transport (connection pool, replay cassette) to many clients.

    Clients close their transport when they are closed; the shared one outlives them.
    """

    def __init__(self, inner: Transport) -> None:
        self.inner = inner

    def send(self, request: Any, **kwargs: Any) -> Any:
        return self.inner.send(request, **kwargs)

    def open(self) -> None:
        self.inner.open()

    def close(self) -> None:  # the owner closes `inner`
        pass

    def __enter__(self) -> _SharedTransport:
        return self

    def __exit__(self, *args: Any) -> None:
        pass

    def sleep(self, duration: float) -> None:
        self.inner.sleep(duration)


class ClientFactory:
    """Builds SDK and pipeline clients that all share the cloud, credential and transport."""

    def __init__(
        self,
        cloud: Cloud,
        credential: TokenCredential,
        transport: Transport,
        budget: ReadBudget | None = None,
    ) -> None:
        self.cloud = cloud
        self.credential = credential
        self.transport = transport
        self.budget = budget or ReadBudget()
        self._retry = retry_policy()

    def pipeline_kwargs(self) -> dict[str, Any]:
        """Keyword arguments every azure-core client of the scanner is built with."""
        return {
            "transport": _SharedTransport(self.transport),
            "retry_policy": self._retry,
            "user_agent": USER_AGENT,
            "per_call_policies": [ReadOnlyGuardPolicy()],
            # Per attempt: retries draw on the read budget too.
            "per_retry_policies": [ThrottlePolicy(self.budget)],
        }

    def mgmt(self, client_class: type[ClientT], subscription_id: str | None = None) -> ClientT:
        """An azure-mgmt-* client for this cloud (base_url and scopes set together)."""
        kwargs = self.pipeline_kwargs()
        kwargs["base_url"] = self.cloud.arm_endpoint
        kwargs["credential_scopes"] = [self.cloud.arm_scope]
        if subscription_id is not None:
            return client_class(self.credential, subscription_id, **kwargs)  # type: ignore[call-arg]
        return client_class(self.credential, **kwargs)  # type: ignore[call-arg]


def live_transport(concurrency: int) -> Transport:
    """A requests transport whose connection pool is as large as the worker pool."""
    import requests
    from azure.core.pipeline.transport import RequestsTransport
    from requests.adapters import HTTPAdapter

    from scanner.azure.http import EnvironmentOnceSession

    session: requests.Session = EnvironmentOnceSession()  # scale: env read once, not per read
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(concurrency, 10))
    session.mount("https://", adapter)
    transport: Transport = RequestsTransport(session=session, session_owner=True)
    return transport
