"""Azure Policy and role-assignment bodies -> inventory models (assignments with their
effect parameters, overrides and selectors; definitions and initiatives; exemptions; role
assignments, as listed and as read by id). The shared helpers are scanner.collectors.normalize's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scanner.collectors.normalize import JsonDict, _get, _props
from scanner.inventory_base import normalize_id
from scanner.inventory_policy import (
    PolicyAssignment,
    PolicyDefinition,
    PolicyExemption,
    PolicyOverride,
    PolicyReference,
    PolicySelector,
    PolicySetDefinition,
    ResourceSelector,
    RoleAssignment,
)


def _parameter_values(parameters: Mapping[str, Any] | None) -> JsonDict:
    """ARM parameter objects {"name": {"value": v}} -> {"name": v}."""
    values: JsonDict = {}
    for name, parameter in (parameters or {}).items():
        values[name] = parameter.get("value") if isinstance(parameter, Mapping) else parameter
    return values


def policy_assignment(body: Mapping[str, Any], subscription_id: str) -> PolicyAssignment:
    """PolicyAssignments_List item of a subscription. `enforcementMode` is omitted when Default."""
    p = _props(body)
    return PolicyAssignment(
        id=body.get("id") or "",
        name=str(body.get("name")),
        display_name=_get(p, "displayName"),
        scope=_get(p, "scope") or "",
        policy_definition_id=_get(p, "policyDefinitionId") or "",
        enforcement_mode=_get(p, "enforcementMode") or "Default",
        not_scopes=_get(p, "notScopes") or [],
        parameters=_parameter_values(_get(p, "parameters")),
        applies_to=[subscription_id.lower()],
        overrides=[PolicyOverride(kind=str(_get(o, "kind") or ""), value=_get(o, "value"),
                                  selectors=_selectors(_get(o, "selectors")))
                   for o in _get(p, "overrides") or []],
        resource_selectors=[ResourceSelector(name=_get(r, "name"),
                                             selectors=_selectors(_get(r, "selectors")))
                            for r in _get(p, "resourceSelectors") or []],
    )


def _selectors(raw: Any) -> list[PolicySelector]:
    """Policy selectors `{kind, in | notIn}` (assignment overrides and resource selectors)."""
    def values(selector: Any, key: str) -> list[str] | None:
        found = _get(selector, key)
        return None if found is None else [str(v) for v in found]

    return [PolicySelector(kind=str(_get(s, "kind") or ""), values_in=values(s, "in"),
                           values_not_in=values(s, "notIn"))
            for s in raw or [] if isinstance(s, Mapping)]


def policy_definition(body: Mapping[str, Any]) -> PolicyDefinition:
    """PolicyDefinitions_Get / _GetBuiltIn body: its effect and the parameter defaults."""
    p = _props(body)
    parameters = _get(p, "parameters") or {}
    defaults = {name: _get(spec, "defaultValue") for name, spec in parameters.items()
                if isinstance(spec, Mapping) and "defaultValue" in spec}
    definition = PolicyDefinition(
        id=body.get("id") or "",
        display_name=_get(p, "displayName"),
        version=_get(p, "version") or _get(p, "metadata", "version"),
        effect=_get(p, "policyRule", "then", "effect"),
        parameter_defaults=defaults,
    )
    name = definition.effect_parameter
    spec = next((v for k, v in parameters.items() if name and k.lower() == name.lower()), None)
    allowed = _get(spec, "allowedValues") if isinstance(spec, Mapping) else None
    return definition.model_copy(update={"allowed_effects": [str(v) for v in allowed or []]})


def policy_set_definition(body: Mapping[str, Any]) -> PolicySetDefinition:
    """PolicySetDefinitions_Get body."""
    p = _props(body)
    defaults = {name: _get(spec, "defaultValue")
                for name, spec in (_get(p, "parameters") or {}).items()
                if isinstance(spec, Mapping) and "defaultValue" in spec}
    return PolicySetDefinition(
        id=body.get("id") or "",
        display_name=_get(p, "displayName"),
        policy_definitions=[
            PolicyReference(policy_definition_id=_get(ref, "policyDefinitionId") or "",
                            reference_id=_get(ref, "policyDefinitionReferenceId"),
                            parameters=_parameter_values(_get(ref, "parameters")))
            for ref in _get(p, "policyDefinitions") or []
        ],
        parameter_defaults=defaults,
    )


_EXEMPTION_SEGMENT = "/providers/microsoft.authorization/policyexemptions/"


def policy_exemption(body: Mapping[str, Any], subscription_id: str) -> PolicyExemption:
    """PolicyExemptions_List item of a subscription (its own, inherited and below).

    The exempted scope is not a property: it is the exemption id up to
    `/providers/Microsoft.Authorization/policyExemptions/` (a management group, the
    subscription, a resource group or a resource). `expiresOn` is absent when the
    exemption never expires; `policyDefinitionReferenceIds` is absent when it exempts
    every policy of the assignment.
    """
    p = _props(body)
    exemption_id = normalize_id(body.get("id")) or ""
    scope, found, _ = exemption_id.partition(_EXEMPTION_SEGMENT)
    return PolicyExemption(
        id=exemption_id,
        name=str(body.get("name")),
        scope=scope if found else "",
        policy_assignment_id=_get(p, "policyAssignmentId") or "",
        policy_definition_reference_ids=list(_get(p, "policyDefinitionReferenceIds") or []),
        exemption_category=str(_get(p, "exemptionCategory") or ""),
        display_name=_get(p, "displayName"),
        description=_get(p, "description"),
        expires_on=_get(p, "expiresOn"),
        metadata=dict(_get(p, "metadata") or {}),
        resource_selectors=list(_get(p, "resourceSelectors") or []),
        applies_to=[subscription_id.lower()],
    )


def role_assignment_item(body: Mapping[str, Any], subscription_id: str) -> RoleAssignment:
    """RoleAssignments_ListForSubscription item, remembering the listing subscription: an
    inherited (management-group) assignment applies to that subscription's resources only
    (merged per id after collection)."""
    return role_assignment(body, subscription_id)


def role_assignment(body: Mapping[str, Any], subscription_id: str | None = None) -> RoleAssignment:
    """RoleAssignments_ListForSubscription item (the subscription's own, inherited from
    management groups and the root, and below); `subscription_id` is the listing one."""
    p = _props(body)
    return RoleAssignment(
        id=body.get("id") or "",
        scope=_get(p, "scope") or "",
        principal_id=str(_get(p, "principalId")),
        principal_type=_get(p, "principalType"),
        role_definition_id=_get(p, "roleDefinitionId") or "",
        applies_to=[subscription_id.lower()] if subscription_id else [],
    )
