"""Databases: SQL TDE and Cosmos DB under a customer-managed key (step 2, through the key
chain), and client-side encryption attested (step 3)."""

from __future__ import annotations

from typing import Any

from checks.services.common import CMK, MIN_TLS, PUBLIC_NETWORK
from scanner.context import CheckContext
from scanner.findings import Status, Verdict
from scanner.inventory import CosmosAccount, SqlServer
from scanner.registry import check
from scanner.rules import equals, present, rule, tls_at_least

rule(
    id="sql_server_tde_cmk",
    title="Azure SQL servers protect TDE with a customer-managed key",
    kinds="sql_servers",
    severity="high",
    tags=(CMK,),
    policy="0d134df8-db83-46fb-ad72-fe0c9428c8dd",
    rationale=(
        "Transparent data encryption with a service-managed protector leaves the key that "
        "decrypts every database with Microsoft. With an Azure Key Vault protector "
        "(server-side CMK) in a Premium vault or Managed HSM the agency can revoke it, as "
        "CJIS 6.0 step 2 on Azure Commercial relies on."
    ),
    remediation={
        "summary": "Give the server an identity with wrap/unwrap on a key in a Premium vault "
                   "or Managed HSM, then set that key as the TDE protector.",
        "cli": "az sql server tde-key set --resource-group <rg> --server <server> "
               "--server-key-type AzureKeyVault --kid <key-uri>",
        "docs": "https://learn.microsoft.com/azure/azure-sql/database/"
                "transparent-data-encryption-byok-overview",
    },
    passes=[equals("tde_protector_kind", "AzureKeyVault", label="encryptionProtector.serverKeyType",
                   absent=Status.UNKNOWN,
                   absent_reason="the server's TDE protector (encryptionProtector 'current') "
                                 "could not be read, so whether it is a customer-managed key "
                                 "is unknown")],
    key_chain=True,
)

rule(
    id="cosmos_account_cmk_encryption",
    title="Cosmos DB accounts encrypt data with a customer-managed key",
    kinds="cosmos_accounts",
    severity="critical",
    tags=(CMK,),
    policy="1f905d99-2ab7-462c-a6b0-f709acca6c8f",
    rationale=(
        "A Cosmos DB account holding CJI is encrypted with a Microsoft-managed key unless "
        "keyVaultKeyUri names a key of the agency's; CJIS 6.0 step 2 on Azure Commercial "
        "asks for a customer-managed key in a Premium vault or Managed HSM."
    ),
    remediation={
        "summary": "Customer-managed keys are set when the account is created: create a new "
                   "account with --key-uri (a Premium-vault or Managed HSM key) and migrate.",
        "cli": "az cosmosdb create --name <account> --resource-group <rg> --key-uri <key-uri>",
        "docs": "https://learn.microsoft.com/azure/cosmos-db/how-to-setup-customer-managed-keys",
    },
    passes=[present("key_vault_key_uri", "keyVaultKeyUri names the key", label="keyVaultKeyUri",
                    absent_reason="Azure omits keyVaultKeyUri when the account uses a "
                                  "Microsoft-managed key (the built-in's `exists: false`)")],
    key_chain=True,
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


SQL_TLS_DOC = ("https://learn.microsoft.com/azure/azure-sql/database/"
               "connectivity-settings#minimal-tls-version")
SQL_NETWORK_DOC = ("https://learn.microsoft.com/azure/azure-sql/database/"
                   "connectivity-settings#deny-public-network-access")

rule(
    id="sql_server_min_tls_1_2",
    title="Azure SQL servers require TLS 1.2 or newer",
    kinds="sql_servers",
    severity="high",
    tags=(MIN_TLS,),
    policy="32e6bbec-16b6-44c2-be37-c5b672d103cf",
    rationale=(
        "CJI in transit must be protected with FIPS-approved cryptography (SC-8, SC-13); a "
        "SQL server whose minimal TLS version is unset (or `None`) accepts TLS 1.0 and 1.1."
    ),
    remediation={
        "summary": "Set the server's minimal TLS version to 1.2 (Networking > Connectivity).",
        "cli": "az sql server update --resource-group <rg> --name <server> "
               "--minimal-tls-version 1.2",
        "docs": SQL_TLS_DOC,
    },
    passes=[tls_at_least("minimal_tls_version", label="minimalTlsVersion",
                         absent_reason="Azure omits minimalTlsVersion when none is set: the "
                                       "server then accepts every TLS version")],
)

rule(
    id="sql_server_public_network_disabled",
    title="Azure SQL servers disable public network access",
    kinds="sql_servers",
    severity="high",
    tags=(PUBLIC_NETWORK,),
    policy="1b8ca024-1d5c-4dec-8995-b1a932b41780",
    rationale=(
        "A database server holding CJI reachable from the internet widens the boundary CJIS "
        "SC-7 asks to keep narrow; with public network access disabled it is reached through "
        "private endpoints only."
    ),
    remediation={
        "summary": "Deny public network access and connect through a private endpoint.",
        "cli": "az sql server update --resource-group <rg> --name <server> "
               "--enable-public-network false",
        "docs": SQL_NETWORK_DOC,
    },
    passes=[equals("public_network_access", "Disabled", label="publicNetworkAccess",
                   absent_reason="Azure omits publicNetworkAccess when it holds its default, "
                                 "Enabled (the built-in treats a missing value as "
                                 "non-compliant)")],
)
