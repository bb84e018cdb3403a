"""Guardrail policies judged per subscription: residency (step 1), CMK (step 2), logging (step 5).

An assignment counts for a subscription when it is at the subscription or an ancestor
management group (`ctx.assignments_governing`), its `enforcementMode` is `Default`
(Azure omits the field when it is), it applies the built-in definition directly or inside
an initiative (`ctx.definition_references` resolves the initiative's parameters), the
effect in force (its `effect` parameter, else the definition's default, read once per
scan; then the assignment's overrides) is the one the guardrail needs for every resource,
and nothing leaves a hole in the subscription: a notScope, a resource selector, a partial
override or an exemption equal to the subscription, one of its ancestors, or anything
inside it (a resource group, a resource) disqualifies the assignment, because a guardrail
with a hole does not keep the whole subscription inside the requirement
(checks/policy_candidates.py, checks/policy_rules.py).

When nothing counts but an assignment might (an initiative, a definition or the
exemptions could not be read), the verdict is `unknown`, not `fail`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from checks.policy_candidates import (
    POLICY_READS,
    Applies,
    ParamJudge,
    applies_for,
    effect_not_disabled,
    governing_candidates,
    single_policy_verdict,
    state,
)
from checks.policy_rules import (
    Application,
    applications,
    denies,
    judge_effect,
    judge_selectors,
    param,
)
from scanner.context import CheckContext
from scanner.findings import Status, Verdict
from scanner.inventory import Subscription
from scanner.inventory_base import normalize_location
from scanner.inventory_policy import PolicyAssignment
from scanner.registry import check

ALLOWED_LOCATIONS = "e56962a6-4747-49cd-b67b-bf8b01975c4c"
"""Built-in "Allowed locations" (effect deny; parameter listOfAllowedLocations)."""
ALLOWED_RG_LOCATIONS = "e765b5de-1225-4ba3-bd56-1ac6695af988"
"""Built-in "Allowed locations for resource groups" (same parameter name)."""

CMK_GUARDRAILS: dict[str, str] = {
    "6fac406b-40ca-413b-bf8e-0bf964659c25":
        "Storage accounts should use customer-managed key for encryption",
    "702dd420-7fcc-42c5-afe8-4026edd20fe0":
        "OS and data disks should be encrypted with a customer-managed key",
    "587c79fe-dd04-4a5e-9d0b-f89598c7261b":
        "Keys should be backed by a hardware security module (HSM)",
}

AUDIT_DIAGNOSTIC_SETTING = "7f89b1eb-583c-429a-8828-af049802c1d9"
"""Built-in policy "Audit diagnostic setting for selected resource types" (AuditIfNotExists)."""
DIAGNOSTIC_INITIATIVES: dict[str, str] = {
    # Built-in initiatives (policySetDefinitions) that deploy resource diagnostic settings
    # to a Log Analytics workspace; both replaced the Azure Landing Zones custom
    # "Deploy-Diagnostics-LogAnalytics" set and are what ALZ assigns today.
    "0884adba-2312-4468-abeb-5422caed1038":
        "Enable allLogs category group resource logging for supported resources to Log "
        "Analytics",
    "f5b29bc4-feca-4cc6-a58a-772dd5e290a5":
        "Enable audit category group resource logging for supported resources to Log "
        "Analytics",
}
# A custom policy or initiative that deploys diagnostic settings is recognised by its
# display name ("Deploy diagnostic settings for ...", "Configure diagnostic settings ...").
_DIAGNOSTIC_NAME = re.compile(r"diagnostic[\s-]*setting", re.IGNORECASE)


# --- step 1: Allowed locations -------------------------------------------------------------


def _us_locations_only(ctx: CheckContext) -> Callable[[PolicyAssignment], ParamJudge]:
    """Only US regions allowed, and Deny in force for every resource of the subscription."""
    def judge_for(assignment: PolicyAssignment) -> ParamJudge:
        def judge(app: Application) -> tuple[list[str], list[str]]:
            problems, undetermined = _us_only(ctx, param(app.parameters,
                                                         "listOfAllowedLocations"))
            value = param(app.parameters, "listOfAllowedLocations")
            allowed = {normalize_location(str(v)) or "" for v in value} \
                if isinstance(value, list) else set()
            effect_problems, effect_undetermined = judge_effect(app, assignment, denies,
                                                                allowed)
            problems += effect_problems + judge_selectors(assignment, allowed)
            return problems, undetermined + effect_undetermined
        return judge
    return judge_for


def _us_only(ctx: CheckContext, value: Any) -> tuple[list[str], list[str]]:
    """listOfAllowedLocations holds only US regions. `global` is not a region: the built-in
    never evaluates resources in `global` (its rule excludes them), so the entry allows
    nothing outside the US."""
    if value is None:
        return ["parameter listOfAllowedLocations is missing"], []
    if not isinstance(value, list):
        return [f"listOfAllowedLocations is not a list ({value!r})"], []
    locations = [normalize_location(str(v)) or "" for v in value]
    verdicts = {loc: ctx.is_us_region(loc) for loc in locations if loc != "global"}
    non_us = [loc for loc, us in verdicts.items() if us is False]
    if non_us:
        return [f"listOfAllowedLocations allows non-US or non-production locations "
                f"{', '.join(non_us)}"], []
    unread = [loc for loc, us in verdicts.items() if us is None]
    if unread:
        return [], [f"{', '.join(unread)} is in neither the regions lists read nor the "
                    f"built-in region table, so whether it is a US region is unknown"]
    return [], []


def _allowed_locations_verdict(sub: Subscription, ctx: CheckContext, guid: str,
                               policy: str) -> Verdict:
    candidates = governing_candidates(ctx, sub, applies_for(ctx, guid), _us_locations_only(ctx))
    return single_policy_verdict(candidates, sub, policy, guid)


_ASSIGN_DOCS = "https://learn.microsoft.com/azure/governance/policy/assign-policy-azurecli"


@check(
    id="subscription_allowed_locations_policy",
    title="An enforced Allowed locations policy limits the subscription to US regions",
    kinds="subscriptions",
    severity="high",
    rationale=(
        "Checking where resources are today does not stop the next deployment to a "
        "non-US region. The built-in Allowed locations policy, enforced at or above the "
        "subscription with only US regions allowed, denies such deployments (SA-9(5), SC-7)."
    ),
    remediation={
        "summary": "Assign the built-in 'Allowed locations' policy at the subscription or its "
                   "management group with enforcementMode Default, only US regions in "
                   "listOfAllowedLocations, and no notScopes inside the subscription.",
        "cli": "az policy assignment create --name cjis-allowed-locations "
               "--scope /subscriptions/<subscription-id> "
               "--policy e56962a6-4747-49cd-b67b-bf8b01975c4c "
               "--params '{\"listOfAllowedLocations\": {\"value\": [\"<us-region-1>\", "
               "\"<us-region-2>\"]}}'",
        "docs": _ASSIGN_DOCS,
    },
    needs=("policy_assignments",),
    needs_anywhere=(*POLICY_READS, "regions"),
)
def subscription_allowed_locations_policy(sub: Subscription, ctx: CheckContext) -> Verdict:
    """Built-in Allowed locations (e56962a6-…) enforced with only US production regions.

    Its effect (parameter `effect` since 1.1.0, default Deny) must be Deny for every
    resource: an Audit or Disabled effect, an override or a resource selector that leaves
    some resources at a weaker effect, or an exemption, means it does not keep the
    subscription in the US. `global` in the list allows nothing: the built-in skips
    resources in `global`.
    """
    return _allowed_locations_verdict(sub, ctx, ALLOWED_LOCATIONS, "'Allowed locations'")


@check(
    id="subscription_allowed_rg_locations_policy",
    title="An enforced Allowed locations policy limits resource groups to US regions",
    kinds="subscriptions",
    severity="medium",
    rationale=(
        "The Allowed locations policy exempts resource groups; their metadata needs its own "
        "guardrail. 'Allowed locations for resource groups', enforced with only US regions, "
        "keeps new groups in the US (SA-9(5), SC-7)."
    ),
    remediation={
        "summary": "Assign the built-in 'Allowed locations for resource groups' policy at the "
                   "subscription or its management group, enforced, with only US regions.",
        "cli": "az policy assignment create --name cjis-allowed-rg-locations "
               "--scope /subscriptions/<subscription-id> "
               "--policy e765b5de-1225-4ba3-bd56-1ac6695af988 "
               "--params '{\"listOfAllowedLocations\": {\"value\": [\"<us-region-1>\", "
               "\"<us-region-2>\"]}}'",
        "docs": _ASSIGN_DOCS,
    },
    needs=("policy_assignments",),
    needs_anywhere=(*POLICY_READS, "regions"),
)
def subscription_allowed_rg_locations_policy(sub: Subscription, ctx: CheckContext) -> Verdict:
    """Built-in Allowed locations for resource groups (e765b5de-…), enforced, US only."""
    return _allowed_locations_verdict(sub, ctx, ALLOWED_RG_LOCATIONS,
                                      "'Allowed locations for resource groups'")


# --- step 2: CMK guardrails ----------------------------------------------------------------


@check(
    id="subscription_cmk_guardrail_policies",
    title="CMK guardrail policies are assigned and enforced on the subscription",
    kinds="subscriptions",
    severity="medium",
    rationale=(
        "Customer-managed keys are the compensating control for unscreened vendor staff on "
        "Azure Commercial. Without the built-in CMK policies for storage and disks and the "
        "HSM-backed key policy, a new store or key can silently drift back to "
        "Microsoft-managed or software keys (SC-12, SC-28(1))."
    ),
    remediation={
        "summary": "Assign the three built-in policies (or an initiative holding them) at the "
                   "subscription or its management group with enforcementMode Default and "
                   "an effect other than Disabled.",
        "cli": "az policy assignment create --name cjis-storage-cmk "
               "--scope /subscriptions/<subscription-id> "
               "--policy 6fac406b-40ca-413b-bf8e-0bf964659c25 "
               "# repeat for 702dd420-7fcc-42c5-afe8-4026edd20fe0 and "
               "587c79fe-dd04-4a5e-9d0b-f89598c7261b",
        "docs": "https://learn.microsoft.com/azure/governance/policy/samples/built-in-policies",
    },
    needs=("policy_assignments",),
    needs_anywhere=POLICY_READS,
)
def subscription_cmk_guardrail_policies(sub: Subscription, ctx: CheckContext) -> Verdict:
    """All three built-in CMK policies assigned at or above the subscription and enforced."""
    policies = []
    states = {}
    for guid, name in CMK_GUARDRAILS.items():
        candidates = governing_candidates(ctx, sub, applies_for(ctx, guid), effect_not_disabled)
        states[guid] = state(candidates)
        policies.append({
            "policy_definition": guid,
            "display_name": name,
            "status": states[guid].value,
            "enforced_by": [c.assignment.id for c in candidates if c.counts],
            "candidates": [c.evidence() for c in candidates],
        })
    missing = [CMK_GUARDRAILS[g] for g, s in states.items() if s is Status.FAIL]
    unsure = [CMK_GUARDRAILS[g] for g, s in states.items() if s is Status.UNKNOWN]
    evidence = {"policies": policies, "missing": missing, "undetermined": unsure}
    if missing:
        return Verdict(status=Status.FAIL,
                       reason=f"not enforced on subscription {sub.subscription_id}: "
                              f"{'; '.join(missing)}",
                       evidence=evidence)
    if unsure:
        return Verdict(status=Status.UNKNOWN,
                       reason=f"cannot tell whether these are enforced on subscription "
                              f"{sub.subscription_id} (an initiative or the management-group "
                              f"ancestry could not be read): {'; '.join(unsure)}",
                       evidence=evidence)
    return Verdict(status=Status.PASS,
                   reason=f"all three CMK guardrail policies are enforced on subscription "
                          f"{sub.subscription_id}",
                   evidence=evidence)


# --- step 5: diagnostic-settings guardrail ---------------------------------------------------


def _diagnostic_policy_applies(ctx: CheckContext) -> Applies:
    def applies(assignment: PolicyAssignment) -> list[Application] | None:
        applied = applications(ctx, assignment, AUDIT_DIAGNOSTIC_SETTING)
        if applied:
            return applied
        guid = assignment.policy_definition_id.rsplit("/", 1)[-1]
        policy_set = ctx.policy_sets.get(assignment.policy_definition_id)
        names = [assignment.display_name or ""]
        if policy_set is not None:
            names.append(policy_set.display_name or "")
        if guid in DIAGNOSTIC_INITIATIVES or any(_DIAGNOSTIC_NAME.search(n) for n in names):
            # Recognised as a whole (a deploy initiative, or a custom policy by name).
            app = Application(assignment.policy_definition_id, None,
                              dict(assignment.parameters))
            definition = ctx.policy_definition(assignment.policy_definition_id)
            effect = definition.resolve_effect(app.parameters) if definition else \
                param(app.parameters, "effect")
            app.effect = effect.lower() if isinstance(effect, str) else None
            app.effect_source = ("its definition" if definition else "parameter effect"
                                 if app.effect else "unknown: its definition was not read "
                                                    "and no effect parameter is set")
            return [app]
        return applied
    return applies


def _diagnostic_judge(assignment: PolicyAssignment) -> ParamJudge:
    def judge(app: Application) -> tuple[list[str], list[str]]:
        if app.definition_id == assignment.policy_definition_id and assignment.is_set:
            # A whole initiative: its policies' effects are its own (DeployIfNotExists in
            # the built-in ones); an effect parameter or an override set to Disabled
            # switches it (or the policies the override names) off.
            problems = [f"its effect parameter is {app.effect}"] \
                if app.effect == "disabled" else []
            problems += [f"an override sets Disabled for "
                         f"{' and '.join(s.describe() for s in o.selectors) or 'all of it'}"
                         for o in assignment.overrides
                         if o.kind.lower() == "policyeffect"
                         and (o.value or "").lower() == "disabled"]
            return problems + judge_selectors(assignment), []
        return effect_not_disabled(assignment)(app)
    return judge


@check(
    id="subscription_diagnostic_settings_policy",
    title="A policy audits or deploys diagnostic settings on the subscription",
    kinds="subscriptions",
    severity="low",
    rationale=(
        "Diagnostic settings are per resource; a resource created tomorrow has none. A "
        "policy that audits their absence or deploys them to Log Analytics keeps the "
        "logging of step 5 from drifting (AU-2, AU-12)."
    ),
    remediation={
        "summary": "Assign the built-in initiative 'Enable allLogs category group resource "
                   "logging for supported resources to Log Analytics' (or the audit-group "
                   "one, or 'Audit diagnostic setting for selected resource types') at the "
                   "subscription or its management group, enforced.",
        "cli": "az policy assignment create --name cjis-diagnostics "
               "--scope /subscriptions/<subscription-id> "
               "--policy-set-definition 0884adba-2312-4468-abeb-5422caed1038 "
               "--params '{\"logAnalytics\": {\"value\": \"<workspace-id>\"}}' "
               "--mi-system-assigned --location <us-region>",
        "docs": "https://learn.microsoft.com/azure/governance/policy/samples/built-in-initiatives",
    },
    needs=("policy_assignments",),
    needs_anywhere=POLICY_READS,
)
def subscription_diagnostic_settings_policy(sub: Subscription, ctx: CheckContext) -> Verdict:
    """An enforced policy that audits or deploys diagnostic settings governs the subscription.

    Recognised: the built-in "Audit diagnostic setting for selected resource types"
    (7f89b1eb-…) directly or in an initiative; the built-in allLogs / audit category-group
    "resource logging to Log Analytics" initiatives (0884adba-…, f5b29bc4-…); and any
    assignment or initiative whose display name mentions diagnostic settings (custom
    deploy-if-not-exists policies, matched by name and shown as such in the evidence).
    """
    candidates = governing_candidates(ctx, sub, _diagnostic_policy_applies(ctx), _diagnostic_judge)
    return single_policy_verdict(
        candidates, sub, "a policy that audits or deploys diagnostic settings",
        AUDIT_DIAGNOSTIC_SETTING,
        {"recognised_initiatives": DIAGNOSTIC_INITIATIVES},
    )
