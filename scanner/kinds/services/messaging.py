"""Messaging and ingestion: Service Bus and Event Hubs namespaces, Event Hubs dedicated
clusters, IoT Hub.

CMK-CATALOGUE rows 6, 7, 8 and 30. The published namespace GETs (2026-01-01) carry no
`encryption` block under the Microsoft-managed key, and none carries
`publicNetworkAccess` (the list of Event Hubs namespaces for 2026-01-01 is not published,
so a GET example stands in, as for PostgreSQL). Event Hubs clusters have no key of their
own: their namespaces' keys are theirs (checks/services/messaging.py).

`logs` follows Learn's supported resource logs (MicrosoftDocs/azure-reference-other
`azure-monitor-ref/supported-logs/`): namespaces and IoT hubs have them, dedicated
clusters have metrics only.
"""

from __future__ import annotations

from scanner.kinds.base import KeyRef, Kind

_NAMESPACE_FIELDS = {
    "key_source": "properties.encryption.keySource",
    "key_vault_uri": "properties.encryption.keyVaultProperties[*].keyVaultUri",
    "key_name": "properties.encryption.keyVaultProperties[*].keyName",
    "key_version": "properties.encryption.keyVaultProperties[*].keyVersion",
    "public_network_access": "properties.publicNetworkAccess",
    "minimum_tls_version": "properties.minimumTlsVersion",
}
_NAMESPACE_KEY = KeyRef(vault="key_vault_uri", name="key_name", version="key_version")

KINDS = (
    Kind("service_bus_namespaces", "Microsoft.ServiceBus/namespaces", "2026-01-01",
         "Service Bus namespace", gated=True, fields=_NAMESPACE_FIELDS, key=_NAMESPACE_KEY,
         logs="", example="azure-examples/servicebus/namespace_get.json"),
    Kind("event_hub_namespaces", "Microsoft.EventHub/namespaces", "2026-01-01",
         "Event Hubs namespace", gated=True,
         fields={**_NAMESPACE_FIELDS, "cluster_arm_id": "properties.clusterArmId"},
         key=_NAMESPACE_KEY, logs="", example="azure-examples/eventhub/namespace_get_cmk.json"),
    # The cluster is the dedicated capacity the data of its namespaces sits on; it has no
    # key property (its namespaces name theirs) and no resource logs of its own.
    Kind("event_hub_clusters", "Microsoft.EventHub/clusters", "2026-01-01",
         "Event Hubs dedicated cluster", gated=True,
         fields={"created_at": "properties.createdAt"},  # evidence: nothing else to read
         example="azure-examples/eventhub/clusters_list_by_subscription.json"),
    Kind("iot_hubs", "Microsoft.Devices/IotHubs", "2023-06-30", "IoT Hub", gated=True,
         fields={"cmk_key_ids": "properties.encryption.keyVaultProperties[*].keyIdentifier",
                 "public_network_access": "properties.publicNetworkAccess",
                 "min_tls_version": "properties.minTlsVersion"},
         key=KeyRef(uri="cmk_key_ids"), logs="",
         example="azure-examples/iothub/iothubs_list_by_subscription.json"),
)
