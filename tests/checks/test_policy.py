"""Guardrail policy checks per subscription: exact pass / fail / unknown sets.

Shapes follow Azure's: assignment ids and scopes as ARM returns them, `enforcementMode`
omitted (Default) or `DoNotEnforce`, built-in definition ids under
`/providers/Microsoft.Authorization/policyDefinitions/`, initiatives whose references pass
`[parameters('x')]` expressions resolved against the assignment's parameters.
"""

from __future__ import annotations

from typing import Any

from scanner.findings import Status
from scanner.inventory import CollectionError, Subscription
from scanner.inventory_policy import (
    PolicyAssignment,
    PolicyOverride,
    PolicyReference,
    PolicySetDefinition,
)
from tests.checks.helpers import US_REGIONS, ids_with, inventory, verdicts

ALLOWED = "e56962a6-4747-49cd-b67b-bf8b01975c4c"
ALLOWED_RG = "e765b5de-1225-4ba3-bd56-1ac6695af988"
STORAGE_CMK = "6fac406b-40ca-413b-bf8e-0bf964659c25"
DISK_CMK = "702dd420-7fcc-42c5-afe8-4026edd20fe0"
HSM_KEYS = "587c79fe-dd04-4a5e-9d0b-f89598c7261b"
AUDIT_DIAG = "7f89b1eb-583c-429a-8828-af049802c1d9"
ALLLOGS_SET = "0884adba-2312-4468-abeb-5422caed1038"
MG = "/providers/Microsoft.Management/managementGroups/mg-cjis"


def builtin(guid: str) -> str:
    return f"/providers/Microsoft.Authorization/policyDefinitions/{guid}"


def policy_set(name: str) -> str:
    return f"/providers/Microsoft.Management/managementGroups/mg-cjis/providers/" \
           f"Microsoft.Authorization/policySetDefinitions/{name}"


def sub_scope(sub: str) -> str:
    return f"/subscriptions/{sub}"


def assign(name: str, definition: str, scope: str, *, params: dict[str, Any] | None = None,
           mode: str = "Default", not_scopes: list[str] | None = None,
           display: str | None = None) -> PolicyAssignment:
    return PolicyAssignment(
        id=f"{scope}/providers/Microsoft.Authorization/policyAssignments/{name}",
        name=name, display_name=display or name, scope=scope,
        policy_definition_id=definition, enforcement_mode=mode,
        not_scopes=not_scopes or [], parameters=params or {},
    )


def subs(*names: str, ancestors: dict[str, list[str]] | None = None) -> list[Subscription]:
    return [Subscription(subscription_id=n, display_name=n,
                         management_group_ancestors=(ancestors or {}).get(n, []))
            for n in names]


def ids(*names: str) -> set[str]:
    return {sub_scope(n) for n in names}


LOCATIONS_SET = PolicySetDefinition(
    id=policy_set("cjis-residency"),
    display_name="CJIS residency",
    policy_definitions=[
        PolicyReference(policy_definition_id=builtin(ALLOWED), reference_id="allowedLocations",
                        parameters={"listOfAllowedLocations": "[parameters('allowedLocations')]"}),
        PolicyReference(policy_definition_id=builtin(ALLOWED_RG), reference_id="rgLocations",
                        parameters={"listOfAllowedLocations": "[parameters('rgLocations')]"}),
    ],
    parameter_defaults={"rgLocations": ["eastus", "westus"]},
)
US = ["eastus", "westus"]


def locations(sub: str, value: Any, **kw: Any) -> PolicyAssignment:
    params = {} if value is None else {"listOfAllowedLocations": value}
    return assign(f"loc-{sub}", builtin(ALLOWED), sub_scope(sub), params=params, **kw)


# --- subscription_allowed_locations_policy --------------------------------------------------


