"""App Configuration stores, Redis Enterprise clusters and NetApp accounts: customer-
managed keys (with the key chain), public network access and minimum TLS."""

from __future__ import annotations

from checks.services.common import (
    CMK,
    MICROSOFT_MANAGED,
    MIN_TLS,
    PNA_DEFAULT_ENABLED,
    PUBLIC_NETWORK,
)
from checks.services.databases import CJI_AT_REST
from checks.services.messaging import EXPOSURE, TRANSIT
from scanner.rules import equals, present, rule, tls_at_least

APPCONFIG_CMK_DOC = "https://learn.microsoft.com/azure/azure-app-configuration/concept-customer-managed-keys"
APPCONFIG_NETWORK_DOC = ("https://learn.microsoft.com/azure/azure-app-configuration/"
                         "howto-disable-public-access")
REDIS_CMK_DOC = "https://learn.microsoft.com/azure/redis/how-to-encryption"
REDIS_TLS_DOC = "https://learn.microsoft.com/azure/redis/tls-configuration"
NETAPP_CMK_DOC = ("https://learn.microsoft.com/azure/azure-netapp-files/"
                  "configure-customer-managed-keys")

rule(
    id="app_configuration_store_cmk_encryption",
    title="App Configuration stores encrypt data with a customer-managed key",
    kinds="app_configuration_stores", severity="critical", tags=(CMK,),
    policy="967a4b4b-2da9-43c1-b7d0-f98d0d74d0b1",
    rationale=CJI_AT_REST + " Configuration values of CJI systems (connection details, "
              "feature flags, Key Vault references) are stored data.",
    passes=[present("cmk_key_id", "encryption.keyVaultProperties.keyIdentifier names a key",
                    absent_reason="Azure reports keyIdentifier null (or omits it) when the "
                                  "store uses its Microsoft-managed key")],
    key_chain=True,
    remediation={"summary": "On a Standard or Premium store, give the store a managed "
                            "identity with access to a key in a Premium vault or Managed HSM "
                            "and set it as the encryption key.",
                 "cli": "az appconfig update --resource-group <rg> --name <store> "
                        "--encryption-key-name <key> --encryption-key-vault <vault-uri> "
                        "--identity-client-id <client-id>",
                 "docs": APPCONFIG_CMK_DOC},
)

rule(
    id="app_configuration_store_public_network_disabled",
    title="App Configuration stores disable public network access",
    kinds="app_configuration_stores", severity="high", tags=(PUBLIC_NETWORK,),
    policy="3d9f5e4c-9947-4579-9539-2a7695fbc187",
    rationale=EXPOSURE,
    passes=[equals("public_network_access", "Disabled", absent_reason=PNA_DEFAULT_ENABLED)],
    remediation={"summary": "Disable public network access and reach the store through "
                            "private endpoints.",
                 "cli": "az appconfig update --resource-group <rg> --name <store> "
                        "--enable-public-network false",
                 "docs": APPCONFIG_NETWORK_DOC},
)

rule(
    id="redis_enterprise_cluster_cmk_encryption",
    title="Redis Enterprise clusters encrypt persisted data with a customer-managed key",
    kinds="redis_enterprise_clusters", severity="critical", tags=(CMK,),
    policy="09aa11bb-87ec-409f-bf0b-49b7c1561a87",
    rationale=CJI_AT_REST + " The key encrypts the cluster's disks (persistence, "
              "snapshots); the built-in policy requires "
              "encryption.customerManagedKeyEncryption.",
    passes=[present("cmk_block", "encryption.customerManagedKeyEncryption is set",
                    absent_reason=MICROSOFT_MANAGED)],
    key_chain=True,
    remediation={"summary": "Give the cluster a user-assigned identity with access to a key "
                            "in a Premium vault or Managed HSM and set it as the disk "
                            "encryption key.",
                 "cli": "az redisenterprise update --resource-group <rg> --cluster-name "
                        "<cluster> --key-encryption-key-url <key-uri> --identity-type "
                        "UserAssigned --user-assigned-identity-resource-id <identity-id>",
                 "docs": REDIS_CMK_DOC},
)

rule(
    id="redis_enterprise_cluster_min_tls_1_2",
    title="Redis Enterprise clusters require TLS 1.2 or newer",
    kinds="redis_enterprise_clusters", severity="high", tags=(MIN_TLS,),
    rationale=TRANSIT + " Azure Policy has no built-in for the Redis Enterprise minimum TLS "
                        "version: judged as Learn documents minimumTlsVersion.",
    passes=[tls_at_least("minimum_tls_version",
                         absent_reason="Azure omits minimumTlsVersion on clusters that never "
                                       "set it, so the version they accept is not shown")],
    remediation={"summary": "Set the cluster's minimum TLS version to 1.2.",
                 "cli": "az redisenterprise update --resource-group <rg> --cluster-name "
                        "<cluster> --minimum-tls-version 1.2",
                 "docs": REDIS_TLS_DOC},
)

rule(
    id="netapp_account_cmk_encryption",
    title="Azure NetApp Files accounts encrypt volumes with a customer-managed key",
    kinds="netapp_accounts", severity="critical", tags=(CMK,),
    rationale=CJI_AT_REST + " Azure Policy has no built-in for NetApp customer-managed keys: "
              "judged as Learn documents them, the account's encryption.keySource "
              "Microsoft.KeyVault with a key in the agency's vault (Microsoft.NetApp is the "
              "platform key). Each volume also chooses its key source "
              "(encryptionKeySource); volumes are not read by this check.",
    passes=[equals("key_source", "Microsoft.KeyVault", absent_reason=MICROSOFT_MANAGED)],
    key_chain=True,
    remediation={"summary": "Set the account's encryption to a key in a Premium vault or "
                            "Managed HSM, and create (or migrate) the volumes with key source "
                            "Microsoft.KeyVault.",
                 "cli": "az netappfiles account update --resource-group <rg> --name "
                        "<account> --key-source Microsoft.KeyVault --key-vault-uri "
                        "<vault-uri> --key-name <key> --keyvault-resource-id <vault-id>",
                 "docs": NETAPP_CMK_DOC},
)
