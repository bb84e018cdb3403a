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

from checks.keychain import (
    MANAGED_HSM_PURGE_BUILTIN,
    MANAGED_HSM_SOFT_DELETE_DOC,
    managed_hsm_deletion_gaps,
)
from scanner.context import CheckContext
from scanner.findings import Remediation, Status, Verdict
from scanner.fips import VAULT_KEYS_DOC as KEY_TYPES_DOC
from scanner.gate import rests_on
from scanner.inventory import KeyVault, ManagedHsm
from scanner.kinds import cji_store_kinds, key_user_kinds
from scanner.registry import check

# Collectors whose data says which keys are used as CMK (see CheckContext.cmk_references).
CMK_USER_COLLECTORS = key_user_kinds()
# Stores of CJI: the data stores whose encryption keys CJIS step 2 is about.
CJI_STORE_KINDS = cji_store_kinds()

MANAGED_HSM_DOC = "https://learn.microsoft.com/azure/key-vault/managed-hsm/overview"
SOFT_DELETE_DOC = "https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview"
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
        "period, even against a malicious administrator. A Managed HSM is judged as "
        f"built-in {MANAGED_HSM_PURGE_BUILTIN} ('Azure Key Vault Managed HSM should have "
        "purge protection enabled') judges it."
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
    if isinstance(store, ManagedHsm):
        return _managed_hsm_purge_protection(store, evidence)
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


def _managed_hsm_purge_protection(hsm: ManagedHsm, evidence: dict[str, Any]) -> Verdict:
    """As built-in c39ba22d judges a Managed HSM: both fields present and true."""
    evidence["builtin"] = MANAGED_HSM_PURGE_BUILTIN
    gaps = managed_hsm_deletion_gaps(hsm)
    if not gaps:
        return Verdict(status=Status.PASS,
                       reason="enableSoftDelete is true; enablePurgeProtection is true",
                       evidence=evidence)
    note = (f"; soft delete is always on for a Managed HSM ({MANAGED_HSM_SOFT_DELETE_DOC}), "
            "but the built-in does not count an absent enableSoftDelete as true"
            if hsm.soft_delete is None else "")
    return Verdict(status=Status.FAIL,
                   reason=f"{' and '.join(gaps)}: built-in {MANAGED_HSM_PURGE_BUILTIN} "
                          "requires both enableSoftDelete and enablePurgeProtection to be true"
                          f"{note}",
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
