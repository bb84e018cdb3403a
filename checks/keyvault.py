"""Checks for key stores and the keys used as customer-managed keys (CMK).

A vault or Managed HSM is judged for CMK requirements only when some data store's CMK
lives in it (`ctx.cmk_store_ids`). Which stores those are is derived from the storage
accounts, disk encryption sets, SQL servers and Cosmos DB accounts in the inventory, so
when any of those could not be read a store that seems unused is `unknown`, not
`not_applicable`.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from scanner.context import CheckContext, CmkKey
from scanner.findings import Remediation, Status, Verdict
from scanner.gate import rests_on
from scanner.inventory import KeyVault, ManagedHsm
from scanner.kinds import cji_store_kinds, key_user_kinds
from scanner.registry import check

# Collectors whose data says which keys are used as CMK (see CheckContext.cmk_references).
CMK_USER_COLLECTORS = key_user_kinds()
# Stores of CJI: the data stores whose encryption keys CJIS step 2 is about.
CJI_STORE_KINDS = cji_store_kinds()
HSM_KEY_TYPES = ("RSA-HSM", "EC-HSM", "oct-HSM")

KEY_TYPES_DOC = "https://learn.microsoft.com/azure/key-vault/keys/about-keys"
MANAGED_HSM_DOC = "https://learn.microsoft.com/azure/key-vault/managed-hsm/overview"
SOFT_DELETE_DOC = "https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview"
ROTATION_DOC = "https://learn.microsoft.com/azure/key-vault/keys/how-to-configure-key-rotation"
NETWORK_DOC = "https://learn.microsoft.com/azure/key-vault/general/network-security"
PUBLIC_THRESHOLD = 2 ** 24
"""IPv4 addresses (a /8) beyond which a vault's IP rules admit the internet, not a network."""


def _same(a: str | None, b: str) -> bool:
    """Case-insensitive equality of Azure enum spellings."""
    return (a or "").lower() == b.lower()


def _store_kind(store: KeyVault | ManagedHsm) -> str:
    return "Managed HSM" if isinstance(store, ManagedHsm) else "key vault"


def _not_a_cmk_store(store: KeyVault | ManagedHsm, ctx: CheckContext) -> Verdict | None:
    """not_applicable (or unknown) for a store that holds no CMK in use; None if it holds one."""
    if store.id in ctx.cmk_store_ids:
        return None
    # A data store we could not read may keep its CMK here: the engine does not let
    # "unused" stand then (scanner.gate).
    rests_on(*CMK_USER_COLLECTORS, means="it may hold one")
    return Verdict(status=Status.NOT_APPLICABLE,
                   reason=f"no data store's customer-managed key is in this {_store_kind(store)}")


# --- Step 2: the key stores ------------------------------------------------------------------


@check(
    id="key_store_hsm_tier",
    title="Key stores holding a customer-managed key are Premium vaults or Managed HSMs",
    kinds=("key_vaults", "managed_hsms"),
    severity="critical",
    rationale=(
        "The CMK is the compensating control for unscreened vendor staff only if it never "
        "leaves validated hardware: a Premium vault (HSM key types in FIPS 140 validated HSMs) "
        "or a Managed HSM (FIPS 140-3 Level 3); a Standard vault keeps keys in software."
    ),
    remediation=Remediation(
        summary=(
            "Upgrade the vault to Premium (Properties > Pricing tier), create an RSA-HSM key "
            "there, and point the data stores at it; or move the key to a Managed HSM."
        ),
        cli="az keyvault update --name <vault> --resource-group <resource-group> --sku premium",
        docs=KEY_TYPES_DOC,
    ),
    needs=("key_vaults", "managed_hsms"),
    needs_anywhere=(*CMK_USER_COLLECTORS, "vault_keys"),  # which data stores use its keys
)
def key_store_hsm_tier(store: KeyVault | ManagedHsm, ctx: CheckContext) -> Verdict:
    """Pass for a Premium vault or a Managed HSM that holds a CMK in use; fail for Standard."""
    unused = _not_a_cmk_store(store, ctx)
    if unused is not None:
        return unused
    evidence: dict[str, Any] = {"sku": store.sku_name,
                                "cmk_users": ctx.cmk_users_of_store(store.id)}
    if isinstance(store, ManagedHsm):
        return Verdict(status=Status.PASS,
                       reason=f"Managed HSM (SKU {store.sku_name}): FIPS 140-3 Level 3",
                       evidence=evidence)
    if _same(store.sku_name, "premium"):
        return Verdict(status=Status.PASS, reason="vault SKU is premium (HSM-backed keys)",
                       evidence=evidence)
    if store.sku_name is None:
        return Verdict(status=Status.UNKNOWN, reason="the vault's SKU was not reported",
                       evidence=evidence)
    return Verdict(
        status=Status.FAIL,
        reason=f"vault SKU is {store.sku_name} (software-protected keys only) and it holds a "
               f"CMK used by {len(evidence['cmk_users'])} data store(s)",
        evidence=evidence,
    )


