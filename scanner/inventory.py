"""The normalised inventory: typed models of everything the collectors read, and the
`Inventory` that holds them (monitoring models in scanner.inventory_monitor, policy and
access in scanner.inventory_policy, the base and id normalisation in scanner.inventory_base).

Azure's quirks are normalised once: ARM ids and types lower-cased, locations as region
names (`East US` -> `eastus`), enums spelled one way, and fields that Azure omits when
they hold their default kept as `None` ("Azure did not say") so that each check decides,
with its documented reason, what absence means.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from scanner.directory_model import DirectoryPrincipal
from scanner.entra_models import EntraInventory
from scanner.errors import InputFileError
from scanner.inventory_base import ArmResource, Model, normalize_id, normalize_location
from scanner.inventory_monitor import (
    AlertRule,
    DiagnosticSetting,
    SentinelOnboarding,
    Workspace,
    WorkspaceTable,
)
from scanner.inventory_policy import (
    PolicyAssignment,
    PolicyDefinition,
    PolicyExemption,
    PolicySetDefinition,
    RoleAssignment,
)

INVENTORY_SCHEMA_VERSION = "1.0"


class Subscription(Model):
    """A subscription in scope, keyed by id (display names are not unique)."""

    subscription_id: str
    display_name: str
    state: str | None = None
    tenant_id: str | None = None
    management_group_ancestors: list[str] = Field(default_factory=list)

    @property
    def id(self) -> str:
        """The subscription's ARM id."""
        return f"/subscriptions/{self.subscription_id}"


class Region(Model):
    """A region of the scanned cloud, from the locations list."""

    name: str
    display_name: str | None = None
    geography_group: str | None = None
    """`US`, `Europe`, ... (`metadata.geographyGroup`): tells US regions from others."""
    region_type: str | None = None
    region_category: str | None = None
    paired_region: list[str] = Field(default_factory=list)
    """`metadata.pairedRegion[].name`: where GRS / GZRS keep the secondary copy."""

    @property
    def is_us_production(self) -> bool:
        """A US region fit for CJI: US geography and not a staging / EUAP / canary region."""
        name = self.name.lower()
        if "euap" in name or "stage" in name or "canary" in name:
            return False
        return (self.geography_group or "").upper() == "US"


class ResourceGroup(ArmResource):
    """A resource group."""


class GenericResource(ArmResource):
    """Any resource, from the subscription's generic resources list."""

    kind: str | None = None
    sku_name: str | None = None
    managed_by: str | None = None


class StorageAccount(ArmResource):
    """A storage account and the security-relevant parts of its properties."""

    kind: str | None = None
    sku_name: str | None = None
    key_source: Literal["Microsoft.Storage", "Microsoft.Keyvault"] | None = None
    key_vault_uri: str | None = None
    key_name: str | None = None
    key_version: str | None = None
    """Empty or None: a versionless key URI (the account follows key rotation)."""
    require_infrastructure_encryption: bool | None = None
    table_key_type: str | None = None
    """`encryption.services.table.keyType`: `Account` (the account's key, so its CMK) or
    `Service` (a service-managed key, the default for tables)."""
    queue_key_type: str | None = None
    """`encryption.services.queue.keyType`, as for tables."""
    https_only: bool | None = None
    minimum_tls_version: str | None = None
    allow_blob_public_access: bool | None = None
    public_network_access: str | None = None
    network_default_action: str | None = None
    primary_location: str | None = None
    secondary_location: str | None = None

    @field_validator("primary_location", "secondary_location", mode="before")
    @classmethod
    def _regions(cls, value: str | None) -> str | None:
        return normalize_location(value)

    @property
    def geo_replicated(self) -> bool:
        """True for GRS, RA-GRS, GZRS and RA-GZRS SKUs."""
        return (self.sku_name or "").upper().endswith(("_GRS", "_RAGRS", "_GZRS", "_RAGZRS"))


class ManagedDisk(ArmResource):
    """A managed disk (or, with type `microsoft.compute/snapshots`, a snapshot)."""

    encryption_type: str | None = None
    disk_encryption_set_id: str | None = None
    security_type: str | None = None
    secure_vm_disk_encryption_set_id: str | None = None
    managed_by: str | None = None

    @field_validator("disk_encryption_set_id", "secure_vm_disk_encryption_set_id", "managed_by",
                     mode="before")
    @classmethod
    def _ids(cls, value: str | None) -> str | None:
        return normalize_id(value)


class Snapshot(ManagedDisk):
    """A disk snapshot: judged like a disk."""


class DiskEncryptionSet(ArmResource):
    """A disk encryption set and the key it wraps disk keys with."""

    encryption_type: str | None = None
    active_key_url: str | None = None
    source_vault_id: str | None = None
    rotation_to_latest_key_version_enabled: bool | None = None
    auto_key_rotation_error: str | None = None

    @field_validator("source_vault_id", mode="before")
    @classmethod
    def _vault(cls, value: str | None) -> str | None:
        return normalize_id(value)


