"""Step 3, protection in use: SQL TDE under a customer-managed key; client-side encryption attested.
"""

from __future__ import annotations

from typing import Any

from scanner.context import CheckContext
from scanner.findings import Status, Verdict
from scanner.inventory import CosmosAccount, SqlServer
from scanner.registry import check, property_check

property_check(
    id="sql_server_tde_cmk",
    title="Azure SQL servers protect TDE with a customer-managed key",
    kinds="sql_servers",
    severity="high",
    rationale=(
        "Transparent data encryption with a service-managed protector leaves the key that "
        "decrypts every database with Microsoft. With an Azure Key Vault protector "
        "(server-side CMK) the agency can revoke it, as CJIS SC-28 on Azure Commercial "
        "relies on."
    ),
    remediation={
        "summary": "Give the server an identity with wrap/unwrap on a key in a Premium vault "
                   "or Managed HSM, then set that key as the TDE protector.",
        "cli": "az sql server tde-key set --resource-group <rg> --server <server> "
               "--server-key-type AzureKeyVault --kid <key-uri>",
        "docs": "https://learn.microsoft.com/azure/azure-sql/database/"
                "transparent-data-encryption-byok-overview",
    },
    needs=("sql_servers",),
    field_name="tde_protector_kind",
    expect=lambda kind: kind == "AzureKeyVault",
    absent=Status.UNKNOWN,
    absent_reason="the server's TDE protector (encryptionProtector 'current') could not be "
                  "read, so whether it is a customer-managed key is unknown",
    pass_reason="the TDE protector is {value} (customer-managed key)",
    fail_reason="the TDE protector is {value}, not AzureKeyVault: Microsoft holds the key",
)


def _cmk_status(store: SqlServer | CosmosAccount) -> dict[str, Any]:
    if isinstance(store, SqlServer):
        return {"tde_protector_kind": store.tde_protector_kind,
                "tde_key_uri": store.tde_key_uri}
    return {"key_vault_key_uri": store.key_vault_key_uri,
            "customer_managed_key": store.key_vault_key_uri is not None}


@check(
    id="database_client_side_encryption_attestation",
    title="Applications writing CJI encrypt it client-side (attestation)",
    kinds=("sql_servers", "cosmos_accounts"),
    severity="medium",
    rationale=(
        "Server-side keys protect data at rest, not from a database engine or an operator "
        "that can query it. Always Encrypted (SQL) and client-side encryption (Cosmos DB) "
        "keep CJI columns and containers encrypted in use (SC-28, SC-39); which columns "
        "hold CJI only the agency knows, so a person must attest it."
    ),
    remediation={
        "summary": "Encrypt CJI columns with Always Encrypted (keys in the agency's Key Vault "
                   "or Managed HSM) and CJI containers with the Cosmos DB client-side "
                   "encryption SDK, then attest it for each listed database in the SSP.",
        "cli": "az sql db list --resource-group <rg> --server <server> --query \"[].name\"",
        "docs": "https://learn.microsoft.com/sql/relational-databases/security/encryption/"
                "always-encrypted-database-engine",
    },
)
def database_client_side_encryption_attestation(store: SqlServer | CosmosAccount,
                                                ctx: CheckContext) -> Verdict:
    """Manual: list each SQL server and Cosmos DB account for the client-side attestation."""
    if isinstance(store, SqlServer):
        how = "Always Encrypted on the columns that hold CJI"
        kind = "SQL server"
    else:
        how = "client-side (Always Encrypted) encryption on the containers that hold CJI"
        kind = "Cosmos DB account"
    return Verdict(
        status=Status.MANUAL,
        reason=f"attest that applications writing CJI to {kind} {store.name} use {how}; the "
               f"scanner cannot see inside the data",
        evidence={"store": store.id, "store_type": store.type, **_cmk_status(store)},
    )
