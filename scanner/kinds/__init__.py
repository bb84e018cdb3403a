"""Resource kinds, each declared once.

A `Kind` names everything the scanner knows about one ARM list: the ARM type, the list
path and api-version, whether Resource Graph carries it, the inventory model its items
become (a typed model with its own mapper, or the generic `ServiceResource` whose fields
are JSON paths declared here), the permission a 403 means, its follow-up reads, the
published source its read is held to (an SDK operation or a REST spec example), and
where its key and logs live. The ARM collector, the Resource Graph source, the engine's
and the registry's kinds, the read-only guard's allow-list, the synthetic tenant and the
API contract test all derive from `KINDS`; tests/test_kinds.py proves no list of kinds is
written out anywhere else.

Cloud Custodian's Azure provider is the model (`c7n_azure/resources/*.py` +
`resource_map.py`): a kind is a short spec that both its ARM and Resource Graph sources
read. Adding a kind is its declaration (a module here), its rules (`checks/`) and its
fixture (a published example body).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

from scanner.inventory import ServiceResource
from scanner.kinds.base import READER, Detail, KeyRef, Kind

__all__ = ["READER", "Detail", "KeyRef", "Kind", "all_kinds", "by_name", "by_type",
           "children_of", "cji_store_kinds", "describe", "judged_kinds", "key_user_kinds", "kind",
           "list_paths", "service_kinds"]


@cache
def _registry() -> tuple[Kind, ...]:
    from scanner.kinds import core, services

    kinds = (*core.KINDS, *services.KINDS)
    names = [k.name for k in kinds]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        raise ValueError(f"resource kinds declared twice: {sorted(duplicated)}")
    return kinds


def all_kinds() -> tuple[Kind, ...]:
    """Every declared kind, core first, in declaration order."""
    return _registry()


@cache
def by_name() -> Mapping[str, Kind]:
    return MappingProxyType({k.name: k for k in _registry()})


def kind(name: str) -> Kind:
    return by_name()[name]


@cache
def by_type() -> Mapping[str, Kind]:
    """Kinds by lower-cased ARM type (the generic `resources` list excluded)."""
    return MappingProxyType({k.type: k for k in _registry() if k.arm_type != "*"
                             and k.judged and k.name != "resource_groups"})


def children_of(parent: str) -> tuple[Kind, ...]:
    """The child kinds listed per item of `parent`."""
    return tuple(k for k in _registry() if k.parent == parent)


def service_kinds() -> tuple[Kind, ...]:
    """Kinds whose items are `ServiceResource`s (declared fields, no mapper of their own)."""
    return tuple(k for k in _registry() if k.model is ServiceResource)


def judged_kinds() -> frozenset[str]:
    """Kinds checks can judge that come from an inventory list."""
    return frozenset(k.name for k in _registry() if k.judged)


def cji_store_kinds() -> tuple[str, ...]:
    """Judged kinds that store customer data at rest."""
    return tuple(k.name for k in _registry() if k.judged and k.holds_data)


def key_user_kinds() -> tuple[str, ...]:
    """Kinds whose items name the key that encrypts them (`key`): the CMK users."""
    return tuple(k.name for k in _registry() if k.key is not None and not k.key.des)


def list_paths() -> dict[str, str]:
    """kind -> ARM list path after /subscriptions/<id> (what a cassette must answer)."""
    return {k.name: k.path for k in _registry()}


def describe(kind_: Kind) -> dict[str, Any]:
    """A kind as data (`cjis-scan checks --format json` coverage)."""
    return {"kind": kind_.name, "arm_type": kind_.arm_type, "title": kind_.title,
            "api_version": kind_.api_version, "resource_graph": kind_.graph,
            "holds_data": kind_.holds_data}
