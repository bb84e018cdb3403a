"""Containers: Container Registry, AKS managed clusters, Container Instances.

CMK-CATALOGUE rows 9, 10 and 27. AKS node disks are encrypted through a disk encryption
set (`diskEncryptionSetID`, whose active key is the key); its KMS plugin names its key
(`securityProfile.azureKeyVaultKms.keyId`, shape from Learn's "Add KMS etcd encryption").
The agent pools are read whole: a per-pool flag Azure omits must not vanish from a list.
"""

from __future__ import annotations

from scanner.kinds.base import KeyRef, Kind

KINDS = (
    Kind("container_registries", "Microsoft.ContainerRegistry/registries", "2025-04-01",
         "Container registry", gated=True,
         fields={"cmk_status": "properties.encryption.status",
                 "cmk_key_uri": "properties.encryption.keyVaultProperties.keyIdentifier",
                 "public_network_access": "properties.publicNetworkAccess"},
         key=KeyRef(uri="cmk_key_uri"), logs="",
         example="azure-examples/containerregistry/registries_list.json"),
    Kind("aks_clusters", "Microsoft.ContainerService/managedClusters", "2026-01-01",
         "AKS managed cluster", gated=True,
         fields={"disk_encryption_set_id": "properties.diskEncryptionSetID",
                 "kms_enabled": "properties.securityProfile.azureKeyVaultKms.enabled",
                 "kms_key_uri": "properties.securityProfile.azureKeyVaultKms.keyId",
                 "agent_pools": "properties.agentPoolProfiles"},
         key=KeyRef(des="disk_encryption_set_id"), logs="",
         example="azure-examples/containerservice/managed_clusters_list.json"),
    Kind("container_groups", "Microsoft.ContainerInstance/containerGroups", "2025-09-01",
         "Container Instances container group", gated=True,
         fields={"cmk_vault_uri": "properties.encryptionProperties.vaultBaseUrl",
                 "cmk_key_name": "properties.encryptionProperties.keyName",
                 "cmk_key_version": "properties.encryptionProperties.keyVersion",
                 "ip_address_type": "properties.ipAddress.type"},
         key=KeyRef(vault="cmk_vault_uri", name="cmk_key_name", version="cmk_key_version"),
         example="azure-examples/containerinstance/container_groups_list.json"),
)
