"""Storage account checks over small inventories: exact pass / fail / unknown / n/a sets."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.findings import Status
from scanner.inventory import CollectionError, StorageAccount
from tests.checks.helpers import (
    SUB,
    US_REGIONS,
    arm_id,
    ids_with,
    inventory,
    key_chain,
    statuses,
    verdicts,
)

SA = "Microsoft.Storage/storageAccounts"
OTHER_SUB = "00000000-0000-0000-0000-00000000bbbb"


def _published_eastus() -> Any:
    from fixtures.examples import example
    from scanner.collectors import normalize

    # Subscriptions_ListLocations example: eastus with pairedRegion westus.
    return normalize.region(example("resources/locations_list.json")["value"][0])


PUBLISHED_EASTUS = _published_eastus()


def account(name: str, **props: Any) -> StorageAccount:
    """A well-configured CMK account (every check passes) with `props` overriding it."""
    fields: dict[str, Any] = {
        "id": arm_id(SA, name).replace("microsoft.storage", "Microsoft.Storage"),
        "name": name,
        "type": SA,
        "location": "eastus",
        "subscription_id": SUB,
        "resource_group": "rg-cjis",
        "kind": "StorageV2",
        "sku_name": "Standard_LRS",
        "key_source": "Microsoft.Keyvault",
        "key_vault_uri": "https://kv-cjis.vault.azure.net",
        "key_name": "cmk-storage",
        "key_version": "",
        "require_infrastructure_encryption": True,
        "table_key_type": "Account",
        "queue_key_type": "Account",
        "https_only": True,
        "minimum_tls_version": "TLS1_2",
        "allow_blob_public_access": False,
        "primary_location": "eastus",
    }
    fields.update(props)
    return StorageAccount(**fields)


def sa(name: str) -> str:
    return arm_id(SA, name)


def by_status(check_id: str, inv: Any) -> dict[Status, set[str]]:
    found: dict[Status, set[str]] = {}
    for rid, status in statuses(check_id, inv).items():
        found.setdefault(status, set()).add(rid)
    return found


# --- storage_account_geo_replica_us ---------------------------------------------------------


def test_geo_replica_us() -> None:
    inv = inventory(storage_accounts=[
        account("pass-ragrs", sku_name="Standard_RAGRS", secondary_location="westus"),
        account("pass-gzrs", sku_name="Standard_GZRS", secondary_location="West US"),
        # GZRS / RA-GZRS without secondaryLocation: the primary's paired region (eastus ->
        # westus in the locations list's pairedRegion).
        account("pass-gzrs-paired", sku_name="Standard_GZRS", secondary_location=None),
        account("fail-europe", sku_name="Standard_GRS", location="westeurope",
                primary_location="westeurope", secondary_location="northeurope"),
        account("fail-paired-europe", sku_name="Standard_RAGZRS", location="westeurope",
                primary_location="westeurope", secondary_location=None),
        account("fail-euap", sku_name="Standard_RAGZRS", secondary_location="eastus2euap"),
        account("unknown-stage", sku_name="Standard_GRS",
                secondary_location="northcentralus(stage)"),
        account("unknown-nosecondary", sku_name="Standard_GRS", location="newregion9",
                primary_location="newregion9", secondary_location=None),
        account("unknown-nosku", sku_name=None),
        account("na-lrs", sku_name="Standard_LRS"),
        account("na-zrs", sku_name="Premium_ZRS"),
    ], regions=[*US_REGIONS[1:], PUBLISHED_EASTUS])
    assert by_status("storage_account_geo_replica_us", inv) == {
        Status.PASS: {sa("pass-ragrs"), sa("pass-gzrs"), sa("pass-gzrs-paired")},
        Status.FAIL: {sa("fail-europe"), sa("fail-paired-europe"), sa("fail-euap")},
        Status.UNKNOWN: {sa("unknown-nosecondary"), sa("unknown-nosku"), sa("unknown-stage")},
        Status.NOT_APPLICABLE: {sa("na-lrs"), sa("na-zrs")},
    }
    v = verdicts("storage_account_geo_replica_us", inv)
    assert "northeurope" in v[sa("fail-europe")].reason
    assert v[sa("fail-europe")].evidence["secondary_location"] == "northeurope"
    assert "westus (the paired region of eastus) is a US region" in \
        v[sa("pass-gzrs-paired")].reason
    assert v[sa("pass-gzrs-paired")].evidence["secondary_from_paired_region"] == "westus"
    assert "no paired region of newregion9 is known" in v[sa("unknown-nosecondary")].reason
    assert "not a US production region" not in v[sa("unknown-stage")].reason


def test_geo_replica_from_the_built_in_table_without_regions_list() -> None:
    inv = inventory(regions=[], storage_accounts=[
        account("pass-table", sku_name="Standard_GRS", secondary_location="westus"),
        account("unknown-noregions", sku_name="Standard_GRS", secondary_location="newregion9"),
        account("na-lrs", sku_name="Standard_LRS"),
    ])
    v = verdicts("storage_account_geo_replica_us", inv)
    assert ids_with(Status.UNKNOWN, "storage_account_geo_replica_us", inv) == {
        sa("unknown-noregions")}
    assert ids_with(Status.PASS, "storage_account_geo_replica_us", inv) == {sa("pass-table")}
    assert "neither the locations lists read nor the built-in region table" in \
        v[sa("unknown-noregions")].reason


# --- storage_account_cmk_encryption ---------------------------------------------------------


def test_cmk_encryption() -> None:
    inv = inventory(storage_accounts=[
        account("pass-cmk"),
        account("fail-mmk", key_source="Microsoft.Storage", key_vault_uri=None, key_name=None,
                key_version=None),
        # CMK, but a software key in a Standard vault without purge protection: the store
        # itself fails step 2 (issue 10 item 5), not only its vault and key.
        account("fail-weak-chain", key_vault_uri="https://kv-standard.vault.azure.net",
                key_name="weak"),
        account("fail-software-key", key_name="soft"),
        account("unknown-nosource", key_source=None, key_vault_uri=None, key_name=None),
        account("unknown-noprops", key_vault_uri=None),
        account("unknown-foreign-vault", key_vault_uri="https://kv-partner.vault.azure.net"),
    ], **key_chain())
    assert by_status("storage_account_cmk_encryption", inv) == {
        Status.PASS: {sa("pass-cmk")},
        Status.FAIL: {sa("fail-mmk"), sa("fail-weak-chain"), sa("fail-software-key")},
        Status.UNKNOWN: {sa("unknown-nosource"), sa("unknown-noprops"),
                         sa("unknown-foreign-vault")},
    }
    v = verdicts("storage_account_cmk_encryption", inv)
    assert v[sa("fail-mmk")].reason == "keySource is Microsoft.Storage (Microsoft-managed keys)"
    assert v[sa("pass-cmk")].evidence["key_vault_uri"] == "https://kv-cjis.vault.azure.net"
    weak = v[sa("fail-weak-chain")].reason
    assert "kv-standard is standard" in weak and "no purge protection" in weak
    assert "not HSM-backed" in v[sa("fail-software-key")].reason
    assert "kv-partner.vault.azure.net/keys/cmk-storage" in v[sa("unknown-foreign-vault")].reason


# --- storage_account_cmk_versionless_key ----------------------------------------------------


def test_cmk_versionless_key() -> None:
    inv = inventory(storage_accounts=[
        account("pass-emptyversion", key_version=""),
        account("pass-noversion", key_version=None),
        account("fail-pinned", key_version="0682afdd9c104f4285df20107e956cad"),
        account("na-mmk", key_source="Microsoft.Storage", key_vault_uri=None, key_name=None),
        account("unknown-nosource", key_source=None),
    ])
    assert by_status("storage_account_cmk_versionless_key", inv) == {
        Status.PASS: {sa("pass-emptyversion"), sa("pass-noversion")},
        Status.FAIL: {sa("fail-pinned")},
        Status.NOT_APPLICABLE: {sa("na-mmk")},
        Status.UNKNOWN: {sa("unknown-nosource")},
    }
    v = verdicts("storage_account_cmk_versionless_key", inv)
    assert "0682afdd9c104f4285df20107e956cad" in v[sa("fail-pinned")].reason


# --- the one-property checks ----------------------------------------------------------------


def test_infrastructure_encryption() -> None:
    inv = inventory(storage_accounts=[
        account("pass-infra"),
        account("fail-false", require_infrastructure_encryption=False),
        account("fail-absent", require_infrastructure_encryption=None),
    ])
    assert by_status("storage_account_infrastructure_encryption", inv) == {
        Status.PASS: {sa("pass-infra")},
        Status.FAIL: {sa("fail-false"), sa("fail-absent")},
    }
    reason = verdicts("storage_account_infrastructure_encryption", inv)[sa("fail-absent")].reason
    assert "https://learn.microsoft.com/azure/storage/common/infrastructure-encryption-enable" \
        in reason


def test_https_only() -> None:
    inv = inventory(storage_accounts=[
        account("pass-https"),
        account("fail-http", https_only=False),
        account("unknown-absent", https_only=None),
    ])
    assert by_status("storage_account_https_only", inv) == {
        Status.PASS: {sa("pass-https")},
        Status.FAIL: {sa("fail-http")},
        Status.UNKNOWN: {sa("unknown-absent")},
    }
    reason = verdicts("storage_account_https_only", inv)[sa("unknown-absent")].reason
    assert "2019-04-01" in reason and "https://learn.microsoft.com/" in reason


def test_min_tls() -> None:
    inv = inventory(storage_accounts=[
        account("pass-tls12", minimum_tls_version="TLS1_2"),
        account("pass-tls13", minimum_tls_version="TLS1_3"),
        account("fail-tls10", minimum_tls_version="TLS1_0"),
        account("fail-tls11", minimum_tls_version="TLS1_1"),
        account("fail-absent", minimum_tls_version=None),
    ])
    assert by_status("storage_account_min_tls_1_2", inv) == {
        Status.PASS: {sa("pass-tls12"), sa("pass-tls13")},
        Status.FAIL: {sa("fail-tls10"), sa("fail-tls11"), sa("fail-absent")},
    }
    v = verdicts("storage_account_min_tls_1_2", inv)
    assert "TLS1_1" in v[sa("fail-tls11")].reason
    assert "TLS 1.0" in v[sa("fail-absent")].reason
    assert "https://learn.microsoft.com/" in v[sa("fail-absent")].reason
    assert v[sa("fail-tls10")].evidence == {"minimum_tls_version": "TLS1_0"}


def test_blob_public_access() -> None:
    inv = inventory(storage_accounts=[
        account("pass-disallowed"),
        account("fail-allowed", allow_blob_public_access=True),
        account("fail-absent", allow_blob_public_access=None),
    ])
    assert by_status("storage_account_blob_public_access_disabled", inv) == {
        Status.PASS: {sa("pass-disallowed")},
        Status.FAIL: {sa("fail-allowed"), sa("fail-absent")},
    }
    reason = verdicts("storage_account_blob_public_access_disabled", inv)[sa("fail-absent")].reason
    assert "https://learn.microsoft.com/azure/storage/blobs/anonymous-read-access-prevent" in reason


# --- collection errors: the engine answers unknown without calling the check ----------------

STORAGE_CHECKS = [
    "storage_account_geo_replica_us",
    "storage_account_cmk_encryption",
    "storage_account_cmk_versionless_key",
    "storage_account_infrastructure_encryption",
    "storage_account_https_only",
    "storage_account_min_tls_1_2",
    "storage_account_blob_public_access_disabled",
    "storage_account_table_cmk_encryption",
    "storage_account_queue_cmk_encryption",
]


@pytest.mark.parametrize("check_id", STORAGE_CHECKS)
def test_collection_error_gives_unknown(check_id: str) -> None:
    inv = inventory(
        **key_chain(),
        storage_accounts=[
            account("pass-read", sku_name="Standard_GRS", secondary_location="westus"),
            account("unknown-unreadable", sku_name="Standard_GRS", secondary_location="westus"),
        ],
        errors=[
            CollectionError(scope=sa("unknown-unreadable"), collector="storage_accounts",
                            status=403, code="AuthorizationFailed", message="forbidden",
                            remedy="Reader on the account"),
            CollectionError(scope=f"/subscriptions/{OTHER_SUB}", collector="storage_accounts",
                            status=500, message="internal error"),
        ],
    )
    assert ids_with(Status.PASS, check_id, inv) == {sa("pass-read")}
    assert ids_with(Status.UNKNOWN, check_id, inv) == {sa("unknown-unreadable"),
                                                      f"/subscriptions/{OTHER_SUB}"}
    verdict = verdicts(check_id, inv)[sa("unknown-unreadable")]
    assert "could not read storage_accounts" in verdict.reason
    assert "Reader on the account" in verdict.reason


def test_other_collectors_errors_do_not_affect_storage() -> None:
    inv = inventory(
        storage_accounts=[account("pass-read")],
        errors=[CollectionError(scope=f"/subscriptions/{SUB}", collector="key_vaults",
                                status=403, message="forbidden")],
    )
    assert ids_with(Status.PASS, "storage_account_https_only", inv) == {sa("pass-read")}
    # ... but the CMK's key chain is in a vault the scan could not list: unknown, saying so.
    verdict = verdicts("storage_account_cmk_encryption", inv)[sa("pass-read")]
    assert verdict.status == Status.UNKNOWN
    assert f"could not read key_vaults for /subscriptions/{SUB}" in verdict.reason


def test_tables_and_queues_use_the_accounts_customer_managed_key() -> None:
    inv = inventory(storage_accounts=[
        account("pass-account-keys", table_key_type="Account", queue_key_type="Account"),
        account("fail-service-keys", table_key_type="Service", queue_key_type="Service"),
        # Azure omits keyType when it is the default, Service.
        account("fail-absent", table_key_type=None, queue_key_type=None),
        account("na-microsoft-managed", key_source="Microsoft.Storage", key_vault_uri=None,
                key_name=None, table_key_type="Service"),
        account("unknown-source", key_source=None, key_vault_uri=None, key_name=None),
    ])
    for service, policy in (("table", "7c322315"), ("queue", "f0e5abd0")):
        check = f"storage_account_{service}_cmk_encryption"
        assert by_status(check, inv) == {
            Status.PASS: {sa("pass-account-keys")},
            Status.FAIL: {sa("fail-service-keys"), sa("fail-absent")},
            Status.NOT_APPLICABLE: {sa("na-microsoft-managed"), sa("unknown-source")},
        }
        assert policy in verdicts(check, inv)[sa("fail-absent")].reason