def allowed_locations_inventory() -> Any:
    names = ["pass-direct", "pass-initiative", "pass-despite-unreadable", "fail-none",
             "fail-do-not-enforce", "fail-non-us", "fail-euap", "pass-global",
             "fail-notscope-rg", "fail-notscope-sub", "fail-param-missing", "fail-other-policy",
             "fail-below-subscription", "unknown-initiative", "unknown-initiative-and-bad",
             "unknown-policy-error"]
    assignments = [
        locations("pass-direct", US),
        assign("residency", LOCATIONS_SET.id, sub_scope("pass-initiative"),
               params={"allowedLocations": ["eastus", "westus"]}),
        locations("pass-despite-unreadable", ["eastus"]),
        assign("gone", policy_set("unreadable"), sub_scope("pass-despite-unreadable")),
        locations("fail-do-not-enforce", US, mode="DoNotEnforce"),
        locations("fail-non-us", ["eastus", "westeurope"]),
        locations("fail-euap", ["eastus2euap"]),
        # `global` allows nothing outside the US: the built-in skips global resources.
        locations("pass-global", ["eastus", "global"]),
        locations("fail-notscope-rg", US,
                  not_scopes=["/subscriptions/fail-notscope-rg/resourceGroups/sandbox"]),
        locations("fail-notscope-sub", US, not_scopes=["/subscriptions/fail-notscope-sub"]),
        locations("fail-param-missing", None),
        assign("rg-only", builtin(ALLOWED_RG), sub_scope("fail-other-policy"),
               params={"listOfAllowedLocations": US}),
        assign("rg-scope", builtin(ALLOWED),
               "/subscriptions/fail-below-subscription/resourceGroups/rg-cjis",
               params={"listOfAllowedLocations": US}),
        assign("gone", policy_set("unreadable"), sub_scope("unknown-initiative")),
        assign("gone", policy_set("unreadable"), sub_scope("unknown-initiative-and-bad")),
        locations("unknown-initiative-and-bad", US, mode="DoNotEnforce"),
        locations("unknown-policy-error", US),
    ]
    return inventory(
        subscriptions=subs(*names), policy_assignments=assignments,
        policy_set_definitions=[LOCATIONS_SET],
        errors=[CollectionError(scope="/subscriptions/unknown-policy-error",
                                collector="policy_assignments", status=403,
                                message="AuthorizationFailed",
                                remedy="Reader on the subscription")],
    )


def test_allowed_locations_sets() -> None:
    inv = allowed_locations_inventory()
    check = "subscription_allowed_locations_policy"
    assert ids_with(Status.PASS, check, inv) == ids("pass-direct", "pass-initiative",
                                                    "pass-despite-unreadable", "pass-global")
    assert ids_with(Status.FAIL, check, inv) == ids(
        "fail-none", "fail-do-not-enforce", "fail-non-us", "fail-euap",
        "fail-notscope-rg", "fail-notscope-sub", "fail-param-missing", "fail-other-policy",
        "fail-below-subscription")
    assert ids_with(Status.UNKNOWN, check, inv) == ids(
        "unknown-initiative", "unknown-initiative-and-bad", "unknown-policy-error")


def test_allowed_locations_reasons_and_evidence() -> None:
    found = verdicts("subscription_allowed_locations_policy", allowed_locations_inventory())

    def why(sub: str) -> str:
        return found[sub_scope(sub)].reason

    assert "enforcementMode is DoNotEnforce" in why("fail-do-not-enforce")
    assert "westeurope" in why("fail-non-us") and "eastus," not in why("fail-non-us")
    assert "eastus2euap" in why("fail-euap")
    assert found[sub_scope("pass-global")].status is Status.PASS
    assert "/subscriptions/fail-notscope-rg/resourcegroups/sandbox" in why("fail-notscope-rg")
    assert "listOfAllowedLocations is missing" in why("fail-param-missing")
    assert "no assignment" in why("fail-none")
    assert "could not be read" in why("unknown-initiative")
    assert "403" in why("unknown-policy-error")
    candidates = found[sub_scope("fail-non-us")].evidence["candidates"]
    assert [c["counts"] for c in candidates] == [False]
    assert candidates[0]["applied_parameters"] == [
        {"listOfAllowedLocations": ["eastus", "westeurope"]}]
    passed = found[sub_scope("pass-initiative")].evidence["candidates"]
    assert passed[0]["applied_parameters"][0]["listOfAllowedLocations"] == US
    assert passed[0]["counts"] is True


