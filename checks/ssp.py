"""Step 7, the system security plan: evidence a person attests (both checks are `manual`).

FIPS 140 levels are decided where Azure says them (`scanner.fips`): a Managed HSM's keys
are FIPS 140-3 Level 3; a vault's HSM key is "undetermined" because its `hsmPlatform` is a
data-plane attribute the management-plane key body does not carry (never two options).
"""

from __future__ import annotations

from typing import Any

from checks.policy_candidates import management_group_scopes
from scanner.context import MANAGEMENT_GROUP_PREFIX, CheckContext, CmkKey, Tenant, parse_key_uri
from scanner.findings import Status, Verdict
from scanner.fips import NOT_READ, fips_level
from scanner.fips import REFERENCES as FIPS_REFERENCES
from scanner.gate import rests_on
from scanner.inventory import KeyVault, ManagedHsm, VaultKey
from scanner.kinds import cji_store_kinds, key_user_kinds
from scanner.kinds.core import KEY_LISTS
from scanner.registry import check

CMK_DISK_ENCRYPTION = frozenset({"EncryptionAtRestWithCustomerKey",
                                 "EncryptionAtRestWithPlatformAndCustomerKeys"})

# Collectors whose gaps make the list of CJI stores, or of their keys, incomplete.
_STORE_COLLECTORS = tuple(dict.fromkeys((*cji_store_kinds(), *key_user_kinds())))
_KEY_COLLECTORS = (*KEY_LISTS, *KEY_LISTS.values())


def _key_store_kind(store: KeyVault | ManagedHsm | None) -> str:
    if store is None:
        return "unknown (not in the inventory)"
    if isinstance(store, ManagedHsm):
        return "managed HSM"
    if (store.sku_name or "").lower() == "premium":
        return "premium vault"
    if (store.sku_name or "").lower() == "standard":
        return "standard vault"
    return f"vault (SKU {store.sku_name or 'unknown'})"


def _fips_level(store: KeyVault | ManagedHsm | None, key: VaultKey | None) -> str:
    if store is None:
        return NOT_READ
    return fips_level(_key_store_kind(store), key.kty if key else None,
                      key.hsm_platform if key else None, key.hsm_platform_unread if key else None)


def _rotation(key: VaultKey | None) -> str:
    if key is None:
        return "unknown (key metadata not read)"
    if key.rotation_policy and key.rotation_policy.rotate_after:
        return f"policy (rotate {key.rotation_policy.rotate_after})"
    # An expiry alone is not rotation (built-in d8cf8476): say "none" and show the expiry.
    if key.expires is not None:
        return f"none (expiry {key.expires.date().isoformat()} only: not rotation)"
    if key.rotation_policy and key.rotation_policy.expiry_time:
        return f"none (policy without a Rotate action; expiry {key.rotation_policy.expiry_time})"
    return "none"


def _versionless(uri: str) -> bool | None:
    parsed = parse_key_uri(uri)
    return None if parsed is None else parsed[2] is None


def _architecture_row(user: str, key: CmkKey, ctx: CheckContext, types: dict[str, str],
                      follows: dict[str, bool | None],
                      disks_by_des: dict[str, list[str]]) -> dict[str, Any]:
    store = ctx.key_stores_by_id.get(key.store_id) if key.store_id else None
    row: dict[str, Any] = {
        "store": user,
        "store_type": types.get(user, "unknown"),
        "key_uri": key.key_uri,
        "key_store": key.store_id,
        "key_store_kind": _key_store_kind(store),
        "kty": key.key.kty if key.key else None,
        "fips_level": _fips_level(store, key.key),
        "rotation": _rotation(key.key),
        "follows_latest_key_version": follows.get(user, _versionless(key.key_uri)),
        "soft_delete": store.soft_delete if store else None,
        "purge_protection": store.purge_protection if store else None,
    }
    # The data plane's word on the HSM platform (`--key-vault-data-plane` only; the packet
    # re-derives the level from it): rows without the flag are as before.
    for field in ("hsm_platform", "hsm_platform_unread"):
        if key.key is not None and getattr(key.key, field) is not None:
            row[field] = getattr(key.key, field)
    if user in disks_by_des:
        row["disks"] = disks_by_des[user]
    return row


