"""The check registry: `@check` functions with validated metadata, indexed by resource kind.

A check is a pure function `(resource, ctx) -> Verdict` registered with its metadata in
one place. Built-in checks live in the `checks` package; it and third-party packages
register modules (or callables returning modules) in the `cjis_scan.checks` entry-point
group (pyproject.toml), so this module names no check package.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scanner.findings import Remediation, Severity, Verdict
from scanner.kinds import judged_kinds

if TYPE_CHECKING:
    from scanner.framework import Framework

ENTRY_POINT_GROUP = "cjis_scan.checks"

# Kinds a check can judge: the declared lists (scanner.kinds), plus what is not a list:
# the whole `tenant`, the `subscriptions` in scope, the keys read from each vault
# (`vault_keys`) and each key used as a CMK (`cmk_keys`, built by the context).
NOT_LISTED_KINDS = frozenset({"tenant", "subscriptions", "vault_keys", "cmk_keys"})
RESOURCE_KINDS = NOT_LISTED_KINDS | judged_kinds()


class CheckMeta(BaseModel):
    """Metadata of one check; validated when the check is registered."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
    """Descriptive id, `<resource>_<state>` (e.g. `storage_account_cmk_encryption`)."""
    title: str = Field(min_length=10)
    kinds: tuple[str, ...] = Field(min_length=1)
    severity: Severity
    """Default severity; the framework file may set one per profile."""
    rationale: str = Field(min_length=20)
    remediation: Remediation
    tags: tuple[str, ...] = ()
    """What the check is a fact about (`cmk.at_rest`, `exposure.public_network`): a
    framework requirement may take every check with a tag (`check_tags`)."""
    needs: tuple[str, ...] = ()
    """Inventory collectors whose errors over a resource make this check `unknown` there.

    Matched by scope: an error on the resource, its subscription, or the tenant; the
    engine applies it before the check runs (scanner.gate).
    """
    needs_anywhere: tuple[str, ...] = ()
    """Collectors the check reads beyond its resource's scope (another kind's items, the
    key stores behind a key, every subscription's regions). A verdict resting on one of
    them says so (`scanner.gate.rests_on`) and the engine makes it `unknown` when that
    read failed; checks never consult collection errors themselves."""

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, kinds: tuple[str, ...]) -> tuple[str, ...]:
        unknown = set(kinds) - RESOURCE_KINDS
        if unknown:
            raise ValueError(f"unknown resource kind(s) {sorted(unknown)}")
        return kinds

    @field_validator("remediation")
    @classmethod
    def _docs_link(cls, remediation: Remediation) -> Remediation:
        if remediation.docs and not remediation.docs.startswith("https://learn.microsoft.com/"):
            raise ValueError("remediation.docs must be a Microsoft Learn link")
        return remediation


CheckFunc = Callable[[Any, Any], Verdict]


@dataclass(frozen=True)
class Check:
    """A registered check: its metadata and the function that judges."""

    meta: CheckMeta
    func: CheckFunc

    @property
    def id(self) -> str:
        return self.meta.id


@dataclass
class Registry:
    """Checks by id and by resource kind."""

    checks: dict[str, Check] = field(default_factory=dict)

    def add(self, check: Check) -> None:
        if check.id in self.checks:
            raise ValueError(f"check id {check.id!r} registered twice")
        self.checks[check.id] = check

    def tagged(self, tags: Iterable[str]) -> list[str]:
        """Ids of the checks carrying any of `tags`, in registration order."""
        wanted = set(tags)
        return [c.id for c in self.checks.values() if wanted & set(c.meta.tags)]

    def by_kind(self, kind: str) -> list[Check]:
        return [c for c in self.checks.values() if kind in c.meta.kinds]

    def get(self, check_id: str) -> Check | None:
        return self.checks.get(check_id)


_DEFAULT = Registry()


def check(
    *,
    id: str,
    title: str,
    kinds: Iterable[str] | str,
    severity: Severity | str,
    rationale: str,
    remediation: Remediation | dict[str, str],
    needs: Iterable[str] = (),
    needs_anywhere: Iterable[str] = (),
    tags: Iterable[str] = (),
    registry: Registry | None = None,
) -> Callable[[CheckFunc], CheckFunc]:
    """Register the decorated function as a check with this metadata."""
    meta = CheckMeta(
        id=id,
        title=title,
        kinds=(kinds,) if isinstance(kinds, str) else tuple(kinds),
        severity=Severity(severity),
        rationale=rationale,
        remediation=remediation if isinstance(remediation, Remediation)
        else Remediation(**remediation),
        needs=tuple(needs),
        needs_anywhere=tuple(dict.fromkeys(needs_anywhere)),
        tags=tuple(tags),
    )

    def register(func: CheckFunc) -> CheckFunc:
        (registry or _DEFAULT).add(Check(meta, func))
        return func

    return register


def load_registry(extra_modules: Iterable[str] = ()) -> Registry:
    """The default registry with the entry points' checks (the built-in ones among them)
    and `extra_modules`."""
    for name in extra_modules:
        importlib.import_module(name)
    _load_entry_points()
    return _DEFAULT


_entry_points_loaded = False


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    from importlib.metadata import entry_points

    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        loaded = entry_point.load()
        if callable(loaded) and not isinstance(loaded, type(importlib)):
            loaded()  # a registration function


def with_tagged_checks(framework: Framework, registry: Registry) -> Framework:
    """`framework` with each requirement's `check_tags` resolved to the registered checks
    carrying them that no requirement names explicitly, appended to its explicit checks
    (a tagged check already mapped by id is not judged twice)."""
    if not any(r.check_tags for r in framework.requirements):
        return framework
    named = framework.check_ids()
    requirements = tuple(
        r.model_copy(update={"checks": tuple(dict.fromkeys(
            (*r.checks, *(c for c in registry.tagged(r.check_tags) if c not in named))))})
        if r.check_tags else r
        for r in framework.requirements)
    return framework.model_copy(update={"requirements": requirements})


@functools.cache
def judged_framework(name: str | None = None) -> Framework:
    """A framework file with the registered checks its tags name: what a scan judges."""
    from scanner.framework import DEFAULT_FRAMEWORK
    from scanner.framework_files import load_framework

    return with_tagged_checks(load_framework(name or DEFAULT_FRAMEWORK), load_registry())
