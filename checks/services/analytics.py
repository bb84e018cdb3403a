"""Data Factory, Synapse, Databricks, Data Explorer (Kusto) and Log Analytics dedicated
clusters: customer-managed keys (with the key chain), public network access, and Data
Explorer's disk encryption. Each rule judges as the built-in policy it cites.
"""

from __future__ import annotations

from typing import Any

from checks.services.common import CMK, MICROSOFT_MANAGED, PNA_DEFAULT_ENABLED, PUBLIC_NETWORK
from checks.services.databases import CJI_AT_REST
from checks.services.messaging import EXPOSURE
from scanner.findings import Status
from scanner.rules import Condition, equals, is_true, present, rule

ADF_CMK_DOC = "https://learn.microsoft.com/azure/data-factory/enable-customer-managed-key"
ADF_NETWORK_DOC = "https://learn.microsoft.com/azure/data-factory/data-factory-private-link"
SYNAPSE_CMK_DOC = ("https://learn.microsoft.com/azure/synapse-analytics/security/"
                   "workspaces-encryption")
SYNAPSE_NETWORK_DOC = ("https://learn.microsoft.com/azure/synapse-analytics/security/"
                       "connectivity-settings")
DATABRICKS_CMK_DOC = "https://learn.microsoft.com/azure/databricks/security/keys/customer-managed-keys"
DATABRICKS_NETWORK_DOC = ("https://learn.microsoft.com/azure/databricks/security/network/"
                          "front-end/front-end-private-connect")
KUSTO_CMK_DOC = "https://learn.microsoft.com/azure/data-explorer/customer-managed-keys-portal"
KUSTO_DISK_DOC = "https://learn.microsoft.com/azure/data-explorer/cluster-encryption-disk"
KUSTO_NETWORK_DOC = "https://learn.microsoft.com/azure/data-explorer/security-network-restrict-public-access"
LA_CMK_DOC = "https://learn.microsoft.com/azure/azure-monitor/logs/customer-managed-keys"

KEYVAULT = "Microsoft.Keyvault"


def has_member(name: str, member: str, says: str, **absent: Any) -> Condition:
    """An object field has `member` at all (Azure Policy `exists`: an empty string
    counts), case-insensitively as aliases are."""
    def holds(value: Any) -> bool:
        return isinstance(value, dict) and any(k.lower() == member.lower() for k in value)

    return Condition(name, holds, says, **absent)


# --- Data Factory ----------------------------------------------------------------------

rule(
    id="data_factory_cmk_encryption",
    title="Data factories encrypt data with a customer-managed key",
    kinds="data_factories", severity="critical", tags=(CMK,),
    policy="4ec52d6d-beb7-40c4-9a9e-fe753254690e",
    rationale=CJI_AT_REST + " A factory holds pipeline definitions, linked-service "
              "connection details and run data.",
    passes=[present("cmk_vault_url", "encryption.vaultBaseUrl names a vault",
                    absent_reason=MICROSOFT_MANAGED)],
    key_chain=True,
    remediation={"summary": "Customer-managed keys are set on an empty factory: create the "
                            "factory with a user-assigned identity and a key in a Premium vault "
                            "or Managed HSM, then redeploy the pipelines to it.",
                 "cli": "az datafactory create --resource-group <rg> --name <factory> "
                        "--location <region> --encryption '{\"vaultBaseUrl\": \"<vault-uri>\", "
                        "\"keyName\": \"<key>\", \"identity\": {\"userAssignedIdentity\": "
                        "\"<identity-id>\"}}'",
                 "docs": ADF_CMK_DOC},
)

rule(
    id="data_factory_public_network_disabled",
    title="Data factories disable public network access",
    kinds="data_factories", severity="high", tags=(PUBLIC_NETWORK,),
    policy="1cf164be-6819-4a50-b8fa-4bcaa4f98fb6",
    rationale=EXPOSURE,
    passes=[equals("public_network_access", "Disabled", absent_reason=PNA_DEFAULT_ENABLED)],
    remediation={"summary": "Disable public network access and reach the factory through "
                            "private endpoints.",
                 "cli": "az datafactory update --resource-group <rg> --name <factory> "
                        "--public-network-access Disabled",
                 "docs": ADF_NETWORK_DOC},
)

# --- Synapse ---------------------------------------------------------------------------

