"""Issue 10 collection: guardrail definitions read once per scan where the effect is left to
them, overrides and resource selectors mapped, regions read from every subscription."""

from __future__ import annotations

from typing import Any

from fixtures.examples import example
from scanner.collectors.runner import collect
from scanner.config import ScanConfig
from scanner.context import CheckContext
from scanner.findings import Status
from tests.checks.helpers import verdicts
from tests.collectors.tenant import subscription_body, tenant
from tests.conftest import factory_for, response

SUB_A = "291bba3f-e0a5-47bc-a099-3bdcb2a50a05"
SUB_B = "8f1c7a33-4c1d-4b62-9d6e-2a7b9c0d1e2f"
MG = "/providers/Microsoft.Management/managementGroups/mg-cjis"
ALLOWED = "/providers/Microsoft.Authorization/policyDefinitions/" \
          "e56962a6-4747-49cd-b67b-bf8b01975c4c"
DEFINITION_URL = "/providers/Microsoft.Authorization/policyDefinitions/" \
                 "e56962a6-4747-49cd-b67b-bf8b01975c4c"
ASSIGNMENTS = "/providers/Microsoft.Authorization/policyAssignments"


def run(interactions: list[Any]) -> tuple[Any, Any]:
    factory = factory_for(interactions)
    return collect(factory, concurrency=4), factory.transport


def mg_assignment(params: dict[str, Any]) -> dict[str, Any]:
    """Allowed locations at the management group, as each subscription lists it."""
    body = example("policy/policy_assignments_list.json")["value"][0]
    body["id"] = f"{MG}{ASSIGNMENTS}/allowed"
    body["name"] = "allowed"
    body["properties"].update(scope=MG, policyDefinitionId=ALLOWED, notScopes=[],
                              parameters={k: {"value": v} for k, v in params.items()})
    body["properties"].pop("enforcementMode", None)
    return body


def two_subscriptions(params: dict[str, Any], replace: dict[str, Any] | None = None) -> Any:
    subs = [subscription_body(SUB_A, "A"), subscription_body(SUB_B, "B")]
    listed = {"value": [mg_assignment(params)]}
    interactions = tenant(subs, lists={"policy_assignments": [
        response(f"/subscriptions/{sid}{ASSIGNMENTS}", listed) for sid in (SUB_A, SUB_B)]})
    for url, new in (replace or {}).items():
        interactions = [i for i in interactions if not i.uri.split("?")[0].endswith(url)]
        interactions.append(new)
    return interactions


def test_a_definition_is_read_once_where_no_effect_parameter_is_set() -> None:
    inv, transport = run(two_subscriptions({"listOfAllowedLocations": ["eastus"]}))
    assert inv.errors == []
    reads = [u for _, u in transport.log.entries if "/policydefinitions/" in u.lower()]
    assert len(reads) == 1  # listed by both subscriptions, read once
    (definition,) = inv.policy_definitions
    assert (definition.version, definition.effect_parameter,
            definition.parameter_defaults["effect"]) == ("1.1.0", "effect", "Deny")
    assert definition.allowed_effects == ["Audit", "Deny", "Disabled"]
    # Both subscriptions list it: one assignment, applying to both.
    (assignment,) = inv.policy_assignments
    assert assignment.applies_to == [SUB_A, SUB_B]


def test_an_explicit_effect_needs_no_definition_read() -> None:
    inv, transport = run(two_subscriptions({"listOfAllowedLocations": ["eastus"],
                                            "effect": "Audit"}))
    assert not any("/policydefinitions/" in u.lower() for _, u in transport.log.entries)
    assert inv.errors == [] and inv.policy_definitions == []


def test_a_definition_that_cannot_be_read_is_an_error_and_the_guardrail_unknown() -> None:
    denied = {"error": {"code": "AuthorizationFailed", "message": "no access"}}
    inv, _ = run(two_subscriptions({"listOfAllowedLocations": ["eastus"]}, replace={
        DEFINITION_URL: response(DEFINITION_URL, denied, status=403)}))
    (error,) = inv.errors
    assert (error.collector, error.scope) == ("policy_definitions", ALLOWED.lower())
    assert "policyDefinitions/read" in (error.remedy or "")
    found = verdicts("subscription_allowed_locations_policy", inv)
    assert {v.status for v in found.values()} == {Status.UNKNOWN}
    assert "no access" in found[f"/subscriptions/{SUB_A}"].reason


def test_overrides_and_resource_selectors_are_mapped() -> None:
    overrides = example("policy_assignment_create_with_overrides.json", "201")
    selectors = example("policy_assignment_create_with_resource_selectors.json", "201")
    selectors["id"] = selectors["id"].replace("CostManagement", "SDP")
    interactions = tenant(lists={"policy_assignments": {"value": [overrides, selectors]}})
    inv, _ = run(interactions)
    by_name = {a.id.rsplit("/", 1)[-1]: a for a in inv.policy_assignments}
    (override,) = by_name["costmanagement"].overrides
    assert (override.kind, override.value) == ("policyEffect", "Audit")
    assert override.selectors[0].values_in == ["Limit_Skus", "Limit_Locations"]
    (selector,) = by_name["sdp"].resource_selectors
    assert selector.name == "SDPRegions"
    assert selector.selectors[0].kind == "resourceLocation"


def test_regions_are_read_from_every_subscription_with_their_pairs() -> None:
    b_only = example("resources/locations_list.json")
    b_only["value"][1] = {**b_only["value"][1], "name": "newregion9",
                          "metadata": {**b_only["value"][1]["metadata"],
                                       "geographyGroup": "US", "pairedRegion": []}}
    url = f"/subscriptions/{SUB_B}/locations"
    inv, transport = run(two_subscriptions({"listOfAllowedLocations": ["eastus"]}, replace={
        url: response(url, b_only)}))
    reads = [u for _, u in transport.log.entries if u.split("?")[0].endswith("/locations")]
    assert len(reads) == 2
    names = {r.name for r in inv.regions}
    assert {"eastus", "eastus2", "newregion9"} <= names  # a region only B's list has
    ctx = CheckContext(inv, ScanConfig())
    assert ctx.paired_region("eastus") == "westus" and ctx.is_us_region("newregion9") is True
