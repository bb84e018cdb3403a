"""Graph collectors over replayed cassettes built from Microsoft's published Graph examples."""

from __future__ import annotations

import inspect
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from azure.core.credentials import AccessToken

from fixtures.demo.graph_tenant import graph_interactions
from scanner.azure.clients import ClientFactory
from scanner.azure.clouds import get_cloud
from scanner.azure.graph import GraphReader, graph_base_url, graph_reader
from scanner.collectors import runner
from scanner.collectors.entra import (
    APP_PROTECTION,
    AUTH_METHODS,
    CA_POLICIES,
    COLLECTORS,
    COMPLIANCE_POLICIES,
    ROLE_DEFINITIONS,
    entra_tasks,
)
from scanner.collectors.runner import Collection, run_tasks
from scanner.entra_models import EntraInventory, merge_entra
from scanner.inventory import Inventory
from scanner.recording import save_cassette
from scanner.replay import CassetteTransport, Interaction, load_interactions
from tests.collectors.tenant import SUB, TENANT, subscription_body
from tests.conftest import factory_for, response

GRAPH = "https://graph.microsoft.com/v1.0"
GRAPH_US = "https://graph.microsoft.us/v1.0"
CA_PATH = "/identity/conditionalAccess/policies"
COMPLIANCE_PATH = "/deviceManagement/deviceCompliancePolicies?$expand=assignments"
IOS_PATH = "/deviceAppManagement/iosManagedAppProtections?$expand=assignments"
DENIED = {"error": {"code": "Authorization_RequestDenied",
                    "message": "Insufficient privileges to complete the operation.",
                    "innerError": {"date": "2025-06-02T10:11:12",
                                   "request-id": "0d1b6f1e-5a0c-4c52-9d2e-8f0e8d3a1c11"}}}
INTUNE_DENIED = {"error": {"code": "Forbidden", "message": (
    "Application is not authorized to perform this operation. Application must have one of "
    "the following scopes: DeviceManagementConfiguration.Read.All, "
    "DeviceManagementConfiguration.ReadWrite.All - Operation ID (for customer support): "
    "00000000-0000-0000-0000-000000000000"), "innerError": {}}}
NOT_LICENSED = {"error": {"code": "BadRequest",
                          "message": "Request not applicable to target tenant.",
                          "innerError": {"request-id": "366b0da5-7a4e-423f-9ab1-b8ac9cb2788b"}}}


def replace(interactions: list[Interaction], path: str, *new: Interaction,
            root: str = GRAPH) -> list[Interaction]:
    """The demo's Graph interactions with the answer(s) to `path` replaced by `new`."""
    url = root + path
    return [i for i in interactions if i.uri != url] + list(new)


def collect_graph(interactions: list[Interaction], cloud: str = "commercial",
                  tenant_id: str = TENANT) -> tuple[Inventory, CassetteTransport]:
    """Run only the Graph tasks over `interactions`; the inventory the runner would build."""
    factory = factory_for(interactions, cloud)
    collection = Collection(factory)
    run_tasks(collection, entra_tasks(tenant_id), concurrency=4)
    inventory = Inventory(tenant_id=tenant_id, cloud=cloud, errors=collection.errors,
                          entra=merge_entra(collection.lists.get("entra", [])))
    assert isinstance(factory.transport, CassetteTransport)
    return inventory, factory.transport


def demo() -> list[Interaction]:
    return graph_interactions(TENANT)


def test_every_graph_collector_reads_into_typed_models() -> None:
    inv, transport = collect_graph(demo())
    entra = inv.entra
    assert inv.errors == []
    assert entra.collected == sorted(COLLECTORS)
    policy = entra.authentication_methods_policy
    assert policy is not None and policy.policy_migration_state == "migrationComplete"
    assert {m.id: m.state for m in policy.authentication_method_configurations} == {
        "Fido2": "enabled", "MicrosoftAuthenticator": "enabled", "Sms": "enabled",
        "TemporaryAccessPass": "disabled", "Email": "disabled", "Voice": "disabled",
        "X509Certificate": "disabled"}
    states = {p.display_name: p.state for p in entra.conditional_access_policies}
    assert states["CA010: Phishing-resistant MFA for all users (pilot)"] == (
        "enabledForReportingButNotEnforced")
    admins = next(p for p in entra.conditional_access_policies
                  if (p.display_name or "").startswith("CA001"))
    assert admins.grant_controls is not None
    strength = admins.grant_controls.authentication_strength
    assert strength is not None and strength.is_phishing_resistant
    assert strength.allowed_combinations == ["windowsHelloForBusiness", "fido2",
                                             "x509CertificateMultiFactor"]
    assert [s.id[-1] for s in entra.authentication_strength_policies] == ["2", "3", "4"]
    assert len(entra.role_definitions) == 14
    platforms = {p.platform: p for p in entra.device_compliance_policies}
    assert platforms["Windows 10/11"].bit_locker_enabled is True
    assert platforms["Windows 10/11"].assignments is not None
    assert platforms["Windows 10/11"].assignments[0].target is not None
    assert platforms["Windows 10/11"].assignments[0].target.odata_type == (
        "#microsoft.graph.groupAssignmentTarget")
    assert platforms["Android device administrator"].password_minimum_length == 4
    assert platforms["#microsoft.graph.deviceCompliancePolicy"].is_assigned is False
    assert {p.platform: p.allowed_outbound_data_transfer_destinations
            for p in entra.app_protection_policies} == {"iOS/iPadOS": "managedApps",
                                                       "Android": "allApps"}
    assert set(transport.log.methods()) == {"GET"}


