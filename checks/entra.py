"""Step 4, phishing-resistant MFA: Entra ID authentication methods and Conditional Access.

What counts, and why:
- Only `enabled` Conditional Access policies count. Report-only
  (`enabledForReportingButNotEnforced`) and disabled policies enforce nothing; they are
  listed in the evidence as ignored.
- A policy "requires" a control when every way to satisfy its grant includes it: with
  operator `AND` one of its controls suffices; with `OR` every alternative must be it
  (MFA `OR` compliant device does not require MFA).
- A policy covers everyone only when nothing narrows it: all cloud apps with no
  exclusions or app filter, every client app type, no risk, platform, location, device,
  workload-identity or flow condition, and no condition the scanner does not know.
- Exclusions (users, groups, roles, guests) beyond `break_glass_accounts` disqualify a
  policy; the excluded principals are the evidence.
- Data not read from Graph is `unknown` (`EntraInventory.collected`); a Graph error is
  `unknown` through the engine (`needs`), naming the permission that fixes it.
"""

from __future__ import annotations

from typing import Any

from checks.cba_mode import cba_mode
from checks.conditional_access import (
    CA_ADMINS_DOC,
    CA_ALL_USERS_DOC,
    METHODS_DOC,
    PASSKEY_DOC,
    PHISHING_RESISTANT_METHODS,
    UNMIGRATED,
    WEAK_METHODS,
    Candidate,
    break_glass,
    enabled_text,
    excluded_principals,
    ignored_policies,
    methods_evidence,
    methods_policy,
    narrowing,
    not_read,
    policy_label,
    requires_mfa,
    requires_phishing_resistant,
    resolve_strength,
    targets_text,
)
from scanner.context import CheckContext
from scanner.entra_models import (
    DIRECTORY_SYNC_ROLE,
    PHISHING_RESISTANT_STRENGTH_ID,
    PRIVILEGED_ADMIN_ROLES,
    EntraInventory,
)
from scanner.findings import Remediation, Status, Verdict
from scanner.graph_kinds import AUTH_METHODS, AUTH_STRENGTHS, CA_POLICIES
from scanner.registry import check

# --- checks ------------------------------------------------------------------------------------


@check(
    id="entra_phishing_resistant_methods_enabled",
    title="A phishing-resistant authentication method (FIDO2 / passkeys or certificate-based "
          "authentication) is enabled",
    kinds="tenant",
    severity="high",
    rationale=(
        "CJIS 6.0 (IA-2(1), IA-2(2), IA-2(8)) requires phishing-resistant multifactor "
        "authentication; users can only register FIDO2 security keys / passkeys or use "
        "certificate-based authentication when the authentication methods policy enables them. "
        "Certificate-based authentication counts only in multi-factor mode "
        "(x509CertificateMultiFactor): the built-in Phishing-resistant MFA strength allows "
        "x509CertificateMultiFactor, not single-factor CBA (Microsoft Graph v1.0 "
        "x509CertificateAuthenticationModeConfiguration; Learn, 'Authentication strengths')."
    ),
    remediation=Remediation(
        summary=(
            "Entra admin center > Protection > Authentication methods > Policies: enable "
            "Passkey (FIDO2) or Certificate-based authentication for all users (or the CJI "
            "user groups)."
        ),
        cli=(
            "az rest --method PATCH --url https://graph.microsoft.com/v1.0/policies/"
            "authenticationMethodsPolicy/authenticationMethodConfigurations/Fido2 --body "
            "'{\"@odata.type\":\"#microsoft.graph.fido2AuthenticationMethodConfiguration\","
            "\"state\":\"enabled\"}'"
        ),
        docs=PASSKEY_DOC,
    ),
    needs=(AUTH_METHODS,),
)
def entra_phishing_resistant_methods_enabled(tenant: Any, ctx: CheckContext) -> Verdict:
    """Pass when FIDO2, or certificate-based authentication in multi-factor mode, is enabled.

    CBA is phishing-resistant only as multi-factor authentication: its default mode
    `x509CertificateMultiFactor` (Graph v1.0 x509CertificateAuthenticationModeConfiguration;
    documented default x509CertificateSingleFactor, so an absent mode is single-factor).
    Single-factor CBA with multi-factor binding rules is multi-factor only for the
    certificates those rules match, which the scanner cannot map to users: `unknown`.
    """
    entra = ctx.inventory.entra
    policy, gap = methods_policy(entra)
    if gap:
        return gap
    assert policy is not None
    methods = {name: policy.method(name) for name in PHISHING_RESISTANT_METHODS}
    evidence = {name: methods_evidence(m) for name, m in methods.items()}
    fido2, x509 = methods["Fido2"], methods["X509Certificate"]
    cba = cba_mode(x509)
    evidence["X509Certificate"].update(cba)
    enabled = []
    if fido2 is not None and fido2.enabled:
        enabled.append(f"Fido2 for {targets_text(evidence['Fido2']['include_targets'])}")
    if x509 is not None and x509.enabled and cba["multi_factor"] is True:
        enabled.append(f"X509Certificate (multi-factor) for "
                       f"{targets_text(evidence['X509Certificate']['include_targets'])}")
    if enabled:
        return Verdict(status=Status.PASS,
                       reason=f"phishing-resistant method(s) enabled: {'; '.join(enabled)}",
                       evidence=evidence)
    if x509 is not None and x509.enabled:
        if cba["multi_factor"] is None:
            return Verdict(
                status=Status.UNKNOWN,
                reason="certificate-based authentication is single-factor by default; only "
                       f"certificates matching its multi-factor binding rules "
                       f"({', '.join(cba['multi_factor_rules'])}) are multi-factor, and "
                       "whether the users in scope hold such certificates cannot be read; "
                       "FIDO2 is not enabled",
                evidence=evidence)
        return Verdict(status=Status.FAIL,
                       reason=f"certificate-based authentication is enabled but single-factor "
                              f"({cba['default_mode']}): not phishing-resistant MFA; FIDO2 "
                              f"(passkeys) is not enabled",
                       evidence=evidence)
    return Verdict(status=Status.FAIL,
                   reason="neither FIDO2 (passkeys) nor certificate-based authentication is "
                          "enabled in the authentication methods policy",
                   evidence=evidence)


