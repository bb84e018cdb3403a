"""Which assignments govern a subscription and whether each keeps a guardrail in force
there: scope (notScopes, management-group ancestry), enforcement mode, the initiative
read, and per application the parameters, effect, overrides, resource selectors and
exemptions (checks/policy_rules.py). Shared by the guardrail checks of checks/policy.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from checks.policy_rules import (
    Application,
    applications,
    exemption_problems,
    exemptions_over,
    judge_effect,
    judge_selectors,
    not_disabled,
)
from scanner.context import MANAGEMENT_GROUP_PREFIX, CheckContext
from scanner.context_policy import excluded_by_not_scopes
from scanner.findings import Status, Verdict
from scanner.gate import rests_on
from scanner.inventory import Subscription
from scanner.inventory_base import normalize_id
from scanner.inventory_policy import PolicyAssignment

POLICY_READS = ("policy_assignments", "policy_set_definitions", "policy_definitions",
                "policy_exemptions")
"""What judging an assignment reads: the assignments, their initiatives, the definitions
whose default effect they use, and the exemptions that may suspend them."""

Applies = Callable[[PolicyAssignment], list[Application] | None]
"""Where an assignment applies the policy; [] nowhere; None unknown (initiative not read)."""
ParamJudge = Callable[[Application], tuple[list[str], list[str]]]
"""(problems, undetermined) of one application: its parameters and effect."""


def management_group_scopes(sub: Subscription) -> set[str]:
    """The subscription's management-group ancestors as ARM ids (empty when not collected).

    Entries may be names (`mg-cjis`) or ids (`/providers/Microsoft.Management/...`).
    """
    scopes = set()
    for ancestor in sub.management_group_ancestors:
        if ancestor.startswith("/"):
            scopes.add(normalize_id(ancestor) or "")
        else:
            scopes.add(MANAGEMENT_GROUP_PREFIX + ancestor.lower())
    return scopes


def governing(ctx: CheckContext, sub: Subscription) -> list[PolicyAssignment]:
    """Assignments at or above the subscription, each once.

    `assignments_governing` takes every management-group assignment in the inventory; when
    the subscription's ancestors are known, those of other branches are left out.
    """
    ancestors = management_group_scopes(sub)
    found: dict[str, PolicyAssignment] = {}
    for assignment in ctx.assignments_governing(sub.subscription_id):
        if ancestors and assignment.scope.startswith(MANAGEMENT_GROUP_PREFIX) \
                and assignment.scope not in ancestors:
            continue
        found.setdefault(assignment.id, assignment)
    return sorted(found.values(), key=lambda a: a.id)


@dataclass
class Candidate:
    """An assignment that applies (or may apply) the definition, and why it counts or not."""

    assignment: PolicyAssignment
    applied: list[Application]
    problems: list[str] = field(default_factory=list)
    undetermined: list[str] = field(default_factory=list)
    exemptions: list[str] = field(default_factory=list)

    @property
    def counts(self) -> bool:
        return not self.problems and not self.undetermined

    @property
    def label(self) -> str:
        name = self.assignment.display_name or self.assignment.name
        return f"{name!r} ({self.assignment.id})"

    def evidence(self) -> dict[str, Any]:
        a = self.assignment
        return {
            "assignment": a.id,
            "display_name": a.display_name,
            "scope": a.scope,
            "policy_definition_id": a.policy_definition_id,
            "enforcement_mode": a.enforcement_mode,
            "not_scopes": a.not_scopes,
            "applied_parameters": [app.parameters for app in self.applied],
            "applications": [app.evidence() for app in self.applied],
            "overrides": [o.model_dump(exclude_none=True) for o in a.overrides],
            "resource_selectors": [r.model_dump(exclude_none=True)
                                   for r in a.resource_selectors],
            "exemptions": self.exemptions,
            "counts": self.counts,
            "why_not": self.problems + self.undetermined,
        }


def scope_holes(assignment: PolicyAssignment, sub: Subscription,
                 ancestors: set[str]) -> tuple[list[str], list[str]]:
    """(notScopes that exclude the subscription or part of it, notScopes we cannot place)."""
    sub_scope = sub.id.lower()
    holes = excluded_by_not_scopes(assignment, [sub_scope, *ancestors])
    holes += [n for n in assignment.not_scopes if n.startswith(sub_scope + "/")]
    unplaced = [] if ancestors else [n for n in assignment.not_scopes
                                      if n.startswith(MANAGEMENT_GROUP_PREFIX) and n not in holes]
    return holes, unplaced


def judge_assignment(ctx: CheckContext, assignment: PolicyAssignment,
                      applied: list[Application] | None, sub: Subscription,
                      ancestors: set[str], judge: ParamJudge) -> Candidate:
    candidate = Candidate(assignment, applied or [])
    if applied is None:
        candidate.undetermined.append(
            f"its initiative {assignment.policy_definition_id} could not be read, so whether "
            f"it applies the policy is unknown")
    if assignment.enforcement_mode.lower() != "default":
        candidate.problems.append(f"enforcementMode is {assignment.enforcement_mode}")
    holes, unplaced = scope_holes(assignment, sub, ancestors)
    if holes:
        candidate.problems.append(f"notScopes exclude {', '.join(holes)}")
    if unplaced:
        candidate.undetermined.append(
            f"notScopes {', '.join(unplaced)} may contain the subscription (its "
            f"management-group ancestry was not collected)")
    if applied:
        outcomes = []
        for app in applied:
            problems, undetermined = judge(app)
            exempted = exemptions_over(ctx, assignment, app, sub, ancestors)
            candidate.exemptions += [e.id for e in exempted if e.id not in candidate.exemptions]
            outcomes.append((problems + exemption_problems(exempted), undetermined))
        if not candidate.exemptions:
            # An exemption we could not read may suspend the assignment here: a pass
            # resting on it does not stand then (scanner.gate); a fail does, as an
            # exemption only ever suspends.
            rests_on("policy_exemptions", scope=sub.id,
                     means="an exemption may suspend the assignment there")
        if not any(not p and not u for p, u in outcomes):  # no application is clean
            if any(not p for p, _ in outcomes):
                candidate.undetermined.extend(u for p, us in outcomes if not p for u in us)
            else:
                candidate.problems.extend(dict.fromkeys(x for p, _ in outcomes for x in p))
    return candidate


def applies_for(ctx: CheckContext, guid: str) -> Applies:
    return lambda assignment: applications(ctx, assignment, guid)


def effect_not_disabled(assignment: PolicyAssignment) -> ParamJudge:
    """A guardrail that audits or enforces: any effect but Disabled, on every resource."""
    def judge(app: Application) -> tuple[list[str], list[str]]:
        problems, undetermined = judge_effect(app, assignment, not_disabled)
        return problems + judge_selectors(assignment), undetermined
    return judge


def governing_candidates(ctx: CheckContext, sub: Subscription, applies: Applies,
                judge_for: Callable[[PolicyAssignment], ParamJudge]) -> list[Candidate]:
    """Every governing assignment that applies (or may apply) the policy, judged by the
    judge made for it (which knows its overrides and resource selectors)."""
    ancestors = management_group_scopes(sub)
    found = []
    for assignment in governing(ctx, sub):
        applied = applies(assignment)
        if applied == []:
            continue
        found.append(judge_assignment(ctx, assignment, applied, sub, ancestors,
                                       judge_for(assignment)))
    return found


def state(candidates: list[Candidate]) -> Status:
    """pass if one counts; unknown if one might; fail otherwise."""
    if any(c.counts for c in candidates):
        return Status.PASS
    if any(c.undetermined and not c.problems for c in candidates):
        return Status.UNKNOWN
    return Status.FAIL


def why_none_counts(candidates: list[Candidate]) -> str:
    return "; ".join(f"{c.label}: {', '.join(c.problems + c.undetermined)}" for c in candidates)


def single_policy_verdict(candidates: list[Candidate], sub: Subscription, policy: str,
                           guid: str, extra_evidence: dict[str, Any] | None = None) -> Verdict:
    evidence: dict[str, Any] = {
        "policy_definition": guid,
        "candidates": [c.evidence() for c in candidates],
        **(extra_evidence or {}),
    }
    status = state(candidates)
    if status is Status.PASS:
        names = ", ".join(c.label for c in candidates if c.counts)
        return Verdict(status=status, reason=f"{policy} is enforced on subscription "
                                             f"{sub.subscription_id} by {names}",
                       evidence=evidence)
    if not candidates:
        return Verdict(status=status,
                       reason=f"no assignment at or above subscription {sub.subscription_id} "
                              f"applies {policy} ({guid})",
                       evidence=evidence)
    verb, outcome = ("may apply", "none is known to count") if status is Status.UNKNOWN \
        else ("apply", "none counts")
    return Verdict(status=status,
                   reason=f"{len(candidates)} assignment(s) {verb} {policy} to subscription "
                          f"{sub.subscription_id} but {outcome}: {why_none_counts(candidates)}",
                   evidence=evidence)