def test_allowed_locations_management_group() -> None:
    """An MG assignment governs every subscription below it; its notScopes carve holes."""
    inv = inventory(
        subscriptions=subs("pass-under-mg", "fail-excluded"),
        policy_assignments=[assign("mg-locations", builtin(ALLOWED), MG,
                                   params={"listOfAllowedLocations": US},
                                   not_scopes=["/subscriptions/fail-excluded"])],
    )
    check = "subscription_allowed_locations_policy"
    assert ids_with(Status.PASS, check, inv) == ids("pass-under-mg")
    assert ids_with(Status.FAIL, check, inv) == ids("fail-excluded")


def test_allowed_locations_management_group_ancestry() -> None:
    """With ancestors known, another branch's MG assignment and MG notScopes are placed."""
    inv = inventory(
        subscriptions=subs("pass-in-branch", "fail-other-branch", "fail-mg-notscope",
                           ancestors={"pass-in-branch": ["mg-cjis", "tenant-root"],
                                      "fail-other-branch": ["mg-other", "tenant-root"],
                                      "fail-mg-notscope": ["mg-sandbox", "mg-cjis"]}),
        policy_assignments=[assign(
            "mg-locations", builtin(ALLOWED), MG, params={"listOfAllowedLocations": US},
            not_scopes=["/providers/Microsoft.Management/managementGroups/mg-sandbox"])],
    )
    check = "subscription_allowed_locations_policy"
    assert ids_with(Status.PASS, check, inv) == ids("pass-in-branch")
    assert ids_with(Status.FAIL, check, inv) == ids("fail-other-branch", "fail-mg-notscope")


def test_allowed_locations_unplaced_mg_notscope_is_unknown() -> None:
    inv = inventory(
        subscriptions=subs("unknown-ancestry"),
        policy_assignments=[assign(
            "mg-locations", builtin(ALLOWED), MG, params={"listOfAllowedLocations": US},
            not_scopes=["/providers/Microsoft.Management/managementGroups/mg-sandbox"])],
    )
    found = verdicts("subscription_allowed_locations_policy", inv)
    assert {s: v.status for s, v in found.items()} == {"/subscriptions/unknown-ancestry":
                                                       Status.UNKNOWN}
    assert "ancestry was not collected" in found["/subscriptions/unknown-ancestry"].reason


def test_allowed_locations_without_regions() -> None:
    """Without a regions list the built-in table judges known regions; a region in neither
    is unknown, never "not a US region"; no assignment still fails."""
    inv = inventory(subscriptions=subs("pass-table", "unknown-regions", "fail-none"),
                    regions=[],
                    policy_assignments=[locations("pass-table", US + ["unitedstates"]),
                                        locations("unknown-regions", ["eastus", "newregion9"])])
    check = "subscription_allowed_locations_policy"
    assert ids_with(Status.PASS, check, inv) == ids("pass-table")
    assert ids_with(Status.UNKNOWN, check, inv) == ids("unknown-regions")
    assert ids_with(Status.FAIL, check, inv) == ids("fail-none")
    reason = verdicts(check, inv)[sub_scope("unknown-regions")].reason
    assert "newregion9 is in neither the regions lists read nor the built-in region table" \
        in reason
    inv = inventory(subscriptions=subs("fail-europe"), regions=US_REGIONS[:1],
                    policy_assignments=[locations("fail-europe", ["eastus", "westeurope"])])
    assert ids_with(Status.FAIL, check, inv) == ids("fail-europe")


# --- subscription_allowed_rg_locations_policy ------------------------------------------------


def test_allowed_rg_locations() -> None:
    inv = inventory(
        subscriptions=subs("pass-initiative-default", "pass-direct", "fail-locations-only",
                           "fail-non-us", "unknown-initiative"),
        policy_set_definitions=[LOCATIONS_SET],
        policy_assignments=[
            # the initiative's rgLocations parameter is left at its default (US regions)
            assign("residency", LOCATIONS_SET.id, sub_scope("pass-initiative-default"),
                   params={"allowedLocations": US}),
            assign("rg", builtin(ALLOWED_RG), sub_scope("pass-direct"),
                   params={"listOfAllowedLocations": ["westus"]}),
            locations("fail-locations-only", US),
            assign("residency", LOCATIONS_SET.id, sub_scope("fail-non-us"),
                   params={"allowedLocations": US, "rgLocations": ["eastus", "northeurope"]}),
            assign("gone", policy_set("unreadable"), sub_scope("unknown-initiative")),
        ],
    )
    check = "subscription_allowed_rg_locations_policy"
    assert ids_with(Status.PASS, check, inv) == ids("pass-initiative-default", "pass-direct")
    assert ids_with(Status.FAIL, check, inv) == ids("fail-locations-only", "fail-non-us")
    assert ids_with(Status.UNKNOWN, check, inv) == ids("unknown-initiative")
    assert "northeurope" in verdicts(check, inv)[sub_scope("fail-non-us")].reason


