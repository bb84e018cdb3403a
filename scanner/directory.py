"""Key administrators by name: principal ids resolved through Microsoft Graph.

The principals that hold access at or above a key store (role assignments on the store,
its resource group, its subscription, a management group or the root; a vault's access
policies) are read one `GET /v1.0/directoryObjects/{id}` each, for their type, display
name and user principal name, and each group's members one paged
`GET /v1.0/groups/{id}/transitiveMembers` each (nested groups flattened by Graph). GETs
only, through the same guarded pipeline as every read (the read-only guard refuses any
other verb, so no `getByIds` POST).

Permission (application): `Directory.Read.All` covers both reads; the least privileged set
is `User.Read.All` + `GroupMember.Read.All` + `Application.Read.All`. A read refused or
failed is an inventory error under `entra_principals`, and the packet then says the names
are unknown for that reason: never a silent list of ids. A principal Graph does not know
(404) is reported as not found in the directory (deleted, or of another tenant).
"""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import HttpResponseError

from scanner.directory_model import COLLECTOR, PERMISSION, DirectoryPrincipal

READ_TEMPLATES = ("/directoryObjects/{id}", "/groups/{id}/transitiveMembers")
"""The Microsoft Graph GETs this module makes (declared to the read-only guard)."""

REMEDY = (f"grant the scanner's identity the Microsoft Graph application permission "
          f"{PERMISSION}, with admin consent")
MAX_MEMBERS = 500
"""Transitive members listed per group; a larger group is said to be cut."""

_TYPES = {"#microsoft.graph.user": "User", "#microsoft.graph.group": "Group",
          "#microsoft.graph.servicePrincipal": "ServicePrincipal",
          "#microsoft.graph.device": "Device", "#microsoft.graph.orgContact": "Contact"}
_KEY_STORE_TYPES = ("/providers/microsoft.keyvault/vaults/",
                    "/providers/microsoft.keyvault/managedhsms/")


def principal_of(body: dict[str, Any]) -> DirectoryPrincipal:
    """A directoryObject body (GET /directoryObjects/{id} or a member) as a principal."""
    return DirectoryPrincipal(
        id=str(body.get("id") or "").lower(),
        type=_TYPES.get(str(body.get("@odata.type")), body.get("@odata.type")),
        display_name=body.get("displayName"),
        user_principal_name=body.get("userPrincipalName"),
        app_id=body.get("appId"))


def principal_ids(inventory: Any) -> list[str]:
    """Principals with access at or above a key store: role assignments whose scope is a
    key store, a prefix of one (group, subscription), a management group or the root, and
    the object ids of vault access policies. Sorted, lower-cased, once each."""
    stores = [s.id.lower() for s in (*inventory.key_vaults, *inventory.managed_hsms)]
    ids: set[str] = set()
    for assignment in inventory.role_assignments:
        scope = assignment.scope.lower().rstrip("/")
        above = scope == "" or scope.startswith("/providers/microsoft.management/")
        if above or any(s == scope or s.startswith(scope + "/") for s in stores) or any(
                t in scope for t in _KEY_STORE_TYPES):
            ids.add(assignment.principal_id.lower())
    for vault in inventory.key_vaults:
        ids.update(p.object_id.lower() for p in vault.access_policies)
    return sorted(i for i in ids if i)


def resolve(reader: Any, ids: list[str], tenant_scope: str) -> tuple[
        list[DirectoryPrincipal], list[Any]]:
    """(principals, collection errors): each id read from Graph, groups with their members.

    The first refusal (401/403) or unexpected failure stops the reads: every other read
    would fail the same way, and one error says why all the names are unknown.
    """
    from scanner.collectors.tasks import READ_FAILURES, Task, collection_error

    task = Task(COLLECTOR, tenant_scope, lambda c: None, REMEDY)
    principals: list[DirectoryPrincipal] = []
    for principal_id in ids:
        try:
            body = reader.get(f"/directoryObjects/{principal_id}")
        except HttpResponseError as exc:
            if exc.status_code == 404:
                principals.append(DirectoryPrincipal(id=principal_id, found=False))
                continue
            return principals, [collection_error(task, exc)]
        except READ_FAILURES as exc:
            return principals, [collection_error(task, exc)]
        principal = principal_of(body)
        if principal.type == "Group":
            members: list[DirectoryPrincipal] = []
            try:
                for item in reader.list(f"/groups/{principal_id}/transitiveMembers"):
                    if len(members) == MAX_MEMBERS:
                        principal = principal.model_copy(update={"members_cut": True})
                        break
                    members.append(principal_of(item))
            except READ_FAILURES as exc:
                error = collection_error(task, exc)
                principals.append(principal)
                return principals, [error]
            principal = principal.model_copy(update={"members": members})
        principals.append(principal)
    return principals, []


def resolve_inventory(factory: Any, inventory: Any) -> Any:
    """`inventory` with its key-store principals named (and any error in `errors`)."""
    from scanner.azure.graph import graph_reader
    from scanner.collectors.entra import tenant_scope

    ids = principal_ids(inventory)
    if not ids:
        return inventory
    principals, errors = resolve(graph_reader(factory), ids, tenant_scope(inventory.tenant_id))
    return inventory.model_copy(update={"principals": principals,
                                        "errors": [*inventory.errors, *errors]})
