"""Microsoft Graph collectors (Entra ID and Intune). Filled in by the Graph work (issue 4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scanner.collectors.runner import Task


def entra_tasks(tenant_id: str | None) -> list[Task]:
    """The Graph reads of one tenant (none until the Graph collectors exist)."""
    return []