@check(
    id="key_store_purge_protection",
    title="Key stores holding a customer-managed key have soft delete and purge protection",
    kinds=("key_vaults", "managed_hsms"),
    severity="high",
    rationale=(
        "Deleting or purging a CMK makes every disk and account it wraps unreadable; soft "
        "delete with purge protection keeps a deleted key recoverable for its retention "
        "period, even against a malicious administrator."
    ),
    remediation=Remediation(
        summary=(
            "Turn on purge protection (Properties > Purge protection); it cannot be turned off "
            "again. For a Managed HSM use az keyvault update-hsm --enable-purge-protection true."
        ),
        cli=(
            "az keyvault update --name <vault> --resource-group <resource-group> "
            "--enable-purge-protection true"
        ),
        docs=SOFT_DELETE_DOC,
    ),
    needs=("key_vaults", "managed_hsms"),
    needs_anywhere=(*CMK_USER_COLLECTORS, "vault_keys"),  # which data stores use its keys
)
def key_store_purge_protection(store: KeyVault | ManagedHsm, ctx: CheckContext) -> Verdict:
    """Pass when a CMK store has soft delete and purge protection both on."""
    unused = _not_a_cmk_store(store, ctx)
    if unused is not None:
        return unused
    evidence = {"soft_delete": store.soft_delete, "purge_protection": store.purge_protection,
                "cmk_users": ctx.cmk_users_of_store(store.id)}
    if store.soft_delete is False:
        return Verdict(status=Status.FAIL, reason="enableSoftDelete is false",
                       evidence=evidence)
    # Soft delete is on for every vault since 2020 and can no longer be turned off, so an
    # absent enableSoftDelete means on (SOFT_DELETE_DOC). Purge protection is off unless
    # it was turned on: absent means off.
    soft = ("enableSoftDelete is true" if store.soft_delete
            else "enableSoftDelete is absent (on: soft delete cannot be turned off, "
                 f"{SOFT_DELETE_DOC})")
    if store.purge_protection is True:
        return Verdict(status=Status.PASS, reason=f"{soft}; enablePurgeProtection is true",
                       evidence=evidence)
    purge = ("enablePurgeProtection is false" if store.purge_protection is False
             else "enablePurgeProtection is absent (off unless turned on)")
    return Verdict(status=Status.FAIL,
                   reason=f"{purge}: a deleted CMK can be purged before it is recovered; {soft}",
                   evidence=evidence)


# --- Step 2: the keys used as CMK ------------------------------------------------------------


def _key_evidence(key: CmkKey) -> dict[str, Any]:
    evidence: dict[str, Any] = {"key_uri": key.key_uri, "store_id": key.store_id,
                                "store_kind": key.store_kind, "used_by": key.used_by}
    if key.key is not None:
        evidence["kty"] = key.key.kty
        evidence["expires"] = key.key.expires.isoformat() if key.key.expires else None
        evidence["rotation_policy"] = (key.key.rotation_policy.model_dump()
                                       if key.key.rotation_policy else None)
    return evidence


def _key_not_read(key: CmkKey, evidence: dict[str, Any]) -> Verdict:
    """Unknown for a CMK whose metadata was not collected, saying why."""
    if key.store_id is None:
        reason = (f"the vault or Managed HSM holding {key.key_uri} is not in the inventory "
                  "(outside the scanned subscriptions, or its list could not be read)")
    else:
        reason = f"key metadata of {key.name} was not read from {key.store_id}"
    return Verdict(status=Status.UNKNOWN, reason=reason, evidence=evidence)


