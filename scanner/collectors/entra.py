"""Microsoft Graph collectors: Entra ID (authentication methods, Conditional Access,
authentication strengths, directory roles) and Intune (compliance and app protection).

Each read is one Task at scope `/tenants/<tenant id>` through the shared Graph reader
(scanner.azure.graph): same credential, retry, read-only guard and transport as every
other collector, so replays and recordings work unchanged and the cloud's Graph host
(graph.microsoft.com / graph.microsoft.us) comes from the client factory.

A task stores one partial `EntraInventory` in `collection.lists["entra"]`; `merge_entra`
(scanner.entra_models) turns the parts into the inventory's `entra` field. A failed read
becomes a CollectionError (scanner.collectors.tasks) naming the Graph application permission that
fixes it, so the checks needing it say `unknown`.

Intune without a licence: Graph answers HTTP 400 `BadRequest` "Request not applicable to
target tenant." on /deviceManagement and /deviceAppManagement when the tenant has no
usable Intune (no licence, or no MDM authority). That is recorded as a fact
(`EntraInventory.intune_unavailable`, step 6 fails) rather than as a collection error;
every other failure, including 403 for a missing permission, stays an error (`unknown`).
Sources for that answer: microsoftgraph/microsoft-graph-docs-contrib issue 6651 and
Microsoft365DSC pull request 3020 (Intune extraction on unlicensed tenants).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import HttpResponseError

from scanner.azure.graph import graph_error_code, graph_error_message, graph_reader
from scanner.entra_models import (
    AuthenticationMethodsPolicy,
    AuthenticationStrength,
    ConditionalAccessPolicy,
    DeviceCompliancePolicy,
    EntraInventory,
    IntuneUnavailable,
    ManagedAppProtection,
    ManagedDeviceOverview,
    RoleDefinition,
)

# The reads' names are the inventory's (scanner.graph_kinds): checks name them in `needs`
# without importing this module, and so without the Azure SDK.
from scanner.graph_kinds import (  # noqa: F401 - ENTRA_KIND and COLLECTORS re-exported
    APP_PROTECTION,
    AUTH_METHODS,
    AUTH_STRENGTHS,
    CA_POLICIES,
    COLLECTORS,
    COMPLIANCE_POLICIES,
    DEVICE_OVERVIEW,
    ENTRA_KIND,
    ROLE_DEFINITIONS,
)
from scanner.redact import redact

if TYPE_CHECKING:
    from scanner.collectors.tasks import Collection, Task


PATHS = {
    AUTH_METHODS: "/policies/authenticationMethodsPolicy",
    CA_POLICIES: "/identity/conditionalAccess/policies",
    AUTH_STRENGTHS: "/policies/authenticationStrengthPolicies",
    ROLE_DEFINITIONS: "/roleManagement/directory/roleDefinitions",
    COMPLIANCE_POLICIES: "/deviceManagement/deviceCompliancePolicies?$expand=assignments",
    DEVICE_OVERVIEW: "/deviceManagement/managedDeviceOverview",
}
APP_PROTECTION_PATHS = (
    "/deviceAppManagement/iosManagedAppProtections?$expand=assignments",
    "/deviceAppManagement/androidManagedAppProtections?$expand=assignments",
)


def _grant(permission: str, narrower: str | None = None) -> str:
    alternative = f" (or the narrower {narrower})" if narrower else ""
    return (f"grant the scanner's identity the Microsoft Graph application permission "
            f"{permission}{alternative}, with admin consent")


REMEDIES = {
    AUTH_METHODS: _grant("Policy.Read.All", "Policy.Read.AuthenticationMethod"),
    CA_POLICIES: _grant("Policy.Read.All"),
    AUTH_STRENGTHS: _grant("Policy.Read.All", "Policy.Read.AuthenticationMethod"),
    ROLE_DEFINITIONS: _grant("RoleManagement.Read.Directory"),
    COMPLIANCE_POLICIES: _grant("DeviceManagementConfiguration.Read.All"),
    APP_PROTECTION: _grant("DeviceManagementApps.Read.All"),
    DEVICE_OVERVIEW: _grant("DeviceManagementManagedDevices.Read.All"),
}
"""The Graph application permission that fixes a 403 of each collector (least privileged
per the Graph v1.0 permission tables)."""

_NOT_APPLICABLE = "not applicable to target tenant"


def tenant_scope(tenant_id: str | None) -> str:
    """The scope of tenant-wide reads and errors (`/tenants/unknown` without a tenant id)."""
    return f"/tenants/{tenant_id or 'unknown'}"


def intune_not_provisioned(exc: HttpResponseError) -> bool:
    """Graph's answer for a tenant with no usable Intune (400 "Request not applicable ...")."""
    return exc.status_code == 400 and _NOT_APPLICABLE in graph_error_message(exc).lower()


