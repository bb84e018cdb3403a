"""Step 1, data residency: every resource and resource group sits in a US production region.

A region is judged by the subscriptions' own locations lists (`metadata.geographyGroup`
tells US from non-US for any region name, new ones included), else by the built-in table
of Azure Commercial and Government regions (scanner.regions); a region in neither is
`unknown`. Logical US locations (`unitedstates`) are US; staging, EUAP and canary regions
(`eastus2euap`, `centraluseuap`, `eastus2(stage)`) are not production and fail.
"""

from __future__ import annotations

from typing import Any

from scanner.context import CheckContext
from scanner.findings import Status, Verdict
from scanner.gate import rests_on
from scanner.inventory import GenericResource, ResourceGroup
from scanner.registry import check

_MOVE_DOCS = "https://learn.microsoft.com/azure/azure-resource-manager/management/move-region"


def _region_verdict(location: str, ctx: CheckContext, what: str) -> Verdict:
    """pass / fail / unknown for a located thing, naming the region and why."""
    region = ctx.regions.get(location)
    evidence: dict[str, Any] = {
        "location": location,
        "geography_group": region.geography_group if region else None,
    }
    evidence["known_from"] = ctx.region_source(location)
    us = ctx.is_us_region(location)
    if us is None:
        rests_on("regions")  # the engine names the locations lists that failed
        return Verdict(status=Status.UNKNOWN,
                       reason=f"{location!r} is in {ctx.region_source(location)}, so "
                              f"whether it is a US region cannot be told",
                       evidence=evidence)
    if us:
        return Verdict(status=Status.PASS,
                       reason=f"{what} is in {location}, a US production region",
                       evidence=evidence)
    if region is None:
        why = "not a region of the scanned cloud's locations list"
    elif (region.geography_group or "").upper() == "US":
        why = "a US staging / EUAP / canary region, not a production region"
    else:
        why = f"outside the US (geography group {region.geography_group or 'none'})"
    return Verdict(status=Status.FAIL, reason=f"{what} is in {location}: {why}",
                   evidence=evidence)


@check(
    id="resource_location_us",
    title="Resources are deployed in US production regions",
    kinds="resources",
    severity="high",
    rationale=(
        "CJIS 6.0 on Azure rests on the data staying in the United States (SA-9(5)): a "
        "resource outside a US region, or in a pre-production EUAP/canary region, stores "
        "or processes CJI where the agency's residency commitments do not hold."
    ),
    remediation={
        "summary": "Recreate or move the resource into a US region (Azure Resource Mover or "
                   "redeploy), then delete the copy outside the US; keep an Allowed "
                   "locations policy assigned so it cannot recur.",
        "cli": "az resource-mover move-collection create --resource-group <rg> "
               "--move-collection-name <collection> --source-region <region> "
               "--target-region <us-region> --location <us-region>",
        "docs": _MOVE_DOCS,
    },
    needs=("resources",),  # regions: judged with the built-in table when a list is missing
    needs_anywhere=("regions",),
)
def resource_location_us(resource: GenericResource, ctx: CheckContext) -> Verdict:
    """A resource's `location` must be a US production region of the scanned cloud.

    `global` and location-less resources (DNS zones, Front Door, Entra-linked resources)
    have no region Azure reports, so where their data lives needs a person: `manual`.
    """
    if resource.location is None or resource.location == "global":
        return Verdict(
            status=Status.MANUAL,
            reason=f"global/location-less resource (location {resource.location!r}, type "
                   f"{resource.type}): confirm where its data is stored",
            evidence={"location": resource.location, "type": resource.type},
        )
    return _region_verdict(resource.location, ctx, "the resource")


@check(
    id="resource_group_location_us",
    title="Resource groups are created in US production regions",
    kinds="resource_groups",
    severity="medium",
    rationale=(
        "A resource group's location is where Azure stores its metadata (resource "
        "definitions, deployment history, tags). For CJIS data residency (SA-9(5)) that "
        "metadata must stay in a US region too."
    ),
    remediation={
        "summary": "A group's location cannot be changed: create a group in a US region, "
                   "move the resources into it, and delete the old group.",
        "cli": "az group create --name <new-rg> --location <us-region> && "
               "az resource move --destination-group <new-rg> --ids <resource-ids>",
        "docs": "https://learn.microsoft.com/azure/azure-resource-manager/management/"
                "move-resource-group-and-subscription",
    },
    needs=("resource_groups",),
    needs_anywhere=("regions",),
)
def resource_group_location_us(group: ResourceGroup, ctx: CheckContext) -> Verdict:
    """A resource group's `location` must be a US production region."""
    if group.location is None:
        return Verdict(status=Status.UNKNOWN,
                       reason="Azure reported no location for the resource group",
                       evidence={"location": None})
    return _region_verdict(group.location, ctx, "the resource group")
