"""Attestations: a person's signed statement for a `manual` finding, from `cjis-scan.toml`.

Some CJIS requirements no API can show (applications encrypting client-side, key
administrators' personnel screening): their findings are `manual`, carrying the evidence
to attest. An `[[attestation]]` table records who attested, when, where the evidence is,
and until when it holds:

    [[attestation]]
    check = "key_store_administrators"       # a check or requirement id
    resource = "/subscriptions/*/resourceGroups/rg-keys/*"   # an ARM id or glob
    attested_by = "ISO Jane Doe"
    attested_on = 2026-11-02
    evidence = "https://sharepoint.example.gov/cjis/screening-2026.pdf"
    expires = 2027-11-01
    statement = "All key administrators passed fingerprint-based background checks"

A matching `manual` finding stays `manual` (an attestation is a person's word, never a
pass the scanner measured) but its reason starts with the attestation and its evidence
gains an `attestation` record, so every report and the audit packet show it. Only
`manual` findings are attested; from the day after `expires` (UTC) the attestation stops
applying, with a warning, and the finding is plainly manual again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from fnmatch import fnmatchcase
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from scanner.findings import Finding, Status

# Same resource matching as waivers: one rule for every exception-like record.
from scanner.waivers import _pattern, _resource_key


class _WithFindings(Protocol):
    """A scan result (`scanner.finding_store.ScanResult`, which imports this module's
    readers' configuration and so is not imported here)."""

    findings: Any


class Attestation(BaseModel):
    """One `[[attestation]]` table of the config file."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    check: str = Field(min_length=1)
    resource: str = Field(default="*", min_length=1)
    attested_by: str = Field(min_length=1)
    attested_on: date
    evidence: str = Field(min_length=1)
    """A link to (or the location of) the signed evidence."""
    expires: date
    statement: str | None = None

    def matches(self, finding: Finding) -> bool:
        target = self.check.casefold()
        if target not in (finding.check_id.casefold(), finding.requirement_id.casefold()):
            return False
        return fnmatchcase(_resource_key(finding.resource_id), _pattern(self.resource))

    def record(self) -> dict[str, Any]:
        return {"attested_by": self.attested_by, "attested_on": self.attested_on.isoformat(),
                "evidence": self.evidence, "expires": self.expires.isoformat(),
                "statement": self.statement}

    def prefix(self) -> str:
        said = f" that {self.statement.rstrip('.')}" if self.statement else ""
        return (f"Attested by {self.attested_by} on {self.attested_on.isoformat()}{said} "
                f"(evidence: {self.evidence}; expires {self.expires.isoformat()}). ")


class AttestationBook:
    """Applies the config's attestations to findings as they are judged."""

    def __init__(self, attestations: Sequence[Attestation], now: datetime) -> None:
        today = now.date()
        self._active = [a for a in attestations if today <= a.expires]
        self._expired = [a for a in attestations if today > a.expires]
        self._used: set[int] = set()

    def apply(self, finding: Finding) -> Finding:
        """The finding, attested when it is manual and an active attestation matches."""
        if finding.status is not Status.MANUAL or not self._active:
            return finding
        for index, attestation in enumerate(self._active):
            if attestation.matches(finding):
                self._used.add(index)
                return finding._replace(
                    reason=attestation.prefix() + finding.reason,
                    evidence={**finding.evidence, "attestation": attestation.record()})
        return finding

    def warnings(self) -> list[str]:
        notes = [f"attestation of {a.check} on {a.resource} by {a.attested_by} expired on "
                 f"{a.expires.isoformat()}: its findings are manual again"
                 for a in self._expired]
        notes += [f"attestation of {a.check} on {a.resource} by {a.attested_by} matched no "
                  f"manual finding" for i, a in enumerate(self._active) if i not in self._used]
        return notes


def is_attested(finding: Finding) -> bool:
    return finding.status is Status.MANUAL and "attestation" in finding.evidence


def attested_count(result: _WithFindings) -> int:
    """Manual findings of `result` that carry an attestation."""
    return sum(1 for f in result.findings.select(statuses=[Status.MANUAL]) if is_attested(f))


def attestation_rows(result: _WithFindings) -> list[dict[str, Any]]:
    """The attested manual findings of `result`, for the audit packet."""
    rows = []
    for finding in result.findings.select(statuses=[Status.MANUAL]):
        if is_attested(finding):
            record = finding.evidence["attestation"]
            rows.append({"check": finding.check_id, "title": finding.title,
                         "resource": finding.resource_id, **record})
    return rows
