"""Azure Policy exemptions as waivers: which CJIS checks an exemption recorded in the tenant
excuses (those of the built-in policies it exempts, `POLICY_CHECKS`), and which findings
it covers (its scope, management group subscriptions and resource selectors). The rules
they follow are in `scanner.waivers`' docstring."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scanner.findings import Finding
from scanner.inventory import Inventory
from scanner.inventory_base import normalize_id, normalize_location, subscription_of
from scanner.inventory_policy import PolicyAssignment, PolicyExemption

# Built-in policy definitions (by GUID) -> the checks whose findings an exemption from
# that policy excuses. These are the built-ins the CJIS policy checks look for
# (checks/policy.py, CHECKS.md steps 1 and 2); an exemption from any other policy has
# nothing to do with a CJIS finding and is left alone.
POLICY_CHECKS: dict[str, tuple[str, ...]] = {
    # Allowed locations
    "e56962a6-4747-49cd-b67b-bf8b01975c4c": ("resource_location_us",
                                             "subscription_allowed_locations_policy"),
    # Allowed locations for resource groups
    "e765b5de-1225-4ba3-bd56-1ac6695af988": ("resource_group_location_us",
                                             "subscription_allowed_rg_locations_policy"),
    # Storage accounts should use customer-managed key for encryption
    "6fac406b-40ca-413b-bf8e-0bf964659c25": ("storage_account_cmk_encryption",),
    # OS and data disks should be encrypted with a customer-managed key
    "702dd420-7fcc-42c5-afe8-4026edd20fe0": ("disk_cmk_encryption",),
    # Keys should be backed by a hardware security module (HSM)
    "587c79fe-dd04-4a5e-9d0b-f89598c7261b": ("cmk_key_hsm_backed",),
}

_BUILTIN_DEFINITION = re.compile(
    r"^/providers/microsoft\.authorization/policydefinitions/([0-9a-f-]{36})$")
_MANAGEMENT_GROUP = "/providers/microsoft.management/managementgroups/"


def resource_key(resource_id: str) -> str:
    return (normalize_id(resource_id) or "").lower()


@dataclass
class ExemptionRule:
    exemption: PolicyExemption
    checks: frozenset[str]
    applies_to: frozenset[str]


def merged_exemptions(exemptions: Iterable[PolicyExemption]) -> list[PolicyExemption]:
    """One entry per exemption id (also for inventories saved before collection merged)."""
    from scanner.collectors.normalize import merge_listed

    return merge_listed(exemptions)


def exempted_checks(exemption: PolicyExemption, inventory: Inventory) -> frozenset[str]:
    """The check ids an exemption excuses: those of the CJIS built-in policies it exempts.

    The exemption's assignment is looked up in the inventory: an assignment of a
    built-in policy gives that policy; an assignment of an initiative gives the
    initiative's policies (only those named by `policyDefinitionReferenceIds`, when the
    exemption names any). An assignment or initiative the scan did not read excuses
    nothing.
    """
    assignment = _assignment(inventory.policy_assignments, exemption.policy_assignment_id)
    if assignment is None:
        return frozenset()
    if assignment.is_set:
        initiative = next((s for s in inventory.policy_set_definitions
                           if s.id == assignment.policy_definition_id), None)
        if initiative is None:
            return frozenset()
        wanted = {r.casefold() for r in exemption.policy_definition_reference_ids}
        definitions = [ref.policy_definition_id for ref in initiative.policy_definitions
                       if not wanted or (ref.reference_id or "").casefold() in wanted]
    else:
        definitions = [assignment.policy_definition_id]
    checks: set[str] = set()
    for definition in definitions:
        match = _BUILTIN_DEFINITION.match(definition.lower())
        if match:
            checks.update(POLICY_CHECKS.get(match.group(1), ()))
    return frozenset(checks)


def _assignment(assignments: Iterable[PolicyAssignment], assignment_id: str) -> \
        PolicyAssignment | None:
    wanted = assignment_id.lower()
    return next((a for a in assignments if a.id.lower() == wanted), None)


def _selector_matches(selector: dict[str, Any], finding: Finding) -> bool:
    kind = str(selector.get("kind", "")).casefold()
    if kind == "resourcelocation":
        value = normalize_location(finding.location)
        values_in = {normalize_location(str(v)) for v in selector.get("in") or []}
        values_out = {normalize_location(str(v)) for v in selector.get("notIn") or []}
    elif kind == "resourcetype":
        value = finding.resource_type.lower() or None
        values_in = {str(v).lower() for v in selector.get("in") or []}
        values_out = {str(v).lower() for v in selector.get("notIn") or []}
    elif kind == "resourcewithoutlocation":
        value = "true" if not finding.location else "false"
        values_in = {str(v).lower() for v in selector.get("in") or []}
        values_out = {str(v).lower() for v in selector.get("notIn") or []}
    else:
        return False  # a selector kind the scanner does not know: do not waive on a guess
    if value is None:
        return False
    if "in" in selector and value not in values_in:
        return False
    return not ("notIn" in selector and value in values_out)


def _selected_by(exemption: PolicyExemption, finding: Finding) -> bool:
    """Resource selectors narrow an exemption: any selector group, all its selectors."""
    if not exemption.resource_selectors:
        return True
    return any(all(_selector_matches(s, finding) for s in group.get("selectors") or [])
               for group in exemption.resource_selectors)


def exemption_covers(rule: ExemptionRule, finding: Finding) -> bool:
    scope = rule.exemption.scope
    if not scope or finding.check_id not in rule.checks:
        return False
    resource = resource_key(finding.resource_id)
    if scope.startswith(_MANAGEMENT_GROUP):
        # An exemption at a management group: Azure lists it for each subscription
        # under that group, and those are the subscriptions it covers.
        subscription = (finding.subscription_id or subscription_of(resource) or "").lower()
        in_scope = subscription in rule.applies_to
    else:
        in_scope = resource == scope or resource.startswith(scope + "/")
    return in_scope and _selected_by(rule.exemption, finding)