@check(
    id="cmk_key_hsm_backed",
    title="Keys used as customer-managed keys are HSM-backed",
    kinds="cmk_keys",
    severity="critical",
    rationale=(
        "An RSA or EC key in a vault is software-protected even in a Premium vault; only "
        "-HSM key types (or any Managed HSM key) are generated and kept in FIPS validated "
        "hardware, as CJIS expects of the key protecting CJI (SC-12, SC-13)."
    ),
    remediation=Remediation(
        summary=(
            "Create a new RSA-HSM key in a Premium vault (or a key in a Managed HSM) and point "
            "every data store using the software key at it; a key's type cannot be changed."
        ),
        cli="az keyvault key create --vault-name <premium-vault> --name <key> --kty RSA-HSM "
            "--size 3072",
        docs=KEY_TYPES_DOC,
    ),
    needs=("vault_keys",),
)
def cmk_key_hsm_backed(key: CmkKey, ctx: CheckContext) -> Verdict:
    """Pass for RSA-HSM / EC-HSM / oct-HSM keys and any Managed HSM key; fail for RSA / EC."""
    evidence = _key_evidence(key)
    if key.store_kind == "managed_hsm":
        return Verdict(status=Status.PASS,
                       reason="the key is in a Managed HSM: every key there is HSM-protected",
                       evidence=evidence)
    if key.key is None:
        return _key_not_read(key, evidence)
    kty = key.key.kty
    if kty is None:
        return Verdict(status=Status.UNKNOWN, reason=f"Azure did not report the type of key "
                       f"{key.name}", evidence=evidence)
    if any(_same(kty, t) for t in HSM_KEY_TYPES):
        return Verdict(status=Status.PASS, reason=f"key type is {kty}", evidence=evidence)
    return Verdict(status=Status.FAIL,
                   reason=f"key type is {kty}: software-protected, not HSM-backed",
                   evidence=evidence)


ROTATION_POLICY_BUILTIN = "d8cf8476-a2ec-4916-896e-992351803c44"
"""Built-in "Keys should have a rotation policy ensuring that their rotation is scheduled
within the specified number of days after creation": a key complies only when its rotation
policy has a lifetime action of type Rotate; an expiry date does not rotate anything."""


@check(
    id="cmk_key_rotation_policy",
    title="Keys used as customer-managed keys have a rotation policy that rotates them",
    kinds="cmk_keys",
    severity="high",
    rationale=(
        "CJIS key management (SC-12) expects keys to have a defined cryptoperiod. Only a "
        "rotation policy whose lifetime actions include Rotate creates new key versions; "
        "an expiry date alone stops the key (and the store using it) instead of rotating it. "
        "Judged as Microsoft's built-in policy 'Keys should have a rotation policy ensuring "
        f"that their rotation is scheduled' ({ROTATION_POLICY_BUILTIN}) judges it."
    ),
    remediation=Remediation(
        summary=(
            "Set a rotation policy on the key (Keys > <key> > Rotation policy) with a Rotate "
            "action, e.g. 18 months after creation, and an expiry."
        ),
        cli="az keyvault key rotation-policy update --vault-name <vault> --name <key> "
            "--value <rotation-policy.json>",
        docs=ROTATION_DOC,
    ),
    needs=("vault_keys",),
)
def cmk_key_rotation_policy(key: CmkKey, ctx: CheckContext) -> Verdict:
    """Pass only when the key's rotation policy schedules a Rotate action (d8cf8476-...)."""
    evidence = _key_evidence(key)
    if key.key is None:
        if key.store_kind == "managed_hsm":
            # Managed HSM keys are data-plane objects: Reader on the HSM does not show them.
            return Verdict(
                status=Status.UNKNOWN,
                reason=f"key {key.name} is in a Managed HSM, whose key metadata (rotation "
                       "policy, expiry) is only readable on the data plane",
                evidence=evidence,
            )
        return _key_not_read(key, evidence)
    policy = key.key.rotation_policy
    if policy is not None and policy.rotate_after:
        return Verdict(status=Status.PASS,
                       reason=f"rotation policy rotates the key after {policy.rotate_after}",
                       evidence=evidence)
    expiry = []
    if key.key.expires is not None:
        expiry.append(f"the key expires on {key.key.expires.date().isoformat()}")
    if policy is not None and policy.expiry_time:
        expiry.append(f"its rotation policy sets an expiry of {policy.expiry_time}")
    if expiry:
        return Verdict(status=Status.FAIL,
                       reason=f"key {key.name} has no rotation policy with a Rotate action: "
                              f"{' and '.join(expiry)}, but an expiry date alone is not "
                              f"rotation (built-in {ROTATION_POLICY_BUILTIN})",
                       evidence=evidence)
    return Verdict(status=Status.FAIL,
                   reason=f"key {key.name} has no rotation policy with a Rotate action "
                          f"(built-in {ROTATION_POLICY_BUILTIN})",
                   evidence=evidence)


