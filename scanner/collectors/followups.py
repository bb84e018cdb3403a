"""Reads that follow a list: what Azure has no subscription-wide list for.

Keys of each vault and Managed HSM (and a GET per key where the list omits its type), each
SQL server's TDE protector, diagnostic settings of each resource that has logs, Sentinel onboarding
and analytics rules of each workspace, and the initiatives that assignments reference.
"""

from __future__ import annotations

import re
from typing import Any

from scanner.collectors import normalize, normalize_monitor, normalize_policy
from scanner.collectors.items import map_items
from scanner.collectors.specs import (
    DIAGNOSTIC_SETTINGS_API,
    GATED,
    KEYVAULT_API,
    POLICY_API,
    READER,
    SPEC_BY_KIND,
    SQL_API,
    ListSpec,
    mapper_of,
)
from scanner.collectors.tasks import Collection, Task
from scanner.inventory import KeyVault, ManagedHsm, ServiceResource, SqlServer
from scanner.inventory_base import normalize_id
from scanner.inventory_monitor import SentinelOnboarding, Workspace
from scanner.inventory_policy import EFFECT_READ_DEFINITIONS, PolicyAssignment
from scanner.kinds import Detail, Kind, children_of
from scanner.kinds.core import KEY_LISTS
from scanner.resource_types import diagnostic_targets

SENTINEL_API_VERSION = "2025-09-01"
"""azure-mgmt-securityinsight was last released in 2022 with a 2021 API: no SDK pins it."""


def after_list(kind_name: str, items: list[Any], subscription_id: str,
               collection: Collection) -> list[Task]:
    """Store a kind's items and return the reads its declaration says must follow them."""
    kind = SPEC_BY_KIND[kind_name]
    if not kind.stores_itself:
        collection.add(kind.name, items)
    tasks: list[Task] = [detail_task(kind, detail, item)
                         for detail in kind.details for item in items]
    tasks += [child_list_task(child, item, subscription_id)
              for child in children_of(kind.name) if collection.wants(child.name)
              for item in items]
    for name in kind.followups:
        # A narrowed scan skips the follow-ups whose reads none of its checks consult.
        if not FOLLOWUP_READS[name] or any(map(collection.wants, FOLLOWUP_READS[name])):
            tasks.extend(globals()[name](items, subscription_id, collection))
    return tasks


FOLLOWUP_READS: dict[str, tuple[str, ...]] = {
    "diagnostic_settings_of": ("diagnostic_settings",),
    "gated_lists": (),  # each gated kind is asked for on its own (gated_lists)
    "keys_of": ("vault_keys",),
    "tde_protectors_of": (),  # part of the SQL server's own item
    "sentinel_of": ("sentinel_onboarding", "alert_rules"),
    "initiatives_of": ("policy_set_definitions", "policy_definitions"),
    "activity_log_read": ("activity_log_settings",),
}
"""What each follow-up a kind declares (scanner.kinds `followups`) reads: how a narrowed
scan (scanner.narrowing) knows which list a read follows."""


def detail_task(kind: Kind, detail: Detail, resource: ServiceResource) -> Task:
    """One declared detail read of one service resource; its fields join the item's."""
    def run(collection: Collection) -> None:
        body = collection.arm().get(f"{resource.id}{detail.path}",
                                    detail.api_version or kind.api_version)
        props = {name: normalize.field_path(body, path) for name, path in detail.fields.items()}
        collection.add(DETAILS, [(kind.name, resource.id, props)])

    permission = detail.permission or f"{kind.arm_type}/read"
    return _task(kind.name, resource.id, run, f"Reader on the resource ({permission})")


def child_list_task(kind: Kind, parent: Any, subscription_id: str) -> Task:
    """The list of a child kind under one item of its parent (an account's scopes)."""
    mapper = mapper_of(kind)

    def run(collection: Collection) -> list[Task]:
        items = _mapped(collection, collection.arm().list(
            f"{parent.id}{kind.path}", kind.api_version),
            lambda raw: mapper(raw, subscription_id), parent.id, kind.error_name)
        return after_list(kind.name, items, subscription_id, collection)

    return _task(kind.error_name, parent.id, run, kind.remedy)


