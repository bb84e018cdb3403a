"""A built-in table of Azure Commercial and Azure Government regions: the fallback for a
region that no subscription's locations list (Subscriptions_ListLocations) returned.

Sources, read 2026-12-01:
- names, `geographyGroup` and `regionType` as `az account list-locations` (and
  Subscriptions_ListLocations, azure-rest-api-specs example GetLocations.json) report
  them for Azure Commercial, and `az cloud set --name AzureUSGovernment` for Azure
  Government (its regions carry geographyGroup `US`);
- paired regions from Microsoft Learn, "Azure region pairs and nonpaired regions"
  (learn.microsoft.com/azure/reliability/regions-paired), which also lists the Azure
  Government pairs (US Gov Virginia - US Gov Texas, US Gov Arizona - US Gov Texas) and
  US DoD East - US DoD Central.

The locations list read from the tenant always wins: it knows regions added after this
table. A region in neither is `unknown`, never "not a US region".
"""

from __future__ import annotations

from typing import NamedTuple


class KnownRegion(NamedTuple):
    geography_group: str | None
    region_type: str
    paired: str | None


def _physical(group: str, pairs: dict[str, str | None]) -> dict[str, KnownRegion]:
    return {name: KnownRegion(group, "Physical", pair) for name, pair in pairs.items()}


def _logical(group: str | None, *names: str) -> dict[str, KnownRegion]:
    return {name: KnownRegion(group, "Logical", None) for name in names}


REGIONS: dict[str, KnownRegion] = {
    # --- United States (Azure Commercial) ---
    **_physical("US", {
        "eastus": "westus", "eastus2": "centralus", "centralus": "eastus2",
        "northcentralus": "southcentralus", "southcentralus": "northcentralus",
        "westus": "eastus", "westus2": "westcentralus", "westcentralus": "westus2",
        "westus3": "eastus",
        # Early-access (EUAP) regions: US geography, not production (Region.is_us_production).
        "eastus2euap": "centraluseuap", "centraluseuap": "eastus2euap",
    }),
    # Logical US locations (regionType Logical): where Azure keeps data for resources
    # that name the geography rather than a region. Stage ones are not production.
    **_logical("US", "unitedstates", "unitedstateseuap", "centralusstage", "eastusstage",
               "eastus2stage", "northcentralusstage", "southcentralusstage", "westusstage",
               "westus2stage"),
    # --- Azure Government (and its DoD regions) ---
    **_physical("US", {
        "usgovvirginia": "usgovtexas", "usgovtexas": "usgovarizona",
        "usgovarizona": "usgovtexas", "usgoviowa": "usgovvirginia",
        "usdodeast": "usdodcentral", "usdodcentral": "usdodeast",
    }),
    # --- outside the US ---
    **_physical("Canada", {"canadacentral": "canadaeast", "canadaeast": "canadacentral"}),
    **_physical("South America", {"brazilsouth": "southcentralus",
                                  "brazilsoutheast": "brazilsouth", "chilecentral": None}),
    **_physical("Mexico", {"mexicocentral": None}),
    **_physical("Europe", {
        "northeurope": "westeurope", "westeurope": "northeurope",
        "francecentral": "francesouth", "francesouth": "francecentral",
        "germanywestcentral": "germanynorth", "germanynorth": "germanywestcentral",
        "norwayeast": "norwaywest", "norwaywest": "norwayeast",
        "swedencentral": "swedensouth", "swedensouth": "swedencentral",
        "switzerlandnorth": "switzerlandwest", "switzerlandwest": "switzerlandnorth",
        "polandcentral": None, "italynorth": None, "spaincentral": None,
        "austriaeast": None, "belgiumcentral": None, "denmarkeast": None,
    }),
    **_physical("UK", {"uksouth": "ukwest", "ukwest": "uksouth"}),
    **_physical("Asia Pacific", {
        "eastasia": "southeastasia", "southeastasia": "eastasia",
        "japaneast": "japanwest", "japanwest": "japaneast",
        "koreacentral": "koreasouth", "koreasouth": "koreacentral",
        "centralindia": "southindia", "southindia": "centralindia",
        "westindia": "southindia", "jioindiacentral": "jioindiawest",
        "jioindiawest": "jioindiacentral", "indonesiacentral": None, "malaysiawest": None,
        "newzealandnorth": None,
        "australiaeast": "australiasoutheast", "australiasoutheast": "australiaeast",
        "australiacentral": "australiacentral2", "australiacentral2": "australiacentral",
    }),
    **_physical("Middle East", {"uaenorth": "uaecentral", "uaecentral": "uaenorth",
                                "qatarcentral": None, "israelcentral": None}),
    **_physical("Africa", {"southafricanorth": "southafricawest",
                           "southafricawest": "southafricanorth"}),
    **_logical("Asia Pacific", "asia", "asiapacific", "australia", "india", "japan", "korea",
               "singapore", "newzealand", "indonesia", "malaysia"),
    **_logical("Europe", "europe", "france", "germany", "norway", "sweden", "switzerland",
               "poland", "italy", "spain", "austria", "belgium", "denmark"),
    **_logical("UK", "uk", "unitedkingdom"),
    **_logical("Canada", "canada"),
    **_logical("South America", "brazil", "chile"),
    **_logical("Mexico", "mexico"),
    **_logical("Middle East", "uae", "qatar", "israel"),
    **_logical("Africa", "southafrica"),
}
"""Region name -> (geographyGroup, regionType, paired region)."""