# --- Step 2: an HSM-grade key store exists ------------------------------------------------------


@check(
    id="tenant_hsm_key_store_exists",
    title="A Premium key vault or Managed HSM exists for the CJI data stores",
    kinds="tenant",
    severity="critical",
    rationale=(
        "Customer-managed keys for CJI need an HSM-grade home; a tenant holding CJI stores "
        "but no Premium vault or Managed HSM cannot meet CJIS step 2 at all."
    ),
    remediation=Remediation(
        summary=(
            "Create a Premium key vault (or a Managed HSM) in a US region with purge "
            "protection, and create RSA-HSM keys there for the CJI data stores."
        ),
        cli=(
            "az keyvault create --name <vault> --resource-group <resource-group> "
            "--location <us-region> --sku premium --enable-purge-protection true"
        ),
        docs=MANAGED_HSM_DOC,
    ),
    needs=("key_vaults", "managed_hsms"),
    needs_anywhere=(*CJI_STORE_KINDS, "key_vaults", "managed_hsms"),
)
def tenant_hsm_key_store_exists(tenant: Any, ctx: CheckContext) -> Verdict:
    """Pass when a Premium vault or Managed HSM exists while any CJI data store exists."""
    inventory = ctx.inventory
    cji_stores = {kind: len(ctx.resources_of_kind(kind)) for kind in CJI_STORE_KINDS}
    premium = sorted(v.id for v in inventory.key_vaults if _same(v.sku_name, "premium"))
    hsms = sorted(h.id for h in inventory.managed_hsms)
    evidence: dict[str, Any] = {"cji_stores": cji_stores, "premium_vaults": premium,
                                "managed_hsms": hsms,
                                "standard_vaults": len(inventory.key_vaults) - len(premium)}
    if not any(cji_stores.values()):
        rests_on(*CJI_STORE_KINDS, means="a CJI data store may exist")
        return Verdict(status=Status.NOT_APPLICABLE,
                       reason="no storage account, disk, snapshot, SQL server or Cosmos DB "
                              "account holds CJI in the scanned subscriptions",
                       evidence=evidence)
    if premium or hsms:
        return Verdict(status=Status.PASS,
                       reason=f"{len(premium)} Premium vault(s) and {len(hsms)} Managed HSM(s) "
                              "exist",
                       evidence=evidence)
    # "None exists" rests on every vault list having been read.
    rests_on("key_vaults", "managed_hsms", absence=True,
             means="a Premium vault or Managed HSM may exist")
    return Verdict(
        status=Status.FAIL,
        reason=f"{sum(cji_stores.values())} CJI data store(s) exist but no Premium vault or "
               f"Managed HSM ({evidence['standard_vaults']} Standard vault(s) only)",
        evidence=evidence,
    )


# --- Transit and exposure -------------------------------------------------------------------


def _admitted_addresses(rules: list[str]) -> tuple[int, list[str]]:
    """(IPv4 addresses the IP rules admit, overlaps merged; rules that are not addresses)."""
    networks, unreadable = [], []
    for rule in rules:
        try:
            network = ipaddress.ip_network(rule.strip(), strict=False)
        except ValueError:
            unreadable.append(rule)
            continue
        if isinstance(network, ipaddress.IPv4Network):
            networks.append(network)
        else:
            unreadable.append(rule)  # Key Vault IP rules are IPv4 only
    return sum(n.num_addresses for n in ipaddress.collapse_addresses(networks)), unreadable


