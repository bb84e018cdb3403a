"""The scanner's ARM reads are the requests the pinned azure-mgmt-* operations send.

Collectors GET raw JSON (scanner.collectors.specs explains why); these tests hold them
to the SDK: for every read, the SDK operation and the scanner's read are both run
against an empty cassette, and the request each one logged before the miss must have
the same method, path (ARM paths are case-insensitive) and api-version. An SDK upgrade
that moves an API version or a path fails here.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from scanner.azure.clients import ClientFactory
from scanner.azure.clouds import get_cloud
from scanner.azure.credentials import StandInCredential
from scanner.azure.throttle import ReadBudget
from scanner.collectors import followups
from scanner.collectors.runner import Collection, list_task, regions_task, resolve_subscriptions
from scanner.collectors.specs import ListSpec
from scanner.inventory import KeyVault, ManagedHsm, SqlServer
from scanner.inventory_policy import PolicyAssignment
from scanner.kinds import all_kinds
from scanner.replay import CassetteMiss, CassetteTransport

SUB = "00000000-0000-0000-0000-000000000001"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
GROUP = "rg-cjis"
VAULT = KeyVault(id=f"/subscriptions/{SUB}/resourceGroups/{GROUP}/providers/"
                    f"Microsoft.KeyVault/vaults/kv-cjis", name="kv-cjis",
                 type="Microsoft.KeyVault/vaults", subscription_id=SUB, resource_group=GROUP)
HSM = ManagedHsm(id=f"/subscriptions/{SUB}/resourceGroups/{GROUP}/providers/"
                    f"Microsoft.KeyVault/managedHSMs/hsm-cjis", name="hsm-cjis",
                 type="Microsoft.KeyVault/managedHSMs", subscription_id=SUB, resource_group=GROUP)
SERVER = SqlServer(id=f"/subscriptions/{SUB}/resourceGroups/{GROUP}/providers/"
                      f"Microsoft.Sql/servers/sql-cjis", name="sql-cjis",
                   type="Microsoft.Sql/servers", subscription_id=SUB, resource_group=GROUP)
STORAGE_ID = (f"/subscriptions/{SUB}/resourceGroups/{GROUP}/providers/"
              f"Microsoft.Storage/storageAccounts/stcjis")

def _sdk_call(kind: ListSpec) -> tuple[str, Callable[[Any], Any]]:
    """(client, call) of the azure-mgmt operation a kind's declaration names."""
    assert kind.sdk is not None
    client, _, operation = kind.sdk.partition(" ")
    group, _, method = operation.partition(".")
    return client, lambda c: getattr(getattr(c, group), method)()


SUBSCRIPTIONS = "azure.mgmt.resource.subscriptions:SubscriptionClient"
POLICY = "azure.mgmt.resource.policy:PolicyClient"
KEYVAULT = "azure.mgmt.keyvault:KeyVaultManagementClient"


def _factory() -> tuple[ClientFactory, CassetteTransport]:
    transport = CassetteTransport([])
    return ClientFactory(get_cloud("commercial"), StandInCredential(), transport,
                         ReadBudget(enabled=False)), transport


def _request(transport: CassetteTransport) -> tuple[str, str, list[str]]:
    assert transport.log.entries, "no request was sent"
    method, url = transport.log.entries[0]
    parts = urlsplit(url)
    return method, parts.path.lower(), parse_qs(parts.query).get("api-version", [])


def sdk_request(client: str, call: Callable[[Any], Any],
                subscription: str | None = SUB) -> tuple[str, str, list[str]]:
    """The first request the SDK operation sends."""
    factory, transport = _factory()
    module, _, name = client.partition(":")
    cls = getattr(importlib.import_module(module), name)
    sdk = factory.mgmt(cls, subscription) if subscription else factory.mgmt(cls)
    with pytest.raises(CassetteMiss):
        result = call(sdk)
        if not isinstance(result, dict | str) and hasattr(result, "__iter__"):
            list(result)  # paged operations send on iteration
    return _request(transport)


def scanner_request(run: Callable[[Collection], Any]) -> tuple[str, str, list[str]]:
    """The first request the scanner's read sends."""
    factory, transport = _factory()
    with pytest.raises(CassetteMiss):
        run(Collection(factory))
    return _request(transport)


def _list_run(spec: ListSpec) -> Callable[[Collection], Any]:
    return list_task(spec, SUB).run


KINDS = all_kinds()


@pytest.mark.parametrize("spec", [k for k in KINDS if k.sdk], ids=lambda k: k.name)
def test_each_list_is_the_sdk_operations_request(spec: ListSpec) -> None:
    assert scanner_request(_list_run(spec)) == sdk_request(*_sdk_call(spec))


@pytest.mark.parametrize("spec", [k for k in KINDS if not k.sdk], ids=lambda k: k.name)
def test_each_list_without_an_sdk_operation_is_its_published_examples_request(
        spec: ListSpec) -> None:
    """Kinds without a pinned SDK are held to the REST spec example they were built from:
    its api-version, and the list path the example's operation serves."""
    assert spec.example, f"{spec.name} names neither an SDK operation nor a published example"
    published = json.loads((FIXTURES / spec.example).read_text(encoding="utf-8"))
    if spec.name != "policy_exemptions":
        # Exemptions read 2022-07-01-preview, whose list body has the shape of the
        # 2026-01-01-preview example (see kinds/core.py EXEMPTIONS_API).
        assert published["parameters"]["api-version"] == spec.api_version
    if spec.parent:  # listed per parent item: the example's own path names the parent
        assert spec.path.lower() in published_path(spec.example)
        return
    method, path, versions = scanner_request(_list_run(spec))
    assert (method, versions) == ("GET", [spec.api_version])
    assert path == f"/subscriptions/{SUB}{spec.path}".lower()
    # A stable version wherever the service publishes one (exemptions have none in an SDK).
    assert "preview" not in spec.api_version or spec.name == "policy_exemptions"


