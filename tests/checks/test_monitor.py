"""Step 5 monitoring checks: exact pass / fail / unknown / not_applicable sets.

Diagnostic settings use Azure's spellings: `categoryGroup` `allLogs` / `audit`, per-category
`AuditEvent`, Activity Log categories `Administrative` / `Security` / `Policy`, subscription
setting ids without a leading slash under `AzureResourceManager`. Sentinel rule kinds are
`Scheduled`, `NRT`, `Fusion`, `MicrosoftSecurityIncidentCreation`.
"""

from __future__ import annotations

from typing import Any

from scanner.findings import Status
from scanner.inventory import CollectionError, GenericResource, KeyVault, Subscription
from scanner.inventory_monitor import (
    AlertRule,
    DiagnosticSetting,
    LogSetting,
    SentinelOnboarding,
    Workspace,
)
from tests.checks.helpers import SUB, arm_id, ids_with, inventory, statuses, verdicts

KV = "Microsoft.KeyVault/vaults"
SA = "Microsoft.Storage/storageAccounts"
NSG = "Microsoft.Network/networkSecurityGroups"
VNET = "Microsoft.Network/virtualNetworks"
LAW = "Microsoft.OperationalInsights/workspaces"
WORKSPACE = arm_id(LAW, "law-cjis", group="rg-logs")


def logs(*entries: str, enabled: bool = True) -> list[LogSetting]:
    """`group:allLogs` -> a categoryGroup entry; anything else -> a category entry."""
    found = []
    for entry in entries:
        if entry.startswith("group:"):
            found.append(LogSetting(category_group=entry[6:], enabled=enabled))
        else:
            found.append(LogSetting(category=entry, enabled=enabled))
    return found


def setting(target: str, name: str, entries: list[LogSetting], *,
            workspace: str | None = WORKSPACE, storage: str | None = None,
            event_hub: str | None = None) -> DiagnosticSetting:
    return DiagnosticSetting(
        id=f"{target}/providers/microsoft.insights/diagnosticSettings/{name}",
        name=name, target_id=target, workspace_id=workspace, storage_account_id=storage,
        event_hub_authorization_rule_id=event_hub, logs=entries,
    )


def resource(name: str, kind_path: str, kind: str | None = None,
             sku: str | None = None) -> GenericResource:
    # Storage accounts here are Blob Storage accounts (blob service only); every service
    # of general-purpose accounts: tests/checks/test_monitor_storage.py.
    if kind_path == SA and kind is None:
        kind = "BlobStorage"
    return GenericResource(id=arm_id(kind_path, name), name=name, type=kind_path,
                           location="eastus", subscription_id=SUB, resource_group="rg-cjis",
                           kind=kind, sku_name=sku)


def error(scope: str, collector: str, status: int = 403) -> CollectionError:
    return CollectionError(scope=scope, collector=collector, status=status,
                           message="AuthorizationFailed", remedy="Reader")


STORAGE_ARCHIVE = arm_id(SA, "archive", group="rg-logs")
EVENT_HUB = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/ns/" \
            "authorizationrules/RootManageSharedAccessKey"


# --- resource_diagnostic_logs_to_workspace ---------------------------------------------------


