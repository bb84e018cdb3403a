"""Compute services: virtual machine scale sets and Batch accounts.

CMK-CATALOGUE rows 11 and 14. A scale set's OS and data disks name their disk
encryption sets in its VM profile; the data disks are read whole, so a disk without one
does not vanish from a list of set ids.
"""

from __future__ import annotations

from scanner.kinds.base import KeyRef, Kind

_STORAGE = "properties.virtualMachineProfile.storageProfile"

KINDS = (
    # VirtualMachineScaleSets_ListAll. Flexible-orchestration instances are also listed
    # as virtual machines and disks (judged there); uniform ones only here.
    Kind("vm_scale_sets", "Microsoft.Compute/virtualMachineScaleSets", "2025-04-01",
         "Virtual machine scale set", gated=True,
         fields={"os_disk_des": f"{_STORAGE}.osDisk.managedDisk.diskEncryptionSet.id",
                 "data_disks": f"{_STORAGE}.dataDisks",
                 "encryption_at_host":
                     "properties.virtualMachineProfile.securityProfile.encryptionAtHost"},
         key=KeyRef(des="os_disk_des"),
         example="azure-examples/compute/vmss_list_all_minimum.json"),
    Kind("batch_accounts", "Microsoft.Batch/batchAccounts", "2025-06-01", "Batch account",
         gated=True,
         fields={"cmk_key_source": "properties.encryption.keySource",
                 "cmk_key_uri": "properties.encryption.keyVaultProperties.keyIdentifier",
                 "public_network_access": "properties.publicNetworkAccess"},
         key=KeyRef(uri="cmk_key_uri"), logs="",
         example="azure-examples/batch/batch_accounts_list.json"),
)
