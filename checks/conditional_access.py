"""Conditional Access and authentication-method analysis for the step-4 checks: which
policies count, what a grant requires, what narrows a policy, who it excludes.

The rules these helpers apply are stated in `checks.entra`'s docstring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scanner.context import CheckContext
from scanner.entra_models import (
    AuthenticationMethodConfiguration,
    AuthenticationMethodsPolicy,
    AuthenticationStrength,
    CaConditions,
    CaGrantControls,
    ConditionalAccessPolicy,
    EntraInventory,
)
from scanner.findings import Status, Verdict
from scanner.graph_kinds import AUTH_METHODS

PASSKEY_DOC = "https://learn.microsoft.com/entra/identity/authentication/how-to-enable-passkey-fido2"
CA_ADMINS_DOC = ("https://learn.microsoft.com/entra/identity/conditional-access/"
                 "policy-admin-phish-resistant-mfa")
CA_ALL_USERS_DOC = ("https://learn.microsoft.com/entra/identity/conditional-access/"
                    "policy-all-users-mfa-strength")
METHODS_DOC = ("https://learn.microsoft.com/entra/identity/authentication/"
               "concept-authentication-methods-manage")

REPORT_ONLY = "enabledForReportingButNotEnforced"
PHISHING_RESISTANT_METHODS = ("Fido2", "X509Certificate")
WEAK_METHODS = ("Sms", "Voice")
_MODERN_CLIENTS = frozenset({"browser", "mobileAppsAndDesktopClients"})
UNMIGRATED = frozenset({"preMigration", "migrationInProgress"})



# --- helpers ------------------------------------------------------------------------


def not_read(entra: EntraInventory, collector: str, what: str) -> Verdict | None:
    """`unknown` when `collector`'s data is not in the inventory (never judged as empty)."""
    if entra.was_read(collector):
        return None
    return Verdict(status=Status.UNKNOWN,
                   reason=f"{what} was not read from Microsoft Graph: collect the tenant again "
                          f"with Graph access (collector {collector})",
                   evidence={"collected": list(entra.collected)})


def methods_policy(
    entra: EntraInventory,
) -> tuple[AuthenticationMethodsPolicy | None, Verdict | None]:
    """The authentication methods policy, or the `unknown` verdict saying why it is missing."""
    gap = not_read(entra, AUTH_METHODS, "The authentication methods policy")
    if gap:
        return None, gap
    if entra.authentication_methods_policy is None:
        return None, Verdict(status=Status.UNKNOWN,
                             reason="the authentication methods policy is missing from the "
                                    "inventory")
    return entra.authentication_methods_policy, None


def policy_label(policy: ConditionalAccessPolicy) -> str:
    return f"{policy.display_name or '(no name)'} ({policy.id})"


def resolve_strength(grant: CaGrantControls | None,
                     strengths: list[AuthenticationStrength]) -> AuthenticationStrength | None:
    """The grant's authentication strength, completed from the strengths list when the
    embedded object carries only its id."""
    if grant is None or grant.authentication_strength is None:
        return None
    embedded = grant.authentication_strength
    if embedded.allowed_combinations:
        return embedded
    return next((s for s in strengths if s.id == embedded.id), embedded)


def _alternatives(grant: CaGrantControls) -> list[str]:
    return [*grant.built_in_controls,
            *(["authenticationStrength"] if grant.authentication_strength else []),
            *grant.custom_authentication_factors, *grant.terms_of_use]


def requires(grant: CaGrantControls | None, satisfies: set[str]) -> bool:
    """True when every way to satisfy `grant` includes a control in `satisfies`."""
    if grant is None:
        return False
    alternatives = _alternatives(grant)
    if not alternatives:
        return False
    if (grant.operator or "OR").upper() == "AND" or len(alternatives) == 1:
        return any(a in satisfies for a in alternatives)
    return all(a in satisfies for a in alternatives)


def requires_mfa(grant: CaGrantControls | None, strength: AuthenticationStrength | None) -> bool:
    """The grant cannot be met without multifactor authentication."""
    satisfies = {"mfa"}
    if strength is not None and strength.requirements_satisfied != "none":
        satisfies.add("authenticationStrength")
    return requires(grant, satisfies)


def requires_phishing_resistant(grant: CaGrantControls | None,
                                strength: AuthenticationStrength | None) -> bool:
    """The grant cannot be met without a phishing-resistant authentication strength."""
    if strength is None or not strength.is_phishing_resistant:
        return False
    return requires(grant, {"authenticationStrength"})


def _narrowed(scope: str, included: list[str], excluded: list[str]) -> list[str]:
    """Why a condition's include/exclude lists narrow a policy (`scope`: "to platforms",
    "at locations"): an include list without `all`, or any exclusion."""
    noun = scope.split()[-1]
    why = []
    if included and "all" not in {value.lower() for value in included}:
        why.append(f"applies only {scope} {included}")
    if excluded:
        why.append(f"excludes {noun} {excluded}")
    return why


