"""Microsoft Entra ID's own diagnostic settings (issue 11), from the published body.

The published Microsoft.Aadiam DiagnosticSettings_List example sends SignInLogs to a
storage account and an event hub with `workspaceId: ""`: as published it fails. The pass
cases are the same body sent to a workspace with AuditLogs added.
"""

from __future__ import annotations

from typing import Any

from fixtures.examples import example
from scanner.collectors import normalize_monitor
from scanner.collectors.aad_diagnostics import REMEDY, aad_diagnostics_task
from scanner.findings import Status
from scanner.inventory import CollectionError
from scanner.resource_types import AAD_DIAGNOSTICS_TARGET
from tests.checks.helpers import TENANT, arm_id, inventory, verdicts

CHECK = "entra_diagnostic_logs_to_workspace"
WORKSPACE = arm_id("Microsoft.OperationalInsights/workspaces", "law-cjis", group="rg-logs")


def published(**properties: Any) -> Any:
    body = example("monitor/aad_diagnostic_settings_list.json")["value"][0]
    body["properties"].update(properties)
    return normalize_monitor.diagnostic_setting(body, AAD_DIAGNOSTICS_TARGET)


def verdict(*settings: Any, read: bool = True, errors: list[CollectionError] | None = None
            ) -> Any:
    inv = inventory(diagnostic_settings=list(settings),
                    diagnostic_targets=[AAD_DIAGNOSTICS_TARGET] if read else [],
                    errors=errors or [])
    (found,) = verdicts(CHECK, inv).values()
    return found


def logs(*categories: str) -> list[dict[str, Any]]:
    return [{"category": c, "enabled": True, "retentionPolicy": {"enabled": False, "days": 0}}
            for c in categories]


def test_published_body_fails_it_reaches_no_workspace() -> None:
    found = verdict(published())
    assert found.status is Status.FAIL
    assert "AuditLogs or SignInLogs" in found.reason and "mysetting" in found.reason
    assert found.evidence["settings"][0]["storage_account_id"].endswith("appteststorage1")


def test_sign_in_and_audit_logs_to_a_workspace_pass() -> None:
    found = verdict(published(workspaceId=WORKSPACE,
                              logs=logs("AuditLogs", "SignInLogs",
                                        "NonInteractiveUserSignInLogs")))
    assert found.status is Status.PASS
    assert "AuditLogs (mysetting -> " in found.reason
    assert found.evidence["to_workspace"]["NonInteractiveUserSignInLogs"]
    assert found.evidence["to_workspace"]["ServicePrincipalSignInLogs"] == []


def test_sign_ins_without_audit_logs_fail_naming_audit_logs() -> None:
    found = verdict(published(workspaceId=WORKSPACE))
    assert found.status is Status.FAIL
    assert "sends AuditLogs to a Log Analytics workspace" in found.reason


def test_no_setting_at_all_fails() -> None:
    found = verdict()
    assert found.status is Status.FAIL and "has no diagnostic setting" in found.reason


def test_a_disabled_category_does_not_count() -> None:
    body = logs("AuditLogs", "SignInLogs")
    body[0]["enabled"] = False
    assert verdict(published(workspaceId=WORKSPACE, logs=body)).status is Status.FAIL


def test_a_refused_read_is_unknown_naming_the_permission() -> None:
    error = CollectionError(scope=f"/tenants/{TENANT}", collector="aad_diagnostic_settings",
                            status=403, code="AuthorizationFailed",
                            message="The client does not have authorization", remedy=REMEDY)
    found = verdict(read=False, errors=[error])
    assert found.status is Status.UNKNOWN
    assert "403" in found.reason and "microsoft.aadiam/diagnosticSettings/read" in found.reason
    assert "Security Reader or Global Reader" in found.reason


def test_settings_not_read_are_unknown() -> None:
    assert verdict(published(workspaceId=WORKSPACE, logs=logs("AuditLogs", "SignInLogs")),
                   read=False).status is Status.UNKNOWN


def test_the_task_is_one_tenant_read() -> None:
    task = aad_diagnostics_task(TENANT)
    assert (task.collector, task.scope) == ("aad_diagnostic_settings", f"/tenants/{TENANT}")


def test_a_workspace_fed_only_by_entra_id_is_a_cjis_workspace() -> None:
    from scanner.inventory_monitor import Workspace

    law = Workspace(id=WORKSPACE, name="law-cjis", type="microsoft.operationalinsights/workspaces",
                    location="eastus", subscription_id="s", retention_in_days=30)
    entra = published(workspaceId=WORKSPACE, logs=logs("AuditLogs", "SignInLogs"))
    fed = inventory(workspaces=[law], diagnostic_settings=[entra],
                    diagnostic_targets=[AAD_DIAGNOSTICS_TARGET])
    unfed = inventory(workspaces=[law], diagnostic_settings=[published()],
                      diagnostic_targets=[AAD_DIAGNOSTICS_TARGET])
    assert verdicts("workspace_sentinel_onboarded", fed)[WORKSPACE].status is Status.FAIL
    assert verdicts("workspace_sentinel_onboarded", unfed)[WORKSPACE].status is \
        Status.NOT_APPLICABLE
