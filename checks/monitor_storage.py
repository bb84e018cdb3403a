"""Storage logging covers every service (issue 10 item 11).

A storage account's logs are not on the account: the blob, file, queue and table
services each have their own diagnostic settings (`<account>/blobServices/default`, ...),
and Microsoft publishes one built-in per service to route them to Log Analytics —
"Configure diagnostic settings for Blob / File / Queue / Table Services to Log Analytics
workspace" (b4fe1a3b-0715-4c6c-a5ea-ffc33cf823cb, 25a70cc8-2bd4-47f1-90b6-1478e4662c96,
7bd000e3-37c7-4928-9f31-86c4b77c5c45, 2fb86bf3-d221-43d1-96d1-2434af34eaa0), each enabling
StorageRead, StorageWrite and StorageDelete. An account passes only when every service
its kind holds (scanner.resource_types.storage_services) routes its logs so: a service
without such a setting fails the account, naming it; one whose settings could not be read
makes it `unknown`, naming it.
"""

from __future__ import annotations

from typing import Any

from checks.monitor_common import judge_target
from scanner.context import CheckContext
from scanner.findings import Status, Verdict
from scanner.inventory import GenericResource
from scanner.resource_types import STORAGE_ACCOUNT, diagnostic_targets

STORAGE_POLICIES = {
    "blob": "b4fe1a3b-0715-4c6c-a5ea-ffc33cf823cb",
    "file": "25a70cc8-2bd4-47f1-90b6-1478e4662c96",
    "queue": "7bd000e3-37c7-4928-9f31-86c4b77c5c45",
    "table": "2fb86bf3-d221-43d1-96d1-2434af34eaa0",
}
"""The built-in "Configure diagnostic settings for <service> Services to Log Analytics
workspace" of each service (Azure/azure-policy, built-in-policies/policyDefinitions/Storage/
<Service>ServicesLogsToWorkspace_DINE.json)."""
STORAGE_TYPES_DOCS = ("https://learn.microsoft.com/azure/storage/common/"
                      "storage-account-overview#types-of-storage-accounts")


def storage_logs_verdict(account: GenericResource, ctx: CheckContext) -> Verdict:
    """Every service of the account sends its logs to a Log Analytics workspace."""
    targets = diagnostic_targets(account.id, STORAGE_ACCOUNT, account.kind, account.sku_name)
    judged = {service: judge_target(ctx, target, STORAGE_ACCOUNT)
              for service, target in targets.items()}
    evidence: dict[str, Any] = {
        "account_kind": account.kind,
        "sku": account.sku_name,
        "services": {service: {"status": v.status.value, "reason": v.reason,
                               "built_in_policy": STORAGE_POLICIES[service], **v.evidence}
                     for service, v in judged.items()},
        "services_source": STORAGE_TYPES_DOCS,
    }
    failed = [s for s, v in judged.items() if v.status is Status.FAIL]
    unknown = [s for s, v in judged.items() if v.status is Status.UNKNOWN]
    if failed:
        reason = "; ".join(f"{s} service: {judged[s].reason}" for s in failed)
        if unknown:
            reason += f" (and the {', '.join(unknown)} service(s) could not be judged)"
        return Verdict(status=Status.FAIL, reason=reason, evidence=evidence)
    if unknown:
        return Verdict(status=Status.UNKNOWN,
                       reason="; ".join(f"{s} service: {judged[s].reason}" for s in unknown),
                       evidence=evidence)
    return Verdict(status=Status.PASS,
                   reason=f"every service of this {account.kind or 'storage'} account "
                          f"({', '.join(judged)}) sends its logs to a workspace: "
                          + "; ".join(f"{s}: {v.reason}" for s, v in judged.items()),
                   evidence=evidence)
