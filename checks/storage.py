"""Checks for storage accounts: US secondary, customer-managed keys, transport and exposure.

Azure omits several storage properties when they hold their default
(`minimumTlsVersion`, `allowBlobPublicAccess`, `requireInfrastructureEncryption`), and
some of those defaults changed over time. Each check below states, with the Microsoft
document it relies on, what absence means; where the default changed, absence is never
a pass.
"""

from __future__ import annotations

from checks.keychain import judge_key_chain
from checks.services.common import CMK, CMK_SERVICE
from scanner.context import CheckContext
from scanner.findings import Remediation, Status, Verdict
from scanner.inventory import StorageAccount
from scanner.registry import check
from scanner.rules import KEY_CHAIN_READS, equals, is_false, is_true, one_of, rule

KEYVAULT = "Microsoft.Keyvault"
MICROSOFT_MANAGED = "Microsoft.Storage"

REDUNDANCY_DOC = "https://learn.microsoft.com/azure/storage/common/storage-redundancy"
CMK_DOC = "https://learn.microsoft.com/azure/storage/common/customer-managed-keys-overview"
CMK_CONFIGURE_DOC = (
    "https://learn.microsoft.com/azure/storage/common/customer-managed-keys-configure-existing-account"
)
INFRA_DOC = "https://learn.microsoft.com/azure/storage/common/infrastructure-encryption-enable"
HTTPS_DOC = "https://learn.microsoft.com/azure/storage/common/storage-require-secure-transfer"
TLS_DOC = (
    "https://learn.microsoft.com/azure/storage/common/transport-layer-security-configure-minimum-version"
)
PUBLIC_BLOB_DOC = "https://learn.microsoft.com/azure/storage/blobs/anonymous-read-access-prevent"


def _is_cmk(account: StorageAccount) -> bool:
    return account.key_source == KEYVAULT


def _cmk_evidence(account: StorageAccount) -> dict[str, str | None]:
    return {
        "key_source": account.key_source,
        "key_vault_uri": account.key_vault_uri,
        "key_name": account.key_name,
        "key_version": account.key_version,
    }


# --- Step 1: residency of the geo-replicated copy -----------------------------------------


@check(
    id="storage_account_geo_replica_us",
    title="Geo-replicated storage accounts keep their secondary copy in a US region",
    kinds="storage_accounts",
    severity="high",
    rationale=(
        "GRS and GZRS copy every write to a paired secondary region; CJI must stay in the "
        "US, so the secondary region must be a US region as much as the primary."
    ),
    remediation=Remediation(
        summary=(
            "Move the data to an account whose primary region pairs with a US region, or "
            "change the account's redundancy to LRS or ZRS (Portal: Storage account > "
            "Redundancy)."
        ),
        cli=(
            "az storage account update --name <account> --resource-group <resource-group> "
            "--sku Standard_LRS"
        ),
        docs=REDUNDANCY_DOC,
    ),
    needs=("storage_accounts",),
    needs_anywhere=("regions",),  # the paired region, and whether it is in the US
)
def storage_account_geo_replica_us(account: StorageAccount, ctx: CheckContext) -> Verdict:
    """Pass when a geo-replicated account's secondary region is a US production region."""
    evidence = {
        "sku_name": account.sku_name,
        "primary_location": account.primary_location or account.location,
        "secondary_location": account.secondary_location,
    }
    if account.sku_name is None:
        # Without the SKU the replication kind is unknown: a GRS account may hide here.
        return Verdict(status=Status.UNKNOWN,
                       reason="the account's SKU (replication) was not reported", evidence=evidence)
    if not account.geo_replicated:
        return Verdict(status=Status.NOT_APPLICABLE,
                       reason=f"SKU {account.sku_name} keeps no copy in a secondary region",
                       evidence=evidence)
    # issue 10 item 4: Azure omits secondaryLocation (GZRS, RA-GZRS, or before the first
    # geo-replication): the secondary is the primary's paired region (Microsoft Learn,
    # "Azure Storage redundancy": GRS/GZRS copy to the primary's paired region).
    secondary = account.secondary_location
    primary = account.primary_location or account.location
    if secondary is None:
        secondary = ctx.paired_region(primary)
        evidence["secondary_from_paired_region"] = secondary
    if secondary is None:
        return Verdict(
            status=Status.UNKNOWN,
            reason=f"SKU {account.sku_name} replicates to a secondary region, but Azure did "
                   f"not report secondaryLocation and no paired region of {primary} is known",
            evidence=evidence,
        )
    derived = "" if account.secondary_location else f" (the paired region of {primary})"
    is_us = ctx.is_us_region(secondary)
    if is_us is None:
        return Verdict(
            status=Status.UNKNOWN,
            reason=f"secondary region {secondary}{derived} cannot be judged: it is in "
                   f"{ctx.region_source(secondary)}",
            evidence=evidence,
        )
    if is_us:
        return Verdict(status=Status.PASS,
                       reason=f"secondary region {secondary}{derived} is a US region",
                       evidence=evidence)
    return Verdict(
        status=Status.FAIL,
        reason=f"SKU {account.sku_name} replicates to {secondary}{derived}, which is "
               "not a US production region",
        evidence=evidence,
    )


