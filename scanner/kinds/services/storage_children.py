"""Children of storage accounts: encryption scopes (CMK-CATALOGUE row 38).

Listed per account (`storageAccounts/{name}/encryptionScopes`): a scope can put blobs of
a customer-managed-key account under a Microsoft-managed key.
"""

from __future__ import annotations

from scanner.kinds.base import KeyRef, Kind

KINDS = (
    Kind("storage_encryption_scopes", "Microsoft.Storage/storageAccounts/encryptionScopes",
         "2025-01-01", "Storage encryption scope", parent="storage_accounts",
         list_path="/encryptionScopes", graph=False,
         permission="Microsoft.Storage/storageAccounts/encryptionScopes/read",
         fields={"source": "properties.source", "state": "properties.state",
                 "key_uri": "properties.keyVaultProperties.keyUri",
                 "require_infrastructure_encryption":
                     "properties.requireInfrastructureEncryption"},
         key=KeyRef(uri="key_uri"),
         example="azure-examples/storage/encryption_scopes_list.json"),
)
