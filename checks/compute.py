"""Checks for compute: CMK on disks and snapshots, disk encryption sets, VM encryption."""

from __future__ import annotations

from typing import Any

from checks.keychain import judge_key_uri, judge_through_des
from checks.services.common import CMK
from scanner.context import CheckContext
from scanner.findings import Remediation, Status, Verdict
from scanner.gate import rests_on
from scanner.inventory import DiskEncryptionSet, KeyVault, ManagedDisk, ManagedHsm
from scanner.registry import check
from scanner.rules import KEY_CHAIN_READS, equals, is_true, rule

CMK_TYPES = ("EncryptionAtRestWithCustomerKey", "EncryptionAtRestWithPlatformAndCustomerKeys")
PLATFORM_KEY = "EncryptionAtRestWithPlatformKey"
# A confidential VM's OS disk protected with a customer key names its encryption set in
# securityProfile.secureVMDiskEncryptionSetId instead of encryption.diskEncryptionSetId
# (the two are mutually exclusive).
CONFIDENTIAL_CMK = "ConfidentialVM_DiskEncryptedWithCustomerKey"

DISK_ENCRYPTION_DOC = "https://learn.microsoft.com/azure/virtual-machines/disk-encryption"
DISK_CMK_DOC = (
    "https://learn.microsoft.com/azure/virtual-machines/disks-enable-customer-managed-keys-cli"
)
HOST_ENCRYPTION_DOC = (
    "https://learn.microsoft.com/azure/virtual-machines/disks-enable-host-based-encryption-cli"
)
CONFIDENTIAL_VM_DOC = (
    "https://learn.microsoft.com/azure/confidential-computing/confidential-vm-overview"
)


def _same(a: str | None, b: str) -> bool:
    """Case-insensitive equality of Azure enum spellings."""
    return (a or "").lower() == b.lower()


# --- Step 2: disks and snapshots -------------------------------------------------------------


@check(
    id="disk_cmk_encryption",
    title="Managed disks and snapshots encrypt with a customer-managed key",
    kinds=("managed_disks", "snapshots"),
    severity="critical",
    rationale=(
        "Disks and snapshots hold CJI at rest; on Azure Commercial a customer-managed key, "
        "through a disk encryption set, is the compensating control for unscreened vendor "
        "staff (SC-28(1))."
    ),
    remediation=Remediation(
        summary=(
            "Create a disk encryption set on a key in a Premium vault or Managed HSM, then "
            "set the disk's Encryption to customer-managed key with that set (detach the disk "
            "or deallocate its VM first)."
        ),
        cli=(
            "az disk update --name <disk> --resource-group <resource-group> "
            "--encryption-type EncryptionAtRestWithCustomerKey "
            "--disk-encryption-set <disk-encryption-set-id>"
        ),
        docs=DISK_CMK_DOC,
    ),
    tags=(CMK,),
    needs=("managed_disks", "snapshots"),
    needs_anywhere=KEY_CHAIN_READS,  # the key chain (checks/keychain.py)
)
def disk_cmk_encryption(disk: ManagedDisk, ctx: CheckContext) -> Verdict:
    """Pass when the disk's encryption type is a customer-key type with a disk encryption set."""
    evidence: dict[str, Any] = {
        "encryption_type": disk.encryption_type,
        "disk_encryption_set_id": disk.disk_encryption_set_id,
    }
    if disk.security_type or disk.secure_vm_disk_encryption_set_id:
        evidence["security_type"] = disk.security_type
        evidence["secure_vm_disk_encryption_set_id"] = disk.secure_vm_disk_encryption_set_id
    what = "snapshot" if disk.type == "microsoft.compute/snapshots" else "disk"

    if any(_same(disk.encryption_type, t) for t in CMK_TYPES):
        if disk.disk_encryption_set_id:
            return _with_chain(
                Verdict(status=Status.PASS,
                        reason=f"encryption.type is {disk.encryption_type} with disk "
                               f"encryption set {disk.disk_encryption_set_id}",
                        evidence=evidence),
                disk.disk_encryption_set_id, ctx)
        return Verdict(
            status=Status.UNKNOWN,
            reason=f"encryption.type is {disk.encryption_type} but no diskEncryptionSetId was "
                   "reported, so the key cannot be traced",
            evidence=evidence,
        )
    if _same(disk.security_type, CONFIDENTIAL_CMK) and disk.secure_vm_disk_encryption_set_id:
        return _with_chain(Verdict(
            status=Status.PASS,
            reason=f"securityProfile.securityType is {disk.security_type}: the confidential "
                   f"{what} is encrypted with the customer key of disk encryption set "
                   f"{disk.secure_vm_disk_encryption_set_id}",
            evidence=evidence,
        ), disk.secure_vm_disk_encryption_set_id, ctx)
    if disk.encryption_type is None:
        if disk.disk_encryption_set_id:
            # A disk encryption set only ever holds a customer key: a disk bound to one is
            # encrypted with it even when the response leaves encryption.type out.
            return _with_chain(Verdict(
                status=Status.PASS,
                reason="encryption.type was not reported, but the "
                       f"{what} is bound to disk encryption set {disk.disk_encryption_set_id}",
                evidence=evidence,
            ), disk.disk_encryption_set_id, ctx)
        return Verdict(
            status=Status.UNKNOWN,
            reason=f"encryption.type was not reported for this {what}",
            evidence=evidence,
        )
    if _same(disk.encryption_type, PLATFORM_KEY):
        return Verdict(
            status=Status.FAIL,
            reason=f"encryption.type is {disk.encryption_type} (Microsoft-managed keys)",
            evidence=evidence,
        )
    return Verdict(
        status=Status.FAIL,
        reason=f"encryption.type is {disk.encryption_type}, not a customer-managed key type",
        evidence=evidence,
    )