@check(
    id="tenant_cmk_architecture_evidence",
    title="CMK architecture evidence is written for the System Security Plan",
    kinds="tenant",
    severity="medium",
    rationale=(
        "The SSP (PL-2) must describe how CJI at rest is protected: which store uses which "
        "key, where the key lives (Premium vault or Managed HSM, and its FIPS 140 level), "
        "how it rotates and whether it can be purged. The scanner writes that table; a "
        "person reviews it into the plan."
    ),
    remediation={
        "summary": "Copy the stores table from the evidence into the SSP's CMK section, "
                   "resolve any unknown rows, and move the stores without CMK to a key in a "
                   "Premium vault or Managed HSM.",
        "cli": "az keyvault key show --vault-name <vault> --name <key> "
               "--query \"{kty: key.kty, expires: attributes.expires, hsmPlatform: "
               "attributes.hsmPlatform}\"",
        "docs": "https://learn.microsoft.com/azure/security/fundamentals/key-management",
    },
    needs_anywhere=(*_STORE_COLLECTORS, *_KEY_COLLECTORS),
)
def tenant_cmk_architecture_evidence(tenant: Tenant, ctx: CheckContext) -> Verdict:
    """Manual: each store → key → vault/HSM, key type, FIPS level, rotation, purge protection."""
    inv = ctx.inventory
    disks = [*inv.managed_disks, *inv.snapshots]
    types = {r.id: r.type for r in [*inv.storage_accounts, *inv.disk_encryption_sets,
                                    *inv.sql_servers, *inv.cosmos_accounts]}
    disks_by_des: dict[str, list[str]] = {}
    for disk in disks:
        for des_id in {disk.disk_encryption_set_id, disk.secure_vm_disk_encryption_set_id}:
            if des_id:
                disks_by_des.setdefault(des_id, []).append(disk.id)
    without_cmk = (
        [a.id for a in inv.storage_accounts if a.key_source != "Microsoft.Keyvault"]
        + [d.id for d in disks if d.encryption_type not in CMK_DISK_ENCRYPTION
           and not d.secure_vm_disk_encryption_set_id]
        + [s.id for s in inv.sql_servers if s.tde_protector_kind != "AzureKeyVault"]
        + [c.id for c in inv.cosmos_accounts if not c.key_vault_key_uri]
    )
    # Whether the user picks up new key versions by itself (a versionless URI does too).
    follows: dict[str, bool | None] = {
        **{d.id: d.rotation_to_latest_key_version_enabled for d in inv.disk_encryption_sets},
        **{s.id: s.tde_auto_rotation for s in inv.sql_servers},
    }
    rows = [_architecture_row(user, key, ctx, types, follows, disks_by_des)
            for key in ctx.cmk_keys for user in key.used_by]
    # The table is complete only if every store and key list was read (scanner.gate).
    rests_on(*_STORE_COLLECTORS, *_KEY_COLLECTORS, means="a data store may exist")
    evidence: dict[str, Any] = {"stores": rows, "stores_without_cmk": sorted(without_cmk),
                                "fips_references": dict(FIPS_REFERENCES)}
    cji_stores = len(inv.storage_accounts) + len(disks) + len(inv.sql_servers) \
        + len(inv.cosmos_accounts)
    if cji_stores == 0:
        return Verdict(status=Status.NOT_APPLICABLE,
                       reason="no storage account, managed disk, snapshot, SQL server or "
                              "Cosmos DB account exists in the boundary",
                       evidence=evidence)
    key_stores = {k.store_id or k.key_uri for k in ctx.cmk_keys}
    return Verdict(
        status=Status.MANUAL,
        reason=f"review the CMK architecture for the SSP: {len(rows)} CMK user(s) on "
               f"{len(ctx.cmk_keys)} key(s) in {len(key_stores)} key store(s); "
               f"{len(without_cmk)} data store(s) without a customer-managed key",
        evidence=evidence,
    )


# --- key administrators ----------------------------------------------------------------------

ADMIN_ROLES: dict[str, str] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
    "14b46e9e-c2b7-41e4-8b14-b616bfad9dd5": "Key Vault Crypto Officer",
    "f25e0fa2-a7c8-4377-a976-54943a77a395": "Key Vault Contributor",
    "18500a29-7fe2-46b2-a342-b16a415e101d": "Managed HSM contributor",
}
"""Azure RBAC roles that can manage a vault, its access, or its keys (built-in role GUIDs)."""

ADMIN_KEY_PERMISSIONS = frozenset({"create", "delete", "purge", "import", "update", "rotate",
                                   "setrotationpolicy", "all"})
"""Access-policy key permissions that let a principal replace, destroy or re-import a key."""

