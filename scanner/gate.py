"""The one fail-closed gate: the engine alone turns a missing read into `unknown`.

A check declares what it reads (scanner.registry.CheckMeta):
- `needs`: lists whose errors over the judged resource's own scope (the resource, its
  subscription, the tenant) make the check `unknown` there before it runs;
- `needs_anywhere`: lists it consults beyond that scope (another kind's items, the key
  stores behind a key, every subscription's regions, a workspace's diagnostic sources).

A verdict that rests on such a read says so while it is made: `rests_on("key_vaults",
"managed_hsms")` (the list anywhere) or `rests_on("vault_keys", scope=vault.id)` (one
read). The engine then settles it (`settle`): when a read it rests on failed, a would-be
pass or not_applicable becomes `unknown`; an `unknown` (or a `manual`, for the person
attesting) names the failed reads and their scopes; a fail stays a fail unless it rests
on an item's absence from the list (`absence=True`: "no Premium vault was found" is no
fail when a vault list failed).

Check bodies never look at collection errors themselves (tests/test_gate.py holds it).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from scanner.findings import Status, Verdict
from scanner.inventory import CollectionError
from scanner.kinds import all_kinds

_GATED = frozenset(k.name for k in all_kinds() if k.gated)


@dataclass(frozen=True, slots=True)
class Reliance:
    """A read a verdict rests on: `collectors` anywhere (scope None) or over `scope`."""

    collectors: tuple[str, ...]
    scope: str | None = None
    absence: bool = False
    """The verdict rests on an item's absence from these lists: even a fail is unknown."""
    means: str | None = None
    """What a failed read leaves open, in words (`it may hold one`)."""


class UndeclaredRead(RuntimeError):
    """A check rested a verdict on a read it does not declare (a bug: fail closed)."""


_RELIED: ContextVar[list[Reliance] | None] = ContextVar("relied", default=None)


def rests_on(*collectors: str, scope: str | None = None, absence: bool = False,
             means: str | None = None) -> None:
    """Say that the verdict being made holds only if these reads are complete."""
    relied = _RELIED.get()
    if relied is not None:  # outside a check's run (a report's own use): nothing to settle
        relied.append(Reliance(tuple(collectors), scope, absence, means))


def start() -> Any:
    """Begin one check run: what `rests_on` records until `finish` (engine only)."""
    return _RELIED.set([])


def finish(token: Any) -> list[Reliance]:
    """End one check run; the reads its verdict rests on."""
    relied = _RELIED.get() or []
    _RELIED.reset(token)
    return relied


def declared_reads(meta: Any) -> frozenset[str]:
    """Every list a check declares it reads: its kinds, `needs` and `needs_anywhere`."""
    return frozenset((*meta.kinds, *meta.needs, *meta.needs_anywhere))


def settle(meta: Any, verdict: Verdict, relied: list[Reliance], ctx: Any) -> Verdict:
    """`verdict` as the reads it rests on allow (see the module docstring)."""
    if not relied:
        return verdict
    errors: dict[tuple[str, str], CollectionError] = {}
    absence, means = False, None
    declared = declared_reads(meta)
    for reliance in relied:
        undeclared = sorted(set(reliance.collectors) - declared)
        if undeclared:
            raise UndeclaredRead(f"check {meta.id} rests on {', '.join(undeclared)}, which "
                                 "it does not declare (needs / needs_anywhere)")
        found = [e for c in reliance.collectors
                 for e in (ctx.errors(c, reliance.scope) if reliance.scope is not None
                           else _anywhere(c, ctx))]
        if found:
            absence = absence or reliance.absence
            means = means or reliance.means
            errors.update(((e.collector, e.scope), e) for e in found)
    if not errors or verdict.status is Status.WAIVED:
        return verdict
    if verdict.status is Status.FAIL and not absence:
        return verdict  # a definite failure does not depend on what else exists
    failed = list(errors.values())
    incomplete = [f"{e.collector} at {e.scope}" for e in failed]
    evidence = {**verdict.evidence, "incomplete": incomplete,
                "collection_errors": [e.model_dump(exclude_none=True) for e in failed]}
    if verdict.status is Status.MANUAL:  # a person attests: with what is missing named
        return replace(verdict, evidence=evidence,
                       reason=f"{verdict.reason}; incomplete: {'; '.join(_few(incomplete))} "
                              "could not be read")
    if verdict.status is Status.UNKNOWN:
        reason = f"{verdict.reason} ({unread(failed)})"
    else:
        reason = (f"{verdict.reason}, but {unread(failed)}, so "
                  f"{means or 'that cannot be told'}")
    return replace(verdict, status=Status.UNKNOWN, reason=reason, evidence=evidence)


def _anywhere(collector: str, ctx: Any) -> list[CollectionError]:
    errors: list[CollectionError] = list(ctx.errors_anywhere(collector))
    if collector in _GATED:
        # A gated kind is listed only where the subscription's resource list shows its
        # type: a failed resource list may hide any number of them (as in the engine).
        errors += [e for e in ctx.errors_anywhere("resources")
                   if e.scope.strip("/").count("/") == 1]
    return errors


def unread(errors: list[CollectionError]) -> str:
    """`key_vaults could not be read for /subscriptions/a, /subscriptions/b (HTTP 403
    AuthorizationFailed: ... Fix: ...)`: the reads that failed, the first in detail."""
    by_collector: dict[str, list[str]] = {}
    for error in errors:
        by_collector.setdefault(error.collector, []).append(error.scope)
    first = errors[0]
    status = f"HTTP {first.status}" if first.status else "no response"
    code = f" {first.code}" if first.code else ""
    remedy = f" Fix: {first.remedy}" if first.remedy else ""
    shown = "; ".join(f"{collector} for {', '.join(_few(scopes))}"
                      for collector, scopes in by_collector.items())
    return f"could not read {shown} ({status}{code}: {first.message}.{remedy})"


def _few(scopes: list[str], limit: int = 3) -> list[str]:
    more = len(scopes) - limit
    return scopes[:limit] + ([f"{more} more"] if more > 0 else [])
