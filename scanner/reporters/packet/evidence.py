"""Reading the checks' evidence for the packet, defensively (a missing or odd field shows
as "—"), and finding a section's findings through the framework file's `packet`
declarations (scanner.framework.PacketEvidence), never through check ids."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from scanner.findings import Finding, Status
from scanner.framework import Requirement
from scanner.report import ScanResult
from scanner.reporters.console import short_resource

STATUS_WORDS = {"pass": "pass", "fail": "FAIL", "unknown": "unknown", "manual": "manual",
                "not_applicable": "n/a", "waived": "waived"}
STORE_TYPES = {
    "microsoft.storage/storageaccounts": "storage account",
    "microsoft.compute/diskencryptionsets": "disk encryption set",
    "microsoft.sql/servers": "SQL server",
    "microsoft.documentdb/databaseaccounts": "Cosmos DB account",
    "microsoft.compute/disks": "managed disk",
    "microsoft.compute/snapshots": "snapshot",
}
MG_PREFIX = "/providers/microsoft.management/managementgroups/"


def declared(result: ScanResult, section: str, part: str | None = None) -> list[Requirement]:
    """The framework's requirements whose evidence goes to `section` (and `part`)."""
    return [r for r in result.framework.requirements if r.packet is not None
            and r.packet.section == section and (part is None or r.packet.part == part)]


def findings_of(result: ScanResult, section: str, part: str | None = None) -> Iterator[Finding]:
    """The findings of the requirements declared for `section` (`part`), in report order."""
    requirements = declared(result, section, part)
    ids = {r.id for r in requirements}
    checks = {c for r in requirements for c in r.checks}
    return (f for f in result.findings.select(checks=checks) if f.requirement_id in ids)


def label_of(result: ScanResult, finding: Finding) -> str:
    """How the packet names a finding's requirement: its declared label, or its title."""
    requirement = result.framework.requirement(finding.requirement_id)
    if requirement is not None and requirement.packet is not None and requirement.packet.label:
        return requirement.packet.label
    return finding.title


def as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def yes_no(value: object) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return "unknown"


def name_of(resource_id: object) -> str:
    """The last segment of an ARM id (a resource's name)."""
    if not isinstance(resource_id, str) or not resource_id:
        return "—"
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def where(scope: object, names: Mapping[str, str]) -> str:
    """A scope as a person names it: management group, subscription, group or resource."""
    if not isinstance(scope, str) or not scope:
        return "—"
    if scope == "/":
        return "root management group (/)"
    if scope.lower().startswith(MG_PREFIX):
        return f"management group {scope[len(MG_PREFIX):]}"
    return short_resource(scope, names)


def key_parts(key_uri: object) -> tuple[str, str | None]:
    """(name, version or None) of a Key Vault or Managed HSM key URI."""
    if not isinstance(key_uri, str) or "/keys/" not in key_uri:
        return (str(key_uri) if key_uri else "—"), None
    name, _, version = key_uri.split("/keys/", 1)[1].strip("/").partition("/")
    return name, version or None


def _control_key(control: str) -> tuple[Any, ...]:
    # AU-2 before AU-11: the numbers compare as numbers.
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", control))


class Tally:
    """What a section says of findings it reads: whether any, their controls and counts.

    Sections stream the store through a tally and keep only the rows they print, so a
    check judging every resource (50,000 findings) costs a few counters, not a list.
    """

    def __init__(self) -> None:
        self.statuses: Counter[str] = Counter()
        self._controls: set[str] = set()
        self.title: str | None = None
        """The title of the first finding counted."""

    def add(self, finding: Finding) -> Finding:
        """Count `finding`; return it, to use in the same expression."""
        self.statuses[finding.status.value] += 1
        self._controls.update(finding.controls)
        if self.title is None:
            self.title = finding.title
        return finding

    @property
    def ran(self) -> bool:
        """True once a finding was counted."""
        return bool(self.statuses)

    @property
    def controls(self) -> list[str]:
        """Every control of the findings counted, in control order."""
        return sorted(self._controls, key=_control_key)

    def counts(self) -> str:
        """`3 pass, 1 FAIL`: the counts by status, or `none`."""
        return ", ".join(f"{self.statuses[s.value]} {STATUS_WORDS[s.value]}" for s in Status
                         if self.statuses[s.value]) or "none"


