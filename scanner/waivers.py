"""Waivers: recorded exceptions that turn a finding's status into `waived`.

Two sources, applied the same way, so an agency keeps one list of exceptions:

* `[[waiver]]` tables in `cjis-scan.toml` (`Waiver`): a check or requirement id, a
  resource (an ARM id or a glob), a justification, an approver and an expiry date.
* Azure Policy exemptions already recorded in the tenant (`Inventory.policy_exemptions`),
  on assignments of the built-in policies the CJIS checks stand for
  (`scanner.exemptions.POLICY_CHECKS`).

Rules (also in docs/cjis-scan.example.toml):

* Only a finding that is `fail`, `unknown` or `manual` becomes `waived`; `pass` and
  `not_applicable` findings stay as they are (there is nothing to excuse). A waived
  finding keeps its reason and evidence; `Finding.waiver` says which exception waived it
  and what the status was before (`original_status`). Waived findings are not scored
  and never fail the run.
* Config waivers are tried first, in file order, then Azure exemptions; the first that
  matches a finding waives it.
* A config waiver applies through its `expires` day (UTC) and stops applying the day
  after, with a warning. An Azure exemption stops applying at its `expiresOn` instant,
  with a warning.
* A config waiver that matched no finding of the checks that ran is reported (a
  warning), and so is one that matched only passing findings (it can be removed).

This module judges nothing and reads nothing from Azure: it maps findings to findings.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from fnmatch import fnmatchcase
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from scanner.exemptions import (
    ExemptionRule,
    exemption_covers,
    merged_exemptions,
    resource_key,
)
from scanner.exemptions import exempted_checks as exempted_checks  # re-exported
from scanner.findings import Finding, Status
from scanner.inventory import Inventory
from scanner.inventory_base import normalize_id
from scanner.inventory_policy import PolicyExemption

WAIVABLE = frozenset({Status.FAIL, Status.UNKNOWN, Status.MANUAL})
"""Statuses a waiver changes to `waived`; `pass` and `not_applicable` stay as they are."""

_resource_key = resource_key  # the name scanner.attestations imports


class Waiver(BaseModel):
    """One `[[waiver]]` table of the config file."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    check: str = Field(min_length=1)
    """A check id (`storage_account_cmk_encryption`) or a requirement id
    (`cmk.storage_account`: every check of the requirement)."""
    resource: str = Field(min_length=1)
    """An ARM id, or a glob over ARM ids (`*`, `?`, `[...]`; `*` also crosses `/`),
    compared case-insensitively. `*` alone waives every resource."""
    justification: str = Field(min_length=1)
    approver: str = Field(min_length=1)
    expires: date
    """Last day (UTC) the waiver applies."""
    ticket: str | None = None

    def matches(self, finding: Finding) -> bool:
        """True when this waiver names the finding's check (or requirement) and resource."""
        target = self.check.casefold()
        if target not in (finding.check_id.casefold(), finding.requirement_id.casefold()):
            return False
        return fnmatchcase(resource_key(finding.resource_id), _pattern(self.resource))

    def expired(self, today: date) -> bool:
        """True from the day after `expires` on."""
        return today > self.expires

    def label(self, number: int) -> str:
        return f"waiver #{number} ({self.check} on {self.resource})"


def _pattern(resource: str) -> str:
    value = resource.strip().lower()
    if not any(ch in value for ch in "*?["):
        return normalize_id(value) or ""
    value = re.sub(r"/{2,}", "/", value).rstrip("/")
    return value if value.startswith(("/", "*")) else "/" + value


def unknown_check(waivers: Sequence[Waiver],
                  known: Collection[str] | None = None) -> tuple[int, str] | None:
    """(index, id) of the first waiver whose `check` is no check or requirement id.

    `known` defaults to the ids of the built-in CJIS 6.0 framework (checks and
    requirements), compared case-insensitively.
    """
    if known is None:
        from scanner.registry import judged_framework

        framework = judged_framework()
        known = framework.check_ids() | {r.id for r in framework.requirements}
    lowered = {k.casefold() for k in known}
    for index, waiver in enumerate(waivers):
        if waiver.check.casefold() not in lowered:
            return index, waiver.check
    return None


_WAIVER_HEADER = re.compile(r"^\s*\[\[\s*(?:scan\s*\.\s*)?waiver\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[")


def waiver_line(text: str, index: int, field_name: str | None = None) -> int | None:
    """The line of `field_name` in the `index`-th `[[waiver]]` table of a TOML text.

    Falls back to the table's header line when the field is missing from it (a
    required field left out), and to the line assigning `waiver = [...]` when the
    waivers are written as an inline array.
    """
    lines = text.splitlines()
    headers = [n for n, line in enumerate(lines) if _WAIVER_HEADER.match(line)]
    if index >= len(headers):
        inline = re.compile(r"^\s*waivers?\s*=")
        return next((n + 1 for n, line in enumerate(lines) if inline.match(line)), None)
    start = headers[index]
    if field_name:
        assign = re.compile(rf"^\s*{re.escape(field_name)}\s*=")
        for n in range(start + 1, len(lines)):
            if _TABLE_HEADER.match(lines[n]):
                break
            if assign.match(lines[n]):
                return n + 1
    return start + 1


@dataclass
class _ConfigRule:
    number: int
    waiver: Waiver
    matched: int = 0
    waivable: int = 0
    """Matched findings that were fail, unknown or manual (waived by this or an earlier one)."""


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return _as_utc(moment).isoformat().replace("+00:00", "Z")


