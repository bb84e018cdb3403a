"""A directory principal as Microsoft Graph names it (the inventory's `principals`).

Its own module, free of any Azure import, so the inventory (and the checks that read it)
load no Azure plumbing; `scanner.directory` reads it from Graph.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

COLLECTOR = "entra_principals"
"""The collector name the directory reads' errors are recorded under."""
PERMISSION = ("Directory.Read.All (or the narrower User.Read.All, GroupMember.Read.All and "
              "Application.Read.All)")


class DirectoryPrincipal(BaseModel):
    """One principal as Microsoft Graph names it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    type: str | None = None
    """`User`, `Group`, `ServicePrincipal` ... (Graph's `@odata.type`); None if not found."""
    display_name: str | None = None
    user_principal_name: str | None = None
    app_id: str | None = None
    found: bool = True
    """False when Graph answered 404 (deleted, or not of this directory)."""
    members: list[DirectoryPrincipal] | None = None
    """A group's transitive members (None: not a group, or not read)."""
    members_cut: bool = False


def directory_summary(inventory: Any, errors: list[Any]) -> dict[str, Any]:
    """What the reports show of the directory: each principal by id, and why not, if not."""
    error = next((e for e in errors if e.collector == COLLECTOR), None)
    return {
        "permission": PERMISSION,
        "principals": {p.id: p.model_dump(exclude_none=True)
                       for p in getattr(inventory, "principals", [])},
        "error": None if error is None else {
            "status": error.status, "code": error.code, "message": error.message,
            "remedy": error.remedy},
        "resolved": bool(getattr(inventory, "principals", [])) or error is not None,
    }

