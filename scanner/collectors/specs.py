"""The lists the collectors run, derived from the resource-kind declarations.

Every ARM read is a GET of raw JSON through the scanner's ARM pipeline
(`scanner.azure.arm.JsonReader`: azure-core with the same credential, retry, read-only
guard, read budget and transport as the SDK clients), not an SDK model round trip:
deserializing each item into an SDK model and back into the REST dict the mappers read
was ~40 % of a large scan's CPU (bench/README.md). What is listed, at which path and
api-version, and into which model, is declared once per kind in `scanner.kinds`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from scanner.collectors import normalize, normalize_monitor, normalize_policy
from scanner.kinds import READER, Kind, all_kinds, by_name, list_paths
from scanner.kinds.core import (  # re-exported for the follow-up reads
    DIAGNOSTIC_SETTINGS_API,
    KEYVAULT_API,
    POLICY_API,
    SQL_API,
    SUBSCRIPTIONS_API,
)
from scanner.kinds.services import KINDS as SERVICE_KINDS

ListSpec = Kind
"""A list the collectors run is a kind's declaration."""

SPECS: tuple[Kind, ...] = tuple(k for k in all_kinds() if not k.gated and not k.parent)
"""Lists read in every subscription in scope."""
GATED: tuple[Kind, ...] = tuple(k for k in all_kinds() if k.gated and not k.parent)
"""Lists read only where the subscription's resource list shows their type."""
CHILDREN: tuple[Kind, ...] = tuple(k for k in all_kinds() if k.parent)
"""Lists read per item of their parent kind (scanner.kinds: `parent`)."""
SPEC_BY_KIND = by_name()
LIST_PATHS: dict[str, str] = list_paths()
"""The ARM path (after /subscriptions/<id>) each kind lists: what a cassette or a
synthetic tenant must answer."""

__all__ = ["CHILDREN", "DIAGNOSTIC_SETTINGS_API", "GATED", "KEYVAULT_API", "LIST_PATHS",
           "POLICY_API", "READER", "SERVICE_KINDS", "SPECS", "SPEC_BY_KIND", "SQL_API",
           "SUBSCRIPTIONS_API", "ListSpec", "mapper_of"]


MAPPER_MODULES = (normalize, normalize_monitor, normalize_policy)
"""Where the kinds' mappers (`Kind.mapper`, by name) live."""


@cache
def mapper_of(kind: Kind) -> Callable[[dict[str, Any], str], Any]:
    """The function that maps one item of `kind`'s list into its inventory model."""
    if kind.mapper is None:
        def service(body: dict[str, Any], subscription_id: str) -> Any:
            return normalize.service_resource(kind, body, subscription_id)

        return service
    # A kind names its mapper, in one of the mapper modules.
    module = next(m for m in MAPPER_MODULES if hasattr(m, kind.mapper))
    mapper: Callable[[dict[str, Any], str], Any] = getattr(module, kind.mapper)
    return mapper
