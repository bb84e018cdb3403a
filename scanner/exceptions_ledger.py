"""What the audit packet's exceptions section lists, kept while judging: every waiver and
Azure Policy exemption in force, the ones expired, and the ones that covered nothing.

Applied exceptions are read from the waived findings themselves (each carries its waiver
record); this ledger adds what no finding carries: the expired ones, and those in force
that waived no finding of the checks that ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scanner.config import ScanConfig
from scanner.findings import Finding, Status
from scanner.inventory import Inventory
from scanner.waivers import exempted_checks


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass
class ExceptionsLedger:
    """Counts the exceptions used while findings stream past; `summary()` at the end."""

    config: ScanConfig
    inventory: Inventory
    started_at: datetime
    selected: set[str]
    """Check and requirement ids that ran (case-folded)."""
    _used: set[str] = field(default_factory=set)

    def add(self, finding: Finding) -> None:
        """Note the exception a waived finding carries."""
        if finding.status is Status.WAIVED and finding.waiver:
            self._used.add(str(finding.waiver.get("id")))

    def summary(self, notes: list[str]) -> dict[str, Any]:
        """{expired: [...], unmatched: [...], notes: [...]} for the reports."""
        now = _utc(self.started_at)
        expired: list[dict[str, Any]] = []
        unmatched: list[dict[str, Any]] = []
        for number, waiver in enumerate(self.config.waivers, 1):
            entry: dict[str, Any] = {
                "source": "config", "id": f"config:{number}", "check": waiver.check,
                "resource": waiver.resource, "approver": waiver.approver,
                      "justification": waiver.justification,
                      "expires": waiver.expires.isoformat(), "ticket": waiver.ticket}
            if waiver.expired(now.date()):
                expired.append(entry)
            elif waiver.check.casefold() in self.selected and entry["id"] not in self._used:
                unmatched.append(entry)
        seen: set[str] = set()
        for exemption in self.inventory.policy_exemptions:
            if exemption.id in seen:
                continue
            seen.add(exemption.id)
            checks = exempted_checks(exemption, self.inventory)
            if not checks:
                continue  # not an exemption from a policy a check stands for
            record: dict[str, Any] = {
                "source": "azure_policy", "id": exemption.id, "name": exemption.name,
                "category": exemption.exemption_category, "scope": exemption.scope,
                      "justification": exemption.description or exemption.display_name
                      or exemption.name,
                      "expires": exemption.expires_on.isoformat()
                      if exemption.expires_on else None,
                      "checks": sorted(checks)}
            if exemption.expires_on is not None and _utc(exemption.expires_on) <= now:
                expired.append(record)
            elif not {c.casefold() for c in checks}.isdisjoint(self.selected) \
                    and exemption.id not in self._used:
                unmatched.append(record)
        return {"expired": expired, "unmatched": unmatched, "notes": notes}
