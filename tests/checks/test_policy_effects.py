"""Guardrail assignments judged as Azure Policy applies them (issue 10 items 1-3):
the effect (assignment parameter, else the definition's default), overrides, resource
selectors and exemptions.

Bodies: the built-in definitions as Azure/azure-policy publishes them (Allowed locations
1.1.0 with its `effect` parameter, default Deny; 1.0.0 with a literal deny), the
PolicyAssignments_Create examples "with overrides" and "with resource selectors", and the
PolicyExemptions_List example (azure-rest-api-specs 2025-11-01 / 2026-01-01-preview), whose
"CostManagement" initiative has the references `Limit_Skus` and `Limit_Locations`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fixtures.examples import example
from scanner.collectors import normalize_policy
from scanner.findings import Status
from scanner.inventory import CollectionError, Subscription
from scanner.inventory_policy import (
    PolicyAssignment,
    PolicyExemption,
    PolicyReference,
    PolicySetDefinition,
)
from tests.checks.helpers import inventory as base_inventory
from tests.checks.helpers import published_definitions, verdicts

SUB = "ae640e6b-ba3e-4256-9d62-2993eecfa6f2"  # the subscription of the published examples
SUB_ID = f"/subscriptions/{SUB}"
ALLOWED = "/providers/Microsoft.Authorization/policyDefinitions/" \
          "e56962a6-4747-49cd-b67b-bf8b01975c4c"
STORAGE_CMK = "/providers/Microsoft.Authorization/policyDefinitions/" \
              "6fac406b-40ca-413b-bf8e-0bf964659c25"
RESIDENCY = "subscription_allowed_locations_policy"
US = ["eastus", "westus"]


def inventory(**lists: Any) -> Any:
    lists.setdefault("subscriptions", [Subscription(subscription_id=SUB, display_name="Dev")])
    return base_inventory(**lists)


def direct(params: dict[str, Any], **update: Any) -> PolicyAssignment:
    """Allowed locations assigned to the subscription, as PolicyAssignments_List returns it."""
    body = example("policy/policy_assignments_list.json")["value"][0]
    body["id"] = f"{SUB_ID}/providers/Microsoft.Authorization/policyAssignments/allowed"
    body["name"] = "allowed"
    props = body["properties"]
    props.update(scope=SUB_ID, policyDefinitionId=ALLOWED, notScopes=[],
                 parameters={k: {"value": v} for k, v in params.items()})
    props.pop("enforcementMode", None)
    return normalize_policy.policy_assignment(body, SUB).model_copy(update=update)


def cost_management(kind: str) -> PolicyAssignment:
    """The published CostManagement assignment ('with overrides' or 'with resource
    selectors'), applying the initiative below."""
    body = example(f"policy_assignment_create_with_{kind}.json", "201")
    return normalize_policy.policy_assignment(body, SUB)


COST_SET = PolicySetDefinition(
    id=f"{SUB_ID}/providers/Microsoft.Authorization/policySetDefinitions/CostManagement",
    display_name="Cost Management",
    policy_definitions=[
        PolicyReference(policy_definition_id=ALLOWED, reference_id="Limit_Locations",
                        parameters={"listOfAllowedLocations": US}),
    ],
)


def status_and_reason(inv: Any, check: str = RESIDENCY) -> tuple[Status, str]:
    verdict = verdicts(check, inv)[SUB_ID]
    return verdict.status, verdict.reason


# --- item 1: the effect ------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "expected", "words"), [
    ({"listOfAllowedLocations": US}, Status.PASS, "enforced"),  # default Deny (1.1.0)
    ({"listOfAllowedLocations": US, "effect": "Deny"}, Status.PASS, "enforced"),
    ({"listOfAllowedLocations": US, "effect": "Audit"}, Status.FAIL, "audit only"),
    ({"listOfAllowedLocations": US, "effect": "Disabled"}, Status.FAIL, "enforces nothing"),
])
def test_the_effect_parameter_decides(params: dict[str, Any], expected: Status,
                                      words: str) -> None:
    status, reason = status_and_reason(inventory(policy_assignments=[direct(params)]))
    assert status is expected and words in reason


