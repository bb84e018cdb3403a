"""Run one check over a small inventory and read its verdicts by resource id."""

from __future__ import annotations

from typing import Any

from scanner.config import ScanConfig
from scanner.context import CheckContext
from scanner.engine import judgements
from scanner.findings import Status
from scanner.inventory import Inventory, Region
from scanner.registry import load_registry

US_REGIONS = [
    Region(name="eastus", display_name="East US", geography_group="US", region_type="Physical"),
    Region(name="westus", display_name="West US", geography_group="US", region_type="Physical"),
    Region(name="usgovvirginia", display_name="USGov Virginia", geography_group="US"),
    Region(name="eastus2euap", display_name="East US 2 EUAP", geography_group="US",
           region_type="Physical"),
    Region(name="westeurope", display_name="West Europe", geography_group="Europe",
           region_type="Physical"),
    Region(name="global", display_name="Global", region_type="Logical"),
]

def published_definitions() -> list[Any]:
    """The guardrail built-ins as Azure/azure-policy publishes them (f4a50bac, 2026-04-29),
    mapped as the collector maps PolicyDefinitions_GetBuiltIn."""
    from fixtures.examples import builtin_policy_definition
    from scanner.collectors.normalize_policy import policy_definition
    from scanner.inventory_policy import EFFECT_READ_DEFINITIONS

    return [policy_definition(builtin_policy_definition(guid))
            for guid in sorted(EFFECT_READ_DEFINITIONS)]


SUB = "00000000-0000-0000-0000-00000000aaaa"
TENANT = "00000000-0000-0000-0000-0000000000t1"


def inventory(**lists: Any) -> Inventory:
    """An inventory with the demo regions, one subscription and the given lists."""
    from scanner.inventory import Subscription

    lists.setdefault("regions", US_REGIONS)
    lists.setdefault("policy_definitions", published_definitions())
    lists.setdefault("subscriptions", [Subscription(subscription_id=SUB, display_name="Agency")])
    lists.setdefault("tenant_id", TENANT)
    return Inventory(**lists)


def verdicts(check_id: str, inv: Inventory, **config: Any) -> dict[str, Any]:
    """{resource id: Verdict} of `check_id` over `inv`."""
    registry = load_registry()
    check = registry.checks[check_id]
    ctx = CheckContext(inv, ScanConfig(**config))
    return {j.resource.id: j.verdict for j in judgements(check, ctx)}


def statuses(check_id: str, inv: Inventory, **config: Any) -> dict[str, Status]:
    """{resource id: Status} of `check_id` over `inv`."""
    return {rid: v.status for rid, v in verdicts(check_id, inv, **config).items()}


def ids_with(status: Status, check_id: str, inv: Inventory, **config: Any) -> set[str]:
    """The resource ids for which `check_id` gave `status`."""
    return {rid for rid, s in statuses(check_id, inv, **config).items() if s == status}


def arm_id(kind_path: str, name: str, group: str = "rg-cjis", sub: str = SUB) -> str:
    """A lower-cased ARM id: arm_id('Microsoft.Storage/storageAccounts', 'pass-sa')."""
    return f"/subscriptions/{sub}/resourcegroups/{group}/providers/{kind_path}/{name}".lower()


# --- a key chain that holds, and one that does not (checks/keychain.py) --------------------

GOOD_VAULT = "kv-cjis"
"""A Premium vault with purge protection holding `cmk` and `cmk-storage` (RSA-HSM) and
`soft` (RSA)."""
WEAK_VAULT = "kv-standard"
"""A Standard vault without purge protection holding `weak` (RSA)."""


def key_chain(extra_vaults: list[Any] | None = None) -> dict[str, list[Any]]:
    """Inventory lists with a good and a weak key chain: merge them into `inventory()`."""
    from scanner.inventory import KeyVault, VaultKey

    vault_type = "Microsoft.KeyVault/vaults"

    def vault(name: str, sku: str, purge: bool | None) -> KeyVault:
        return KeyVault(id=arm_id(vault_type, name), name=name, type=vault_type,
                        location="eastus", subscription_id=SUB, resource_group="rg-cjis",
                        sku_name=sku, vault_uri=f"https://{name}.vault.azure.net/",
                        soft_delete=True, purge_protection=purge)

    def key(vault_name: str, name: str, kty: str) -> VaultKey:
        vault_id = arm_id(vault_type, vault_name)
        return VaultKey(id=f"{vault_id}/keys/{name}", vault_id=vault_id, name=name,
                        key_uri=f"https://{vault_name}.vault.azure.net/keys/{name}", kty=kty)

    return {
        "key_vaults": [vault(GOOD_VAULT, "premium", True), vault(WEAK_VAULT, "standard", None),
                       *(extra_vaults or [])],
        "vault_keys": [key(GOOD_VAULT, "cmk", "RSA-HSM"), key(GOOD_VAULT, "cmk-storage", "RSA-HSM"),
                       key(GOOD_VAULT, "soft", "RSA"), key(WEAK_VAULT, "weak", "RSA")],
    }
