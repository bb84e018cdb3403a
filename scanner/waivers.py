"""Waivers: recorded exceptions that turn a finding's status into `waived`.

Two sources, applied the same way, so an agency keeps one list of exceptions:

* `[[waiver]]` tables in `cjis-scan.toml` (`Waiver`): a check or requirement id, a
  resource (an ARM id or a glob), a justification, an approver and an expiry date.
* Azure Policy exemptions already recorded in the tenant (`Inventory.policy_exemptions`),
  on assignments of the built-in policies the CJIS checks stand for (`POLICY_CHECKS`).

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

from scanner.findings import Finding, Status
from scanner.inventory import Inventory
from scanner.inventory_base import normalize_id, normalize_location, subscription_of
from scanner.inventory_policy import PolicyAssignment, PolicyExemption

WAIVABLE = frozenset({Status.FAIL, Status.UNKNOWN, Status.MANUAL})
"""Statuses a waiver changes to `waived`; `pass` and `not_applicable` stay as they are."""

# Built-in policy definitions (by GUID) -> the checks whose findings an exemption from
# that policy excuses. These are the built-ins the CJIS policy checks look for
# (checks/policy.py, CHECKS.md steps 1 and 2); an exemption from any other policy has
# nothing to do with a CJIS finding and is left alone.
POLICY_CHECKS: dict[str, tuple[str, ...]] = {
    # Allowed locations
    "e56962a6-4747-49cd-b67b-bf8b01975c4c": ("resource_location_us",
                                             "subscription_allowed_locations_policy"),
    # Allowed locations for resource groups
    "e765b5de-1225-4ba3-bd56-1ac6695af988": ("resource_group_location_us",
                                             "subscription_allowed_rg_locations_policy"),
    # Storage accounts should use customer-managed key for encryption
    "6fac406b-40ca-413b-bf8e-0bf964659c25": ("storage_account_cmk_encryption",),
    # OS and data disks should be encrypted with a customer-managed key
    "702dd420-7fcc-42c5-afe8-4026edd20fe0": ("disk_cmk_encryption",),
    # Keys should be backed by a hardware security module (HSM)
    "587c79fe-dd04-4a5e-9d0b-f89598c7261b": ("cmk_key_hsm_backed",),
}

_BUILTIN_DEFINITION = re.compile(
    r"^/providers/microsoft\.authorization/policydefinitions/([0-9a-f-]{36})$")
_MANAGEMENT_GROUP = "/providers/microsoft.management/managementgroups/"


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
        return fnmatchcase(_resource_key(finding.resource_id), _pattern(self.resource))

    def expired(self, today: date) -> bool:
        """True from the day after `expires` on."""
        return today > self.expires

    def label(self, number: int) -> str:
        return f"waiver #{number} ({self.check} on {self.resource})"


def _resource_key(resource_id: str) -> str:
    return (normalize_id(resource_id) or "").lower()


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


@dataclass
class _ExemptionRule:
    exemption: PolicyExemption
    checks: frozenset[str]
    applies_to: frozenset[str]


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return _as_utc(moment).isoformat().replace("+00:00", "Z")


def _merged(exemptions: Iterable[PolicyExemption]) -> list[PolicyExemption]:
    """One entry per exemption id (also for inventories saved before collection merged)."""
    from scanner.collectors.normalize import merge_listed

    return merge_listed(exemptions)


def exempted_checks(exemption: PolicyExemption, inventory: Inventory) -> frozenset[str]:
    """The check ids an exemption excuses: those of the CJIS built-in policies it exempts.

    The exemption's assignment is looked up in the inventory: an assignment of a
    built-in policy gives that policy; an assignment of an initiative gives the
    initiative's policies (only those named by `policyDefinitionReferenceIds`, when the
    exemption names any). An assignment or initiative the scan did not read excuses
    nothing.
    """
    assignment = _assignment(inventory.policy_assignments, exemption.policy_assignment_id)
    if assignment is None:
        return frozenset()
    if assignment.is_set:
        initiative = next((s for s in inventory.policy_set_definitions
                           if s.id == assignment.policy_definition_id), None)
        if initiative is None:
            return frozenset()
        wanted = {r.casefold() for r in exemption.policy_definition_reference_ids}
        definitions = [ref.policy_definition_id for ref in initiative.policy_definitions
                       if not wanted or (ref.reference_id or "").casefold() in wanted]
    else:
        definitions = [assignment.policy_definition_id]
    checks: set[str] = set()
    for definition in definitions:
        match = _BUILTIN_DEFINITION.match(definition.lower())
        if match:
            checks.update(POLICY_CHECKS.get(match.group(1), ()))
    return frozenset(checks)


def _assignment(assignments: Iterable[PolicyAssignment], assignment_id: str) -> \
        PolicyAssignment | None:
    wanted = assignment_id.lower()
    return next((a for a in assignments if a.id.lower() == wanted), None)


def _selector_matches(selector: dict[str, Any], finding: Finding) -> bool:
    kind = str(selector.get("kind", "")).casefold()
    if kind == "resourcelocation":
        value = normalize_location(finding.location)
        values_in = {normalize_location(str(v)) for v in selector.get("in") or []}
        values_out = {normalize_location(str(v)) for v in selector.get("notIn") or []}
    elif kind == "resourcetype":
        value = finding.resource_type.lower() or None
        values_in = {str(v).lower() for v in selector.get("in") or []}
        values_out = {str(v).lower() for v in selector.get("notIn") or []}
    elif kind == "resourcewithoutlocation":
        value = "true" if not finding.location else "false"
        values_in = {str(v).lower() for v in selector.get("in") or []}
        values_out = {str(v).lower() for v in selector.get("notIn") or []}
    else:
        return False  # a selector kind the scanner does not know: do not waive on a guess
    if value is None:
        return False
    if "in" in selector and value not in values_in:
        return False
    return not ("notIn" in selector and value in values_out)


def _selected_by(exemption: PolicyExemption, finding: Finding) -> bool:
    """Resource selectors narrow an exemption: any selector group, all its selectors."""
    if not exemption.resource_selectors:
        return True
    return any(all(_selector_matches(s, finding) for s in group.get("selectors") or [])
               for group in exemption.resource_selectors)


def _covers(rule: _ExemptionRule, finding: Finding) -> bool:
    scope = rule.exemption.scope
    if not scope or finding.check_id not in rule.checks:
        return False
    resource = _resource_key(finding.resource_id)
    if scope.startswith(_MANAGEMENT_GROUP):
        # An exemption at a management group: Azure lists it for each subscription
        # under that group, and those are the subscriptions it covers.
        subscription = (finding.subscription_id or subscription_of(resource) or "").lower()
        in_scope = subscription in rule.applies_to
    else:
        in_scope = resource == scope or resource.startswith(scope + "/")
    return in_scope and _selected_by(rule.exemption, finding)


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
    _exemptions: list[_ExemptionRule] = field(init=False, default_factory=list)
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
        for exemption in _merged(self.inventory.policy_exemptions):
            checks = exempted_checks(exemption, self.inventory)
            if not checks:
                continue  # not an exemption from a policy a CJIS check stands for
            if exemption.expires_on is not None and _as_utc(exemption.expires_on) <= now:
                self._warnings.append(
                    f"Azure Policy exemption {exemption.name!r} on {exemption.scope} expired "
                    f"on {_iso(exemption.expires_on)} and no longer applies: renew or remove it")
                continue
            self._exemptions.append(_ExemptionRule(exemption, checks,
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
                if _covers(exemption_rule, finding):
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