def test_the_default_comes_from_the_definition_read() -> None:
    inv = inventory(policy_assignments=[direct({"listOfAllowedLocations": US})])
    candidate = verdicts(RESIDENCY, inv)[SUB_ID].evidence["candidates"][0]
    (app,) = candidate["applications"]
    assert app["effect"] == "deny"
    assert app["effect_source"] == "the default of parameter effect (definition version 1.1.0)"


def test_the_1_0_0_definition_denies_by_its_literal_effect() -> None:
    old = normalize_policy.policy_definition(
        example("policy/builtin_allowed_locations_e56962a6.json"))
    assert (old.version, old.effect) == ("1.0.0", "deny")
    inv = inventory(policy_assignments=[direct({"listOfAllowedLocations": US})],
                    policy_definitions=[old])
    assert status_and_reason(inv)[0] is Status.PASS


def test_an_unread_definition_leaves_the_default_effect_unknown() -> None:
    definition_id = ALLOWED.lower()
    inv = inventory(policy_assignments=[direct({"listOfAllowedLocations": US})],
                    policy_definitions=[],
                    errors=[CollectionError(scope=definition_id, collector="policy_definitions",
                                            status=403, message="AuthorizationFailed")])
    status, reason = status_and_reason(inv)
    assert status is Status.UNKNOWN
    assert "effect is unknown" in reason and "AuthorizationFailed" in reason
    # An explicit effect needs no definition.
    explicit = inventory(policy_assignments=[direct({"listOfAllowedLocations": US,
                                                     "effect": "Deny"})],
                         policy_definitions=[])
    assert status_and_reason(explicit)[0] is Status.PASS


def test_an_initiative_passing_audit_to_the_effect_fails() -> None:
    audit_set = COST_SET.model_copy(update={
        "policy_definitions": [PolicyReference(
            policy_definition_id=ALLOWED, reference_id="Limit_Locations",
            parameters={"listOfAllowedLocations": US, "effect": "[parameters('locEffect')]"})],
        "parameter_defaults": {"locEffect": "Audit"}})
    assignment = cost_management("overrides").model_copy(update={"overrides": []})
    inv = inventory(policy_assignments=[assignment], policy_set_definitions=[audit_set])
    status, reason = status_and_reason(inv)
    assert status is Status.FAIL and "its effect is audit from parameter effect" in reason


def test_the_rg_locations_policy_reads_its_effect_too() -> None:
    rg = direct({"listOfAllowedLocations": US, "effect": "Audit"}).model_copy(update={
        "policy_definition_id": ALLOWED.replace("e56962a6-4747-49cd-b67b-bf8b01975c4c",
                                                "e765b5de-1225-4ba3-bd56-1ac6695af988")})
    status, reason = status_and_reason(inventory(policy_assignments=[rg]),
                                       "subscription_allowed_rg_locations_policy")
    assert status is Status.FAIL and "audit" in reason


# --- item 2: overrides and resource selectors --------------------------------------------------


def test_the_published_override_turns_allowed_locations_to_audit() -> None:
    assignment = cost_management("overrides")
    assert [(o.kind, o.value) for o in assignment.overrides] == [("policyEffect", "Audit")]
    inv = inventory(policy_assignments=[assignment], policy_set_definitions=[COST_SET])
    status, reason = status_and_reason(inv)
    assert status is Status.FAIL
    assert "an override of the assignment (policyEffect Audit)" in reason
    evidence = verdicts(RESIDENCY, inv)[SUB_ID].evidence["candidates"][0]
    assert evidence["overrides"][0]["value"] == "Audit"


def test_an_override_of_another_reference_leaves_deny() -> None:
    other = COST_SET.model_copy(update={"policy_definitions": [
        PolicyReference(policy_definition_id=ALLOWED, reference_id="Residency",
                        parameters={"listOfAllowedLocations": US})]})
    inv = inventory(policy_assignments=[cost_management("overrides")],
                    policy_set_definitions=[other])
    assert status_and_reason(inv)[0] is Status.PASS


