"""Facts about Azure resource types that the inventory and the checks both rely on.

The inventory layer: collectors read diagnostic settings for these types, checks judge
whether they were read and what they route. Neither judges nor reads Azure here.
"""

from __future__ import annotations

from scanner.kinds import all_kinds

# Resource types whose logs are routed by diagnostic settings, and the sub-resource that
# carries the logs (storage logs live on each service, not on the account).
DIAGNOSTIC_LOG_TARGETS: dict[str, str] = {
    "microsoft.keyvault/vaults": "",
    "microsoft.keyvault/managedhsms": "",
    "microsoft.storage/storageaccounts": "/blobservices/default",
    "microsoft.sql/servers/databases": "",
    "microsoft.documentdb/databaseaccounts": "",
    "microsoft.network/networksecuritygroups": "",
    "microsoft.network/azurefirewalls": "",
    "microsoft.network/applicationgateways": "",
    "microsoft.network/publicipaddresses": "",
    "microsoft.web/sites": "",
    "microsoft.containerservice/managedclusters": "",
    "microsoft.logic/workflows": "",
    "microsoft.eventhub/namespaces": "",
    "microsoft.servicebus/namespaces": "",
    "microsoft.apimanagement/service": "",
    "microsoft.cognitiveservices/accounts": "",
    "microsoft.operationalinsights/workspaces": "",
    "microsoft.recoveryservices/vaults": "",
    "microsoft.containerregistry/registries": "",
    # ... and every declared kind that emits resource logs (scanner.kinds: `logs`).
    **{k.type: k.logs for k in all_kinds() if k.logs is not None},
}


def diagnostic_target(resource_id: str, resource_type: str) -> str | None:
    """The id whose diagnostic settings hold `resource_id`'s logs; None if it has none."""
    suffix = DIAGNOSTIC_LOG_TARGETS.get(resource_type.lower())
    if suffix is None:
        return None
    return resource_id.lower() + suffix
