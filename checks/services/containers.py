"""Container Registry, AKS and Container Instances: customer-managed keys, KMS, encryption
at host, public network access and public IPs."""

from __future__ import annotations

from typing import Any

from checks.keychain import judge_key_uri
from checks.services.common import CMK, MICROSOFT_MANAGED, PNA_DEFAULT_ENABLED, PUBLIC_NETWORK
from checks.services.compute import field_of
from checks.services.databases import CJI_AT_REST
from scanner.context import CheckContext
from scanner.findings import Status, Verdict
from scanner.inventory import ServiceResource
from scanner.registry import check
from scanner.rules import KEY_CHAIN_READS, equals, not_one_of, present, rule

ACR_CMK_DOC = "https://learn.microsoft.com/azure/container-registry/tutorial-enable-customer-managed-keys"
ACR_NETWORK_DOC = "https://learn.microsoft.com/azure/container-registry/container-registry-private-link"
AKS_DES_DOC = "https://learn.microsoft.com/azure/aks/azure-disk-customer-managed-keys"
AKS_KMS_DOC = "https://learn.microsoft.com/azure/aks/use-kms-etcd-encryption"
AKS_HOST_DOC = "https://learn.microsoft.com/azure/aks/enable-host-encryption"
ACI_CMK_DOC = "https://learn.microsoft.com/azure/container-instances/container-instances-encrypt-data"
ACI_NETWORK_DOC = "https://learn.microsoft.com/azure/container-instances/container-instances-vnet"
ACI_GROUPS_DOC = "https://learn.microsoft.com/azure/container-instances/container-instances-container-groups"

# --- Container Registry (CMK-CATALOGUE row 9) ---------------------------------------------

rule(
    id="container_registry_cmk_encryption",
    title="Container registries encrypt content with a customer-managed key",
    kinds="container_registries", severity="critical", tags=(CMK,),
    policy="5b9159ae-1701-4a6f-9a7a-aa9c8ddd0580",
    rationale=CJI_AT_REST + " The built-in judges every registry (its `if` has no SKU "
              "scope): a Basic or Standard registry cannot take a key and fails until it is "
              "Premium.",
    passes=[equals("cmk_status", "enabled", absent_reason=MICROSOFT_MANAGED)],
    key_chain=True,
    remediation={"summary": "Customer-managed keys are set when a Premium registry is created: "
                            "create one with a user-assigned identity and a Premium-vault or "
                            "Managed HSM key, and move the images.",
                 "cli": "az acr create --resource-group <rg> --name <registry> --sku Premium "
                        "--key-encryption-key <key-uri> --identity <identity-id>",
                 "docs": ACR_CMK_DOC},
)

rule(
    id="container_registry_public_network_disabled",
    title="Container registries disable public network access",
    kinds="container_registries", severity="high", tags=(PUBLIC_NETWORK,),
    policy="0fdf0491-d080-4575-b627-ad0e843cba0f",
    rationale="A registry holding images built from CJI workloads reachable from the "
              "internet widens the boundary CJIS SC-7 asks to keep narrow.",
    passes=[equals("public_network_access", "Disabled", absent_reason=PNA_DEFAULT_ENABLED)],
    remediation={"summary": "Add private endpoints (Premium), then disable public network "
                            "access.",
                 "cli": "az acr update --resource-group <rg> --name <registry> "
                        "--public-network-enabled false",
                 "docs": ACR_NETWORK_DOC},
)

# --- AKS managed clusters (CMK-CATALOGUE row 10) ------------------------------------------

rule(
    id="aks_cluster_cmk_encryption",
    title="AKS clusters encrypt OS and data disks with a customer-managed key",
    kinds="aks_clusters", severity="critical", tags=(CMK,),
    policy="7d7be79c-23ba-4033-84dd-45e2a5ccdd67",
    rationale=CJI_AT_REST + " Node OS and data disks take the key of the cluster's disk "
              "encryption set (diskEncryptionSetID); the set's active key is judged.",
    passes=[present("disk_encryption_set_id", "diskEncryptionSetID names a disk encryption set",
                    absent_reason="Azure omits diskEncryptionSetID when node disks use the "
                                  "platform-managed key")],
    key_chain=True,
    remediation={"summary": "Node disk encryption is set when the cluster is created: create "
                            "a cluster (or node pools) with a disk encryption set on a "
                            "Premium-vault or Managed HSM key.",
                 "cli": "az aks create --resource-group <rg> --name <cluster> "
                        "--node-osdisk-diskencryptionset-id <des-id>",
                 "docs": AKS_DES_DOC},
)


@check(id="aks_cluster_kms_encryption",
       title="AKS clusters encrypt Kubernetes secrets in etcd with a KMS key",
       kinds="aks_clusters", severity="high", tags=(CMK,),
       rationale="Kubernetes secrets of workloads handling CJI (credentials, connection "
                 "strings) rest in etcd; the KMS plugin encrypts them with a key the agency "
                 "holds (CJIS 6.0 step 2). Judged as built-in Azure Policy "
                 "dbbdc317-9734-4dd8-9074-993b29c69008 (azureKeyVaultKms.enabled true), then "
                 "the KMS key (azureKeyVaultKms.keyId) must be HSM-backed in a Premium vault "
                 "or Managed HSM with purge protection.",
       remediation={"summary": "Enable KMS etcd encryption with a key in a Premium vault or "
                               "Managed HSM.",
                    "cli": "az aks update --resource-group <rg> --name <cluster> "
                           "--enable-azure-keyvault-kms --azure-keyvault-kms-key-id <key-uri>",
                    "docs": AKS_KMS_DOC},
       needs=("aks_clusters",), needs_anywhere=KEY_CHAIN_READS)
