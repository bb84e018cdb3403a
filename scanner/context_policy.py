"""The policy part of a check's context: the Azure Policy inventory indexed (initiatives,
assignments governing a subscription, definitions read for their effect, exemptions by
assignment) and an assignment's parameters resolved through its initiative.

A mixin of `scanner.context.CheckContext`: derived from the inventory once and cached.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import cached_property
from typing import Any

from scanner.inventory import Inventory
from scanner.inventory_base import normalize_id
from scanner.inventory_policy import (
    PolicyAssignment,
    PolicyDefinition,
    PolicyExemption,
    PolicySetDefinition,
)


class PolicyIndex:
    """Azure Policy lookups over `self.inventory`."""

    inventory: Inventory

    @cached_property
    def policy_sets(self) -> dict[str, PolicySetDefinition]:
        """Initiatives by id."""
        return {p.id: p for p in self.inventory.policy_set_definitions}

    def assignments_governing(self, subscription_id: str) -> list[PolicyAssignment]:
        """Assignments at the subscription or above it (management groups), not below."""
        sub_scope = f"/subscriptions/{subscription_id.lower()}"
        found = []
        for assignment in self.inventory.policy_assignments:
            if assignment.applies_to and subscription_id.lower() not in assignment.applies_to:
                continue  # listed by another subscription (e.g. a sibling group's assignment)
            scope = assignment.scope
            if scope == sub_scope or scope.startswith("/providers/microsoft.management/"):
                found.append(assignment)
        return found

    @cached_property
    def _policy_definitions(self) -> dict[str, PolicyDefinition]:
        return {d.id: d for d in self.inventory.policy_definitions}

    def policy_definition(self, definition_id: str) -> PolicyDefinition | None:
        """A policy definition read for its effect, by id."""
        return self._policy_definitions.get(normalize_id(definition_id) or "")

    @cached_property
    def _exemptions_by_assignment(self) -> dict[str, list[PolicyExemption]]:
        index: dict[str, list[PolicyExemption]] = defaultdict(list)
        for exemption in self.inventory.policy_exemptions:
            index[exemption.policy_assignment_id].append(exemption)
        return index

    def exemptions_of(self, assignment_id: str) -> list[PolicyExemption]:
        """Policy exemptions of one assignment."""
        return list(self._exemptions_by_assignment.get(assignment_id.lower(), ()))

    def definition_references(
        self, assignment: PolicyAssignment, definition_guid: str
    ) -> list[tuple[str, str | None, dict[str, Any]]] | None:
        """(definition id, policyDefinitionReferenceId, parameters) of each place
        `assignment` applies `definition_guid`: see `definition_parameters`."""
        guid = definition_guid.lower()
        if not assignment.is_set:
            if assignment.policy_definition_id.rsplit("/", 1)[-1] == guid:
                return [(assignment.policy_definition_id, None, dict(assignment.parameters))]
            return []
        policy_set = self.policy_sets.get(assignment.policy_definition_id)
        if policy_set is None:
            return None
        return [
            (ref.policy_definition_id, ref.reference_id,
             {name: _resolve(value, assignment.parameters, policy_set.parameter_defaults)
              for name, value in ref.parameters.items()})
            for ref in policy_set.policy_definitions
            if ref.policy_definition_id.rsplit("/", 1)[-1] == guid
        ]

    def definition_parameters(
        self, assignment: PolicyAssignment, definition_guid: str
    ) -> list[dict[str, Any]] | None:
        """Parameter values with which `assignment` applies the definition `definition_guid`.

        One dict per place the definition is applied (directly, or each reference inside
        the initiative), with `[parameters('x')]` resolved against the assignment and the
        initiative's defaults. [] when it does not apply that definition; None when the
        assignment is of an initiative that could not be read.
        """
        found = self.definition_references(assignment, definition_guid)
        return None if found is None else [params for _, _, params in found]


_PARAM_EXPR = re.compile(r"^\[parameters\('([^']+)'\)\]$", re.IGNORECASE)


def _resolve(value: Any, assigned: dict[str, Any], defaults: dict[str, Any]) -> Any:
    if isinstance(value, str):
        match = _PARAM_EXPR.match(value.strip())
        if match:
            name = match.group(1)
            lowered = {k.lower(): v for k, v in assigned.items()}
            if name.lower() in lowered:
                return lowered[name.lower()]
            return {k.lower(): v for k, v in defaults.items()}.get(name.lower())
    return value


def excluded_by_not_scopes(assignment: PolicyAssignment, scopes: Iterable[str]) -> list[str]:
    """The notScopes of `assignment` that exclude any of `scopes` (or contain them)."""
    hits = []
    for not_scope in assignment.not_scopes:
        for scope in scopes:
            scope_id = normalize_id(scope) or ""
            if scope_id == not_scope or scope_id.startswith(not_scope + "/"):
                hits.append(not_scope)
                break
    return hits