def test_allowed_rg_locations_collection_error() -> None:
    rg_policy = assign("rg", builtin(ALLOWED_RG), sub_scope("unknown-error"),
                       params={"listOfAllowedLocations": US})
    inv = inventory(subscriptions=subs("unknown-error"), policy_assignments=[rg_policy],
                    errors=[CollectionError(scope="/subscriptions/unknown-error",
                                            collector="policy_assignments", status=429,
                                            message="TooManyRequests")])
    assert ids_with(Status.UNKNOWN, "subscription_allowed_rg_locations_policy", inv) \
        == ids("unknown-error")


# --- subscription_cmk_guardrail_policies -----------------------------------------------------

CMK_SET = PolicySetDefinition(
    id=policy_set("cjis-cmk"),
    display_name="CJIS customer-managed keys",
    policy_definitions=[PolicyReference(policy_definition_id=builtin(g),
                                        parameters={"effect": "[parameters('effect')]"})
                        for g in (STORAGE_CMK, DISK_CMK, HSM_KEYS)],
    parameter_defaults={"effect": "Audit"},
)


def cmk_direct(sub: str, skip: str | None = None, **by_guid: Any) -> list[PolicyAssignment]:
    found = []
    for guid in (STORAGE_CMK, DISK_CMK, HSM_KEYS):
        if guid == skip:
            continue
        extra = by_guid.get(f"g{guid[:8]}", {})
        found.append(assign(f"cmk-{guid[:8]}", builtin(guid), sub_scope(sub), **extra))
    return found


def test_cmk_guardrail_policies() -> None:
    inv = inventory(
        subscriptions=subs("pass-direct", "pass-initiative", "fail-none", "fail-missing-hsm",
                           "fail-disabled-effect", "fail-initiative-disabled",
                           "fail-do-not-enforce", "unknown-initiative", "unknown-error"),
        policy_set_definitions=[CMK_SET],
        policy_assignments=[
            *cmk_direct("pass-direct"),
            assign("cmk", CMK_SET.id, sub_scope("pass-initiative"), params={"effect": "Deny"}),
            *cmk_direct("fail-missing-hsm", skip=HSM_KEYS),
            *cmk_direct("fail-disabled-effect",
                        g6fac406b={"params": {"effect": "Disabled"}}),
            assign("cmk", CMK_SET.id, sub_scope("fail-initiative-disabled"),
                   params={"effect": "Disabled"}),
            *cmk_direct("fail-do-not-enforce", g702dd420={"mode": "DoNotEnforce"}),
            *cmk_direct("unknown-initiative", skip=DISK_CMK),
            assign("gone", policy_set("unreadable"), sub_scope("unknown-initiative")),
            *cmk_direct("unknown-error"),
        ],
        errors=[CollectionError(scope="/subscriptions/unknown-error",
                                collector="policy_assignments", status=403,
                                message="AuthorizationFailed")],
    )
    check = "subscription_cmk_guardrail_policies"
    assert ids_with(Status.PASS, check, inv) == ids("pass-direct", "pass-initiative")
    assert ids_with(Status.FAIL, check, inv) == ids(
        "fail-none", "fail-missing-hsm", "fail-disabled-effect", "fail-initiative-disabled",
        "fail-do-not-enforce")
    assert ids_with(Status.UNKNOWN, check, inv) == ids("unknown-initiative", "unknown-error")
    found = verdicts(check, inv)
    missing = found[sub_scope("fail-missing-hsm")]
    assert missing.evidence["missing"] == [
        "Keys should be backed by a hardware security module (HSM)"]
    assert "hardware security module" in missing.reason
    assert found[sub_scope("fail-disabled-effect")].evidence["missing"] == [
        "Storage accounts should use customer-managed key for encryption"]
    assert found[sub_scope("fail-do-not-enforce")].evidence["missing"] == [
        "OS and data disks should be encrypted with a customer-managed key"]
    assert len(found[sub_scope("fail-none")].evidence["missing"]) == 3
    assert found[sub_scope("unknown-initiative")].evidence["undetermined"] == [
        "OS and data disks should be encrypted with a customer-managed key"]


