"""Findings: one check's verdict on one resource under one framework requirement."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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
        return list(Severity).index(self)

    def at_least(self, other: Severity) -> bool:
        """True when self is as severe as `other` or more."""
        return self.rank <= other.rank


class Remediation(BaseModel):
    """How to fix a failing finding."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    summary: str
    """What to change, in a sentence or two (portal steps where useful)."""
    cli: str | None = None
    """An `az` command that makes the change (placeholders in <angle brackets>)."""
    docs: str | None = None
    """A Microsoft Learn link."""


class Verdict(BaseModel):
    """What a check returns for one resource."""

    model_config = ConfigDict(extra="forbid")

    status: Status
    reason: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    """The values the check looked at, as they were."""


def fingerprint(requirement_id: str, check_id: str, resource_id: str) -> str:
    """Stable id of a finding: same requirement, check and resource -> same id in every run."""
    material = f"{requirement_id}|{check_id}|{resource_id.lower()}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


class Finding(BaseModel):
    """A finding as reports and ticketing systems receive it."""

    model_config = ConfigDict(extra="forbid")

    fingerprint: str
    framework: str
    requirement_id: str
    step: str
    """`1`-`7` or `transit`."""
    controls: list[str]
    check_id: str
    title: str
    severity: Severity
    status: Status
    resource_id: str
    resource_type: str
    subscription_id: str | None = None
    location: str | None = None
    reason: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    remediation: Remediation
    waiver: dict[str, Any] | None = None
    """The exception that waived this finding, when status is `waived`."""
