"""The engine: runs the selected checks over an inventory and yields findings. No I/O."""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from scanner import gate
from scanner.config import ScanConfig
from scanner.context import CheckContext
from scanner.errors import UsageError
from scanner.findings import Finding, Severity, Status, Verdict, fingerprint
from scanner.framework import Framework, Requirement, require_sections
from scanner.inventory import CollectionError
from scanner.inventory_base import resource_group_of
from scanner.kinds import all_kinds, judged_kinds, service_kinds
from scanner.registry import Check, Registry
from scanner.scoreboard import Scoreboard as Scoreboard  # re-exported: callers import it here

log = logging.getLogger(__name__)

# Kinds read straight from an inventory list (declared in scanner.kinds); `tenant` and
# `cmk_keys` come from the context, `subscriptions` and the key lists (`vault_keys`,
# `managed_hsm_keys`) from their own reads.
_LIST_KINDS = judged_kinds()
_GATED = frozenset(k.name for k in all_kinds() if k.gated)
_CHILDREN = frozenset(k.name for k in all_kinds() if k.parent)
kind_types = {k.name: k.type for k in all_kinds()}
"""Kinds listed per item of a parent: a failed list is an error at the parent's id."""
_SERVICE_KINDS = frozenset(k.name for k in service_kinds())


@dataclass(frozen=True)
class Selection:
    """Which requirements and checks run."""

    requirements: tuple[Requirement, ...]
    checks: dict[str, Check]


def select(framework: Framework, registry: Registry, config: ScanConfig) -> Selection:
    """Apply `--check`, `--skip-check` and `--step`; unknown ids or steps are a UsageError.

    `--step` names sections of the framework at any depth (a step, a policy area, a
    control): a requirement is selected when it sits in one of them or below. The
    profile, when one is chosen, must be one of the framework's.
    """
    known = framework.check_ids()
    for check_id in [*config.checks, *config.skip_checks]:
        if check_id not in known and framework.requirement(check_id) is None:
            raise UsageError(
                f"unknown check or requirement id {check_id!r} (see `cjis-scan checks`)"
            )
    require_sections(framework, config.steps)
    if config.profile is not None and framework.profile(config.profile) is None:
        raise UsageError(f"--profile {config.profile!r}: {framework.id} has the profiles "
                         f"{', '.join(framework.profile_ids)}")
    missing = sorted(known - set(registry.checks))
    if missing:
        raise UsageError(f"framework {framework.id} names checks that are not installed: "
                         f"{', '.join(missing)}")

    def wanted(requirement: Requirement, check_id: str) -> bool:
        if config.steps and not any(framework.in_section(requirement, s)
                                    for s in config.steps):
            return False
        chosen = set(config.checks)
        if chosen and check_id not in chosen and requirement.id not in chosen:
            return False
        skipped = set(config.skip_checks)
        return check_id not in skipped and requirement.id not in skipped

    requirements = []
    checks: dict[str, Check] = {}
    for requirement in framework.ordered():
        ids = [c for c in requirement.checks if wanted(requirement, c)]
        if ids:
            requirements.append(requirement.model_copy(update={"checks": tuple(ids)}))
            checks.update({c: registry.checks[c] for c in ids})
    return Selection(tuple(requirements), checks)


def _in_boundary(resource: Any, config: ScanConfig, kind: str) -> bool:
    if kind == "tenant":
        return True
    subscription = getattr(resource, "subscription_id", None)
    # config.subscriptions are lower-cased once, when the config is made.
    if (config.subscriptions and subscription is not None
            and subscription.lower() not in config.subscriptions):
        return False
    if kind == "subscriptions":
        return True
    if config.resource_groups:
        group = getattr(resource, "resource_group", None) or resource_group_of(
            getattr(resource, "id", "")
        )
        if group is None or group.lower() not in {g.lower() for g in config.resource_groups}:
            return False
    if config.tags:
        tags = {k.lower(): v for k, v in (getattr(resource, "tags", None) or {}).items()}
        for key, value in config.tags.items():
            if tags.get(key.lower()) != value:
                return False
    return True


