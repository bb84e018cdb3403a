"""Coverage: every resource type present in the tenant, how many, and what judged it.

Nothing is silent at the level of a resource type. Every type the tenant holds is
listed with its count and the framework sections that judged it; a type that can hold
customer data at rest is marked `judged` when a customer-managed-key check judged it,
`not_assessed` when none did (a CMK-capable store the scanner does not read yet), or
`not_assessable` when its CMK state cannot be read through ARM at all (attest it).
Built while the findings stream past (`CoverageTally.add`), then joined with the
inventory's resource counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from scanner.findings import Finding, Status
from scanner.inventory import Inventory
from scanner.kinds import all_kinds, by_type
from scanner.kinds.catalogue import DATA_TYPES, NOT_ASSESSABLE

CMK_TAG = "cmk.at_rest"
"""The tag of the checks that judge a store's own customer-managed key."""

JUDGED = "judged"
NOT_ASSESSED = "not_assessed"
NOT_ASSESSABLE_STATE = "not_assessable"
NO_DATA = "no_data_at_rest"


@dataclass
class CoverageTally:
    """What judged each resource type, counted as findings stream past."""

    cmk_checks: frozenset[str] = frozenset()
    """Ids of the checks tagged `cmk.at_rest` among those selected."""
    sections: dict[str, dict[str, None]] = field(default_factory=dict)
    """Resource type -> sections (framework order of first sight) with a judged finding."""
    cmk_judged: set[str] = field(default_factory=set)

    def add(self, finding: Finding) -> None:
        if finding.status is Status.NOT_APPLICABLE or not finding.resource_type:
            return
        kind = finding.resource_type
        self.sections.setdefault(kind, {})[finding.step] = None
        if finding.check_id in self.cmk_checks:
            self.cmk_judged.add(kind)


@dataclass(frozen=True)
class CoverageRow:
    """One resource type of the tenant."""

    resource_type: str
    title: str | None
    count: int
    sections: tuple[str, ...]
    at_rest: str
    """`judged`, `not_assessed`, `not_assessable` or `no_data_at_rest`."""
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"resource_type": self.resource_type, "title": self.title, "count": self.count,
                "sections": list(self.sections), "cmk": self.at_rest, "note": self.note}


def _counts(inventory: Inventory) -> Counter[str]:
    """Resources per type: the generic list, topped up by the typed and service lists
    (a type whose generic list failed still shows)."""
    counts: Counter[str] = Counter(r.type for r in inventory.resources)
    for kind in all_kinds():
        if not kind.judged or kind.arm_type == "*" or kind.name == "resource_groups":
            continue
        items = (inventory.services.get(kind.name, []) if kind.name in inventory.services
                 else getattr(inventory, kind.name, []))
        if len(items) > counts.get(kind.type, 0):
            counts[kind.type] = len(items)
    return counts


def coverage_rows(inventory: Inventory, tally: CoverageTally) -> list[CoverageRow]:
    """Every resource type present, in type order."""
    declared = by_type()
    rows = []
    for resource_type, count in sorted(_counts(inventory).items()):
        kind = declared.get(resource_type)
        sections = tuple(tally.sections.get(resource_type, {}))
        title = kind.title if kind else DATA_TYPES.get(resource_type)
        note = None
        if resource_type in tally.cmk_judged:
            state = JUDGED
        elif resource_type in NOT_ASSESSABLE:
            state = NOT_ASSESSABLE_STATE
            note = f"not assessable through ARM: attest ({NOT_ASSESSABLE[resource_type]})"
        elif (kind is not None and kind.holds_data) or (kind is None
                                                        and resource_type in DATA_TYPES):
            state = NOT_ASSESSED
            note = "can hold CJI at rest, but no customer-managed-key check judged it"
        else:
            state = NO_DATA
        rows.append(CoverageRow(resource_type, title, count, sections, state, note))
    return rows


def summary(rows: list[CoverageRow]) -> dict[str, int]:
    """How many types (and resources) are in each at-rest state."""
    out: dict[str, int] = {}
    for row in rows:
        out[row.at_rest] = out.get(row.at_rest, 0) + 1
    return out
