"""Backup stores: Recovery Services vaults and Backup vaults (Azure Backup).

CMK-CATALOGUE rows 24 and 25. The Recovery Services vaults list carries only
`provisioningState`, so each vault is read once more (a GET of the vault itself) for its
encryption, redundancy and network settings; the Backup vaults list carries them.
"""

from __future__ import annotations

from scanner.kinds.base import Detail, KeyRef, Kind

KINDS = (
    Kind("recovery_services_vaults", "Microsoft.RecoveryServices/vaults", "2025-08-01",
         "Recovery Services vault", gated=True,
         fields={"provisioning_state": "properties.provisioningState"},  # all the list has
         details=(Detail("vault", "", {
             "cmk_key_uri": "properties.encryption.keyVaultProperties.keyUri",
             "infrastructure_encryption": "properties.encryption.infrastructureEncryption",
             "storage_redundancy": "properties.redundancySettings.standardTierStorageRedundancy",
             "cross_region_restore": "properties.redundancySettings.crossRegionRestore",
             "public_network_access": "properties.publicNetworkAccess"},
             example="azure-examples/recoveryservices/vault_get.json"),),
         key=KeyRef(uri="cmk_key_uri"), logs="",
         example="azure-examples/recoveryservices/vaults_list_by_subscription.json"),
    Kind("backup_vaults", "Microsoft.DataProtection/backupVaults", "2025-07-01",
         "Backup vault", gated=True,
         fields={"cmk_state": "properties.securitySettings.encryptionSettings.state",
                 "cmk_key_uri":
                     "properties.securitySettings.encryptionSettings.keyVaultProperties.keyUri",
                 "infrastructure_encryption":
                     "properties.securitySettings.encryptionSettings.infrastructureEncryption",
                 "storage_redundancy": "properties.storageSettings[*].type",
                 "cross_region_restore":
                     "properties.featureSettings.crossRegionRestoreSettings.state"},
         key=KeyRef(uri="cmk_key_uri"), logs="",
         example="azure-examples/dataprotection/backup_vaults_list_in_subscription.json"),
)