def _with_chain(passed: Verdict, des_id: str, ctx: CheckContext) -> Verdict:
    """`passed`, unless the key behind the disk encryption set fails (or cannot be told)."""
    chain = judge_through_des(des_id, ctx)
    if chain is None:
        return passed
    return Verdict(status=chain.status, reason=f"{passed.reason}, but {chain.reason}",
                   evidence={**passed.evidence, **chain.evidence})


# --- Step 2: disk encryption sets -------------------------------------------------------------


def _des_store(des: DiskEncryptionSet, ctx: CheckContext) -> KeyVault | ManagedHsm | None:
    """The vault or Managed HSM of the set's active key: by key URL, else by source vault id."""
    store = ctx.key_store_for_uri(des.active_key_url)
    if store is None and des.source_vault_id:
        store = ctx.key_stores_by_id.get(des.source_vault_id)
    return store


@check(
    id="disk_encryption_set_key_in_hsm_store",
    title="Disk encryption sets use a key in a Premium vault or a Managed HSM",
    kinds="disk_encryption_sets",
    severity="critical",
    rationale=(
        "A disk encryption set's key wraps every disk key it protects; only a Premium vault "
        "(HSM-backed keys) or a Managed HSM keeps that key in FIPS 140 validated hardware."
    ),
    remediation=Remediation(
        summary=(
            "Create an RSA-HSM key in a Premium vault or a Managed HSM and point the disk "
            "encryption set at it (Portal: Disk encryption set > Key)."
        ),
        cli=(
            "az disk-encryption-set update --name <disk-encryption-set> "
            "--resource-group <resource-group> --key-url <key-url> "
            "--source-vault <premium-vault-id>"
        ),
        docs=DISK_CMK_DOC,
    ),
    needs=("disk_encryption_sets",),
    needs_anywhere=KEY_CHAIN_READS,  # the key chain (checks/keychain.py)
)
def disk_encryption_set_key_in_hsm_store(des: DiskEncryptionSet, ctx: CheckContext) -> Verdict:
    """Pass when the set's active key lives in a Premium vault or a Managed HSM."""
    evidence: dict[str, Any] = {
        "active_key_url": des.active_key_url,
        "source_vault_id": des.source_vault_id,
    }
    if not des.active_key_url:
        return Verdict(status=Status.FAIL, reason="the disk encryption set has no active key",
                       evidence=evidence)
    store = _des_store(des, ctx)
    if store is None:
        rests_on("key_vaults", "managed_hsms")  # the engine names the lists that failed
        return Verdict(
            status=Status.UNKNOWN,
            reason=f"the vault holding {des.active_key_url} is not among the vaults and "
                   "Managed HSMs read (it is outside the scanned subscriptions, or its list "
                   "could not be read)",
            evidence=evidence,
        )
    evidence["store_id"] = store.id
    evidence["store_sku"] = store.sku_name
    if isinstance(store, ManagedHsm) or _same(store.sku_name, "premium"):
        where = (f"Managed HSM {store.name}" if isinstance(store, ManagedHsm)
                 else f"key vault {store.name}, SKU premium")
        passed = Verdict(status=Status.PASS, reason=f"the active key is in {where}",
                         evidence=evidence)
        chain = judge_key_uri(des.active_key_url, ctx, store=store)
        if chain is None:
            return passed
        return Verdict(status=chain.status, reason=f"{passed.reason}, but {chain.reason}",
                       evidence={**evidence, **chain.evidence})
    if store.sku_name is None:
        return Verdict(status=Status.UNKNOWN,
                       reason=f"the SKU of key vault {store.name} was not reported",
                       evidence=evidence)
    return Verdict(
        status=Status.FAIL,
        reason=f"the active key is in key vault {store.name}, SKU {store.sku_name} "
               "(software-protected keys only)",
        evidence=evidence,
    )


