"""Inventory models of Azure Policy and access: assignments and what changes what they
enforce and where (overrides, resource selectors), the policy definitions read for their
effect, initiatives, exemptions, and role assignments.

Shapes follow the PolicyAssignments and PolicyDefinitions REST API (2025-11-01 examples
createPolicyAssignmentWithOverrides / createPolicyAssignmentWithResourceSelectors /
getBuiltinPolicyDefinition) and Microsoft Learn, "Azure Policy assignment structure"
(resource selectors, overrides). This module must not import `scanner.inventory`, which
imports it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scanner.inventory_base import Model, normalize_id

EFFECT_READ_DEFINITIONS: frozenset[str] = frozenset({
    "e56962a6-4747-49cd-b67b-bf8b01975c4c",  # Allowed locations
    "e765b5de-1225-4ba3-bd56-1ac6695af988",  # Allowed locations for resource groups
    "6fac406b-40ca-413b-bf8e-0bf964659c25",  # Storage accounts should use a CMK
    "702dd420-7fcc-42c5-afe8-4026edd20fe0",  # OS and data disks should use a CMK
    "587c79fe-dd04-4a5e-9d0b-f89598c7261b",  # Keys should be backed by an HSM
    "7f89b1eb-583c-429a-8828-af049802c1d9",  # Audit diagnostic setting for selected types
})
"""Built-in definitions the guardrail checks judge: where an assignment (directly, or
through an initiative's reference) sets no `effect` parameter, their effect is the
definition's, and the collector reads the definition once per scan."""

EFFECT_PARAMETER = re.compile(r"^\[parameters\('([^']+)'\)\]$", re.IGNORECASE)
"""A definition's `then.effect` that takes its value from a parameter."""


class _PolicyModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PolicySelector(_PolicyModel):
    """One selector: `kind` (resourceLocation, resourceType, resourceWithoutLocation,
    policyDefinitionReferenceId) with `in` or `notIn` values."""

    kind: str
    values_in: list[str] | None = None
    """Azure's `in`; None when absent."""
    values_not_in: list[str] | None = None
    """Azure's `notIn`; None when absent."""

    def matches(self, value: str | None) -> bool:
        """Does `value` (compared case-insensitively) satisfy this selector?"""
        folded = (value or "").lower()
        if self.values_in is not None and folded not in {v.lower() for v in self.values_in}:
            return False
        return not (self.values_not_in is not None
                    and folded in {v.lower() for v in self.values_not_in})

    def describe(self) -> str:
        if self.values_in is not None:
            return f"{self.kind} in [{', '.join(self.values_in)}]"
        return f"{self.kind} notIn [{', '.join(self.values_not_in or [])}]"


class PolicyOverride(_PolicyModel):
    """An assignment override: `kind` policyEffect (or definitionVersion) set to `value`
    where its selectors match (all of them; none: everywhere)."""

    kind: str
    value: str | None = None
    selectors: list[PolicySelector] = Field(default_factory=list)


class ResourceSelector(_PolicyModel):
    """A named group of selectors: the assignment evaluates the resources matching every
    selector of at least one of its resource selectors."""

    name: str | None = None
    selectors: list[PolicySelector] = Field(default_factory=list)


class PolicyDefinition(_PolicyModel):
    """A policy definition read for its effect (PolicyDefinitions_Get / _GetBuiltIn)."""

    id: str
    """ARM id, lower-cased."""
    display_name: str | None = None
    version: str | None = None
    effect: str | None = None
    """`policyRule.then.effect` as written: a literal (`deny`) or `[parameters('effect')]`."""
    parameter_defaults: dict[str, Any] = Field(default_factory=dict)
    allowed_effects: list[str] = Field(default_factory=list)
    """`allowedValues` of the effect parameter, when it has one."""

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: str) -> str:
        return "/" + re.sub(r"/{2,}", "/", str(value or "").strip()).strip("/").lower()

    @property
    def effect_parameter(self) -> str | None:
        """The parameter the effect comes from, if it comes from one."""
        match = EFFECT_PARAMETER.match((self.effect or "").strip())
        return match.group(1) if match else None

    def resolve_effect(self, parameters: dict[str, Any]) -> str | None:
        """The effect with `parameters` applied (case-insensitive names), else its default."""
        name = self.effect_parameter
        if name is None:
            return self.effect
        for source in (parameters, self.parameter_defaults):
            value = next((v for k, v in source.items() if k.lower() == name.lower()), None)
            if value is not None:
                return str(value)
        return None


