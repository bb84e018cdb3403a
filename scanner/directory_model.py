"""A directory principal as Microsoft Graph names it (the inventory's `principals`).

Its own module, free of any Azure import, so the inventory (and the checks that read it)
load no Azure plumbing; `scanner.directory` reads it from Graph.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


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
