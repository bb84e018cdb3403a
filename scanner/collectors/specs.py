"""The simple kinds, as data: one paged list per kind per subscription, run by one collector.

Each row names the SDK client, its list operation, the ARM type it returns, the mapper
into the inventory model, and the permission that a 403 means is missing. Kinds whose
data needs more than one list (keys, TDE protectors, diagnostic settings, Sentinel,
initiatives) add follow-up reads in `followups.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scanner.collectors import normalize

READER = "the Reader role on the subscription"


@dataclass(frozen=True)
class ListSpec:
    """One subscription-scope list operation and where its items go."""

    kind: str
    """The inventory list it fills (also the collector name in `Inventory.errors`)."""
    client: str
    """`module:Class` of the SDK client (imported only when the kind is collected)."""
    operation: str
    """Dotted path of the list operation on the client."""
    arm_type: str
    mapper: Callable[[dict[str, Any], str], Any]
    permission: str
    args: Callable[[str], tuple[Any, ...]] = lambda subscription_id: ()
    collector: str | None = None
    """Name its errors are recorded under, when it differs from `kind`."""

    @property
    def remedy(self) -> str:
        return f"{READER} ({self.permission})"


SPECS: tuple[ListSpec, ...] = (
    ListSpec("resource_groups", "azure.mgmt.resource.resources:ResourceManagementClient",
             "resource_groups.list", "Microsoft.Resources/resourceGroups",
             normalize.resource_group, "Microsoft.Resources/subscriptions/resourceGroups/read"),
    ListSpec("resources", "azure.mgmt.resource.resources:ResourceManagementClient",
             "resources.list", "*", normalize.generic_resource,
             "Microsoft.Resources/subscriptions/resources/read"),
    ListSpec("storage_accounts", "azure.mgmt.storage:StorageManagementClient",
             "storage_accounts.list", "Microsoft.Storage/storageAccounts",
             normalize.storage_account, "Microsoft.Storage/storageAccounts/read"),
    ListSpec("managed_disks", "azure.mgmt.compute:ComputeManagementClient", "disks.list",
             "Microsoft.Compute/disks", normalize.managed_disk, "Microsoft.Compute/disks/read"),
    ListSpec("snapshots", "azure.mgmt.compute:ComputeManagementClient", "snapshots.list",
             "Microsoft.Compute/snapshots", normalize.snapshot,
             "Microsoft.Compute/snapshots/read"),
    ListSpec("disk_encryption_sets", "azure.mgmt.compute:ComputeManagementClient",
             "disk_encryption_sets.list", "Microsoft.Compute/diskEncryptionSets",
             normalize.disk_encryption_set, "Microsoft.Compute/diskEncryptionSets/read"),
    ListSpec("virtual_machines", "azure.mgmt.compute:ComputeManagementClient",
             "virtual_machines.list_all", "Microsoft.Compute/virtualMachines",
             normalize.virtual_machine, "Microsoft.Compute/virtualMachines/read"),
    ListSpec("key_vaults", "azure.mgmt.keyvault:KeyVaultManagementClient",
             # list() returns generic resources without properties: list_by_subscription.
             "vaults.list_by_subscription", "Microsoft.KeyVault/vaults", normalize.key_vault,
             "Microsoft.KeyVault/vaults/read"),
    ListSpec("managed_hsms", "azure.mgmt.keyvault:KeyVaultManagementClient",
             "managed_hsms.list_by_subscription", "Microsoft.KeyVault/managedHSMs",
             normalize.managed_hsm, "Microsoft.KeyVault/managedHSMs/read"),
    ListSpec("sql_servers", "azure.mgmt.sql:SqlManagementClient", "servers.list",
             "Microsoft.Sql/servers", normalize.sql_server, "Microsoft.Sql/servers/read"),
    ListSpec("cosmos_accounts", "azure.mgmt.cosmosdb:CosmosDBManagementClient",
             "database_accounts.list", "Microsoft.DocumentDB/databaseAccounts",
             normalize.cosmos_account, "Microsoft.DocumentDB/databaseAccounts/read"),
    ListSpec("workspaces", "azure.mgmt.loganalytics:LogAnalyticsManagementClient",
             "workspaces.list", "Microsoft.OperationalInsights/workspaces",
             normalize.workspace, "Microsoft.OperationalInsights/workspaces/read"),
    ListSpec("policy_assignments", "azure.mgmt.resource.policy:PolicyClient",
             # Unfiltered: the subscription's own, inherited (management groups) and below.
             "policy_assignments.list", "Microsoft.Authorization/policyAssignments",
             lambda body, sub: normalize.policy_assignment(body, sub),
             "Microsoft.Authorization/policyAssignments/read"),
    ListSpec("policy_exemptions", "scanner.collectors.exemptions:PolicyExemptionsClient",
             # No SDK operation in azure-mgmt-resource-policy 1.0.0: a JsonReader adapter.
             "policy_exemptions.list", "Microsoft.Authorization/policyExemptions",
             normalize.policy_exemption, "Microsoft.Authorization/policyExemptions/read"),
    ListSpec("role_assignments", "azure.mgmt.authorization:AuthorizationManagementClient",
             "role_assignments.list_for_subscription", "Microsoft.Authorization/roleAssignments",
             lambda body, sub: normalize.role_assignment(body),
             "Microsoft.Authorization/roleAssignments/read"),
    ListSpec("diagnostic_settings", "azure.mgmt.monitor:MonitorManagementClient",
             "subscription_diagnostic_settings.list", "Microsoft.Insights/diagnosticSettings",
             lambda body, sub: normalize.diagnostic_setting(body, f"/subscriptions/{sub}"),
             "Microsoft.Insights/diagnosticSettings/read",
             # Its own name: an error at /subscriptions/<id> under `diagnostic_settings`
             # would cover (and blur) every resource's settings in the subscription.
             collector="activity_log_settings"),
)
"""Per-subscription list operations. The subscription's Activity Log settings are the
`diagnostic_settings` row; per-resource settings are follow-ups of `resources`."""

SPEC_BY_KIND = {spec.kind: spec for spec in SPECS}

LIST_PATHS: dict[str, str] = {
    "resource_groups": "/resourcegroups",
    "resources": "/resources",
    "storage_accounts": "/providers/Microsoft.Storage/storageAccounts",
    "managed_disks": "/providers/Microsoft.Compute/disks",
    "snapshots": "/providers/Microsoft.Compute/snapshots",
    "disk_encryption_sets": "/providers/Microsoft.Compute/diskEncryptionSets",
    "virtual_machines": "/providers/Microsoft.Compute/virtualMachines",
    "key_vaults": "/providers/Microsoft.KeyVault/vaults",
    "managed_hsms": "/providers/Microsoft.KeyVault/managedHSMs",
    "sql_servers": "/providers/Microsoft.Sql/servers",
    "cosmos_accounts": "/providers/Microsoft.DocumentDB/databaseAccounts",
    "workspaces": "/providers/Microsoft.OperationalInsights/workspaces",
    "policy_assignments": "/providers/Microsoft.Authorization/policyAssignments",
    "policy_exemptions": "/providers/Microsoft.Authorization/policyExemptions",
    "role_assignments": "/providers/Microsoft.Authorization/roleAssignments",
    "diagnostic_settings": "/providers/Microsoft.Insights/diagnosticSettings",
}
"""The ARM path (after /subscriptions/<id>) each row's operation requests: what a
cassette or a synthetic tenant must answer."""
assert set(LIST_PATHS) == set(SPEC_BY_KIND), "every spec row needs its ARM path"