def test_a_partial_override_is_a_hole_unless_inside_the_allowed_locations() -> None:
    body = example("policy_assignment_create_with_overrides.json", "201")
    override = body["properties"]["overrides"][0]
    override["selectors"].append({"kind": "resourceLocation", "in": ["westeurope"]})
    hole = normalize_policy.policy_assignment(body, SUB)
    inv = inventory(policy_assignments=[hole], policy_set_definitions=[COST_SET])
    status, reason = status_and_reason(inv)
    assert status is Status.FAIL
    assert "an override sets its effect to Audit where resourceLocation in [westeurope]" in reason
    override["selectors"][-1]["in"] = ["eastus"]  # Audit only where Deny would allow anyway
    harmless = normalize_policy.policy_assignment(body, SUB)
    inv = inventory(policy_assignments=[harmless], policy_set_definitions=[COST_SET])
    assert status_and_reason(inv)[0] is Status.PASS


def test_the_published_resource_selector_evaluates_only_two_regions() -> None:
    assignment = cost_management("resource_selectors")
    assert assignment.resource_selectors[0].name == "SDPRegions"
    inv = inventory(policy_assignments=[assignment], policy_set_definitions=[COST_SET])
    status, reason = status_and_reason(inv)
    assert status is Status.FAIL
    assert "resourceSelectors evaluate only some resources (SDPRegions: resourceLocation " \
           "in [eastus2euap, centraluseuap])" in reason


def test_a_resource_selector_outside_the_allowed_locations_misses_nothing() -> None:
    body = example("policy_assignment_create_with_resource_selectors.json", "201")
    body["properties"]["resourceSelectors"][0]["selectors"] = [
        {"kind": "resourceLocation", "notIn": US}]
    inv = inventory(policy_assignments=[normalize_policy.policy_assignment(body, SUB)],
                    policy_set_definitions=[COST_SET])
    assert status_and_reason(inv)[0] is Status.PASS


def test_resource_selectors_and_overrides_apply_to_cmk_guardrails() -> None:
    body = example("policy_assignment_create_with_resource_selectors.json", "201")
    props = body["properties"]
    props["policyDefinitionId"] = STORAGE_CMK
    selected = normalize_policy.policy_assignment(body, SUB)
    check = "subscription_cmk_guardrail_policies"
    inv = inventory(policy_assignments=[selected])
    policies = verdicts(check, inv)[SUB_ID].evidence["policies"]
    storage = next(p for p in policies if p["policy_definition"] in STORAGE_CMK)
    assert storage["status"] == "fail"
    assert "resourceSelectors" in storage["candidates"][0]["why_not"][0]
    props.pop("resourceSelectors")
    props["overrides"] = [{"kind": "policyEffect", "value": "Disabled"}]
    inv = inventory(policy_assignments=[normalize_policy.policy_assignment(body, SUB)])
    policies = verdicts(check, inv)[SUB_ID].evidence["policies"]
    storage = next(p for p in policies if p["policy_definition"] in STORAGE_CMK)
    assert storage["status"] == "fail"
    assert "disabled" in storage["candidates"][0]["why_not"][0]
    props.pop("overrides")
    inv = inventory(policy_assignments=[normalize_policy.policy_assignment(body, SUB)])
    policies = verdicts(check, inv)[SUB_ID].evidence["policies"]
    storage = next(p for p in policies if p["policy_definition"] in STORAGE_CMK)
    assert storage["status"] == "pass"  # default Audit, from the published 1.0.3
    assert storage["candidates"][0]["applications"][0]["effect"] == "audit"


def test_a_partial_deny_over_an_unknown_effect_stays_unknown() -> None:
    body = example("policy_assignment_create_with_overrides.json", "201")
    body["properties"]["overrides"] = [{"kind": "policyEffect", "value": "Deny", "selectors": [
        {"kind": "resourceLocation", "in": ["westeurope"]}]}]
    assignment = normalize_policy.policy_assignment(body, SUB)
    inv = inventory(policy_assignments=[assignment], policy_set_definitions=[COST_SET],
                    policy_definitions=[])
    assert status_and_reason(inv)[0] is Status.UNKNOWN