DETAILS = "service_details"
"""Where detail reads leave their fields until the collection merges them (runner)."""


# --- the follow-ups kinds declare (scanner.kinds: `followups`) -----------------------------


def diagnostic_settings_of(resources: list[Any], subscription_id: str,
                           collection: Collection) -> list[Task]:
    """Each resource with logs: its diagnostic settings (Azure has no subscription list);
    a storage account's on each service its kind holds (scanner.resource_types)."""
    targets = sorted({t for r in resources
                      for t in diagnostic_targets(r.id, r.type, getattr(r, "kind", None),
                                                  getattr(r, "sku_name", None)).values()})
    return [diagnostic_settings_task(target, subscription_id) for target in targets]


def gated_lists(resources: list[Any], subscription_id: str,
                collection: Collection) -> list[Task]:
    """The lists of gated kinds whose type the subscription's resource list shows.

    A tenant without PostgreSQL makes no PostgreSQL read. If the resource list itself
    fails, the engine reports every gated kind of that subscription as `unknown`.
    """
    present = {r.type for r in resources}
    # Claimed: when `--source auto` falls back to ARM, the stream may make them too.
    return [list_task(kind, subscription_id) for kind in GATED
            if kind.type in present and kind.name not in collection.from_graph
            and collection.wants(kind.name)
            and collection.claim(f"gated:{kind.name}:{subscription_id}")]


def keys_of(stores: list[KeyVault | ManagedHsm], subscription_id: str,
            collection: Collection) -> list[Task]:
    return [keys_task(store) for store in stores]


def tde_protectors_of(servers: list[SqlServer], subscription_id: str,
                      collection: Collection) -> list[Task]:
    return [tde_protector_task(server) for server in servers]  # stored with their TDE


def sentinel_of(workspaces: list[Workspace], subscription_id: str,
                collection: Collection) -> list[Task]:
    return [sentinel_task(workspace) for workspace in workspaces]


def initiatives_of(assignments: list[PolicyAssignment], subscription_id: str,
                   collection: Collection) -> list[Task]:
    """Each initiative once, and each guardrail definition assigned without an effect
    (its default effect is in the definition) once."""
    return [policy_set_task(a, subscription_id) if a.is_set
            else policy_definition_task(a.policy_definition_id)
            for a in assignments
            if (a.is_set or _effect_from_definition(a.policy_definition_id, a.parameters))
            and collection.claim(a.policy_definition_id)]


def activity_log_read(settings: list[Any], subscription_id: str,
                      collection: Collection) -> list[Task]:
    collection.read_diagnostics_of(f"/subscriptions/{subscription_id}")
    return []


def _mapped(collection: Collection, raw_items: Any, mapper: Any, scope: str,
            collector: str) -> list[Any]:
    """The items of a follow-up read that map; a malformed one is an error of `collector`
    at `scope` (the resource the read is about, so its checks are `unknown` there), never
    a crash of the scan (scanner.collectors.items)."""
    items, errors = map_items(raw_items, mapper, scope, collector)
    for error in errors:
        collection.add_error(error.model_copy(update={"scope": scope}))
    return items


def _task(collector: str, scope: str, run: Any, remedy: str) -> Task:
    return Task(collector, scope, run, remedy)


def _key_read(store: KeyVault | ManagedHsm) -> tuple[str, str]:
    """(collector, remedy) of the key reads of a vault or Managed HSM."""
    hsm = isinstance(store, ManagedHsm)
    kind = SPEC_BY_KIND["managed_hsms" if hsm else "key_vaults"]
    return (KEY_LISTS[kind.name], f"Reader on the {'Managed HSM' if hsm else 'key vault'} "
                                  f"({kind.arm_type}/keys/read) — no data-plane access is needed")


