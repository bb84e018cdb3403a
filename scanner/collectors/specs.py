"""The simple kinds, as data: one paged list per kind per subscription, run by one collector.

Each row names the ARM path it lists (after `/subscriptions/<id>`), the API version, the
ARM type it returns, the mapper into the inventory model, and the permission that a 403
means is missing. Kinds whose data needs more than one list (keys, TDE protectors,
diagnostic settings, Sentinel, initiatives) add follow-up reads in `followups.py`.

Every ARM read is a GET of raw JSON through the scanner's ARM pipeline
(`scanner.azure.arm.JsonReader`: azure-core with the same credential, retry, read-only
guard, read budget and transport as the SDK clients), not an SDK model round trip:
deserializing each item into an SDK model and back into the REST dict the mappers read
was ~40 % of a large scan's CPU (bench/README.md). The API versions are the ones the
pinned azure-mgmt-* operations send; tests/collectors/test_api_contract.py checks each
row against its SDK operation, so an SDK upgrade that moves a version fails a test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scanner.collectors import normalize

READER = "the Reader role on the subscription"

# API versions, as the pinned SDK operations send them (see the contract test).
RESOURCES_API = "2025-04-01"  # azure-mgmt-resource ResourceManagementClient
SUBSCRIPTIONS_API = "2022-12-01"  # azure-mgmt-resource-subscriptions SubscriptionClient
STORAGE_API = "2026-09-01"
DISKS_API = "2026-03-02"  # azure-mgmt-compute: disks, snapshots, disk encryption sets
VIRTUAL_MACHINES_API = "2026-04-01"
KEYVAULT_API = "2026-05-15"  # vaults, managed HSMs, keys
SQL_API = "2025-01-01"  # servers, encryption protectors
COSMOS_API = "2026-03-15"
LOG_ANALYTICS_API = "2025-07-01"
POLICY_API = "2026-06-01"  # azure-mgmt-resource-policy: assignments, set definitions
EXEMPTIONS_API = "2022-07-01-preview"
"""No SDK operation in azure-mgmt-resource-policy 1.0.0; the newest exemptions API
outside the 2024+ previews, its list body the same shape as the published
2026-01-01-preview example (fixtures/azure-examples-extra)."""
ROLE_ASSIGNMENTS_API = "2022-04-01"  # azure-mgmt-authorization's default
DIAGNOSTIC_SETTINGS_API = "2021-05-01-preview"  # azure-mgmt-monitor 6: resource and subscription


@dataclass(frozen=True)
class ListSpec:
    """One subscription-scope list and where its items go."""

    kind: str
    """The inventory list it fills (also the collector name in `Inventory.errors`)."""
    path: str
    """The ARM path after `/subscriptions/<id>` (what a cassette or synthetic tenant answers)."""
    api_version: str
    arm_type: str
    mapper: Callable[[dict[str, Any], str], Any]
    permission: str
    collector: str | None = None
    """Name its errors are recorded under, when it differs from `kind`."""

    @property
    def remedy(self) -> str:
        return f"{READER} ({self.permission})"

    def url(self, subscription_id: str) -> str:
        """The list's path for one subscription."""
        return f"/subscriptions/{subscription_id}{self.path}"


