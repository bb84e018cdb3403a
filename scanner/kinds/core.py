"""The core kinds: typed models with mappers of their own (`scanner.collectors.normalize`),
because their checks read more than a few fields (key chains, disks, policy, logs).

API versions are the ones the pinned azure-mgmt-* operations send (`sdk`);
tests/collectors/test_api_contract.py runs each operation beside the scanner's read, so
an SDK upgrade that moves a version fails a test.
"""

from __future__ import annotations

from scanner.inventory import (
    CosmosAccount,
    DiskEncryptionSet,
    GenericResource,
    KeyVault,
    ManagedDisk,
    ManagedHsm,
    ResourceGroup,
    Snapshot,
    SqlServer,
    StorageAccount,
    VirtualMachine,
)
from scanner.inventory_monitor import DiagnosticSetting, Workspace
from scanner.inventory_policy import PolicyAssignment, PolicyExemption, RoleAssignment
from scanner.kinds.base import KeyRef, Kind

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

KEY_LISTS = {"key_vaults": "vault_keys", "managed_hsms": "managed_hsm_keys"}
"""Key store kind -> the inventory list (and collector name) of its keys: each store's
`keys_of` follow-up (Keys_List / ManagedHsmKeys_List, then a GET per key)."""

_COMPUTE = "azure.mgmt.compute:ComputeManagementClient"
_KEYVAULT = "azure.mgmt.keyvault:KeyVaultManagementClient"
_RESOURCES = "azure.mgmt.resource.resources:ResourceManagementClient"

KINDS: tuple[Kind, ...] = (
    Kind("resource_groups", "Microsoft.Resources/resourceGroups", RESOURCES_API,
         "Resource group", ResourceGroup, list_path="/resourcegroups",
         permission="Microsoft.Resources/subscriptions/resourceGroups/read",
         mapper="resource_group", sdk=f"{_RESOURCES} resource_groups.list", holds_data=False),
    Kind("resources", "*", RESOURCES_API, "Resource", GenericResource, list_path="/resources",
         permission="Microsoft.Resources/subscriptions/resources/read",
         mapper="generic_resource", followups=("diagnostic_settings_of", "gated_lists"),
         sdk=f"{_RESOURCES} resources.list", holds_data=False),
    Kind("storage_accounts", "Microsoft.Storage/storageAccounts", STORAGE_API,
         "Storage account", StorageAccount, mapper="storage_account",
         sdk="azure.mgmt.storage:StorageManagementClient storage_accounts.list",
         key=KeyRef(vault="key_vault_uri", name="key_name", version="key_version"),
         logs="/blobservices/default"),
    Kind("managed_disks", "Microsoft.Compute/disks", DISKS_API, "Managed disk", ManagedDisk,
         mapper="managed_disk", sdk=f"{_COMPUTE} disks.list",
         key=KeyRef(des="disk_encryption_set_id")),
    Kind("snapshots", "Microsoft.Compute/snapshots", DISKS_API, "Disk snapshot", Snapshot,
         mapper="snapshot", sdk=f"{_COMPUTE} snapshots.list",
         key=KeyRef(des="disk_encryption_set_id")),
    Kind("disk_encryption_sets", "Microsoft.Compute/diskEncryptionSets", DISKS_API,
         "Disk encryption set", DiskEncryptionSet, mapper="disk_encryption_set",
         sdk=f"{_COMPUTE} disk_encryption_sets.list", key=KeyRef(uri="active_key_url"),
         holds_data=False),
    Kind("virtual_machines", "Microsoft.Compute/virtualMachines", VIRTUAL_MACHINES_API,
         "Virtual machine", VirtualMachine, mapper="virtual_machine",
         sdk=f"{_COMPUTE} virtual_machines.list_all", holds_data=False),
    # Vaults_ListBySubscription: Vaults_List returns generic resources without properties.
    Kind("key_vaults", "Microsoft.KeyVault/vaults", KEYVAULT_API, "Key vault", KeyVault,
         mapper="key_vault", followups=("keys_of",),
         sdk=f"{_KEYVAULT} vaults.list_by_subscription", logs="", holds_data=False),
    Kind("managed_hsms", "Microsoft.KeyVault/managedHSMs", KEYVAULT_API, "Managed HSM",
         ManagedHsm, mapper="managed_hsm", followups=("keys_of",),
         sdk=f"{_KEYVAULT} managed_hsms.list_by_subscription", logs="", holds_data=False),
    Kind("sql_servers", "Microsoft.Sql/servers", SQL_API, "Azure SQL server", SqlServer,
         mapper="sql_server", followups=("tde_protectors_of",), stores_itself=True,
         sdk="azure.mgmt.sql:SqlManagementClient servers.list", key=KeyRef(uri="tde_key_uri")),
    Kind("cosmos_accounts", "Microsoft.DocumentDB/databaseAccounts", COSMOS_API,
         "Cosmos DB account", CosmosAccount, mapper="cosmos_account",
         sdk="azure.mgmt.cosmosdb:CosmosDBManagementClient database_accounts.list", logs="",
         key=KeyRef(uri="key_vault_key_uri")),
    Kind("workspaces", "Microsoft.OperationalInsights/workspaces", LOG_ANALYTICS_API,
         "Log Analytics workspace", Workspace, mapper="workspace", followups=("sentinel_of",),
         sdk="azure.mgmt.loganalytics:LogAnalyticsManagementClient workspaces.list", logs="",
         holds_data=False),
    # Unfiltered: the subscription's own, inherited (management groups) and below.
    Kind("policy_assignments", "Microsoft.Authorization/policyAssignments", POLICY_API,
         "Policy assignment", PolicyAssignment, mapper="policy_assignment",
         followups=("initiatives_of",), graph=False, judged=False, holds_data=False,
         merged=True,
         sdk="azure.mgmt.resource.policy:PolicyClient policy_assignments.list"),
    # A kind of its own (not a follow-up of assignments, which would silently skip
    # exemptions whenever the assignment list failed). No SDK operation (see EXEMPTIONS_API).
    Kind("policy_exemptions", "Microsoft.Authorization/policyExemptions", EXEMPTIONS_API,
         "Policy exemption", PolicyExemption, mapper="policy_exemption", graph=False,
         judged=False, holds_data=False, merged=True,
         example="azure-examples-extra/policy_exemptions_list_for_subscription.json"),
    Kind("role_assignments", "Microsoft.Authorization/roleAssignments", ROLE_ASSIGNMENTS_API,
         "Role assignment", RoleAssignment, mapper="role_assignment_item", graph=False,
         judged=False, holds_data=False, merged=True,
         sdk="azure.mgmt.authorization:AuthorizationManagementClient "
             "role_assignments.list_for_subscription"),
    # The subscription's Activity Log settings; per-resource settings are follow-ups of
    # `resources`. Its own error name: an error at /subscriptions/<id> under
    # `diagnostic_settings` would cover (and blur) every resource's settings there.
    Kind("diagnostic_settings", "Microsoft.Insights/diagnosticSettings",
         DIAGNOSTIC_SETTINGS_API, "Activity Log diagnostic setting", DiagnosticSetting,
         mapper="activity_log_setting", followups=("activity_log_read",),
         collector="activity_log_settings", graph=False, judged=False, holds_data=False,
         sdk="azure.mgmt.monitor:MonitorManagementClient subscription_diagnostic_settings.list"),
)