def resource_logs_inventory(**extra: Any) -> Any:
    kv = {n: arm_id(KV, n) for n in ("pass-kv-alllogs", "pass-kv-auditevent",
                                     "pass-kv-two-settings", "fail-kv-storage-only",
                                     "fail-kv-none", "fail-kv-disabled", "fail-kv-policy-only",
                                     "unknown-kv-not-read", "unknown-kv-error")}
    blob = {n: arm_id(SA, n) + "/blobservices/default"
            for n in ("pass-sa-audit", "pass-sa-every-category", "fail-sa-partial",
                      "unknown-sa-account-read-only")}
    nsg = arm_id(NSG, "fail-nsg-per-category")
    settings = [
        setting(kv["pass-kv-alllogs"], "to-law", logs("group:allLogs")),
        setting(kv["pass-kv-auditevent"], "to-law", logs("AuditEvent")),
        setting(kv["pass-kv-two-settings"], "archive", logs("group:allLogs"), workspace=None,
                storage=STORAGE_ARCHIVE),
        setting(kv["pass-kv-two-settings"], "sentinel", logs("group:audit")),
        setting(kv["fail-kv-storage-only"], "archive", logs("group:allLogs"), workspace=None,
                storage=STORAGE_ARCHIVE, event_hub=EVENT_HUB),
        setting(kv["fail-kv-disabled"], "to-law", logs("group:allLogs", enabled=False)),
        setting(kv["fail-kv-policy-only"], "to-law", logs("AzurePolicyEvaluationDetails")),
        setting(blob["pass-sa-audit"], "to-law", logs("group:audit")),
        setting(blob["pass-sa-every-category"], "to-law",
                logs("StorageRead", "StorageWrite", "StorageDelete")),
        setting(blob["fail-sa-partial"], "to-law", logs("StorageWrite", "StorageDelete")),
        setting(nsg, "to-law", logs("NetworkSecurityGroupEvent",
                                    "NetworkSecurityGroupRuleCounter")),
    ]
    read = [t for n, t in kv.items() if not n.startswith("unknown")] + \
        [t for n, t in blob.items() if not n.startswith("unknown")] + [nsg]
    # The account itself was read, but its logs live on the blob service, which was not.
    read.append(arm_id(SA, "unknown-sa-account-read-only"))
    resources = [resource(n, KV) for n in kv] + [resource(n, SA) for n in blob] + [
        resource("fail-nsg-per-category", NSG), resource("na-vnet", VNET)]
    fields: dict[str, Any] = {
        "resources": resources, "diagnostic_settings": settings, "diagnostic_targets": read,
        "errors": [error(kv["unknown-kv-error"], "diagnostic_settings")],
    }
    fields.update(extra)
    return inventory(**fields)


def test_resource_diagnostic_logs_sets() -> None:
    inv = resource_logs_inventory()
    check = "resource_diagnostic_logs_to_workspace"
    assert ids_with(Status.PASS, check, inv) == {
        arm_id(KV, "pass-kv-alllogs"), arm_id(KV, "pass-kv-auditevent"),
        arm_id(KV, "pass-kv-two-settings"), arm_id(SA, "pass-sa-audit"),
        arm_id(SA, "pass-sa-every-category")}
    assert ids_with(Status.FAIL, check, inv) == {
        arm_id(KV, "fail-kv-storage-only"), arm_id(KV, "fail-kv-none"),
        arm_id(KV, "fail-kv-disabled"), arm_id(KV, "fail-kv-policy-only"),
        arm_id(SA, "fail-sa-partial"), arm_id(NSG, "fail-nsg-per-category")}
    assert ids_with(Status.UNKNOWN, check, inv) == {
        arm_id(KV, "unknown-kv-not-read"), arm_id(KV, "unknown-kv-error"),
        arm_id(SA, "unknown-sa-account-read-only")}
    assert ids_with(Status.NOT_APPLICABLE, check, inv) == {arm_id(VNET, "na-vnet")}


def test_resource_diagnostic_logs_reasons() -> None:
    found = verdicts("resource_diagnostic_logs_to_workspace", resource_logs_inventory())
    nsg = found[arm_id(NSG, "fail-nsg-per-category")]
    assert "per-category settings cannot be proven to cover every category" in nsg.reason
    assert nsg.evidence["settings"][0]["enabled_logs"] == [
        "networksecuritygroupevent", "networksecuritygrouprulecounter"]
    assert "send no logs to a Log Analytics workspace" in \
        found[arm_id(KV, "fail-kv-storage-only")].reason
    assert "has no diagnostic setting" in found[arm_id(KV, "fail-kv-none")].reason
    assert "storageread" in found[arm_id(SA, "fail-sa-partial")].reason
    assert "403" in found[arm_id(KV, "unknown-kv-error")].reason
    assert "/blobservices/default" in found[arm_id(SA, "unknown-sa-account-read-only")].reason
    two = found[arm_id(KV, "pass-kv-two-settings")]
    assert [s["name"] for s in two.evidence["settings"]] == ["archive", "sentinel"]
    assert two.evidence["settings"][0]["storage_account_id"] == STORAGE_ARCHIVE


