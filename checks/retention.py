"""Step 5: CJIS logs are kept a year, judged per table (issue 10 item 12).

A Log Analytics workspace's `retentionInDays` is only the default: each table has its own
interactive retention (`retentionInDays`) and total retention (`totalRetentionInDays`,
interactive plus long-term), either of which may be set below or above the default
(`-1`, or `*AsDefault`, means "the default": the workspace's for the interactive one,
the interactive one for the total). "Manage data retention in a Log Analytics workspace"
(https://learn.microsoft.com/azure/azure-monitor/logs/data-retention-configure).

Which tables are judged: the ones the boundary's diagnostic settings send CJIS audit
logs into, derived from the settings that reach the workspace —
- a subscription's Activity Log -> `AzureActivity`;
- Microsoft Entra ID's settings -> the table of each category sent (`SignInLogs` ->
  `SigninLogs`, `AuditLogs` -> `AuditLogs`, the other sign-in categories -> their `AAD*`
  tables: "Microsoft Entra logs in Azure Monitor logs" table reference);
- a storage service -> its resource-specific table (`StorageBlobLogs`, `StorageFileLogs`,
  `StorageQueueLogs`, `StorageTableLogs`: storage logs have no AzureDiagnostics mode);
- any other resource -> `AzureDiagnostics`, or with `logAnalyticsDestinationType:
  Dedicated` its resource-specific table (`AZKVAuditLogs` for key vaults); a
  resource-specific table the scanner cannot name is judged by the workspace's default
  retention (the retention a table left at its default has), said so in the evidence.
A judged table the list does not show takes the workspace's retention when it is created.
"""

from __future__ import annotations

from typing import Any

from checks.monitor_common import SETTINGS_COLLECTORS, not_cjis
from scanner.context import CheckContext
from scanner.findings import Status, Verdict
from scanner.inventory_monitor import DiagnosticSetting, Workspace, WorkspaceTable
from scanner.registry import check
from scanner.resource_types import AAD_DIAGNOSTICS_TARGET, STORAGE_SERVICES

ACTIVITY_TABLE = "AzureActivity"
DIAGNOSTICS_TABLE = "AzureDiagnostics"
ENTRA_TABLES = {
    "auditlogs": "AuditLogs",
    "signinlogs": "SigninLogs",
    "noninteractiveusersigninlogs": "AADNonInteractiveUserSignInLogs",
    "serviceprincipalsigninlogs": "AADServicePrincipalSignInLogs",
    "managedidentitysigninlogs": "AADManagedIdentitySignInLogs",
    "provisioninglogs": "AADProvisioningLogs",
    "adfssigninlogs": "ADFSSignInLogs",
    "riskyusers": "AADRiskyUsers",
    "userriskevents": "AADUserRiskEvents",
    "riskyserviceprincipals": "AADRiskyServicePrincipals",
    "serviceprincipalriskevents": "AADServicePrincipalRiskEvents",
    "microsoftgraphactivitylogs": "MicrosoftGraphActivityLogs",
}
"""Entra ID diagnostic-setting category (lower-cased) -> the table it fills."""
STORAGE_TABLES = {suffix: f"Storage{service.capitalize()}Logs"
                  for service, suffix in STORAGE_SERVICES.items()}
DEDICATED_TABLES = {"/providers/microsoft.keyvault/vaults/": "AZKVAuditLogs"}
"""Resource-specific (`Dedicated`) audit table by the id fragment of the resource type."""
DEFAULT_ROW = "(tables at the workspace default)"


def _tables_fed(settings: list[DiagnosticSetting]) -> dict[str, list[str]]:
    """{table: the settings that fill it} for settings that reach one workspace."""
    fed: dict[str, list[str]] = {}

    def add(table: str, source: str) -> None:
        fed.setdefault(table, []).append(source)

    for setting in settings:
        target = setting.target_id
        source = f"{setting.name} on {target}"
        enabled = setting.enabled_categories()
        if target == AAD_DIAGNOSTICS_TARGET:
            for category in sorted(enabled):
                add(ENTRA_TABLES.get(category, DEFAULT_ROW), f"{source} ({category})")
        elif target.count("/") == 2:  # /subscriptions/<id>: the Activity Log
            add(ACTIVITY_TABLE, source)
        elif suffix := next((s for s in STORAGE_TABLES if target.endswith(s)), None):
            add(STORAGE_TABLES[suffix], source)
        elif (setting.log_analytics_destination_type or "").lower() == "dedicated":
            add(next((table for fragment, table in DEDICATED_TABLES.items()
                      if fragment in target), DEFAULT_ROW), source)
        else:
            add(DIAGNOSTICS_TABLE, source)
    return fed


