"""Recovery Services vaults and Backup vaults: customer-managed keys, public network
access, and where their backup copies live.

Where the copies live: a locally or zone-redundant vault keeps them in its own region; a
geo-redundant one (or one with cross-region restore) also in its region's pair. Azure
pairs every US region with another US region (Learn, "Azure region pairs and nonpaired
regions": East US/West US, East US 2/Central US, North Central/South Central US, West US
2/West Central US, West US 3/East US), so the copies are in the US exactly when the
vault's own region is a US production region. That is decided from the cloud's regions
list (`metadata.geographyGroup` US, no EUAP/staging region); a vault whose region cannot be
judged (the regions list was not read) is `unknown`, and a redundancy Azure did not
report is taken as geo-redundant (the widest spread; Recovery Services documents
GeoRedundant as its default), never as a pass by itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from checks.services.common import (
    CMK,
    MICROSOFT_MANAGED,
    PNA_DEFAULT_ENABLED,
    PUBLIC_NETWORK,
    REPLICA_RESIDENCY,
)
from scanner.context import CheckContext
from scanner.findings import Status, Verdict
from scanner.inventory import ServiceResource
from scanner.registry import check
from scanner.rules import equals, present, rule

RSV_CMK_DOC = "https://learn.microsoft.com/azure/backup/encryption-at-rest-with-cmk"
RSV_NETWORK_DOC = "https://learn.microsoft.com/azure/backup/private-endpoints"
RSV_REDUNDANCY_DOC = ("https://learn.microsoft.com/azure/backup/"
                      "backup-create-recovery-services-vault#set-storage-redundancy")
BV_CMK_DOC = "https://learn.microsoft.com/azure/backup/encryption-at-rest-with-cmk-for-backup-vault"
BV_REDUNDANCY_DOC = "https://learn.microsoft.com/azure/backup/create-manage-backup-vault"
REGION_PAIRS_DOC = "https://learn.microsoft.com/azure/reliability/regions-paired"
CJI_BACKUPS = ("Backups of CJI are CJI at rest: on Azure Commercial they must be encrypted "
               "with a key the agency controls (CJIS 6.0 step 2), an HSM-backed key in a "
               "Premium vault or Managed HSM with purge protection.")
COPIES_RATIONALE = ("CJI, backups included, must stay in the US (CJIS 6.0 step 1). A "
                    "geo-redundant vault or one with cross-region restore also keeps its "
                    "copies in its region's pair; Azure pairs every US region with a US "
                    f"region ({REGION_PAIRS_DOC}), so the copies are in the US exactly when "
                    "the vault's region is a US production region.")


def _values(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    return [str(v) for v in items if v not in (None, "")]


def copies_in_us(resource: ServiceResource, ctx: CheckContext, *, redundancy: Iterable[str],
                 geo: Iterable[str], cross_region: str | None = None) -> Verdict:
    """Where a store keeps its backup copies (its region, and its pair when geo-redundant
    or restorable cross-region), judged as US or not. `redundancy` and `cross_region` are
    declared field names; `geo` the redundancy values that copy to the paired region."""
    reported = [v for name in redundancy for v in _values(resource.get(name))]
    crr = resource.get(cross_region) if cross_region else None
    evidence: dict[str, Any] = {"location": resource.location, "redundancy": reported,
                                "cross_region_restore": crr}
    geo_values = {g.lower() for g in geo}
    if not reported:
        spread, how = True, "redundancy not reported (taken as geo-redundant)"
    else:
        spread = any(v.lower() in geo_values for v in reported)
        how = ", ".join(dict.fromkeys(reported))
    if str(crr or "").lower() == "enabled":
        spread, how = True, f"{how}, cross-region restore enabled"
    where = (f"{resource.location} and its paired region" if spread
             else f"{resource.location} only")
    evidence["copies_in"] = where
    us = ctx.is_us_region(resource.location)
    if us is None:
        why = ("Azure did not report its location" if not resource.location
               else "the cloud's regions list was not read")
        return Verdict(status=Status.UNKNOWN,
                       reason=f"backup copies are kept in {where} ({how}), but the region "
                              f"cannot be judged: {why}",
                       evidence=evidence)
    if not us:
        return Verdict(status=Status.FAIL,
                       reason=f"backup copies are kept in {where} ({how}); "
                              f"{resource.location} is not a US production region",
                       evidence=evidence)
    pair = ("; Azure pairs every US region with a US region" if spread else "")
    return Verdict(status=Status.PASS,
                   reason=f"backup copies are kept in {where} ({how}){pair}",
                   evidence=evidence)


def backup_copies_rule(*, id: str, kind: str, what: str, redundancy: tuple[str, ...],
                       geo: tuple[str, ...], cross_region: str | None,
                       remediation: dict[str, str], related: str = "") -> None:
    """Register `<id>`: the store's backup copies are in the US (see `copies_in_us`)."""
    @check(id=id, title=f"{what} keep their backup copies in US regions", kinds=kind,
           severity="high", tags=(REPLICA_RESIDENCY,), rationale=COPIES_RATIONALE + related,
           remediation=remediation, needs=(kind,), needs_anywhere=("regions",))
    def judge(resource: ServiceResource, ctx: CheckContext) -> Verdict:
        return copies_in_us(resource, ctx, redundancy=redundancy, geo=geo,
                            cross_region=cross_region)

    judge.__name__ = id


