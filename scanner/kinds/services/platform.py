"""Platform stores: App Configuration, Redis Enterprise (Azure Managed Redis) and NetApp
accounts.

CMK-CATALOGUE rows 13, 28 and 29. The App Configuration list publishes an explicit
`keyIdentifier: null` under the Microsoft-managed key; the Redis Enterprise list and the
NetApp GET carry no `encryption` block. Redis Enterprise's resource logs are on its
database (always named `default`: Learn, supported logs for
Microsoft.Cache/redisEnterprise/databases); NetApp accounts emit none.
"""

from __future__ import annotations

from scanner.kinds.base import KeyRef, Kind

KINDS = (
    Kind("app_configuration_stores", "Microsoft.AppConfiguration/configurationStores",
         "2024-06-01", "App Configuration store", gated=True,
         fields={"cmk_key_id": "properties.encryption.keyVaultProperties.keyIdentifier",
                 "public_network_access": "properties.publicNetworkAccess"},
         key=KeyRef(uri="cmk_key_id"), logs="",
         example="azure-examples/appconfiguration/configuration_stores_list.json"),
    Kind("redis_enterprise_clusters", "Microsoft.Cache/redisEnterprise", "2025-04-01",
         "Redis Enterprise (Azure Managed Redis) cluster", gated=True,
         fields={"cmk_block": "properties.encryption.customerManagedKeyEncryption",
                 "cmk_key_url": "properties.encryption.customerManagedKeyEncryption"
                                ".keyEncryptionKeyUrl",
                 "minimum_tls_version": "properties.minimumTlsVersion"},
         key=KeyRef(uri="cmk_key_url"), logs="/databases/default",
         example="azure-examples/redisenterprise/redis_enterprise_list.json"),
    Kind("netapp_accounts", "Microsoft.NetApp/netAppAccounts", "2025-09-01",
         "Azure NetApp Files account", gated=True,
         fields={"key_source": "properties.encryption.keySource",
                 "key_vault_uri": "properties.encryption.keyVaultProperties.keyVaultUri",
                 "key_name": "properties.encryption.keyVaultProperties.keyName"},
         key=KeyRef(vault="key_vault_uri", name="key_name"),
         example="azure-examples/netapp/netapp_account_get.json"),
)
