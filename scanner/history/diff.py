"""Compare two snapshots of a tenant's findings: what is new, resolved, regressed, improved.

A snapshot maps fingerprint -> `Entry` (the finding's status, severity and reason in one
run, or in one saved JSON report). `diff` classifies every fingerprint of either side;
the rules, documented in README *History and drift*:

| before -> after | class |
|---|---|
| absent -> fail / unknown | `new` |
| pass, n/a, manual, waived -> fail / unknown; unknown -> fail | `regressed` |
| fail / unknown -> pass, n/a, or absent (resource or check gone) | `resolved` (+ `resolution`) |
| fail / unknown -> waived or manual | `improved` |
| same status | `unchanged` (counted; `updated` lists open ones whose severity/reason changed) |
| anything else (absent -> pass, pass -> absent, fail -> unknown, ...) | `changed` |

`unknown` is never better than `fail`: fail -> unknown is `changed` (still open), and the
ticket stays open.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from scanner.findings import Finding, Severity

OPEN = frozenset({"fail", "unknown"})
"""Statuses that need fixing (a ticket is open while a finding has one)."""
SETTLED = frozenset({"pass", "not_applicable"})
EXCUSED = frozenset({"waived", "manual"})


class Entry(NamedTuple):
    """One finding in one snapshot."""

    status: str
    severity: str
    reason: str
    resource_id: str
    check_id: str
    requirement_id: str
    step: str
    first_seen: datetime | None = None
    """When the finding was first recorded (history), or the snapshot's own time."""
    was_open: bool = False
    """True when an earlier state of the finding was open (history only): a finding that
    fails again is then `reopened`, not `opened`."""


Snapshot = dict[str, Entry]


def snapshot_of(findings: Iterable[Finding], seen_at: datetime | None = None) -> Snapshot:
    """The snapshot of a scan's findings (first seen: `seen_at`)."""
    return {f.fingerprint: Entry(f.status.value, f.severity.value, f.reason, f.resource_id,
                                 f.check_id, f.requirement_id, f.step, seen_at)
            for f in findings}


@dataclass(frozen=True, slots=True)
class Change:
    """One finding whose class is not `unchanged` (or an open one updated in place)."""

    kind: str
    """new, regressed, resolved, improved, changed or updated."""
    fingerprint: str
    before: Entry | None
    after: Entry | None
    first_seen: datetime | None
    last_seen: datetime | None
    age_days: int | None
    resolution: str | None = None
    """For `resolved`: `passed`, `not_applicable` or `gone` (absent from the later run:
    the resource, or its check, is no longer there)."""

    @property
    def entry(self) -> Entry:
        """The latest side that has the finding."""
        entry = self.after or self.before
        assert entry is not None
        return entry

    def to_json(self) -> dict[str, Any]:
        """The change as the diff schema's `Change` object."""
        entry = self.entry

        def side(value: Entry | None) -> dict[str, str] | None:
            return None if value is None else {
                "status": value.status, "severity": value.severity, "reason": value.reason}

        return {"fingerprint": self.fingerprint, "resource_id": entry.resource_id,
                "check_id": entry.check_id, "requirement_id": entry.requirement_id,
                "step": entry.step, "severity": entry.severity,
                "before": side(self.before), "after": side(self.after),
                "first_seen": _iso(self.first_seen), "last_seen": _iso(self.last_seen),
                "age_days": self.age_days, "resolution": self.resolution}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


KINDS = ("new", "regressed", "resolved", "improved", "changed", "updated")


@dataclass
class Diff:
    """The changes from one snapshot (`from_label`, at `from_time`) to another."""

    from_label: str
    to_label: str
    from_time: datetime | None
    to_time: datetime | None
    changes: dict[str, list[Change]] = field(default_factory=lambda: {k: [] for k in KINDS})
    unchanged: int = 0

    def of(self, kind: str) -> list[Change]:
        return self.changes[kind]

    def new_failing(self, severity: Severity) -> list[Change]:
        """New and regressed findings failing at `severity` or above (`--fail-on-new`)."""
        return [c for kind in ("new", "regressed") for c in self.changes[kind]
                if c.after is not None and c.after.status == "fail"
                and Severity(c.after.severity).at_least(severity)]

    def counts(self) -> dict[str, int]:
        return {**{k: len(v) for k, v in self.changes.items()}, "unchanged": self.unchanged}

    def to_json(self) -> dict[str, Any]:
        """The diff as `scanner/schemas/diff.schema.json` describes it."""
        return {"schema_version": DIFF_SCHEMA_VERSION,
                "from": {"label": self.from_label, "time": _iso(self.from_time)},
                "to": {"label": self.to_label, "time": _iso(self.to_time)},
                "counts": self.counts(),
                **{k: [c.to_json() for c in v] for k, v in self.changes.items()},
                "unchanged": self.unchanged}


DIFF_SCHEMA_VERSION = "1.0.0"


def _kind(before: Entry | None, after: Entry | None) -> tuple[str, str | None]:
    """(class, resolution) of one finding."""
    b = before.status if before else None
    a = after.status if after else None
    if b == a:
        return "unchanged", None
    if a in OPEN:
        if b is None:
            return "new", None
        if b not in OPEN or (b == "unknown" and a == "fail"):
            return "regressed", None
        return "changed", None  # fail -> unknown: still open, never better
    if b in OPEN:
        if a is None:
            return "resolved", "gone"
        if a in SETTLED:
            return "resolved", "passed" if a == "pass" else "not_applicable"
        return "improved", None
    return "changed", None


def diff(before: Snapshot, after: Snapshot, from_label: str, to_label: str,
         from_time: datetime | None, to_time: datetime | None) -> Diff:
    """Classify every finding of `before` and `after` (see the module's table)."""
    result = Diff(from_label, to_label, from_time, to_time)
    changes = result.changes
    for fp in before.keys() | after.keys():
        old, new = before.get(fp), after.get(fp)
        kind, resolution = _kind(old, new)
        if kind == "unchanged":
            result.unchanged += 1
            assert old is not None and new is not None
            if new.status in OPEN and (old.severity != new.severity or old.reason != new.reason):
                kind = "updated"
            else:
                continue
        first = (new.first_seen if new else None) or (old.first_seen if old else None)
        last = to_time if new is not None else from_time
        age = None if first is None or last is None else max((last - first).days, 0)
        changes[kind].append(Change(kind, fp, old, new, first, last, age, resolution))
    order = _report_order
    for items in changes.values():
        items.sort(key=order)
    return result


def _report_order(change: Change) -> tuple[int, str, str, str]:
    entry = change.entry
    return (Severity(entry.severity).rank, entry.check_id, entry.resource_id.lower(),
            change.fingerprint)