class VirtualMachine(ArmResource):
    """A virtual machine's security profile and disks."""

    vm_size: str | None = None
    security_type: str | None = None
    encryption_at_host: bool | None = None
    os_disk_id: str | None = None
    data_disk_ids: list[str] = Field(default_factory=list)

    @field_validator("os_disk_id", mode="before")
    @classmethod
    def _disk(cls, value: str | None) -> str | None:
        return normalize_id(value)

    @field_validator("data_disk_ids", mode="before")
    @classmethod
    def _disks(cls, value: list[str] | None) -> list[str]:
        return [i for i in (normalize_id(v) for v in value or []) if i]


class AccessPolicy(Model):
    """One entry of a vault's access policies (non-RBAC vaults)."""

    object_id: str
    key_permissions: list[str] = Field(default_factory=list)


class KeyVault(ArmResource):
    """A key vault (from `list_by_subscription`, which carries properties)."""

    sku_name: str | None = None
    """`standard` or `premium` (HSM-backed keys need premium)."""
    vault_uri: str | None = None
    soft_delete: bool | None = None
    purge_protection: bool | None = None
    rbac_authorization: bool | None = None
    public_network_access: str | None = None
    network_default_action: str | None = None
    ip_rules: list[str] = Field(default_factory=list)
    """`networkAcls.ipRules[].value`: the IPv4 addresses / CIDR ranges the firewall admits."""
    access_policies: list[AccessPolicy] = Field(default_factory=list)


class ManagedHsm(ArmResource):
    """A Managed HSM pool (FIPS 140-3 Level 3)."""

    sku_name: str | None = None
    hsm_uri: str | None = None
    soft_delete: bool | None = None
    purge_protection: bool | None = None
    public_network_access: str | None = None


class RotationPolicy(Model):
    """A key's rotation policy as the management plane shows it."""

    rotate_after: str | None = None
    """ISO-8601 duration of the Rotate action's trigger (timeAfterCreate or timeBeforeExpiry)."""
    expiry_time: str | None = None


class VaultKey(Model):
    """A key in a key vault or Managed HSM (management-plane metadata only: no key material)."""

    id: str
    vault_id: str
    """The vault's (or Managed HSM's) ARM id."""
    name: str
    key_uri: str | None = None
    kty: str | None = None
    """`RSA`, `RSA-HSM`, `EC`, `EC-HSM`, `oct-HSM`; None if Azure did not say."""
    enabled: bool | None = None
    expires: datetime | None = None
    rotation_policy: RotationPolicy | None = None
    # vault (issue 14 item 12): from the Key Vault data plane, `--key-vault-data-plane` only.
    hsm_platform: str | None = None
    """`attributes.hsmPlatform` of the key's latest version (data plane), as Azure wrote it."""
    hsm_platform_unread: str | None = None
    """Why that read failed (a role, the firewall, a private vault, the body): never a guess."""

    @field_validator("id", "vault_id", mode="before")
    @classmethod
    def _ids(cls, value: str) -> str:
        return normalize_id(value) or ""


class ServiceResource(ArmResource):
    """A resource of a declared service kind (`scanner.kinds`): the ARM fields every
    resource has, plus the fields its declaration maps, by name (None: Azure did not say).
    """

    kind: str | None = None
    """ARM `kind` (`OpenAI`, `functionapp`, ...), as Azure spells it."""
    sku_name: str | None = None
    sku_tier: str | None = None
    identity_type: str | None = None
    props: dict[str, Any] = Field(default_factory=dict)
    """Declared field name -> the value at its JSON path."""

    def get(self, name: str) -> Any:
        """A declared field's value, or a top-level one (`kind`, `sku_name`, ...)."""
        if name in self.props:
            return self.props[name]
        return getattr(self, name, None)


class SqlServer(ArmResource):
    """An Azure SQL logical server and its TDE protector."""

    tde_protector_kind: str | None = None
    """`ServiceManaged` or `AzureKeyVault`; None if the protector could not be read."""
    tde_key_uri: str | None = None
    tde_auto_rotation: bool | None = None
    public_network_access: str | None = None
    minimal_tls_version: str | None = None


class CosmosAccount(ArmResource):
    """A Cosmos DB account and the key vault key it encrypts with, if any."""

    key_vault_key_uri: str | None = None
    public_network_access: str | None = None


class CollectionError(Model):
    """A scope x collector that could not be read, and what would fix it."""

    scope: str
    """`/subscriptions/<id>`, a resource id, or `/tenants/<id>`."""
    collector: str
    """The inventory kind that is missing or incomplete for that scope (e.g. `storage_accounts`)."""
    status: int | None = None
    code: str | None = None
    message: str
    remedy: str | None = None
    """The role or permission that would let the scanner read it."""


