"""One place that builds every Azure client: cloud, credential, retry, timeouts, guard."""

from __future__ import annotations

import random
import time
from typing import Any, TypeVar

from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    IncompleteReadError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import HTTPPolicy, RedirectPolicy, RetryPolicy, SansIOHTTPPolicy
from azure.core.pipeline.transport import HttpTransport

from scanner import __version__
from scanner.azure.allowlist import ReadPolicy
from scanner.azure.clouds import Cloud
from scanner.azure.guard import GuardedTransport, ReadOnlyGuardPolicy, allowlist_for
from scanner.azure.throttle import ReadBudget, ThrottlePolicy

USER_AGENT = f"cjis-scan/{__version__}"
# Azure can ask for a very long Retry-After under sustained throttling; a scan waits at
# most this long per retry and gives up on the call (→ `unknown`) rather than hang.
MAX_RETRY_AFTER_SECONDS = 60.0
CONNECT_TIMEOUT_SECONDS = 10.0
"""Per attempt, to open a connection (azure-core's default is 300 s)."""
READ_TIMEOUT_SECONDS = 30.0
"""Per attempt, between bytes of a response (azure-core's default is 300 s)."""
SCAN_DEADLINE_SECONDS = 2 * 3600.0
"""After this long, reads not yet sent fail at once (each `unknown`, the scan exits 3)."""
RETRY_BACKOFF_SECONDS = 1.0
"""First wait before a retry without Retry-After; doubled each retry, ±20 % jitter."""

ClientT = TypeVar("ClientT")
Transport = HttpTransport[Any, Any]
"""A synchronous azure-core transport (live requests, replay or recording)."""


class TransportFailure(ServiceResponseError):
    """The connection failed before a whole response arrived (dropped, cut short).

    A ServiceResponseError, so the retry policy retries it and the collectors record it
    as a network failure, not as a response shape Azure sent.
    """


class ScanDeadlineExceeded(ServiceRequestError):
    """The scan's overall deadline passed before this read was sent."""


class BoundedRetryPolicy(RetryPolicy):  # type: ignore[type-arg]
    """azure-core's RetryPolicy (honours Retry-After on 429/503) with a cap per wait, a
    real backoff from the first retry (azure-core retries the first at once: a truncated
    body's retries all landed within milliseconds), and the Resource Graph query POST
    retried like the GETs (it is a read)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._method_whitelist = frozenset({*self._method_whitelist, "POST"})

    def get_retry_after(self, response: Any) -> float | None:
        """Retry-After in seconds, capped at MAX_RETRY_AFTER_SECONDS."""
        try:
            retry_after = super().get_retry_after(response)
        except (ValueError, TypeError, OverflowError):
            # hard-data (issue 13 item 3): a Retry-After that is neither seconds nor an
            # HTTP date is this read's error (UnexpectedShape), not a traceback.
            from azure.core.exceptions import DecodeError

            header = str(response.http_response.headers.get("Retry-After"))[:40]
            raise DecodeError(f"Retry-After {header!r} is neither seconds nor an HTTP "
                              f"date") from None
        return None if retry_after is None else min(retry_after, MAX_RETRY_AFTER_SECONDS)

    def get_backoff_time(self, settings: dict[str, Any]) -> float:
        """backoff × 2^(retry − 1), capped, with jitter so workers do not retry in step."""
        retries = max(len(settings["history"]), 1)
        wait = min(settings["max_backoff"], settings["backoff"] * 2 ** (retries - 1))
        return float(wait * random.uniform(0.8, 1.2))


def retry_policy(backoff: float = RETRY_BACKOFF_SECONDS) -> RetryPolicy:  # type: ignore[type-arg]
    """The scanner's retry policy: 3 retries on 408/429/5xx and on transport failures,
    backing off 1, 2, 4 s (or Retry-After), at most 600 s per read in all."""
    return BoundedRetryPolicy(
        retry_total=3, retry_backoff_factor=backoff, retry_backoff_max=30, timeout=600
    )


class TransportFaultPolicy(HTTPPolicy):  # type: ignore[type-arg]
    """Makes every way a connection can fail one `TransportFailure` (retried, then a
    network error of that read), with a message a user can act on.

    azure-core reports a body cut short as IncompleteReadError, a DecodeError: it read
    as a response shape Azure sent ("report it as a bug"). A body shorter than its
    Content-Length is the same failure; so are a drop, a reset and a timeout.
    """

    def send(self, request: PipelineRequest) -> PipelineResponse:  # type: ignore[type-arg]
        try:
            response = self.next.send(request)
        except (TransportFailure, ClientAuthenticationError):
            raise
        except IncompleteReadError as exc:
            raise TransportFailure(f"the connection dropped before the whole response "
                                   f"arrived ({_cause(exc)})", error=exc) from exc
        except ServiceRequestTimeoutError as exc:
            raise TransportFailure(f"no connection within the {_timeout(request, 'timeout')} "
                                   f"connect timeout ({_cause(exc)})", error=exc) from exc
        except ServiceResponseTimeoutError as exc:
            raise TransportFailure(f"no answer within the {_timeout(request, 'read_timeout')} "
                                   f"read timeout ({_cause(exc)})", error=exc) from exc
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise TransportFailure(f"the connection failed ({_cause(exc)})",
                                   error=exc) from exc
        except HttpResponseError as exc:
            if exc.response is not None:
                raise
            raise TransportFailure(f"the response could not be read ({_cause(exc)})",
                                   error=exc) from exc
        http = response.http_response
        declared = http.headers.get("Content-Length")
        encoding = http.headers.get("Content-Encoding", "identity").lower()
        if declared and declared.isdigit() and encoding == "identity":
            try:
                received = len(http.body() or b"")
            except Exception:  # noqa: BLE001 - a streamed body: its reader checks its length
                return response
            if received < int(declared):
                raise TransportFailure(f"the response was cut short: {received} of "
                                       f"{declared} bytes arrived")
        return response


def _timeout(request: PipelineRequest, name: str) -> str:  # type: ignore[type-arg]
    """The transport's timeout `name` in seconds, as text (`30 s`)."""
    transport = getattr(request.context.transport, "inner", request.context.transport)
    seconds = getattr(getattr(transport, "connection_config", None), name, None)
    return f"{seconds:g} s" if isinstance(seconds, int | float) else "configured"