@check(
    id="entra_ca_privileged_phishing_resistant",
    title="Conditional Access requires phishing-resistant MFA for privileged directory roles",
    kinds="tenant",
    severity="critical",
    rationale=(
        "Administrators of the tenant control every CJI system in it. CJIS 6.0 IA-2(1) and "
        "IA-2(8) call for replay-resistant MFA for privileged accounts: an enforced "
        "Conditional Access policy requiring the Phishing-resistant MFA authentication "
        "strength for the privileged roles on all cloud apps, excluding only break-glass "
        "accounts."
    ),
    remediation=Remediation(
        summary=(
            "Entra admin center > Protection > Conditional Access > Create new policy from "
            "template 'Require phishing-resistant multifactor authentication for "
            "administrators': include the privileged directory roles, all resources, grant "
            "'Require authentication strength: Phishing-resistant MFA', exclude only the "
            "emergency-access accounts, and set the policy On (not Report-only)."
        ),
        cli=(
            "az rest --method POST --url https://graph.microsoft.com/v1.0/identity/"
            "conditionalAccess/policies --body @require-phishing-resistant-admins.json"
        ),
        docs=CA_ADMINS_DOC,
    ),
    needs=(CA_POLICIES,),
)
def entra_ca_privileged_phishing_resistant(tenant: Any, ctx: CheckContext) -> Verdict:
    """Pass when enabled policies requiring phishing-resistant strength cover every role of
    Microsoft's administrator template with no exclusions beyond break-glass accounts."""
    entra = ctx.inventory.entra
    gap = not_read(entra, CA_POLICIES, "Conditional Access")
    if gap:
        return gap
    required = set(PRIVILEGED_ADMIN_ROLES)
    allowed = break_glass(ctx)
    covered: set[str] = set()
    qualifying: list[str] = []
    candidates: list[Candidate] = []
    unresolved: list[str] = []
    for policy in entra.conditional_access_policies:
        if policy.state != "enabled":
            continue
        strength = resolve_strength(policy.grant_controls, entra.authentication_strength_policies)
        if strength is not None and strength.id != PHISHING_RESISTANT_STRENGTH_ID and (
                not strength.allowed_combinations):
            unresolved.append(policy_label(policy))
        if not requires_phishing_resistant(policy.grant_controls, strength):
            continue
        users = policy.conditions.users
        everyone = users is not None and "all" in {u.lower() for u in users.include_users}
        roles = required if everyone else {r.lower() for r in (users.include_roles if users
                                                                else [])} & required
        if not roles:
            continue
        candidate = Candidate(policy, narrowing(policy.conditions),
                              excluded_principals(policy.conditions, allowed))
        if candidate.excluded:
            candidate.problems.append("excludes principals beyond the break-glass accounts")
        candidates.append(candidate)
        if not candidate.problems:
            covered |= roles
            qualifying.append(policy_label(policy))
    missing = sorted(required - covered)
    evidence: dict[str, Any] = {
        "qualifying_policies": qualifying,
        "candidate_policies": [c.evidence() for c in candidates],
        "roles_not_covered": [f"{PRIVILEGED_ADMIN_ROLES[r]} ({r})" for r in missing],
        "break_glass_accounts": sorted(allowed),
        **ignored_policies(entra.conditional_access_policies),
    }
    _other_privileged_roles(entra, required, covered, evidence)
    if not missing:
        return Verdict(status=Status.PASS,
                       reason=f"enabled Conditional Access requires phishing-resistant MFA for "
                              f"every privileged role: {', '.join(qualifying)}",
                       evidence=evidence)
    if unresolved and not entra.was_read(AUTH_STRENGTHS):
        evidence["strength_not_resolved"] = unresolved
        return Verdict(status=Status.UNKNOWN,
                       reason="some enabled policies use a custom authentication strength whose "
                              "methods were not read (authentication strength policies)",
                       evidence=evidence)
    blocked = [c for c in candidates if c.excluded]
    if blocked:
        principals = ", ".join(f"{p['type']} {p['id']}" for c in blocked for p in c.excluded)
        return Verdict(status=Status.FAIL,
                       reason=f"the phishing-resistant policy for privileged roles excludes "
                              f"principals beyond the break-glass accounts: {principals}",
                       evidence=evidence)
    return Verdict(status=Status.FAIL,
                   reason=f"no enabled Conditional Access policy requires phishing-resistant MFA "
                          f"on all cloud apps for {len(missing)} privileged role(s): "
                          f"{', '.join(PRIVILEGED_ADMIN_ROLES[r] for r in missing)}",
                   evidence=evidence)


