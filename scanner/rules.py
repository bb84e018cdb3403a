"""Checks as data: a small condition vocabulary, and `rule()` to register a check from it.

A simple check — "this property has this value", as a built-in Azure Policy rule states
it — is a few lines of data that cite the policy, instead of a function. Conditions read
a resource's fields by name (declared `ServiceResource` fields, or a typed model's
attributes) and compare as Azure Policy does: strings case-insensitively. Each condition
says what an absent field means, with the reason it rests on; by default absence fails,
as Azure Policy's `notEquals` on a missing field is non-compliant. A CMK rule can also
require the whole key chain (`key_chain=True`): the key must be HSM-backed, in a Premium
vault or a Managed HSM with soft delete and purge protection.

Modelled on Checkov's YAML checks and `BaseResourceValueCheck`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from scanner.findings import Remediation, Severity, Status, Verdict
from scanner.kinds import by_type
from scanner.kinds.core import KEY_LISTS
from scanner.registry import Registry, check

TLS_ORDER = ("1.0", "1.1", "1.2", "1.3")


def value_of(resource: Any, name: str) -> Any:
    """A field of a resource by name: a declared service field or a model attribute."""
    getter = getattr(resource, "get", None)
    if callable(getter) and hasattr(resource, "props"):
        return getter(name)
    return getattr(resource, name, None)


def _fold(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def tls_version(value: Any) -> str | None:
    """`TLS1_2`, `Tls12`, `1.2`, `TLSV1.2`, `TLS 1.2` -> `1.2`; None if not a TLS version."""
    if value is None:
        return None
    text = str(value).strip().upper().replace("TLSV", "").replace("TLS", "").strip(" _")
    text = text.replace("_", ".")
    if len(text) == 2 and text.isdigit():  # Tls12
        text = f"{text[0]}.{text[1]}"
    return text if text in TLS_ORDER else None


@dataclass(frozen=True)
class Condition:
    """One test of one field. `test` gets the (present) value and says if it holds."""

    field: str
    test: Callable[[Any], bool]
    says: str
    """What holding means, in words (`dataEncryption.type is AzureKeyVault`)."""
    absent: Status = Status.FAIL
    absent_reason: str | None = None
    """Why absence means `absent` (the documented default); required unless it fails."""
    label: str | None = None
    """How Azure spells the field, for a typed model's attribute (`keyVaultKeyUri`)."""

    def judge(self, resource: Any) -> tuple[Status, str, Any]:
        value = value_of(resource, self.field)
        label = self.label or field_label(resource, self.field)
        says = self.says.replace(self.field, label)
        if value is None or value == "" or value == []:
            reason = self.absent_reason or f"{label} is not set"
            return self.absent, f"{label} is not reported: {reason}" if self.absent_reason \
                else reason, value
        if self.test(value):
            return Status.PASS, says, value
        return Status.FAIL, f"{label} is {_show(value)} (required: {says})", value


def field_label(resource: Any, name: str) -> str:
    """How Azure spells a declared field (`dataEncryption.type`), for reasons."""
    kind = by_type().get(getattr(resource, "type", ""))
    path = kind.fields.get(name) if kind is not None else None
    if not path:
        return name
    return path.removeprefix("properties.")


def _show(value: Any) -> str:
    """A value as Azure's JSON writes it (`false`, not Python's `False`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value) or "empty"
    return str(value)


def equals(name: str, expected: Any, **absent: Any) -> Condition:
    return Condition(name, lambda v: _fold(v) == _fold(expected), f"{name} is {expected}",
                     **absent)


def one_of(name: str, allowed: Iterable[Any], **absent: Any) -> Condition:
    folded = {_fold(a) for a in allowed}
    shown = " or ".join(str(a) for a in allowed)
    return Condition(name, lambda v: _fold(v) in folded, f"{name} is {shown}", **absent)


def not_one_of(name: str, refused: Iterable[Any], **absent: Any) -> Condition:
    folded = {_fold(a) for a in refused}
    shown = ", ".join(str(a) for a in refused)
    return Condition(name, lambda v: _fold(v) not in folded, f"{name} is not {shown}",
                     **absent)


def present(name: str, what: str | None = None, **absent: Any) -> Condition:
    return Condition(name, lambda v: True, what or f"{name} is set", **absent)


def is_true(name: str, **absent: Any) -> Condition:
    return Condition(name, lambda v: v is True or str(v).lower() == "true", f"{name} is true",
                     **absent)


def is_false(name: str, **absent: Any) -> Condition:
    return Condition(name, lambda v: v is False or str(v).lower() == "false",
                     f"{name} is false", **absent)


def tls_at_least(name: str, minimum: str = "1.2", **absent: Any) -> Condition:
    def holds(value: Any) -> bool:
        version = tls_version(value)
        return version is not None and TLS_ORDER.index(version) >= TLS_ORDER.index(minimum)

    return Condition(name, holds, f"{name} requires TLS {minimum} or newer", **absent)


def all_items(name: str, test: Callable[[Any], bool], says: str, **absent: Any) -> Condition:
    """Every item of a list field passes `test` (an empty list is absent)."""
    return Condition(name, lambda v: all(test(i) for i in (v if isinstance(v, list) else [v])),
                     says, **absent)


KEY_STORES = tuple(KEY_LISTS)
"""The lists a key URI is looked up in (CheckContext.key_store_for_uri)."""
KEY_CHAIN_READS = (*KEY_STORES, *KEY_LISTS.values(), "disk_encryption_sets")
"""What judging a key chain reads beyond the data store: the key's vault or Managed HSM
(anywhere in the scan), that store's keys, and the disk encryption set a disk-like store
names for its key (checks/keychain.py rests on them)."""

KeyChain = Callable[[Any, Any], Verdict | None]
"""(resource, ctx) -> the key chain's verdict when it does not pass, else None."""


