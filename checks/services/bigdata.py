"""Stream Analytics jobs, HDInsight clusters and Data Lake Storage Gen1 accounts:
customer-managed keys, host and in-transit encryption, Gen1 encryption.

Three checks are functions: Stream Analytics' key is its job storage account's (another
kind), and Gen1 names its vault by resource id, which must be resolved to the vault
before the key chain can be judged.
"""

from __future__ import annotations

from typing import Any

from checks.keychain import judge_key_chain
from checks.services.common import CMK, MIN_TLS
from checks.services.databases import CJI_AT_REST
from checks.services.messaging import TRANSIT
from scanner.context import CheckContext
from scanner.findings import Status, Verdict
from scanner.gate import rests_on
from scanner.inventory import ServiceResource
from scanner.registry import check
from scanner.rules import KEY_CHAIN_READS, equals, is_true, not_one_of, present, rule, tls_at_least

ASA_CMK_DOC = "https://learn.microsoft.com/azure/stream-analytics/data-protection"
HDI_CMK_DOC = "https://learn.microsoft.com/azure/hdinsight/disk-encryption"
HDI_TRANSIT_DOC = ("https://learn.microsoft.com/azure/hdinsight/domain-joined/"
                   "encryption-in-transit")
HDI_TLS_DOC = "https://learn.microsoft.com/azure/hdinsight/transport-layer-security"
ADLS_DOC = "https://learn.microsoft.com/azure/data-lake-store/data-lake-store-encryption"

# --- Stream Analytics ------------------------------------------------------------------

ASA_POLICY = "87ba29ef-1ab3-4d82-b763-87fcd4f531f7"


@check(
    id="stream_analytics_job_cmk_encryption",
    title="Stream Analytics jobs keep their data in a storage account encrypted with a "
          "customer-managed key",
    kinds="stream_analytics_jobs", severity="critical", tags=(CMK,),
    needs=("stream_analytics_jobs",),
    rationale=CJI_AT_REST + " A job's queries, reference data and checkpoints are "
              "customer-managed only in the agency's own storage account "
              "(contentStoragePolicy JobStorageAccount); built-in Azure Policy "
              f"{ASA_POLICY} finds SystemAccount non-compliant. That account must itself "
              "encrypt with a customer-managed key (its key chain is judged on the account, "
              "storage_account_cmk_encryption).",
    remediation={"summary": "Point the job at a storage account of the agency's that "
                            "encrypts with a customer-managed key (Storage account settings "
                            "> Secure all private data assets needed by this job).",
                 "cli": "az stream-analytics job update --resource-group <rg> --name <job> "
                        "--content-storage-policy JobStorageAccount --job-storage-account "
                        "account-name=<account> authentication-mode=Msi",
                 "docs": ASA_CMK_DOC},
    needs_anywhere=("storage_accounts",),
)
def stream_analytics_job_cmk_encryption(resource: Any, ctx: CheckContext) -> Verdict:
    policy, name = resource.get("content_storage_policy"), resource.get("job_storage_account")
    evidence: dict[str, Any] = {"content_storage_policy": policy, "job_storage_account": name}
    cite = f" (built-in Azure Policy {ASA_POLICY})"
    if policy is None:
        # The published list bodies never carry it; its default is SystemAccount, but an
        # unreported value is not evidence of either.
        return Verdict(status=Status.UNKNOWN, evidence=evidence,
                       reason="contentStoragePolicy is not reported, so where the job keeps "
                              "its data cannot be told (its default, SystemAccount, is "
                              f"Microsoft-managed){cite}")
    if str(policy).lower() != "jobstorageaccount":
        return Verdict(status=Status.FAIL, evidence=evidence,
                       reason=f"contentStoragePolicy is {policy}: the job's data is in a "
                              f"Microsoft-managed storage account{cite}")
    if not name:
        return Verdict(status=Status.UNKNOWN, evidence=evidence,
                       reason="contentStoragePolicy is JobStorageAccount but "
                              "jobStorageAccount.accountName is not reported")
    account = next((a for a in ctx.inventory.storage_accounts
                    if a.name.lower() == str(name).lower()), None)
    if account is None:
        rests_on("storage_accounts")  # the engine names the lists that failed, if any
        return Verdict(status=Status.UNKNOWN, evidence=evidence,
                       reason=f"the job storage account {name} was not found among the "
                              "storage accounts read (it may be outside the scanned "
                              "subscriptions)")
    evidence.update(storage_account=account.id, key_source=account.key_source)
    if account.key_source != "Microsoft.Keyvault":
        return Verdict(status=Status.FAIL if account.key_source else Status.UNKNOWN,
                       evidence=evidence,
                       reason=f"the job storage account {account.name} encrypts with "
                              f"{account.key_source or 'a key source Azure did not report'}, "
                              "not a customer-managed key")
    return Verdict(status=Status.PASS, evidence=evidence,
                   reason=f"the job keeps its data in {account.name}, encrypted with a "
                          "customer-managed key (its key chain is judged on the account)"
                          f"{cite}")