def resources_of(kind: str, ctx: CheckContext) -> list[Any]:
    """Every resource of `kind` in the boundary."""
    if kind == "tenant":
        items: list[Any] = [ctx.tenant]
    elif kind == "cmk_keys":
        items = list(ctx.cmk_keys)
    elif kind in _SERVICE_KINDS:
        items = list(ctx.inventory.services.get(kind, ()))
    else:
        items = list(getattr(ctx.inventory, kind))
    return [r for r in items if _in_boundary(r, ctx.config, kind)]


def _unknown_from(errors: list[CollectionError]) -> Verdict:
    error = errors[0]
    status = f"HTTP {error.status}" if error.status else "no response"
    code = f" {error.code}" if error.code else ""
    remedy = f" Fix: {error.remedy}" if error.remedy else ""
    return Verdict(
        status=Status.UNKNOWN,
        reason=f"could not read {error.collector} for {error.scope} ({status}{code}): "
               f"{error.message}.{remedy}",
        evidence={"collection_errors": [e.model_dump(exclude_none=True) for e in errors]},
    )


@dataclass(slots=True)
class Judgement:
    """One check run: a verdict on a resource."""

    check: Check
    resource: Any
    verdict: Verdict


def _run(check: Check, kind: str, resource: Any, ctx: CheckContext) -> Verdict:
    # A check judging several kinds (disks and snapshots) needs only its resource's own
    # list among them: a snapshot error must not blur a disk that was read.
    needs = [n for n in check.meta.needs if n == kind or n not in check.meta.kinds]
    errors = [e for need in needs for e in ctx.errors(need, getattr(resource, "id", ""))]
    if errors:
        return _unknown_from(errors)
    # The one gate (scanner.gate): what the verdict rests on decides whether it stands.
    token = gate.start()
    try:
        try:
            verdict = check.func(resource, ctx)
        finally:
            relied = gate.finish(token)
        return gate.settle(check.meta, verdict, relied, ctx)
    except Exception as exc:  # noqa: BLE001 - a check's bug must not abort the scan (fail closed)
        log.exception("check %s failed on %s", check.id, getattr(resource, "id", "?"))
        return Verdict(status=Status.UNKNOWN,
                       reason=f"check {check.id} raised {type(exc).__name__}: {exc}")


def _lowered(text: str) -> str:
    # Most ARM ids are lower-case already: reuse them instead of allocating a copy each.
    return text if text.islower() else text.lower()


def _id_key(resource: Any) -> str:
    return _lowered(getattr(resource, "id", ""))


def _item_key(item: tuple[Any, str, Verdict | None]) -> str:
    return _id_key(item[0])


def _tagged(resources: list[Any], kind: str) -> Iterator[tuple[Any, str, Verdict | None]]:
    # A function, not a generator expression in the loop: that would see the loop's
    # last `kind` by the time it is read.
    for resource in resources:
        yield resource, kind, None


def judgements(check: Check, ctx: CheckContext) -> Iterator[Judgement]:
    """Every verdict of one check, including `unknown` where its kind could not be listed.

    In report order: by resource id, case-insensitively (ties keep listing order). The
    resources are put in that order before they are judged, so a check's findings need
    no buffer to come out sorted.
    """
    for resource, verdict in _verdicts(check, ctx):
        yield Judgement(check, resource, verdict)