def readable_message(message: str) -> str:
    """Graph's error message in one line. Intune nests a JSON document in `message`
    (`{"_version": 3, "Message": "An error has occurred - Operation ID ..."}`, sometimes
    inside `{"ErrorCode": ..., "Message": "..."}`): its `Message` is what a person needs,
    where the first line of the raw text is only `{`."""
    text = message.strip()
    for _ in range(3):  # at most two levels of nesting have been seen
        if not text.startswith("{"):
            break
        try:
            inner = json.loads(text)
        except ValueError:
            break
        found = next((v for k, v in inner.items() if k.lower() == "message"), None) \
            if isinstance(inner, dict) else None
        if not isinstance(found, str):
            break
        text = found.strip()
    return " ".join(text.split())


def _readable(exc: HttpResponseError) -> HttpResponseError:
    """`exc` with its Graph message made readable (the runner records its first line)."""
    error = getattr(exc, "error", None)
    if error is not None and isinstance(getattr(error, "message", None), str):
        error.message = readable_message(error.message)
    return exc


def _store(collection: Collection, part: EntraInventory) -> None:
    collection.add(ENTRA_KIND, [part])


def _auth_methods(collection: Collection) -> None:
    try:
        raw = graph_reader(collection.factory).get(PATHS[AUTH_METHODS])
    except HttpResponseError as exc:
        raise _readable(exc) from None
    _store(collection, EntraInventory(
        collected=[AUTH_METHODS],
        authentication_methods_policy=AuthenticationMethodsPolicy.from_graph(raw)))


def _list_reader(collector: str, field: str,
                 model: Callable[[dict[str, Any]], Any]) -> Callable[[Collection], None]:
    def run(collection: Collection) -> None:
        reader = graph_reader(collection.factory)
        try:
            items = [model(raw) for raw in reader.list(PATHS[collector])]
        except HttpResponseError as exc:
            raise _readable(exc) from None
        _store(collection, EntraInventory.model_validate({"collected": [collector],
                                                         field: items}))

    return run


def _intune(collector: str, paths: tuple[str, ...], field: str,
            model: Callable[[dict[str, Any]], Any]) -> Callable[[Collection], None]:
    def run(collection: Collection) -> None:
        reader = graph_reader(collection.factory)
        items: list[Any] = []
        for path in paths:
            try:
                items.extend(model(raw) for raw in reader.list(path))
            except HttpResponseError as exc:
                if not intune_not_provisioned(exc):
                    raise _readable(exc) from None
                _store(collection, EntraInventory(intune_unavailable=[IntuneUnavailable(
                    collector=collector, status=exc.status_code or 400,
                    code=graph_error_code(exc),
                    message=redact(graph_error_message(exc)))]))  # hard-data: Azure's text
                return
        _store(collection, EntraInventory.model_validate({"collected": [collector],
                                                         field: items}))

    return run


def _device_overview(collection: Collection) -> None:
    try:
        raw = graph_reader(collection.factory).get(PATHS[DEVICE_OVERVIEW])
    except HttpResponseError as exc:
        if not intune_not_provisioned(exc):
            raise _readable(exc) from None
        _store(collection, EntraInventory(intune_unavailable=[IntuneUnavailable(
            collector=DEVICE_OVERVIEW, status=exc.status_code or 400,
            code=graph_error_code(exc), message=graph_error_message(exc))]))
        return
    _store(collection, EntraInventory(collected=[DEVICE_OVERVIEW],
                                      managed_device_overview=ManagedDeviceOverview.from_graph(raw)))


def entra_tasks(tenant_id: str | None) -> list[Task]:
    """The Graph reads of one tenant: one task per collector, all at the tenant's scope."""
    from scanner.collectors.tasks import Task

    scope = tenant_scope(tenant_id)
    runs: dict[str, Callable[[Collection], None]] = {
        AUTH_METHODS: _auth_methods,
        CA_POLICIES: _list_reader(CA_POLICIES, "conditional_access_policies",
                                  ConditionalAccessPolicy.from_graph),
        AUTH_STRENGTHS: _list_reader(AUTH_STRENGTHS, "authentication_strength_policies",
                                     AuthenticationStrength.from_graph),
        ROLE_DEFINITIONS: _list_reader(ROLE_DEFINITIONS, "role_definitions",
                                       RoleDefinition.from_graph),
        COMPLIANCE_POLICIES: _intune(COMPLIANCE_POLICIES, (PATHS[COMPLIANCE_POLICIES],),
                                     "device_compliance_policies",
                                     DeviceCompliancePolicy.from_graph),
        APP_PROTECTION: _intune(APP_PROTECTION, APP_PROTECTION_PATHS, "app_protection_policies",
                                ManagedAppProtection.from_graph),
        DEVICE_OVERVIEW: _device_overview,
    }
    return [Task(collector, scope, run, REMEDIES[collector]) for collector, run in runs.items()]