def narrowing(conditions: CaConditions) -> list[str]:
    """Why a policy does not apply to every sign-in of its users (empty: it does)."""
    why: list[str] = []
    apps = conditions.applications
    if apps is None or "all" not in {a.lower() for a in apps.include_applications}:
        included = apps.include_applications + apps.include_user_actions if apps else []
        why.append(f"does not target all cloud apps (includes {included or 'none'})")
    elif apps.exclude_applications:
        why.append(f"excludes applications {apps.exclude_applications}")
    if apps is not None and apps.application_filter is not None:
        why.append(f"application filter ({apps.application_filter.mode}: "
                   f"{apps.application_filter.rule})")
    client_types = set(conditions.client_app_types)
    if client_types and "all" not in client_types and not client_types >= _MODERN_CLIENTS:
        why.append(f"applies only to client app types {sorted(client_types)}")
    for name in ("user_risk_levels", "sign_in_risk_levels", "service_principal_risk_levels"):
        if getattr(conditions, name):
            why.append(f"applies only at {name.replace('_', ' ')} {getattr(conditions, name)}")
    if conditions.insider_risk_levels:
        why.append(f"applies only at insider risk levels {conditions.insider_risk_levels}")
    if conditions.platforms is not None:
        why += _narrowed("to platforms", conditions.platforms.include_platforms,
                         conditions.platforms.exclude_platforms)
    if conditions.locations is not None:
        why += _narrowed("at locations", conditions.locations.include_locations,
                         conditions.locations.exclude_locations)
    if conditions.devices is not None and conditions.devices.device_filter is not None:
        device_filter = conditions.devices.device_filter
        why.append(f"device filter ({device_filter.mode}: {device_filter.rule})")
    if conditions.client_applications is not None and (
            conditions.client_applications.include_service_principals):
        why.append("applies to workload identities (service principals), not users")
    if conditions.authentication_flows is not None and (
            conditions.authentication_flows.transfer_methods):
        why.append(f"applies only to authentication flows "
                   f"{conditions.authentication_flows.transfer_methods}")
    unknown = [*conditions.unrecognised,
               *(f"users.{n}" for n in (conditions.users.unrecognised
                                        if conditions.users else [])),
               *(f"applications.{n}" for n in (apps.unrecognised if apps else []))]
    if unknown:
        why.append(f"has conditions the scanner does not know: {unknown}")
    return why


def excluded_principals(conditions: CaConditions, allowed: set[str]) -> list[dict[str, str]]:
    """Principals the policy excludes, other than the `allowed` object ids (lower case)."""
    users = conditions.users
    if users is None:
        return []
    found = [{"type": kind, "id": value}
             for kind, values in (("user", users.exclude_users), ("group", users.exclude_groups),
                                  ("role", users.exclude_roles))
             for value in values if value.lower() not in allowed]
    guests = users.exclude_guests_or_external_users
    if guests is not None:
        found.append({"type": "guestsOrExternalUsers",
                      "id": guests.guest_or_external_user_types or "(unspecified)"})
    return found


def break_glass(ctx: CheckContext) -> set[str]:
    """The configured emergency-access object ids, lower case."""
    return {a.lower() for a in ctx.config.break_glass_accounts}


@dataclass
class Candidate:
    """A policy that would serve the requirement, and what stops it from counting."""

    policy: ConditionalAccessPolicy
    problems: list[str] = field(default_factory=list)
    excluded: list[dict[str, str]] = field(default_factory=list)

    def evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {"policy": policy_label(self.policy)}
        if self.problems:
            out["problems"] = self.problems
        if self.excluded:
            out["excluded_principals"] = self.excluded
        return out


def ignored_policies(policies: list[ConditionalAccessPolicy]) -> dict[str, list[str]]:
    return {
        "report_only_ignored": [policy_label(p) for p in policies if p.state == REPORT_ONLY],
        "disabled_ignored": [policy_label(p) for p in policies if p.state == "disabled"],
    }


def methods_evidence(method: AuthenticationMethodConfiguration | None) -> dict[str, Any]:
    if method is None:
        return {"configured": False}
    return {"state": method.state, "include_targets": [t.id for t in method.include_targets],
            "exclude_targets": [t.id for t in method.exclude_targets]}


def targets_text(target_ids: list[str]) -> str:
    """Who a method is enabled for, in words: `all users`, or the groups' ids."""
    words = ["all users" if t == "all_users" else f"group {t}" for t in target_ids]
    return ", ".join(words) or "no one"


def enabled_text(enabled: list[str], evidence: dict[str, Any]) -> str:
    """`Fido2 for all users; Sms for group <id>` (no Python list in a reason)."""
    return "; ".join(f"{name} for {targets_text(evidence[name]['include_targets'])}"
                     for name in enabled)


