"""Collectors over replayed cassettes built from Microsoft's published examples."""

from __future__ import annotations

import pytest

from scanner.collectors.runner import collect
from tests.collectors.tenant import SUB, TENANT, example, subscription_body, tenant
from tests.conftest import factory_for, response

STORAGE = f"/subscriptions/{SUB}/providers/Microsoft.Storage/storageAccounts"


def run(interactions, **kwargs):  # type: ignore[no-untyped-def]
    factory = factory_for(interactions, kwargs.pop("cloud", "commercial"))
    return collect(factory, concurrency=4, **kwargs), factory.transport


def test_every_kind_is_read_and_normalised() -> None:
    storage = example("storage/storage_accounts_list.json")
    inv, _ = run(tenant(lists={"storage_accounts": storage}))
    assert inv.tenant_id == TENANT
    assert [s.subscription_id for s in inv.subscriptions] == [SUB]
    assert {r.name for r in inv.regions} == {"eastus", "eastus2"}
    assert inv.errors == []
    first = inv.storage_accounts[0]
    assert first.id == first.id.lower() and first.type == "microsoft.storage/storageaccounts"
    assert first.key_source == "Microsoft.Storage"
    # Absent in the published list body: stays None (the check decides what it means).
    assert first.minimum_tls_version is None and first.allow_blob_public_access is None
    assert first.secondary_location == "centraluseuap"
    assert first.https_only is False


def test_pagination_follows_next_link() -> None:
    page1 = example("storage/storage_accounts_list.json")
    page2 = example("storage/storage_account_get_cmk.json")
    page2["id"] = page2["id"].replace("sto8596", "stpage2cmk")
    page2["name"] = "stpage2cmk"
    page1["nextLink"] = (f"https://management.azure.com{STORAGE}?api-version=2025-01-01"
                         f"&$skiptoken=cGFnZTI%3D")
    pages = [response(STORAGE, page1),
             response(f"{STORAGE}?$skiptoken=cGFnZTI%3D", {"value": [page2]})]
    inv, transport = run(tenant(lists={"storage_accounts": pages}))
    names = {s.name for s in inv.storage_accounts}
    assert "stpage2cmk" in names and len(names) == len(page1["value"]) + 1
    cmk = next(s for s in inv.storage_accounts if s.name == "stpage2cmk")
    assert cmk.key_source == "Microsoft.Keyvault" and cmk.key_name == "wrappingKey"
    assert cmk.location == "eastus2(stage)"
    assert sum("storageAccounts" in url for _, url in transport.log.entries) == 2


def test_403_becomes_an_inventory_error_naming_the_permission() -> None:
    denied = {"error": {"code": "AuthorizationFailed", "message": "The client 'x' does not have "
              "authorization to perform action 'Microsoft.Storage/storageAccounts/read'"}}
    inv, _ = run(tenant(lists={"storage_accounts": [response(STORAGE, denied, status=403)]}))
    (error,) = inv.errors
    assert (error.collector, error.status, error.code) == ("storage_accounts", 403,
                                                          "AuthorizationFailed")
    assert error.scope == f"/subscriptions/{SUB}"
    assert "Microsoft.Storage/storageAccounts/read" in (error.remedy or "")
    assert "Reader" in (error.remedy or "")


def test_429_then_200_is_retried() -> None:
    throttled = response(STORAGE, {"error": {"code": "TooManyRequests"}}, status=429,
                         headers={"Retry-After": "1"})
    listed = example("storage/storage_accounts_list.json")
    ok = response(STORAGE, listed)
    scopes = [response(f"{a['id']}/encryptionScopes", {"value": []}) for a in listed["value"]]
    inv, transport = run(tenant(lists={"storage_accounts": [throttled, ok, *scopes]}))
    assert inv.errors == []
    assert len(inv.storage_accounts) == len(listed["value"])
    assert sum(url.split("?")[0].endswith("storageAccounts")
               for _, url in transport.log.entries) == 2


def test_500_after_retries_is_an_error_and_the_rest_carries_on() -> None:
    failing = [response(STORAGE, {"error": {"code": "InternalServerError", "message": "boom"}},
                        status=500) for _ in range(4)]
    vaults = example("keyvault/vaults_list_by_subscription.json")
    vaults.pop("nextLink")
    vault = vaults["value"][0]
    keys_path = f"{vault['id']}/keys"
    inv, _ = run(tenant(lists={"storage_accounts": failing, "key_vaults": vaults})
                 + [response(keys_path, {"value": []})])
    (error,) = inv.errors
    assert error.status == 500 and error.collector == "storage_accounts"
    assert "server error" in (error.remedy or "")
    assert [v.name for v in inv.key_vaults] == ["sample-vault"]


def test_a_request_missing_from_the_cassette_is_an_error_not_a_crash() -> None:
    inv, _ = run(tenant(skip=("storage_accounts",)))
    (error,) = inv.errors
    assert error.collector == "storage_accounts" and error.code == "CassetteMiss"
    assert "storageAccounts" in error.message


