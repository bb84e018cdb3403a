"""Typed models of what the scanner reads from Microsoft Graph: Entra ID (and, through
scanner.intune_models, Intune), and the EntraInventory holding them all.

Field names are snake_case; `from_graph` maps Graph's camelCase JSON onto them once (the
only place Graph's spelling is known) and drops the properties no check reads, so a
saved inventory stays small and strict (`extra="forbid"`). Graph's `null` for a list
means "none" and becomes `[]`; a scalar Graph omits stays `None` ("Graph did not say") and
each check states what absence means. Enumerations keep Graph's own casing
(`enabledForReportingButNotEnforced`, `#microsoft.graph.windows10CompliancePolicy`).

Shapes follow the Microsoft Graph v1.0 reference and its published response examples
(../shared/azure-examples/graph). This module must not import `scanner.inventory`, which
imports it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Literal

from pydantic import Field

# Split out of this module; re-exported so `from scanner.entra_models import ...` holds.
from scanner.graph_model import GraphModel as GraphModel
from scanner.graph_model import GraphModelT as GraphModelT
from scanner.intune_models import APP_PROTECTION_PLATFORMS as APP_PROTECTION_PLATFORMS
from scanner.intune_models import COMPLIANCE_PLATFORMS as COMPLIANCE_PLATFORMS
from scanner.intune_models import AssignmentTarget as AssignmentTarget
from scanner.intune_models import DeviceCompliancePolicy as DeviceCompliancePolicy
from scanner.intune_models import DeviceOperatingSystemSummary as DeviceOperatingSystemSummary
from scanner.intune_models import IntuneUnavailable as IntuneUnavailable
from scanner.intune_models import ManagedAppProtection as ManagedAppProtection
from scanner.intune_models import ManagedDeviceOverview as ManagedDeviceOverview
from scanner.intune_models import PolicyAssignment as PolicyAssignment

# --- well-known identifiers --------------------------------------------------------------

PHISHING_RESISTANT_STRENGTH_ID = "00000000-0000-0000-0000-000000000004"
"""The built-in authentication strength "Phishing-resistant MFA"."""
MFA_STRENGTH_ID = "00000000-0000-0000-0000-000000000002"
"""The built-in authentication strength "Multifactor authentication"."""
PHISHING_RESISTANT_COMBINATIONS = frozenset({"windowsHelloForBusiness", "fido2",
                                             "x509CertificateMultiFactor"})
"""The allowedCombinations of the built-in phishing-resistant strength (Graph's spelling)."""

PRIVILEGED_ADMIN_ROLES: dict[str, str] = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
    "b0f54661-2d74-4c50-afa3-1ec803f12efe": "Billing Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": "Conditional Access Administrator",
    "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
    "729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
    "966707d0-3269-4727-9be2-8c3a10f19b9d": "Password Administrator",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
}
"""Role template ids of Microsoft's Conditional Access template "Require phishing-resistant
multifactor authentication for administrators" (Microsoft Learn, policy-admin-phish-resistant-mfa):
the directory roles the privileged-access check requires a policy to cover. Template ids
are the same in every tenant and cloud; Conditional Access `includeRoles` holds them."""

DIRECTORY_SYNC_ROLE = "d29b2b05-8046-44ba-8758-1e26182fcf32"
"""Directory Synchronization Accounts: Microsoft's all-users MFA template excludes it."""

# --- authentication methods policy ---------------------------------------------------------

class MethodTarget(GraphModel):
    """A user or group an authentication method is enabled for (`all_users`: everyone)."""

    id: str
    target_type: str | None = None
    """`group` or `user`."""


class X509CertificateRule(GraphModel):
    """A CBA authentication binding rule: certificates of an issuer or policy OID get a mode."""

    x509_certificate_rule_type: str | None = None
    """`issuerSubject`, `policyOID`, `issuerSubjectAndPolicyOID`."""
    identifier: str | None = None
    issuer_subject_identifier: str | None = None
    policy_oid_identifier: str | None = None
    x509_certificate_authentication_mode: str | None = None
    """`x509CertificateSingleFactor` or `x509CertificateMultiFactor`."""


class X509CertificateAuthenticationModeConfiguration(GraphModel):
    """Whether certificate-based authentication counts as single- or multi-factor (Graph
    v1.0 x509CertificateAuthenticationModeConfiguration). Documented default mode:
    `x509CertificateSingleFactor`."""

    x509_certificate_authentication_default_mode: str | None = None
    rules: list[X509CertificateRule] = Field(default_factory=list)


class AuthenticationMethodConfiguration(GraphModel):
    """One method of the authentication methods policy (`Fido2`, `Sms`, `X509Certificate` ...)."""

    GRAPH_NAMES: ClassVar[dict[str, str]] = {"odata_type": "@odata.type"}

    id: str
    """Graph's method id: Fido2, MicrosoftAuthenticator, Sms, Voice, X509Certificate,
    TemporaryAccessPass, Email, SoftwareOath, HardwareOath ..."""
    odata_type: str | None = None
    state: Literal["enabled", "disabled"]
    include_targets: list[MethodTarget] = Field(default_factory=list)
    exclude_targets: list[MethodTarget] = Field(default_factory=list)
    authentication_mode_configuration: X509CertificateAuthenticationModeConfiguration | None = None
    """X509Certificate only: single- or multi-factor (None: Graph did not return it)."""

    @property
    def enabled(self) -> bool:
        """Enabled for at least one user or group."""
        return self.state == "enabled" and bool(self.include_targets)