# --- Step 2: customer-managed keys ------------------------------------------------------------


@check(
    id="storage_account_cmk_encryption",
    title="Storage accounts encrypt data with a customer-managed key",
    kinds="storage_accounts",
    severity="critical",
    rationale=(
        "On Azure Commercial, Microsoft staff are not CJIS-screened; a customer-managed key "
        "in the agency's vault is the compensating control that keeps CJI at rest "
        "unreadable without the agency's consent."
    ),
    remediation=Remediation(
        summary=(
            "Give the account a managed identity with Key Vault Crypto Service Encryption User "
            "on a Premium vault or Managed HSM key, then set Encryption > Customer-managed "
            "keys with that key (no version, so it follows rotation)."
        ),
        cli=(
            "az storage account update --name <account> --resource-group <resource-group> "
            "--encryption-key-source Microsoft.Keyvault --encryption-key-vault <vault-uri> "
            "--encryption-key-name <key-name>"
        ),
        docs=CMK_CONFIGURE_DOC,
    ),
    tags=(CMK,),
    needs=("storage_accounts",),
    needs_anywhere=KEY_CHAIN_READS,  # the key chain (checks/keychain.py)
)
def storage_account_cmk_encryption(account: StorageAccount, ctx: CheckContext) -> Verdict:
    """Pass when encryption.keySource is Microsoft.Keyvault and names a vault and a key."""
    evidence = _cmk_evidence(account)
    if account.key_source is None:
        return Verdict(
            status=Status.UNKNOWN,
            reason="encryption.keySource was not reported, so whether the account uses a "
                   "customer-managed key cannot be told",
            evidence=evidence,
        )
    if account.key_source == MICROSOFT_MANAGED:
        return Verdict(status=Status.FAIL,
                       reason="keySource is Microsoft.Storage (Microsoft-managed keys)",
                       evidence=evidence)
    if not (account.key_vault_uri and account.key_name):
        # The source says CMK but the key cannot be traced: no evidence to pass on.
        return Verdict(
            status=Status.UNKNOWN,
            reason="keySource is Microsoft.Keyvault but the key vault URI or key name was not "
                   "reported, so the key cannot be traced",
            evidence=evidence,
        )
    chain = judge_key_chain(account, ctx)
    if chain is not None:
        return Verdict(status=chain.status, reason=f"keySource is Microsoft.Keyvault, but "
                       f"{chain.reason}", evidence={**evidence, **chain.evidence})
    return Verdict(
        status=Status.PASS,
        reason=f"keySource is Microsoft.Keyvault: key {account.key_name} in "
               f"{account.key_vault_uri}, HSM-backed in a Premium vault or Managed HSM with "
               "purge protection",
        evidence=evidence,
    )