def keys_task(store: KeyVault | ManagedHsm) -> Task:
    """List a vault's or Managed HSM's keys (management plane: Reader on it is enough;
    Keys_List and ManagedHsmKeys_List)."""
    collector, remedy = _key_read(store)

    def run(collection: Collection) -> list[Task]:
        keys, followups = [], []
        listed = _mapped(collection, collection.arm().list(f"{store.id}/keys", KEYVAULT_API),
                         lambda raw: normalize.vault_key(raw, store.id), store.id, collector)
        for key in listed:
            # The lists omit `kty` and the rotation policy; the GETs have them.
            if key.kty is None:
                followups.append(key_task(store, key.name, key))
            else:
                keys.append(key)
        collection.add(collector, keys)
        return followups

    return _task(collector, store.id, run, remedy)


def key_task(store: KeyVault | ManagedHsm, name: str, listed: Any) -> Task:
    """GET one key for its type, expiry and rotation policy (Keys_Get, ManagedHsmKeys_Get)."""
    collector, remedy = _key_read(store)

    def run(collection: Collection) -> None:
        try:
            raw = collection.arm().get(f"{store.id}/keys/{name}", KEYVAULT_API)
        except Exception:
            collection.add(collector, [listed])  # known to exist, type unknown
            raise
        mapped = _mapped(collection, [raw], lambda body: normalize.vault_key(body, store.id),
                         store.id, collector)
        collection.add(collector, mapped or [listed])

    return _task(collector, f"{store.id}/keys/{name.lower()}", run, remedy)


def tde_protector_task(server: SqlServer) -> Task:
    """Read a SQL server's current TDE protector."""
    def run(collection: Collection) -> None:
        try:
            raw = collection.arm().get(f"{server.id}/encryptionProtector/current", SQL_API)
        except Exception:
            collection.add("sql_servers", [server])  # the server exists; its TDE is unknown
            raise
        mapped = _mapped(collection, [raw], lambda body: normalize.apply_tde_protector(
            server, body), server.id, "sql_servers")
        collection.add("sql_servers", mapped or [server])

    return _task("sql_servers", server.id, run,
                 f"{READER} (Microsoft.Sql/servers/encryptionProtector/read)")


def diagnostic_settings_task(target: str, subscription_id: str) -> Task:
    """Read the diagnostic settings of one resource (Azure has no subscription-wide list)."""
    def run(collection: Collection) -> None:
        settings = _mapped(collection, collection.arm().list(
            f"{target}/providers/Microsoft.Insights/diagnosticSettings", DIAGNOSTIC_SETTINGS_API),
            lambda raw: normalize_monitor.diagnostic_setting(raw, target), target,
            "diagnostic_settings")
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
        collection.add("alert_rules", _mapped(
            collection, reader.list(f"{workspace.id}/providers/Microsoft.SecurityInsights/"
                                    f"alertRules", SENTINEL_API_VERSION),
            lambda raw: normalize_monitor.alert_rule(raw, workspace.id), workspace.id,
            "alert_rules"))

    return _task("alert_rules", workspace.id, run,
                 "Microsoft Sentinel Reader on the workspace "
                 "(Microsoft.SecurityInsights/alertRules/read)")


_SET_ID = re.compile(r"^(/providers/microsoft\.management/managementgroups/[^/]+|"
                     r"/subscriptions/[^/]+)?/providers/microsoft\.authorization/"
                     r"policysetdefinitions/[^/]+$")


def policy_set_task(assignment: PolicyAssignment, subscription_id: str) -> Task:
    """Read the initiative an assignment references (built-in, subscription or group),
    then the definitions inside it whose effect the initiative leaves to their default."""
    set_id = normalize_id(assignment.policy_definition_id) or ""

    def run(collection: Collection) -> list[Task]:
        # The three Get operations (built-in, subscription, management group) are each a
        # GET of the initiative's own id.
        if not _SET_ID.match(set_id):
            return []
        raw = collection.arm().get(set_id, POLICY_API)
        mapped = _mapped(collection, [raw], normalize_policy.policy_set_definition, set_id,
                         "policy_set_definitions")
        collection.add("policy_set_definitions", mapped)
        return [policy_definition_task(ref.policy_definition_id)
                for initiative in mapped for ref in initiative.policy_definitions
                if _effect_from_definition(ref.policy_definition_id, ref.parameters)
                and collection.claim(ref.policy_definition_id)]

    return _task("policy_set_definitions", set_id, run,
                 "Reader at the initiative's scope (Microsoft.Authorization/"
                 "policySetDefinitions/read)")


