"""Key store and CMK key checks over small inventories: exact pass / fail / unknown / n/a sets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from fixtures.examples import example
from scanner.collectors import normalize
from scanner.findings import Status
from scanner.inventory import (
    CollectionError,
    DiskEncryptionSet,
    KeyVault,
    ManagedDisk,
    ManagedHsm,
    RotationPolicy,
    SqlServer,
    StorageAccount,
    VaultKey,
)
from tests.checks.helpers import SUB, TENANT, arm_id, ids_with, inventory, statuses, verdicts

KV = "Microsoft.KeyVault/vaults"
HSM = "Microsoft.KeyVault/managedHSMs"
SA = "Microsoft.Storage/storageAccounts"
DES = "Microsoft.Compute/diskEncryptionSets"
OTHER_SUB = "00000000-0000-0000-0000-00000000bbbb"
TENANT_ID = f"/tenants/{TENANT}"


def common(kind_path: str, name: str) -> dict[str, Any]:
    return {"id": arm_id(kind_path, name), "name": name, "type": kind_path, "location": "eastus",
            "subscription_id": SUB, "resource_group": "rg-cjis"}


def vault(name: str, sku: str | None = "premium", **props: Any) -> KeyVault:
    fields = {"sku_name": sku, "vault_uri": f"https://{name}.vault.azure.net/",
              "soft_delete": True, "purge_protection": True, **props}
    return KeyVault(**common(KV, name), **fields)


def hsm(name: str, **props: Any) -> ManagedHsm:
    fields = {"sku_name": "Standard_B1", "hsm_uri": f"https://{name}.managedhsm.azure.net",
              "soft_delete": True, "purge_protection": True, **props}
    return ManagedHsm(**common(HSM, name), **fields)


def key_uri(store: str, key: str, version: str = "") -> str:
    suffix = "managedhsm.azure.net" if store.startswith("hsm") else "vault.azure.net"
    host = f"{store}.{suffix}"
    return f"https://{host}/keys/{key}" + (f"/{version}" if version else "")


def cmk_account(name: str, store: str, key: str) -> StorageAccount:
    """A storage account whose CMK is `key` in `store`: makes the key a CMK in use."""
    return StorageAccount(**common(SA, name), sku_name="Standard_LRS",
                          key_source="Microsoft.Keyvault",
                          key_vault_uri=f"https://{store}.vault.azure.net", key_name=key,
                          key_version="")


def cmk_des(name: str, store: str, key: str) -> DiskEncryptionSet:
    """A disk encryption set wrapping disk keys with `key` in `store` (a vault or an HSM)."""
    return DiskEncryptionSet(**common(DES, name), encryption_type="EncryptionAtRestWithCustomerKey",
                             active_key_url=key_uri(store, key, "6ad4d7e4a5e44bb0b53e4e1d8b5f3c3e"),
                             rotation_to_latest_key_version_enabled=True)


def vkey(store: str, name: str, **props: Any) -> VaultKey:
    vault_id = arm_id(KV, store)
    return VaultKey(id=f"{vault_id}/keys/{name}", vault_id=vault_id, name=name,
                    key_uri=key_uri(store, name), enabled=True, **props)


def kv(name: str) -> str:
    return arm_id(KV, name)


def mhsm(name: str) -> str:
    return arm_id(HSM, name)


def key_id(store: str, name: str) -> str:
    return f"{arm_id(HSM if store.startswith('hsm') else KV, store)}/keys/{name}"


def by_status(check_id: str, inv: Any) -> dict[Status, set[str]]:
    found: dict[Status, set[str]] = {}
    for rid, status in statuses(check_id, inv).items():
        found.setdefault(status, set()).add(rid)
    return found


def _err(scope: str, collector: str) -> CollectionError:
    return CollectionError(scope=scope, collector=collector, status=403,
                           code="AuthorizationFailed", message="forbidden",
                           remedy="Reader on the scope")


# --- key_store_hsm_tier ------------------------------------------------------------------------


def tier_inventory(**extra: Any) -> Any:
    return inventory(
        key_vaults=[vault("pass-premium"), vault("fail-standard", "standard"),
                    vault("unknown-nosku", None), vault("na-unused-standard", "standard")],
        managed_hsms=[hsm("hsm-pass"), hsm("hsm-na-unused")],
        storage_accounts=[cmk_account("sa-1", "pass-premium", "cmk-sa"),
                          cmk_account("sa-2", "fail-standard", "cmk-sa"),
                          cmk_account("sa-3", "unknown-nosku", "cmk-sa")],
        disk_encryption_sets=[cmk_des("des-1", "hsm-pass", "cmk-disk"),
                              cmk_des("des-2", "fail-standard", "cmk-disk")],
        **extra,
    )


def test_key_store_hsm_tier() -> None:
    inv = tier_inventory()
    assert by_status("key_store_hsm_tier", inv) == {
        Status.PASS: {kv("pass-premium"), mhsm("hsm-pass")},
        Status.FAIL: {kv("fail-standard")},
        Status.UNKNOWN: {kv("unknown-nosku")},
        Status.NOT_APPLICABLE: {kv("na-unused-standard"), mhsm("hsm-na-unused")},
    }
    v = verdicts("key_store_hsm_tier", inv)
    assert v[kv("fail-standard")].evidence == {
        "sku": "standard",
        "cmk_users": sorted([arm_id(SA, "sa-2"), arm_id(DES, "des-2")]),
    }
    assert "standard" in v[kv("fail-standard")].reason


def test_key_store_unused_is_unknown_when_cmk_users_unread() -> None:
    # A SQL server whose TDE protector could not be read may keep its CMK in any vault.
    inv = tier_inventory(errors=[_err(f"/subscriptions/{OTHER_SUB}", "sql_servers")])
    assert by_status("key_store_hsm_tier", inv) == {
        Status.PASS: {kv("pass-premium"), mhsm("hsm-pass")},
        Status.FAIL: {kv("fail-standard")},
        Status.UNKNOWN: {kv("unknown-nosku"), kv("na-unused-standard"), mhsm("hsm-na-unused")},
    }
    assert by_status("key_store_purge_protection", inv) == {
        Status.PASS: {kv("pass-premium"), mhsm("hsm-pass"), kv("fail-standard"),
                      kv("unknown-nosku")},
        Status.UNKNOWN: {kv("na-unused-standard"), mhsm("hsm-na-unused")},
    }
    reason = verdicts("key_store_hsm_tier", inv)[kv("na-unused-standard")].reason
    assert "could not read sql_servers for /subscriptions/" in reason


# --- key_store_purge_protection ---------------------------------------------------------------


def test_key_store_purge_protection() -> None:
    stores = ["pass-both", "pass-softdelete-absent", "fail-purge-absent", "fail-purge-false",
              "fail-softdelete-false", "hsm-pass", "hsm-fail-purge-false"]
    inv = inventory(
        key_vaults=[
            vault("pass-both"),
            vault("pass-softdelete-absent", soft_delete=None),
            vault("fail-purge-absent", purge_protection=None),
            vault("fail-purge-false", purge_protection=False),
            vault("fail-softdelete-false", soft_delete=False),
            vault("na-unused", purge_protection=None),
        ],
        managed_hsms=[hsm("hsm-pass"), hsm("hsm-fail-purge-false", purge_protection=False)],
        disk_encryption_sets=[cmk_des(f"des-{s}", s, "cmk") for s in stores],
    )
    assert by_status("key_store_purge_protection", inv) == {
        Status.PASS: {kv("pass-both"), kv("pass-softdelete-absent"), mhsm("hsm-pass")},
        Status.FAIL: {kv("fail-purge-absent"), kv("fail-purge-false"),
                      kv("fail-softdelete-false"), mhsm("hsm-fail-purge-false")},
        Status.NOT_APPLICABLE: {kv("na-unused")},
    }
    v = verdicts("key_store_purge_protection", inv)
    assert "soft-delete-overview" in v[kv("pass-softdelete-absent")].reason
    assert "enablePurgeProtection is absent" in v[kv("fail-purge-absent")].reason
    assert v[kv("fail-purge-false")].evidence["purge_protection"] is False


# --- cmk_key_hsm_backed and cmk_key_rotation_policy ----------------------------------------------


def cmk_key_inventory(**extra: Any) -> Any:
    names = ["pass-rsa-hsm", "pass-ec-hsm", "pass-oct-hsm", "fail-rsa", "fail-ec",
             "unknown-nokty", "unknown-notread", "pass-policy", "fail-expiry-only",
             "fail-norotation", "fail-policy-without-rotate"]
    return inventory(
        key_vaults=[vault("kv-cjis")],
        managed_hsms=[hsm("hsm-cjis")],
        vault_keys=[
            vkey("kv-cjis", "pass-rsa-hsm", kty="RSA-HSM"),
            vkey("kv-cjis", "pass-ec-hsm", kty="EC-HSM"),
            vkey("kv-cjis", "pass-oct-hsm", kty="oct-HSM"),
            vkey("kv-cjis", "fail-rsa", kty="RSA"),
            vkey("kv-cjis", "fail-ec", kty="EC"),
            vkey("kv-cjis", "unknown-nokty", kty=None),
            vkey("kv-cjis", "pass-policy", kty="RSA-HSM",
                 rotation_policy=RotationPolicy(rotate_after="P18M", expiry_time="P2Y")),
            vkey("kv-cjis", "fail-expiry-only", kty="RSA-HSM",
                 expires=datetime(2027, 1, 31, tzinfo=UTC)),
            vkey("kv-cjis", "fail-norotation", kty="RSA-HSM"),
            vkey("kv-cjis", "fail-policy-without-rotate", kty="RSA-HSM",
                 rotation_policy=RotationPolicy(rotate_after=None, expiry_time="P2Y")),
        ],
        storage_accounts=[cmk_account(f"sa-{n}", "kv-cjis", n) for n in names]
        + [cmk_account("sa-elsewhere", "kv-other-tenant", "unknown-nostore")],
        disk_encryption_sets=[cmk_des("des-hsm", "hsm-cjis", "hsm-key")],
        **extra,
    )


def test_cmk_key_hsm_backed() -> None:
    inv = cmk_key_inventory()
    rotation_keys = {"pass-policy", "fail-expiry-only", "fail-norotation",
                     "fail-policy-without-rotate"}
    assert by_status("cmk_key_hsm_backed", inv) == {
        Status.PASS: {key_id("kv-cjis", n) for n in ("pass-rsa-hsm", "pass-ec-hsm",
                                                    "pass-oct-hsm", *rotation_keys)},
        Status.FAIL: {key_id("kv-cjis", "fail-rsa"), key_id("kv-cjis", "fail-ec")},
        # hsm-key is not among the Managed HSM's keys read (tests/checks/test_managed_hsm_keys.py
        # judges the ones that are).
        Status.UNKNOWN: {key_id("kv-cjis", "unknown-nokty"), key_id("kv-cjis", "unknown-notread"),
                         key_id("hsm-cjis", "hsm-key"),
                         key_uri("kv-other-tenant", "unknown-nostore")},
    }
    v = verdicts("cmk_key_hsm_backed", inv)
    assert v[key_id("kv-cjis", "fail-rsa")].reason == \
        "key type is RSA: software-protected, not HSM-backed"
    assert v[key_id("kv-cjis", "fail-rsa")].evidence["used_by"] == [arm_id(SA, "sa-fail-rsa")]
    assert "not in the inventory" in v[key_uri("kv-other-tenant", "unknown-nostore")].reason
    assert "not read" in v[key_id("kv-cjis", "unknown-notread")].reason


def test_cmk_key_rotation_policy() -> None:
    inv = cmk_key_inventory()
    found = by_status("cmk_key_rotation_policy", inv)
    assert found[Status.PASS] == {key_id("kv-cjis", "pass-policy")}
    # Every key without a Rotate action fails (an expiry alone is not rotation, built-in
    # d8cf8476), whatever its name says for the HSM check.
    assert found[Status.FAIL] == {key_id("kv-cjis", n) for n in (
        "fail-expiry-only", "fail-norotation", "fail-policy-without-rotate", "pass-rsa-hsm",
        "pass-ec-hsm", "pass-oct-hsm", "fail-rsa", "fail-ec", "unknown-nokty")}
    assert found[Status.UNKNOWN] == {key_id("kv-cjis", "unknown-notread"),
                                     key_id("hsm-cjis", "hsm-key"),
                                     key_uri("kv-other-tenant", "unknown-nostore")}
    assert set(found) == {Status.PASS, Status.FAIL, Status.UNKNOWN}
    v = verdicts("cmk_key_rotation_policy", inv)
    assert "P18M" in v[key_id("kv-cjis", "pass-policy")].reason
    expiry_only = v[key_id("kv-cjis", "fail-expiry-only")].reason
    assert "2027-01-31" in expiry_only and "an expiry date alone is not rotation" in expiry_only
    assert "P2Y" in v[key_id("kv-cjis", "fail-policy-without-rotate")].reason
    assert "not found in the keys read from Managed HSM" in v[key_id("hsm-cjis", "hsm-key")].reason


def _published_rotation_policy(keep: str | None) -> dict[str, Any]:
    """The GetKeyRotationPolicy example (Rotate after P90D, Notify 30 days before expiry,
    expiryTime P2Y), optionally keeping only the lifetime action of type `keep`."""
    policy = example("keyvault/dataplane_key_rotation_policy_get.json")
    if keep is not None:
        policy["lifetimeActions"] = [a for a in policy["lifetimeActions"]
                                     if a["action"]["type"] == keep]
    return policy


@pytest.mark.parametrize(("keep", "expected"), [
    (None, Status.PASS),        # Rotate after P90D
    ("Notify", Status.FAIL),    # only a notification 30 days before the P2Y expiry
])
def test_cmk_key_rotation_policy_from_published_body(keep: str | None, expected: Status) -> None:
    # The ARM Keys_Get example, with the published rotation policy under
    # properties.rotationPolicy (where the management plane returns it).
    body = example("keyvault/key_get.json")
    body["properties"]["kty"] = "RSA-HSM"
    body["properties"]["rotationPolicy"] = _published_rotation_policy(keep)
    store = vault("kv-cjis")
    key = normalize.vault_key(body, store.id).model_copy(
        update={"id": key_id("kv-cjis", "sample-key-name")})
    inv = inventory(key_vaults=[store], vault_keys=[key],
                    storage_accounts=[cmk_account("sa-1", "kv-cjis", "sample-key-name")])
    v = verdicts("cmk_key_rotation_policy", inv)[key_id("kv-cjis", "sample-key-name")]
    assert v.status is expected
    if expected is Status.FAIL:
        assert "P2Y" in v.reason and "not rotation" in v.reason
    else:
        assert "P90D" in v.reason


@pytest.mark.parametrize("check_id", ["cmk_key_hsm_backed", "cmk_key_rotation_policy"])
def test_cmk_key_vault_keys_unreadable(check_id: str) -> None:
    # The keys of kv-cjis could not be listed: the engine answers unknown for its CMKs.
    inv = inventory(
        key_vaults=[vault("kv-cjis"), vault("kv-read")],
        vault_keys=[vkey("kv-read", "pass-key", kty="RSA-HSM",
                         rotation_policy=RotationPolicy(rotate_after="P1Y"))],
        storage_accounts=[cmk_account("sa-1", "kv-cjis", "unknown-key"),
                          cmk_account("sa-2", "kv-read", "pass-key")],
        errors=[_err(kv("kv-cjis"), "vault_keys")],
    )
    assert by_status(check_id, inv) == {
        Status.PASS: {key_id("kv-read", "pass-key")},
        Status.UNKNOWN: {key_id("kv-cjis", "unknown-key")},
    }
    assert "could not read vault_keys" in verdicts(check_id, inv)[
        key_id("kv-cjis", "unknown-key")].reason


# --- tenant_hsm_key_store_exists -----------------------------------------------------------------


def cji_disk() -> ManagedDisk:
    return ManagedDisk(**common("Microsoft.Compute/disks", "disk-1"),
                       encryption_type="EncryptionAtRestWithPlatformKey")


@pytest.mark.parametrize(("lists", "expected"), [
    ({"managed_disks": [cji_disk()], "key_vaults": [vault("kv-p")]}, Status.PASS),
    ({"sql_servers": [SqlServer(**common("Microsoft.Sql/servers", "sql-1"))],
      "managed_hsms": [hsm("hsm-1")], "key_vaults": [vault("kv-s", "standard")]}, Status.PASS),
    ({"managed_disks": [cji_disk()], "key_vaults": [vault("kv-s", "standard")]}, Status.FAIL),
    ({"managed_disks": [cji_disk()]}, Status.FAIL),
    ({"managed_disks": [cji_disk()], "key_vaults": [vault("kv-s", "standard")],
      "errors": [_err(f"/subscriptions/{OTHER_SUB}", "managed_hsms")]}, Status.UNKNOWN),
    ({"key_vaults": [vault("kv-s", "standard")]}, Status.NOT_APPLICABLE),
    ({"errors": [_err(f"/subscriptions/{OTHER_SUB}", "storage_accounts")]}, Status.UNKNOWN),
    # A tenant-wide error of a needed collector: the engine answers without the check.
    ({"managed_disks": [cji_disk()], "errors": [_err(TENANT_ID, "key_vaults")]}, Status.UNKNOWN),
], ids=["pass-premium", "pass-hsm", "fail-standard-only", "fail-no-vault",
        "unknown-hsm-list-unread", "na-no-cji-store", "unknown-stores-unread",
        "unknown-engine-tenant-error"])
def test_tenant_hsm_key_store_exists(lists: dict[str, Any], expected: Status) -> None:
    inv = inventory(**lists)
    assert statuses("tenant_hsm_key_store_exists", inv) == {TENANT_ID: expected}


def test_tenant_hsm_key_store_evidence() -> None:
    inv = inventory(managed_disks=[cji_disk()], key_vaults=[vault("kv-s", "standard")])
    v = verdicts("tenant_hsm_key_store_exists", inv)[TENANT_ID]
    assert v.evidence["cji_stores"]["managed_disks"] == 1
    assert v.evidence["standard_vaults"] == 1
    assert "1 CJI data store(s)" in v.reason
    engine = verdicts("tenant_hsm_key_store_exists", inventory(
        managed_disks=[cji_disk()], errors=[_err(TENANT_ID, "key_vaults")]))[TENANT_ID]
    assert "could not read key_vaults" in engine.reason


# --- key_vault_public_network_restricted ------------------------------------------------------


def test_key_vault_public_network_restricted() -> None:
    inv = inventory(key_vaults=[
        vault("pass-disabled", public_network_access="Disabled"),
        vault("pass-deny", public_network_access="Enabled", network_default_action="Deny"),
        vault("fail-allow", public_network_access="Enabled", network_default_action="Allow"),
        vault("fail-enabled", public_network_access="Enabled"),
        vault("fail-absent"),
    ])
    assert by_status("key_vault_public_network_restricted", inv) == {
        Status.PASS: {kv("pass-disabled"), kv("pass-deny")},
        Status.FAIL: {kv("fail-allow"), kv("fail-enabled"), kv("fail-absent")},
    }
    v = verdicts("key_vault_public_network_restricted", inv)
    assert "https://learn.microsoft.com/azure/key-vault/general/network-security" in \
        v[kv("fail-absent")].reason
    assert "Allow" in v[kv("fail-allow")].reason


# --- collection errors over key stores: the engine answers unknown --------------------------


@pytest.mark.parametrize("check_id", ["key_store_hsm_tier", "key_store_purge_protection",
                                      "key_vault_public_network_restricted"])
def test_key_store_collection_error_gives_unknown(check_id: str) -> None:
    inv = inventory(
        key_vaults=[vault("pass-read", public_network_access="Disabled"),
                    vault("unknown-unreadable", public_network_access="Disabled")],
        storage_accounts=[cmk_account("sa-1", "pass-read", "k"),
                          cmk_account("sa-2", "unknown-unreadable", "k")],
        errors=[_err(kv("unknown-unreadable"), "key_vaults"),
                _err(f"/subscriptions/{OTHER_SUB}", "key_vaults")],
    )
    assert by_status(check_id, inv) == {
        Status.PASS: {kv("pass-read")},
        Status.UNKNOWN: {kv("unknown-unreadable"), f"/subscriptions/{OTHER_SUB}"},
    }
    assert "could not read key_vaults" in verdicts(check_id, inv)[kv("unknown-unreadable")].reason


def test_managed_hsm_collection_error_gives_unknown() -> None:
    inv = inventory(
        managed_hsms=[hsm("hsm-pass"), hsm("hsm-unknown")],
        disk_encryption_sets=[cmk_des("des-1", "hsm-pass", "k"),
                              cmk_des("des-2", "hsm-unknown", "k")],
        errors=[_err(mhsm("hsm-unknown"), "managed_hsms")],
    )
    assert ids_with(Status.PASS, "key_store_hsm_tier", inv) == {mhsm("hsm-pass")}
    assert ids_with(Status.UNKNOWN, "key_store_hsm_tier", inv) == {mhsm("hsm-unknown")}


# Recorded: Cloud Custodian cassette KeyVaultTest.test_update_access_policy.json
# (shared/recordings/cloud-custodian), vault cckeyvault1zd2yzvhwvtnsu: Deny by default, IP
# rules admitting all of IPv4 but 127.0.0.0/8.
RECORDED_NETWORK_ACLS = {"bypass": "AzureServices", "defaultAction": "Deny", "ipRules": [
    {"value": "0.0.0.0/2"}, {"value": "64.0.0.0/3"}, {"value": "96.0.0.0/4"},
    {"value": "112.0.0.0/5"}, {"value": "120.0.0.0/6"}, {"value": "124.0.0.0/7"},
    {"value": "126.0.0.0/8"}, {"value": "128.0.0.0/1"}], "virtualNetworkRules": []}


def _vault_with_acls(name: str, acls: dict[str, Any]) -> KeyVault:
    body = example("keyvault/vaults_list_by_subscription.json")["value"][0]
    body["id"] = arm_id(KV, name)
    body["name"] = name
    body["properties"].pop("publicNetworkAccess", None)
    body["properties"]["networkAcls"] = acls
    return normalize.key_vault(body, SUB)


def test_key_vault_ip_rules_admitting_the_internet_are_public() -> None:
    halves = {"defaultAction": "Deny", "ipRules": [{"value": "0.0.0.0/1"},
                                                   {"value": "128.0.0.0/1"}]}
    office = {"defaultAction": "Deny", "ipRules": [{"value": "203.0.113.0/24"},
                                                   {"value": "198.51.100.7"}]}
    a_slash_8 = {"defaultAction": "Deny", "ipRules": [{"value": "20.0.0.0/8"}]}
    garbled = {"defaultAction": "Deny", "ipRules": [{"value": "not-an-address"}]}
    inv = inventory(key_vaults=[
        _vault_with_acls("fail-recorded", RECORDED_NETWORK_ACLS),
        _vault_with_acls("fail-halves", halves),
        _vault_with_acls("pass-office", office),
        _vault_with_acls("pass-slash-8", a_slash_8),
        _vault_with_acls("unknown-garbled", garbled),
    ])
    assert by_status("key_vault_public_network_restricted", inv) == {
        Status.FAIL: {kv("fail-recorded"), kv("fail-halves")},
        Status.PASS: {kv("pass-office"), kv("pass-slash-8")},
        Status.UNKNOWN: {kv("unknown-garbled")},
    }
    v = verdicts("key_vault_public_network_restricted", inv)
    assert "100.0% of IPv4" in v[kv("fail-halves")].reason
    assert v[kv("fail-recorded")].evidence["admitted_ipv4_addresses"] == 2 ** 32 - 2 ** 24
    assert v[kv("pass-office")].evidence["ip_rules"] == ["203.0.113.0/24", "198.51.100.7"]
    assert "not-an-address" in v[kv("unknown-garbled")].reason
