"""The logging part of a check's context: diagnostic settings by target and by the
workspace they send to, which workspaces receive CJIS logs, Microsoft Sentinel's states and
rules, and each workspace's tables. A mixin of `scanner.context.CheckContext`: each index
is built from the inventory once (per-workspace scans of every setting were quadratic).
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property

from scanner.inventory import Inventory
from scanner.inventory_monitor import (
    AlertRule,
    DiagnosticSetting,
    SentinelOnboarding,
    WorkspaceTable,
)


class LoggingIndex:
    """Diagnostic settings, Sentinel and workspace tables over `self.inventory`."""

    inventory: Inventory

    @cached_property
    def _settings_by_target(self) -> dict[str, list[DiagnosticSetting]]:
        index: dict[str, list[DiagnosticSetting]] = defaultdict(list)
        for setting in self.inventory.diagnostic_settings:
            index[setting.target_id].append(setting)
        return index

    def diagnostic_settings_for(self, target_id: str) -> list[DiagnosticSetting]:
        """Diagnostic settings of a resource (or `/subscriptions/<id>`)."""
        return self._settings_by_target.get(target_id.lower(), [])

    @cached_property
    def diagnostic_targets_read(self) -> set[str]:
        """Targets whose diagnostic settings were read (even if there were none)."""
        return {t.lower() for t in self.inventory.diagnostic_targets}

    @cached_property
    def _settings_by_workspace(self) -> dict[str, list[DiagnosticSetting]]:
        # Indexed once: a per-workspace scan of every setting was workspaces x settings
        # (1,500 x 150,000 at 300x500: most of that scan's judging time).
        index: dict[str, list[DiagnosticSetting]] = defaultdict(list)
        for setting in self.inventory.diagnostic_settings:
            if setting.workspace_id and setting.enabled_categories():
                index[setting.workspace_id].append(setting)
        return index

    def settings_sending_to(self, workspace_id: str) -> list[DiagnosticSetting]:
        """The diagnostic settings of the boundary that send some log to a workspace."""
        return self._settings_by_workspace.get(workspace_id.lower(), [])

    @cached_property
    def _onboarding_by_workspace(self) -> dict[str, list[SentinelOnboarding]]:
        index: dict[str, list[SentinelOnboarding]] = defaultdict(list)
        for state in self.inventory.sentinel_onboarding:
            index[state.workspace_id].append(state)
        return index

    def sentinel_onboarding_of(self, workspace_id: str) -> list[SentinelOnboarding]:
        """The Sentinel onboarding states read for a workspace."""
        return self._onboarding_by_workspace.get(workspace_id.lower(), [])

    @cached_property
    def _rules_by_workspace(self) -> dict[str, list[AlertRule]]:
        index: dict[str, list[AlertRule]] = defaultdict(list)
        for rule in self.inventory.alert_rules:
            index[rule.workspace_id].append(rule)
        return index

    def alert_rules_of(self, workspace_id: str) -> list[AlertRule]:
        """The Sentinel analytics rules read for a workspace."""
        return self._rules_by_workspace.get(workspace_id.lower(), [])

    @cached_property
    def cjis_workspace_ids(self) -> set[str]:
        """Workspaces that receive logs from some diagnostic setting of the boundary."""
        return set(self._settings_by_workspace)

    # monitor (issue 10 item 12): each workspace's tables, read per workspace.
    @cached_property
    def _tables_by_workspace(self) -> dict[str, list[WorkspaceTable]]:
        index: dict[str, list[WorkspaceTable]] = defaultdict(list)
        for table in self.inventory.workspace_tables:
            index[table.workspace_id].append(table)
        return index

    def workspace_tables(self, workspace_id: str) -> list[WorkspaceTable]:
        """The tables listed for a workspace ([] when they were not read)."""
        return self._tables_by_workspace.get(workspace_id.lower(), [])