rule(
    id="synapse_workspace_cmk_encryption",
    title="Synapse workspaces encrypt data with a customer-managed key",
    kinds="synapse_workspaces", severity="critical", tags=(CMK,),
    policy="f7d52b2d-e161-4dfa-a82b-55e564167385",
    rationale=CJI_AT_REST + " The workspace key wraps the keys of its dedicated SQL pools "
              "and other stores (double encryption with the platform key).",
    passes=[present("cmk_key_name", "encryption.cmk.key.name names the workspace key",
                    absent_reason=MICROSOFT_MANAGED)],
    key_chain=True,
    remediation={"summary": "Workspace encryption with a customer-managed key is chosen at "
                            "creation: create a workspace with double encryption and a key "
                            "in a Premium vault or Managed HSM, and move the pools to it.",
                 "cli": "az synapse workspace create --resource-group <rg> --name "
                        "<workspace> --storage-account <adls-gen2> --file-system <fs> "
                        "--sql-admin-login-user <admin> --location <region> "
                        "--key-identifier <key-uri>",
                 "docs": SYNAPSE_CMK_DOC},
)

rule(
    id="synapse_workspace_public_network_disabled",
    title="Synapse workspaces disable public network access",
    kinds="synapse_workspaces", severity="high", tags=(PUBLIC_NETWORK,),
    policy="38d8df46-cf4e-4073-8e03-48c24b29de0d",
    rationale=EXPOSURE,
    passes=[equals("public_network_access", "Disabled", absent_reason=PNA_DEFAULT_ENABLED)],
    remediation={"summary": "Disable public network access and use managed private "
                            "endpoints and Synapse private link hubs.",
                 "cli": "az synapse workspace update --resource-group <rg> --name "
                        "<workspace> --enable-public-network-access false",
                 "docs": SYNAPSE_NETWORK_DOC},
)

# --- Databricks ------------------------------------------------------------------------

rule(
    id="databricks_workspace_cmk_encryption",
    title="Databricks workspaces encrypt managed services and managed disks with "
          "customer-managed keys",
    kinds="databricks_workspaces", severity="critical", tags=(CMK,),
    rationale=CJI_AT_REST + " Azure Policy has no built-in for Databricks customer-managed "
              "keys: judged as Learn documents them, encryption.entities.managedServices "
              "(notebooks, queries, secrets in the control plane) and managedDisk (cluster "
              "disks) with keySource Microsoft.Keyvault. The managed-services key's chain "
              "is judged here; the managed-disk key's through the disk encryption set and "
              "disks in the managed resource group. The DBFS root is the storage account in "
              "that group, judged as a storage account.",
    passes=[equals("services_key_source", KEYVAULT,
                   absent_reason="Azure omits encryption.entities.managedServices when the "
                                 "control plane uses its Microsoft-managed key"),
            equals("disk_key_source", KEYVAULT,
                   absent_reason="Azure omits encryption.entities.managedDisk when cluster "
                                 "disks use the platform key")],
    key_chain=True,
    remediation={"summary": "On a Premium workspace, set customer-managed keys for managed "
                            "services and managed disks to keys in a Premium vault or Managed "
                            "HSM.",
                 "cli": "az databricks workspace update --resource-group <rg> --name "
                        "<workspace> --key-source Microsoft.Keyvault --key-name <key> "
                        "--key-vault <vault-uri> --key-version <version>",
                 "docs": DATABRICKS_CMK_DOC},
)

rule(
    id="databricks_workspace_premium_sku",
    title="Databricks workspaces are on the Premium tier (customer-managed keys, private "
          "link)",
    kinds="databricks_workspaces", severity="high", tags=(CMK,),
    policy="2cc2c3b5-c2f8-45aa-a9e6-f90d85ae8352",
    rationale="Customer-managed keys and private link exist only on Premium Databricks "
              "workspaces: a Standard workspace cannot meet CJIS step 2.",
    passes=[equals("sku_name", "Premium", absent=Status.UNKNOWN,
                   absent_reason="Azure did not report the workspace's sku.name")],
    remediation={"summary": "Upgrade the workspace to the Premium tier.",
                 "cli": "az databricks workspace update --resource-group <rg> --name "
                        "<workspace> --sku premium",
                 "docs": DATABRICKS_CMK_DOC},
)

rule(
    id="databricks_workspace_public_network_disabled",
    title="Databricks workspaces disable public network access",
    kinds="databricks_workspaces", severity="high", tags=(PUBLIC_NETWORK,),
    policy="0e7849de-b939-4c50-ab48-fc6b0f5eeba2",
    rationale=EXPOSURE,
    passes=[equals("public_network_access", "Disabled", absent_reason=PNA_DEFAULT_ENABLED)],
    remediation={"summary": "Disable public network access (front-end private link) on the "
                            "workspace.",
                 "cli": "az databricks workspace update --resource-group <rg> --name "
                        "<workspace> --public-network-access Disabled",
                 "docs": DATABRICKS_NETWORK_DOC},
)

