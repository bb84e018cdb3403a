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

import json
from collections.abc import Iterator
from typing import Any

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

_ERROR_MAP: dict[int, type[HttpResponseError]] = {
    401: ClientAuthenticationError,
    404: ResourceNotFoundError,
}


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
            BearerTokenCredentialPolicy(factory.credential, scope),
        ]
        self.base_url = base_url.rstrip("/")
        self.next_link_key = next_link_key
        self._client: PipelineClient[Any, Any] = PipelineClient(
            self.base_url, policies=policies, transport=kwargs["transport"]
        )

    def get(self, path_or_url: str, api_version: str | None = None) -> dict[str, Any]:
        """GET one JSON document; raises azure-core's HttpResponseError family on failure."""
        url = path_or_url if path_or_url.startswith("https://") else self.base_url + path_or_url
        params = {"api-version": api_version} if api_version and "api-version=" not in url else None
        request = HttpRequest("GET", url, params=params, headers={"Accept": "application/json"})
        response = self._client.send_request(request)
        if response.status_code >= 400:
            map_error(response.status_code, response, _ERROR_MAP)
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        try:
            # From the bytes (JSON is UTF-8): no charset parsing and text copy per read.
            body = json.loads(response.content) if response.content else {}
        except ValueError:  # an HTML error page from a proxy, a truncated body ...
            raise DecodeError(f"{url}: the response is not JSON", response=response) from None
        return body if isinstance(body, dict) else {"value": body}

    def list(self, path: str, api_version: str | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a paged list (`value` + nextLink / @odata.nextLink).

        A page whose `value` is not a list of objects raises DecodeError (an
        HttpResponseError, so the collector records it), never a guess at its items.
        """
        page = self.get(path, api_version)
        while True:
            items = page.get("value") or []
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise DecodeError(f"{path}: the list's `value` is not a list of objects")
            yield from items
            next_link = page.get(self.next_link_key)
            if not next_link:
                return
            page = self.get(next_link)