def test_resource_diagnostic_logs_blob_service_error() -> None:
    """An error recorded at the blob service (the target) makes the account unknown."""
    target = arm_id(SA, "unknown-sa-error") + "/blobservices/default"
    inv = inventory(resources=[resource("unknown-sa-error", SA)],
                    errors=[error(target, "diagnostic_settings", 404)])
    found = verdicts("resource_diagnostic_logs_to_workspace", inv)
    assert {r: v.status for r, v in found.items()} == {arm_id(SA, "unknown-sa-error"):
                                                       Status.UNKNOWN}
    assert "404" in found[arm_id(SA, "unknown-sa-error")].reason


def test_activity_log_error_does_not_hide_resource_logs() -> None:
    """The Activity Log's error sits at /subscriptions/<id>; read resources are still judged."""
    inv = resource_logs_inventory(errors=[error(f"/subscriptions/{SUB}", "activity_log_settings")])
    found = statuses("resource_diagnostic_logs_to_workspace", inv)
    assert found[arm_id(KV, "pass-kv-alllogs")] == Status.PASS
    assert found[arm_id(KV, "fail-kv-none")] == Status.FAIL
    assert found[arm_id(KV, "unknown-kv-not-read")] == Status.UNKNOWN


# --- subscription_activity_log_to_workspace --------------------------------------------------


def activity_setting(sub: str, name: str, entries: list[LogSetting],
                     workspace: str | None = WORKSPACE) -> DiagnosticSetting:
    return DiagnosticSetting(
        id=f"subscriptions/{sub}/providers/AzureResourceManager/diagnosticSettings/{name}",
        name=name, target_id=f"/subscriptions/{sub}", workspace_id=workspace, logs=entries,
    )


def test_activity_log_to_workspace() -> None:
    names = ["pass-categories", "pass-alllogs", "fail-missing-policy", "fail-storage-only",
             "fail-none", "unknown-not-read", "unknown-error"]
    inv = inventory(
        subscriptions=[Subscription(subscription_id=n, display_name=n) for n in names],
        diagnostic_settings=[
            activity_setting("pass-categories", "ds1", logs(
                "Administrative", "Security", "Policy", "ServiceHealth")),
            activity_setting("pass-alllogs", "ds4", logs("group:allLogs")),
            activity_setting("fail-missing-policy", "ds1", logs("Administrative", "Security")),
            activity_setting("fail-storage-only", "ds1", logs("group:allLogs"), workspace=None),
        ],
        diagnostic_targets=[f"/subscriptions/{n}" for n in names
                            if not n.startswith("unknown")],
        errors=[error("/subscriptions/unknown-error", "activity_log_settings")],
    )
    check = "subscription_activity_log_to_workspace"
    assert ids_with(Status.PASS, check, inv) == {"/subscriptions/pass-categories",
                                                 "/subscriptions/pass-alllogs"}
    assert ids_with(Status.FAIL, check, inv) == {"/subscriptions/fail-missing-policy",
                                                 "/subscriptions/fail-storage-only",
                                                 "/subscriptions/fail-none"}
    assert ids_with(Status.UNKNOWN, check, inv) == {"/subscriptions/unknown-not-read",
                                                    "/subscriptions/unknown-error"}
    found = verdicts(check, inv)
    assert "administrative, security" in found["/subscriptions/fail-missing-policy"].reason
    assert "not read" in found["/subscriptions/unknown-not-read"].reason
    assert "403" in found["/subscriptions/unknown-error"].reason


# --- workspaces ------------------------------------------------------------------------------


def workspace(name: str, retention: int | None = 365) -> Workspace:
    return Workspace(id=arm_id(LAW, name, group="rg-logs"), name=name, type=LAW,
                     location="eastus", subscription_id=SUB, resource_group="rg-logs",
                     retention_in_days=retention)