def _ancestor_mgs(ctx: CheckContext, subscription_id: str) -> set[str] | None:
    """Management groups above the subscription, as ids; None when not collected."""
    sub = next((s for s in ctx.inventory.subscriptions
                if s.subscription_id.lower() == subscription_id.lower()), None)
    return (management_group_scopes(sub) or None) if sub is not None else None


def _covers(scope: str, store_id: str, ancestors: set[str] | None) -> bool:
    """True when a role assignment at `scope` applies to the key store."""
    if scope in ("/", store_id) or store_id.startswith(scope + "/"):
        return True
    if scope.startswith(MANAGEMENT_GROUP_PREFIX):
        return ancestors is None or scope in ancestors
    return False


@check(
    id="key_store_administrators",
    title="Administrators of CMK key stores are listed for personnel screening",
    kinds=("key_vaults", "managed_hsms"),
    severity="high",
    rationale=(
        "Whoever can delete, purge, re-import or re-permission the key that protects CJI "
        "holds the CJI. CJIS PS-3 requires those people to be screened; the scanner lists "
        "them so the agency can attest each one (PS-3, PL-2)."
    ),
    remediation={
        "summary": "Confirm every listed principal is fingerprint-screened (or remove the "
                   "role / access policy), and record the list in the SSP.",
        "cli": "az role assignment list --scope <vault-id> --include-inherited "
               "--output table",
        "docs": "https://learn.microsoft.com/azure/key-vault/general/rbac-guide",
    },
    needs=("role_assignments",),
    needs_anywhere=(*key_user_kinds(), "vault_keys"),  # which stores hold CMKs in use
)
def key_store_administrators(store: KeyVault | ManagedHsm, ctx: CheckContext) -> Verdict:
    """Manual: principals with administrative RBAC roles or key-admin access policies.

    RBAC: Owner, Contributor, User Access Administrator, Key Vault Administrator / Crypto
    Officer / Contributor and Managed HSM contributor, at the store or any scope above it.
    Access policies (vaults not using RBAC): key permissions create, delete, purge, import,
    update, rotate, setrotationpolicy or all. A Managed HSM's local (data-plane) RBAC is not
    visible to the management plane and must be listed by hand.
    """
    if store.id not in ctx.cmk_store_ids:
        return Verdict(status=Status.NOT_APPLICABLE,
                       reason=f"{store.name} holds no customer-managed key in use",
                       evidence={"cmk_stores": sorted(ctx.cmk_store_ids)})
    ancestors = _ancestor_mgs(ctx, store.subscription_id)
    roles = []
    for assignment in ctx.role_assignments_over(store.id):
        guid = assignment.role_definition_id.rsplit("/", 1)[-1]
        if guid in ADMIN_ROLES and _covers(assignment.scope, store.id, ancestors):
            roles.append({"principal_id": assignment.principal_id,
                          "principal_type": assignment.principal_type,
                          "role": assignment.role_name or ADMIN_ROLES[guid],
                          "scope": assignment.scope})
    roles.sort(key=lambda r: (r["scope"], r["role"], r["principal_id"]))
    policies = []
    uses_rbac = isinstance(store, ManagedHsm) or store.rbac_authorization is True
    if isinstance(store, KeyVault) and not uses_rbac:
        for policy in store.access_policies:
            granted = sorted({p.lower() for p in policy.key_permissions} & ADMIN_KEY_PERMISSIONS)
            if granted:
                policies.append({"object_id": policy.object_id, "key_permissions": granted})
    principals = {r["principal_id"] for r in roles} | {p["object_id"] for p in policies}
    model = "Managed HSM local RBAC" if isinstance(store, ManagedHsm) \
        else ("Azure RBAC" if uses_rbac else "access policies")
    evidence = {
        "permission_model": model,
        "role_assignments": roles,
        "access_policies": policies,
        "cmk_users": ctx.cmk_users_of_store(store.id),
    }
    note = (" Also list the Managed HSM's local RBAC administrators (az keyvault "
            "role assignment list --hsm-name <hsm>).") if isinstance(store, ManagedHsm) else ""
    return Verdict(
        status=Status.MANUAL,
        reason=f"attest that the {len(principals)} principal(s) with administrative access to "
               f"{store.name} ({len(roles)} role assignment(s), {len(policies)} access "
               f"polic{'y' if len(policies) == 1 else 'ies'}) are screened.{note}",
        evidence=evidence,
    )
