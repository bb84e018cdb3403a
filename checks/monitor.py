"""Step 5, continuous monitoring: logs reach Log Analytics, are kept a year, and Sentinel watches.

Diagnostic settings are read per target (storage logs live on `<account>/blobServices/
default`, not on the account). These checks judge a target only when its settings were
read (`ctx.diagnostic_targets_read`); otherwise they are `unknown`, naming the collection
error that covers the target when there is one (`diagnostic_settings` for a resource,
`activity_log_settings` for a subscription's Activity Log).
"""

from __future__ import annotations

from typing import Any

from scanner.context import CheckContext
from scanner.findings import Status, Verdict
from scanner.gate import rests_on
from scanner.inventory import (
    DiagnosticSetting,
    GenericResource,
    KeyVault,
    Subscription,
    Workspace,
)
from scanner.registry import check
from scanner.resource_types import diagnostic_target

CATEGORY_GROUPS = frozenset({"alllogs", "audit"})
"""Category groups that carry a resource's audit logs, whatever its type."""

# Per-category settings are accepted only where the categories that prove the audit trail
# are documented (Azure Monitor "Supported logs for <type>"): all of them must be enabled.
AUDIT_CATEGORIES: dict[str, frozenset[str]] = {
    "microsoft.keyvault/vaults": frozenset({"auditevent"}),
    "microsoft.keyvault/managedhsms": frozenset({"auditevent"}),
    "microsoft.sql/servers/databases": frozenset({"sqlsecurityauditevents"}),
    # blobServices has exactly three categories: all of them is "every log category".
    "microsoft.storage/storageaccounts": frozenset({"storageread", "storagewrite",
                                                   "storagedelete"}),
}

ACTIVITY_LOG_CATEGORIES = frozenset({"administrative", "security", "policy"})

_DIAG_DOCS = "https://learn.microsoft.com/azure/azure-monitor/essentials/create-diagnostic-settings"

_LOG_SOURCES = ("diagnostic_settings", "activity_log_settings")
"""Where a workspace's CJIS logs come from: every diagnostic setting of the boundary."""


# --- helpers ---------------------------------------------------------------------------------


def _not_read(ctx: CheckContext, target: str) -> Verdict | None:
    """`unknown` when `target`'s diagnostic settings were not read; None when they were."""
    if target.lower() in ctx.diagnostic_targets_read:
        return None
    # The engine adds why, when the read failed (scanner.gate); /subscriptions/<id> is
    # the Activity Log's own read.
    rests_on("diagnostic_settings", *(("activity_log_settings",) if target.count("/") == 2
                                      else ()), scope=target)
    return Verdict(status=Status.UNKNOWN,
                   reason=f"the diagnostic settings of {target} were not read",
                   evidence={"target": target})


def _describe(setting: DiagnosticSetting) -> dict[str, Any]:
    return {
        "name": setting.name,
        "workspace_id": setting.workspace_id,
        "storage_account_id": setting.storage_account_id,
        "event_hub_authorization_rule_id": setting.event_hub_authorization_rule_id,
        "enabled_logs": sorted(setting.enabled_categories()),
    }


def _settings_fail_reason(target: str, settings: list[DiagnosticSetting], wanted: str) -> str:
    if not settings:
        return f"{target} has no diagnostic setting"
    to_workspace = [s for s in settings if s.workspace_id]
    if not to_workspace:
        return (f"the diagnostic settings of {target} ({', '.join(s.name for s in settings)}) "
                f"send no logs to a Log Analytics workspace")
    seen = sorted({c for s in to_workspace for c in s.enabled_categories()})
    return (f"the settings of {target} that reach a workspace enable "
            f"{', '.join(seen) or 'no logs'}, not {wanted}")


# --- resource logs ---------------------------------------------------------------------------


