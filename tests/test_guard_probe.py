"""Probes sent through the scanner's real pipelines: none that is not a declared read, to
the cloud's own hosts, ever reaches the transport (and so never carries the token)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from azure.core import PipelineClient
from azure.core.rest import HttpRequest

import scanner.collectors.reads  # noqa: F401 - the collectors declare the reads the guard allows
from scanner.azure.arm import JsonReader, UntrustedLink
from scanner.azure.clients import ClientFactory
from scanner.azure.clouds import get_cloud
from scanner.azure.credentials import StandInCredential
from scanner.azure.graph import GraphReader
from scanner.azure.guard import is_allowed_read
from scanner.azure.throttle import ReadBudget
from scanner.errors import ReadOnlyViolation
from scanner.replay import _make_response

ARM = "https://management.azure.com"
GRAPH = "https://graph.microsoft.com"
COMMERCIAL = get_cloud("commercial")
SUB = "/subscriptions/9d2e0c4e-8f5a-4d3b-9c6e-2a1b7c8d8d9f"
RG = f"{SUB}/resourceGroups/rg-cjis"
SA = f"{RG}/providers/Microsoft.Storage/storageAccounts/stcjis"
KV = f"{RG}/providers/Microsoft.KeyVault/vaults/kv-cjis"
AKS = f"{RG}/providers/Microsoft.ContainerService/managedClusters/aks-cjis"


class SpyTransport:
    """Answers everything 200 (so only the guard can stop a probe) and keeps what it saw."""

    def __init__(self, answers: dict[str, tuple[int, dict[str, str], Any]] | None = None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.answers = answers or {}

    def send(self, request: Any, **kwargs: Any) -> Any:
        self.sent.append((request.method, request.url))
        status, headers, body = next(
            (a for key, a in self.answers.items() if key in request.url),
            (200, {}, {"value": []}))
        all_headers = {"Content-Type": ["application/json"], **{k: [v] for k, v in headers.items()}}
        return _make_response(request, status, "", all_headers, json.dumps(body).encode())

    def open(self) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> SpyTransport:
        return self

    def __exit__(self, *args: Any) -> None: ...
    def sleep(self, duration: float) -> None: ...


def factory(spy: SpyTransport, cloud: str = "commercial") -> ClientFactory:
    return ClientFactory(get_cloud(cloud), StandInCredential(), spy,  # type: ignore[arg-type]
                         ReadBudget(enabled=False))


# Every encoding and spelling of a secret-returning operation, and every undeclared read.
PROBES: list[tuple[str, str]] = [
    ("POST", f"{ARM}{SA}/listKeys"),
    ("GET", f"{ARM}{SA}/listKeys"),
    ("POST", f"{ARM}{SA}/list%4Beys"),
    ("POST", f"{ARM}{SA}/list%4beys"),
    ("POST", f"{ARM}{SA}%2FlistKeys"),
    ("POST", f"{ARM}{SA}%2flistkeys"),
    ("POST", f"{ARM}{SA}/list%254Beys"),  # encoded twice
    ("POST", f"{ARM}{SA}/LISTKEYS"),
    ("POST", f"{ARM}{SA}//listKeys/"),
    ("POST", f"{ARM}{SA}/listKeys/"),
    ("GET", f"{ARM}{SA}/listKeys?api-version=2023-01-01"),
    ("POST", f"{ARM}{SA}/ListAccountSas"),
    ("POST", f"{ARM}{SA}/listServiceSas"),
    ("POST", f"{ARM}{SA}/regenerateKey"),
    ("GET", f"{ARM}{SA}/providers/../listKeys"),
    ("GET", f"{ARM}{SA}/%2E%2E/%2E%2E/listKeys"),
    ("GET", f"{ARM}{KV}/secrets"),
    ("GET", f"{ARM}{KV}/secrets/db-password"),
    ("GET", f"{ARM}{KV}/secret%73"),
    ("GET", f"{ARM}{KV}/SECRETS/"),
    ("GET", f"{ARM}{KV}/keys/k/../../secrets"),
    ("GET", "https://kv-cjis.vault.azure.net/secrets?api-version=7.4"),
    ("GET", "https://kv-cjis.vault.azure.net/secrets/db-password?api-version=7.4"),
    ("GET", f"{ARM}{AKS}/accessProfiles/clusterAdmin"),
    ("POST", f"{ARM}{AKS}/accessProfiles/clusterAdmin/listCredential"),
    ("POST", f"{ARM}{AKS}/listClusterAdminCredential"),
    ("POST", f"{ARM}{AKS}/listClusterUserCredential"),
    ("POST", f"{ARM}{RG}/providers/Microsoft.ContainerRegistry/registries/acr/listCredentials"),
    ("POST", f"{ARM}{RG}/providers/Microsoft.Web/sites/app/config/publishingcredentials/list"),
    ("POST", f"{ARM}{RG}/providers/Microsoft.DocumentDB/databaseAccounts/c/listConnectionStrings"),
    ("POST", f"{ARM}{RG}/providers/Microsoft.DocumentDB/databaseAccounts/c/listKeys"),
    ("POST", f"{ARM}{RG}/providers/Microsoft.Search/searchServices/s/listAdminKeys"),
    ("GET", f"{ARM}{RG}/providers/Microsoft.Web/sites/app/config/appsettings"),
    # Writes, on paths that are declared reads.
    ("PUT", f"{ARM}{RG}"),
    ("PATCH", f"{ARM}{SA}"),
    ("DELETE", f"{ARM}{SUB}/resourcegroups"),
    ("POST", f"{ARM}{SUB}/providers/Microsoft.Storage/storageAccounts"),
    ("HEAD", f"{ARM}{SUB}/resourcegroups"),
    # Reads cjis-scan does not declare.
    ("GET", f"{ARM}{SUB}/providers/Microsoft.Web/staticSites"),  # Web/sites is a kind now
    ("GET", f"{ARM}{RG}/providers/Microsoft.Storage/storageAccounts/stcjis/blobServices/default"
            f"/containers"),
    ("POST", f"{ARM}{SUB}/providers/Microsoft.ResourceGraph/resources"),  # not the root
    ("GET", f"{ARM}/providers/Microsoft.ResourceGraph/resources"),
    ("GET", f"{GRAPH}/v1.0/applications"),
    ("GET", f"{GRAPH}/v1.0/users"),
    ("GET", f"{GRAPH}/beta/policies/authenticationMethodsPolicy"),
    ("GET", f"{ARM}/v1.0/policies/authenticationMethodsPolicy"),  # a Graph path on ARM
    ("GET", f"{GRAPH}{SUB}/resourcegroups"),  # an ARM path on Graph
    # Hosts that are not this cloud's ARM or Graph.
    ("GET", f"https://evil.example{SUB}/resourcegroups"),
    ("GET", f"https://management.azure.com.evil.example{SUB}/resourcegroups"),
    ("GET", f"https://management.usgovcloudapi.net{SUB}/resourcegroups"),
    ("GET", f"http://management.azure.com{SUB}/resourcegroups"),
    ("GET", f"https://management.azure.com:8443{SUB}/resourcegroups"),
    ("GET", f"https://user:pw@management.azure.com{SUB}/resourcegroups"),
    ("GET", f"https://login.microsoftonline.com{SUB}/resourcegroups"),
]


def readers(spy: SpyTransport) -> list[Any]:
    """The real pipelines the scanner sends through: ARM and Graph readers, an SDK client,
    and a bare pipeline with no policy at all (only the guarded transport)."""
    from azure.mgmt.resourcegraph import ResourceGraphClient

    made = factory(spy)
    arm = JsonReader(made, made.cloud.arm_endpoint, made.cloud.arm_scope)
    return [arm._client, GraphReader(made)._client, made.mgmt(ResourceGraphClient)._client,
            PipelineClient(ARM, transport=made.pipeline_kwargs()["transport"], policies=[])]


@pytest.mark.parametrize("method, url", PROBES)
def test_probe_never_reaches_the_transport(method: str, url: str) -> None:
    spy = SpyTransport()
    for client in readers(spy):
        with pytest.raises(ReadOnlyViolation, match="refused"):
            client.send_request(HttpRequest(method, url))
    assert spy.sent == []
    assert not is_allowed_read(method, url, COMMERCIAL)


def test_every_probe_is_refused() -> None:
    """The count for the resolving note, and a check that the list is not trimmed."""
    refused = [p for p in PROBES if not is_allowed_read(*p, COMMERCIAL)]
    print(f"\n{len(refused)} of {len(PROBES)} probes refused, x4 pipelines")
    assert len(refused) == len(PROBES) >= 50


@pytest.mark.parametrize("method, url", [
    ("GET", f"{ARM}/subscriptions"),
    ("GET", f"{ARM}{SUB}/resourcegroups"),
    ("GET", f"{ARM}//subscriptions//9d2e0c4e-8f5a-4d3b-9c6e-2a1b7c8d8d9f/RESOURCEGROUPS/"),
    ("GET", f"{ARM}/%73ubscriptions{SUB[14:]}/providers/Microsoft.Storage/storageAccounts"),
    ("GET", f"{ARM}{KV}/keys"),
    ("GET", f"{ARM}{KV}/keys/cmk-records"),
    ("GET", f"{ARM}{SA}/blobServices/default/providers/Microsoft.Insights/diagnosticSettings"),
    ("GET", f"{ARM}/providers/Microsoft.Authorization/policySetDefinitions/abc"),
    ("POST", f"{ARM}/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01"),
    ("GET", f"{GRAPH}/v1.0/identity/conditionalAccess/policies?$skiptoken=x"),
    ("GET", f"{GRAPH}/v1.0/deviceAppManagement/iosManagedAppProtections?$expand=assignments"),
])
def test_declared_reads_pass(method: str, url: str) -> None:
    """The positive control: the guard is not simply refusing everything."""
    spy = SpyTransport()
    made = factory(spy)
    # Each host through its own reader: an ARM token is never sent to Graph (the token
    # stays home, tests/test_guard_key_vault.py).
    reader = (GraphReader(made) if url.startswith(GRAPH)
              else JsonReader(made, made.cloud.arm_endpoint, made.cloud.arm_scope))
    reader._client.send_request(HttpRequest(method, url))
    assert spy.sent == [(method, url)]


def test_a_next_link_on_the_default_port_is_followed() -> None:
    first = {"value": [{"id": RG, "name": "rg-cjis", "location": "eastus"}],
             "nextLink": f"https://management.azure.com:443{SUB}/resourcegroups?page=2"}
    spy = SpyTransport({"resourcegroups?api-version": (200, {}, first)})
    made = factory(spy)
    reader = JsonReader(made, made.cloud.arm_endpoint, made.cloud.arm_scope)
    assert len(list(reader.list(f"{SUB}/resourcegroups", "2025-04-01"))) == 1
    assert len(spy.sent) == 2


def test_usgov_allows_only_its_own_hosts() -> None:
    gov = get_cloud("usgov")
    assert is_allowed_read("GET", f"https://management.usgovcloudapi.net{SUB}/resourcegroups", gov)
    assert is_allowed_read("GET", "https://graph.microsoft.us/v1.0/identity/conditionalAccess/"
                                  "policies", gov)
    assert not is_allowed_read("GET", f"{ARM}{SUB}/resourcegroups", gov)
    assert not is_allowed_read("GET", f"{GRAPH}/v1.0/identity/conditionalAccess/policies", gov)


def test_a_redirect_from_the_resource_graph_post_is_not_followed() -> None:
    """The 307 re-sent as `POST .../listKeys` with the token: now one request, then an error."""
    from azure.core.exceptions import HttpResponseError
    from azure.mgmt.resourcegraph import ResourceGraphClient

    from scanner.collectors.resource_graph import query_request

    spy = SpyTransport({"Microsoft.ResourceGraph": (307, {"Location": f"{ARM}{SA}/listKeys"}, {})})
    client = factory(spy).mgmt(ResourceGraphClient)
    with pytest.raises(HttpResponseError):
        client.resources(query_request([SUB.rsplit("/", 1)[1]]))
    assert [m for m, _ in spy.sent] == ["POST"]
    assert all("listkeys" not in url.lower() for _, url in spy.sent)


@pytest.mark.parametrize("location", [f"{ARM}{SA}/listKeys", f"https://evil.example{SUB}",
                                      f"{ARM}{SUB}/resourcegroups"])
def test_a_redirect_of_a_read_is_an_error_not_followed(location: str) -> None:
    spy = SpyTransport({"resourcegroups": (307, {"Location": location}, {})})
    made = factory(spy)
    reader = JsonReader(made, made.cloud.arm_endpoint, made.cloud.arm_scope)
    with pytest.raises(UntrustedLink, match="307 redirect"):
        list(reader.list(f"{SUB}/resourcegroups", "2025-04-01"))
    assert len(spy.sent) == 1


@pytest.mark.parametrize("next_link, error", [
    (f"https://evil.example{SUB}/resourcegroups?page=2", UntrustedLink),
    (f"https://graph.microsoft.com{SUB}/resourcegroups?page=2", UntrustedLink),
    (f"http://management.azure.com{SUB}/resourcegroups?page=2", UntrustedLink),
    (f"https://management.azure.com:8443{SUB}/resourcegroups?page=2", UntrustedLink),
    (f"https://x@management.azure.com{SUB}/resourcegroups?page=2", UntrustedLink),
    (f"{ARM}{SA}/listKeys?page=2", ReadOnlyViolation),
    (f"{ARM}{SUB}/providers/Microsoft.Web/staticSites?page=2", ReadOnlyViolation),
])
def test_a_next_link_off_the_declared_reads_is_not_followed(next_link: str,
                                                            error: type[Exception]) -> None:
    first = {"value": [{"id": f"{RG}", "name": "rg-cjis", "location": "eastus"}],
             "nextLink": next_link}
    spy = SpyTransport({"resourcegroups?api-version": (200, {}, first)})
    made = factory(spy)
    reader = JsonReader(made, made.cloud.arm_endpoint, made.cloud.arm_scope)
    with pytest.raises(error):
        list(reader.list(f"{SUB}/resourcegroups", "2025-04-01"))
    assert len(spy.sent) == 1  # the first page only: the token never went to the link


@pytest.mark.parametrize("source", ["arm", "graph"])
def test_every_read_of_the_demo_tenant_is_declared(source: str) -> None:
    """The allow-list is built from the collectors' declarations: every read a full
    collection makes passes it (a follow-up added without its template fails here)."""
    from scanner.collectors.runner import collect
    from scanner.replay import CassetteTransport, demo_cassette

    transport = CassetteTransport.from_file(demo_cassette())
    made = ClientFactory(COMMERCIAL, StandInCredential(), transport, ReadBudget(enabled=False))
    inventory = collect(made, inventory_source=source)
    assert [e for e in inventory.errors if e.code == "ReadOnlyGuard"] == []
    assert len(transport.log.entries) >= 50
    assert all(is_allowed_read(m, u, COMMERCIAL) for m, u in transport.log.entries)
    kinds = {u.split("?")[0].rsplit("/", 1)[1].lower() for _, u in transport.log.entries}
    assert {"keys", "current", "diagnosticsettings", "onboardingstates", "alertrules"} <= kinds