def _effect_from_definition(definition_id: str, parameters: dict[str, Any]) -> bool:
    """A guardrail definition applied without an `effect` parameter: its effect is the
    definition's (the default of its effect parameter, or a literal)."""
    return (definition_id.rsplit("/", 1)[-1].lower() in EFFECT_READ_DEFINITIONS
            and not any(name.lower() == "effect" for name in parameters))


_DEFINITION_ID = re.compile(r"^(/providers/microsoft\.management/managementgroups/[^/]+|"
                            r"/subscriptions/[^/]+)?/providers/microsoft\.authorization/"
                            r"policydefinitions/[^/]+$")


def policy_definition_task(definition_id: str) -> Task:
    """Read one policy definition for its effect: the default of its effect parameter, or
    its literal effect (PolicyDefinitions_GetBuiltIn: a GET of the definition's own id).
    Read once per scan (the caller claims the id)."""
    wanted = normalize_id(definition_id) or ""

    def run(collection: Collection) -> None:
        if _DEFINITION_ID.match(wanted):
            raw = collection.arm().get(wanted, POLICY_API)
            collection.add("policy_definitions", _mapped(
                collection, [raw], normalize_policy.policy_definition, wanted,
                "policy_definitions"))

    return _task("policy_definitions", wanted, run,
                 "Reader at the definition's scope (Microsoft.Authorization/"
                 "policyDefinitions/read)")


# --- declared reads (hook for the read-only guard) ---------------------------------------
# The paths the follow-ups above GET, as templates for the guard's allow-list
# (scanner/azure/allowlist.py): a read not declared here is refused before it leaves the
# process. `{resource_id}` is any ARM resource id, other placeholders one segment.
GROUP_SCOPE = "/subscriptions/{subscription}/resourceGroups/{group}/providers"
_GROUP = GROUP_SCOPE
_WORKSPACE = f"{_GROUP}/Microsoft.OperationalInsights/workspaces/{{workspace}}"
READ_TEMPLATES = (
    f"{_GROUP}/Microsoft.KeyVault/vaults/{{vault}}/keys",
    f"{_GROUP}/Microsoft.KeyVault/vaults/{{vault}}/keys/{{key}}",
    f"{_GROUP}/Microsoft.KeyVault/managedHSMs/{{hsm}}/keys",
    f"{_GROUP}/Microsoft.KeyVault/managedHSMs/{{hsm}}/keys/{{key}}",
    f"{_GROUP}/Microsoft.Sql/servers/{{server}}/encryptionProtector/current",
    "{resource_id}/providers/Microsoft.Insights/diagnosticSettings",
    f"{_WORKSPACE}/providers/Microsoft.SecurityInsights/onboardingStates",
    f"{_WORKSPACE}/providers/Microsoft.SecurityInsights/alertRules",
    "/providers/Microsoft.Authorization/policySetDefinitions/{name}",
    "/subscriptions/{subscription}/providers/Microsoft.Authorization/policySetDefinitions/{name}",
    "/providers/Microsoft.Management/managementGroups/{group}/providers/"
    "Microsoft.Authorization/policySetDefinitions/{name}",
    "/providers/Microsoft.Authorization/policyDefinitions/{name}",
    "/subscriptions/{subscription}/providers/Microsoft.Authorization/policyDefinitions/{name}",
    "/providers/Microsoft.Management/managementGroups/{group}/providers/"
    "Microsoft.Authorization/policyDefinitions/{name}",
)


def list_task(spec: ListSpec, subscription_id: str) -> Task:
    """The paged list of one kind in one subscription (plus its follow-ups)."""
    mapper = mapper_of(spec)
    scope = f"/subscriptions/{subscription_id}"

    def run(collection: Collection) -> list[Task]:
        items = collection.map_items(
            collection.arm().list(spec.url(subscription_id), spec.api_version),
            lambda raw: mapper(raw, subscription_id), scope, spec.error_name)
        return after_list(spec.name, items, subscription_id, collection)

    return Task(spec.error_name, scope, run, spec.remedy)