# --- subscription_diagnostic_settings_policy -------------------------------------------------


def test_diagnostic_settings_policy() -> None:
    custom_set = PolicySetDefinition(
        id=policy_set("deploy-diag"),
        display_name="Deploy Diagnostic Settings to Log Analytics workspace",
        policy_definitions=[PolicyReference(
            policy_definition_id=policy_set("x").replace("policySetDefinitions/x",
                                                          "policyDefinitions/deploy-kv-diag"))],
    )
    audit_in_set = PolicySetDefinition(
        id=policy_set("cjis-logging"), display_name="CJIS logging",
        policy_definitions=[PolicyReference(policy_definition_id=builtin(AUDIT_DIAG),
                                            parameters={"effect": "AuditIfNotExists"})],
    )
    inv = inventory(
        subscriptions=subs("pass-audit-builtin", "pass-alllogs-initiative", "pass-custom-name",
                           "pass-in-initiative", "fail-none", "fail-do-not-enforce",
                           "fail-disabled", "fail-unrelated", "unknown-initiative"),
        policy_set_definitions=[custom_set, audit_in_set],
        policy_assignments=[
            assign("audit-diag", builtin(AUDIT_DIAG), sub_scope("pass-audit-builtin"),
                   params={"listOfResourceTypes": ["Microsoft.KeyVault/vaults"]}),
            assign("Deploy-Diag-Logs",
                   f"/providers/Microsoft.Authorization/policySetDefinitions/{ALLLOGS_SET}",
                   sub_scope("pass-alllogs-initiative"),
                   params={"logAnalytics": "/subscriptions/x/resourceGroups/rg/providers/"
                                           "Microsoft.OperationalInsights/workspaces/law"},
                   display="Enable allLogs resource logging"),
            assign("custom", custom_set.id, sub_scope("pass-custom-name"), display="Logging"),
            assign("cjis-logging", audit_in_set.id, sub_scope("pass-in-initiative")),
            assign("audit-diag", builtin(AUDIT_DIAG), sub_scope("fail-do-not-enforce"),
                   mode="DoNotEnforce"),
            # 7f89b1eb's effect is the literal AuditIfNotExists: an override switches it off.
            assign("audit-diag", builtin(AUDIT_DIAG), sub_scope("fail-disabled")).model_copy(
                update={"overrides": [PolicyOverride(kind="policyEffect", value="Disabled")]}),
            locations("fail-unrelated", US),
            assign("gone", policy_set("unreadable"), sub_scope("unknown-initiative"),
                   display="Corporate baseline"),
        ],
    )
    check = "subscription_diagnostic_settings_policy"
    assert ids_with(Status.PASS, check, inv) == ids(
        "pass-audit-builtin", "pass-alllogs-initiative", "pass-custom-name", "pass-in-initiative")
    assert ids_with(Status.FAIL, check, inv) == ids(
        "fail-none", "fail-do-not-enforce", "fail-disabled", "fail-unrelated")
    assert ids_with(Status.UNKNOWN, check, inv) == ids("unknown-initiative")
    found = verdicts(check, inv)
    assert "DoNotEnforce" in found[sub_scope("fail-do-not-enforce")].reason
    assert "Disabled" in found[sub_scope("fail-disabled")].reason


def test_diagnostic_settings_policy_collection_error() -> None:
    inv = inventory(subscriptions=subs("unknown-error"),
                    errors=[CollectionError(scope="/subscriptions/unknown-error",
                                            collector="policy_assignments", status=403,
                                            message="AuthorizationFailed")])
    assert ids_with(Status.UNKNOWN, "subscription_diagnostic_settings_policy", inv) \
        == ids("unknown-error")