def test_conditional_access_pages_follow_odata_next_link() -> None:
    inv, transport = collect_graph(demo())
    urls = [url for _, url in transport.log.entries if CA_PATH in url]
    assert len(urls) == 2 and "$skiptoken=" in urls[1]
    names = {p.display_name for p in inv.entra.conditional_access_policies}
    # The second page holds the report-only pilot and the published high-risk policy.
    assert "CA010: Phishing-resistant MFA for all users (pilot)" in names
    assert "CA008: Require password change for high-risk users" in names
    assert len(names) == 4


def test_compliance_policies_page_too() -> None:
    interactions = demo()
    original = next(i for i in interactions if i.uri == GRAPH + COMPLIANCE_PATH)
    items = json.loads(original.body)["value"]
    next_link = f"{GRAPH}{COMPLIANCE_PATH}&$skiptoken=cGFnZTI"
    pages = [response(GRAPH + COMPLIANCE_PATH, {"value": items[:1],
                                                "@odata.nextLink": next_link}),
             response(next_link, {"value": items[1:]})]
    inv, _ = collect_graph(replace(interactions, COMPLIANCE_PATH, *pages))
    assert inv.errors == []
    assert len(inv.entra.device_compliance_policies) == len(items) == 3


@pytest.mark.parametrize(("cloud", "host"), [("usgov", "graph.microsoft.us"),
                                             ("usgov-dod", "dod-graph.microsoft.us")])
def test_us_government_reads_graph_microsoft_us_with_its_scope(cloud: str, host: str) -> None:
    scopes: list[str] = []

    class RecordingCredential:
        def get_token(self, *requested: str, **kwargs: Any) -> AccessToken:
            scopes.extend(requested)
            return AccessToken("stand-in", 4102444800)

    transport = CassetteTransport(graph_interactions(TENANT, f"https://{host}"))
    factory = ClientFactory(get_cloud(cloud), RecordingCredential(), transport)
    collection = Collection(factory)
    run_tasks(collection, entra_tasks(TENANT), concurrency=4)
    assert collection.errors == []
    assert {urlsplit(url).hostname for _, url in transport.log.entries} == {host}
    assert set(scopes) == {f"https://{host}/.default"}
    assert graph_base_url(get_cloud(cloud)) == f"https://{host}/v1.0"
    assert get_cloud(cloud).authority_host == "login.microsoftonline.us"
    assert merge_entra(collection.lists["entra"]).collected == sorted(COLLECTORS)


@pytest.mark.parametrize("cloud", ["usgov", "usgov-dod"])
def test_commercial_answers_do_not_serve_a_us_government_scan(cloud: str) -> None:
    inv, _ = collect_graph(demo(), cloud=cloud)
    assert {e.collector for e in inv.errors} == set(COLLECTORS)
    assert {e.code for e in inv.errors} == {"CassetteMiss"}
    assert inv.entra.collected == []


@pytest.mark.parametrize(("collector", "path", "body", "permission"), [
    (AUTH_METHODS, "/policies/authenticationMethodsPolicy", DENIED, "Policy.Read.All"),
    (CA_POLICIES, CA_PATH, DENIED, "Policy.Read.All"),
    (ROLE_DEFINITIONS, "/roleManagement/directory/roleDefinitions", DENIED,
     "RoleManagement.Read.Directory"),
    (COMPLIANCE_POLICIES, COMPLIANCE_PATH, INTUNE_DENIED,
     "DeviceManagementConfiguration.Read.All"),
    (APP_PROTECTION, IOS_PATH, INTUNE_DENIED, "DeviceManagementApps.Read.All"),
])
def test_403_is_a_tenant_error_naming_the_graph_permission(
        collector: str, path: str, body: dict[str, Any], permission: str) -> None:
    inv, _ = collect_graph(replace(demo(), path, response(GRAPH + path, body, status=403)))
    (error,) = inv.errors
    assert (error.collector, error.status, error.scope) == (collector, 403, f"/tenants/{TENANT}")
    assert error.code == body["error"]["code"]
    assert permission in (error.remedy or "")
    assert collector not in inv.entra.collected
    assert set(inv.entra.collected) == set(COLLECTORS) - {collector}


