"""CheckContext's indexes give what a scan over every item would give."""

from __future__ import annotations

from scanner.config import ScanConfig
from scanner.context import CheckContext
from scanner.inventory import Inventory
from scanner.inventory_policy import RoleAssignment

SUB = "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590"
VAULT = f"{SUB}/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv-cjis"
SCOPES = {
    "vault": VAULT,
    "group": f"{SUB}/resourceGroups/rg-keys",
    "subscription": SUB,
    "management group": "/providers/Microsoft.Management/managementGroups/mg-cjis",
    "other group": f"{SUB}/resourceGroups/rg-keys-2",  # a prefix of the id, not a parent
    "other vault": f"{VAULT}-2",
    "other subscription": "/subscriptions/1b1f6471-1bf0-4dda-aec3-cb9272f09590",
}


def test_role_assignments_over_a_resource_are_those_at_or_above_it() -> None:
    assignments = [RoleAssignment(id=f"{scope}/providers/Microsoft.Authorization/"
                                     f"roleAssignments/{i}", scope=scope, principal_id=name,
                                  role_definition_id="/providers/Microsoft.Authorization/"
                                                     "roleDefinitions/owner")
                   for i, (name, scope) in enumerate(SCOPES.items())]
    ctx = CheckContext(Inventory(role_assignments=assignments), ScanConfig())
    found = {a.principal_id for a in ctx.role_assignments_over(VAULT.lower())}
    assert found == {"vault", "group", "subscription", "management group"}