@check(
    id="storage_account_cmk_versionless_key",
    title="Storage accounts with a customer-managed key follow its rotation (versionless key)",
    kinds="storage_accounts",
    severity="high",
    rationale=(
        "A key pinned to one version keeps wrapping data with that version after the key "
        "rotates, so rotation (SC-12) never reaches the data; a versionless key URI lets "
        "Azure Storage pick up each new version automatically."
    ),
    remediation=Remediation(
        summary=(
            "Set the account's customer-managed key without a version (Portal: Encryption > "
            "Customer-managed keys > enable automatic key version updates)."
        ),
        cli=(
            "az storage account update --name <account> --resource-group <resource-group> "
            "--encryption-key-source Microsoft.Keyvault --encryption-key-vault <vault-uri> "
            "--encryption-key-name <key-name> --encryption-key-version \"\""
        ),
        docs=CMK_DOC,
    ),
    needs=("storage_accounts",),
)
def storage_account_cmk_versionless_key(account: StorageAccount, ctx: CheckContext) -> Verdict:
    """Pass when a CMK account's key version is empty (versionless), fail when pinned."""
    evidence = _cmk_evidence(account)
    if account.key_source is None:
        return Verdict(
            status=Status.UNKNOWN,
            reason="encryption.keySource was not reported, so whether the account uses a "
                   "customer-managed key (and which version) cannot be told",
            evidence=evidence,
        )
    if not _is_cmk(account):
        return Verdict(status=Status.NOT_APPLICABLE,
                       reason=f"keySource is {account.key_source}: no customer-managed key",
                       evidence=evidence)
    if not account.key_version:
        # keyversion "" (or absent) is Azure's spelling of "use the current version".
        return Verdict(status=Status.PASS,
                       reason=f"key {account.key_name} is versionless: the account follows "
                              "key rotation automatically",
                       evidence=evidence)
    return Verdict(
        status=Status.FAIL,
        reason=f"key {account.key_name} is pinned to version {account.key_version}: a rotated "
               "key does not reach the account",
        evidence=evidence,
    )


rule(
    id="storage_account_infrastructure_encryption",
    title="Storage accounts add infrastructure (double) encryption",
    kinds="storage_accounts",
    severity="low",
    rationale=(
        "Infrastructure encryption adds a second AES-256 layer with a different key and "
        "algorithm mode, so one compromised key or algorithm does not expose CJI at rest."
    ),
    remediation=Remediation(
        summary=(
            "Infrastructure encryption can only be chosen when an account is created: create "
            "a new account with it required and move the data there."
        ),
        cli=(
            "az storage account create --name <new-account> --resource-group <resource-group> "
            "--location <us-region> --sku <sku> --kind StorageV2 "
            "--require-infrastructure-encryption"
        ),
        docs=INFRA_DOC,
    ),
    policy="4733ea7b-a883-42fe-8cac-97454c2a9e4a",
    passes=[is_true("require_infrastructure_encryption",
                    label="encryption.requireInfrastructureEncryption",
                    absent_reason="Azure omits it when it is false, and it can only be set "
                                  f"when the account is created ({INFRA_DOC})")],
)


# --- Transit and exposure -------------------------------------------------------------------


rule(
    id="storage_account_https_only",
    title="Storage accounts accept HTTPS traffic only",
    kinds="storage_accounts",
    severity="high",
    rationale=(
        "CJI in transit must be encrypted (SC-8); an account that accepts plain HTTP lets "
        "requests and SAS tokens cross the network in clear text."
    ),
    remediation=Remediation(
        summary="Turn on Configuration > Secure transfer required.",
        cli=(
            "az storage account update --name <account> --resource-group <resource-group> "
            "--https-only true"
        ),
        docs=HTTPS_DOC,
    ),
    policy="404c3081-a854-4457-ae30-26a93ef643f9",
    # The default is true only for accounts created with API 2019-04-01 or later; older
    # accounts default to false. Azure returns the field for every account, so its
    # absence means the service did not say: not a pass, and not proof of a fail.
    passes=[is_true("https_only", label="supportsHttpsTrafficOnly", absent=Status.UNKNOWN,
                    absent_reason="it defaults to true only for accounts created with API "
                                  f"version 2019-04-01 or later, false before ({HTTPS_DOC})")],
)


