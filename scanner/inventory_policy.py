"""Inventory models of Azure Policy beyond the assignment itself: what changes what an
assignment enforces and where (overrides, resource selectors), and the policy definitions
read for their effect.

Shapes follow the PolicyAssignments and PolicyDefinitions REST API (2025-11-01 examples
createPolicyAssignmentWithOverrides / createPolicyAssignmentWithResourceSelectors /
getBuiltinPolicyDefinition) and Microsoft Learn, "Azure Policy assignment structure"
(resource selectors, overrides). This module must not import `scanner.inventory`, which
imports it.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

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