@dataclass(frozen=True)
class RuleSpec:
    """What a data check judges (kept on the registered function for tests and docs)."""

    policy: str | None
    applies: tuple[Condition, ...]
    passes: tuple[Condition, ...]
    any_of: tuple[tuple[Condition, ...], ...] = ()
    key_chain: bool = False
    extra_evidence: tuple[str, ...] = field(default_factory=tuple)


_KEY_CHAIN: list[KeyChain] = []


def use_key_chain(judge: KeyChain) -> None:
    """Install the key-chain judgement CMK rules consult (checks/keychain.py)."""
    _KEY_CHAIN[:] = [judge]


def _evaluate(spec: RuleSpec, resource: Any, ctx: Any) -> Verdict:
    evidence: dict[str, Any] = {}
    for name in spec.extra_evidence:
        evidence[name] = value_of(resource, name)
    for condition in spec.applies:
        status, reason, value = condition.judge(resource)
        evidence[condition.field] = value
        if status is not Status.PASS:
            if value is None and condition.absent is Status.UNKNOWN:
                return Verdict(status=Status.UNKNOWN, reason=reason, evidence=evidence)
            label = condition.label or field_label(resource, condition.field)
            return Verdict(status=Status.NOT_APPLICABLE,
                           reason=f"applies only when "
                                  f"{condition.says.replace(condition.field, label)} "
                                  f"({reason})",
                           evidence=evidence)
    outcomes: list[tuple[Status, str]] = []
    for group in [(c,) for c in spec.passes] + list(spec.any_of):
        results = []
        for condition in group:
            status, reason, value = condition.judge(resource)
            evidence[condition.field] = value
            results.append((status, reason))
        passed = [r for s, r in results if s is Status.PASS]
        if passed:
            outcomes.append((Status.PASS, passed[0]))
            continue
        # No condition of the group holds: the group's outcome is its least bad one.
        statuses = {s for s, _ in results}
        status = next(s for s in (Status.UNKNOWN, Status.NOT_APPLICABLE, Status.FAIL)
                      if s in statuses or s is Status.FAIL)
        outcomes.append((status, " or ".join(r for s, r in results if s is status)))
    # A definite failure outweighs what could not be told; not_applicable only when
    # nothing failed or is unknown.
    for worst in (Status.FAIL, Status.UNKNOWN, Status.NOT_APPLICABLE):
        reasons = [r for s, r in outcomes if s is worst]
        if reasons:
            cite = f" (built-in Azure Policy {spec.policy})" if spec.policy else ""
            return Verdict(status=worst, reason="; ".join(reasons) + cite, evidence=evidence)
    reasons = [r for _, r in outcomes]
    cite = f" (built-in Azure Policy {spec.policy})" if spec.policy else ""
    if spec.key_chain:
        if not _KEY_CHAIN:
            raise RuntimeError("no key-chain judgement installed (import checks.keychain)")
        verdict = _KEY_CHAIN[0](resource, ctx)
        if verdict is not None:
            return replace(verdict, evidence={**evidence, **verdict.evidence})
    return Verdict(status=Status.PASS, reason="; ".join(reasons) + cite, evidence=evidence)


def rule(
    *,
    id: str,
    title: str,
    kinds: str | Sequence[str],
    severity: Severity | str,
    rationale: str,
    remediation: Remediation | dict[str, str],
    passes: Sequence[Condition] = (),
    any_of: Sequence[Sequence[Condition]] = (),
    applies: Sequence[Condition] = (),
    policy: str | None = None,
    key_chain: bool = False,
    tags: Iterable[str] = (),
    needs: Iterable[str] | None = None,
    needs_anywhere: Iterable[str] = (),
    evidence: Sequence[str] = (),
    registry: Registry | None = None,
) -> None:
    """Register a check that is data: `applies` (else not_applicable), then every condition
    of `passes` and at least one of each `any_of` group; then, for a CMK rule, the key
    chain. `policy` is the built-in Azure Policy definition it judges as (cited)."""
    kind_names = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    spec = RuleSpec(policy, tuple(applies), tuple(passes), tuple(tuple(g) for g in any_of),
                    key_chain, tuple(evidence))
    if not spec.passes and not spec.any_of:
        raise ValueError(f"rule {id} has nothing to judge")
    if policy and policy not in rationale:
        rationale = f"{rationale} Judged as the built-in Azure Policy definition {policy}."

    def judge(resource: Any, ctx: Any) -> Verdict:
        return _evaluate(spec, resource, ctx)

    judge.__name__ = id
    judge.__doc__ = f"Data check: {title}."
    judge.__module__ = _caller_module()
    judge.rule = spec  # type: ignore[attr-defined]
    check(id=id, title=title, kinds=kind_names, severity=severity, rationale=rationale,
          remediation=remediation, needs=kind_names if needs is None else tuple(needs),
          needs_anywhere=(*needs_anywhere, *(KEY_CHAIN_READS if key_chain else ())),
          tags=tuple(tags), registry=registry)(judge)


def _caller_module() -> str:
    """The module declaring the rule (so built-in rules count as `checks.*` ones)."""
    import inspect

    frame = inspect.currentframe()
    for _ in range(2):
        frame = frame.f_back if frame else None
    return str(frame.f_globals.get("__name__", __name__)) if frame else __name__
