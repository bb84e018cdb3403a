"""Residency of resources and resource groups: exact pass / fail / manual / unknown sets."""

from __future__ import annotations

from scanner.findings import Status
from scanner.inventory import CollectionError, GenericResource, ResourceGroup
from tests.checks.helpers import SUB, arm_id, ids_with, inventory, statuses, verdicts

VNET = "Microsoft.Network/virtualNetworks"


def resource(name: str, location: str | None, kind_path: str = VNET) -> GenericResource:
    return GenericResource(
        id=arm_id(kind_path, name), name=name, type=kind_path, location=location,
        subscription_id=SUB, resource_group="rg-cjis",
    )


def group(name: str, location: str | None) -> ResourceGroup:
    return ResourceGroup(
        id=f"/subscriptions/{SUB}/resourceGroups/{name}", name=name,
        type="Microsoft.Resources/resourceGroups", location=location, subscription_id=SUB,
        resource_group=name,
    )


def rid(name: str, kind_path: str = VNET) -> str:
    return arm_id(kind_path, name)


def rg(name: str) -> str:
    return f"/subscriptions/{SUB}/resourcegroups/{name}"


RESOURCES = [
    resource("pass-eastus", "eastus"),
    resource("pass-display-name", "West US"),  # normalised to westus
    resource("pass-logical-us", "unitedstates"),  # a logical US location
    resource("fail-europe", "westeurope"),
    resource("fail-euap", "eastus2euap"),
    resource("unknown-stage", "eastus2(stage)"),  # in no locations list nor the table
    resource("na-global", "global", "Microsoft.Network/dnsZones"),
    resource("na-no-location", None, "Microsoft.Network/frontDoors"),
]


def test_resource_location_us() -> None:
    inv = inventory(resources=RESOURCES)
    check = "resource_location_us"
    assert ids_with(Status.PASS, check, inv) == {rid("pass-eastus"), rid("pass-display-name"),
                                                  rid("pass-logical-us")}
    assert ids_with(Status.FAIL, check, inv) == {rid("fail-europe"), rid("fail-euap")}
    assert ids_with(Status.UNKNOWN, check, inv) == {rid("unknown-stage")}
    assert ids_with(Status.MANUAL, check, inv) == {
        rid("na-global", "Microsoft.Network/dnsZones"),
        rid("na-no-location", "Microsoft.Network/frontDoors"),
    }
    found = verdicts(check, inv)
    assert "outside the US" in found[rid("fail-europe")].reason
    assert "EUAP" in found[rid("fail-euap")].reason
    # Never "not a US region" for a region nobody knows (issue 10 item 4).
    assert "neither the locations lists read nor the built-in region table" in \
        found[rid("unknown-stage")].reason
    assert found[rid("fail-europe")].evidence == {
        "location": "westeurope", "geography_group": "Europe",
        "known_from": "the subscriptions' locations list"}
    manual = found[rid("na-global", "Microsoft.Network/dnsZones")].reason
    assert "confirm where its data is stored" in manual


def test_logical_locations_from_a_published_list_shape() -> None:
    """`az account list-locations` lists logical locations with no geography group:
    `unitedstates` is US (built-in table), an unknown logical one stays unknown."""
    from fixtures.examples import example
    from scanner.collectors import normalize

    published = example("resources/locations_list.json")["value"][0]
    logical = {**published, "name": "unitedstates", "displayName": "United States",
               "metadata": {"regionType": "Logical", "regionCategory": "Other",
                            "geographyGroup": None, "pairedRegion": None}}
    mystery = {**logical, "name": "newlogicalplace"}
    regions = [normalize.region(published), normalize.region(logical), normalize.region(mystery)]
    assert regions[1].geography_group is None and regions[0].paired_region == ["westus"]
    inv = inventory(regions=regions, resources=[resource("pass-us", "unitedstates"),
                                                resource("unknown-x", "newlogicalplace")])
    found = statuses("resource_location_us", inv)
    assert found == {rid("pass-us"): Status.PASS, rid("unknown-x"): Status.UNKNOWN}


def test_resource_location_judged_from_the_built_in_table_without_regions() -> None:
    inv = inventory(resources=RESOURCES, regions=[])
    found = statuses("resource_location_us", inv)
    assert {r for r, s in found.items() if s == Status.PASS} == {
        rid("pass-eastus"), rid("pass-display-name"), rid("pass-logical-us")}
    assert {r for r, s in found.items() if s == Status.FAIL} == {rid("fail-europe"),
                                                                 rid("fail-euap")}
    assert {r for r, s in found.items() if s == Status.UNKNOWN} == {rid("unknown-stage")}
    assert verdicts("resource_location_us", inv)[rid("pass-eastus")].evidence[
        "known_from"] == "the built-in region table"
    # global / location-less stay manual: no region list is needed to say so.
    assert found[rid("na-global", "Microsoft.Network/dnsZones")] == Status.MANUAL


def test_resource_location_unknown_from_collection_error() -> None:
    inv = inventory(
        regions=[],
        resources=[resource("pass-eastus", "eastus"), resource("unknown-new", "newregion9")],
        errors=[CollectionError(scope=f"/subscriptions/{SUB}", collector="regions", status=403,
                                message="AuthorizationFailed", remedy="Reader")],
    )
    found = verdicts("resource_location_us", inv)
    assert {r for r, v in found.items() if v.status == Status.UNKNOWN} == {rid("unknown-new")}
    assert found[rid("pass-eastus")].status == Status.PASS  # from the built-in table
    assert f"could not read regions for /subscriptions/{SUB}" in found[rid("unknown-new")].reason


def test_resource_group_location_us() -> None:
    inv = inventory(resource_groups=[
        group("pass-rg", "eastus"),
        group("pass-rg-display", "East US"),
        group("fail-rg-europe", "westeurope"),
        group("fail-rg-euap", "centraluseuap"),
        group("unknown-rg-no-location", None),
    ])
    check = "resource_group_location_us"
    assert ids_with(Status.PASS, check, inv) == {rg("pass-rg"), rg("pass-rg-display")}
    assert ids_with(Status.FAIL, check, inv) == {rg("fail-rg-europe"), rg("fail-rg-euap")}
    assert ids_with(Status.UNKNOWN, check, inv) == {rg("unknown-rg-no-location")}
    assert ids_with(Status.MANUAL, check, inv) == set()


def test_resource_group_location_unknown() -> None:
    groups = [group("unknown-rg", "newregion9"), group("pass-rg", "eastus")]
    for inv in (inventory(resource_groups=groups, regions=[]),
                inventory(resource_groups=groups, errors=[
                    CollectionError(scope=f"/subscriptions/{SUB}", collector="regions",
                                    status=500, message="InternalServerError")])):
        assert ids_with(Status.UNKNOWN, "resource_group_location_us", inv) == {rg("unknown-rg")}
        assert ids_with(Status.PASS, "resource_group_location_us", inv) == {rg("pass-rg")}
