"""What a finished scan hands to the reporters: metadata, scores, and the packed findings.

(`scanner.report` re-exports these names for code written before the module was named
for what it holds.)
"""

from __future__ import annotations

import logging
import pickle
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from scanner.coverage import CoverageRow
from scanner.engine import Scoreboard
from scanner.findings import Finding, Remediation, Severity, Status
from scanner.framework import Framework
from scanner.inventory import CollectionError

REPORT_SCHEMA_VERSION = "1.2.0"
"""1.1.0: `coverage` (every resource type present and what judged it); `scores.sections`.
1.2.0: `scan.inventory_source` (which source filled the inventory: arm, graph, auto:...)."""

BATCH_SIZE = 500
"""Findings packed together: enough for zlib and pickle to find the repeats between
findings (ids, reasons, values shared by their evidence), few enough that one unpacked
batch is a few MB at most and that pending findings seldom live long enough to reach
the garbage collector's oldest generation (whose collections walk the inventory)."""

log = logging.getLogger(__name__)

_STATUS = {status.value: status for status in Status}


class _Rule(NamedTuple):
    """What every finding of one requirement x check shares, kept once per store."""

    framework: str
    requirement_id: str
    step: str
    controls: tuple[str, ...]
    check_id: str
    title: str
    severity: Severity
    remediation: Remediation


# A finding without its rule: (rule index, fingerprint, status value, resource_id,
# resource_type, subscription_id, location, reason, evidence, waiver).
_Row = tuple[int, str, str, str, str, str | None, str | None, str, dict[str, Any],
             dict[str, Any] | None]


@dataclass(frozen=True, slots=True)
class _Batch:
    blob: bytes
    """zlib(pickle(list of rows))."""
    rules: frozenset[int]
    statuses: frozenset[str]


def report_rank(framework: Framework) -> Callable[[str, str, str], tuple[Any, ...]]:
    """(step, requirement id, check id) -> its place in report order.

    The framework's section tree depth first, then requirement and check in file order;
    ids the framework does not know come after the ones it does, by step and name.
    """
    ranks = framework.requirement_rank
    checks = {r.id: {c: j for j, c in enumerate(r.checks)} for r in framework.requirements}
    unknown = (len(ranks), len(ranks))

    def rank(step: str, requirement_id: str, check_id: str) -> tuple[Any, ...]:
        order = checks.get(requirement_id, {})
        known = requirement_id in ranks
        return (ranks.get(requirement_id, unknown), "" if known else step, requirement_id,
                order.get(check_id, len(order)), check_id)

    return rank


class FindingStore:
    """The findings of a scan, packed in memory and read back in report order.

    Judgement appends each finding as it is made; every reporter iterates the store,
    as many times as it needs. Findings are kept as compressed batches of plain tuples
    (`BATCH_SIZE` a batch), the values shared by a requirement x check stored once, so
    memory grows by tens of bytes per finding rather than a couple of KB, and no temp
    file ever holds the tenant's findings. Only data this process packed is unpickled.

    Report order: framework section, requirement and check order (see `report_rank`), then
    resource id case-insensitively, then fingerprint. The engine yields findings in that
    order already, so the store is in order as it is filled; findings appended out of
    order (a store built by hand) are sorted once, on the first read, with a log line.
    """

    def __init__(self, framework: Framework, findings: Iterable[Finding] = (),
                 batch_size: int = BATCH_SIZE) -> None:
        self.framework = framework
        self._rank = report_rank(framework)
        self._batch_size = batch_size
        self._rules: list[_Rule] = []
        self._rule_index: dict[_Rule, int] = {}
        self._ranks: list[tuple[Any, ...]] = []
        self._batches: list[_Batch] = []
        self._pending: list[_Row] = []
        self._count = 0
        self._last_rule: _Rule | None = None
        self._last_index = -1
        self._last_key: tuple[Any, ...] | None = None
        self._in_order = True
        self.extend(findings)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Finding]:
        return self.select()

    def append(self, finding: Finding) -> None:
        """Add one finding (in report order, or the store sorts itself when next read)."""
        index, key = self._place(finding)
        if self._last_key is not None and key < self._last_key:
            self._in_order = False
        self._last_key = key
        self._pending.append((index, finding.fingerprint, finding.status.value,
                              finding.resource_id, finding.resource_type,
                              finding.subscription_id, finding.location, finding.reason,
                              finding.evidence, finding.waiver))
        self._count += 1
        if len(self._pending) >= self._batch_size:
            self._flush()

    def extend(self, findings: Iterable[Finding]) -> None:
        """Append each of `findings`."""
        for finding in findings:
            self.append(finding)

    def select(self, *, checks: Collection[str] | None = None,
               steps: Collection[str] | None = None,
               severities: Collection[Severity] | None = None,
               statuses: Collection[Status] | None = None) -> Iterator[Finding]:
        """The findings in report order, only those matching every filter given.

        Batches holding no matching rule or status are skipped without being unpacked,
        so a reporter reading one check or the failing findings pays for those only.
        """
        if not self._in_order:
            self._sort()
        rules = None
        if checks is not None or steps is not None or severities is not None:
            rules = {i for i, r in enumerate(self._rules)
                     if (checks is None or r.check_id in checks)
                     and (steps is None or r.step in steps)
                     and (severities is None or r.severity in severities)}
        wanted = None if statuses is None else {Status(s).value for s in statuses}
        for batch in list(self._batches):
            if rules is not None and batch.rules.isdisjoint(rules):
                continue
            if wanted is not None and batch.statuses.isdisjoint(wanted):
                continue
            yield from self._findings(pickle.loads(zlib.decompress(batch.blob)), rules, wanted)
        yield from self._findings(list(self._pending), rules, wanted)

    def _findings(self, rows: list[_Row], rules: set[int] | None,
                  wanted: set[str] | None) -> Iterator[Finding]:
        make, table, status_of = Finding._make, self._rules, _STATUS
        for index, fp, status, resource_id, resource_type, subscription_id, location, \
                reason, evidence, waiver in rows:
            if (rules is not None and index not in rules) or (
                    wanted is not None and status not in wanted):
                continue
            fw, requirement_id, step, controls, check_id, title, severity, remediation = \
                table[index]
            yield make((fp, fw, requirement_id, step, controls, check_id, title, severity,
                        status_of[status], resource_id, resource_type, subscription_id,
                        location, reason, evidence, remediation, waiver))

    def _place(self, finding: Finding) -> tuple[int, tuple[Any, ...]]:
        """(index of the finding's rule, the finding's report-order key)."""
        rule = _Rule(finding.framework, finding.requirement_id, finding.step,
                     tuple(finding.controls), finding.check_id, finding.title,
                     finding.severity, finding.remediation)
        # Consecutive findings nearly always share their rule: compare with the last one
        # (tuples compare items by identity first, so shared objects cost nothing).
        if rule == self._last_rule:
            index = self._last_index
        else:
            found = self._rule_index.get(rule)
            if found is None:
                found = self._rule_index[rule] = len(self._rules)
                self._rules.append(rule)
                self._ranks.append(self._rank(rule.step, rule.requirement_id, rule.check_id))
            index = found
            self._last_rule, self._last_index = rule, index
        return index, (self._ranks[index], finding.resource_id.lower(), finding.fingerprint)

    def _flush(self) -> None:
        if not self._pending:
            return
        rows, self._pending = self._pending, []
        # Level 1: most of the size win of higher levels at a fraction of the time.
        blob = zlib.compress(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL), 1)
        self._batches.append(_Batch(blob, frozenset(r[0] for r in rows),
                                    frozenset(r[2] for r in rows)))

    def _sort(self) -> None:
        """Re-pack every finding in report order (all are held at once, this one time)."""
        log.info("findings were not added in report order: sorting %d findings", self._count)
        self._in_order = True  # so select() below reads the findings as they are
        findings = list(self.select())
        findings.sort(key=lambda f: self._place(f)[1])
        self._batches, self._pending, self._count, self._last_key = [], [], 0, None
        self.extend(findings)

    @property
    def appended_in_order(self) -> bool:
        """True when every finding so far came in report order (no sort on the next read)."""
        return self._in_order

    @property
    def packed_bytes(self) -> int:
        """Bytes held by the packed batches (not counting the unpacked tail)."""
        return sum(len(b.blob) for b in self._batches)


