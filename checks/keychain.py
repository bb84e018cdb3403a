"""The key chain behind a data store's customer-managed key, judged as one verdict.

CJIS 6.0 on Azure Commercial rests on customer-managed keys as the compensating control
for unscreened vendor staff, and that holds only when the key never leaves validated
hardware and cannot be destroyed: a data store passes step 2 only if its key is
HSM-backed (`RSA-HSM`, `EC-HSM`, `oct-HSM`, or any Managed HSM key) and lives in a
Premium vault or a Managed HSM with soft delete and purge protection. A store whose key
is a software key in a Standard vault fails step 2 itself; one whose key lives outside
the scanned subscriptions is `unknown`, naming the key.

A key in a Managed HSM is judged on that key too (its keys are read through ARM,
ManagedHsmKeys_List / _Get): its type must be an HSM key type, as built-in 1fd3b2cc
judges Managed HSM keys, and the HSM must pass c39ba22d.

References: Key Vault key types (https://learn.microsoft.com/azure/key-vault/keys/about-keys),
built-ins 587c79fe-dd04-4a5e-9d0b-f89598c7261b (keys backed by an HSM),
1fd3b2cc-9904-40fa-b8da-050c02612da9 (Managed HSM keys of the specified cryptographic
type: RSA-HSM, EC-HSM, oct-HSM), 0b60c0b2-2dc2-4e1c-b5c9-abbed971de53 (vaults: purge
protection) and c39ba22d-4428-4149-b981-70acb31fc383 (Managed HSM: purge protection).
"""

from __future__ import annotations

from typing import Any

from scanner.context import CheckContext, parse_key_uri, service_key_uri
from scanner.findings import Status, Verdict
from scanner.gate import rests_on
from scanner.inventory import KeyVault, ManagedHsm, ServiceResource
from scanner.kinds import KeyRef, by_type
from scanner.kinds.core import KEY_LISTS
from scanner.rules import KEY_STORES, use_key_chain

HSM_KEY_TYPES = ("rsa-hsm", "ec-hsm", "oct-hsm")
KEY_STORE_COLLECTORS = KEY_STORES  # a check judging a key chain declares KEY_CHAIN_READS

MANAGED_HSM_KEY_TYPE_BUILTIN = "1fd3b2cc-9904-40fa-b8da-050c02612da9"
"""Built-in "Azure Key Vault Managed HSM keys should be the specified cryptographic type":
non-compliant when `keyType` is not in its allowed list (RSA-HSM, EC-HSM, oct-HSM)."""
MANAGED_HSM_PURGE_BUILTIN = "c39ba22d-4428-4149-b981-70acb31fc383"
"""Built-in "Azure Key Vault Managed HSM should have purge protection enabled": its rule is
`enableSoftDelete notEquals "true"` or `enablePurgeProtection notEquals "true"`, which an
absent field meets too, so only both present and true comply."""
MANAGED_HSM_SOFT_DELETE_DOC = \
    "https://learn.microsoft.com/azure/key-vault/managed-hsm/soft-delete-overview"


def store_list(store: KeyVault | ManagedHsm) -> str:
    """The inventory kind of a key store (`key_vaults`, `managed_hsms`)."""
    return "managed_hsms" if isinstance(store, ManagedHsm) else "key_vaults"


def key_type_gap(kty: str, in_managed_hsm: bool) -> str | None:
    """Why a key of type `kty` is not HSM-backed ("is RSA: ..."), or None when it is.

    Judged on the type Azure reports, in a Managed HSM too: Learn says every Managed HSM
    key is HSM-protected, but built-in 1fd3b2cc still holds its `keyType` to the -HSM types.
    """
    if kty.lower() in HSM_KEY_TYPES:
        return None
    if in_managed_hsm:
        return (f"is {kty}, not an HSM key type (RSA-HSM, EC-HSM, oct-HSM), as built-in "
                f"{MANAGED_HSM_KEY_TYPE_BUILTIN} requires of Managed HSM keys")
    return f"is {kty}: software-protected, not HSM-backed"


def managed_hsm_deletion_gaps(hsm: ManagedHsm) -> list[str]:
    """What built-in c39ba22d finds missing on a Managed HSM: each of `enableSoftDelete` and
    `enablePurgeProtection` must be present and true (absent does not comply, although
    soft delete is always on for a Managed HSM: MANAGED_HSM_SOFT_DELETE_DOC)."""
    gaps = []
    for field, value in (("enableSoftDelete", hsm.soft_delete),
                         ("enablePurgeProtection", hsm.purge_protection)):
        if value is not True:
            gaps.append(f"{field} is {'absent' if value is None else 'false'}")
    return gaps


def key_uri_of(resource: Any, ctx: CheckContext) -> tuple[str | None, str | None]:
    """(key URI, how it was found) for a resource whose kind declares its key."""
    kind = by_type().get(getattr(resource, "type", ""))
    ref: KeyRef | None = kind.key if kind else None
    if ref is None:
        return None, None
    if ref.des:
        des_id = getattr(resource, ref.des, None) if not isinstance(resource, ServiceResource) \
            else resource.get(ref.des)
        if isinstance(des_id, list):
            des_id = next((d for d in des_id if d), None)
        if not des_id:
            return None, None
        des = ctx.disk_encryption_set(str(des_id))
        if des is None:
            rests_on("disk_encryption_sets")  # outside the scan, or its list failed
            return None, f"disk encryption set {des_id} (not in the inventory)"
        return des.active_key_url, f"through disk encryption set {des.name}"
    if isinstance(resource, ServiceResource):
        return service_key_uri(resource, ref), None
    if ref.uri:
        return getattr(resource, ref.uri, None), None
    vault, name = getattr(resource, ref.vault or "", None), getattr(resource, ref.name or "", None)
    if not vault or not name:
        return None, None
    version = getattr(resource, ref.version or "", None)
    uri = f"{str(vault).rstrip('/')}/keys/{name}"
    return (f"{uri}/{version}" if version else uri), None