def _other_privileged_roles(entra: EntraInventory, required: set[str], covered: set[str],
                            evidence: dict[str, Any]) -> None:
    """Note roles Entra labels privileged beyond the template's (informational, not judged)."""
    if not entra.role_definitions:
        return
    others = sorted(f"{r.display_name} ({r.template_id or r.id})" for r in entra.role_definitions
                    if r.is_privileged and (r.template_id or r.id).lower() not in required
                    and (r.template_id or r.id).lower() not in covered)
    if others:
        evidence["other_privileged_roles_not_covered"] = others


@check(
    id="entra_ca_all_users_mfa",
    title="Conditional Access requires MFA for all users on all cloud apps",
    kinds="tenant",
    severity="high",
    rationale=(
        "CJIS 6.0 IA-2(1) and IA-2(2) require multifactor authentication for every user who "
        "can reach CJI. In Entra ID that is an enforced Conditional Access policy for all "
        "users and all cloud apps whose grant cannot be met without MFA."
    ),
    remediation=Remediation(
        summary=(
            "Entra admin center > Protection > Conditional Access > Create new policy from "
            "template 'Require multifactor authentication for all users': all users "
            "(excluding only emergency-access accounts and, if used, the Directory "
            "Synchronization Accounts role), all resources, grant 'Require multifactor "
            "authentication' or an authentication strength; set it On."
        ),
        cli=(
            "az rest --method POST --url https://graph.microsoft.com/v1.0/identity/"
            "conditionalAccess/policies --body @require-mfa-all-users.json"
        ),
        docs=CA_ALL_USERS_DOC,
    ),
    needs=(CA_POLICIES,),
)
def entra_ca_all_users_mfa(tenant: Any, ctx: CheckContext) -> Verdict:
    """Pass when an enabled policy for all users and all cloud apps requires MFA."""
    entra = ctx.inventory.entra
    gap = not_read(entra, CA_POLICIES, "Conditional Access")
    if gap:
        return gap
    allowed = break_glass(ctx) | {DIRECTORY_SYNC_ROLE}
    qualifying: list[str] = []
    candidates: list[Candidate] = []
    for policy in entra.conditional_access_policies:
        users = policy.conditions.users
        if policy.state != "enabled" or users is None or "all" not in {
                u.lower() for u in users.include_users}:
            continue
        strength = resolve_strength(policy.grant_controls, entra.authentication_strength_policies)
        if not requires_mfa(policy.grant_controls, strength):
            continue
        candidate = Candidate(policy, narrowing(policy.conditions),
                              excluded_principals(policy.conditions, allowed))
        if candidate.excluded:
            candidate.problems.append("excludes principals beyond the break-glass accounts")
        candidates.append(candidate)
        if not candidate.problems:
            qualifying.append(policy_label(policy))
    evidence: dict[str, Any] = {
        "qualifying_policies": qualifying,
        "candidate_policies": [c.evidence() for c in candidates],
        "break_glass_accounts": sorted(break_glass(ctx)),
        **ignored_policies(entra.conditional_access_policies),
    }
    if qualifying:
        return Verdict(status=Status.PASS,
                       reason=f"enabled Conditional Access requires MFA for all users on all "
                              f"cloud apps: {', '.join(qualifying)}",
                       evidence=evidence)
    if candidates:
        problems = "; ".join(f"{policy_label(c.policy)}: {', '.join(c.problems)}"
                             for c in candidates)
        return Verdict(status=Status.FAIL,
                       reason=f"the all-users MFA policies do not cover every sign-in: {problems}",
                       evidence=evidence)
    return Verdict(status=Status.FAIL,
                   reason="no enabled Conditional Access policy requires MFA for all users on "
                          "all cloud apps",
                   evidence=evidence)


