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
    resource("fail-europe", "westeurope"),
    resource("fail-euap", "eastus2euap"),
    resource("fail-stage", "eastus2(stage)"),  # not in the locations list at all
    resource("na-global", "global", "Microsoft.Network/dnsZones"),
    resource("na-no-location", None, "Microsoft.Network/frontDoors"),
]


def test_resource_location_us() -> None:
    inv = inventory(resources=RESOURCES)
    check = "resource_location_us"
    assert ids_with(Status.PASS, check, inv) == {rid("pass-eastus"), rid("pass-display-name")}
    assert ids_with(Status.FAIL, check, inv) == {rid("fail-europe"), rid("fail-euap"),
                                                  rid("fail-stage")}
    assert ids_with(Status.MANUAL, check, inv) == {
        rid("na-global", "Microsoft.Network/dnsZones"),
        rid("na-no-location", "Microsoft.Network/frontDoors"),
    }
    found = verdicts(check, inv)
    assert "outside the US" in found[rid("fail-europe")].reason
    assert "EUAP" in found[rid("fail-euap")].reason
    assert "not a region" in found[rid("fail-stage")].reason
    assert found[rid("fail-europe")].evidence == {"location": "westeurope",
                                                  "geography_group": "Europe"}
    manual = found[rid("na-global", "Microsoft.Network/dnsZones")].reason
    assert "confirm where its data is stored" in manual


def test_resource_location_unknown_without_regions() -> None:
    inv = inventory(resources=RESOURCES, regions=[])
    found = statuses("resource_location_us", inv)
    assert {r for r, s in found.items() if s == Status.UNKNOWN} == {
        rid(n) for n in ("pass-eastus", "pass-display-name", "fail-europe", "fail-euap",
                         "fail-stage")
    }
    # global / location-less stay manual: no region list is needed to say so.
    assert found[rid("na-global", "Microsoft.Network/dnsZones")] == Status.MANUAL


def test_resource_location_unknown_from_collection_error() -> None:
    inv = inventory(
        resources=[resource("unknown-eastus", "eastus")],
        errors=[CollectionError(scope=f"/subscriptions/{SUB}", collector="regions", status=403,
                                message="AuthorizationFailed", remedy="Reader")],
    )
    found = verdicts("resource_location_us", inv)
    assert {r for r, v in found.items() if v.status == Status.UNKNOWN} == {rid("unknown-eastus")}
    assert "403" in found[rid("unknown-eastus")].reason


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
    groups = [group("unknown-rg", "eastus")]
    assert ids_with(Status.UNKNOWN, "resource_group_location_us",
                    inventory(resource_groups=groups, regions=[])) == {rg("unknown-rg")}
    inv = inventory(resource_groups=groups, errors=[
        CollectionError(scope=f"/subscriptions/{SUB}", collector="regions", status=500,
                        message="InternalServerError"),
    ])
    assert ids_with(Status.UNKNOWN, "resource_group_location_us", inv) == {rg("unknown-rg")}