@check(
    id="resource_diagnostic_logs_to_workspace",
    title="Resource logs are sent to a Log Analytics workspace",
    kinds="resources",
    severity="high",
    rationale=(
        "Without a diagnostic setting a resource's logs (who read a secret, who changed a "
        "firewall, who queried a database) are not kept anywhere the agency can review. "
        "CJIS AU-2/AU-12 require those events to be recorded and AU-6/SI-4 reviewed, which "
        "on Azure means routing them to Log Analytics."
    ),
    remediation={
        "summary": "Add a diagnostic setting that sends the allLogs (or audit) category group "
                   "to the CJIS Log Analytics workspace; for storage accounts, on the blob "
                   "service (<account-id>/blobServices/default).",
        "cli": "az monitor diagnostic-settings create --name cjis-logs "
               "--resource <resource-id> --workspace <workspace-id> "
               "--logs '[{\"categoryGroup\": \"allLogs\", \"enabled\": true}]'",
        "docs": _DIAG_DOCS,
    },
    needs_anywhere=("diagnostic_settings",),
)
def resource_diagnostic_logs_to_workspace(resource: GenericResource,
                                          ctx: CheckContext) -> Verdict:
    """Some diagnostic setting sends the resource's logs to a Log Analytics workspace.

    Enough: category group `allLogs` or `audit`. A setting that lists categories one by
    one is accepted only for the types in `AUDIT_CATEGORIES`, whose audit categories are
    documented; for any other type its categories cannot be proven to be "every log
    category", so it fails with that reason.
    """
    target = diagnostic_target(resource.id, resource.type)
    if target is None:
        return Verdict(status=Status.NOT_APPLICABLE,
                       reason=f"resources of type {resource.type} have no resource logs "
                              f"routed by diagnostic settings",
                       evidence={"type": resource.type})
    unread = _not_read(ctx, target)
    if unread is not None:
        return unread
    settings = ctx.diagnostic_settings_for(target)
    required = AUDIT_CATEGORIES.get(resource.type)
    evidence: dict[str, Any] = {
        "target": target,
        "settings": [_describe(s) for s in settings],
        "accepted": sorted(CATEGORY_GROUPS) + ([f"all of {sorted(required)}"] if required
                                               else []),
    }
    for setting in settings:
        if not setting.workspace_id:
            continue
        enabled = setting.enabled_categories()
        if enabled & CATEGORY_GROUPS:
            groups = ", ".join(sorted(enabled & CATEGORY_GROUPS))
            return Verdict(status=Status.PASS,
                           reason=f"setting {setting.name!r} sends {groups} to workspace "
                                  f"{setting.workspace_id}",
                           evidence=evidence)
        if required and required <= enabled:
            return Verdict(status=Status.PASS,
                           reason=f"setting {setting.name!r} sends "
                                  f"{', '.join(sorted(required))} to workspace "
                                  f"{setting.workspace_id}",
                           evidence=evidence)
    wanted = "allLogs or audit" + (f", or all of {', '.join(sorted(required))}" if required
                                   else "")
    reason = _settings_fail_reason(target, settings, wanted)
    if not required and any(s.workspace_id and s.enabled_categories() for s in settings):
        reason += (f"; per-category settings cannot be proven to cover every category of "
                   f"{resource.type}")
    return Verdict(status=Status.FAIL, reason=reason, evidence=evidence)


# --- Activity Log ----------------------------------------------------------------------------


@check(
    id="subscription_activity_log_to_workspace",
    title="The subscription's Activity Log is sent to a Log Analytics workspace",
    kinds="subscriptions",
    severity="high",
    rationale=(
        "The Activity Log records every control-plane change: role assignments, policy "
        "changes, key vault and network changes. Azure keeps it 90 days; CJIS AU-11 needs a "
        "year, and AU-6 needs it where Sentinel can correlate it."
    ),
    remediation={
        "summary": "Add a subscription diagnostic setting that sends at least the "
                   "Administrative, Security and Policy categories (or allLogs) to the CJIS "
                   "Log Analytics workspace.",
        "cli": "az monitor diagnostic-settings subscription create --name cjis-activity-log "
               "--location <us-region> --workspace <workspace-id> "
               "--logs '[{\"category\": \"Administrative\", \"enabled\": true}, "
               "{\"category\": \"Security\", \"enabled\": true}, "
               "{\"category\": \"Policy\", \"enabled\": true}]'",
        "docs": "https://learn.microsoft.com/azure/azure-monitor/essentials/activity-log",
    },
    needs_anywhere=_LOG_SOURCES,
)
def subscription_activity_log_to_workspace(sub: Subscription, ctx: CheckContext) -> Verdict:
    """A subscription diagnostic setting sends Administrative, Security and Policy (or allLogs).
    """
    target = sub.id.lower()
    unread = _not_read(ctx, target)
    if unread is not None:
        return unread
    settings = ctx.diagnostic_settings_for(target)
    evidence = {"target": target, "settings": [_describe(s) for s in settings],
                "required": sorted(ACTIVITY_LOG_CATEGORIES)}
    for setting in settings:
        enabled = setting.enabled_categories()
        if setting.workspace_id and ("alllogs" in enabled or enabled >= ACTIVITY_LOG_CATEGORIES):
            return Verdict(status=Status.PASS,
                           reason=f"setting {setting.name!r} sends the Activity Log "
                                  f"({', '.join(sorted(enabled))}) to workspace "
                                  f"{setting.workspace_id}",
                           evidence=evidence)
    return Verdict(status=Status.FAIL,
                   reason=_settings_fail_reason(f"subscription {sub.subscription_id}", settings,
                                                "allLogs or Administrative, Security and "
                                                "Policy"),
                   evidence=evidence)