def _verdicts(check: Check, ctx: CheckContext) -> Iterator[tuple[Any, Verdict]]:
    """(resource, verdict) pairs of `judgements`, without a Judgement object each."""
    # Each kind's resources sorted on their own, then merged: no (resource, kind) pair
    # is held per resource while a check runs over 50,000 of them. heapq.merge keeps
    # the sources' order among equal ids, as one stable sort of them all would.
    sources: list[Iterable[tuple[Any, str, Verdict | None]]] = []
    for kind in check.meta.kinds:
        resources = sorted(resources_of(kind, ctx), key=_id_key)
        sources.append(_tagged(resources, kind))
        if kind not in _LIST_KINDS:
            continue
        # A kind that could not be listed in a subscription has no resources there to
        # judge: say so per subscription instead of silently passing over it. (Errors on
        # one resource of the kind reach that resource through `needs`.) A gated kind is
        # listed only where the subscription's resource list shows its type, so a
        # subscription whose resource list failed may hide any number of them.
        listed_by = {kind, "resources"} if kind in _GATED else {kind}
        unlisted = []
        listed: set[str] | None = None
        for error in ctx.inventory.errors:
            parts = error.scope.strip("/").split("/")
            if (error.collector not in listed_by or len(parts) < 2
                    or parts[0] != "subscriptions"):
                continue
            if len(parts) > 2 and kind in _CHILDREN and error.collector == kind \
                    and error.code != "UnexpectedShape":
                pass  # its list under that parent could not be read: unknown there
            elif len(parts) > 2:
                # hard-data (issue 13): an item of the list that Azure sent malformed was
                # dropped (scanner.collectors.items); it is `unknown` under its own id.
                if error.code != "UnexpectedShape" or error.collector != kind:
                    continue
                listed = listed if listed is not None else {_id_key(r) for r in resources}
                if error.scope.lower() in listed or not _in_boundary(
                        _Scope(error.scope, parts[1], type=""), ctx.config, kind):
                    continue
            scope_sub = parts[1]
            if (ctx.config.subscriptions and scope_sub
                    and scope_sub.lower() not in ctx.config.subscriptions):
                continue
            scope = (_Scope(error.scope, scope_sub, type="") if len(parts) > 2
                     else _Scope(error.scope, scope_sub))
            if len(parts) > 2 and kind in _CHILDREN:
                scope = _Scope(error.scope, scope_sub, type=kind_types[kind])
            unlisted.append((scope, kind, _unknown_from([error])))
        if unlisted:
            sources.append(sorted(unlisted, key=_item_key))
    items = sources[0] if len(sources) == 1 else heapq.merge(*sources, key=_item_key)
    for resource, kind, verdict in items:
        yield resource, verdict or _run(check, kind, resource, ctx)


@dataclass(frozen=True)
class _Scope:
    """A scope standing in for resources that could not be listed."""

    id: str
    subscription_id: str | None
    type: str = "microsoft.resources/subscriptions"
    location: str | None = None


def judge(inventory: Any, framework: Framework, selection: Selection,
          config: ScanConfig) -> Iterator[Finding]:
    """Yield one finding per requirement x check x resource, in report order.

    Report order: section (the framework's tree, depth first), requirement and check
    (framework-file order), then resource id case-insensitively (see `judgements`), so
    the findings can be streamed into the reports as they come.
    """
    ctx = CheckContext(inventory, config)
    profile = framework.profile_for(config.cloud, config.profile)
    # Selections are made in report order; one built by hand is put in it here.
    rank = framework.requirement_rank
    requirements = sorted(selection.requirements,
                          key=lambda r: rank.get(r.id, (len(rank), len(rank))))
    for requirement in requirements:
        for check_id in requirement.checks:
            check = selection.checks[check_id]
            severity = requirement.severity.get(profile, check.meta.severity)
            for resource, verdict in _verdicts(check, ctx):
                yield make_finding(framework, requirement, check, resource, verdict, severity)


def make_finding(framework: Framework, requirement: Requirement, check: Check, resource: Any,
                 verdict: Verdict, severity: Severity) -> Finding:
    """Wrap a verdict into a finding (sharing the requirement's and check's values)."""
    resource_id = getattr(resource, "id", "")
    return Finding(
        fingerprint=fingerprint(requirement.id, check.id, resource_id),
        framework=framework.id,
        requirement_id=requirement.id,
        step=requirement.step,
        controls=requirement.controls,
        check_id=check.id,
        title=check.meta.title,
        severity=severity,
        status=verdict.status,
        resource_id=resource_id,
        resource_type=getattr(resource, "type", ""),
        subscription_id=getattr(resource, "subscription_id", None),
        location=getattr(resource, "location", None),
        reason=verdict.reason,
        evidence=verdict.evidence,
        remediation=check.meta.remediation,
    )
