"""Inventory models of monitoring: Log Analytics workspaces and their tables, diagnostic
settings (a resource's, a subscription's Activity Log, Entra ID's) and Microsoft Sentinel
(onboarding, analytics rules)."""

from __future__ import annotations

from pydantic import Field, field_validator

from scanner.inventory_base import ArmResource, Model, normalize_id


class Workspace(ArmResource):
    """A Log Analytics workspace."""

    customer_id: str | None = None
    retention_in_days: int | None = None
    sku_name: str | None = None


# monitor (issue 10 item 12): a workspace's tables, for per-table retention.
class WorkspaceTable(Model):
    """One table of a Log Analytics workspace (Tables - List) and its retention."""

    id: str
    workspace_id: str
    name: str
    """As Azure spells it (`AzureActivity`, `SigninLogs`)."""
    plan: str | None = None
    """`Analytics`, `Basic`, `Auxiliary`."""
    retention_in_days: int | None = None
    """Interactive retention; -1 (or absent) means the workspace's retention."""
    total_retention_in_days: int | None = None
    """Interactive plus long-term retention; -1 (or absent) means the interactive one."""
    retention_in_days_as_default: bool | None = None
    total_retention_in_days_as_default: bool | None = None

    @field_validator("id", "workspace_id", mode="before")
    @classmethod
    def _ids(cls, value: str) -> str:
        return normalize_id(value) or ""


class LogSetting(Model):
    """One log entry of a diagnostic setting."""

    category: str | None = None
    category_group: str | None = None
    enabled: bool = False


class DiagnosticSetting(Model):
    """A diagnostic setting of a resource (or of a subscription: the Activity Log)."""

    id: str
    name: str
    target_id: str
    """The resource (or `/subscriptions/<id>`) the setting belongs to, lower-cased."""
    workspace_id: str | None = None
    storage_account_id: str | None = None
    event_hub_authorization_rule_id: str | None = None
    logs: list[LogSetting] = Field(default_factory=list)
    # monitor (issue 10 item 12): `Dedicated` sends resource logs to resource-specific
    # tables; absent, to AzureDiagnostics.
    log_analytics_destination_type: str | None = None

    @field_validator("id", "target_id", mode="before")
    @classmethod
    def _ids(cls, value: str) -> str:
        return normalize_id(value) or ""

    @field_validator("workspace_id", "storage_account_id", "event_hub_authorization_rule_id",
                     mode="before")
    @classmethod
    def _optional_ids(cls, value: str | None) -> str | None:
        return normalize_id(value)

    def enabled_categories(self) -> set[str]:
        """Lower-cased categories and category groups whose logs are enabled."""
        names = set()
        for log in self.logs:
            if log.enabled:
                names.add((log.category_group or log.category or "").lower())
        return names


class SentinelOnboarding(Model):
    """Microsoft Sentinel onboarding state of one workspace."""

    workspace_id: str
    onboarded: bool

    @field_validator("workspace_id", mode="before")
    @classmethod
    def _ids(cls, value: str) -> str:
        return normalize_id(value) or ""


class AlertRule(Model):
    """A Microsoft Sentinel analytics rule."""

    id: str
    workspace_id: str
    name: str
    kind: str
    display_name: str | None = None
    enabled: bool | None = None

    @field_validator("id", "workspace_id", mode="before")
    @classmethod
    def _ids(cls, value: str) -> str:
        return normalize_id(value) or ""
