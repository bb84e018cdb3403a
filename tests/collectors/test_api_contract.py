"""The scanner's ARM reads are the requests the pinned azure-mgmt-* operations send.

Collectors GET raw JSON (scanner.collectors.specs explains why); these tests hold them
to the SDK: for every read, the SDK operation and the scanner's read are both run
against an empty cassette, and the request each one logged before the miss must have
the same method, path (ARM paths are case-insensitive) and api-version. An SDK upgrade
that moves an API version or a path fails here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from scanner.azure.clients import ClientFactory
from scanner.azure.clouds import get_cloud
from scanner.azure.credentials import StandInCredential
from scanner.azure.throttle import ReadBudget
from scanner.collectors import followups
from scanner.collectors.runner import Collection, list_task, regions_task, resolve_subscriptions
from scanner.collectors.specs import SPECS, ListSpec
from scanner.inventory import KeyVault, PolicyAssignment, SqlServer
from scanner.replay import CassetteMiss, CassetteTransport

SUB = "00000000-0000-0000-0000-000000000001"
GROUP = "rg-cjis"
VAULT = KeyVault(id=f"/subscriptions/{SUB}/resourceGroups/{GROUP}/providers/"
                    f"Microsoft.KeyVault/vaults/kv-cjis", name="kv-cjis",
                 type="Microsoft.KeyVault/vaults", subscription_id=SUB, resource_group=GROUP)
SERVER = SqlServer(id=f"/subscriptions/{SUB}/resourceGroups/{GROUP}/providers/"
                      f"Microsoft.Sql/servers/sql-cjis", name="sql-cjis",
                   type="Microsoft.Sql/servers", subscription_id=SUB, resource_group=GROUP)
STORAGE_ID = (f"/subscriptions/{SUB}/resourceGroups/{GROUP}/providers/"
              f"Microsoft.Storage/storageAccounts/stcjis")

# spec kind -> (SDK client, its call). Exemptions have no SDK operation (see specs.py).
SDK_LISTS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "resource_groups": ("azure.mgmt.resource.resources:ResourceManagementClient",
                        lambda c: c.resource_groups.list()),
    "resources": ("azure.mgmt.resource.resources:ResourceManagementClient",
                  lambda c: c.resources.list()),
    "storage_accounts": ("azure.mgmt.storage:StorageManagementClient",
                         lambda c: c.storage_accounts.list()),
    "managed_disks": ("azure.mgmt.compute:ComputeManagementClient", lambda c: c.disks.list()),
    "snapshots": ("azure.mgmt.compute:ComputeManagementClient", lambda c: c.snapshots.list()),
    "disk_encryption_sets": ("azure.mgmt.compute:ComputeManagementClient",
                             lambda c: c.disk_encryption_sets.list()),
    "virtual_machines": ("azure.mgmt.compute:ComputeManagementClient",
                         lambda c: c.virtual_machines.list_all()),
    "key_vaults": ("azure.mgmt.keyvault:KeyVaultManagementClient",
                   lambda c: c.vaults.list_by_subscription()),
    "managed_hsms": ("azure.mgmt.keyvault:KeyVaultManagementClient",
                     lambda c: c.managed_hsms.list_by_subscription()),
    "sql_servers": ("azure.mgmt.sql:SqlManagementClient", lambda c: c.servers.list()),
    "cosmos_accounts": ("azure.mgmt.cosmosdb:CosmosDBManagementClient",
                        lambda c: c.database_accounts.list()),
    "workspaces": ("azure.mgmt.loganalytics:LogAnalyticsManagementClient",
                   lambda c: c.workspaces.list()),
    "policy_assignments": ("azure.mgmt.resource.policy:PolicyClient",
                           lambda c: c.policy_assignments.list()),
    "role_assignments": ("azure.mgmt.authorization:AuthorizationManagementClient",
                         lambda c: c.role_assignments.list_for_subscription()),
    "diagnostic_settings": ("azure.mgmt.monitor:MonitorManagementClient",
                            lambda c: c.subscription_diagnostic_settings.list()),
}
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


@pytest.mark.parametrize("spec", [s for s in SPECS if s.kind in SDK_LISTS], ids=lambda s: s.kind)
def test_each_list_is_the_sdk_operations_request(spec: ListSpec) -> None:
    client, call = SDK_LISTS[spec.kind]
    assert scanner_request(_list_run(spec)) == sdk_request(client, call)


def test_every_list_but_exemptions_has_an_sdk_operation_to_compare_with() -> None:
    # Exemptions: no operation in azure-mgmt-resource-policy 1.0.0 (see specs.py).
    assert {s.kind for s in SPECS} - set(SDK_LISTS) == {"policy_exemptions"}


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
