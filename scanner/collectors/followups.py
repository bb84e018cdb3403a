"""Reads that follow a list: what Azure has no subscription-wide list for.

Keys of each vault (and a GET per key where the list omits its type), each SQL server's
TDE protector, diagnostic settings of each resource that has logs, Sentinel onboarding
and analytics rules of each workspace, and the initiatives that assignments reference.
"""

from __future__ import annotations

import re
from typing import Any

from scanner.collectors import normalize
from scanner.collectors.specs import (
    DIAGNOSTIC_SETTINGS_API,
    KEYVAULT_API,
    POLICY_API,
    READER,
    SQL_API,
    ListSpec,
)
from scanner.collectors.tasks import Collection, Task
from scanner.inventory import (
    KeyVault,
    PolicyAssignment,
    SentinelOnboarding,
    SqlServer,
    Workspace,
    normalize_id,
)
from scanner.resource_types import diagnostic_target

SENTINEL_API_VERSION = "2025-09-01"
"""azure-mgmt-securityinsight was last released in 2022 with a 2021 API: no SDK pins it."""


def after_list(kind: str, items: list[Any], subscription_id: str,
               collection: Collection) -> list[Task]:
    """Store a kind's items and return the reads that must follow them."""
    if kind == "sql_servers":
        return [tde_protector_task(server) for server in items]  # stored with their TDE
    collection.add(kind, items)
    if kind == "resources":
        targets = sorted({t for r in items if (t := diagnostic_target(r.id, r.type))})
        return [diagnostic_settings_task(target, subscription_id) for target in targets]
    if kind == "key_vaults":
        return [keys_task(vault) for vault in items]
    if kind == "workspaces":
        return [sentinel_task(workspace) for workspace in items]
    if kind == "policy_assignments":
        return [policy_set_task(a, subscription_id) for a in items
                if a.is_set and collection.claim(a.policy_definition_id)]
    if kind == "diagnostic_settings":
        collection.read_diagnostics_of(f"/subscriptions/{subscription_id}")
    return []


def _task(collector: str, scope: str, run: Any, remedy: str) -> Task:
    return Task(collector, scope, run, remedy)


def keys_task(vault: KeyVault) -> Task:
    """List a vault's keys (management plane: Reader on the vault is enough)."""
    def run(collection: Collection) -> list[Task]:
        keys, followups = [], []
        for raw in collection.arm().list(f"{vault.id}/keys", KEYVAULT_API):
            key = normalize.vault_key(raw, vault.id)
            # Keys_List omits `kty` and the rotation policy; Keys_Get has them.
            if key.kty is None:
                followups.append(key_task(vault, key.name, key))
            else:
                keys.append(key)
        collection.add("vault_keys", keys)
        return followups

    return _task("vault_keys", vault.id, run,
                 "Reader on the key vault (Microsoft.KeyVault/vaults/keys/read) — "
                 "no data-plane access is needed")


def key_task(vault: KeyVault, name: str, listed: Any) -> Task:
    """GET one key for its type, expiry and rotation policy."""
    def run(collection: Collection) -> None:
        try:
            raw = collection.arm().get(f"{vault.id}/keys/{name}", KEYVAULT_API)
        except Exception:
            collection.add("vault_keys", [listed])  # known to exist, type unknown
            raise
        collection.add("vault_keys", [normalize.vault_key(raw, vault.id)])

    return _task("vault_keys", f"{vault.id}/keys/{name.lower()}", run,
                 "Reader on the key vault (Microsoft.KeyVault/vaults/keys/read)")


def tde_protector_task(server: SqlServer) -> Task:
    """Read a SQL server's current TDE protector."""
    def run(collection: Collection) -> None:
        try:
            raw = collection.arm().get(f"{server.id}/encryptionProtector/current", SQL_API)
        except Exception:
            collection.add("sql_servers", [server])  # the server exists; its TDE is unknown
            raise
        collection.add("sql_servers", [normalize.apply_tde_protector(server, raw)])

    return _task("sql_servers", server.id, run,
                 f"{READER} (Microsoft.Sql/servers/encryptionProtector/read)")


def diagnostic_settings_task(target: str, subscription_id: str) -> Task:
    """Read the diagnostic settings of one resource (Azure has no subscription-wide list)."""
    def run(collection: Collection) -> None:
        settings = [normalize.diagnostic_setting(raw, target) for raw in collection.arm().list(
            f"{target}/providers/Microsoft.Insights/diagnosticSettings", DIAGNOSTIC_SETTINGS_API)]
        collection.add("diagnostic_settings", settings)
        collection.read_diagnostics_of(target)

    return _task("diagnostic_settings", target, run,
                 f"{READER} (Microsoft.Insights/diagnosticSettings/read)")


def sentinel_task(workspace: Workspace) -> Task:
    """Is Microsoft Sentinel onboarded on the workspace? If so, read its analytics rules."""
    def run(collection: Collection) -> list[Task]:
        reader = collection.arm()
        states = list(reader.list(f"{workspace.id}/providers/Microsoft.SecurityInsights/"
                                  f"onboardingStates", SENTINEL_API_VERSION))
        onboarded = bool(states)
        collection.add("sentinel_onboarding",
                       [SentinelOnboarding(workspace_id=workspace.id, onboarded=onboarded)])
        return [alert_rules_task(workspace)] if onboarded else []

    return _task("sentinel_onboarding", workspace.id, run,
                 "Microsoft Sentinel Reader on the workspace "
                 "(Microsoft.SecurityInsights/onboardingStates/read)")


def alert_rules_task(workspace: Workspace) -> Task:
    """List Sentinel analytics rules of an onboarded workspace."""
    def run(collection: Collection) -> None:
        reader = collection.arm()
        collection.add("alert_rules", [
            normalize.alert_rule(raw, workspace.id)
            for raw in reader.list(f"{workspace.id}/providers/Microsoft.SecurityInsights/"
                                   f"alertRules", SENTINEL_API_VERSION)
        ])

    return _task("alert_rules", workspace.id, run,
                 "Microsoft Sentinel Reader on the workspace "
                 "(Microsoft.SecurityInsights/alertRules/read)")


_SET_ID = re.compile(r"^(/providers/microsoft\.management/managementgroups/[^/]+|"
                     r"/subscriptions/[^/]+)?/providers/microsoft\.authorization/"
                     r"policysetdefinitions/[^/]+$")


def policy_set_task(assignment: PolicyAssignment, subscription_id: str) -> Task:
    """Read the initiative an assignment references (built-in, subscription or group)."""
    set_id = normalize_id(assignment.policy_definition_id) or ""

    def run(collection: Collection) -> None:
        # The three Get operations (built-in, subscription, management group) are each a
        # GET of the initiative's own id.
        if _SET_ID.match(set_id):
            raw = collection.arm().get(set_id, POLICY_API)
            collection.add("policy_set_definitions", [normalize.policy_set_definition(raw)])

    return _task("policy_set_definitions", set_id, run,
                 "Reader at the initiative's scope (Microsoft.Authorization/"
                 "policySetDefinitions/read)")


def list_task(spec: ListSpec, subscription_id: str) -> Task:
    """The paged list of one spec row in one subscription (plus its follow-ups)."""
    def run(collection: Collection) -> list[Task]:
        items = [spec.mapper(raw, subscription_id)
                 for raw in collection.arm().list(spec.url(subscription_id), spec.api_version)]
        return after_list(spec.kind, items, subscription_id, collection)

    return Task(spec.collector or spec.kind, f"/subscriptions/{subscription_id}", run,
                spec.remedy)