# --- workspaces ------------------------------------------------------------------------------


def _not_cjis(workspace: Workspace, ctx: CheckContext) -> Verdict | None:
    """N/A (or unknown) for a workspace no diagnostic setting of the boundary sends logs to."""
    if workspace.id in ctx.cjis_workspace_ids:
        return None
    rests_on(*_LOG_SOURCES, means="it may still receive CJIS logs")
    return Verdict(status=Status.NOT_APPLICABLE,
                   reason=f"no diagnostic setting of the boundary sends logs to workspace "
                          f"{workspace.name}",
                   evidence={"cjis_workspaces": sorted(ctx.cjis_workspace_ids)})


@check(
    id="workspace_retention_365_days",
    title="CJIS log workspaces retain logs for at least 365 days",
    kinds="workspaces",
    severity="medium",
    rationale=(
        "CJIS AU-11 requires audit records to be kept at least one year. A Log Analytics "
        "workspace keeps 30 days (90 with Sentinel) unless its retention is raised."
    ),
    remediation={
        "summary": "Set the workspace retention to at least 365 days (or the configured "
                   "log_retention_days).",
        "cli": "az monitor log-analytics workspace update --resource-group <rg> "
               "--workspace-name <workspace> --retention-time 365",
        "docs": "https://learn.microsoft.com/azure/azure-monitor/logs/data-retention-configure",
    },
    needs_anywhere=_LOG_SOURCES,
)
def workspace_retention_365_days(workspace: Workspace, ctx: CheckContext) -> Verdict:
    """`retentionInDays` of each workspace receiving CJIS logs ≥ `log_retention_days` (365)."""
    skip = _not_cjis(workspace, ctx)
    if skip is not None:
        return skip
    minimum = ctx.config.log_retention_days
    evidence = {"retention_in_days": workspace.retention_in_days, "minimum_days": minimum}
    days = workspace.retention_in_days
    if days is None:
        return Verdict(status=Status.UNKNOWN,
                       reason="Azure reported no retentionInDays for the workspace",
                       evidence=evidence)
    if days >= minimum:
        return Verdict(status=Status.PASS,
                       reason=f"retention is {days} days (at least {minimum})",
                       evidence=evidence)
    return Verdict(status=Status.FAIL,
                   reason=f"retention is {days} days, less than {minimum}",
                   evidence=evidence)


def _onboarded(workspace: Workspace, ctx: CheckContext) -> bool | None:
    """True / False when the onboarding state was read; None when there is no record."""
    states = [s.onboarded for s in ctx.inventory.sentinel_onboarding
              if s.workspace_id == workspace.id]
    if not states:
        return None
    return any(states)


@check(
    id="workspace_sentinel_onboarded",
    title="Microsoft Sentinel is onboarded on the CJIS log workspaces",
    kinds="workspaces",
    severity="high",
    rationale=(
        "Logs nobody reviews do not meet AU-6 or SI-4. Microsoft Sentinel on the workspace "
        "that receives the CJIS logs correlates them and raises incidents."
    ),
    remediation={
        "summary": "Onboard Microsoft Sentinel on the workspace (Microsoft Sentinel > Add > "
                   "select the workspace).",
        "cli": "az sentinel onboarding-state create --resource-group <rg> "
               "--workspace-name <workspace> --name default",
        "docs": "https://learn.microsoft.com/azure/sentinel/quickstart-onboard",
    },
    needs=("sentinel_onboarding",),
    needs_anywhere=_LOG_SOURCES,
)
def workspace_sentinel_onboarded(workspace: Workspace, ctx: CheckContext) -> Verdict:
    """A Sentinel onboarding state exists for each workspace receiving CJIS logs."""
    skip = _not_cjis(workspace, ctx)
    if skip is not None:
        return skip
    onboarded = _onboarded(workspace, ctx)
    evidence = {"onboarded": onboarded}
    if onboarded:
        return Verdict(status=Status.PASS,
                       reason=f"Microsoft Sentinel is onboarded on {workspace.name}",
                       evidence=evidence)
    return Verdict(status=Status.FAIL,
                   reason=f"Microsoft Sentinel is not onboarded on {workspace.name}"
                          + (" (no onboarding state)" if onboarded is None else ""),
                   evidence=evidence)


ANALYTICS_RULE_KINDS = frozenset({"scheduled", "nrt"})


