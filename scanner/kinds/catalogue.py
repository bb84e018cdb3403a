"""ARM types that can hold customer data at rest, beyond the declared kinds: what coverage
reports as "not assessed" (a CMK-capable store the scanner does not judge yet) or "not
assessable through ARM: attest" (its CMK state is not readable through ARM at all).

Source: ../shared/CMK-CATALOGUE.md (Microsoft's "Services that support customer-managed
keys" list matched to ARM types, with the built-in policy of each; read 2026-12-01).
Declared kinds (scanner.kinds) take precedence: a type declared there is judged.
"""

from __future__ import annotations

NOT_ASSESSABLE: dict[str, str] = {
    "microsoft.web/sites": "App Service and Functions keep no key on the site: CMK comes "
                           "from the storage account behind the app content (judge that "
                           "account), readable only through app settings, which hold secrets",
    "microsoft.web/sites/slots": "as App Service sites",
    "microsoft.insights/components": "Application Insights takes its CMK from the linked "
                                     "Log Analytics workspace's dedicated cluster",
    "microsoft.securityinsights/onboardingstates": "Sentinel's CMK is the dedicated cluster "
                                                   "behind its workspace",
    "microsoft.sqlvirtualmachine/sqlvirtualmachines": "TDE with a Key Vault key is configured "
                                                      "inside SQL Server (EKM), not in ARM",
    "microsoft.cache/redis": "Azure Cache for Redis Basic, Standard and Premium take no "
                             "customer-managed key (only Enterprise tiers do)",
    "microsoft.avs/privateclouds": "Azure VMware Solution: vSAN encryption keys are managed "
                                   "inside vCenter, not in ARM",
    "microsoft.logic/integrationserviceenvironments": "retired; its encryption configuration "
                                                      "is not readable through ARM",
    "microsoft.recoveryservices/vaults/replicationfabrics": "Site Recovery: the replica disks' "
                                                            "disk encryption sets are judged",
}
"""Type -> why its CMK state cannot be read through ARM (attest it instead)."""

DATA_TYPES: dict[str, str] = {
    "microsoft.dbforpostgresql/flexibleservers": "Azure Database for PostgreSQL flexible server",
    "microsoft.dbformysql/flexibleservers": "Azure Database for MySQL flexible server",
    "microsoft.sql/managedinstances": "Azure SQL Managed Instance",
    "microsoft.documentdb/databaseaccounts": "Cosmos DB account",
    "microsoft.servicebus/namespaces": "Service Bus namespace",
    "microsoft.eventhub/namespaces": "Event Hubs namespace",
    "microsoft.eventhub/clusters": "Event Hubs dedicated cluster",
    "microsoft.containerregistry/registries": "Container registry",
    "microsoft.containerservice/managedclusters": "AKS cluster",
    "microsoft.compute/virtualmachinescalesets": "Virtual machine scale set",
    "microsoft.appconfiguration/configurationstores": "App Configuration store",
    "microsoft.batch/batchaccounts": "Batch account",
    "microsoft.datafactory/factories": "Data Factory",
    "microsoft.synapse/workspaces": "Synapse workspace",
    "microsoft.databricks/workspaces": "Databricks workspace",
    "microsoft.kusto/clusters": "Data Explorer cluster",
    "microsoft.cognitiveservices/accounts": "Azure AI services / OpenAI account",
    "microsoft.search/searchservices": "AI Search service",
    "microsoft.machinelearningservices/workspaces": "Machine Learning workspace",
    "microsoft.operationalinsights/clusters": "Log Analytics dedicated cluster",
    "microsoft.recoveryservices/vaults": "Recovery Services vault",
    "microsoft.dataprotection/backupvaults": "Backup vault",
    "microsoft.automation/automationaccounts": "Automation account",
    "microsoft.containerinstance/containergroups": "Container Instances group",
    "microsoft.cache/redisenterprise": "Azure Cache for Redis Enterprise",
    "microsoft.netapp/netappaccounts": "Azure NetApp Files account",
    "microsoft.devices/iothubs": "IoT Hub",
    "microsoft.devices/provisioningservices": "IoT Hub Device Provisioning Service",
    "microsoft.healthcareapis/workspaces/fhirservices": "FHIR service",
    "microsoft.healthcareapis/workspaces/dicomservices": "DICOM service",
    "microsoft.healthcareapis/services": "Azure API for FHIR",
    "microsoft.streamanalytics/streamingjobs": "Stream Analytics job",
    "microsoft.hdinsight/clusters": "HDInsight cluster",
    "microsoft.datalakestore/accounts": "Data Lake Storage Gen1 account",
    "microsoft.deviceupdate/accounts": "Device Update account",
    "microsoft.loadtestservice/loadtests": "Load Testing resource",
    "microsoft.elasticsan/elasticsans": "Elastic SAN",
    "microsoft.storagecache/caches": "HPC Cache",
    "microsoft.botservice/botservices": "Bot Service",
    "microsoft.fluidrelay/fluidrelayservers": "Fluid Relay server",
    "microsoft.healthbot/healthbots": "Health Bot",
    "microsoft.databox/jobs": "Data Box job",
    "microsoft.compute/galleries": "Compute gallery (image versions)",
    "microsoft.compute/images": "Managed image",
}
"""CMK-capable types that hold customer data at rest (CMK-CATALOGUE.md rows 1-48)."""
