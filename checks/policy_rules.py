"""What an Azure Policy assignment enforces, where: effect, overrides, resource selectors
and exemptions, judged the way Azure Policy applies them.

Microsoft Learn, "Azure Policy assignment structure" (resource selectors, overrides),
"Azure Policy exemption structure", and "Understand Azure Policy effects":

- The effect of one policy in an assignment is its definition's `then.effect`: a literal,
  or a parameter whose value comes from the assignment (through the initiative's
  reference, for an initiative) or else the definition's `defaultValue`. Allowed
  locations (e56962a6) and Allowed locations for resource groups (e765b5de) take an
  `effect` parameter since version 1.1.0 (Audit, Deny, Disabled; default Deny); only
  Deny stops a deployment, Audit only reports it, Disabled does nothing.
- An override of kind `policyEffect` replaces that effect for the policies its
  `policyDefinitionReferenceId` selectors name, and, with resource selectors
  (`resourceLocation`, `resourceType`, `resourceWithoutLocation`), only for the resources
  they match.
- `resourceSelectors` limit the resources the assignment evaluates at all: a resource is
  evaluated when it matches every selector of at least one resource selector.
- An exemption (Waiver or Mitigated) at a scope suspends the assignment there, for the
  policies it names (all of them when it names none), until `expiresOn`.

A guardrail holds for a subscription only when the effect it needs is in force for every
resource of the subscription: an override, selector or exemption that leaves a part out
is a hole, and the checks say which one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scanner.context import MANAGEMENT_GROUP_PREFIX, CheckContext
from scanner.gate import rests_on
from scanner.inventory import Subscription
from scanner.inventory_policy import (
    PolicyAssignment,
    PolicyExemption,
    PolicyOverride,
    PolicySelector,
)

RESOURCE_KINDS = frozenset({"resourcelocation", "resourcetype", "resourcewithoutlocation"})
REFERENCE_KIND = "policydefinitionreferenceid"

EffectRule = Callable[[str], bool]
"""Is this effect (lower case) enough for the guardrail?"""


def denies(effect: str) -> bool:
    """Only Deny stops a deployment (residency)."""
    return effect == "deny"


def not_disabled(effect: str) -> bool:
    """Any effect but Disabled audits or enforces (CMK and diagnostics guardrails)."""
    return effect != "disabled"


def param(params: dict[str, Any], name: str) -> Any:
    """A parameter value by name, case-insensitively (ARM parameter names are)."""
    lowered = name.lower()
    return next((v for k, v in params.items() if k.lower() == lowered), None)


@dataclass
class Application:
    """One place an assignment applies a definition: directly, or one initiative reference."""

    definition_id: str
    reference_id: str | None
    parameters: dict[str, Any]
    effect: str | None = None
    effect_source: str = ""
    notes: list[str] = field(default_factory=list)

    def evidence(self) -> dict[str, Any]:
        return {"definition": self.definition_id, "reference_id": self.reference_id,
                "effect": self.effect, "effect_source": self.effect_source,
                **({"notes": self.notes} if self.notes else {})}


def applications(ctx: CheckContext, assignment: PolicyAssignment,
                 guid: str) -> list[Application] | None:
    """Where `assignment` applies definition `guid`, with the effect each one resolves to.
    [] when it does not apply it; None when it is of an initiative that was not read."""
    found = ctx.definition_references(assignment, guid)
    if found is None:
        return None
    out = []
    for definition_id, reference_id, params in found:
        app = Application(definition_id, reference_id, params)
        _resolve_effect(ctx, app)
        out.append(app)
    return out


def _resolve_effect(ctx: CheckContext, app: Application) -> None:
    definition = ctx.policy_definition(app.definition_id)
    if definition is not None:
        effect = definition.resolve_effect(app.parameters)
        version = f" {definition.version}" if definition.version else ""
        if definition.effect_parameter is None:
            app.effect_source = f"the definition's literal effect (version{version or ' ?'})"
        elif param(app.parameters, definition.effect_parameter) is not None:
            app.effect_source = f"parameter {definition.effect_parameter}"
        else:
            app.effect_source = (f"the default of parameter {definition.effect_parameter} "
                                 f"(definition version{version or ' ?'})")
        app.effect = effect.lower() if isinstance(effect, str) else None
        return
    given = param(app.parameters, "effect")
    if isinstance(given, str):
        app.effect, app.effect_source = given.lower(), "parameter effect"
        return
    # Not read, or its read failed: the engine names the failure (scanner.gate).
    rests_on("policy_definitions", scope=app.definition_id)
    app.effect_source = f"unknown: no effect parameter is set and definition " \
                        f"{app.definition_id} was not read"


def _describe(selectors: list[PolicySelector]) -> str:
    return " and ".join(s.describe() for s in selectors) or "everywhere"


def _reference_matches(override: PolicyOverride, reference_id: str | None) -> bool:
    return all(s.matches(reference_id) for s in override.selectors
               if s.kind.lower() == REFERENCE_KIND)


def _resource_selectors(selectors: list[PolicySelector]) -> list[PolicySelector]:
    return [s for s in selectors if s.kind.lower() in RESOURCE_KINDS]


def _within(selectors: list[PolicySelector], allowed: set[str] | None) -> bool:
    """True when resources matching `selectors` are all in `allowed` locations (so a weaker
    effect there lets nothing non-compliant through): a resourceLocation `in` list inside
    the allowed list."""
    if allowed is None:
        return False
    return any(s.kind.lower() == "resourcelocation" and s.values_in is not None
               and {v.lower().replace(" ", "") for v in s.values_in} <= allowed
               for s in selectors)


def judge_effect(app: Application, assignment: PolicyAssignment, rule: EffectRule,
                 allowed: set[str] | None = None) -> tuple[list[str], list[str]]:
    """(problems, undetermined) of the effect in force for `app`, overrides applied.

    `allowed`: for Allowed locations, the locations it allows; a weaker effect limited to
    those locations leaves no hole.
    """
    problems: list[str] = []
    effect = app.effect
    partial: list[PolicyOverride] = []
    for override in assignment.overrides:
        if override.kind.lower() != "policyeffect" or not override.value:
            continue
        if not _reference_matches(override, app.reference_id):
            continue
        if _resource_selectors(override.selectors):
            partial.append(override)
        else:
            effect = override.value.lower()
            app.effect_source = f"an override of the assignment (policyEffect {override.value})"
    app.effect = effect
    if effect is None:
        return [], [f"its effect is unknown ({app.effect_source})"]
    if not rule(effect):
        meaning = {"audit": "audit only: non-compliant deployments are reported, not "
                            "denied",
                   "disabled": "it enforces nothing"}.get(effect, "not enough")
        problems.append(f"its effect is {effect} from {app.effect_source} ({meaning})")
    for override in partial:
        value = (override.value or "").lower()
        scope = _resource_selectors(override.selectors)
        if not rule(value) and not _within(scope, allowed):
            problems.append(f"an override sets its effect to {override.value} where "
                            f"{_describe(scope)}")
        elif rule(value) and not rule(effect):
            app.notes.append(f"an override sets {override.value} only where {_describe(scope)}")
    return problems, []


def judge_selectors(assignment: PolicyAssignment,
                    allowed: set[str] | None = None) -> list[str]:
    """Problems of the assignment's resourceSelectors: the resources it leaves out.

    A resource selector of only resourceLocation `notIn` lists inside the allowed locations
    still evaluates every resource outside them (Allowed locations then misses nothing).
    """
    if not assignment.resource_selectors:
        return []
    for group in assignment.resource_selectors:
        if allowed is not None and group.selectors and all(
                s.kind.lower() == "resourcelocation" and s.values_in is None
                and {v.lower().replace(" ", "") for v in s.values_not_in or []} <= allowed
                for s in group.selectors):
            return []
    described = "; ".join(f"{g.name or '(unnamed)'}: {_describe(g.selectors)}"
                          for g in assignment.resource_selectors)
    return [f"its resourceSelectors evaluate only some resources ({described})"]


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def exemptions_over(ctx: CheckContext, assignment: PolicyAssignment, app: Application,
                    sub: Subscription, ancestors: set[str]) -> list[PolicyExemption]:
    """Unexpired exemptions of `assignment` covering the subscription or part of it, for
    this application's policy."""
    sub_scope = sub.id.lower()
    now = _as_utc(ctx.inventory.collected_at or datetime.now(UTC))
    found = []
    for exemption in ctx.exemptions_of(assignment.id):
        if exemption.expires_on is not None and _as_utc(exemption.expires_on) <= now:
            continue
        wanted = {r.lower() for r in exemption.policy_definition_reference_ids}
        if wanted and (app.reference_id or "").lower() not in wanted:
            continue
        scope = exemption.scope
        if scope.startswith(MANAGEMENT_GROUP_PREFIX):
            covers = scope in ancestors or sub.subscription_id.lower() in exemption.applies_to
        else:
            covers = scope == sub_scope or scope.startswith(sub_scope + "/")
        if covers:
            found.append(exemption)
    return found


def exemption_problems(exemptions: list[PolicyExemption]) -> list[str]:
    return [f"exemption {e.display_name or e.name!r} ({e.exemption_category}, {e.id}) "
            f"suspends it at {e.scope}" for e in exemptions]