@check(
    id="key_vault_public_network_restricted",
    title="Key vaults are not open to the public internet",
    kinds="key_vaults",
    severity="high",
    rationale=(
        "A vault reachable from any network exposes the keys protecting CJI to credential "
        "theft from anywhere; private endpoints or a Deny-by-default firewall limit who can "
        "reach it (AC-3, SC-7). IP rules admitting more than a /8 (2**24 addresses) count as "
        "the internet. Microsoft Learn, 'Configure Azure Key Vault networking settings' "
        "(network-security)."
    ),
    remediation=Remediation(
        summary=(
            "Use a private endpoint and set Networking > Public access to Disabled, or allow "
            "access from selected networks only (firewall default action Deny)."
        ),
        cli=(
            "az keyvault update --name <vault> --resource-group <resource-group> "
            "--public-network-access Disabled"
        ),
        docs=NETWORK_DOC,
    ),
    needs=("key_vaults",),
)
def key_vault_public_network_restricted(vault: KeyVault, ctx: CheckContext) -> Verdict:
    """Pass when public network access is Disabled, or the firewall denies by default and its
    IP rules admit no more than PUBLIC_THRESHOLD addresses (a /8).

    Threshold: IP rules together admitting more than 2**24 IPv4 addresses (a /8, the largest
    block ever allocated to one organisation) do not describe an agency's own networks but
    the internet: `defaultAction: Deny` with 0.0.0.0/1 + 128.0.0.0/1 (or the recorded
    0.0.0.0/2 ... 128.0.0.0/1, all of IPv4 but 127/8) is a public vault. Overlapping rules
    are merged before counting.
    """
    evidence: dict[str, Any] = {"public_network_access": vault.public_network_access,
                                "network_default_action": vault.network_default_action,
                                "ip_rules": vault.ip_rules}
    if _same(vault.public_network_access, "Disabled"):
        return Verdict(status=Status.PASS, reason="publicNetworkAccess is Disabled",
                       evidence=evidence)
    if _same(vault.network_default_action, "Deny"):
        admitted, unreadable = _admitted_addresses(vault.ip_rules)
        evidence.update(admitted_ipv4_addresses=admitted, threshold=PUBLIC_THRESHOLD)
        if admitted > PUBLIC_THRESHOLD:
            return Verdict(
                status=Status.FAIL,
                reason=f"networkAcls.defaultAction is Deny, but its {len(vault.ip_rules)} IP "
                       f"rule(s) admit {admitted:,} IPv4 addresses "
                       f"({admitted / 2 ** 32:.1%} of IPv4), more than a /8 "
                       f"({PUBLIC_THRESHOLD:,}): the vault is reachable from most of the "
                       "internet",
                evidence=evidence)
        if unreadable:
            return Verdict(status=Status.UNKNOWN,
                           reason=f"networkAcls.defaultAction is Deny, but the IP rules "
                                  f"{', '.join(unreadable)} are not IPv4 addresses or ranges, "
                                  "so what they admit cannot be told",
                           evidence=evidence)
        return Verdict(status=Status.PASS,
                       reason=f"networkAcls.defaultAction is Deny (selected networks only: "
                              f"{len(vault.ip_rules)} IP rule(s) admitting {admitted:,} "
                              f"addresses, at most a /8)",
                       evidence=evidence)
    if vault.public_network_access is None and vault.network_default_action is None:
        return Verdict(
            status=Status.FAIL,
            reason="Azure returned no publicNetworkAccess and no network ACLs: the vault "
                   f"accepts connections from all networks by default ({NETWORK_DOC})",
            evidence=evidence,
        )
    return Verdict(
        status=Status.FAIL,
        reason=f"publicNetworkAccess is {vault.public_network_access or 'absent'} and "
               f"networkAcls.defaultAction is {vault.network_default_action or 'absent'}: "
               "the vault is reachable from public networks",
        evidence=evidence,
    )