@dataclass
class WaiverBook:
    """Applies the config waivers and the tenant's Azure Policy exemptions to findings.

    Built once per scan; `apply` each finding as the engine yields it (before it is
    scored), then read `warnings()` for the expired, unused and no-longer-needed ones.
    """

    waivers: Sequence[Waiver]
    inventory: Inventory | None
    now: datetime
    """The scan's start: expiry is judged against it (config waivers by its UTC date)."""
    selected: Collection[str] | None = None
    """Check and requirement ids that ran; a waiver of anything else is not reported as
    unused (None: report every waiver that matched nothing)."""
    _rules: list[_ConfigRule] = field(init=False, default_factory=list)
    _exemptions: list[ExemptionRule] = field(init=False, default_factory=list)
    _warnings: list[str] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        now = _as_utc(self.now)
        today = now.date()
        for number, waiver in enumerate(self.waivers, 1):
            if waiver.expired(today):
                self._warnings.append(
                    f"{waiver.label(number)} expired on {waiver.expires.isoformat()} and no "
                    f"longer applies (approved by {waiver.approver}): renew or remove it")
            else:
                self._rules.append(_ConfigRule(number, waiver))
        if self.inventory is None:
            return
        for exemption in merged_exemptions(self.inventory.policy_exemptions):
            checks = exempted_checks(exemption, self.inventory)
            if not checks:
                continue  # not an exemption from a policy a CJIS check stands for
            if exemption.expires_on is not None and _as_utc(exemption.expires_on) <= now:
                self._warnings.append(
                    f"Azure Policy exemption {exemption.name!r} on {exemption.scope} expired "
                    f"on {_iso(exemption.expires_on)} and no longer applies: renew or remove it")
                continue
            self._exemptions.append(ExemptionRule(exemption, checks,
                                                   frozenset(exemption.applies_to)))

    def apply(self, finding: Finding) -> Finding:
        """The finding, waived if a waiver or exemption covers it; otherwise unchanged."""
        waiver: dict[str, Any] | None = None
        for rule in self._rules:
            if not rule.waiver.matches(finding):
                continue
            rule.matched += 1
            if finding.status in WAIVABLE:
                rule.waivable += 1
                if waiver is None:
                    waiver = self._config_record(rule, finding)
        if waiver is None and finding.status in WAIVABLE:
            for exemption_rule in self._exemptions:
                if exemption_covers(exemption_rule, finding):
                    waiver = self._exemption_record(exemption_rule.exemption, finding)
                    break
        if waiver is None:
            return finding
        return finding._replace(status=Status.WAIVED, waiver=waiver)

    def warnings(self) -> list[str]:
        """Expired waivers and exemptions, then config waivers that waived nothing."""
        selected = None if self.selected is None else {s.casefold() for s in self.selected}
        notes = list(self._warnings)
        for rule in self._rules:
            if selected is not None and rule.waiver.check.casefold() not in selected:
                continue
            if rule.matched == 0:
                notes.append(f"{rule.waiver.label(rule.number)} matched no finding in this "
                             f"scan: check the id and resource, or remove it")
            elif rule.waivable == 0:
                notes.append(f"{rule.waiver.label(rule.number)} matched {rule.matched} "
                             f"finding(s), none failing: it can be removed")
        return notes

    @staticmethod
    def _config_record(rule: _ConfigRule, finding: Finding) -> dict[str, Any]:
        waiver = rule.waiver
        record: dict[str, Any] = {
            "source": "config",
            "id": f"config:{rule.number}",
            "check": waiver.check,
            "resource": waiver.resource,
            "justification": waiver.justification,
            "approver": waiver.approver,
            "expires": waiver.expires.isoformat(),
            "original_status": finding.status.value,
        }
        if waiver.ticket:
            record["ticket"] = waiver.ticket
        return record

    @staticmethod
    def _exemption_record(exemption: PolicyExemption, finding: Finding) -> dict[str, Any]:
        approver = next((exemption.metadata[k] for k in ("approvedBy", "approver", "owner")
                         if isinstance(exemption.metadata.get(k), str)), None)
        record: dict[str, Any] = {
            "source": "azure_policy",
            "id": exemption.id,
            "name": exemption.name,
            "display_name": exemption.display_name,
            "category": exemption.exemption_category,
            "description": exemption.description,
            "justification": exemption.description or exemption.display_name or exemption.name,
            "expires": _iso(exemption.expires_on) if exemption.expires_on else None,
            "scope": exemption.scope,
            "policy_assignment_id": exemption.policy_assignment_id,
            "policy_definition_reference_ids": list(exemption.policy_definition_reference_ids),
            "metadata": dict(exemption.metadata),
            "original_status": finding.status.value,
        }
        if approver:
            record["approver"] = approver
        return record


def apply_waivers(findings: Iterable[Finding], waivers: Sequence[Waiver],
                  inventory: Inventory | None, now: datetime,
                  selected: Collection[str] | None = None) -> tuple[list[Finding], list[str]]:
    """Waive what the config waivers and the inventory's exemptions cover.

    Returns the findings (in the same order; waived ones replaced by copies with status
    `waived`) and the warnings to show: expired waivers and exemptions, and config
    waivers that matched nothing or only passing findings.
    """
    book = WaiverBook(waivers, inventory, now, selected)
    out = [book.apply(finding) for finding in findings]
    return out, book.warnings()