def judge_key_chain(resource: Any, ctx: CheckContext) -> Verdict | None:
    """None when the store's key chain holds; otherwise the fail or unknown verdict."""
    uri, via = key_uri_of(resource, ctx)
    return judge_key_uri(uri, ctx, via)


def judge_through_des(des_id: str | None, ctx: CheckContext) -> Verdict | None:
    """The key chain of a disk (or anything) encrypted through a disk encryption set."""
    des = ctx.disk_encryption_set(des_id)
    if des is None:
        rests_on("disk_encryption_sets")  # outside the scan, or its list failed
        return judge_key_uri(None, ctx, f"disk encryption set {des_id} (not in the inventory)")
    return judge_key_uri(des.active_key_url, ctx, f"through disk encryption set {des.name}")


def judge_key_uri(uri: str | None, ctx: CheckContext, via: str | None = None,
                  store: KeyVault | ManagedHsm | None = None) -> Verdict | None:
    """None when the key at `uri` is HSM-backed in a Premium vault or Managed HSM with
    soft delete and purge protection; otherwise the fail or unknown verdict. `store` is
    the vault or HSM when the caller already knows it (a disk encryption set's source
    vault)."""
    evidence: dict[str, Any] = {"key_uri": uri}
    if via:
        evidence["key_found"] = via
    if not uri:
        return Verdict(status=Status.UNKNOWN,
                       reason="a customer-managed key is configured but its key URI was not "
                              f"reported{' ' + via if via else ''}, so its key chain cannot "
                              "be judged",
                       evidence=evidence)
    parsed = parse_key_uri(uri)
    # Some bodies name only the vault (Cosmos DB `keyVaultKeyUri` can be the vault's base
    # URI): the store can still be judged, the key itself cannot.
    store = store or ctx.key_store_for_uri(uri if parsed else f"{uri.rstrip('/')}/keys/-")
    if store is None:
        # Outside the scanned subscriptions, or in a key-store list that failed: the
        # engine names the failed lists (scanner.gate).
        rests_on(*KEY_STORE_COLLECTORS)
        return Verdict(status=Status.UNKNOWN,
                       reason=f"the key {uri} lives in a vault or Managed HSM the scan did "
                              "not see, so its tier, purge protection and key type cannot "
                              "be judged",
                       evidence=evidence)
    evidence["key_store"] = store.id
    failures: list[str] = []
    unknowns: list[str] = []
    key_name = parsed[1] if parsed else None
    if key_name is None:
        unknowns.append(f"{uri} names the vault but not the key, so its type is not known")
    if isinstance(store, ManagedHsm):
        evidence.update(key_store_kind="managed_hsm", purge_protection=store.purge_protection,
                        soft_delete=store.soft_delete)
        gaps = managed_hsm_deletion_gaps(store)
        if gaps:
            failures.append(f"Managed HSM {store.name}: {' and '.join(gaps)} (built-in "
                            f"{MANAGED_HSM_PURGE_BUILTIN} requires both true)")
    else:
        _judge_vault(store, evidence, failures, unknowns)
    if key_name is not None:
        _judge_key(store, key_name, ctx, evidence, failures, unknowns)
    shown = key_name or uri
    if failures:
        return Verdict(status=Status.FAIL,
                       reason=f"the customer-managed key {shown} is not protected as CJIS "
                              f"step 2 requires: {'; '.join(failures)}",
                       evidence=evidence)
    if unknowns:
        return Verdict(status=Status.UNKNOWN,
                       reason=f"the key chain of {shown} cannot be fully judged: "
                              f"{'; '.join(unknowns)}",
                       evidence=evidence)
    return None


def _judge_vault(vault: KeyVault, evidence: dict[str, Any], failures: list[str],
                 unknowns: list[str]) -> None:
    evidence.update(key_store_kind="vault", vault_sku=vault.sku_name,
                    purge_protection=vault.purge_protection, soft_delete=vault.soft_delete)
    sku = (vault.sku_name or "").lower()
    if not sku:
        unknowns.append(f"the SKU of vault {vault.name} was not reported")
    elif sku != "premium":
        failures.append(f"vault {vault.name} is {vault.sku_name} (software keys only), not "
                        "Premium or a Managed HSM")
    if vault.purge_protection is not True:
        failures.append(f"vault {vault.name} has no purge protection")
    if vault.soft_delete is False:
        failures.append(f"vault {vault.name} has soft delete off")


def _judge_key(store: KeyVault | ManagedHsm, key_name: str, ctx: CheckContext,
               evidence: dict[str, Any], failures: list[str], unknowns: list[str]) -> None:
    """The key itself, in a vault or a Managed HSM: read, and of an HSM key type."""
    label = "Managed HSM" if isinstance(store, ManagedHsm) else "vault"
    key = ctx.vault_key(store.id, key_name)
    if key is None:
        # The engine adds why, if the store's key list could not be read.
        rests_on(KEY_LISTS[store_list(store)], scope=store.id)
        unknowns.append(f"key {key_name} was not found among the keys read from {label} "
                        f"{store.name}")
        return
    evidence["kty"] = key.kty
    if key.kty is None:
        unknowns.append(f"Azure did not report the type of key {key_name}")
        return
    gap = key_type_gap(key.kty, isinstance(store, ManagedHsm))
    if gap:
        failures.append(f"key {key_name} {gap}")


use_key_chain(judge_key_chain)
