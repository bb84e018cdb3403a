"""SQL TDE protector and the client-side encryption attestation: exact status sets."""

from __future__ import annotations

from typing import Any

from scanner.findings import Status
from scanner.inventory import CollectionError, CosmosAccount, SqlServer
from tests.checks.helpers import SUB, arm_id, ids_with, inventory, key_chain, verdicts

SQL = "Microsoft.Sql/servers"
COSMOS = "Microsoft.DocumentDB/databaseAccounts"
KEY_URI = "https://kv-cjis.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef"
WEAK_URI = "https://kv-standard.vault.azure.net/keys/weak"


def server(name: str, **props: Any) -> SqlServer:
    return SqlServer(id=arm_id(SQL, name), name=name, type=SQL, location="eastus",
                     subscription_id=SUB, resource_group="rg-cjis", **props)


def cosmos(name: str, **props: Any) -> CosmosAccount:
    return CosmosAccount(id=arm_id(COSMOS, name), name=name, type=COSMOS, location="eastus",
                         subscription_id=SUB, resource_group="rg-cjis", **props)


def test_sql_server_tde_cmk() -> None:
    inv = inventory(
        sql_servers=[
            server("pass-sql", tde_protector_kind="AzureKeyVault", tde_key_uri=KEY_URI),
            server("fail-sql", tde_protector_kind="ServiceManaged"),
            # A customer-managed protector whose key is a software key in a Standard vault.
            server("fail-sql-weak-chain", tde_protector_kind="AzureKeyVault",
                   tde_key_uri=WEAK_URI),
            server("unknown-sql"),
            server("unknown-sql-error", tde_protector_kind="AzureKeyVault"),
        ],
        **key_chain(),
        errors=[CollectionError(scope=arm_id(SQL, "unknown-sql-error"), collector="sql_servers",
                                status=403, message="AuthorizationFailed",
                                remedy="Reader on the server")],
    )
    check = "sql_server_tde_cmk"
    assert ids_with(Status.PASS, check, inv) == {arm_id(SQL, "pass-sql")}
    assert ids_with(Status.FAIL, check, inv) == {arm_id(SQL, "fail-sql"),
                                                 arm_id(SQL, "fail-sql-weak-chain")}
    assert ids_with(Status.UNKNOWN, check, inv) == {arm_id(SQL, "unknown-sql"),
                                                    arm_id(SQL, "unknown-sql-error")}
    found = verdicts(check, inv)
    assert "ServiceManaged" in found[arm_id(SQL, "fail-sql")].reason
    assert found[arm_id(SQL, "fail-sql")].evidence == {"tde_protector_kind": "ServiceManaged"}
    assert "403" in found[arm_id(SQL, "unknown-sql-error")].reason


def test_client_side_encryption_attestation_is_manual() -> None:
    inv = inventory(
        sql_servers=[server("manual-sql-cmk", tde_protector_kind="AzureKeyVault",
                            tde_key_uri=KEY_URI),
                     server("manual-sql-smk", tde_protector_kind="ServiceManaged")],
        cosmos_accounts=[cosmos("manual-cosmos-cmk", key_vault_key_uri=
                                "https://kv-cjis.vault.azure.net/keys/cosmos-cmk"),
                         cosmos("manual-cosmos")],
    )
    check = "database_client_side_encryption_attestation"
    expected = {arm_id(SQL, "manual-sql-cmk"), arm_id(SQL, "manual-sql-smk"),
                arm_id(COSMOS, "manual-cosmos-cmk"), arm_id(COSMOS, "manual-cosmos")}
    assert ids_with(Status.MANUAL, check, inv) == expected
    assert set(verdicts(check, inv)) == expected
    found = verdicts(check, inv)
    sql = found[arm_id(SQL, "manual-sql-cmk")]
    assert "Always Encrypted" in sql.reason
    assert sql.evidence["tde_protector_kind"] == "AzureKeyVault"
    assert sql.evidence["tde_key_uri"] == KEY_URI
    plain = found[arm_id(COSMOS, "manual-cosmos")]
    assert "client-side" in plain.reason
    assert plain.evidence["customer_managed_key"] is False
    assert found[arm_id(COSMOS, "manual-cosmos-cmk")].evidence["customer_managed_key"] is True


