"""A Managed HSM's keys are listed through ARM, then read for their type (issue 10 item 8),
over replayed published bodies (ManagedHsms_ListBySubscription, ManagedHsmKeys_List,
ManagedHsmKeys_Get); a 403 is an error of that HSM's keys, never an empty list."""

from __future__ import annotations

from typing import Any

from scanner.collectors.runner import collect
from scanner.inventory import Inventory
from tests.collectors.tenant import example, tenant
from tests.conftest import factory_for, response


def _hsms() -> tuple[dict[str, Any], str]:
    hsms = example("keyvault/managed_hsms_list_by_subscription.json")
    hsms.pop("nextLink", None)
    hsms["value"] = hsms["value"][:1]
    return hsms, hsms["value"][0]["id"]


def _collect(extra: list[Any], hsms: dict[str, Any]) -> Inventory:
    factory = factory_for(tenant(lists={"managed_hsms": hsms}) + extra)
    return collect(factory, concurrency=4)


def test_managed_hsm_keys_are_listed_then_read_for_their_type() -> None:
    hsms, hsm_id = _hsms()
    listed = example("keyvault/managed_hsm_keys_list.json")
    got = example("keyvault/managed_hsm_key_get.json")
    extra = [response(f"{hsm_id}/keys", listed)]
    for key in listed["value"]:
        extra.append(response(f"{hsm_id}/keys/{key['name']}",
                              dict(got, id=key["id"], name=key["name"])))
    inv = _collect(extra, hsms)
    assert inv.errors == []
    assert {k.name for k in inv.managed_hsm_keys} == {k["name"] for k in listed["value"]}
    assert all(k.kty == "RSA" and k.vault_id == hsm_id.lower() for k in inv.managed_hsm_keys)
    assert inv.vault_keys == []


def test_a_403_on_the_key_list_is_an_error_of_that_hsms_keys() -> None:
    hsms, hsm_id = _hsms()
    denied = {"error": {"code": "AuthorizationFailed", "message": "The client 'x' does not "
              "have authorization to perform action 'Microsoft.KeyVault/managedHSMs/keys/read'"}}
    inv = _collect([response(f"{hsm_id}/keys", denied, status=403)], hsms)
    (error,) = inv.errors
    assert (error.collector, error.status, error.scope) == ("managed_hsm_keys", 403,
                                                           hsm_id.lower())
    assert "Microsoft.KeyVault/managedHSMs/keys/read" in (error.remedy or "")
    assert inv.managed_hsm_keys == [] and inv.managed_hsms


def test_a_failed_key_get_keeps_the_listed_key_and_records_the_error() -> None:
    hsms, hsm_id = _hsms()
    listed = example("keyvault/managed_hsm_keys_list.json")
    listed["value"] = listed["value"][:1]
    name = listed["value"][0]["name"]
    inv = _collect([response(f"{hsm_id}/keys", listed),
                    response(f"{hsm_id}/keys/{name}", {"error": {"code": "x", "message": "y"}},
                             status=403)], hsms)
    (key,) = inv.managed_hsm_keys
    assert (key.name, key.kty) == (name, None)
    (error,) = inv.errors
    assert (error.collector, error.scope) == ("managed_hsm_keys", f"{hsm_id}/keys/{name}".lower())