def aks_cluster_kms_encryption(cluster: ServiceResource, ctx: CheckContext) -> Verdict:
    enabled, key = cluster.get("kms_enabled"), cluster.get("kms_key_uri")
    evidence: dict[str, Any] = {"kms_enabled": enabled, "kms_key_uri": key}
    if enabled is not True and str(enabled).lower() != "true":
        shown = "not reported (KMS is off unless enabled)" if enabled is None else enabled
        return Verdict(status=Status.FAIL,
                       reason=f"securityProfile.azureKeyVaultKms.enabled is {shown} (built-in "
                              "Azure Policy dbbdc317-9734-4dd8-9074-993b29c69008)",
                       evidence=evidence)
    chain = judge_key_uri(key, ctx)
    if chain is not None:
        return Verdict(status=chain.status, reason=chain.reason,
                       evidence={**evidence, **chain.evidence})
    return Verdict(status=Status.PASS,
                   reason=f"KMS encrypts etcd with {key}, HSM-backed in a protected store",
                   evidence=evidence)


@check(id="aks_cluster_encryption_at_host",
       title="AKS node pools encrypt temp disks and caches at the host",
       kinds="aks_clusters", severity="high", tags=(CMK,),
       rationale="Node temp disks and disk caches are on the host, outside server-side disk "
                 "encryption; encryption at host covers them. Judged as built-in Azure Policy "
                 "41425d9f-d1a5-499a-9932-f8ed8453932c: every agent pool must have "
                 "enableEncryptionAtHost true (missing or false is non-compliant).",
       remediation={"summary": "Encryption at host is set per node pool at creation: add pools "
                               "with it enabled and move workloads off the others.",
                    "cli": "az aks nodepool add --resource-group <rg> --cluster-name <cluster> "
                           "--name <pool> --enable-encryption-at-host",
                    "docs": AKS_HOST_DOC},
       needs=("aks_clusters",))
def aks_cluster_encryption_at_host(cluster: ServiceResource, ctx: CheckContext) -> Verdict:
    pools = cluster.get("agent_pools")
    if not isinstance(pools, list) or not pools:
        return Verdict(status=Status.UNKNOWN,
                       reason="Azure did not report the cluster's agentPoolProfiles, so its "
                              "node pools cannot be judged",
                       evidence={"agent_pools": pools})
    flags = {str(field_of(p, "name")): field_of(p, "enableEncryptionAtHost") for p in pools}
    off = [name for name, flag in flags.items() if flag is not True
           and str(flag).lower() != "true"]
    evidence = {"enable_encryption_at_host": flags}
    if off:
        return Verdict(status=Status.FAIL,
                       reason=f"node pool(s) {', '.join(off)} do not encrypt at host "
                              "(enableEncryptionAtHost missing or false) (built-in Azure "
                              "Policy 41425d9f-d1a5-499a-9932-f8ed8453932c)",
                       evidence=evidence)
    return Verdict(status=Status.PASS,
                   reason=f"all {len(flags)} node pool(s) encrypt at host", evidence=evidence)


# --- Container Instances (CMK-CATALOGUE row 27) -------------------------------------------

rule(
    id="container_group_cmk_encryption",
    title="Container groups encrypt deployment data with a customer-managed key",
    kinds="container_groups", severity="critical", tags=(CMK,),
    policy="0aa61e00-0a01-4a3c-9945-e93cffedf0e6",
    rationale=CJI_AT_REST + " The built-in requires encryptionProperties.vaultBaseUrl and "
              "keyName; together they name the key.",
    passes=[present("cmk_vault_uri", "encryptionProperties.vaultBaseUrl names the vault",
                    absent_reason=MICROSOFT_MANAGED),
            present("cmk_key_name", "encryptionProperties.keyName names the key",
                    absent_reason=MICROSOFT_MANAGED)],
    key_chain=True,
    remediation={"summary": "Encryption is set when the group is created: redeploy it with "
                            "encryptionProperties naming a Premium-vault or Managed HSM key.",
                 "cli": "az container create --resource-group <rg> --file <group-with-"
                        "encryptionProperties>.yaml",
                 "docs": ACI_CMK_DOC},
)

rule(
    id="container_group_no_public_ip",
    title="Container groups have no public IP address",
    kinds="container_groups", severity="high", tags=(PUBLIC_NETWORK,),
    rationale="A container group with a public IP exposes its ports to the internet, widening "
              "the boundary CJIS SC-7 asks to keep narrow; groups deployed into a virtual "
              "network take a private IP. No built-in Azure Policy judges this; judged as "
              f"Learn documents container group networking ({ACI_GROUPS_DOC}): ipAddress.type "
              "Public is internet-facing, Private is in the virtual network, and a group "
              "without ipAddress exposes no IP at all.",
    passes=[not_one_of("ip_address_type", ["Public"], absent=Status.PASS,
                       absent_reason="a container group without ipAddress has no IP address "
                                     "(no port is exposed)")],
    remediation={"summary": "Redeploy the group into a virtual network subnet "
                            "(ipAddress.type Private) and reach it through the network.",
                 "cli": "az container create --resource-group <rg> --name <group> --image "
                        "<image> --vnet <vnet> --subnet <subnet> --ip-address Private",
                 "docs": ACI_NETWORK_DOC},
)
