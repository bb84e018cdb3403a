"""Step 5: Microsoft Entra ID's own diagnostic settings (issue 11, section 3).

CJIS 6.0's identity audit trail is Entra ID's sign-in and audit logs. Entra ID keeps them
7 to 30 days; routed by a tenant diagnostic setting (`/providers/microsoft.aadiam/
diagnosticSettings`) to a Log Analytics workspace they are kept, reviewed and correlated.
"Integrate Microsoft Entra logs with Azure Monitor logs" names the categories; AuditLogs
and SignInLogs (interactive sign-ins) are the least a setting must send.
"""

from __future__ import annotations

from typing import Any

from checks.monitor_common import describe, not_read
from scanner.context import CheckContext, Tenant
from scanner.findings import Status, Verdict
from scanner.registry import check
from scanner.resource_types import AAD_DIAGNOSTICS_COLLECTOR, AAD_DIAGNOSTICS_TARGET

REQUIRED = {"auditlogs": "AuditLogs", "signinlogs": "SignInLogs"}
"""Categories as Entra ID spells them (lower-cased key -> Azure's spelling)."""
RECOMMENDED = {"noninteractiveusersigninlogs": "NonInteractiveUserSignInLogs",
               "serviceprincipalsigninlogs": "ServicePrincipalSignInLogs",
               "managedidentitysigninlogs": "ManagedIdentitySignInLogs"}
"""Reported in the evidence, not required (the Learn page recommends them)."""
ENTRA_LOGS_DOCS = ("https://learn.microsoft.com/entra/identity/monitoring-health/"
                   "howto-integrate-activity-logs-with-azure-monitor-logs")


@check(
    id="entra_diagnostic_logs_to_workspace",
    title="Microsoft Entra ID sign-in and audit logs are sent to a Log Analytics workspace",
    kinds="tenant",
    severity="high",
    rationale=(
        "Microsoft Entra ID's sign-in and audit logs are the CJIS identity audit trail "
        "(AU-2, AU-3, AU-12: who signed in, from where, which directory object changed). "
        "Entra ID keeps them 30 days at most; CJIS AU-11 needs a year and AU-6/SI-4 their "
        "review. 'Integrate Microsoft Entra logs with Azure Monitor logs' routes them with "
        "a tenant diagnostic setting (microsoft.aadiam/diagnosticSettings); a setting "
        "passes when it sends at least the AuditLogs and SignInLogs categories to a Log "
        "Analytics workspace (the other sign-in categories are listed in the evidence). "
        "A storage account or event hub alone is not reviewable where Sentinel runs."
    ),
    remediation={
        "summary": "In Microsoft Entra admin center > Monitoring & health > Diagnostic "
                   "settings, add a setting that sends AuditLogs, SignInLogs (and the "
                   "non-interactive, service principal and managed identity sign-ins) to "
                   "the CJIS Log Analytics workspace.",
        "cli": "az rest --method put --url \"https://management.azure.com/providers/"
               "microsoft.aadiam/diagnosticSettings/cjis-entra?api-version=2017-04-01\" "
               "--body '{\"properties\": {\"workspaceId\": \"<workspace-id>\", \"logs\": "
               "[{\"category\": \"AuditLogs\", \"enabled\": true}, "
               "{\"category\": \"SignInLogs\", \"enabled\": true}]}}'",
        "docs": ENTRA_LOGS_DOCS,
    },
    needs=(AAD_DIAGNOSTICS_COLLECTOR,),
    # Entra ID's settings are kept with the other diagnostic settings (and read with them).
    needs_anywhere=("diagnostic_settings",),
    tags=("logging.entra",),
)
def entra_diagnostic_logs_to_workspace(tenant: Tenant, ctx: CheckContext) -> Verdict:
    """AuditLogs and SignInLogs reach a Log Analytics workspace through Entra ID's settings."""
    unread = not_read(ctx, AAD_DIAGNOSTICS_TARGET, AAD_DIAGNOSTICS_COLLECTOR)
    if unread is not None:
        return unread
    settings = ctx.diagnostic_settings_for(AAD_DIAGNOSTICS_TARGET)
    routed: dict[str, list[str]] = {}  # category -> "setting -> workspace"
    for setting in settings:
        if setting.workspace_id:
            for category in setting.enabled_categories():
                routed.setdefault(category, []).append(
                    f"{setting.name} -> {setting.workspace_id}")
    evidence: dict[str, Any] = {
        "target": AAD_DIAGNOSTICS_TARGET,
        "settings": [describe(s) for s in settings],
        "required": sorted(REQUIRED.values()),
        "to_workspace": {name: routed.get(key, []) for key, name in
                         {**REQUIRED, **RECOMMENDED}.items()},
    }
    missing = [name for key, name in REQUIRED.items() if key not in routed]
    if not missing:
        return Verdict(status=Status.PASS,
                       reason="Entra ID sends " + "; ".join(
                           f"{name} ({', '.join(routed[key])})"
                           for key, name in REQUIRED.items()) + " to Log Analytics",
                       evidence=evidence)
    if not settings:
        reason = "Microsoft Entra ID has no diagnostic setting: its sign-in and audit logs " \
                 "reach no Log Analytics workspace"
    else:
        elsewhere = sorted({s.name for s in settings if not s.workspace_id})
        reason = (f"no Entra ID diagnostic setting sends {' or '.join(missing)} to a Log "
                  f"Analytics workspace")
        if elsewhere:
            reason += f" (settings {', '.join(elsewhere)} send to storage or event hubs only)"
    return Verdict(status=Status.FAIL, reason=reason, evidence=evidence)