class AuthenticationMethodsPolicy(GraphModel):
    """The tenant's authentication methods policy (GET /policies/authenticationMethodsPolicy)."""

    id: str = "authenticationMethodsPolicy"
    policy_version: str | None = None
    policy_migration_state: str | None = None
    """`preMigration`, `migrationInProgress`, `migrationComplete`; None when Graph omits it.
    Until migration completes, the legacy MFA and SSPR policies also govern methods."""
    authentication_method_configurations: list[AuthenticationMethodConfiguration] = Field(
        default_factory=list)

    def method(self, method_id: str) -> AuthenticationMethodConfiguration | None:
        """The configuration of `method_id` (case-insensitive), if the policy lists it."""
        wanted = method_id.lower()
        return next((m for m in self.authentication_method_configurations
                     if m.id.lower() == wanted), None)


# --- authentication strengths ---------------------------------------------------------------

class AuthenticationStrength(GraphModel):
    """An authentication strength policy (built-in or custom), listed or embedded in a CA grant."""

    id: str
    display_name: str | None = None
    policy_type: str | None = None
    """`builtIn` or `custom`."""
    requirements_satisfied: str | None = None
    """`mfa` or `none`."""
    allowed_combinations: list[str] = Field(default_factory=list)
    """Method combinations that satisfy it (`fido2`, `password,sms` ...)."""

    @property
    def is_phishing_resistant(self) -> bool:
        """The built-in phishing-resistant strength, or a custom one allowing only its methods."""
        if self.id == PHISHING_RESISTANT_STRENGTH_ID:
            return True
        return bool(self.allowed_combinations) and set(self.allowed_combinations) <= (
            PHISHING_RESISTANT_COMBINATIONS)


# --- Conditional Access -------------------------------------------------------------------

class CaFilter(GraphModel):
    """A device or application filter of a Conditional Access condition."""

    mode: str | None = None
    """`include` or `exclude`."""
    rule: str | None = None


class ExternalTenants(GraphModel):
    """The external tenants a guest condition applies to."""

    GRAPH_NAMES: ClassVar[dict[str, str]] = {"odata_type": "@odata.type"}

    odata_type: str | None = None
    membership_kind: str | None = None
    members: list[str] = Field(default_factory=list)


class ExternalUsers(GraphModel):
    """Guests or external users a policy includes or excludes."""

    guest_or_external_user_types: str | None = None
    """Comma-separated kinds (`internalGuest,b2bCollaborationGuest,...`)."""
    external_tenants: ExternalTenants | None = None


class CaUsers(GraphModel):
    """Who a policy applies to. `All`, `None` and `GuestsOrExternalUsers` are special values."""

    UNRECOGNISED: ClassVar[str | None] = "unrecognised"

    include_users: list[str] = Field(default_factory=list)
    exclude_users: list[str] = Field(default_factory=list)
    include_groups: list[str] = Field(default_factory=list)
    exclude_groups: list[str] = Field(default_factory=list)
    include_roles: list[str] = Field(default_factory=list)
    """Directory role template ids."""
    exclude_roles: list[str] = Field(default_factory=list)
    include_guests_or_external_users: ExternalUsers | None = None
    exclude_guests_or_external_users: ExternalUsers | None = None
    unrecognised: list[str] = Field(default_factory=list)
    """Set properties this model does not know (they may include or exclude principals)."""


class CaApplications(GraphModel):
    """Which cloud apps or actions a policy applies to."""

    UNRECOGNISED: ClassVar[str | None] = "unrecognised"

    include_applications: list[str] = Field(default_factory=list)
    exclude_applications: list[str] = Field(default_factory=list)
    include_user_actions: list[str] = Field(default_factory=list)
    include_authentication_context_class_references: list[str] = Field(default_factory=list)
    application_filter: CaFilter | None = None
    unrecognised: list[str] = Field(default_factory=list)
    """Set properties this model does not know (they may narrow the apps)."""


class CaPlatforms(GraphModel):
    """Device platforms a policy applies to."""

    include_platforms: list[str] = Field(default_factory=list)
    exclude_platforms: list[str] = Field(default_factory=list)


class CaLocations(GraphModel):
    """Named locations a policy applies to."""

    include_locations: list[str] = Field(default_factory=list)
    exclude_locations: list[str] = Field(default_factory=list)


class CaDevices(GraphModel):
    """Device condition (a filter on device properties)."""

    device_filter: CaFilter | None = None


class CaClientApplications(GraphModel):
    """Workload identities (service principals) a policy applies to."""

    include_service_principals: list[str] = Field(default_factory=list)
    exclude_service_principals: list[str] = Field(default_factory=list)


