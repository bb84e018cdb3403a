"""Virtual machine scale sets and Batch accounts: customer-managed keys on every disk,
encryption at host, public network access."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checks.keychain import judge_through_des
from checks.services.common import CMK, MICROSOFT_MANAGED, PNA_DEFAULT_ENABLED, PUBLIC_NETWORK
from checks.services.databases import CJI_AT_REST
from scanner.context import CheckContext
from scanner.findings import Status, Verdict
from scanner.inventory import ServiceResource
from scanner.registry import check
from scanner.rules import KEY_CHAIN_READS, equals, is_true, rule

DES_DOC = "https://learn.microsoft.com/azure/virtual-machines/disks-enable-customer-managed-keys-cli"
HOST_DOC = "https://learn.microsoft.com/azure/virtual-machines/disks-enable-host-based-encryption-cli"
BATCH_CMK_DOC = "https://learn.microsoft.com/azure/batch/batch-customer-managed-key"
BATCH_NETWORK_DOC = "https://learn.microsoft.com/azure/batch/public-network-access"
HOST_OFF = ("Azure omits encryptionAtHost unless it was enabled (off by default; the built-in "
            "treats a missing value as non-compliant)")


def field_of(node: Any, *path: str) -> Any:
    """A nested value of a published body, keys matched case-insensitively (as Azure
    Policy aliases are)."""
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = next((v for k, v in node.items() if str(k).lower() == key.lower()), None)
    return node


def worst_key_chain(des_ids: list[str], ctx: CheckContext) -> Verdict | None:
    """The first failing (else unknown) key-chain verdict of the disk encryption sets."""
    verdicts = [v for des in dict.fromkeys(d.lower() for d in des_ids)
                if (v := judge_through_des(des, ctx)) is not None]
    return next((v for v in verdicts if v.status is Status.FAIL), verdicts[0] if verdicts
                else None)


@check(id="vm_scale_set_cmk_encryption",
       title="VM scale sets encrypt OS and data disks with a customer-managed key",
       kinds="vm_scale_sets", severity="critical", tags=(CMK,),
       rationale=CJI_AT_REST + " Judged as built-in Azure Policy "
                 "702dd420-7fcc-42c5-afe8-4026edd20fe0 (its scale-set branches): the OS disk "
                 "and every data disk of the VM profile name a disk encryption set; each "
                 "set's active key must then be HSM-backed in a Premium vault or Managed HSM.",
       remediation={"summary": "Create a disk encryption set on a Premium-vault or Managed "
                               "HSM key and set it on the scale set's OS and data disks "
                               "(new instances; reimage existing ones).",
                    "cli": "az vmss update --resource-group <rg> --name <vmss> --set "
                           "virtualMachineProfile.storageProfile.osDisk.managedDisk."
                           "diskEncryptionSet.id=<des-id>",
                    "docs": DES_DOC},
       needs=("vm_scale_sets",), needs_anywhere=KEY_CHAIN_READS)
def vm_scale_set_cmk_encryption(vmss: ServiceResource, ctx: CheckContext) -> Verdict:
    os_des = vmss.get("os_disk_des")
    disks = vmss.get("data_disks") or []
    data_des = [field_of(d, "managedDisk", "diskEncryptionSet", "id") for d in disks]
    evidence: dict[str, Any] = {"os_disk_des": os_des, "data_disk_des": data_des}
    missing = ([] if os_des else ["the OS disk"]) + [
        f"data disk LUN {field_of(d, 'lun')}" for d, des in zip(disks, data_des, strict=True)
        if not des]
    if missing:
        return Verdict(status=Status.FAIL,
                       reason=f"no disk encryption set on {', '.join(missing)} (the platform-"
                              "managed key) (built-in Azure Policy 702dd420-7fcc-42c5-afe8-"
                              "4026edd20fe0)", evidence=evidence)
    chain = worst_key_chain([str(os_des), *map(str, data_des)], ctx)
    if chain is not None:
        return Verdict(status=chain.status, reason=chain.reason,
                       evidence={**evidence, **chain.evidence})
    return Verdict(status=Status.PASS,
                   reason=f"the OS disk and {len(disks)} data disk(s) are encrypted through "
                          "disk encryption sets whose keys are HSM-backed in a protected store",
                   evidence=evidence)


rule(
    id="vm_scale_set_encryption_at_host",
    title="VM scale sets encrypt temp disks and caches at the host",
    kinds="vm_scale_sets", severity="high", tags=(CMK,),
    policy="fc4d8e41-e223-45ea-9bf5-eada37891d87",
    rationale="Temp disks and OS/data disk caches of scale-set instances are on the host and "
              "are not covered by server-side disk encryption; encryption at host encrypts "
              "them (with the disks' keys) so CJI never rests unencrypted on the host.",
    passes=[is_true("encryption_at_host", absent_reason=HOST_OFF)],
    remediation={"summary": "Enable encryption at host in the scale set's security profile "
                            "(the feature must be registered on the subscription).",
                 "cli": "az vmss update --resource-group <rg> --name <vmss> "
                        "--set virtualMachineProfile.securityProfile.encryptionAtHost=true",
                 "docs": HOST_DOC},
)

rule(
    id="batch_account_cmk_encryption",
    title="Batch accounts encrypt data with a customer-managed key",
    kinds="batch_accounts", severity="critical", tags=(CMK,),
    policy="99e9ccd8-3db9-4592-b0d1-14b1715a4d8a",
    rationale=CJI_AT_REST,
    passes=[equals("cmk_key_source", "Microsoft.KeyVault", absent_reason=MICROSOFT_MANAGED)],
    key_chain=True,
    remediation={"summary": "Give the account a managed identity with key access and set its "
                            "encryption to a key in a Premium vault or Managed HSM.",
                 "cli": "az batch account set --resource-group <rg> --name <account> "
                        "--encryption-key-source Microsoft.KeyVault --encryption-key-identifier "
                        "<key-uri>",
                 "docs": BATCH_CMK_DOC},
)

rule(
    id="batch_account_public_network_disabled",
    title="Batch accounts disable public network access",
    kinds="batch_accounts", severity="high", tags=(PUBLIC_NETWORK,),
    policy="74c5a0ae-5e48-4738-b093-65e23a060488",
    rationale="A Batch account's endpoint reachable from the internet widens the boundary CJIS "
              "SC-7 asks to keep narrow; private endpoints keep job and pool management inside "
              "the agency's network.",
    passes=[equals("public_network_access", "Disabled", absent_reason=PNA_DEFAULT_ENABLED)],
    remediation={"summary": "Create private endpoints for the account, then disable public "
                            "network access.",
                 "cli": "az batch account set --resource-group <rg> --name <account> "
                        "--public-network-access Disabled",
                 "docs": BATCH_NETWORK_DOC},
)