@check(
    id="entra_weak_methods_disabled",
    title="SMS and voice call authentication methods are disabled",
    kinds="tenant",
    severity="medium",
    rationale=(
        "One-time codes sent by SMS or voice call can be phished, intercepted or SIM-swapped; "
        "CJIS 6.0 (IA-2(8), IA-5) expects replay-resistant authenticators, so the weak "
        "methods should be turned off once phishing-resistant methods are rolled out."
    ),
    remediation=Remediation(
        summary=(
            "Entra admin center > Protection > Authentication methods > Policies: set SMS and "
            "Voice call to Disabled (after users have registered a phishing-resistant method), "
            "and complete the migration from the legacy MFA and SSPR policies."
        ),
        cli=(
            "az rest --method PATCH --url https://graph.microsoft.com/v1.0/policies/"
            "authenticationMethodsPolicy/authenticationMethodConfigurations/Sms --body "
            "'{\"@odata.type\":\"#microsoft.graph.smsAuthenticationMethodConfiguration\","
            "\"state\":\"disabled\"}'"
        ),
        docs=METHODS_DOC,
    ),
    needs=(AUTH_METHODS,),
)
def entra_weak_methods_disabled(tenant: Any, ctx: CheckContext) -> Verdict:
    """Pass when SMS and Voice are both listed and disabled and the policy is authoritative."""
    entra = ctx.inventory.entra
    policy, gap = methods_policy(entra)
    if gap:
        return gap
    assert policy is not None
    methods = {name: policy.method(name) for name in WEAK_METHODS}
    evidence: dict[str, Any] = {name: methods_evidence(m) for name, m in methods.items()}
    evidence["policy_migration_state"] = policy.policy_migration_state
    enabled = [name for name, m in methods.items() if m is not None and m.enabled]
    if enabled:
        which = enabled_text(enabled, evidence)
        return Verdict(status=Status.FAIL, reason=f"weak method(s) still enabled: {which}",
                       evidence=evidence)
    absent = [name for name, m in methods.items() if m is None]
    if absent:
        return Verdict(status=Status.UNKNOWN,
                       reason=f"the authentication methods policy does not list "
                              f"{', '.join(absent)}: the scanner cannot tell whether it is off",
                       evidence=evidence)
    if policy.policy_migration_state in UNMIGRATED:
        return Verdict(status=Status.MANUAL,
                       reason=f"SMS and voice are disabled in the authentication methods policy, "
                              f"but its migration state is {policy.policy_migration_state}: the "
                              f"legacy MFA and SSPR policies (not readable through Graph) may "
                              f"still allow them; confirm and complete the migration",
                       evidence=evidence)
    return Verdict(status=Status.PASS,
                   reason="SMS and voice call are disabled in the authentication methods policy",
                   evidence=evidence)