@dataclass
class ScanMeta:
    """Metadata of one scan, written at the top of every report."""

    tool_version: str
    framework_id: str
    framework_title: str
    cloud: str
    profile: str
    tenant_id: str | None
    subscriptions: list[dict[str, str]]
    """[{"subscription_id": ..., "display_name": ...}] in scope."""
    started_at: datetime
    finished_at: datetime
    source: str
    """`live`, `demo`, `replay:<file>` or `inventory:<file>`."""
    checks_run: list[str]
    inventory_source: str | None = None
    """Where the bulk inventory came from (`Inventory.inventory_source`)."""
    boundary: dict[str, object] = field(default_factory=dict)
    """The `--subscription`, `--resource-group`, `--tag`, `--step`, `--check` selection."""
    outcome: dict[str, object] = field(default_factory=dict)
    """`fail_on`, `verdict`, `exit_code` (scanner.outcome): what the run concluded."""
    collected_at: datetime | None = None
    """When the evidence was collected (a saved inventory's time; else the scan's; None for
    a replay, whose cassette does not say)."""
    input_sha256: str | None = None
    """SHA-256 of the cassette or saved inventory judged (scanner.integrity); None live."""
    exceptions: dict[str, object] = field(default_factory=dict)
    """Waivers and exemptions expired or unmatched (scanner.exceptions_ledger)."""
    not_assessed: dict[str, object] = field(default_factory=dict)
    """Resource types in the boundary no check of their own judged."""
    directory: dict[str, object] = field(default_factory=dict)
    """Key-store principals named through Microsoft Graph (scanner.directory)."""

    @property
    def source_text(self) -> str:
        """The source as every report shows it: where the evidence came from, and which
        reads filled the bulk inventory (issue 10 item 16)."""
        origin = BULK_SOURCES.get(self.inventory_source or "")
        return f"{self.source} ({origin})" if origin else self.source


BULK_SOURCES = {
    "arm": "ARM lists",
    "graph": "Resource Graph, checked against ARM's resource lists",
    "auto:graph": "Resource Graph (auto), checked against ARM's resource lists",
    "auto:arm": "ARM lists (auto: Resource Graph failed)",
}
"""`--source` as collected (`Inventory.inventory_source`) -> how reports name it."""


@dataclass
class ScanResult:
    """Findings (one packed store, read by every reporter), scores and collection errors.

    `scoreboard` holds every count the reports show, accumulated as the findings were
    judged; `findings` is iterated, in report order, only for the findings themselves.
    """

    meta: ScanMeta
    framework: Framework
    findings: FindingStore
    scoreboard: Scoreboard
    errors: list[CollectionError]
    coverage: list[CoverageRow] = field(default_factory=list)
    """Every resource type present, its count and what judged it (scanner.coverage)."""
    history: Any = None
    """A `scanner.history.scanhook.HistoryView` (not imported: the history reads this
    module), set by `scan --history/--baseline` (scanner.history.scanhook): changes since the
    baseline, this run's id and the trend of the series' last runs."""
