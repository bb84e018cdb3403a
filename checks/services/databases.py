"""PostgreSQL and MySQL flexible servers: customer-managed keys and public network access."""

from __future__ import annotations

from checks.services.common import CMK, MICROSOFT_MANAGED, PNA_DEFAULT_ENABLED, PUBLIC_NETWORK
from scanner.rules import equals, present, rule

PG_CMK_DOC = "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-data-encryption"
MYSQL_CMK_DOC = "https://learn.microsoft.com/azure/mysql/flexible-server/concepts-customer-managed-key"
PG_NETWORK_DOC = "https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-networking-public"
MYSQL_NETWORK_DOC = "https://learn.microsoft.com/azure/mysql/flexible-server/concepts-networking-public"
CJI_AT_REST = ("CJI at rest on Azure Commercial must be encrypted with a key the agency "
               "controls (CJIS 6.0 step 2), through an HSM-backed key in a Premium vault or "
               "Managed HSM with purge protection.")

rule(
    id="postgresql_flexible_server_cmk_encryption",
    title="PostgreSQL flexible servers encrypt data with a customer-managed key",
    kinds="postgresql_flexible_servers", severity="critical", tags=(CMK,),
    policy="12c74c95-0efd-48da-b8d9-2a7d68470c92",
    rationale=CJI_AT_REST,
    passes=[equals("cmk_type", "AzureKeyVault", absent_reason=MICROSOFT_MANAGED),
            present("cmk_key_uri", "dataEncryption.primaryKeyURI names the key")],
    key_chain=True,
    remediation={"summary": "Data encryption is chosen when the server is created: restore "
                            "or migrate to a server with a user-assigned identity and a "
                            "Premium-vault or Managed HSM key.",
                 "cli": "az postgres flexible-server create --resource-group <rg> --name "
                        "<server> --key <key-uri> --identity <identity-id>",
                 "docs": PG_CMK_DOC},
)

rule(
    id="postgresql_flexible_server_public_network_disabled",
    title="PostgreSQL flexible servers disable public network access",
    kinds="postgresql_flexible_servers", severity="high", tags=(PUBLIC_NETWORK,),
    policy="5e1de0e3-42cb-4ebc-a86d-61d0c619ca48",
    rationale="A database holding CJI reachable from the internet widens the boundary CJIS "
              "SC-7 asks to keep narrow; private access (VNet integration or private "
              "endpoints) keeps it inside the agency's network.",
    passes=[equals("public_network_access", "Disabled", absent_reason=PNA_DEFAULT_ENABLED)],
    remediation={"summary": "Disable public access and reach the server through a private "
                            "endpoint.",
                 "cli": "az postgres flexible-server update --resource-group <rg> --name "
                        "<server> --public-access Disabled",
                 "docs": PG_NETWORK_DOC},
)

rule(
    id="mysql_flexible_server_cmk_encryption",
    title="MySQL flexible servers encrypt data with a customer-managed key",
    kinds="mysql_flexible_servers", severity="critical", tags=(CMK,),
    rationale=CJI_AT_REST + " Azure Policy has no built-in for MySQL flexible servers (its "
              "CMK built-ins target retired single servers): judged as Learn documents "
              "data encryption, dataEncryption.type AzureKeyVault with a primary key.",
    passes=[equals("cmk_type", "AzureKeyVault", absent_reason=MICROSOFT_MANAGED),
            present("cmk_key_uri", "dataEncryption.primaryKeyURI names the key")],
    key_chain=True,
    remediation={"summary": "Add a user-assigned identity with key access and set data "
                            "encryption to a key in a Premium vault or Managed HSM.",
                 "cli": "az mysql flexible-server update --resource-group <rg> --name "
                        "<server> --key <key-uri> --identity <identity-id>",
                 "docs": MYSQL_CMK_DOC},
)

rule(
    id="mysql_flexible_server_public_network_disabled",
    title="MySQL flexible servers disable public network access",
    kinds="mysql_flexible_servers", severity="high", tags=(PUBLIC_NETWORK,),
    policy="c9299215-ae47-4f50-9c54-8a392f68a052",
    rationale="A database holding CJI reachable from the internet widens the boundary CJIS "
              "SC-7 asks to keep narrow.",
    passes=[equals("public_network_access", "Disabled", absent_reason=PNA_DEFAULT_ENABLED)],
    remediation={"summary": "Disable public access and use private access or a private "
                            "endpoint.",
                 "cli": "az mysql flexible-server update --resource-group <rg> --name "
                        "<server> --public-access Disabled",
                 "docs": MYSQL_NETWORK_DOC},
)