SPECS: tuple[ListSpec, ...] = (
    ListSpec("resource_groups", "/resourcegroups", RESOURCES_API,
             "Microsoft.Resources/resourceGroups", normalize.resource_group,
             "Microsoft.Resources/subscriptions/resourceGroups/read"),
    ListSpec("resources", "/resources", RESOURCES_API, "*", normalize.generic_resource,
             "Microsoft.Resources/subscriptions/resources/read"),
    ListSpec("storage_accounts", "/providers/Microsoft.Storage/storageAccounts", STORAGE_API,
             "Microsoft.Storage/storageAccounts", normalize.storage_account,
             "Microsoft.Storage/storageAccounts/read"),
    ListSpec("managed_disks", "/providers/Microsoft.Compute/disks", DISKS_API,
             "Microsoft.Compute/disks", normalize.managed_disk, "Microsoft.Compute/disks/read"),
    ListSpec("snapshots", "/providers/Microsoft.Compute/snapshots", DISKS_API,
             "Microsoft.Compute/snapshots", normalize.snapshot,
             "Microsoft.Compute/snapshots/read"),
    ListSpec("disk_encryption_sets", "/providers/Microsoft.Compute/diskEncryptionSets",
             DISKS_API, "Microsoft.Compute/diskEncryptionSets", normalize.disk_encryption_set,
             "Microsoft.Compute/diskEncryptionSets/read"),
    ListSpec("virtual_machines", "/providers/Microsoft.Compute/virtualMachines",
             VIRTUAL_MACHINES_API, "Microsoft.Compute/virtualMachines",
             normalize.virtual_machine, "Microsoft.Compute/virtualMachines/read"),
    # Vaults_ListBySubscription: Vaults_List returns generic resources without properties.
    ListSpec("key_vaults", "/providers/Microsoft.KeyVault/vaults", KEYVAULT_API,
             "Microsoft.KeyVault/vaults", normalize.key_vault, "Microsoft.KeyVault/vaults/read"),
    ListSpec("managed_hsms", "/providers/Microsoft.KeyVault/managedHSMs", KEYVAULT_API,
             "Microsoft.KeyVault/managedHSMs", normalize.managed_hsm,
             "Microsoft.KeyVault/managedHSMs/read"),
    ListSpec("sql_servers", "/providers/Microsoft.Sql/servers", SQL_API,
             "Microsoft.Sql/servers", normalize.sql_server, "Microsoft.Sql/servers/read"),
    ListSpec("cosmos_accounts", "/providers/Microsoft.DocumentDB/databaseAccounts",
             COSMOS_API, "Microsoft.DocumentDB/databaseAccounts", normalize.cosmos_account,
             "Microsoft.DocumentDB/databaseAccounts/read"),
    ListSpec("workspaces", "/providers/Microsoft.OperationalInsights/workspaces",
             LOG_ANALYTICS_API, "Microsoft.OperationalInsights/workspaces", normalize.workspace,
             "Microsoft.OperationalInsights/workspaces/read"),
    # Unfiltered: the subscription's own, inherited (management groups) and below.
    ListSpec("policy_assignments", "/providers/Microsoft.Authorization/policyAssignments",
             POLICY_API, "Microsoft.Authorization/policyAssignments",
             normalize.policy_assignment, "Microsoft.Authorization/policyAssignments/read"),
    # A row of its own (not a follow-up of assignments, which would silently skip
    # exemptions whenever the assignment list failed).
    ListSpec("policy_exemptions", "/providers/Microsoft.Authorization/policyExemptions",
             EXEMPTIONS_API, "Microsoft.Authorization/policyExemptions",
             normalize.policy_exemption, "Microsoft.Authorization/policyExemptions/read"),
    ListSpec("role_assignments", "/providers/Microsoft.Authorization/roleAssignments",
             ROLE_ASSIGNMENTS_API, "Microsoft.Authorization/roleAssignments",
             lambda body, sub: normalize.role_assignment(body),
             "Microsoft.Authorization/roleAssignments/read"),
    ListSpec("diagnostic_settings", "/providers/Microsoft.Insights/diagnosticSettings",
             DIAGNOSTIC_SETTINGS_API, "Microsoft.Insights/diagnosticSettings",
             lambda body, sub: normalize.diagnostic_setting(body, f"/subscriptions/{sub}"),
             "Microsoft.Insights/diagnosticSettings/read",
             # Its own name: an error at /subscriptions/<id> under `diagnostic_settings`
             # would cover (and blur) every resource's settings in the subscription.
             collector="activity_log_settings"),
)
"""Per-subscription lists. The subscription's Activity Log settings are the
`diagnostic_settings` row; per-resource settings are follow-ups of `resources`."""

SPEC_BY_KIND = {spec.kind: spec for spec in SPECS}

LIST_PATHS: dict[str, str] = {spec.kind: spec.path for spec in SPECS}
"""The ARM path (after /subscriptions/<id>) each row lists: what a cassette or a
synthetic tenant must answer."""
