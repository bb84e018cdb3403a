"""Analytics: Data Factory, Synapse, Databricks, Data Explorer (Kusto), Stream Analytics,
HDInsight, Data Lake Store Gen1 and Log Analytics dedicated clusters.

CMK-CATALOGUE rows 15-18, 22, 34-36. Field paths are the aliases the built-in policies
read (checks/services/analytics.py cites each). None of the published list bodies carries
a customer-managed key except Kusto's first cluster, Log Analytics' cluster and the
Databricks managed-disk GET. The Data Lake Store list is the thin `DataLakeStoreAccount
Basic` (no encryption at all), so its encryption comes from a GET per account.

`logs` follows Learn's supported resource logs (MicrosoftDocs/azure-reference-other
`azure-monitor-ref/supported-logs/`): none is listed for HDInsight clusters or Log
Analytics dedicated clusters.
"""

from __future__ import annotations

from scanner.kinds.base import Detail, KeyRef, Kind

_DATABRICKS = "properties.encryption.entities"
_SERVICES_KEY = f"{_DATABRICKS}.managedServices.keyVaultProperties"
_HDI_DISK = "properties.diskEncryptionProperties"
_ADLS_KEY = "properties.encryptionConfig.keyVaultMetaInfo"
_ADLS_FIELDS = {"encryption_state": "properties.encryptionState",
                "encryption_type": "properties.encryptionConfig.type",
                "key_vault_id": f"{_ADLS_KEY}.keyVaultResourceId",
                "key_name": f"{_ADLS_KEY}.encryptionKeyName",
                "key_version": f"{_ADLS_KEY}.encryptionKeyVersion"}

KINDS = (
    Kind("data_factories", "Microsoft.DataFactory/factories", "2018-06-01", "Data factory",
         gated=True,
         fields={"cmk_vault_url": "properties.encryption.vaultBaseUrl",
                 "cmk_key_name": "properties.encryption.keyName",
                 "cmk_key_version": "properties.encryption.keyVersion",
                 "public_network_access": "properties.publicNetworkAccess"},
         key=KeyRef(vault="cmk_vault_url", name="cmk_key_name", version="cmk_key_version"),
         logs="", example="azure-examples/datafactory/factories_list.json"),
    Kind("synapse_workspaces", "Microsoft.Synapse/workspaces", "2021-06-01",
         "Synapse workspace", gated=True,
         fields={"cmk_key_name": "properties.encryption.cmk.key.name",
                 # The workspace key's URI (`keys/<name>` of the vault), not the vault's.
                 "cmk_key_url": "properties.encryption.cmk.key.keyVaultUrl",
                 "public_network_access": "properties.publicNetworkAccess"},
         key=KeyRef(uri="cmk_key_url"), logs="",
         example="azure-examples/synapse/workspaces_list.json"),
    Kind("databricks_workspaces", "Microsoft.Databricks/workspaces", "2024-05-01",
         "Databricks workspace", gated=True,
         fields={"services_key_source": f"{_DATABRICKS}.managedServices.keySource",
                 "services_key_vault": f"{_SERVICES_KEY}.keyVaultUri",
                 "services_key_name": f"{_SERVICES_KEY}.keyName",
                 "services_key_version": f"{_SERVICES_KEY}.keyVersion",
                 "disk_key_source": f"{_DATABRICKS}.managedDisk.keySource",
                 "public_network_access": "properties.publicNetworkAccess"},
         key=KeyRef(vault="services_key_vault", name="services_key_name",
                    version="services_key_version"),
         logs="", example="azure-examples/databricks/workspaces_list_by_subscription.json"),
    Kind("kusto_clusters", "Microsoft.Kusto/clusters", "2024-04-13", "Data Explorer cluster",
         gated=True,
         fields={"key_vault_properties": "properties.keyVaultProperties",
                 "key_vault_uri": "properties.keyVaultProperties.keyVaultUri",
                 "key_name": "properties.keyVaultProperties.keyName",
                 "key_version": "properties.keyVaultProperties.keyVersion",
                 "disk_encryption": "properties.enableDiskEncryption",
                 "public_network_access": "properties.publicNetworkAccess"},
         key=KeyRef(vault="key_vault_uri", name="key_name", version="key_version"), logs="",
         example="azure-examples/kusto/clusters_list.json"),
    # No resource logs of its own: the logs it holds are its linked workspaces'.
    Kind("log_analytics_clusters", "Microsoft.OperationalInsights/clusters", "2025-07-01",
         "Log Analytics dedicated cluster", gated=True,
         fields={"key_vault_properties": "properties.keyVaultProperties",
                 "key_vault_uri": "properties.keyVaultProperties.keyVaultUri",
                 "key_name": "properties.keyVaultProperties.keyName",
                 "key_version": "properties.keyVaultProperties.keyVersion"},
         key=KeyRef(vault="key_vault_uri", name="key_name", version="key_version"),
         example="azure-examples/loganalytics/clusters_list_by_subscription.json"),
    # The job's own data (queries, checkpoints, reference data) is customer-managed only
    # through a storage account of the agency's: its key is that account's.
    Kind("stream_analytics_jobs", "Microsoft.StreamAnalytics/streamingjobs", "2020-03-01",
         "Stream Analytics job", gated=True,
         fields={"content_storage_policy": "properties.contentStoragePolicy",
                 "job_storage_account": "properties.jobStorageAccount.accountName"},
         logs="",
         example="azure-examples/streamanalytics/streaming_jobs_list_by_subscription.json"),
    # Cluster logs go through the Azure Monitor agent integration, not diagnostic settings.
    Kind("hdinsight_clusters", "Microsoft.HDInsight/clusters", "2021-06-01",
         "HDInsight cluster", gated=True,
         fields={"disk_key_vault_uri": f"{_HDI_DISK}.vaultUri",
                 "disk_key_name": f"{_HDI_DISK}.keyName",
                 "disk_key_version": f"{_HDI_DISK}.keyVersion",
                 "encryption_at_host": f"{_HDI_DISK}.encryptionAtHost",
                 "encryption_in_transit":
                     "properties.encryptionInTransitProperties.isEncryptionInTransitEnabled",
                 # Seen in the published CreateHDInsightClusterWithTLS12 response (2021-06-01).
                 "min_tls_version": "properties.minSupportedTlsVersion"},
         key=KeyRef(vault="disk_key_vault_uri", name="disk_key_name",
                    version="disk_key_version"),
         example="azure-examples/hdinsight/clusters_list.json"),
    # Gen1 (retired February 2024; judged while it still holds data). The list carries
    # none of these fields (the GET fills them); its key is named by the vault's resource
    # id, resolved to the vault's URI in checks/services/bigdata.py.
    Kind("data_lake_store_accounts", "Microsoft.DataLakeStore/accounts", "2016-11-01",
         "Data Lake Storage Gen1 account", gated=True, fields=_ADLS_FIELDS,
         key=KeyRef(vault="key_vault_id", name="key_name", version="key_version"),
         details=(Detail("account", "", _ADLS_FIELDS,
                         example="azure-examples/datalakestore/account_get.json"),),
         logs="", example="azure-examples/datalakestore/accounts_list.json"),
)
