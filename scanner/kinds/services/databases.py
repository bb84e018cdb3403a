"""Open-source databases: Azure Database for PostgreSQL and MySQL flexible servers.

CMK-CATALOGUE rows 1 and 2. The published GET bodies carry no `dataEncryption` block at
all when the server uses the service-managed key.
"""

from __future__ import annotations

from scanner.kinds.base import KeyRef, Kind

# PostgreSQL and MySQL flexible servers share the server model: the same paths in both.
_FLEXIBLE_SERVER_FIELDS = {
    "cmk_type": "properties.dataEncryption.type",
    "cmk_key_uri": "properties.dataEncryption.primaryKeyURI",
    "geo_backup_key_uri": "properties.dataEncryption.geoBackupKeyURI",
    "public_network_access": "properties.network.publicNetworkAccess",
    "geo_redundant_backup": "properties.backup.geoRedundantBackup",
}

KINDS = (
    Kind("postgresql_flexible_servers", "Microsoft.DBforPostgreSQL/flexibleServers",
         "2025-08-01", "Azure Database for PostgreSQL flexible server", gated=True,
         fields=_FLEXIBLE_SERVER_FIELDS,
         key=KeyRef(uri="cmk_key_uri"), logs="",
         example="azure-examples/postgresql/flexible_server_get_private_endpoints.json"),
    Kind("mysql_flexible_servers", "Microsoft.DBforMySQL/flexibleServers", "2024-12-30",
         "Azure Database for MySQL flexible server", gated=True,
         fields=_FLEXIBLE_SERVER_FIELDS,
         key=KeyRef(uri="cmk_key_uri"), logs="",
         example="azure-examples/mysql/flexible_server_get.json"),
)
