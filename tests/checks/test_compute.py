"""Compute checks over small inventories: exact pass / fail / unknown / n/a sets."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.findings import Status
from scanner.inventory import (
    CollectionError,
    DiskEncryptionSet,
    KeyVault,
    ManagedDisk,
    ManagedHsm,
    Snapshot,
    VaultKey,
    VirtualMachine,
)
from tests.checks.helpers import (
    SUB,
    arm_id,
    ids_with,
    inventory,
    key_chain,
    statuses,
    verdicts,
)

DISK = "Microsoft.Compute/disks"
SNAP = "Microsoft.Compute/snapshots"
DES = "Microsoft.Compute/diskEncryptionSets"
VM = "Microsoft.Compute/virtualMachines"
KV = "Microsoft.KeyVault/vaults"
HSM = "Microsoft.KeyVault/managedHSMs"
OTHER_SUB = "00000000-0000-0000-0000-00000000bbbb"
# Azure returns disk encryption set ids with an upper-cased resource group.
DES_ID = f"/subscriptions/{SUB}/resourceGroups/RG-CJIS/providers/{DES}/des-cmk"


def common(kind_path: str, name: str) -> dict[str, Any]:
    return {"id": arm_id(kind_path, name), "name": name, "type": kind_path, "location": "eastus",
            "subscription_id": SUB, "resource_group": "rg-cjis"}


def disk(name: str, **props: Any) -> ManagedDisk:
    return ManagedDisk(**{**common(DISK, name), **props})


def snapshot(name: str, **props: Any) -> Snapshot:
    return Snapshot(**{**common(SNAP, name), **props})


def des(name: str, **props: Any) -> DiskEncryptionSet:
    fields = {"encryption_type": "EncryptionAtRestWithCustomerKey",
              "rotation_to_latest_key_version_enabled": True, **props}
    return DiskEncryptionSet(**{**common(DES, name), **fields})


def vault(name: str, sku: str | None) -> KeyVault:
    return KeyVault(**common(KV, name), sku_name=sku, vault_uri=f"https://{name}.vault.azure.net/")


def hsm(name: str) -> ManagedHsm:
    return ManagedHsm(**common(HSM, name), sku_name="Standard_B1",
                      hsm_uri=f"https://{name}.managedhsm.azure.net")


def vm(name: str, **props: Any) -> VirtualMachine:
    return VirtualMachine(**{**common(VM, name), "vm_size": "Standard_DC4as_v5", **props})


def by_status(check_id: str, inv: Any) -> dict[Status, set[str]]:
    found: dict[Status, set[str]] = {}
    for rid, status in statuses(check_id, inv).items():
        found.setdefault(status, set()).add(rid)
    return found


# --- disk_cmk_encryption --------------------------------------------------------------------


def _chain_with_des() -> dict[str, list[Any]]:
    """A good key chain behind DES_ID, and a weak one behind des-weak."""
    chain = key_chain()
    chain["disk_encryption_sets"] = [
        des("des-cmk", active_key_url="https://kv-cjis.vault.azure.net/keys/cmk/0a1b"),
        des("des-weak", active_key_url="https://kv-standard.vault.azure.net/keys/weak")]
    return chain


def test_disk_cmk_encryption() -> None:
    weak_des = arm_id(DES, "des-weak")
    inv = inventory(
        **_chain_with_des(),
        managed_disks=[
            disk("pass-cmk", encryption_type="EncryptionAtRestWithCustomerKey",
                 disk_encryption_set_id=DES_ID),
            disk("pass-double", encryption_type="EncryptionAtRestWithPlatformAndCustomerKeys",
                 disk_encryption_set_id=DES_ID),
            disk("pass-des-no-type", encryption_type=None, disk_encryption_set_id=DES_ID),
            disk("pass-confidential", encryption_type="EncryptionAtRestWithPlatformKey",
                 security_type="ConfidentialVM_DiskEncryptedWithCustomerKey",
                 secure_vm_disk_encryption_set_id=DES_ID),
            disk("fail-pmk", encryption_type="EncryptionAtRestWithPlatformKey"),
            disk("fail-confidential-pmk", encryption_type="EncryptionAtRestWithPlatformKey",
                 security_type="ConfidentialVM_DiskEncryptedWithPlatformKey"),
            disk("unknown-notype", encryption_type=None),
            disk("unknown-cmk-no-des", encryption_type="EncryptionAtRestWithCustomerKey"),
            disk("fail-weak-chain", encryption_type="EncryptionAtRestWithCustomerKey",
                 disk_encryption_set_id=weak_des),
            disk("unknown-des-elsewhere", encryption_type="EncryptionAtRestWithCustomerKey",
                 disk_encryption_set_id=arm_id(DES, "des-other", sub=OTHER_SUB)),
        ],
        snapshots=[
            snapshot("pass-snap", encryption_type="EncryptionAtRestWithCustomerKey",
                     disk_encryption_set_id=DES_ID),
            snapshot("fail-snap", encryption_type="EncryptionAtRestWithPlatformKey"),
            snapshot("unknown-snap"),
        ],
    )
    assert by_status("disk_cmk_encryption", inv) == {
        Status.PASS: {arm_id(DISK, "pass-cmk"), arm_id(DISK, "pass-double"),
                      arm_id(DISK, "pass-des-no-type"), arm_id(DISK, "pass-confidential"),
                      arm_id(SNAP, "pass-snap")},
        Status.FAIL: {arm_id(DISK, "fail-pmk"), arm_id(DISK, "fail-confidential-pmk"),
                      arm_id(SNAP, "fail-snap"), arm_id(DISK, "fail-weak-chain")},
        Status.UNKNOWN: {arm_id(DISK, "unknown-notype"), arm_id(DISK, "unknown-cmk-no-des"),
                         arm_id(SNAP, "unknown-snap"), arm_id(DISK, "unknown-des-elsewhere")},
    }
    v = verdicts("disk_cmk_encryption", inv)
    assert v[arm_id(DISK, "pass-cmk")].evidence == {
        "encryption_type": "EncryptionAtRestWithCustomerKey",
        "disk_encryption_set_id": DES_ID.lower(),
    }
    assert "software-protected" in v[arm_id(DISK, "fail-weak-chain")].reason
    assert "EncryptionAtRestWithPlatformKey" in v[arm_id(DISK, "fail-pmk")].reason


# --- disk_encryption_set_key_in_hsm_store --------------------------------------------------


def test_des_key_in_hsm_store() -> None:
    chain = key_chain(extra_vaults=[vault("kv-nosku", None)])
    inv = inventory(
        **chain,
        managed_hsms=[hsm("hsm-cjis").model_copy(update={"purge_protection": True,
                                                         "soft_delete": True}),
                      hsm("hsm-nopurge")],
        # hsm (issue 10 item 8): a Managed HSM key is judged on the key read through ARM.
        managed_hsm_keys=[VaultKey(id=f"{arm_id(HSM, 'hsm-cjis')}/keys/k2",
                                   vault_id=arm_id(HSM, "hsm-cjis"), name="k2", kty="RSA-HSM")],
        disk_encryption_sets=[
            des("pass-premium", active_key_url="https://kv-cjis.vault.azure.net/keys/cmk/abc"),
            des("pass-hsm", active_key_url="https://hsm-cjis.managedhsm.azure.net/keys/k2"),
            # The key URL's host matches no vault, but the source vault id names the premium one.
            des("pass-by-source-vault", active_key_url="https://kv-alias.vault.azure.net/keys/cmk",
                source_vault_id=arm_id(KV, "kv-cjis")),
            des("fail-standard",
                active_key_url="https://kv-standard.vault.azure.net/keys/weak/0123"),
            des("fail-nokey", active_key_url=None),
            # Premium vault, but the key is software-protected; an HSM without purge protection.
            des("fail-software-key", active_key_url="https://kv-cjis.vault.azure.net/keys/soft"),
            des("fail-hsm-no-purge",
                active_key_url="https://hsm-nopurge.managedhsm.azure.net/keys/k9"),
            des("unknown-novault", active_key_url="https://kv-elsewhere.vault.azure.net/keys/k4"),
            des("unknown-nosku", active_key_url="https://kv-nosku.vault.azure.net/keys/k5"),
        ],
    )
    assert by_status("disk_encryption_set_key_in_hsm_store", inv) == {
        Status.PASS: {arm_id(DES, "pass-premium"), arm_id(DES, "pass-hsm"),
                      arm_id(DES, "pass-by-source-vault")},
        Status.FAIL: {arm_id(DES, "fail-standard"), arm_id(DES, "fail-nokey"),
                      arm_id(DES, "fail-software-key"), arm_id(DES, "fail-hsm-no-purge")},
        Status.UNKNOWN: {arm_id(DES, "unknown-novault"), arm_id(DES, "unknown-nosku")},
    }
    v = verdicts("disk_encryption_set_key_in_hsm_store", inv)
    assert "standard" in v[arm_id(DES, "fail-standard")].reason
    assert "is not among the vaults and Managed HSMs read" in \
        v[arm_id(DES, "unknown-novault")].reason


def test_des_key_store_unknown_names_vault_errors() -> None:
    inv = inventory(
        disk_encryption_sets=[
            des("unknown-unlisted", active_key_url="https://kv-x.vault.azure.net/keys/k")],
        errors=[CollectionError(scope=f"/subscriptions/{OTHER_SUB}", collector="key_vaults",
                                status=403, message="forbidden")],
    )
    v = verdicts("disk_encryption_set_key_in_hsm_store", inv)[arm_id(DES, "unknown-unlisted")]
    assert v.status == Status.UNKNOWN
    assert v.evidence["collection_errors"][0]["collector"] == "key_vaults"


# --- disk_encryption_set_auto_rotation ------------------------------------------------------


def test_des_auto_rotation() -> None:
    error = ("ManagedServiceIdentityNotFound: Auto-key rotation was disabled as managed service "
             "identity associated with DiskEncryptionSet 'myDiskEncryptionSet' was not found.")
    inv = inventory(disk_encryption_sets=[
        des("pass-rotating"),
        des("fail-rotation-error", auto_key_rotation_error=error),
        des("fail-off", rotation_to_latest_key_version_enabled=False),
        des("fail-absent", rotation_to_latest_key_version_enabled=None),
    ])
    assert by_status("disk_encryption_set_auto_rotation", inv) == {
        Status.PASS: {arm_id(DES, "pass-rotating")},
        Status.FAIL: {arm_id(DES, "fail-rotation-error"), arm_id(DES, "fail-off"),
                      arm_id(DES, "fail-absent")},
    }
    v = verdicts("disk_encryption_set_auto_rotation", inv)[arm_id(DES, "fail-rotation-error")]
    assert "ManagedServiceIdentityNotFound" in v.reason
    assert v.evidence["auto_key_rotation_error"] == error


# --- virtual machines ---------------------------------------------------------------------


def test_vm_encryption_at_host() -> None:
    inv = inventory(virtual_machines=[
        vm("pass-host", encryption_at_host=True),
        vm("fail-off", encryption_at_host=False),
        vm("fail-absent"),
    ])
    assert by_status("vm_encryption_at_host", inv) == {
        Status.PASS: {arm_id(VM, "pass-host")},
        Status.FAIL: {arm_id(VM, "fail-off"), arm_id(VM, "fail-absent")},
    }
    reason = verdicts("vm_encryption_at_host", inv)[arm_id(VM, "fail-absent")].reason
    assert "https://learn.microsoft.com/azure/virtual-machines/disk-encryption" in reason


def test_vm_confidential_compute() -> None:
    inv = inventory(virtual_machines=[
        vm("pass-cvm", security_type="ConfidentialVM"),
        vm("fail-trusted-launch", security_type="TrustedLaunch"),
        vm("fail-standard"),
    ])
    assert by_status("vm_confidential_compute", inv) == {
        Status.PASS: {arm_id(VM, "pass-cvm")},
        Status.FAIL: {arm_id(VM, "fail-trusted-launch"), arm_id(VM, "fail-standard")},
    }
    assert "TrustedLaunch" in verdicts("vm_confidential_compute", inv)[
        arm_id(VM, "fail-trusted-launch")].reason


# --- collection errors: the engine answers unknown without calling the check ----------------


def _err(scope: str, collector: str) -> CollectionError:
    return CollectionError(scope=scope, collector=collector, status=403,
                           code="AuthorizationFailed", message="forbidden")


@pytest.mark.parametrize(("check_id", "kind", "collector", "make"), [
    ("disk_cmk_encryption", DISK, "managed_disks",
     lambda n: disk(n, encryption_type="EncryptionAtRestWithCustomerKey",
                    disk_encryption_set_id=DES_ID)),
    ("disk_cmk_encryption", SNAP, "snapshots",
     lambda n: snapshot(n, encryption_type="EncryptionAtRestWithCustomerKey",
                        disk_encryption_set_id=DES_ID)),
    ("disk_encryption_set_key_in_hsm_store", DES, "disk_encryption_sets",
     lambda n: des(n, active_key_url="https://kv-cjis.vault.azure.net/keys/cmk")),
    ("disk_encryption_set_auto_rotation", DES, "disk_encryption_sets", lambda n: des(n)),
    ("vm_encryption_at_host", VM, "virtual_machines",
     lambda n: vm(n, encryption_at_host=True)),
    ("vm_confidential_compute", VM, "virtual_machines",
     lambda n: vm(n, security_type="ConfidentialVM")),
])
def test_collection_error_gives_unknown(check_id: str, kind: str, collector: str,
                                        make: Any) -> None:
    lists: dict[str, list[Any]] = {"managed_disks": [], "snapshots": [],
                                   "disk_encryption_sets": [], "virtual_machines": []}
    lists[collector] = [make("pass-read"), make("unknown-unreadable")]
    chain = _chain_with_des()
    if collector == "disk_encryption_sets":  # the judged sets only
        chain["disk_encryption_sets"] = []
    chain["disk_encryption_sets"] += lists.pop("disk_encryption_sets")
    inv = inventory(
        **chain,
        errors=[_err(arm_id(kind, "unknown-unreadable"), collector),
                _err(f"/subscriptions/{OTHER_SUB}", collector)],
        **lists,
    )
    assert ids_with(Status.PASS, check_id, inv) == {arm_id(kind, "pass-read")}
    assert ids_with(Status.UNKNOWN, check_id, inv) == {arm_id(kind, "unknown-unreadable"),
                                                      f"/subscriptions/{OTHER_SUB}"}
    reason = verdicts(check_id, inv)[arm_id(kind, "unknown-unreadable")].reason
    assert f"could not read {collector}" in reason
