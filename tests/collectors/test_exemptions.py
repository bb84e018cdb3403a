"""Azure Policy exemptions read from a replayed cassette, then applied as waivers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scanner.collectors.runner import collect
from scanner.config import ScanConfig
from scanner.findings import Status
from scanner.kinds.core import EXEMPTIONS_API as API_VERSION
from scanner.scan import run_judgement
from tests.collectors.tenant import SUB, example, tenant
from tests.conftest import factory_for, response

PUBLISHED_SUB = "ae640e6b-ba3e-4256-9d62-2993eecfa6f2"
EXEMPTIONS = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/policyExemptions"
# The published exemptions are on assignments made at this management group.
MG = "/providers/Microsoft.Management/managementGroups/DevOrg"
ALLOWED_LOCATIONS = "/providers/Microsoft.Authorization/policyDefinitions/" \
                    "e56962a6-4747-49cd-b67b-bf8b01975c4c"


def published_exemptions() -> dict[str, Any]:
    """Microsoft's PolicyExemptions_List example, its subscription id changed to ours."""
    body = example("policy_exemptions_list_for_subscription.json")
    for item in body["value"]:
        item["id"] = item["id"].replace(PUBLISHED_SUB, SUB)
    return body


def assignments_for(exemptions: dict[str, Any]) -> dict[str, Any]:
    """A policy assignment list holding the first exemption's assignment (CostManagement),
    made an assignment of the built-in Allowed locations policy, US regions only."""
    assignment = example("policy/policy_assignments_list.json")["value"][0]
    assignment_id = exemptions["value"][0]["properties"]["policyAssignmentId"]
    assignment.update(id=assignment_id, name=assignment_id.rsplit("/", 1)[-1])
    assignment["properties"].update(
        scope=MG, policyDefinitionId=ALLOWED_LOCATIONS,
        parameters={"listOfAllowedLocations": {"value": ["eastus", "eastus2"]}})
    assignment["properties"].pop("enforcementMode", None)
    assignment["properties"].pop("notScopes", None)
    return {"value": [assignment]}


def resources_in(location: str) -> dict[str, Any]:
    """A generic resource list with one managed disk, from the published disk list item."""
    disk = example("compute/disks_list.json")["value"][0]
    disk["id"] = disk["id"].replace(disk["id"].split("/")[2], SUB)
    return {"value": [{k: disk[k] for k in ("id", "name", "type", "sku") if k in disk}
                      | {"location": location, "tags": {}}]}


# Only the kinds these tests read (the cassette answers every list; Graph is not asked).
KINDS = {"regions", "resources", "policy_assignments", "policy_exemptions"}


def run(interactions):  # type: ignore[no-untyped-def]
    factory = factory_for(interactions)
    return collect(factory, concurrency=4, kinds=KINDS), factory.transport


def test_the_published_exemptions_list_is_read_and_normalised() -> None:
    inv, transport = run(tenant(lists={"policy_exemptions": published_exemptions()}))
    assert inv.errors == []
    first, second = sorted(inv.policy_exemptions, key=lambda e: e.name)
    assert (first.name, first.exemption_category, second.exemption_category) == \
        ("TestVMSub", "Waiver", "Mitigated")
    assert first.id == f"/subscriptions/{SUB}/providers/microsoft.authorization/" \
                       f"policyexemptions/testvmsub"
    assert first.scope == f"/subscriptions/{SUB}"  # the exempted scope: the id's prefix
    assert first.policy_assignment_id == (MG + "/providers/Microsoft.Authorization/"
                                          "policyAssignments/CostManagement").lower()
    assert first.policy_definition_reference_ids == ["Limit_Skus"]
    assert second.policy_definition_reference_ids == []  # absent in the body
    assert first.description == "Exempt demo cluster from limit sku"
    assert first.metadata == {"reason": "Temporary exemption for a expensive VM demo"}
    assert first.expires_on is None and first.applies_to == [SUB]
    urls = [url for _, url in transport.log.entries if "policyExemptions" in url]
    assert len(urls) == 1 and f"api-version={API_VERSION}" in urls[0]


def test_a_403_on_exemptions_is_an_error_naming_the_permission() -> None:
    denied = {"error": {"code": "AuthorizationFailed", "message": "no access"}}
    inv, _ = run(tenant(lists={"policy_exemptions": [response(EXEMPTIONS, denied, status=403)]}))
    (error,) = inv.errors
    assert (error.collector, error.scope, error.status) == ("policy_exemptions",
                                                           f"/subscriptions/{SUB}", 403)
    assert "Microsoft.Authorization/policyExemptions/read" in (error.remedy or "")


def test_an_exemption_from_the_cassette_waives_the_finding_it_covers() -> None:
    exemptions = published_exemptions()
    inv, _ = run(tenant(lists={"policy_exemptions": exemptions,
                               "policy_assignments": assignments_for(exemptions),
                               "resources": resources_in("westeurope")}))
    assert inv.errors == []
    config = ScanConfig(checks=["resource_location_us", "subscription_allowed_locations_policy"])
    result = run_judgement(inv, config, datetime(2025, 6, 1, tzinfo=UTC), "replay:test")
    by_check = {f.check_id: f for f in result.findings}
    waived = by_check["resource_location_us"]
    assert waived.status is Status.WAIVED
    assert waived.reason.startswith("the resource is in westeurope")  # kept as judged
    assert waived.evidence["location"] == "westeurope"
    assert waived.waiver is not None
    assert {k: waived.waiver[k] for k in ("source", "name", "category", "description",
                                          "expires", "original_status")} == {
        "source": "azure_policy", "name": "TestVMSub", "category": "Waiver",
        "description": "Exempt demo cluster from limit sku", "expires": None,
        "original_status": "fail"}
    # The subscription's own Allowed-locations finding passes: nothing to waive.
    assert by_check["subscription_allowed_locations_policy"].status is Status.PASS
    assert result.scoreboard.overall.counts["waived"] == 1
    assert result.scoreboard.overall.counts["fail"] == 0


def test_an_expired_exemption_from_the_cassette_is_ignored_with_a_warning() -> None:
    exemptions = published_exemptions()
    exemptions["value"][0]["properties"]["expiresOn"] = "2025-01-31T23:59:00.0000000Z"
    inv, _ = run(tenant(lists={"policy_exemptions": exemptions,
                               "policy_assignments": assignments_for(exemptions),
                               "resources": resources_in("westeurope")}))
    warnings: list[str] = []
    result = run_judgement(inv, ScanConfig(checks=["resource_location_us"]),
                           datetime(2025, 6, 1, tzinfo=UTC), "replay:test",
                           waiver_warnings=warnings)
    (finding,) = result.findings
    assert finding.status is Status.FAIL and finding.waiver is None
    (warning,) = warnings
    assert "'TestVMSub'" in warning and "2025-01-31T23:59:00Z" in warning