class CaAuthenticationFlows(GraphModel):
    """Authentication flows (device code, transfer) a policy applies to."""

    transfer_methods: str | None = None


class CaConditions(GraphModel):
    """The conditions of a policy. Anything beyond users and apps narrows where it applies."""

    UNRECOGNISED: ClassVar[str | None] = "unrecognised"

    users: CaUsers | None = None
    applications: CaApplications | None = None
    client_app_types: list[str] = Field(default_factory=list)
    user_risk_levels: list[str] = Field(default_factory=list)
    sign_in_risk_levels: list[str] = Field(default_factory=list)
    service_principal_risk_levels: list[str] = Field(default_factory=list)
    insider_risk_levels: str | None = None
    platforms: CaPlatforms | None = None
    locations: CaLocations | None = None
    devices: CaDevices | None = None
    client_applications: CaClientApplications | None = None
    authentication_flows: CaAuthenticationFlows | None = None
    unrecognised: list[str] = Field(default_factory=list)
    """Set condition properties this model does not know (a newer Graph): they may narrow the
    policy, so a policy carrying any never counts as covering everyone."""


class CaGrantControls(GraphModel):
    """What a policy requires. `operator` `OR`: any one control; `AND`: all of them."""

    operator: str | None = None
    built_in_controls: list[str] = Field(default_factory=list)
    """`mfa`, `block`, `compliantDevice`, `domainJoinedDevice`, `approvedApplication`,
    `compliantApplication`, `passwordChange`."""
    custom_authentication_factors: list[str] = Field(default_factory=list)
    terms_of_use: list[str] = Field(default_factory=list)
    authentication_strength: AuthenticationStrength | None = None


class ConditionalAccessPolicy(GraphModel):
    """A Conditional Access policy (GET /identity/conditionalAccess/policies)."""

    id: str
    display_name: str | None = None
    state: Literal["enabled", "disabled", "enabledForReportingButNotEnforced"]
    conditions: CaConditions = Field(default_factory=CaConditions)
    grant_controls: CaGrantControls | None = None


# --- directory roles --------------------------------------------------------------------------

class RoleDefinition(GraphModel):
    """A directory role definition (GET /roleManagement/directory/roleDefinitions)."""

    id: str
    display_name: str | None = None
    template_id: str | None = None
    is_built_in: bool | None = None
    is_enabled: bool | None = None
    is_privileged: bool | None = None
    """Entra's "privileged" label; None where the Graph version does not return it."""


# --- the container ---------------------------------------------------------------------------

class EntraInventory(GraphModel):
    """Everything read from Microsoft Graph for the tenant.

    `collected` names the collectors whose reads completed: a list is authoritative (an
    empty one means "none") only when its collector is there, so a check can tell "the
    tenant has none" from "the scanner did not read it" and never passes on the latter.
    """

    collected: list[str] = Field(default_factory=list)
    authentication_methods_policy: AuthenticationMethodsPolicy | None = None
    conditional_access_policies: list[ConditionalAccessPolicy] = Field(default_factory=list)
    authentication_strength_policies: list[AuthenticationStrength] = Field(default_factory=list)
    role_definitions: list[RoleDefinition] = Field(default_factory=list)
    device_compliance_policies: list[DeviceCompliancePolicy] = Field(default_factory=list)
    app_protection_policies: list[ManagedAppProtection] = Field(default_factory=list)
    intune_unavailable: list[IntuneUnavailable] = Field(default_factory=list)
    """Intune endpoints that answered "Request not applicable to target tenant"."""
    managed_device_overview: ManagedDeviceOverview | None = None
    """Enrolled devices per platform (which platforms step 6 judges)."""

    def was_read(self, collector: str) -> bool:
        """True when `collector`'s reads completed."""
        return collector in self.collected


_LIST_FIELDS = ("conditional_access_policies", "authentication_strength_policies",
                "role_definitions", "device_compliance_policies", "app_protection_policies")


def merge_entra(parts: Iterable[EntraInventory]) -> EntraInventory:
    """One EntraInventory from the partial ones each Graph task stored (lists sorted by id)."""
    merged: dict[str, Any] = {name: [] for name in _LIST_FIELDS}
    collected: set[str] = set()
    unavailable: list[IntuneUnavailable] = []
    policy: AuthenticationMethodsPolicy | None = None
    overview: ManagedDeviceOverview | None = None
    for part in parts:
        collected.update(part.collected)
        unavailable.extend(part.intune_unavailable)
        policy = part.authentication_methods_policy or policy
        overview = part.managed_device_overview or overview
        for name in _LIST_FIELDS:
            merged[name].extend(getattr(part, name))
    for name in _LIST_FIELDS:
        merged[name].sort(key=lambda item: item.id)
    return EntraInventory(
        collected=sorted(collected),
        authentication_methods_policy=policy,
        managed_device_overview=overview,
        intune_unavailable=sorted(unavailable, key=lambda u: u.collector),
        **merged,
    )
