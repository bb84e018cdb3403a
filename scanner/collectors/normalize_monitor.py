"""Monitoring bodies -> inventory models: Log Analytics workspaces and their tables,
diagnostic settings (a resource's, a subscription's Activity Log, Entra ID's), Sentinel
analytics rules. The shared helpers are scanner.collectors.normalize's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scanner.collectors.normalize import ShapeError, _arm_fields, _bool, _get, _props
from scanner.inventory_base import normalize_id
from scanner.inventory_monitor import (
    AlertRule,
    DiagnosticSetting,
    LogSetting,
    Workspace,
    WorkspaceTable,
)


def workspace(body: Mapping[str, Any], subscription_id: str) -> Workspace:
    """Workspaces_List item. Log Analytics ids come lower-cased."""
    p = _props(body)
    retention = _get(p, "retentionInDays")
    return Workspace(
        **_arm_fields(body, subscription_id),
        customer_id=_get(p, "customerId"),
        retention_in_days=int(retention) if retention is not None else None,
        sku_name=_get(p, "sku", "name"),
    )


def diagnostic_setting(body: Mapping[str, Any], target_id: str) -> DiagnosticSetting:
    """DiagnosticSettings_List / SubscriptionDiagnosticSettings_List item.

    Subscription setting ids have no leading slash; `workspaceId` may be "".
    """
    p = _props(body)
    return DiagnosticSetting(
        id=body.get("id") or f"{target_id}/providers/microsoft.insights/diagnosticsettings/"
                              f"{body.get('name')}",
        name=str(body.get("name")),
        target_id=target_id,
        workspace_id=_get(p, "workspaceId") or None,
        storage_account_id=_get(p, "storageAccountId") or None,
        event_hub_authorization_rule_id=_get(p, "eventHubAuthorizationRuleId") or None,
        logs=[LogSetting(category=_get(log, "category"), category_group=_get(log, "categoryGroup"),
                         enabled=bool(_bool(_get(log, "enabled"))))
              for log in _get(p, "logs") or []],
        log_analytics_destination_type=_get(p, "logAnalyticsDestinationType") or None,
    )


def _days(value: Any) -> int | None:
    """A retention in days: an integer (-1: the default), or absent. Anything else is a
    shape error: read as absent it would fall back to the workspace's retention."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ShapeError(f"a retention of {value!r} is not a number of days")


def workspace_table(body: Mapping[str, Any], subscription_id: str) -> WorkspaceTable:
    """Tables_ListByWorkspace item (its id names the workspace: `<workspace>/tables/<name>`).
    `*AsDefault` come as the strings "True" / "False" in the published example."""
    p = _props(body)
    table_id = normalize_id(body.get("id")) or ""
    return WorkspaceTable(
        id=table_id,
        workspace_id=table_id.rsplit("/tables/", 1)[0],
        name=str(body.get("name") or table_id.rsplit("/", 1)[-1]),
        plan=_get(p, "plan"),
        retention_in_days=_days(_get(p, "retentionInDays")),
        total_retention_in_days=_days(_get(p, "totalRetentionInDays")),
        retention_in_days_as_default=_bool(_get(p, "retentionInDaysAsDefault")),
        total_retention_in_days_as_default=_bool(_get(p, "totalRetentionInDaysAsDefault")),
    )


def alert_rule(body: Mapping[str, Any], workspace_id: str) -> AlertRule:
    """Microsoft Sentinel AlertRules_List item."""
    p = _props(body)
    return AlertRule(
        id=body.get("id") or "",
        workspace_id=workspace_id,
        name=str(body.get("name")),
        kind=str(body.get("kind")),
        display_name=_get(p, "displayName"),
        enabled=_bool(_get(p, "enabled")),
    )


def activity_log_setting(body: Mapping[str, Any], subscription_id: str) -> DiagnosticSetting:
    """SubscriptionDiagnosticSettings_List item: the subscription's Activity Log routing."""
    return diagnostic_setting(body, f"/subscriptions/{subscription_id}")
