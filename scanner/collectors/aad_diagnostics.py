"""Microsoft Entra ID's own diagnostic settings: where its sign-in and audit logs go.

One ARM read per scan, tenant-wide: `GET /providers/microsoft.aadiam/diagnosticSettings
?api-version=2017-04-01` (azure-rest-api-specs, Microsoft.Aadiam stable 2017-04-01,
DiagnosticSettings_List; example fixtures/azure-examples/monitor/
aad_diagnostic_settings_list.json). The body is `{"value": [...]}` with
`properties.workspaceId` and `logs` [{category, enabled}], the shape of a resource's
diagnostic settings, so the settings join `Inventory.diagnostic_settings` under the target
`/providers/microsoft.aadiam` (and the workspaces they feed count as CJIS workspaces).
A failed read is an error of `aad_diagnostic_settings` at `/tenants/<id>`: its check is
`unknown`, naming the permission.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scanner.collectors import normalize_monitor
from scanner.collectors.entra import tenant_scope
from scanner.resource_types import AAD_DIAGNOSTICS_COLLECTOR, AAD_DIAGNOSTICS_TARGET

__all__ = ["AAD_DIAGNOSTICS_API", "AAD_DIAGNOSTICS_COLLECTOR", "AAD_DIAGNOSTICS_PATH",
           "READ_TEMPLATES", "REMEDY", "aad_diagnostics_task"]

if TYPE_CHECKING:
    from scanner.collectors.tasks import Collection, Task

AAD_DIAGNOSTICS_API = "2017-04-01"
AAD_DIAGNOSTICS_PATH = "/providers/microsoft.aadiam/diagnosticSettings"
READ_TEMPLATES = (AAD_DIAGNOSTICS_PATH,)
"""The one read under microsoft.aadiam the read-only guard allows."""
REMEDY = ("microsoft.aadiam/diagnosticSettings/read: the Security Reader or Global Reader "
          "role in Microsoft Entra ID (Azure RBAC roles on subscriptions do not grant it)")


def aad_diagnostics_task(tenant_id: str | None) -> Task:
    """The tenant's Entra ID diagnostic settings, stored as diagnostic settings."""
    from scanner.collectors.tasks import Task

    def run(collection: Collection) -> None:
        settings = collection.map_items(
            collection.arm().list(AAD_DIAGNOSTICS_PATH, AAD_DIAGNOSTICS_API),
            lambda raw: normalize_monitor.diagnostic_setting(raw, AAD_DIAGNOSTICS_TARGET),
            tenant_scope(tenant_id), AAD_DIAGNOSTICS_COLLECTOR)
        collection.add("diagnostic_settings", settings)
        collection.read_diagnostics_of(AAD_DIAGNOSTICS_TARGET)

    return Task(AAD_DIAGNOSTICS_COLLECTOR, tenant_scope(tenant_id), run, REMEDY)
