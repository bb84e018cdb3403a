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


STORAGE_ACCOUNT = "microsoft.storage/storageaccounts"
STORAGE_SERVICES: dict[str, str] = {
    "blob": "/blobservices/default",
    "file": "/fileservices/default",
    "queue": "/queueservices/default",
    "table": "/tableservices/default",
}
"""Each storage service keeps its own diagnostic settings (Microsoft's built-ins b4fe1a3b,
25a70cc8, 7bd000e3 and 2fb86bf3 deploy one per service); the account itself has metrics only."""

# Which services hold data, by account kind, as "Storage account overview" documents
# (https://learn.microsoft.com/azure/storage/common/storage-account-overview#types-of-storage-accounts):
# general-purpose v2 and v1 accounts have all four; premium block blob and legacy Blob
# Storage accounts only blobs; premium file shares only Azure Files. A premium general-
# purpose account is a "premium page blobs" account: page blobs only.
SERVICES_BY_ACCOUNT_KIND: dict[str, tuple[str, ...]] = {
    "storagev2": tuple(STORAGE_SERVICES),
    "storage": tuple(STORAGE_SERVICES),
    "blobstorage": ("blob",),
    "blockblobstorage": ("blob",),
    "filestorage": ("file",),
}


def storage_services(account_kind: str | None, sku_name: str | None) -> tuple[str, ...]:
    """The services of a storage account whose logs must be routed.

    An account kind Azure did not send, or one not documented above, gets all four
    (fail closed: a service that does not exist then shows as a failed read, `unknown`,
    never as a pass).
    """
    kind = (account_kind or "").lower()
    if kind in ("storagev2", "storage") and (sku_name or "").lower().startswith("premium_"):
        return ("blob",)
    return SERVICES_BY_ACCOUNT_KIND.get(kind, tuple(STORAGE_SERVICES))


def diagnostic_targets(
    resource_id: str,
    resource_type: str,
    account_kind: str | None = None,
    sku_name: str | None = None,
) -> dict[str, str]:
    """{service: target id} whose diagnostic settings hold `resource_id`'s logs ({} if it
    has none). A storage account has one target per service it holds (`blob`, `file`,
    ...); any other type one target, under the service name ``""``."""
    resource_id = resource_id.lower()
    if resource_type.lower() == STORAGE_ACCOUNT:
        return {
            service: resource_id + STORAGE_SERVICES[service]
            for service in storage_services(account_kind, sku_name)
        }
    suffix = DIAGNOSTIC_LOG_TARGETS.get(resource_type.lower())
    return {} if suffix is None else {"": resource_id + suffix}


def diagnostic_target(resource_id: str, resource_type: str) -> str | None:
    """The first id whose diagnostic settings hold `resource_id`'s logs (a storage
    account's blob service); None if it has none."""
    return next(iter(diagnostic_targets(resource_id, resource_type).values()), None)


AAD_DIAGNOSTICS_TARGET = "/providers/microsoft.aadiam"
"""Microsoft Entra ID's own diagnostic settings (sign-in and audit logs) hang off this
tenant-wide ARM scope; their target in the inventory (`DiagnosticSetting.target_id`)."""
AAD_DIAGNOSTICS_COLLECTOR = "aad_diagnostic_settings"
"""Name of their read in `Inventory.errors` (scope `/tenants/<tenant id>`)."""