def test_cosmos_account_cmk_encryption() -> None:
    inv = inventory(
        cosmos_accounts=[
            cosmos("pass-cosmos", key_vault_key_uri="https://kv-cjis.vault.azure.net/keys/cmk"),
            cosmos("fail-cosmos-mmk"),
            cosmos("fail-cosmos-weak", key_vault_key_uri=WEAK_URI),
            # The published body names only the vault: its tier and purge protection are
            # judged, the key's type cannot be.
            cosmos("unknown-cosmos-vault-only", key_vault_key_uri="https://kv-cjis.vault.azure.net"),
            cosmos("unknown-cosmos-foreign",
                   key_vault_key_uri="https://kv-partner.vault.azure.net/keys/shared"),
        ],
        **key_chain(),
    )
    check = "cosmos_account_cmk_encryption"
    assert ids_with(Status.PASS, check, inv) == {arm_id(COSMOS, "pass-cosmos")}
    assert ids_with(Status.FAIL, check, inv) == {arm_id(COSMOS, "fail-cosmos-mmk"),
                                                 arm_id(COSMOS, "fail-cosmos-weak")}
    assert ids_with(Status.UNKNOWN, check, inv) == {arm_id(COSMOS, "unknown-cosmos-vault-only"),
                                                    arm_id(COSMOS, "unknown-cosmos-foreign")}
    found = verdicts(check, inv)
    assert "1f905d99-2ab7-462c-a6b0-f709acca6c8f" in found[arm_id(COSMOS, "fail-cosmos-mmk")].reason
    assert "names the vault but not the key" in found[
        arm_id(COSMOS, "unknown-cosmos-vault-only")].reason


def test_sql_server_transit_and_exposure() -> None:
    inv = inventory(
        sql_servers=[
            server("pass-sql", minimal_tls_version="1.2", public_network_access="Disabled"),
            server("pass-sql-13", minimal_tls_version="1.3", public_network_access="Disabled"),
            server("fail-sql-10", minimal_tls_version="1.0", public_network_access="Enabled"),
            server("fail-sql-none", minimal_tls_version="None"),
            server("unknown-sql-unread", minimal_tls_version="1.2",
                   public_network_access="Disabled"),
        ],
        errors=[CollectionError(scope=arm_id(SQL, "unknown-sql-unread"), collector="sql_servers",
                                status=403, message="AuthorizationFailed")],
    )
    tls, pna = "sql_server_min_tls_1_2", "sql_server_public_network_disabled"
    assert ids_with(Status.PASS, tls, inv) == {arm_id(SQL, "pass-sql"), arm_id(SQL, "pass-sql-13")}
    assert ids_with(Status.FAIL, tls, inv) == {arm_id(SQL, "fail-sql-10"),
                                               arm_id(SQL, "fail-sql-none")}
    assert ids_with(Status.UNKNOWN, tls, inv) == {arm_id(SQL, "unknown-sql-unread")}
    assert ids_with(Status.FAIL, pna, inv) == {arm_id(SQL, "fail-sql-10"),
                                               arm_id(SQL, "fail-sql-none")}
    reasons = verdicts(tls, inv)
    assert "32e6bbec-16b6-44c2-be37-c5b672d103cf" in reasons[arm_id(SQL, "fail-sql-none")].reason
    # Absent (the published body sets none): fails, as the built-in's exists-false does.
    absent = verdicts(tls, inventory(sql_servers=[server("fail-absent")]))
    assert absent[arm_id(SQL, "fail-absent")].status == Status.FAIL