def test_intune_without_licence_is_recorded_not_an_error() -> None:
    interactions = replace(demo(), COMPLIANCE_PATH,
                           response(GRAPH + COMPLIANCE_PATH, NOT_LICENSED, status=400))
    interactions = replace(interactions, IOS_PATH,
                           response(GRAPH + IOS_PATH, NOT_LICENSED, status=400))
    inv, _ = collect_graph(interactions)
    assert inv.errors == []
    assert [(u.collector, u.status, u.code) for u in inv.entra.intune_unavailable] == [
        (APP_PROTECTION, 400, "BadRequest"), (COMPLIANCE_POLICIES, 400, "BadRequest")]
    assert "not applicable to target tenant" in inv.entra.intune_unavailable[0].message
    assert COMPLIANCE_POLICIES not in inv.entra.collected
    assert inv.entra.device_compliance_policies == []


def test_other_400_stays_an_error() -> None:
    bad = {"error": {"code": "BadRequest", "message": "Invalid filter clause"}}
    inv, _ = collect_graph(replace(demo(), COMPLIANCE_PATH,
                                   response(GRAPH + COMPLIANCE_PATH, bad, status=400)))
    (error,) = inv.errors
    assert (error.collector, error.status) == (COMPLIANCE_POLICIES, 400)
    assert inv.entra.intune_unavailable == []


def test_429_then_200_is_retried() -> None:
    throttled = response(GRAPH + CA_PATH, {"error": {"code": "TooManyRequests"}}, status=429,
                         headers={"Retry-After": "1"})
    first_page = next(i for i in demo() if i.uri == GRAPH + CA_PATH)
    inv, transport = collect_graph([throttled, *demo()])
    assert inv.errors == []
    assert sum(url == first_page.uri for _, url in transport.log.entries) == 2


def test_unexpected_shape_is_an_error_not_a_guess() -> None:
    interactions = demo()
    page = next(i for i in interactions if i.uri == GRAPH + CA_PATH)
    body = json.loads(page.body)
    body["value"][0]["state"] = "enabledSomehow"
    inv, _ = collect_graph(replace(interactions, CA_PATH,
                                   response(GRAPH + CA_PATH, body)))
    (error,) = inv.errors
    assert (error.collector, error.code) == (CA_POLICIES, "UnexpectedShape")
    assert CA_POLICIES not in inv.entra.collected


def test_unknown_conditions_are_kept_as_names() -> None:
    interactions = demo()
    page = next(i for i in interactions if i.uri == GRAPH + CA_PATH)
    body = json.loads(page.body)
    body["value"][1]["conditions"]["agentIdRiskLevels"] = "high"
    inv, _ = collect_graph(replace(interactions, CA_PATH, response(GRAPH + CA_PATH, body)))
    assert inv.errors == []
    policy = next(p for p in inv.entra.conditional_access_policies
                  if p.id == body["value"][1]["id"])
    assert policy.conditions.unrecognised == ["agentIdRiskLevels"]


def test_graph_reader_is_shared_per_factory() -> None:
    factory = factory_for([])
    assert graph_reader(factory) is graph_reader(factory)
    assert isinstance(graph_reader(factory), GraphReader)
    assert graph_reader(factory) is not graph_reader(factory_for([]))


def test_the_inventory_round_trips_through_json() -> None:
    inv, _ = collect_graph(demo())
    again = Inventory.model_validate_json(inv.to_json())
    assert again.entra == inv.entra
    assert isinstance(again.entra, EntraInventory)


def test_graph_answers_replay_from_a_saved_cassette(tmp_path: Any) -> None:
    cassette = tmp_path / "graph.yaml"
    save_cassette(demo(), cassette)
    inv, _ = collect_graph(load_interactions(cassette))
    assert inv.errors == [] and inv.entra.collected == sorted(COLLECTORS)


@pytest.mark.skipif("merge_entra" not in inspect.getsource(runner),
                    reason="runner.collect does not merge the Graph parts yet "
                           "(entra=merge_entra(lists.pop('entra', [])))")
def test_full_collection_fills_inventory_entra() -> None:
    interactions = [response("/subscriptions", {"value": [subscription_body()]}),
                    *graph_interactions(TENANT)]
    inv = runner.collect(factory_for(interactions), kinds=["entra"], concurrency=4)
    assert [s.subscription_id for s in inv.subscriptions] == [SUB]
    assert inv.errors == []
    assert inv.entra.collected == sorted(COLLECTORS)