def _cause(exc: BaseException) -> str:
    """The innermost reason of a transport error (`RemoteDisconnected: Remote end closed
    connection without response`), not requests' and urllib3's wrappers around it."""
    root: BaseException = exc
    seen = set()
    while id(root) not in seen:
        seen.add(id(root))
        inner = getattr(root, "inner_exception", None) or root.__cause__ or root.__context__
        nested = [a for a in getattr(root, "args", ()) if isinstance(a, BaseException)]
        nxt = inner or (nested[0] if nested else None)
        if nxt is None:
            break
        root = nxt
    reason = " ".join(str(root).split())
    return f"{type(root).__name__}: {reason}"[:200] if reason else type(root).__name__


class Deadline:
    """The scan's overall deadline, shared by every client of one factory."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.ends - time.monotonic()


class DeadlinePolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Fails a read at once, before its retries, when the scan's deadline has passed."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline

    def on_request(self, request: PipelineRequest) -> None:  # type: ignore[type-arg]
        if self.deadline.remaining() <= 0:
            raise ScanDeadlineExceeded(
                f"the scan's overall deadline ({self.deadline.seconds:.0f} s) passed before "
                f"this read was sent")


class ClientFactory:
    """Builds SDK and pipeline clients that all share the cloud, credential and transport."""

    def __init__(
        self,
        cloud: Cloud,
        credential: TokenCredential,
        transport: Transport,
        budget: ReadBudget | None = None,
        allowlist: ReadPolicy | None = None,
        deadline_seconds: float = SCAN_DEADLINE_SECONDS,
        retry_backoff: float = RETRY_BACKOFF_SECONDS,
    ) -> None:
        self.cloud = cloud
        self.credential = credential
        self.transport = transport
        self.budget = budget or ReadBudget()
        self.allowlist = allowlist or allowlist_for(cloud)
        self.deadline = Deadline(deadline_seconds)
        self._retry_backoff = retry_backoff

    def pipeline_kwargs(self) -> dict[str, Any]:
        """Keyword arguments every azure-core client of the scanner is built with."""
        return {
            # The guard again at the transport: every hop, whatever policy sent it.
            "transport": GuardedTransport(self.transport, self.allowlist),
            # One per pipeline: azure-core chains a policy to the next one of the pipeline
            # it is built into, so one shared instance sent ARM's requests on through the
            # last-built pipeline's policies (Microsoft Graph's token on ARM reads).
            "retry_policy": retry_policy(self._retry_backoff),
            # A redirect is never followed: it could carry the request (and its token)
            # to another path or host. The 3xx is returned as an error instead.
            "redirect_policy": RedirectPolicy.no_redirects(),
            "user_agent": USER_AGENT,
            "per_call_policies": [ReadOnlyGuardPolicy(self.allowlist),
                                  DeadlinePolicy(self.deadline)],
            # Per attempt: retries draw on the read budget too.
            "per_retry_policies": [ThrottlePolicy(self.budget), TransportFaultPolicy()],
        }

    @property
    def tenant_id(self) -> str | None:
        """The signed-in tenant, from the credential's token (None for a replay's stand-in)."""
        tenant = getattr(self.credential, "tenant_id", None)
        return tenant if isinstance(tenant, str) else None

    def mgmt(self, client_class: type[ClientT], subscription_id: str | None = None) -> ClientT:
        """An azure-mgmt-* client for this cloud (base_url and scopes set together)."""
        kwargs = self.pipeline_kwargs()
        kwargs["base_url"] = self.cloud.arm_endpoint
        kwargs["credential_scopes"] = [self.cloud.arm_scope]
        if subscription_id is not None:
            return client_class(self.credential, subscription_id, **kwargs)  # type: ignore[call-arg]
        return client_class(self.credential, **kwargs)  # type: ignore[call-arg]


def live_transport(concurrency: int, connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
                   read_timeout: float = READ_TIMEOUT_SECONDS) -> Transport:
    """A requests transport whose connection pool is as large as the worker pool, with
    timeouts of seconds per attempt (proxies and CA bundle from the environment, as
    requests reads them: HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE)."""
    import logging

    import requests
    from azure.core.pipeline.transport import RequestsTransport
    from requests.adapters import HTTPAdapter

    # Its "Incomplete download." warning per attempt repeats the TransportFailure the
    # read is recorded with.
    logging.getLogger("azure.core.pipeline.transport._requests_basic").setLevel(logging.ERROR)

    from scanner.azure.http import EnvironmentOnceSession

    session: requests.Session = EnvironmentOnceSession()  # scale: env read once, not per read
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(concurrency, 10))
    session.mount("https://", adapter)
    transport: Transport = RequestsTransport(
        session=session, session_owner=True,
        connection_timeout=connect_timeout, read_timeout=read_timeout)
    return transport
