"""What the step-5 monitoring checks share: which log categories prove an audit trail,
how an unread diagnostic-settings target becomes `unknown`, how settings are described
in evidence, and which workspaces receive CJIS logs.

Diagnostic settings are read per target (storage logs live on each service of the
account, not on the account). A target is judged only when its settings were read
(`ctx.diagnostic_targets_read`); otherwise it is `unknown`, and the engine (scanner.gate) names
the collection error that covers it when there is one (`diagnostic_settings` for a resource,
`activity_log_settings` for a subscription's Activity Log, `aad_diagnostic_settings` for
Microsoft Entra ID's own).
"""

from __future__ import annotations

from typing import Any

from scanner.context import CheckContext
from scanner.findings import Status, Verdict
from scanner.gate import rests_on
from scanner.inventory_monitor import DiagnosticSetting, Workspace

CATEGORY_GROUPS = frozenset({"alllogs", "audit"})
"""Category groups that carry a resource's audit logs, whatever its type."""

# Per-category settings are accepted only where the categories that prove the audit trail
# are documented (Azure Monitor "Supported logs for <type>"): all of them must be enabled.
AUDIT_CATEGORIES: dict[str, frozenset[str]] = {
    "microsoft.keyvault/vaults": frozenset({"auditevent"}),
    "microsoft.keyvault/managedhsms": frozenset({"auditevent"}),
    "microsoft.sql/servers/databases": frozenset({"sqlsecurityauditevents"}),
    # Each storage service (blob, file, queue, table) has exactly these three categories:
    # all of them is "every log category", as the built-ins b4fe1a3b, 25a70cc8, 7bd000e3
    # and 2fb86bf3 deploy them.
    "microsoft.storage/storageaccounts": frozenset({"storageread", "storagewrite",
                                                   "storagedelete"}),
}

DIAG_DOCS = "https://learn.microsoft.com/azure/azure-monitor/essentials/create-diagnostic-settings"


def not_read(ctx: CheckContext, target: str, collector: str = "diagnostic_settings"
             ) -> Verdict | None:
    """`unknown` when `target`'s diagnostic settings were not read; None when they were."""
    if target.lower() in ctx.diagnostic_targets_read:
        return None
    # The engine adds why, when the read failed (scanner.gate); /subscriptions/<id> is
    # the Activity Log's own read.
    rests_on(collector, *(("activity_log_settings",) if target.count("/") == 2 else ()),
             scope=target)
    return Verdict(status=Status.UNKNOWN,
                   reason=f"the diagnostic settings of {target} were not read",
                   evidence={"target": target})


def describe(setting: DiagnosticSetting) -> dict[str, Any]:
    return {
        "name": setting.name,
        "workspace_id": setting.workspace_id,
        "storage_account_id": setting.storage_account_id,
        "event_hub_authorization_rule_id": setting.event_hub_authorization_rule_id,
        "enabled_logs": sorted(setting.enabled_categories()),
    }


def settings_fail_reason(target: str, settings: list[DiagnosticSetting], wanted: str) -> str:
    if not settings:
        return f"{target} has no diagnostic setting"
    to_workspace = [s for s in settings if s.workspace_id]
    if not to_workspace:
        return (f"the diagnostic settings of {target} ({', '.join(s.name for s in settings)}) "
                f"send no logs to a Log Analytics workspace")
    seen = sorted({c for s in to_workspace for c in s.enabled_categories()})
    return (f"the settings of {target} that reach a workspace enable "
            f"{', '.join(seen) or 'no logs'}, not {wanted}")


# Every read whose settings can make a workspace a CJIS log workspace.
SETTINGS_COLLECTORS = ("diagnostic_settings", "activity_log_settings", "aad_diagnostic_settings")


def not_cjis(workspace: Workspace, ctx: CheckContext) -> Verdict | None:
    """N/A (or unknown) for a workspace no diagnostic setting of the boundary sends logs to."""
    if workspace.id in ctx.cjis_workspace_ids:
        return None
    # A setting that could not be read anywhere may be the one that feeds this workspace.
    rests_on(*SETTINGS_COLLECTORS, means="it may still receive CJIS logs")
    return Verdict(status=Status.NOT_APPLICABLE,
                   reason=f"no diagnostic setting of the boundary sends logs to workspace "
                          f"{workspace.name}",
                   evidence={"cjis_workspaces": sorted(ctx.cjis_workspace_ids)})


def judge_target(ctx: CheckContext, target: str, resource_type: str) -> Verdict:
    """Does some setting of `target` send its audit logs to a Log Analytics workspace?

    Enough: category group `allLogs` or `audit`. A setting that lists categories one by
    one is accepted only for the types in `AUDIT_CATEGORIES`, whose audit categories are
    documented; for any other type its categories cannot be proven to be "every log
    category", so it fails with that reason.
    """
    unread = not_read(ctx, target)
    if unread is not None:
        return unread
    settings = ctx.diagnostic_settings_for(target)
    required = AUDIT_CATEGORIES.get(resource_type)
    evidence: dict[str, Any] = {
        "target": target,
        "settings": [describe(s) for s in settings],
        "accepted": sorted(CATEGORY_GROUPS) + ([f"all of {sorted(required)}"] if required
                                               else []),
    }
    for setting in settings:
        if not setting.workspace_id:
            continue
        enabled = setting.enabled_categories()
        sent = sorted(enabled & CATEGORY_GROUPS) or \
            (sorted(required) if required and required <= enabled else [])
        if sent:
            return Verdict(status=Status.PASS,
                           reason=f"setting {setting.name!r} sends {', '.join(sent)} to "
                                  f"workspace {setting.workspace_id}",
                           evidence=evidence)
    wanted = "allLogs or audit" + (f", or all of {', '.join(sorted(required))}" if required
                                   else "")
    reason = settings_fail_reason(target, settings, wanted)
    if not required and any(s.workspace_id and s.enabled_categories() for s in settings):
        reason += (f"; per-category settings cannot be proven to cover every category of "
                   f"{resource_type}")
    return Verdict(status=Status.FAIL, reason=reason, evidence=evidence)