def ws(name: str) -> str:
    return arm_id(LAW, name, group="rg-logs")


def feeding(*names: str) -> list[DiagnosticSetting]:
    """One vault setting per workspace, which makes each a CJIS log workspace."""
    vault = arm_id(KV, "kv-cjis")
    return [setting(vault, f"to-{n}", logs("group:audit"), workspace=ws(n)) for n in names]


def test_workspace_not_known_to_receive_logs_when_settings_missing() -> None:
    """A workspace outside the known CJIS set is unknown, not n/a, if settings went unread."""
    inv = inventory(workspaces=[workspace("unknown-ws", 30)],
                    errors=[error(arm_id(KV, "kv-unread"), "diagnostic_settings")])
    for check in ("workspace_retention_365_days", "workspace_sentinel_onboarded",
                  "workspace_sentinel_analytics_rules"):
        assert ids_with(Status.UNKNOWN, check, inv) == {ws("unknown-ws")}, check


def test_sentinel_onboarded() -> None:
    inv = inventory(
        workspaces=[workspace(n) for n in ("pass-ws", "fail-ws-off", "fail-ws-none",
                                           "unknown-ws-error", "na-ws")],
        diagnostic_settings=feeding("pass-ws", "fail-ws-off", "fail-ws-none",
                                    "unknown-ws-error"),
        sentinel_onboarding=[SentinelOnboarding(workspace_id=ws("pass-ws"), onboarded=True),
                             SentinelOnboarding(workspace_id=ws("fail-ws-off"),
                                                onboarded=False)],
        errors=[error(ws("unknown-ws-error"), "sentinel_onboarding")],
    )
    check = "workspace_sentinel_onboarded"
    assert ids_with(Status.PASS, check, inv) == {ws("pass-ws")}
    assert ids_with(Status.FAIL, check, inv) == {ws("fail-ws-off"), ws("fail-ws-none")}
    assert ids_with(Status.UNKNOWN, check, inv) == {ws("unknown-ws-error")}
    assert ids_with(Status.NOT_APPLICABLE, check, inv) == {ws("na-ws")}
    assert "no onboarding state" in verdicts(check, inv)[ws("fail-ws-none")].reason


def rule(workspace_name: str, name: str, kind: str, enabled: bool | None = True,
         display: str | None = None) -> AlertRule:
    return AlertRule(
        id=f"{ws(workspace_name)}/providers/Microsoft.SecurityInsights/alertRules/{name}",
        workspace_id=ws(workspace_name), name=name, kind=kind,
        display_name=display or name, enabled=enabled,
    )