class PolicyAssignment(Model):
    """A policy assignment that applies to a subscription (own, inherited or below)."""

    id: str
    name: str
    display_name: str | None = None
    scope: str
    policy_definition_id: str
    enforcement_mode: str = "Default"
    """Azure omits it when Default; `DoNotEnforce` only audits."""
    not_scopes: list[str] = Field(default_factory=list)
    parameters: dict[str, Any] = Field(default_factory=dict)
    """Parameter name -> value (the `value` of each ARM parameter object)."""
    applies_to: list[str] = Field(default_factory=list)
    """Subscriptions whose assignment list returned it. A management-group assignment
    appears only in the lists of the subscriptions under that group."""
    overrides: list[PolicyOverride] = Field(default_factory=list)
    """`overrides`: effects (kind policyEffect) changed for some policies or resources."""
    resource_selectors: list[ResourceSelector] = Field(default_factory=list)
    """`resourceSelectors`: the resources (by location, type) the assignment evaluates;
    empty: all of them."""

    @field_validator("id", "scope", "policy_definition_id", mode="before")
    @classmethod
    def _ids(cls, value: str) -> str:
        return normalize_id(value) or ""

    @field_validator("not_scopes", mode="before")
    @classmethod
    def _scopes(cls, value: list[str] | None) -> list[str]:
        return [i for i in (normalize_id(v) for v in value or []) if i]

    @property
    def is_set(self) -> bool:
        """True when the assignment is of an initiative (policy set definition)."""
        return "/policysetdefinitions/" in self.policy_definition_id


class PolicyReference(Model):
    """One policy definition inside an initiative, with its parameter values."""

    policy_definition_id: str
    reference_id: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    """Parameter name -> value or `[parameters('x')]` expression."""

    @field_validator("policy_definition_id", mode="before")
    @classmethod
    def _ids(cls, value: str) -> str:
        return normalize_id(value) or ""


class PolicySetDefinition(Model):
    """An initiative: the policies it groups and its parameter defaults."""

    id: str
    display_name: str | None = None
    policy_definitions: list[PolicyReference] = Field(default_factory=list)
    parameter_defaults: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id", mode="before")
    @classmethod
    def _ids(cls, value: str) -> str:
        return normalize_id(value) or ""


class PolicyExemption(Model):
    """An Azure Policy exemption that applies to a subscription (own, inherited or below)."""

    id: str
    name: str
    scope: str
    """The exempted scope: the exemption id up to `/providers/microsoft.authorization/...`."""
    policy_assignment_id: str
    policy_definition_reference_ids: list[str] = Field(default_factory=list)
    """Which policies of an initiative assignment are exempted (empty: all of them)."""
    exemption_category: str
    """`Waiver` or `Mitigated`."""
    display_name: str | None = None
    description: str | None = None
    expires_on: datetime | None = None
    """None: the exemption does not expire."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    resource_selectors: list[dict[str, Any]] = Field(default_factory=list)
    applies_to: list[str] = Field(default_factory=list)
    """Subscriptions whose exemption list returned it."""

    @field_validator("id", "scope", "policy_assignment_id", mode="before")
    @classmethod
    def _ids(cls, value: str) -> str:
        return normalize_id(value) or ""


class RoleAssignment(Model):
    """An Azure RBAC role assignment (used to list key administrators)."""

    id: str
    scope: str
    principal_id: str
    principal_type: str | None = None
    role_definition_id: str
    role_name: str | None = None
    applies_to: list[str] = Field(default_factory=list)
    """Subscriptions whose role-assignment list returned it: an assignment at a management
    group (or the root) applies to those subscriptions' resources only. Empty in
    inventories saved before it was recorded."""

    @field_validator("id", "scope", "role_definition_id", mode="before")
    @classmethod
    def _ids(cls, value: str) -> str:
        return normalize_id(value) or ""