def published_path(example_file: str) -> str:
    """The operation path a vendored example was published for (SOURCES.md's row: its spec
    folder names the resource path), lower-cased: the items' ids show it."""
    body = json.loads((FIXTURES / example_file).read_text(encoding="utf-8"))
    ids = [item.get("id", "") for item in body["responses"]["200"]["body"].get("value", [])]
    return " ".join(i.lower() for i in ids)


def test_every_kind_is_held_to_a_published_source() -> None:
    assert all(k.sdk or k.example for k in KINDS)


ASSIGNMENT = PolicyAssignment(
    id="/providers/microsoft.management/managementgroups/mg/providers/"
       "microsoft.authorization/policyassignments/a", name="a", scope="/",
    policy_definition_id="/providers/Microsoft.Management/managementGroups/mg-cjis/providers/"
                         "Microsoft.Authorization/policySetDefinitions/cjis-baseline")



def _errors_as_miss(run: Callable[[Collection], Any]) -> Callable[[Collection], Any]:
    # resolve_subscriptions records a miss as an inventory error instead of raising it.
    def wrapped(collection: Collection) -> None:
        run(collection)
        if collection.errors:
            raise CassetteMiss("GET", collection.errors[0].scope)

    return wrapped


FOLLOWUPS: dict[str, tuple[Callable[[Collection], Any], str, Callable[[Any], Any],
                           str | None]] = {
    "subscriptions": (_errors_as_miss(lambda c: resolve_subscriptions(c, [])),
                      SUBSCRIPTIONS, lambda c: c.subscriptions.list(), None),
    "subscription": (_errors_as_miss(lambda c: resolve_subscriptions(c, [SUB])),
                     SUBSCRIPTIONS, lambda c: c.subscriptions.get(SUB), None),
    "regions": (regions_task(SUB).run, SUBSCRIPTIONS,
                lambda c: c.subscriptions.list_locations(SUB), None),
    "keys": (followups.keys_task(VAULT).run, KEYVAULT,
             lambda c: c.keys.list(GROUP, "kv-cjis"), SUB),
    "key": (followups.key_task(VAULT, "cmk", None).run, KEYVAULT,
            lambda c: c.keys.get(GROUP, "kv-cjis", "cmk"), SUB),
    # hsm (issue 10 item 8): ManagedHsmKeys_List and ManagedHsmKeys_Get.
    "managed HSM keys": (followups.keys_task(HSM).run, KEYVAULT,
                         lambda c: c.managed_hsm_keys.list(GROUP, "hsm-cjis"), SUB),
    "managed HSM key": (followups.key_task(HSM, "cmk", None).run, KEYVAULT,
                        lambda c: c.managed_hsm_keys.get(GROUP, "hsm-cjis", "cmk"), SUB),
    "tde_protector": (followups.tde_protector_task(SERVER).run,
                      "azure.mgmt.sql:SqlManagementClient",
                      lambda c: c.encryption_protectors.get(GROUP, "sql-cjis", "current"), SUB),
    "diagnostic_settings": (followups.diagnostic_settings_task(STORAGE_ID.lower(), SUB).run,
                            "azure.mgmt.monitor:MonitorManagementClient",
                            lambda c: c.diagnostic_settings.list(STORAGE_ID.lstrip("/")), SUB),
    "initiative (management group)": (
        followups.policy_set_task(ASSIGNMENT, SUB).run, POLICY,
        lambda c: c.policy_set_definitions.get_at_management_group("mg-cjis", "cjis-baseline"),
        SUB),
    "initiative (subscription)": (
        followups.policy_set_task(ASSIGNMENT.model_copy(update={
            "policy_definition_id": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/"
                                    f"policySetDefinitions/own"}), SUB).run, POLICY,
        lambda c: c.policy_set_definitions.get("own"), SUB),
    "initiative (built-in)": (
        followups.policy_set_task(ASSIGNMENT.model_copy(update={
            "policy_definition_id": "/providers/Microsoft.Authorization/policySetDefinitions/"
                                    "1f3afdf9-d0c9-4c3d-847f-89da613e70a8"}), SUB).run, POLICY,
        lambda c: c.policy_set_definitions.get_built_in("1f3afdf9-d0c9-4c3d-847f-89da613e70a8"),
        SUB),
}



@pytest.mark.parametrize("name", list(FOLLOWUPS))
def test_each_other_read_is_the_sdk_operations_request(name: str) -> None:
    run, client, call, subscription = FOLLOWUPS[name]
    assert scanner_request(run) == sdk_request(client, call, subscription)


@pytest.mark.parametrize("detail", [(k, d) for k in KINDS for d in k.details],
                         ids=lambda kd: f"{kd[0].name}:{kd[1].name}")
def test_each_detail_read_is_held_to_its_published_example(detail: Any) -> None:
    kind, read = detail
    assert read.example, f"{kind.name} detail {read.name} names no published example"
    published = json.loads((FIXTURES / read.example).read_text(encoding="utf-8"))
    assert published["parameters"]["api-version"] == (read.api_version or kind.api_version)