@check(
    id="disk_encryption_set_auto_rotation",
    title="Disk encryption sets follow key rotation automatically",
    kinds="disk_encryption_sets",
    severity="high",
    rationale=(
        "Without automatic key version updates a rotated key never reaches the disks: they "
        "stay wrapped by the old version, defeating the key lifecycle CJIS requires (SC-12)."
    ),
    remediation=Remediation(
        summary=(
            "Turn on Auto key rotation on the disk encryption set, and fix any reported "
            "auto-rotation error (usually the set's managed identity or its access to the key)."
        ),
        cli=(
            "az disk-encryption-set update --name <disk-encryption-set> "
            "--resource-group <resource-group> --enable-auto-key-rotation true"
        ),
        docs=DISK_ENCRYPTION_DOC,
    ),
    needs=("disk_encryption_sets",),
)
def disk_encryption_set_auto_rotation(des: DiskEncryptionSet, ctx: CheckContext) -> Verdict:
    """Pass when rotationToLatestKeyVersionEnabled is true and no auto-rotation error is set."""
    evidence = {
        "rotation_to_latest_key_version_enabled": des.rotation_to_latest_key_version_enabled,
        "auto_key_rotation_error": des.auto_key_rotation_error,
    }
    if des.rotation_to_latest_key_version_enabled is True:
        if des.auto_key_rotation_error:
            # Azure turns auto-rotation off itself when it fails and reports why here.
            return Verdict(
                status=Status.FAIL,
                reason="auto key rotation is on but Azure reports an error: "
                       f"{des.auto_key_rotation_error}",
                evidence=evidence,
            )
        return Verdict(status=Status.PASS, reason="rotationToLatestKeyVersionEnabled is true",
                       evidence=evidence)
    if des.rotation_to_latest_key_version_enabled is None:
        return Verdict(
            status=Status.FAIL,
            reason="rotationToLatestKeyVersionEnabled is absent: auto key rotation is off "
                   f"unless enabled ({DISK_ENCRYPTION_DOC})",
            evidence=evidence,
        )
    return Verdict(status=Status.FAIL, reason="rotationToLatestKeyVersionEnabled is false",
                   evidence=evidence)


# --- Step 2 / 3: virtual machines --------------------------------------------------------------


rule(
    id="vm_encryption_at_host",
    title="Virtual machines encrypt temp disks and caches at the host",
    kinds="virtual_machines",
    severity="high",
    rationale=(
        "Server-side encryption does not cover a VM's temporary disk or its OS and data disk "
        "caches; encryption at host encrypts them too, so no CJI rests unencrypted on the host."
    ),
    remediation=Remediation(
        summary=(
            "Register the EncryptionAtHost feature on the subscription, deallocate the VM and "
            "turn on Disks > Encryption at host."
        ),
        cli="az vm update --name <vm> --resource-group <resource-group> --encryption-at-host true",
        docs=HOST_ENCRYPTION_DOC,
    ),
    policy="fc4d8e41-e223-45ea-9bf5-eada37891d87",
    passes=[is_true("encryption_at_host", label="securityProfile.encryptionAtHost",
                    absent_reason="Azure omits it when encryption at host is not enabled "
                                  f"({DISK_ENCRYPTION_DOC})")],
)


rule(
    id="vm_confidential_compute",
    title="Virtual machines processing CJI are confidential VMs",
    kinds="virtual_machines",
    severity="low",
    rationale=(
        "Confidential VMs keep memory encrypted with hardware keys the host cannot read, "
        "protecting CJI in use (SC-28, SC-39); CJIS 6.0 step 3b makes this optional."
    ),
    remediation=Remediation(
        summary=(
            "Redeploy the workload on a confidential VM size (DCasv5/ECasv5 or newer) with "
            "security type Confidential virtual machines and OS disk confidential encryption."
        ),
        cli=(
            "az vm create --name <vm> --resource-group <resource-group> --image <cvm-image> "
            "--size <confidential-vm-size> --security-type ConfidentialVM "
            "--os-disk-security-encryption-type DiskWithVMGuestState "
            "--enable-vtpm true --enable-secure-boot true"
        ),
        docs=CONFIDENTIAL_VM_DOC,
    ),
    # No built-in Azure Policy audits confidential VMs: Azure omits securityType for a
    # standard VM, so absence is a fail.
    passes=[equals("security_type", "ConfidentialVM", label="securityProfile.securityType",
                   absent_reason="a standard (non-confidential) VM")],
)