def test_subscriptions_are_keyed_by_id_not_display_name() -> None:
    other = "9d2e4f6a-1b3c-4d5e-8f7a-0c2e4a6b8d9f"
    subs = [subscription_body(SUB, "Production"), subscription_body(other, "Production")]
    inv, _ = run(tenant(subs=subs))
    assert {s.subscription_id for s in inv.subscriptions} == {SUB, other}
    assert inv.errors == []  # both subscriptions' lists were read


def test_named_subscriptions_are_read_one_by_one() -> None:
    interactions = tenant()[1:]  # no subscriptions list: --subscription GETs each one
    interactions.insert(0, response(f"/subscriptions/{SUB}", subscription_body()))
    inv, transport = run(interactions, subscriptions=[SUB.upper()])
    assert [s.subscription_id for s in inv.subscriptions] == [SUB]
    assert not any(url.split("?")[0].endswith("/subscriptions")
                   for _, url in transport.log.entries)


@pytest.mark.parametrize(("cloud", "gov_graph"), [
    ("usgov", "https://graph.microsoft.us"),
    # Azure Government DoD: same ARM host, its own Graph host (issue 10 item 17).
    ("usgov-dod", "https://dod-graph.microsoft.us"),
])
def test_us_government_endpoints_are_used(cloud: str, gov_graph: str) -> None:
    gov = "https://management.usgovcloudapi.net"
    interactions = tenant()
    for interaction in interactions:
        interaction.uri = interaction.uri.replace("https://management.azure.com", gov)
        interaction.uri = interaction.uri.replace("https://graph.microsoft.com", gov_graph)
        interaction.body = interaction.body.replace(b"https://graph.microsoft.com",
                                                    gov_graph.encode())
    inv, transport = run(interactions, cloud=cloud)
    assert inv.errors == [] and inv.cloud == cloud
    assert transport.log.entries and all(url.startswith((gov, gov_graph))
                                         for _, url in transport.log.entries)
    assert any(url.startswith(gov_graph) for _, url in transport.log.entries)


def test_key_vault_keys_are_listed_then_read_for_their_type() -> None:
    vaults = example("keyvault/vaults_list_by_subscription.json")
    vaults.pop("nextLink")
    vault_id = vaults["value"][0]["id"]
    listed = example("keyvault/keys_list.json")
    got = example("keyvault/key_get.json")
    extra = [response(f"{vault_id}/keys", listed)]
    for key in listed["value"]:
        body = dict(got, id=key["id"], name=key["name"])
        extra.append(response(f"{vault_id}/keys/{key['name']}", body))
    inv, _ = run(tenant(lists={"key_vaults": vaults}) + extra)
    assert inv.errors == []
    assert {k.name for k in inv.vault_keys} == {k["name"] for k in listed["value"]}
    assert all(k.kty == "RSA" and k.vault_id == vault_id.lower() for k in inv.vault_keys)


def test_diagnostic_settings_are_read_per_resource_that_has_logs() -> None:
    generic = example("keyvault/vaults_list_generic_resources.json")
    generic.pop("nextLink")
    vault_id = generic["value"][0]["id"]
    settings = example("monitor/diagnostic_settings_list.json")
    inv, transport = run(tenant(lists={"resources": generic}) + [
        response(f"{vault_id}/providers/Microsoft.Insights/diagnosticSettings", settings)])
    assert inv.errors == []
    assert vault_id.lower() in inv.diagnostic_targets
    (setting,) = [s for s in inv.diagnostic_settings if s.target_id == vault_id.lower()]
    assert setting.workspace_id is None  # published as "" (no workspace)
    assert setting.enabled_categories() == {"alllogs"}


def test_a_body_that_is_not_json_or_not_a_list_is_an_error_not_a_crash() -> None:
    html = response(STORAGE, None)
    html.body = b"<html><body>502 Bad Gateway</body></html>"
    disks = f"/subscriptions/{SUB}/providers/Microsoft.Compute/disks"
    inv, _ = run(tenant(lists={"storage_accounts": [html],
                               "managed_disks": [response(disks, {"value": {"id": "x"}})]}))
    errors = {e.collector: e for e in inv.errors}
    assert set(errors) == {"storage_accounts", "managed_disks"}
    for error in errors.values():
        assert error.code == "UnexpectedShape" and error.scope == f"/subscriptions/{SUB}"
        assert "cjis-scan bug" in (error.remedy or "")
    assert "not JSON" in errors["storage_accounts"].message
    assert inv.subscriptions and inv.regions  # the other reads carried on


@pytest.mark.parametrize("cloud", ["usgov", "usgov-dod"])
def test_us_government_clouds_default_to_the_government_profile(cloud: str) -> None:
    from scanner.azure.clouds import get_cloud
    from scanner.config import ScanConfig

    assert ScanConfig(cloud=cloud).effective_profile() == "government"
    assert get_cloud(cloud).arm_host == "management.usgovcloudapi.net"
    assert ScanConfig(cloud="commercial").effective_profile() == "commercial"
