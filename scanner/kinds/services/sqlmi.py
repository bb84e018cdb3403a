"""Azure SQL Managed Instance: the instance and its TDE protector.

CMK-CATALOGUE rows 3 and 4. The instance names its TDE key in `properties.keyId`; the
authoritative state is the per-instance child `encryptionProtector/current`
(`serverKeyType`, `uri`), one GET per instance. Both are what built-in policy ac01ad65
judges. The MI examples are published only under 2023-08-01 (no 2025-01-01 copy).
"""

from __future__ import annotations

from scanner.kinds.base import Detail, KeyRef, Kind

SQL_MI_API = "2023-08-01"

KINDS = (
    Kind("sql_managed_instances", "Microsoft.Sql/managedInstances", SQL_MI_API,
         "Azure SQL Managed Instance", gated=True,
         fields={"key_id": "properties.keyId",
                 "public_data_endpoint": "properties.publicDataEndpointEnabled",
                 "minimal_tls_version": "properties.minimalTlsVersion",
                 "requested_backup_redundancy": "properties.requestedBackupStorageRedundancy",
                 "current_backup_redundancy": "properties.currentBackupStorageRedundancy"},
         details=(Detail("encryption_protector", "/encryptionProtector/current",
                         {"protector_key_type": "properties.serverKeyType",
                          "protector_key_uri": "properties.uri"},
                         example="azure-examples/sql/"
                                 "managed_instance_encryption_protector_get.json"),),
         key=KeyRef(uri="protector_key_uri"), logs="",
         example="azure-examples/sql/managed_instance_list.json"),
)
