"""Step 7 evidence for the SSP: the CMK architecture table and the key administrators."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scanner.findings import Status
from scanner.fips import UNDETERMINED
from scanner.inventory import (
    AccessPolicy,
    CollectionError,
    CosmosAccount,
    DiskEncryptionSet,
    KeyVault,
    ManagedDisk,
    ManagedHsm,
    RotationPolicy,
    SqlServer,
    StorageAccount,
    Subscription,
    VaultKey,
)
from scanner.inventory_policy import RoleAssignment
from tests.checks.helpers import SUB, TENANT, arm_id, ids_with, inventory, verdicts

KV = "Microsoft.KeyVault/vaults"
HSM = "Microsoft.KeyVault/managedHSMs"
SA = "Microsoft.Storage/storageAccounts"
DES = "Microsoft.Compute/diskEncryptionSets"
DISK = "Microsoft.Compute/disks"
SQL = "Microsoft.Sql/servers"
COSMOS = "Microsoft.DocumentDB/databaseAccounts"
TENANT_ID = f"/tenants/{TENANT}"


def arm(kind_path: str, name: str, **props: Any) -> dict[str, Any]:
    return {"id": arm_id(kind_path, name), "name": name, "type": kind_path,
            "location": "eastus", "subscription_id": SUB, "resource_group": "rg-cjis", **props}


def vault(name: str, sku: str = "premium", **props: Any) -> KeyVault:
    return KeyVault(**arm(KV, name, sku_name=sku, vault_uri=f"https://{name}.vault.azure.net/",
                          soft_delete=True, **props))


HSM_POOL = ManagedHsm(**arm(HSM, "hsm-cjis", sku_name="Standard_B1",
                            hsm_uri="https://hsm-cjis.managedhsm.azure.net/", soft_delete=True,
                            purge_protection=True))


def cmk_inventory(**extra: Any) -> Any:
    """A premium vault (RSA-HSM key, rotation policy), a standard vault (software key with an
    expiry), a Managed HSM behind a disk encryption set, and stores without CMK."""
    fields: dict[str, Any] = {
        "key_vaults": [
            vault("kv-premium", purge_protection=True, rbac_authorization=False,
                  access_policies=[
                      AccessPolicy(object_id="p-app", key_permissions=["Get", "WrapKey",
                                                                       "UnwrapKey"]),
                      AccessPolicy(object_id="p-keyadmin",
                                   key_permissions=["Get", "List", "Create", "Delete", "Purge"]),
                      AccessPolicy(object_id="p-all", key_permissions=["all"]),
                  ]),
            vault("kv-rbac", rbac_authorization=True, purge_protection=True,
                  access_policies=[AccessPolicy(object_id="p-stale", key_permissions=["all"])]),
            vault("kv-standard", sku="standard"),
            vault("kv-unused"),
        ],
        "managed_hsms": [HSM_POOL],
        "vault_keys": [
            VaultKey(id=arm_id(KV, "kv-premium") + "/keys/cmk-storage",
                     vault_id=arm_id(KV, "kv-premium"), name="cmk-storage", kty="RSA-HSM",
                     rotation_policy=RotationPolicy(rotate_after="P90D")),
            VaultKey(id=arm_id(KV, "kv-standard") + "/keys/cmk-sql",
                     vault_id=arm_id(KV, "kv-standard"), name="cmk-sql", kty="RSA",
                     expires=datetime(2027, 1, 31, tzinfo=UTC)),
            VaultKey(id=arm_id(KV, "kv-rbac") + "/keys/cmk-logs",
                     vault_id=arm_id(KV, "kv-rbac"), name="cmk-logs", kty="EC-HSM"),
        ],
        "storage_accounts": [
            StorageAccount(**arm(SA, "sa-cmk", key_source="Microsoft.Keyvault",
                                 key_vault_uri="https://kv-premium.vault.azure.net",
                                 key_name="cmk-storage", key_version="")),
            StorageAccount(**arm(SA, "sa-logs", key_source="Microsoft.Keyvault",
                                 key_vault_uri="https://kv-rbac.vault.azure.net",
                                 key_name="cmk-logs", key_version="")),
            StorageAccount(**arm(SA, "sa-plain", key_source="Microsoft.Storage")),
        ],
        "disk_encryption_sets": [
            DiskEncryptionSet(**arm(DES, "des-hsm",
                                    encryption_type="EncryptionAtRestWithCustomerKey",
                                    active_key_url="https://hsm-cjis.managedhsm.azure.net/keys/"
                                                   "des-key/0123456789abcdef",
                                    rotation_to_latest_key_version_enabled=True)),
        ],
        "managed_disks": [
            ManagedDisk(**arm(DISK, "disk-cmk", encryption_type="EncryptionAtRestWithCustomerKey",
                              disk_encryption_set_id=arm_id(DES, "des-hsm"))),
            ManagedDisk(**arm(DISK, "disk-pmk",
                              encryption_type="EncryptionAtRestWithPlatformKey")),
        ],
        "sql_servers": [
            SqlServer(**arm(SQL, "sql-cmk", tde_protector_kind="AzureKeyVault",
                            tde_key_uri="https://kv-standard.vault.azure.net/keys/cmk-sql/"
                                        "fedcba9876543210", tde_auto_rotation=False)),
        ],
        "cosmos_accounts": [
            CosmosAccount(**arm(COSMOS, "cosmos-plain")),
            CosmosAccount(**arm(COSMOS, "cosmos-elsewhere",
                                key_vault_key_uri="https://kv-elsewhere.vault.azure.net/keys/k")),
        ],
    }
    fields.update(extra)
    return inventory(**fields)


# --- tenant_cmk_architecture_evidence -------------------------------------------------------


def test_cmk_architecture_is_manual_with_the_table() -> None:
    found = verdicts("tenant_cmk_architecture_evidence", cmk_inventory())
    assert set(found) == {TENANT_ID}
    verdict = found[TENANT_ID]
    assert verdict.status == Status.MANUAL
    rows = {row["store"]: row for row in verdict.evidence["stores"]}
    assert set(rows) == {arm_id(SA, "sa-cmk"), arm_id(SA, "sa-logs"), arm_id(DES, "des-hsm"),
                         arm_id(SQL, "sql-cmk"), arm_id(COSMOS, "cosmos-elsewhere")}
    storage = rows[arm_id(SA, "sa-cmk")]
    assert storage == {
        "store": arm_id(SA, "sa-cmk"),
        "store_type": "microsoft.storage/storageaccounts",
        "key_uri": "https://kv-premium.vault.azure.net/keys/cmk-storage",
        "key_store": arm_id(KV, "kv-premium"),
        "key_store_kind": "premium vault",
        "kty": "RSA-HSM",
        # Decided where Azure says it (scanner.fips): hsmPlatform is not in the ARM body.
        "fips_level": UNDETERMINED,
        "rotation": "policy (rotate P90D)",
        "follows_latest_key_version": True,
        "soft_delete": True,
        "purge_protection": True,
    }
    des = rows[arm_id(DES, "des-hsm")]
    assert des["key_store_kind"] == "managed HSM"
    assert des["fips_level"] == "FIPS 140-3 Level 3 (Managed HSM)"
    assert des["disks"] == [arm_id(DISK, "disk-cmk")]
    assert des["follows_latest_key_version"] is True
    assert des["rotation"].startswith("unknown")
    sql = rows[arm_id(SQL, "sql-cmk")]
    assert (sql["key_store_kind"], sql["kty"], sql["fips_level"]) == (
        "standard vault", "RSA", "FIPS 140-2 Level 1 (software-protected key)")
    assert sql["rotation"] == "none (expiry 2027-01-31 only: not rotation)"
    assert sql["follows_latest_key_version"] is False
    assert sql["purge_protection"] is None
    elsewhere = rows[arm_id(COSMOS, "cosmos-elsewhere")]
    assert elsewhere["key_store"] is None
    assert elsewhere["key_store_kind"].startswith("unknown")
    assert verdict.evidence["stores_without_cmk"] == sorted([
        arm_id(SA, "sa-plain"), arm_id(DISK, "disk-pmk"), arm_id(COSMOS, "cosmos-plain")])
    assert "3 data store(s) without a customer-managed key" in verdict.reason


def test_cmk_architecture_not_applicable_without_stores() -> None:
    inv = inventory(key_vaults=[vault("kv-unused")])
    assert ids_with(Status.NOT_APPLICABLE, "tenant_cmk_architecture_evidence", inv) \
        == {TENANT_ID}


def test_cmk_architecture_unknown_when_stores_unreadable() -> None:
    inv = inventory(errors=[CollectionError(scope=f"/subscriptions/{SUB}",
                                            collector="storage_accounts", status=403,
                                            message="AuthorizationFailed")])
    found = verdicts("tenant_cmk_architecture_evidence", inv)
    assert found[TENANT_ID].status == Status.UNKNOWN
    assert found[TENANT_ID].evidence["incomplete"] == [
        f"storage_accounts at /subscriptions/{SUB}"]


def test_cmk_architecture_notes_gaps_when_partial() -> None:
    inv = cmk_inventory(errors=[CollectionError(scope=arm_id(KV, "kv-premium"),
                                                collector="vault_keys", status=403,
                                                message="Forbidden")])
    verdict = verdicts("tenant_cmk_architecture_evidence", inv)[TENANT_ID]
    assert verdict.status == Status.MANUAL
    assert "incomplete: vault_keys at" in verdict.reason


# --- key_store_administrators ---------------------------------------------------------------


def role(name: str, scope: str, principal: str, guid: str) -> RoleAssignment:
    return RoleAssignment(
        id=f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{name}",
        scope=scope, principal_id=principal, principal_type="User",
        role_definition_id=f"/subscriptions/{SUB}/providers/Microsoft.Authorization/"
                           f"roleDefinitions/{guid}",
    )


OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
UAA = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
KV_ADMIN = "00482a5a-887f-4fb3-b363-3b7fe8e74483"
KV_CRYPTO_OFFICER = "14b46e9e-c2b7-41e4-8b14-b616bfad9dd5"
KV_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
READER = "acdd72a7-3b0f-4ae4-8b4a-3ddc7f8d7c3d"
HSM_CONTRIBUTOR = "18500a29-7fe2-46b2-a342-b16a415e101d"

ROLES = [
    role("r1", f"/subscriptions/{SUB}/resourceGroups/rg-cjis/providers/Microsoft.KeyVault/"
               f"vaults/kv-premium", "p-officer", KV_CRYPTO_OFFICER),
    role("r2", f"/subscriptions/{SUB}/resourceGroups/rg-cjis", "p-owner", OWNER),
    role("r3", f"/subscriptions/{SUB}", "p-contributor", CONTRIBUTOR),
    role("r4", "/", "p-root", UAA),
    role("r5", "/providers/Microsoft.Management/managementGroups/mg-cjis", "p-mg", KV_ADMIN),
    role("r6", arm_id(KV, "kv-premium"), "p-storage-identity", KV_ENCRYPTION_USER),
    role("r7", f"/subscriptions/{SUB}", "p-reader", READER),
    role("r8", f"/subscriptions/{SUB}/resourceGroups/rg-other", "p-other-owner", OWNER),
    role("r9", arm_id(KV, "kv-rbac"), "p-rbac-admin", KV_ADMIN),
    role("r10", arm_id(HSM, "hsm-cjis"), "p-hsm-contributor", HSM_CONTRIBUTOR),
]


def test_key_store_administrators_statuses() -> None:
    inv = cmk_inventory(role_assignments=ROLES, errors=[
        CollectionError(scope=arm_id(KV, "kv-standard"), collector="role_assignments",
                        status=403, message="AuthorizationFailed",
                        remedy="Microsoft.Authorization/roleAssignments/read")])
    check = "key_store_administrators"
    assert ids_with(Status.MANUAL, check, inv) == {
        arm_id(KV, "kv-premium"), arm_id(KV, "kv-rbac"), arm_id(HSM, "hsm-cjis")}
    assert ids_with(Status.NOT_APPLICABLE, check, inv) == {arm_id(KV, "kv-unused")}
    assert ids_with(Status.UNKNOWN, check, inv) == {arm_id(KV, "kv-standard")}


def test_key_store_administrators_evidence() -> None:
    found = verdicts("key_store_administrators", cmk_inventory(role_assignments=ROLES))
    premium = found[arm_id(KV, "kv-premium")]
    assert {r["principal_id"]: r["role"] for r in premium.evidence["role_assignments"]} == {
        "p-officer": "Key Vault Crypto Officer", "p-owner": "Owner",
        "p-contributor": "Contributor", "p-root": "User Access Administrator",
        "p-mg": "Key Vault Administrator"}
    assert premium.evidence["permission_model"] == "access policies"
    assert premium.evidence["access_policies"] == [
        {"object_id": "p-keyadmin", "key_permissions": ["create", "delete", "purge"]},
        {"object_id": "p-all", "key_permissions": ["all"]}]
    assert premium.evidence["cmk_users"] == [arm_id(SA, "sa-cmk")]
    assert "7 principal(s)" in premium.reason

    rbac = found[arm_id(KV, "kv-rbac")]
    assert rbac.evidence["permission_model"] == "Azure RBAC"
    assert rbac.evidence["access_policies"] == []  # ignored under RBAC
    assert {r["principal_id"] for r in rbac.evidence["role_assignments"]} == {
        "p-owner", "p-contributor", "p-root", "p-mg", "p-rbac-admin"}

    hsm = found[arm_id(HSM, "hsm-cjis")]
    assert hsm.evidence["permission_model"] == "Managed HSM local RBAC"
    assert "p-hsm-contributor" in {r["principal_id"] for r in hsm.evidence["role_assignments"]}
    assert "local RBAC" in hsm.reason


def test_key_store_administrators_management_group_ancestry() -> None:
    """With the subscription's ancestors known, another branch's MG role does not count."""
    agency = Subscription(subscription_id=SUB, display_name="Agency",
                          management_group_ancestors=["mg-other", "tenant-root"])
    inv = cmk_inventory(role_assignments=ROLES, subscriptions=[agency])
    premium = verdicts("key_store_administrators", inv)[arm_id(KV, "kv-premium")]
    assert "p-mg" not in {r["principal_id"] for r in premium.evidence["role_assignments"]}



def test_key_store_administrators_inherited_assignments_per_subscription() -> None:
    """Issue 10 item 15: a management-group assignment listed by one subscription covers
    that subscription's stores only, and an inherited one listed by two appears once."""
    other = "00000000-0000-0000-0000-00000000bbbb"
    mg = "/providers/Microsoft.Management/managementGroups/mg-cjis"
    base = role("r-mg", mg, "p-mg-admin", KV_ADMIN)
    sibling = role("r-sibling", "/providers/Microsoft.Management/managementGroups/mg-other",
                   "p-sibling", OWNER)
    inv = cmk_inventory(role_assignments=[
        # The same assignment, as the two subscriptions under mg-cjis list it.
        base.model_copy(update={"applies_to": [SUB]}),
        base.model_copy(update={"applies_to": [other]}),
        # Another branch's group: listed only by the other subscription.
        sibling.model_copy(update={"applies_to": [other]}),
        role("r-root", "/", "p-root", UAA).model_copy(update={"applies_to": [SUB, other]}),
    ])
    premium = verdicts("key_store_administrators", inv)[arm_id(KV, "kv-premium")]
    assert premium.status == Status.MANUAL
    listed = [(r["principal_id"], r["scope"]) for r in premium.evidence["role_assignments"]]
    assert listed == [("p-root", "/"), ("p-mg-admin", mg.lower())]


def test_role_assignments_record_the_listing_subscription() -> None:
    from fixtures.examples import example
    from scanner.collectors import normalize, normalize_policy

    body = example("role_assignments_list_for_subscription.json")["value"][0]
    listed = normalize_policy.role_assignment(body, "A925F2F7-5C63-4B7B-8799-25A5F97BC3B2")
    assert listed.applies_to == ["a925f2f7-5c63-4b7b-8799-25a5f97bc3b2"]
    merged = normalize.merge_listed([listed, listed.model_copy(update={"applies_to": ["b"]})])
    assert len(merged) == 1 and merged[0].applies_to == ["a925f2f7-5c63-4b7b-8799-25a5f97bc3b2",
                                                         "b"]
