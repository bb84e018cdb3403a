"""Step 5, continuous monitoring: resource and Activity Log routing, Sentinel, vault audit.

Shared helpers (which categories prove an audit trail, unread targets) are in
checks/monitor_common.py; storage accounts' per-service logging in checks/monitor_storage.py;
per-table retention in checks/retention.py; Microsoft Entra ID's own diagnostic settings in
checks/entra_logs.py.
"""

from __future__ import annotations

from checks.monitor_common import (
    DIAG_DOCS,
    SETTINGS_COLLECTORS,
    describe,
    judge_target,
    not_cjis,
    not_read,
    settings_fail_reason,
)
from checks.monitor_storage import storage_logs_verdict
from scanner.context import CheckContext
from scanner.findings import Status, Verdict
from scanner.gate import rests_on
from scanner.inventory import GenericResource, KeyVault, Subscription
from scanner.inventory_monitor import Workspace
from scanner.registry import check
from scanner.resource_types import STORAGE_ACCOUNT, diagnostic_target

ACTIVITY_LOG_CATEGORIES = frozenset({"administrative", "security", "policy"})


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
                   "to the CJIS Log Analytics workspace; for storage accounts, on each "
                   "service the account holds (<account-id>/blobServices/default, "
                   "/fileServices/default, /queueServices/default, /tableServices/default; "
                   "built-ins b4fe1a3b, 25a70cc8, 7bd000e3, 2fb86bf3).",
        "cli": "az monitor diagnostic-settings create --name cjis-logs "
               "--resource <resource-id> --workspace <workspace-id> "
               "--logs '[{\"categoryGroup\": \"allLogs\", \"enabled\": true}]'",
        "docs": DIAG_DOCS,
    },
    needs_anywhere=("diagnostic_settings",),
)
def resource_diagnostic_logs_to_workspace(resource: GenericResource,
                                          ctx: CheckContext) -> Verdict:
    """Some diagnostic setting sends the resource's logs to a Log Analytics workspace
    (`monitor_common.judge_target`); a storage account's, on every service it holds."""
    if resource.type == STORAGE_ACCOUNT:
        return storage_logs_verdict(resource, ctx)
    target = diagnostic_target(resource.id, resource.type)
    if target is None:
        return Verdict(status=Status.NOT_APPLICABLE,
                       reason=f"resources of type {resource.type} have no resource logs "
                              f"routed by diagnostic settings",
                       evidence={"type": resource.type})
    return judge_target(ctx, target, resource.type)


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
    needs_anywhere=("diagnostic_settings", "activity_log_settings"),
)
def subscription_activity_log_to_workspace(sub: Subscription, ctx: CheckContext) -> Verdict:
    """A subscription diagnostic setting sends Administrative, Security and Policy (or allLogs).
    """
    target = sub.id.lower()
    unread = not_read(ctx, target)
    if unread is not None:
        return unread
    settings = ctx.diagnostic_settings_for(target)
    evidence = {"target": target, "settings": [describe(s) for s in settings],
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
                   reason=settings_fail_reason(f"subscription {sub.subscription_id}", settings,
                                                "allLogs or Administrative, Security and "
                                                "Policy"),
                   evidence=evidence)


# --- workspaces ------------------------------------------------------------------------------


def _onboarded(workspace: Workspace, ctx: CheckContext) -> bool | None:
    """True / False when the onboarding state was read; None when there is no record."""
    states = [s.onboarded for s in ctx.sentinel_onboarding_of(workspace.id)]
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
    needs_anywhere=SETTINGS_COLLECTORS,
)
def workspace_sentinel_onboarded(workspace: Workspace, ctx: CheckContext) -> Verdict:
    """A Sentinel onboarding state exists for each workspace receiving CJIS logs."""
    skip = not_cjis(workspace, ctx)
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
    needs_anywhere=(*SETTINGS_COLLECTORS, "sentinel_onboarding"),
)
def workspace_sentinel_analytics_rules(workspace: Workspace, ctx: CheckContext) -> Verdict:
    """At least one enabled `Scheduled` or `NRT` rule on each Sentinel workspace with CJIS logs.

    Not applicable on a workspace without Sentinel (the onboarding check fails there). When
    the onboarding state could not be read, enabled rules still prove Sentinel runs; with
    none the verdict is `unknown`.
    """
    skip = not_cjis(workspace, ctx)
    if skip is not None:
        return skip
    rules = ctx.alert_rules_of(workspace.id)
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
    unread = not_read(ctx, target)
    if unread is not None:
        return unread
    settings = ctx.diagnostic_settings_for(target)
    evidence = {"target": target, "settings": [describe(s) for s in settings]}
    for setting in settings:
        hits = setting.enabled_categories() & KEY_VAULT_AUDIT
        if setting.workspace_id and hits:
            return Verdict(status=Status.PASS,
                           reason=f"setting {setting.name!r} sends {', '.join(sorted(hits))} "
                                  f"to workspace {setting.workspace_id}",
                           evidence=evidence)
    return Verdict(status=Status.FAIL,
                   reason=settings_fail_reason(target, settings,
                                                "AuditEvent, audit or allLogs"),
                   evidence=evidence)