# --- HDInsight -------------------------------------------------------------------------

rule(
    id="hdinsight_cluster_cmk_encryption",
    title="HDInsight clusters encrypt their managed disks with a customer-managed key",
    kinds="hdinsight_clusters", severity="critical", tags=(CMK,),
    policy="64d314f6-6062-4780-a861-c23e8951bee5",
    rationale=CJI_AT_REST + " The cluster's data disks (and, with encryption at host, its "
              "temp disks and caches) take the key named in diskEncryptionProperties; the "
              "cluster's storage accounts are judged as storage accounts.",
    passes=[present("disk_key_name", "diskEncryptionProperties.keyName names a key",
                    absent_reason="Azure omits diskEncryptionProperties when the disks use "
                                  "the platform key")],
    key_chain=True,
    remediation={"summary": "Disk encryption with a customer-managed key is set when the "
                            "cluster is created: recreate it with a user-assigned identity "
                            "and a key in a Premium vault or Managed HSM.",
                 "cli": "az hdinsight create --resource-group <rg> --name <cluster> --type "
                        "<type> --encryption-key-name <key> --encryption-vault-uri "
                        "<vault-uri> --encryption-key-version <version> "
                        "--assign-identity <identity-id> ...",
                 "docs": HDI_CMK_DOC},
)

rule(
    id="hdinsight_cluster_encryption_at_host",
    title="HDInsight clusters encrypt temp disks and caches at the host",
    kinds="hdinsight_clusters", severity="high", tags=(CMK,),
    policy="1fd32ebd-e4c3-4e13-a54a-d7422d4d95f6",
    rationale="Without encryption at host, the nodes' temp disks and disk caches hold CJI "
              "unencrypted by the cluster's key (CJIS SC-28).",
    passes=[is_true("encryption_at_host",
                    absent_reason="Azure omits diskEncryptionProperties.encryptionAtHost when "
                                  "it is off (the built-in policy treats a missing value as "
                                  "non-compliant)")],
    remediation={"summary": "Encryption at host is chosen at creation: recreate the cluster "
                            "with encryption at host on supported VM sizes.",
                 "cli": "az hdinsight create --resource-group <rg> --name <cluster> "
                        "--encryption-at-host true ...",
                 "docs": HDI_CMK_DOC},
)

rule(
    id="hdinsight_cluster_encryption_in_transit",
    title="HDInsight clusters encrypt traffic between their nodes",
    kinds="hdinsight_clusters", severity="high", tags=(MIN_TLS,),
    policy="d9da03a1-f3c3-412a-9709-947156872263",
    rationale="CJIS SC-8 requires CJI in transit to be encrypted, inside the cluster too: "
              "encryption in transit protects traffic between the cluster's nodes (IPsec).",
    passes=[is_true("encryption_in_transit",
                    absent_reason="Azure omits encryptionInTransitProperties when it is off "
                                  "(the built-in policy treats a missing value as "
                                  "non-compliant)")],
    remediation={"summary": "Encryption in transit is chosen at creation: recreate the "
                            "cluster with it enabled.",
                 "cli": "az hdinsight create --resource-group <rg> --name <cluster> "
                        "--encryption-in-transit true ...",
                 "docs": HDI_TRANSIT_DOC},
)