def test_sentinel_analytics_rules() -> None:
    onboarded = ["pass-ws", "pass-ws-nrt", "fail-ws-builtin-only", "fail-ws-no-rules",
                 "unknown-ws-rules-error"]
    inv = inventory(
        workspaces=[workspace(n) for n in (*onboarded, "na-ws-not-onboarded", "na-ws-not-cjis",
                                           "unknown-ws-onboarding-error",
                                           "pass-ws-onboarding-error")],
        diagnostic_settings=feeding(*onboarded, "na-ws-not-onboarded",
                                    "unknown-ws-onboarding-error", "pass-ws-onboarding-error"),
        sentinel_onboarding=[SentinelOnboarding(workspace_id=ws(n), onboarded=True)
                             for n in onboarded]
        + [SentinelOnboarding(workspace_id=ws("na-ws-not-onboarded"), onboarded=False)],
        alert_rules=[
            rule("pass-ws", "73e01a99-5cd7-4139-a149-9f2736ff2ab5", "Scheduled",
                 display="My scheduled rule"),
            rule("pass-ws", "myFirstFusionRule", "Fusion", enabled=False),
            rule("pass-ws-nrt", "nrt-1", "NRT", display="Privileged role change"),
            rule("fail-ws-builtin-only", "myFirstFusionRule", "Fusion",
                 display="Advanced Multi-Stage Attack Detection"),
            rule("fail-ws-builtin-only", "microsoftSecurityIncidentCreationRuleExample",
                 "MicrosoftSecurityIncidentCreation"),
            rule("fail-ws-builtin-only", "sched-off", "Scheduled", enabled=False),
            rule("pass-ws-onboarding-error", "sched", "Scheduled"),
        ],
        errors=[error(ws("unknown-ws-rules-error"), "alert_rules"),
                error(ws("unknown-ws-onboarding-error"), "sentinel_onboarding"),
                error(ws("pass-ws-onboarding-error"), "sentinel_onboarding")],
    )
    check = "workspace_sentinel_analytics_rules"
    assert ids_with(Status.PASS, check, inv) == {ws("pass-ws"), ws("pass-ws-nrt"),
                                                 ws("pass-ws-onboarding-error")}
    assert ids_with(Status.FAIL, check, inv) == {ws("fail-ws-builtin-only"),
                                                 ws("fail-ws-no-rules")}
    assert ids_with(Status.UNKNOWN, check, inv) == {ws("unknown-ws-rules-error"),
                                                    ws("unknown-ws-onboarding-error")}
    assert ids_with(Status.NOT_APPLICABLE, check, inv) == {ws("na-ws-not-onboarded"),
                                                           ws("na-ws-not-cjis")}
    found = verdicts(check, inv)
    assert found[ws("pass-ws")].evidence["enabled_scheduled_or_nrt"] == ["My scheduled rule"]
    assert "My scheduled rule" in found[ws("pass-ws")].reason
    builtin_only = found[ws("fail-ws-builtin-only")].reason
    assert "Fusion" in builtin_only and "Scheduled (disabled)" in builtin_only


# --- key_vault_audit_to_workspace ------------------------------------------------------------


def vault(name: str) -> KeyVault:
    return KeyVault(id=arm_id(KV, name), name=name, type=KV, location="eastus",
                    subscription_id=SUB, resource_group="rg-cjis", sku_name="premium",
                    vault_uri=f"https://{name}.vault.azure.net/")


def test_key_vault_audit_to_workspace() -> None:
    names = ["pass-kv-auditevent", "pass-kv-audit-group", "pass-kv-alllogs",
             "fail-kv-policy-only", "fail-kv-event-hub-only", "fail-kv-none",
             "unknown-kv-not-read", "unknown-kv-error"]
    inv = inventory(
        key_vaults=[vault(n) for n in names],
        diagnostic_settings=[
            setting(arm_id(KV, "pass-kv-auditevent"), "kv-audit",
                    logs("AuditEvent", "AzurePolicyEvaluationDetails")),
            setting(arm_id(KV, "pass-kv-audit-group"), "kv-audit", logs("group:audit")),
            setting(arm_id(KV, "pass-kv-alllogs"), "kv-audit", logs("group:allLogs")),
            setting(arm_id(KV, "fail-kv-policy-only"), "kv-audit",
                    logs("AzurePolicyEvaluationDetails")),
            setting(arm_id(KV, "fail-kv-event-hub-only"), "kv-audit", logs("AuditEvent"),
                    workspace=None, event_hub=EVENT_HUB),
        ],
        diagnostic_targets=[arm_id(KV, n) for n in names if not n.startswith("unknown")],
        errors=[error(arm_id(KV, "unknown-kv-error"), "diagnostic_settings", 500)],
    )
    check = "key_vault_audit_to_workspace"
    assert ids_with(Status.PASS, check, inv) == {arm_id(KV, n) for n in names[:3]}
    assert ids_with(Status.FAIL, check, inv) == {arm_id(KV, n) for n in names[3:6]}
    assert ids_with(Status.UNKNOWN, check, inv) == {arm_id(KV, n) for n in names[6:]}
    found = verdicts(check, inv)
    assert "azurepolicyevaluationdetails" in found[arm_id(KV, "fail-kv-policy-only")].reason
    assert "500" in found[arm_id(KV, "unknown-kv-error")].reason
