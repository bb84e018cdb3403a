"""What a check may look at besides its resource: the inventory, indexed, and the settings.

Everything here is derived from the inventory once and cached; checks never call Azure.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from scanner.config import ScanConfig
from scanner.context_logging import LoggingIndex
from scanner.context_policy import PolicyIndex
from scanner.inventory import (
    CollectionError,
    DiskEncryptionSet,
    Inventory,
    KeyVault,
    ManagedHsm,
    Region,
    ServiceResource,
    VaultKey,
)
from scanner.inventory_base import normalize_id, subscription_of
from scanner.inventory_policy import (
    RoleAssignment,
)
from scanner.kinds import KeyRef, service_kinds
from scanner.regions import REGIONS

MANAGEMENT_GROUP_PREFIX = "/providers/microsoft.management/managementgroups/"

class Tenant(BaseModel):
    """The tenant as a judged resource (tenant-wide requirements)."""

    model_config = ConfigDict(extra="forbid")

    tenant_id: str
    id: str
    type: str = "microsoft.aad/tenants"
    name: str = "tenant"
    location: str | None = None
    subscription_id: str | None = None


class CmkKey(BaseModel):
    """A key used as a customer-managed key by at least one data store."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """ARM id `<vault or HSM id>/keys/<name>`; the key URI when its store is unknown."""
    type: str = "microsoft.keyvault/vaults/keys"
    name: str
    key_uri: str
    store_id: str | None
    """The vault or Managed HSM holding it, when it is in the inventory."""
    store_kind: str | None
    """`vault` or `managed_hsm`."""
    key: VaultKey | None
    """The key's metadata when its vault's (or Managed HSM's) keys were read."""
    used_by: list[str]
    subscription_id: str | None = None
    location: str | None = None


_SERVICE_KIND_NAMES = frozenset(k.name for k in service_kinds())


def service_key_uri(resource: ServiceResource, ref: KeyRef) -> str | None:
    """The key URI a service resource names (declared fields), or None.

    `vault` + `name` (+ `version`) are joined as Key Vault does
    (`https://<vault>/keys/<name>[/<version>]`); a list field (`keyVaultProperties[*]`)
    contributes its first entry.
    """
    def value(name: str | None) -> str | None:
        raw = resource.get(name) if name else None
        if isinstance(raw, list):
            raw = next((v for v in raw if v), None)
        return str(raw).strip() if raw not in (None, "") else None

    if ref.uri:
        return value(ref.uri)
    vault, name = value(ref.vault), value(ref.name)
    if not vault or not name:
        return None
    version = value(ref.version)
    uri = f"{vault.rstrip('/')}/keys/{name}"
    return f"{uri}/{version}" if version else uri


_KEY_URI = re.compile(r"^https://([^/]+)/keys/([^/?]+)(?:/([^/?]*))?", re.IGNORECASE)


def parse_key_uri(uri: str) -> tuple[str, str, str | None] | None:
    """(host, key name, version or None) of a Key Vault / Managed HSM key URI."""
    match = _KEY_URI.match(uri.strip())
    if not match:
        return None
    host = match.group(1).lower().split(":")[0]
    return host, match.group(2).lower(), (match.group(3) or None)


def _host(uri: str | None) -> str | None:
    hostname = urlsplit(uri).hostname if uri else None
    return hostname.lower() if hostname else None


class CheckContext(LoggingIndex, PolicyIndex):
    """Read-only view of the inventory and the settings, with indexes checks share."""

    def __init__(self, inventory: Inventory, config: ScanConfig) -> None:
        self.inventory = inventory
        self.config = config
        self.profile = config.effective_profile()

    # --- tenant and regions -------------------------------------------------------------

    @cached_property
    def tenant(self) -> Tenant:
        """The tenant pseudo-resource."""
        tenant_id = self.inventory.tenant_id or "unknown"
        return Tenant(tenant_id=tenant_id, id=f"/tenants/{tenant_id}")

    @cached_property
    def regions(self) -> dict[str, Region]:
        """Regions by name: those the subscriptions' locations lists returned, then the
        built-in table (scanner.regions) for the ones no list returned."""
        found = {name: Region(name=name, geography_group=known.geography_group,
                              region_type=known.region_type,
                              region_category="built-in table",
                              paired_region=[known.paired] if known.paired else [])
                 for name, known in REGIONS.items()}
        for region in self.inventory.regions:
            name = region.name.lower()
            builtin = found.get(name)
            if region.geography_group is None and builtin is not None:
                # Logical locations (`unitedstates`) come without a geography group.
                region = region.model_copy(update={"geography_group": builtin.geography_group})
            if not region.paired_region and builtin is not None:
                region = region.model_copy(update={"paired_region": builtin.paired_region})
            found[name] = region
        return found

    def region_source(self, location: str) -> str:
        """Where the scanner knows `location` from (for evidence)."""
        region = self.regions.get(location.lower())
        if region is None:
            return "neither the locations lists read nor the built-in region table"
        return "the built-in region table" if region.region_category == "built-in table" \
            else "the subscriptions' locations list"

    def is_us_region(self, location: str | None) -> bool | None:
        """True/False for a US production region; None when neither a locations list nor
        the built-in table knows the region (or it has no geography group)."""
        if location is None:
            return None
        region = self.regions.get(location.lower())
        if region is None or region.geography_group is None:
            return None
        return region.is_us_production

    def paired_region(self, location: str | None) -> str | None:
        """The region paired with `location` (GRS / GZRS secondary), if known."""
        region = self.regions.get((location or "").lower())
        return region.paired_region[0] if region is not None and region.paired_region else None

    @cached_property
    def _collectors_with_errors(self) -> frozenset[str]:
        return frozenset(e.collector for e in self.inventory.errors)

    def errors(self, collector: str, scope: str) -> list[CollectionError]:
        """Collection errors of `collector` covering `scope`."""
        # Asked for every resource a check judges: most collectors have no error at all.
        if collector not in self._collectors_with_errors:
            return []
        return self.inventory.errors_for(collector, scope)

    def errors_anywhere(self, *collectors: str) -> list[CollectionError]:
        """Collection errors of any of `collectors`, in any scope."""
        return [e for e in self.inventory.errors if e.collector in collectors]

    # --- key stores and CMK ---------------------------------------------------------------

    @cached_property
    def _stores_by_host(self) -> dict[str, KeyVault | ManagedHsm]:
        stores: dict[str, KeyVault | ManagedHsm] = {}
        for vault in self.inventory.key_vaults:
            host = _host(vault.vault_uri) or f"{vault.name.lower()}.vault"
            stores[host] = vault
        for hsm in self.inventory.managed_hsms:
            hsm_host = _host(hsm.hsm_uri)
            if hsm_host:
                stores[hsm_host] = hsm
        return stores

    def key_store_for_uri(self, key_uri: str | None) -> KeyVault | ManagedHsm | None:
        """The vault or Managed HSM a key URI points into, if collected."""
        parsed = parse_key_uri(key_uri or "")
        if not parsed:
            return None
        host = parsed[0]
        store = self._stores_by_host.get(host)
        if store is None:
            # vault_uri / hsmUri may be missing or carry a region label
            # (`westus.hsm1.managedhsm.azure.net`): fall back to the store's name.
            label = host.split(".")[0]
            if ".managedhsm." in host:
                return next((h for h in self.inventory.managed_hsms
                             if h.name.lower() == label
                             or (_host(h.hsm_uri) or "").endswith(
                                 f".{label}.managedhsm.azure.net")), None)
            store = next((v for v in self.inventory.key_vaults if v.name.lower() == label), None)
        return store

    @cached_property
    def key_stores_by_id(self) -> dict[str, KeyVault | ManagedHsm]:
        """Vaults and Managed HSMs by ARM id."""
        stores: dict[str, KeyVault | ManagedHsm] = {v.id: v for v in self.inventory.key_vaults}
        stores.update({h.id: h for h in self.inventory.managed_hsms})
        return stores

    @cached_property
    def _disk_encryption_sets(self) -> dict[str, DiskEncryptionSet]:
        return {d.id: d for d in self.inventory.disk_encryption_sets}

    def disk_encryption_set(self, des_id: str | None) -> DiskEncryptionSet | None:
        """A disk encryption set of the inventory by ARM id (any case), if read."""
        return self._disk_encryption_sets.get(normalize_id(des_id) or "")

    @cached_property
    def _keys(self) -> dict[tuple[str, str], VaultKey]:
        # hsm (issue 10 item 8): a Managed HSM's keys are read through ARM too.
        return {(k.vault_id, k.name.lower()): k
                for k in (*self.inventory.vault_keys, *self.inventory.managed_hsm_keys)}

    def vault_key(self, vault_id: str, name: str) -> VaultKey | None:
        """A collected key by its vault's (or Managed HSM's) id and key name."""
        return self._keys.get((vault_id.lower(), name.lower()))

    def resources_of_kind(self, kind: str) -> list[Any]:
        """Every collected item of a declared kind (typed list or service kind)."""
        if kind in self.inventory.services or kind in _SERVICE_KIND_NAMES:
            return list(self.inventory.services.get(kind, ()))
        return list(getattr(self.inventory, kind))

    def cmk_references(self) -> list[tuple[str, str]]:
        """(store resource id, key URI) for every data store encrypted with a CMK."""
        refs: list[tuple[str, str]] = []
        for kind in service_kinds():
            if kind.key is None or kind.key.des:
                continue
            for resource in self.inventory.services.get(kind.name, ()):
                uri = service_key_uri(resource, kind.key)
                if uri:
                    refs.append((resource.id, uri))
        for account in self.inventory.storage_accounts:
            if (account.key_source == "Microsoft.Keyvault" and account.key_vault_uri
                    and account.key_name):
                uri = f"{account.key_vault_uri.rstrip('/')}/keys/{account.key_name}"
                refs.append((account.id, uri))
        for des in self.inventory.disk_encryption_sets:
            if des.active_key_url:
                refs.append((des.id, des.active_key_url))
        for server in self.inventory.sql_servers:
            if server.tde_protector_kind == "AzureKeyVault" and server.tde_key_uri:
                refs.append((server.id, server.tde_key_uri))
        for cosmos in self.inventory.cosmos_accounts:
            if cosmos.key_vault_key_uri:
                refs.append((cosmos.id, cosmos.key_vault_key_uri))
        return refs

    @cached_property
    def cmk_keys(self) -> list[CmkKey]:
        """Every key used as a CMK, with its store and the data stores using it."""
        by_id: dict[str, CmkKey] = {}
        for user, uri in self.cmk_references():
            parsed = parse_key_uri(uri)
            if not parsed:
                continue
            _, name, _ = parsed
            store = self.key_store_for_uri(uri)
            key_id = f"{store.id}/keys/{name}" if store else uri.lower().split("?")[0]
            if key_id not in by_id:
                by_id[key_id] = CmkKey(
                    id=key_id,
                    type="microsoft.keyvault/managedhsms/keys" if isinstance(store, ManagedHsm)
                    else "microsoft.keyvault/vaults/keys",
                    name=name,
                    key_uri=uri,
                    store_id=store.id if store else None,
                    store_kind=None if store is None
                    else ("managed_hsm" if isinstance(store, ManagedHsm) else "vault"),
                    key=self.vault_key(store.id, name) if store else None,
                    used_by=[],
                    subscription_id=store.subscription_id if store else None,
                    location=store.location if store else None,
                )
            by_id[key_id].used_by.append(user)
        return sorted(by_id.values(), key=lambda k: k.id)

    @cached_property
    def cmk_store_ids(self) -> set[str]:
        """Ids of vaults and Managed HSMs that hold a CMK in use."""
        return {k.store_id for k in self.cmk_keys if k.store_id}

    @cached_property
    def _cmk_users_by_store(self) -> dict[str, list[str]]:
        users: dict[str, set[str]] = defaultdict(set)
        for key in self.cmk_keys:
            if key.store_id:
                users[key.store_id].update(key.used_by)
        return {store: sorted(ids) for store, ids in users.items()}

    def cmk_users_of_store(self, store_id: str) -> list[str]:
        """Data stores whose CMK lives in `store_id`."""
        return list(self._cmk_users_by_store.get(store_id, ()))

    # --- access ------------------------------------------------------------------------

    @cached_property
    def _role_assignments_by_scope(self) -> dict[str, list[RoleAssignment]]:
        # One entry per id: an inherited assignment is listed by every subscription under
        # its management group (inventories saved before collection merged them, too).
        merged: dict[str, RoleAssignment] = {}
        for assignment in self.inventory.role_assignments:
            known = merged.get(assignment.id)
            if known is not None:
                subs = sorted(set(known.applies_to) | set(assignment.applies_to))
                assignment = known.model_copy(update={"applies_to": subs})
            merged[assignment.id] = assignment
        index: dict[str, list[RoleAssignment]] = defaultdict(list)
        for assignment in merged.values():
            index[assignment.scope].append(assignment)
        return index

    def role_assignments_over(self, resource_id: str) -> list[RoleAssignment]:
        """Role assignments at `resource_id`, at each scope above it in its subscription,
        and at the root and management groups when they apply to its subscription: an
        inherited assignment listed by subscription A applies to A's resources only (one
        without `applies_to`, from an older inventory, is the caller's call)."""
        index = self._role_assignments_by_scope
        subscription = (subscription_of(resource_id) or "").lower()
        scopes = ["", "/", resource_id]
        scopes += [resource_id[:i] for i, char in enumerate(resource_id) if char == "/" and i]
        scopes += [scope for scope in index if scope.startswith(MANAGEMENT_GROUP_PREFIX)]
        found = []
        for scope in dict.fromkeys(scopes):
            inherited = scope in ("", "/") or scope.startswith(MANAGEMENT_GROUP_PREFIX)
            found += [a for a in index.get(scope, ())
                      if not (inherited and a.applies_to and subscription not in a.applies_to)]
        return found
