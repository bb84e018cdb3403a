"""The JSON reader every ARM (and Microsoft Graph) read goes through, on azure-core's pipeline.

The collectors GET Azure's JSON and map it into the inventory themselves instead of
calling the azure-mgmt-* operations: those deserialize every item into an SDK model
that the mappers then had to turn back into the REST dict, ~40 % of a large scan's CPU
and ~50 MB of imported modules (bench/README.md). The requests stay the SDK's: the same
paths and api-versions (tests/collectors/test_api_contract.py), the same policies —
credential, retry honouring Retry-After, read-only guard, read budget, user agent — and
the same transport, so replays and recordings work unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from azure.core import PipelineClient
from azure.core.exceptions import (
    ClientAuthenticationError,
    DecodeError,
    HttpResponseError,
    ResourceNotFoundError,
    map_error,
)
from azure.core.pipeline.policies import BearerTokenCredentialPolicy, UserAgentPolicy
from azure.core.rest import HttpRequest
from azure.mgmt.core.exceptions import ARMErrorFormat

from scanner.azure.clients import ClientFactory
from scanner.azure.guard import TokenBindingPolicy
from scanner.input_files import loads_json
from scanner.redact import redact

_ERROR_MAP: dict[int, type[HttpResponseError]] = {
    401: ClientAuthenticationError,
    404: ResourceNotFoundError,
}


class UntrustedLink(HttpResponseError):
    """A nextLink or redirect that leads off this reader's host: never followed.

    Raised without a response, so the collectors record it as a network failure of the
    read (the list is an error, not cut short as if complete).
    """


class JsonReader:
    """GETs JSON from one API host and follows its paging links."""

    def __init__(self, factory: ClientFactory, base_url: str, scope: str,
                 next_link_key: str = "nextLink") -> None:
        kwargs = factory.pipeline_kwargs()
        policies = [
            UserAgentPolicy(user_agent=kwargs["user_agent"]),
            *kwargs["per_call_policies"],
            kwargs["retry_policy"],
            *kwargs["per_retry_policies"],
            # The token stays home: this scope's token only to its own audience's hosts.
            TokenBindingPolicy(factory.cloud, scope),
            BearerTokenCredentialPolicy(factory.credential, scope),
        ]
        self.base_url = base_url.rstrip("/")
        self._host = (urlsplit(self.base_url).hostname or "").lower()
        self.next_link_key = next_link_key
        self._client: PipelineClient[Any, Any] = PipelineClient(
            self.base_url, policies=policies, transport=kwargs["transport"]
        )

    def _own(self, url: str) -> bool:
        """Is `url` on this reader's host (https, default port: ARM writes `:443` in some
        nextLinks)?"""
        parts = urlsplit(url)
        return (parts.scheme == "https" and (parts.hostname or "").lower() == self._host
                and parts.port in (None, 443) and not parts.username)

    def get(self, path_or_url: str, api_version: str | None = None) -> dict[str, Any]:
        """GET one JSON document; raises azure-core's HttpResponseError family on failure."""
        url = path_or_url if path_or_url.startswith("https://") else self.base_url + path_or_url
        if not self._own(url):  # a nextLink to another host
            raise UntrustedLink(f"not followed: a link to {urlsplit(url).netloc or url!r}, "
                                f"outside {self._host} (no token is sent off the cloud)")
        params = {"api-version": api_version} if api_version and "api-version=" not in url else None
        request = HttpRequest("GET", url, params=params, headers={"Accept": "application/json"})
        response = self._client.send_request(request)
        if 300 <= response.status_code < 400:  # redirects are off: one is never followed
            location = urlsplit(response.headers.get("Location", ""))
            raise UntrustedLink(f"not followed: HTTP {response.status_code} redirect to "
                                f"{location.netloc}{location.path or ' (no Location)'}")
        if response.status_code >= 400:
            map_error(response.status_code, response, _ERROR_MAP)
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        if 300 <= response.status_code < 400:  # redirects are not followed (scanner/azure/guard)
            raise DecodeError(f"{_safe(url)}: Azure answered HTTP {response.status_code} "
                              f"instead of the document")
        # JSON is UTF-8: decoded from the bytes (no charset sniffing per read), then
        # redacted as text (decode_json).
        body = decode_json(response.content.decode("utf-8", "replace")
                           if response.content else "", url)
        return body if isinstance(body, dict) else {"value": body}

    def list(self, path: str, api_version: str | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a paged list (`value` + nextLink / @odata.nextLink).

        Fails closed: a page that is not a JSON object with a `value` list of objects
        (an empty body, a 204, `value` null or missing, an error body answered 200) raises
        DecodeError (an HttpResponseError, so the collector records an `UnexpectedShape`
        error for its scope), and so does a nextLink that is not a string or that names a
        page already read (a loop), never a guess at the items or an endless list.
        """
        seen = {_page_key(self.base_url + path if path.startswith("/") else path)}
        page = self._page(path, api_version)
        while True:
            yield from page["value"]
            next_link = page.get(self.next_link_key)
            if next_link is None or next_link == "":
                return
            if not isinstance(next_link, str):
                raise DecodeError(f"{_safe(path)}: the list's {self.next_link_key} is not a "
                                  f"string")
            key = _page_key(next_link)
            if key in seen:
                raise DecodeError(f"{_safe(path)}: the list's {self.next_link_key} repeats a "
                                  f"page already read ({len(seen)} pages): the list stops "
                                  f"here")
            seen.add(key)
            page = self._page(next_link)

    def _page(self, path_or_url: str, api_version: str | None = None) -> dict[str, Any]:
        """One page of a list, checked to be `{"value": [object, ...], ...}`."""
        url = path_or_url if path_or_url.startswith("https://") else self.base_url + path_or_url
        page = self.get(path_or_url, api_version)
        items = page.get("value")
        if isinstance(items, list) and all(isinstance(i, dict) for i in items):
            return page
        if "value" not in page:
            error = page.get("error")
            detail = (f"an error body ({_error_code(error)})" if error is not None
                      else "an empty body" if not page else "no `value` list")
            raise DecodeError(f"{_safe(url)}: the list page has {detail}")
        raise DecodeError(f"{_safe(url)}: the list's `value` is not a list of objects")


def decode_json(text: str, url: str) -> Any:
    """Azure's JSON, redacted of secret-shaped values, or DecodeError naming what is wrong.

    Rejects what Azure never sends and Python's json would accept or choke on: NaN and
    Infinity, numbers past the int-digit limit, nesting deep enough to recurse out.
    """
    if not text.strip():
        return {}
    try:
        return loads_json(redact(text))
    except (ValueError, RecursionError) as exc:  # an HTML error page, a truncated body ...
        detail = "nested too deeply" if isinstance(exc, RecursionError) else "not JSON"
        raise DecodeError(f"{_safe(url)}: the response is {detail}") from None


def _error_code(error: Any) -> str:
    code = error.get("code") if isinstance(error, dict) else None
    return redact(str(code))[:100] if code else "no code"


def _safe(url: str) -> str:
    """A URL for an error message: redacted, and without its query (skip tokens)."""
    return redact(urlsplit(url)._replace(query="").geturl())[:300]


def _page_key(url: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """What makes two page URLs the same page (api-version aside, as Azure rewrites it)."""
    parts = urlsplit(url)
    query = tuple(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                         if k.lower() != "api-version"))
    return (parts.netloc.lower(), parts.path.rstrip("/").lower(), query)