# --- Recovery Services vaults (CMK-CATALOGUE row 24) --------------------------------------

rule(
    id="recovery_services_vault_cmk_encryption",
    title="Recovery Services vaults encrypt backup data with a customer-managed key",
    kinds="recovery_services_vaults", severity="critical", tags=(CMK,),
    policy="2e94d99a-8a36-4563-bc77-810d8893b671",
    rationale=CJI_BACKUPS + " The built-in (default parameters) requires "
              "encryption.keyVaultProperties.keyUri; infrastructure encryption is its "
              "optional second test, off by default, and is not required here.",
    passes=[present("cmk_key_uri", "encryption.keyVaultProperties.keyUri names the key",
                    label="encryption.keyVaultProperties.keyUri",
                    absent_reason=MICROSOFT_MANAGED)],
    key_chain=True,
    remediation={"summary": "Give the vault a managed identity with key access and set its "
                            "encryption to a key in a Premium vault or Managed HSM (before "
                            "protecting items, or after: new backups use the key).",
                 "cli": "az backup vault encryption update --resource-group <rg> --name "
                        "<vault> --encryption-key-id <key-uri> --mi-user-assigned "
                        "<identity-id>",
                 "docs": RSV_CMK_DOC},
)

rule(
    id="recovery_services_vault_public_network_disabled",
    title="Recovery Services vaults disable public network access",
    kinds="recovery_services_vaults", severity="high", tags=(PUBLIC_NETWORK,),
    policy="9ebbbba3-4d65-4da9-bb67-b22cfaaff090",
    rationale="A vault holding CJI backups reachable from public networks widens the "
              "boundary CJIS SC-7 asks to keep narrow; private endpoints keep backup and "
              "restore traffic inside the agency's network.",
    passes=[equals("public_network_access", "Disabled", label="publicNetworkAccess",
                   absent_reason=PNA_DEFAULT_ENABLED)],
    remediation={"summary": "Create private endpoints for Azure Backup, then deny public "
                            "network access on the vault.",
                 "cli": "az backup vault update --resource-group <rg> --name <vault> "
                        "--public-network-access Disable",
                 "docs": RSV_NETWORK_DOC},
)

backup_copies_rule(
    id="recovery_services_vault_backup_copies_in_us", kind="recovery_services_vaults",
    what="Recovery Services vaults",
    redundancy=("storage_redundancy",), geo=("GeoRedundant",),
    cross_region="cross_region_restore",
    related=" Related built-in 8f09fda1-91a2-4e14-96a2-67c6281158f7 (preview) only bans a "
            "chosen redundancy; this check judges where the copies go instead.",
    remediation={"summary": "Keep the vault in a US region (its geo-redundant copies then "
                            "stay in the US pair); a vault outside the US must be replaced "
                            "by one in a US region.",
                 "cli": "az backup vault create --resource-group <rg> --name <vault> "
                        "--location eastus",
                 "docs": RSV_REDUNDANCY_DOC},
)

# --- Backup vaults (CMK-CATALOGUE row 25) ---------------------------------------------------

rule(
    id="backup_vault_cmk_encryption",
    title="Backup vaults encrypt backup data with a customer-managed key",
    kinds="backup_vaults", severity="critical", tags=(CMK,),
    policy="d6588149-9f06-462c-a076-56aece45b5ba",
    rationale=CJI_BACKUPS + " The built-in (default parameters) requires "
              "securitySettings.encryptionSettings.state Enabled; infrastructure encryption "
              "is its optional second test, off by default.",
    passes=[equals("cmk_state", "Enabled", absent_reason=MICROSOFT_MANAGED)],
    key_chain=True,
    remediation={"summary": "Give the vault a managed identity with key access and enable "
                            "encryption settings with a key in a Premium vault or Managed "
                            "HSM.",
                 "cli": "az dataprotection backup-vault update --resource-group <rg> "
                        "--vault-name <vault> --cmk-encryption-key-uri <key-uri> "
                        "--cmk-encryption-state Enabled --cmk-identity-type UserAssigned "
                        "--cmk-user-assigned-identity-id <identity-id>",
                 "docs": BV_CMK_DOC},
)

backup_copies_rule(
    id="backup_vault_backup_copies_in_us", kind="backup_vaults", what="Backup vaults",
    redundancy=("storage_redundancy",), geo=("GeoRedundant",),
    cross_region="cross_region_restore",
    remediation={"summary": "Keep the vault in a US region (its geo-redundant copies then "
                            "stay in the US pair); a vault outside the US must be replaced "
                            "by one in a US region.",
                 "cli": "az dataprotection backup-vault create --resource-group <rg> "
                        "--vault-name <vault> --location eastus --storage-settings "
                        "datastore-type=VaultStore type=GeoRedundant",
                 "docs": BV_REDUNDANCY_DOC},
)
