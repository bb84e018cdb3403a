"""Azure REST bodies -> inventory models. Every quirk of Azure's JSON is handled here, once.

Mappers take the REST shape (camelCase, `properties` nested) as Azure sends it — the ARM
JSON the collectors read and the rows Resource Graph returns — so one mapper serves
every source. Missing fields stay None: checks decide what
absence means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from scanner.inventory import (
    AccessPolicy,
    CosmosAccount,
    DiskEncryptionSet,
    GenericResource,
    KeyVault,
    ManagedDisk,
    ManagedHsm,
    Region,
    ResourceGroup,
    RotationPolicy,
    ServiceResource,
    Snapshot,
    SqlServer,
    StorageAccount,
    Subscription,
    VaultKey,
    VirtualMachine,
)
from scanner.inventory_base import normalize_id, resource_group_of, subscription_of
from scanner.inventory_policy import PolicyAssignment, PolicyExemption, RoleAssignment

if TYPE_CHECKING:
    from scanner.kinds import Kind

JsonDict = dict[str, Any]


def _props(body: Mapping[str, Any]) -> Mapping[str, Any]:
    props = body.get("properties")
    if props is not None and not isinstance(props, Mapping):
        raise ShapeError(f"`properties` is {type(props).__name__}, not an object")
    return props or {}


class ShapeError(ValueError):
    """A body whose nesting is not as Azure documents it (the item's error, see items.py)."""


def _get(body: Mapping[str, Any] | None, *path: str) -> Any:
    """body[path[0]][path[1]]..., matching keys case-insensitively; None when absent.

    A step that is there but is not an object (`"encryption": "on"`) raises ShapeError:
    reading it as absent would judge a setting Azure did send, as if it had not.
    """
    node: Any = body
    for depth, key in enumerate(path):
        if node is None:
            return None
        if not isinstance(node, Mapping):
            where = ".".join(path[:depth]) or "the body"
            raise ShapeError(f"`{where}` is {type(node).__name__}, not an object")
        if key in node:
            node = node[key]
            continue
        lowered = key.lower()
        node = next((v for k, v in node.items() if k.lower() == lowered), None)
    return node


def _bool(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() == "true"


def _arm_fields(body: Mapping[str, Any], subscription_id: str) -> JsonDict:
    resource_id = normalize_id(body.get("id")) or ""
    return {
        "id": resource_id,
        "name": body.get("name") or resource_id.rsplit("/", 1)[-1],
        "type": body.get("type") or "",
        "location": body.get("location"),
        "subscription_id": subscription_of(resource_id) or subscription_id.lower(),
        "resource_group": resource_group_of(resource_id),
        "tags": body.get("tags") or {},
    }


def subscription(body: Mapping[str, Any]) -> Subscription:
    """Subscriptions_List / Subscriptions_Get item."""
    return Subscription(
        subscription_id=str(body.get("subscriptionId")).lower(),
        display_name=body.get("displayName") or str(body.get("subscriptionId")),
        state=body.get("state"),
        tenant_id=(body.get("tenantId") or None),
    )


def region(body: Mapping[str, Any]) -> Region:
    """Subscriptions_ListLocations item."""
    return Region(
        name=str(body.get("name")).lower(),
        display_name=body.get("displayName"),
        geography_group=_get(body, "metadata", "geographyGroup"),
        region_type=_get(body, "metadata", "regionType"),
        region_category=_get(body, "metadata", "regionCategory"),
        paired_region=[str(_get(pair, "name")).lower()
                       for pair in _get(body, "metadata", "pairedRegion") or []
                       if isinstance(pair, Mapping) and _get(pair, "name")],
    )


def resource_group(body: Mapping[str, Any], subscription_id: str) -> ResourceGroup:
    """ResourceGroups_List item."""
    fields = _arm_fields(body, subscription_id)
    fields["resource_group"] = (body.get("name") or "").lower()
    return ResourceGroup(**fields)


def generic_resource(body: Mapping[str, Any], subscription_id: str) -> GenericResource:
    """Resources_List item."""
    return GenericResource(
        **_arm_fields(body, subscription_id),
        kind=body.get("kind"),
        sku_name=_get(body, "sku", "name"),
        managed_by=body.get("managedBy"),
    )


def storage_account(body: Mapping[str, Any], subscription_id: str) -> StorageAccount:
    """StorageAccounts_List item. `keySource` is `Microsoft.Keyvault` (lower-case v)."""
    p = _props(body)
    key_source = _get(p, "encryption", "keySource")
    if isinstance(key_source, str):
        key_source = {"microsoft.keyvault": "Microsoft.Keyvault",
                      "microsoft.storage": "Microsoft.Storage"}.get(key_source.lower(), key_source)
    kv = _get(p, "encryption", "keyvaultproperties") or {}
    return StorageAccount(
        **_arm_fields(body, subscription_id),
        kind=body.get("kind"),
        sku_name=_get(body, "sku", "name"),
        key_source=key_source,
        key_vault_uri=_get(kv, "keyvaulturi") or None,
        key_name=_get(kv, "keyname") or None,
        key_version=_get(kv, "keyversion"),
        require_infrastructure_encryption=_bool(
            _get(p, "encryption", "requireInfrastructureEncryption")),
        table_key_type=_get(p, "encryption", "services", "table", "keyType"),
        queue_key_type=_get(p, "encryption", "services", "queue", "keyType"),
        https_only=_bool(_get(p, "supportsHttpsTrafficOnly")),
        minimum_tls_version=_get(p, "minimumTlsVersion"),
        allow_blob_public_access=_bool(_get(p, "allowBlobPublicAccess")),
        public_network_access=_get(p, "publicNetworkAccess"),
        network_default_action=_get(p, "networkAcls", "defaultAction"),
        primary_location=_get(p, "primaryLocation"),
        secondary_location=_get(p, "secondaryLocation"),
    )


def _disk_fields(body: Mapping[str, Any], subscription_id: str) -> JsonDict:
    p = _props(body)
    return {
        **_arm_fields(body, subscription_id),
        "encryption_type": _get(p, "encryption", "type"),
        "disk_encryption_set_id": _get(p, "encryption", "diskEncryptionSetId"),
        "security_type": _get(p, "securityProfile", "securityType"),
        "secure_vm_disk_encryption_set_id": _get(p, "securityProfile",
                                                 "secureVMDiskEncryptionSetId"),
        "managed_by": body.get("managedBy"),
    }


def managed_disk(body: Mapping[str, Any], subscription_id: str) -> ManagedDisk:
    """Disks_List item."""
    return ManagedDisk(**_disk_fields(body, subscription_id))


def snapshot(body: Mapping[str, Any], subscription_id: str) -> Snapshot:
    """Snapshots_List item."""
    return Snapshot(**_disk_fields(body, subscription_id))


def disk_encryption_set(body: Mapping[str, Any], subscription_id: str) -> DiskEncryptionSet:
    """DiskEncryptionSets_List item."""
    p = _props(body)
    error = _get(p, "autoKeyRotationError")
    return DiskEncryptionSet(
        **_arm_fields(body, subscription_id),
        encryption_type=_get(p, "encryptionType"),
        active_key_url=_get(p, "activeKey", "keyUrl"),
        source_vault_id=_get(p, "activeKey", "sourceVault", "id"),
        rotation_to_latest_key_version_enabled=_bool(_get(p, "rotationToLatestKeyVersionEnabled")),
        auto_key_rotation_error=(f"{_get(error, 'code')}: {_get(error, 'message')}"
                                 if error else None),
    )


def virtual_machine(body: Mapping[str, Any], subscription_id: str) -> VirtualMachine:
    """VirtualMachines_ListAll item."""
    p = _props(body)
    storage = _get(p, "storageProfile") or {}
    return VirtualMachine(
        **_arm_fields(body, subscription_id),
        vm_size=_get(p, "hardwareProfile", "vmSize"),
        security_type=_get(p, "securityProfile", "securityType"),
        encryption_at_host=_bool(_get(p, "securityProfile", "encryptionAtHost")),
        os_disk_id=_get(storage, "osDisk", "managedDisk", "id"),
        data_disk_ids=[_get(d, "managedDisk", "id") for d in _get(storage, "dataDisks") or []
                       if _get(d, "managedDisk", "id")],
    )


def key_vault(body: Mapping[str, Any], subscription_id: str) -> KeyVault:
    """Vaults_ListBySubscription item (the generic `vaults.list()` has no properties)."""
    p = _props(body)
    return KeyVault(
        **_arm_fields(body, subscription_id),
        sku_name=(_get(p, "sku", "name") or "").lower() or None,
        vault_uri=_get(p, "vaultUri"),
        soft_delete=_bool(_get(p, "enableSoftDelete")),
        purge_protection=_bool(_get(p, "enablePurgeProtection")),
        rbac_authorization=_bool(_get(p, "enableRbacAuthorization")),
        public_network_access=_get(p, "publicNetworkAccess"),
        network_default_action=_get(p, "networkAcls", "defaultAction"),
        ip_rules=[str(_get(rule, "value")) for rule in _get(p, "networkAcls", "ipRules") or []
                  if _get(rule, "value")],
        access_policies=[
            AccessPolicy(object_id=str(_get(a, "objectId")),
                         key_permissions=[str(k).lower() for k in
                                          _get(a, "permissions", "keys") or []])
            for a in _get(p, "accessPolicies") or []
        ],
    )


def managed_hsm(body: Mapping[str, Any], subscription_id: str) -> ManagedHsm:
    """ManagedHsms_ListBySubscription item."""
    p = _props(body)
    return ManagedHsm(
        **_arm_fields(body, subscription_id),
        sku_name=_get(body, "sku", "name"),
        hsm_uri=_get(p, "hsmUri"),
        soft_delete=_bool(_get(p, "enableSoftDelete")),
        purge_protection=_bool(_get(p, "enablePurgeProtection")),
        public_network_access=_get(p, "publicNetworkAccess"),
    )


def _epoch(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def vault_key(body: Mapping[str, Any], vault_id: str) -> VaultKey:
    """Keys_List / Keys_Get body (management plane). Attributes are Unix epoch seconds."""
    p = _props(body)
    policy = _get(p, "rotationPolicy")
    rotation = None
    if policy:
        rotate_after = None
        for action in _get(policy, "lifetimeActions") or []:
            if str(_get(action, "action", "type") or "").lower() == "rotate":
                rotate_after = (_get(action, "trigger", "timeAfterCreate")
                                or _get(action, "trigger", "timeBeforeExpiry"))
        rotation = RotationPolicy(rotate_after=rotate_after,
                                  expiry_time=_get(policy, "attributes", "expiryTime"))
    return VaultKey(
        id=body.get("id") or f"{vault_id}/keys/{body.get('name')}",
        vault_id=vault_id,
        name=str(body.get("name")),
        key_uri=_get(p, "keyUri"),
        kty=_get(p, "kty"),
        enabled=_bool(_get(p, "attributes", "enabled")),
        expires=_epoch(_get(p, "attributes", "exp")),
        rotation_policy=rotation,
    )


def sql_server(body: Mapping[str, Any], subscription_id: str) -> SqlServer:
    """Servers_List item (the TDE protector is read separately)."""
    p = _props(body)
    return SqlServer(
        **_arm_fields(body, subscription_id),
        public_network_access=_get(p, "publicNetworkAccess"),
        minimal_tls_version=_get(p, "minimalTlsVersion"),
    )


def apply_tde_protector(server: SqlServer, body: Mapping[str, Any]) -> SqlServer:
    """EncryptionProtectors_Get('current') merged into its server."""
    p = _props(body)
    return server.model_copy(update={
        "tde_protector_kind": _get(p, "serverKeyType"),
        "tde_key_uri": _get(p, "uri") or None,
        "tde_auto_rotation": _bool(_get(p, "autoRotationEnabled")),
    })


def cosmos_account(body: Mapping[str, Any], subscription_id: str) -> CosmosAccount:
    """DatabaseAccounts_List item."""
    p = _props(body)
    return CosmosAccount(
        **_arm_fields(body, subscription_id),
        key_vault_key_uri=_get(p, "keyVaultKeyUri") or None,
        public_network_access=_get(p, "publicNetworkAccess"),
    )


def field_path(body: Mapping[str, Any], path: str) -> Any:
    """The value at a declared JSON path (`properties.encryption.keySource`), matched
    case-insensitively as Azure Policy aliases are; `a[*].b` collects from every item."""
    node: Any = body
    parts = path.split(".")
    for index, part in enumerate(parts):
        if part.endswith("[*]"):
            items = _get(node, part[:-3])
            if not isinstance(items, list):
                return None
            rest = ".".join(parts[index + 1:])
            values = [field_path(item, rest) if rest else item for item in items]
            return [v for v in values if v is not None]
        node = _get(node, part)
        if node is None:
            return None
    return node


def service_resource(kind: Kind, body: Mapping[str, Any], subscription_id: str) -> ServiceResource:
    """An item of a declared service kind: ARM fields plus the kind's declared fields."""
    return ServiceResource(
        **_arm_fields(body, subscription_id),
        kind=body.get("kind") if isinstance(body.get("kind"), str) else None,
        sku_name=_get(body, "sku", "name"),
        sku_tier=_get(body, "sku", "tier"),
        identity_type=_get(body, "identity", "type"),
        props={name: field_path(body, path) for name, path in kind.fields.items()},
    )


ListedT = TypeVar("ListedT", PolicyAssignment, PolicyExemption, RoleAssignment)


def merge_listed(items: Iterable[ListedT]) -> list[ListedT]:
    """One entry per id: an inherited assignment or exemption, listed by each subscription
    under its management group, keeps the union of the subscriptions it applies to."""
    merged: dict[str, ListedT] = {}
    for item in items:
        known = merged.get(item.id)
        if known is None:
            merged[item.id] = item
        else:
            subs = sorted(set(known.applies_to) | set(item.applies_to))
            merged[item.id] = known.model_copy(update={"applies_to": subs})
    return list(merged.values())