rule(
    id="storage_account_min_tls_1_2",
    title="Storage accounts require TLS 1.2 or newer",
    kinds="storage_accounts",
    severity="high",
    rationale=(
        "CJIS requires FIPS-validated, current cryptography in transit (SC-8, SC-13); TLS 1.0 "
        "and 1.1 are deprecated protocols with known weaknesses."
    ),
    remediation=Remediation(
        summary="Set Configuration > Minimum TLS version to Version 1.2.",
        cli=(
            "az storage account update --name <account> --resource-group <resource-group> "
            "--min-tls-version TLS1_2"
        ),
        docs=TLS_DOC,
    ),
    policy="fe83a0eb-a853-422d-aac2-1bffd182c5d0",
    passes=[one_of("minimum_tls_version", ("TLS1_2", "TLS1_3"), label="minimumTlsVersion",
                   absent_reason="Azure omits it when unset, and an unset account created "
                                 f"before November 2024 accepts TLS 1.0 ({TLS_DOC})")],
)


rule(
    id="storage_account_blob_public_access_disabled",
    title="Storage accounts forbid anonymous (public) blob access",
    kinds="storage_accounts",
    severity="high",
    rationale=(
        "Anonymous read access lets anyone on the internet read a container's blobs without "
        "authentication (AC-3); CJI must never be one setting away from public."
    ),
    remediation=Remediation(
        summary="Set Configuration > Allow Blob anonymous access to Disabled.",
        cli=(
            "az storage account update --name <account> --resource-group <resource-group> "
            "--allow-blob-public-access false"
        ),
        docs=PUBLIC_BLOB_DOC,
    ),
    policy="4fa4b6c0-31ca-4c0d-b10d-24b96f62a751",
    passes=[is_false("allow_blob_public_access", label="allowBlobPublicAccess",
                     absent_reason="Azure omits it when unset, and an unset account created "
                                   f"before November 2023 allows anonymous access "
                                   f"({PUBLIC_BLOB_DOC})")],
)


# --- Step 2: tables and queues under the account's customer-managed key -------------------

_TABLE_QUEUE_DOC = "https://learn.microsoft.com/azure/storage/common/account-encryption-key-create"
_KEY_TYPE_ABSENT = ("Azure omits the service's keyType when it holds its default, Service: "
                    "a service-managed key, not the account's customer-managed one")

for _service, _policy in (("table", "7c322315-e26d-4174-a99e-f49d351b4688"),
                          ("queue", "f0e5abd0-2554-4736-b7c0-4ffef23475ef")):
    rule(
        id=f"storage_account_{_service}_cmk_encryption",
        title=f"{_service.capitalize()} storage of a customer-managed-key account uses that "
              "key",
        kinds="storage_accounts",
        severity="high",
        tags=(CMK_SERVICE,),
        policy=_policy,
        rationale=(
            f"An account's customer-managed key covers its {_service}s only when they were "
            "created to use the account key (encryption.services."
            f"{_service}.keyType Account); otherwise they stay under a service-managed key "
            "however the account is configured, and CJI there is not under the agency's key."
        ),
        remediation={
            "summary": f"{_service.capitalize()} key type is fixed when the account is "
                       "created: create a new account with the account-scoped key type for "
                       f"{_service}s and a customer-managed key, and move the data.",
            "cli": f"az storage account create --name <account> --resource-group <rg> "
                   f"--encryption-key-type-for-{_service} Account "
                   "--encryption-key-source Microsoft.Keyvault",
            "docs": _TABLE_QUEUE_DOC,
        },
        applies=[equals("key_source", KEYVAULT, label="encryption.keySource")],
        passes=[equals(f"{_service}_key_type", "Account",
                       label=f"encryption.services.{_service}.keyType",
                       absent_reason=_KEY_TYPE_ABSENT)],
    )