rule(
    id="hdinsight_cluster_min_tls_1_2",
    title="HDInsight clusters require TLS 1.2 or newer on their public endpoints",
    kinds="hdinsight_clusters", severity="high", tags=(MIN_TLS,),
    rationale=TRANSIT + " Azure Policy has no built-in for HDInsight's minimum TLS version: "
                        "judged as Learn documents minSupportedTlsVersion.",
    passes=[tls_at_least("min_tls_version",
                         absent_reason="Azure omits minSupportedTlsVersion on clusters created "
                                       "without it, and what those accept changed over time, "
                                       "so absence is no pass")],
    remediation={"summary": "minSupportedTlsVersion is set when the cluster is created: "
                            "recreate it with minSupportedTlsVersion 1.2.",
                 "cli": "az hdinsight create --resource-group <rg> --name <cluster> "
                        "--minimal-tls-version 1.2 ...",
                 "docs": HDI_TLS_DOC},
)

# --- Data Lake Storage Gen1 ------------------------------------------------------------

rule(
    id="data_lake_store_encryption_enabled",
    title="Data Lake Storage Gen1 accounts encrypt data at rest",
    kinds="data_lake_store_accounts", severity="critical", tags=(CMK,),
    policy="a7ff3161-0087-490a-9ad9-ad6217f4f43a",
    rationale="Gen1 accounts could be created without encryption; CJI at rest must be "
              "encrypted (CJIS SC-28).",
    passes=[not_one_of("encryption_state", ["Disabled"], absent=Status.UNKNOWN,
                       absent_reason="the account's GET did not report encryptionState")],
    remediation={"summary": "Encryption cannot be turned on after creation: move the data to "
                            "a Data Lake Storage Gen2 account (Gen1 is retired) with a "
                            "customer-managed key.",
                 "cli": "az storage account create --resource-group <rg> --name <account> "
                        "--hns true --encryption-key-source Microsoft.Keyvault ...",
                 "docs": ADLS_DOC},
)

_USER_MANAGED = equals("encryption_type", "UserManaged",
                       absent_reason="Azure omits encryptionConfig when the account is not "
                                     "encrypted or Data Lake manages its keys")


@check(
    id="data_lake_store_cmk_encryption",
    title="Data Lake Storage Gen1 accounts encrypt data with a customer-managed key",
    kinds="data_lake_store_accounts", severity="critical", tags=(CMK,),
    needs=("data_lake_store_accounts",),
    rationale=CJI_AT_REST + " Azure Policy has no built-in for Gen1 keys: judged as Learn "
              "documents them, encryptionConfig.type UserManaged with a key in the agency's "
              "vault (ServiceManaged keys are Data Lake's).",
    remediation={"summary": "Gen1 keys are chosen at creation and Gen1 is retired: move the "
                            "data to a Data Lake Storage Gen2 account with a customer-managed "
                            "key.",
                 "cli": "az storage account create --resource-group <rg> --name <account> "
                        "--hns true --encryption-key-source Microsoft.Keyvault ...",
                 "docs": ADLS_DOC},
    needs_anywhere=KEY_CHAIN_READS,
)
def data_lake_store_cmk_encryption(resource: ServiceResource, ctx: CheckContext) -> Verdict:
    status, reason, value = _USER_MANAGED.judge(resource)
    vault_id = resource.get("key_vault_id")
    evidence: dict[str, Any] = {"encryption_type": value, "key_vault_id": vault_id}
    if status is not Status.PASS:
        return Verdict(status=status, reason=reason, evidence=evidence)
    # The key chain reads a vault URI: Gen1 names the vault by its resource id.
    vault = ctx.key_stores_by_id.get(str(vault_id or "").lower())
    uri = getattr(vault, "vault_uri", None)
    if not uri:
        rests_on("key_vaults")  # the engine names the lists that failed, if any
        return Verdict(status=Status.UNKNOWN, evidence=evidence,
                       reason=f"the key's vault {vault_id} is not among the vaults read (it "
                              "may be outside the scanned subscriptions), so its key chain "
                              "cannot be judged")
    resolved = resource.model_copy(update={"props": {**resource.props, "key_vault_id": uri}})
    chain = judge_key_chain(resolved, ctx)
    if chain is not None:
        return Verdict(status=chain.status, reason=chain.reason,
                       evidence={**evidence, **chain.evidence})
    return Verdict(status=Status.PASS, evidence=evidence,
                   reason=f"encryptionConfig.type is UserManaged: key "
                          f"{resource.get('key_name')} in vault {getattr(vault, 'name', uri)}, "
                          "whose key chain "
                          "holds")