# --- Data Explorer (Kusto) -------------------------------------------------------------

rule(
    id="kusto_cluster_cmk_encryption",
    title="Data Explorer clusters encrypt data with a customer-managed key",
    kinds="kusto_clusters", severity="critical", tags=(CMK,),
    policy="81e74cea-30fd-40d5-802f-d72103c2aaaa",
    rationale=CJI_AT_REST + " The policy requires keyVaultProperties with keyVaultUri, "
              "keyName and keyVersion (an empty keyVersion, auto-rotation, counts).",
    passes=[present("key_vault_uri", "keyVaultProperties.keyVaultUri names a vault",
                    absent_reason=MICROSOFT_MANAGED),
            present("key_name", "keyVaultProperties.keyName names a key"),
            has_member("key_vault_properties", "keyVersion",
                       "keyVaultProperties.keyVersion is reported")],
    key_chain=True,
    remediation={"summary": "Give the cluster a managed identity with access to a key in a "
                            "Premium vault or Managed HSM and configure it as the cluster key.",
                 "cli": "az kusto cluster update --resource-group <rg> --name <cluster> "
                        "--key-vault-properties key-name=<key> key-vault-uri=<vault-uri> "
                        "key-version=\"\"",
                 "docs": KUSTO_CMK_DOC},
)

rule(
    id="kusto_cluster_disk_encryption",
    title="Data Explorer clusters encrypt their disks",
    kinds="kusto_clusters", severity="high", tags=(CMK,),
    policy="f4b53539-8df9-40e4-86c6-6b607703bd4e",
    rationale="Disk encryption covers the cluster's cache and OS disks, which the storage "
              "key does not: CJI at rest on them must be encrypted too (CJIS SC-28).",
    passes=[is_true("disk_encryption",
                    absent_reason="Azure omits enableDiskEncryption when it was never turned "
                                  "on (the built-in policy treats a missing value as "
                                  "non-compliant)")],
    remediation={"summary": "Enable disk encryption on the cluster.",
                 "cli": "az kusto cluster update --resource-group <rg> --name <cluster> "
                        "--enable-disk-encryption true",
                 "docs": KUSTO_DISK_DOC},
)

rule(
    id="kusto_cluster_public_network_disabled",
    title="Data Explorer clusters disable public network access",
    kinds="kusto_clusters", severity="high", tags=(PUBLIC_NETWORK,),
    policy="43bc7be6-5e69-4b0d-a2bb-e815557ca673",
    rationale=EXPOSURE,
    passes=[equals("public_network_access", "Disabled", absent_reason=PNA_DEFAULT_ENABLED)],
    remediation={"summary": "Disable public network access and reach the cluster through "
                            "private endpoints.",
                 "cli": "az kusto cluster update --resource-group <rg> --name <cluster> "
                        "--public-network-access Disabled",
                 "docs": KUSTO_NETWORK_DOC},
)

# --- Log Analytics dedicated clusters --------------------------------------------------

rule(
    id="log_analytics_cluster_cmk_encryption",
    title="Dedicated Log Analytics clusters encrypt logs with a customer-managed key",
    kinds="log_analytics_clusters", severity="critical", tags=(CMK,),
    policy="1f68a601-6e6d-4e42-babf-3f643a047ea2",
    rationale=CJI_AT_REST + " Logs of CJI systems hold CJI; a workspace's logs are "
              "customer-managed only on a dedicated cluster whose keyVaultProperties name "
              "a vault, a key and (possibly empty) a key version.",
    passes=[present("key_vault_uri", "keyVaultProperties.keyVaultUri names a vault",
                    absent_reason=MICROSOFT_MANAGED),
            present("key_name", "keyVaultProperties.keyName names a key"),
            has_member("key_vault_properties", "keyVersion",
                       "keyVaultProperties.keyVersion is reported")],
    key_chain=True,
    remediation={"summary": "Grant the cluster's identity access to a key in a Premium vault "
                            "or Managed HSM and set it as the cluster key; then link the CJI "
                            "workspaces to the cluster.",
                 "cli": "az monitor log-analytics cluster update --resource-group <rg> "
                        "--name <cluster> --key-name <key> --key-vault-uri <vault-uri> "
                        "--key-version \"\"",
                 "docs": LA_CMK_DOC},
)