class Inventory(Model):
    """Everything a scan collected, ready to be judged offline."""

    schema_version: str = INVENTORY_SCHEMA_VERSION
    tool_version: str | None = None
    cloud: str = "commercial"
    tenant_id: str | None = None
    collected_at: datetime | None = None
    source: str = "live"
    """`live`, `replay:<file>`, `demo`."""
    inventory_source: str | None = None
    """Where the bulk kinds came from: `arm`, `graph`, `auto:graph`, or `auto:arm` (auto
    fell back); None in inventories saved before it was recorded (issue 10 item 16)."""
    subscriptions: list[Subscription] = Field(default_factory=list)
    regions: list[Region] = Field(default_factory=list)
    resource_groups: list[ResourceGroup] = Field(default_factory=list)
    resources: list[GenericResource] = Field(default_factory=list)
    storage_accounts: list[StorageAccount] = Field(default_factory=list)
    managed_disks: list[ManagedDisk] = Field(default_factory=list)
    snapshots: list[Snapshot] = Field(default_factory=list)
    disk_encryption_sets: list[DiskEncryptionSet] = Field(default_factory=list)
    virtual_machines: list[VirtualMachine] = Field(default_factory=list)
    key_vaults: list[KeyVault] = Field(default_factory=list)
    vault_keys: list[VaultKey] = Field(default_factory=list)
    managed_hsms: list[ManagedHsm] = Field(default_factory=list)
    # hsm (issue 10 item 8): Managed HSM keys read through ARM like vault keys.
    managed_hsm_keys: list[VaultKey] = Field(default_factory=list)
    """Keys of each Managed HSM (ManagedHsmKeys_List + _Get); `vault_id` is the HSM's id."""
    sql_servers: list[SqlServer] = Field(default_factory=list)
    cosmos_accounts: list[CosmosAccount] = Field(default_factory=list)
    workspaces: list[Workspace] = Field(default_factory=list)
    workspace_tables: list[WorkspaceTable] = Field(default_factory=list)
    """monitor (issue 10 item 12): each workspace's tables and their retention."""
    services: dict[str, list[ServiceResource]] = Field(default_factory=dict)
    """Resources of the declared service kinds (`scanner.kinds.services`), by kind."""
    diagnostic_settings: list[DiagnosticSetting] = Field(default_factory=list)
    diagnostic_targets: list[str] = Field(default_factory=list)
    """Resource ids whose diagnostic settings were read (an empty list there means none)."""
    sentinel_onboarding: list[SentinelOnboarding] = Field(default_factory=list)
    alert_rules: list[AlertRule] = Field(default_factory=list)
    policy_assignments: list[PolicyAssignment] = Field(default_factory=list)
    policy_set_definitions: list[PolicySetDefinition] = Field(default_factory=list)
    policy_definitions: list[PolicyDefinition] = Field(default_factory=list)
    """Definitions read for their effect (its parameter default, or a literal effect)."""
    policy_exemptions: list[PolicyExemption] = Field(default_factory=list)
    role_assignments: list[RoleAssignment] = Field(default_factory=list)
    entra: EntraInventory = Field(default_factory=EntraInventory)
    # ux (issue 14): key-store principals named through Microsoft Graph (scanner.directory).
    principals: list[DirectoryPrincipal] = Field(default_factory=list)
    """Entra ID and Intune, read from Microsoft Graph."""
    errors: list[CollectionError] = Field(default_factory=list)

    def to_json(self) -> str:
        """The inventory as JSON (what `collect -o` writes)."""
        return self.model_dump_json(indent=2)

    @classmethod
    def load(cls, path: Path) -> Inventory:
        """Read a saved inventory; `InputFileError` with the first problem if it is not one."""
        from scanner.input_files import DECODE_FAILURES, problem, read_text

        text = read_text(path, "inventory")  # hard-data (issue 13): not UTF-8, gzip ... -> exit 2
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(top level)"
            raise InputFileError(
                f"{path} is not a cjis-scan inventory: {where}: {first['msg']} "
                f"({exc.error_count()} problem(s))"
            ) from None
        except DECODE_FAILURES + (AttributeError, KeyError) as exc:  # a validator met a wrong type
            raise InputFileError(f"{path} is not a cjis-scan inventory: {problem(exc)}") from None

    def errors_for(self, collector: str, scope: str) -> list[CollectionError]:
        """Collection errors of `collector` that cover `scope` (a resource or subscription id).

        An error recorded for a subscription covers every resource in it; one recorded
        for the tenant covers everything.
        """
        scope = scope.lower()
        found = []
        for error in self.errors:
            if error.collector != collector:
                continue
            error_scope = error.scope.lower()
            if (scope == error_scope or scope.startswith(error_scope + "/")
                    or error_scope.startswith("/tenants/")):
                found.append(error)
        return found