# --- item 3: exemptions ------------------------------------------------------------------------


def exemption(scope: str, references: list[str] | None = None,
              expires: datetime | None = None) -> PolicyExemption:
    """The published TestVMSub exemption, moved to `scope` and to the CostManagement
    assignment of this subscription."""
    body = example("policy_exemptions_list_for_subscription.json")["value"][0]
    body["id"] = f"{scope}/providers/Microsoft.Authorization/policyExemptions/TestVMSub"
    props = body["properties"]
    props["policyAssignmentId"] = cost_management("overrides").id
    if references is not None:
        props["policyDefinitionReferenceIds"] = references
    if expires is not None:
        props["expiresOn"] = expires.isoformat()
    return normalize_policy.policy_exemption(body, SUB)


def exempted(*exemptions: PolicyExemption, **lists: Any) -> Any:
    assignment = cost_management("overrides").model_copy(update={"overrides": []})
    return inventory(policy_assignments=[assignment], policy_set_definitions=[COST_SET],
                     policy_exemptions=list(exemptions), **lists)


def test_an_exemption_of_the_subscription_or_part_of_it_is_a_hole() -> None:
    assert status_and_reason(exempted())[0] is Status.PASS
    for scope in (SUB_ID, f"{SUB_ID}/resourceGroups/demo-cluster"):
        status, reason = status_and_reason(exempted(exemption(scope, ["Limit_Locations"])))
        assert status is Status.FAIL
        assert f"exemption 'Exempt demo cluster' (Waiver, {scope.lower()}/providers/" \
               f"microsoft.authorization/policyexemptions/testvmsub) suspends it at " \
               f"{scope.lower()}" in reason


def test_an_exemption_of_other_policies_another_scope_or_expired_is_no_hole() -> None:
    past = datetime.now(UTC) - timedelta(days=1)
    for item in (exemption(SUB_ID),  # the published one: Limit_Skus only
                 exemption("/subscriptions/another", ["Limit_Locations"]),
                 exemption(SUB_ID, ["Limit_Locations"], expires=past)):
        assert status_and_reason(exempted(item))[0] is Status.PASS, item


def test_unreadable_exemptions_make_a_guardrail_unknown() -> None:
    inv = exempted(errors=[CollectionError(scope=SUB_ID, collector="policy_exemptions",
                                           status=403, message="AuthorizationFailed")])
    status, reason = status_and_reason(inv)
    assert status is Status.UNKNOWN and "exemptions" in reason


def test_published_definitions_are_the_guardrail_built_ins() -> None:
    found = {d.id.rsplit("/", 1)[-1]: (d.effect, d.parameter_defaults.get("effect"))
             for d in published_definitions()}
    assert found["e56962a6-4747-49cd-b67b-bf8b01975c4c"] == ("[parameters('effect')]", "Deny")
    assert found["7f89b1eb-583c-429a-8828-af049802c1d9"][0] == "AuditIfNotExists"


def test_a_disabled_override_switches_off_a_diagnostics_initiative() -> None:
    alllogs = "/providers/Microsoft.Authorization/policySetDefinitions/" \
              "0884adba-2312-4468-abeb-5422caed1038"
    body = example("policy_assignment_create_with_overrides.json", "201")
    body["properties"]["policyDefinitionId"] = alllogs
    check = "subscription_diagnostic_settings_policy"
    reasons = {}
    for value, expected in (("Disabled", Status.FAIL), ("AuditIfNotExists", Status.PASS)):
        body["properties"]["overrides"][0]["value"] = value
        inv = inventory(policy_assignments=[normalize_policy.policy_assignment(body, SUB)])
        status, reasons[value] = status_and_reason(inv, check)
        assert status is expected, reasons[value]
    assert "an override sets Disabled for policyDefinitionReferenceId in [Limit_Skus, " \
           "Limit_Locations]" in reasons["Disabled"]
