"""Findings: one check's verdict on one resource under one framework requirement.

`Verdict` and `Finding` are plain immutable records, not pydantic models: a large tenant
yields hundreds of thousands of findings, and each is built once while judging and again
on every pass a reporter makes over the packed store (`scanner.finding_store.FindingStore`).
The JSON contract is `scanner.reporters.schema`; `Finding.to_json_dict` produces it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict
from pydantic_core import to_jsonable_python


class Status(StrEnum):
    """What a finding says about its resource."""

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"
    """The data needed could not be read: never counted as a pass."""
    NOT_APPLICABLE = "not_applicable"
    MANUAL = "manual"
    """Needs a person's attestation; the finding carries the evidence to attest."""
    WAIVED = "waived"


class Severity(StrEnum):
    """How much a failing finding matters, most severe first."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for critical ... 4 for info (sort key: most severe first)."""
        return _SEVERITY_RANKS[self]

    def at_least(self, other: Severity) -> bool:
        """True when self is as severe as `other` or more."""
        return self.rank <= other.rank


_SEVERITY_RANKS = {severity: rank for rank, severity in enumerate(Severity)}


class Remediation(BaseModel):
    """How to fix a failing finding."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    summary: str
    """What to change, in a sentence or two (portal steps where useful)."""
    cli: str | None = None
    """An `az` command that makes the change (placeholders in <angle brackets>)."""
    docs: str | None = None
    """A Microsoft Learn link."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a check returns for one resource: `Verdict(status=..., reason=..., evidence=...)`."""

    status: Status
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)
    """The values the check looked at, as they were."""

    def __post_init__(self) -> None:
        # A plugin may pass the status as text ("fail"); anything else is refused here,
        # inside the check's run, so the engine reports the check as `unknown`.
        if type(self.status) is not Status:
            object.__setattr__(self, "status", Status(self.status))


def fingerprint(requirement_id: str, check_id: str, resource_id: str) -> str:
    """Stable id of a finding: same requirement, check and resource -> same id in every run."""
    material = f"{requirement_id}|{check_id}|{resource_id.lower()}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


class Finding(NamedTuple):
    """A finding as reports and ticketing systems receive it (fields in JSON order).

    Immutable; `_replace(status=..., waiver=...)` makes a changed copy. A named tuple
    because it is the cheapest typed record to build, and reporters rebuild every finding
    from the packed store on each pass. The values shared by every finding of one
    requirement x check (framework id, step, controls, title, severity, remediation) are
    references to the same objects, never copies.
    """

    fingerprint: str
    framework: str
    requirement_id: str
    step: str
    """`1`-`7` or `transit`."""
    controls: tuple[str, ...]
    check_id: str
    title: str
    severity: Severity
    status: Status
    resource_id: str
    resource_type: str
    subscription_id: str | None
    location: str | None
    reason: str
    evidence: dict[str, Any]
    remediation: Remediation
    waiver: dict[str, Any] | None = None
    """The exception that waived this finding, when status is `waived`."""

    def to_json_dict(self) -> dict[str, Any]:
        """The finding as its JSON object: the report schema's `Finding`, keys in order.

        Evidence and waiver go through pydantic's JSON conversion (tuples become lists,
        datetimes ISO text), as a pydantic model's `model_dump(mode="json")` would.
        """
        remediation = self.remediation
        return {
            "fingerprint": self.fingerprint,
            "framework": self.framework,
            "requirement_id": self.requirement_id,
            "step": self.step,
            "controls": list(self.controls),
            "check_id": self.check_id,
            "title": self.title,
            "severity": self.severity.value,
            "status": self.status.value,
            "resource_id": self.resource_id,
            "resource_type": self.resource_type,
            "subscription_id": self.subscription_id,
            "location": self.location,
            "reason": self.reason,
            "evidence": to_jsonable_python(self.evidence),
            "remediation": {"summary": remediation.summary, "cli": remediation.cli,
                            "docs": remediation.docs},
            "waiver": None if self.waiver is None else to_jsonable_python(self.waiver),
        }
