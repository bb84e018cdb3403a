"""Azure Policy exemptions, read as one row of the spec table without an SDK operation.

azure-mgmt-resource-policy 1.0.0 (the PolicyClient the scanner uses, default API
2026-06-01) has no `policy_exemptions` operations — its client exposes assignments,
definitions, set definitions, their versions, data policy manifests and tokens only —
and the older multi-API azure-mgmt-resource that had them is not a dependency any more
(azure-mgmt-resource 26 keeps only ResourceManagementClient). So exemptions are read
with the scanner's JSON reader on azure-core (`scanner.azure.arm.JsonReader`, as for
Sentinel): same credential, retry, read-only guard, read budget and transport (replay
and recording work unchanged).

`PolicyExemptionsClient` has the shape `ClientFactory.mgmt` builds (credential,
subscription id, pipeline keyword arguments) and the shape a `ListSpec` row calls
(`policy_exemptions.list()` yielding REST dicts), so exemptions are one more row of
`scanner.collectors.specs.SPECS` — listed per subscription like every simple kind, with
their own collection error (`policy_exemptions`) when the list cannot be read — and not
a follow-up of policy assignments, which would silently skip them whenever the
assignment list failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from azure.core.credentials import TokenCredential

from scanner.azure.arm import JsonReader
from scanner.azure.clients import ClientFactory

API_VERSION = "2022-07-01-preview"
"""The newest exemptions API outside the 2024+ previews; its list body is the same shape
as the published 2026-01-01-preview example (fixtures/azure-examples-extra)."""


class _PipelineSettings:
    """What `JsonReader` reads from a ClientFactory: the credential and pipeline kwargs."""

    def __init__(self, credential: TokenCredential, kwargs: dict[str, Any]) -> None:
        self.credential = credential
        self._kwargs = kwargs

    def pipeline_kwargs(self) -> dict[str, Any]:
        return dict(self._kwargs)


class _Exemptions:
    def __init__(self, reader: JsonReader, subscription_id: str) -> None:
        self._reader = reader
        self._subscription_id = subscription_id

    def list(self) -> Iterator[dict[str, Any]]:
        """PolicyExemptions_List, unfiltered: the subscription's own exemptions, those
        inherited from its management groups, and those on its groups and resources."""
        path = (f"/subscriptions/{self._subscription_id}/providers/"
                f"Microsoft.Authorization/policyExemptions")
        return self._reader.list(path, API_VERSION)


class PolicyExemptionsClient:
    """A client of one subscription's policy exemptions, built like an azure-mgmt client."""

    def __init__(self, credential: TokenCredential, subscription_id: str, *,
                 base_url: str, credential_scopes: list[str], **pipeline: Any) -> None:
        settings = _PipelineSettings(credential, pipeline)
        reader = JsonReader(cast(ClientFactory, settings), base_url, credential_scopes[0])
        self.policy_exemptions = _Exemptions(reader, subscription_id)

    def close(self) -> None:
        """Nothing to release: the transport is shared and closed by its owner."""