def _total_days(table: WorkspaceTable | None, default: int | None) -> int | None:
    """Interactive plus long-term retention; `-1` / absent falls back as Azure does."""
    interactive = default
    if table is not None and table.retention_in_days is not None \
            and table.retention_in_days >= 0:
        interactive = table.retention_in_days
    if table is not None and table.total_retention_in_days is not None \
            and table.total_retention_in_days >= 0:
        return max(table.total_retention_in_days, interactive or 0)
    return interactive


@check(
    id="workspace_retention_365_days",
    title="CJIS log workspaces retain logs for at least 365 days",
    kinds="workspaces",
    severity="medium",
    rationale=(
        "CJIS AU-11 requires audit records to be kept at least one year. A Log Analytics "
        "workspace keeps 30 days (90 with Sentinel) unless its retention is raised, and each "
        "table may override it. Judged per table that receives the CJIS audit logs routed "
        "to the workspace: AzureActivity (Activity Log), the Entra ID tables of the "
        "categories its diagnostic settings send (SigninLogs, AuditLogs, AAD*SignInLogs), "
        "StorageBlob/File/Queue/TableLogs, AzureDiagnostics, and the resource-specific "
        "tables of Dedicated settings (AZKVAuditLogs); total retention (interactive plus "
        "long-term) must reach log_retention_days."
    ),
    remediation={
        "summary": "Raise the total retention of each table named in the finding to at least "
                   "365 days (or the configured log_retention_days); long-term retention "
                   "counts.",
        "cli": "az monitor log-analytics workspace table update --resource-group <rg> "
               "--workspace-name <workspace> --name <table> --total-retention-time 365",
        "docs": "https://learn.microsoft.com/azure/azure-monitor/logs/data-retention-configure",
    },
    needs=("workspace_tables",),
    needs_anywhere=SETTINGS_COLLECTORS,
)
def workspace_retention_365_days(workspace: Workspace, ctx: CheckContext) -> Verdict:
    """Every table receiving CJIS logs keeps them `log_retention_days` (365) in total."""
    skip = not_cjis(workspace, ctx)
    if skip is not None:
        return skip
    minimum = ctx.config.log_retention_days
    listed = {t.name.lower(): t for t in ctx.workspace_tables(workspace.id)}
    if not listed:
        return Verdict(status=Status.UNKNOWN,
                       reason=f"the tables of workspace {workspace.name} were not read",
                       evidence={"workspace_retention_in_days": workspace.retention_in_days})
    feeding = ctx.settings_sending_to(workspace.id)
    rows: list[dict[str, Any]] = []
    for name, sources in sorted(_tables_fed(feeding).items()):
        table = None if name == DEFAULT_ROW else listed.get(name.lower())
        rows.append({
            "table": name, "fed_by": sources, "listed": table is not None,
            "plan": table.plan if table else None,
            "retention_in_days": table.retention_in_days if table else None,
            "total_retention_in_days": table.total_retention_in_days if table else None,
            "effective_total_days": _total_days(table, workspace.retention_in_days),
        })
    totals = [r["effective_total_days"] for r in rows if r["effective_total_days"] is not None]
    evidence = {"tables": rows, "minimum_days": minimum,
                "workspace_retention_in_days": workspace.retention_in_days,
                "retention_in_days": min(totals) if totals else None}
    short = [f"{r['table']} ({r['effective_total_days']} days)" for r in rows
             if r["effective_total_days"] is not None and r["effective_total_days"] < minimum]
    if short:
        return Verdict(status=Status.FAIL,
                       reason=f"total retention below {minimum} days: {', '.join(short)}",
                       evidence=evidence)
    unknown = [r["table"] for r in rows if r["effective_total_days"] is None]
    if unknown:
        return Verdict(status=Status.UNKNOWN,
                       reason=f"Azure reported no retention for {', '.join(unknown)} and no "
                              f"workspace retentionInDays to fall back on",
                       evidence=evidence)
    return Verdict(status=Status.PASS,
                   reason=f"every table receiving CJIS logs keeps them at least {minimum} "
                          f"days: " + ", ".join(f"{r['table']} {r['effective_total_days']}"
                                                for r in rows),
                   evidence=evidence)