@check(
    id="workspace_sentinel_analytics_rules",
    title="Microsoft Sentinel has enabled scheduled or NRT analytics rules",
    kinds="workspaces",
    severity="medium",
    rationale=(
        "Sentinel raises incidents only from analytics rules. Built-in Fusion and "
        "Microsoft-product incident rules do not query the CJIS logs themselves; at least "
        "one enabled scheduled or near-real-time rule does (AU-6, SI-4)."
    ),
    remediation={
        "summary": "Enable scheduled or NRT analytics rules from the Sentinel content hub "
                   "templates (Microsoft Sentinel > Analytics > Rule templates).",
        "cli": "az rest --method put --url \"https://management.azure.com<workspace-id>/"
               "providers/Microsoft.SecurityInsights/alertRules/<rule-id>"
               "?api-version=2024-09-01\" --body @<scheduled-rule.json>",
        "docs": "https://learn.microsoft.com/azure/sentinel/create-analytics-rules",
    },
    needs=("alert_rules",),
    needs_anywhere=(*_LOG_SOURCES, "sentinel_onboarding"),
)
def workspace_sentinel_analytics_rules(workspace: Workspace, ctx: CheckContext) -> Verdict:
    """At least one enabled `Scheduled` or `NRT` rule on each Sentinel workspace with CJIS logs.

    Not applicable on a workspace without Sentinel (the onboarding check fails there). When
    the onboarding state could not be read, enabled rules still prove Sentinel runs; with
    none the verdict is `unknown`.
    """
    skip = _not_cjis(workspace, ctx)
    if skip is not None:
        return skip
    rules = [r for r in ctx.inventory.alert_rules if r.workspace_id == workspace.id]
    active = sorted(r.display_name or r.name for r in rules
                    if r.kind.lower() in ANALYTICS_RULE_KINDS and r.enabled is True)
    evidence = {
        "rules": [{"name": r.display_name or r.name, "kind": r.kind, "enabled": r.enabled}
                  for r in rules],
        "enabled_scheduled_or_nrt": active,
    }
    if active:
        return Verdict(status=Status.PASS,
                       reason=f"{len(active)} enabled scheduled/NRT rule(s): "
                              f"{', '.join(active)}",
                       evidence=evidence)
    if not _onboarded(workspace, ctx):
        # No onboarding record: not onboarded, unless its read failed (scanner.gate).
        rests_on("sentinel_onboarding", scope=workspace.id,
                 means="Sentinel may run there without an enabled scheduled/NRT rule")
        return Verdict(status=Status.NOT_APPLICABLE,
                       reason=f"Microsoft Sentinel is not onboarded on {workspace.name}",
                       evidence=evidence)
    kinds = ", ".join(sorted({f"{r.kind}{'' if r.enabled else ' (disabled)'}" for r in rules}))
    return Verdict(status=Status.FAIL,
                   reason=f"no enabled Scheduled or NRT analytics rule on {workspace.name}"
                          + (f" (rules seen: {kinds})" if rules else " (no rules)"),
                   evidence=evidence)


# --- key vault audit -------------------------------------------------------------------------

KEY_VAULT_AUDIT = frozenset({"auditevent", "audit", "alllogs"})


@check(
    id="key_vault_audit_to_workspace",
    title="Key vault audit events are sent to a Log Analytics workspace",
    kinds="key_vaults",
    severity="high",
    rationale=(
        "Every use of a customer-managed key (wrap, unwrap, get) and every change to the "
        "vault's access is an AuditEvent. Sent to Log Analytics, it shows who used the keys "
        "that protect CJI (AU-2, AU-12)."
    ),
    remediation={
        "summary": "Add a diagnostic setting on the vault that sends the AuditEvent category "
                   "(or the audit / allLogs group) to the CJIS Log Analytics workspace.",
        "cli": "az monitor diagnostic-settings create --name cjis-kv-audit "
               "--resource <vault-id> --workspace <workspace-id> "
               "--logs '[{\"category\": \"AuditEvent\", \"enabled\": true}]'",
        "docs": "https://learn.microsoft.com/azure/key-vault/general/howto-logging",
    },
    needs_anywhere=("diagnostic_settings",),
)
def key_vault_audit_to_workspace(vault: KeyVault, ctx: CheckContext) -> Verdict:
    """A vault diagnostic setting sends AuditEvent (or the audit / allLogs group) to a workspace."""
    target = vault.id
    unread = _not_read(ctx, target)
    if unread is not None:
        return unread
    settings = ctx.diagnostic_settings_for(target)
    evidence = {"target": target, "settings": [_describe(s) for s in settings]}
    for setting in settings:
        hits = setting.enabled_categories() & KEY_VAULT_AUDIT
        if setting.workspace_id and hits:
            return Verdict(status=Status.PASS,
                           reason=f"setting {setting.name!r} sends {', '.join(sorted(hits))} "
                                  f"to workspace {setting.workspace_id}",
                           evidence=evidence)
    return Verdict(status=Status.FAIL,
                   reason=_settings_fail_reason(target, settings,
                                                "AuditEvent, audit or allLogs"),
                   evidence=evidence)
