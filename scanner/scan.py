"""Judge an inventory into a ScanResult: selection, engine, scores. No I/O."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from scanner import __version__, gate
from scanner.attestations import AttestationBook
from scanner.config import ScanConfig
from scanner.coverage import CMK_TAG, CoverageTally, coverage_rows
from scanner.directory_model import directory_summary
from scanner.engine import Scoreboard, _in_boundary, judge, select
from scanner.exceptions_ledger import ExceptionsLedger
from scanner.finding_store import FindingStore, ScanMeta, ScanResult
from scanner.findings import Finding, Severity, Status
from scanner.framework import Framework
from scanner.inventory import Inventory
from scanner.outcome import decide
from scanner.registry import Registry, judged_framework, load_registry
from scanner.waivers import WaiverBook


def run_judgement(
    inventory: Inventory,
    config: ScanConfig,
    started_at: datetime,
    source: str,
    framework: Framework | None = None,
    registry: Registry | None = None,
    waiver_warnings: list[str] | None = None,
    allow_partial: bool = False,
    on_check: Callable[[str], None] | None = None,
) -> ScanResult:
    """Run the selected checks over `inventory` and wrap the findings for the reporters.

    Waivers (`config.waivers`, then the inventory's Azure Policy exemptions) are applied
    to each finding after it is judged and before it is scored; their warnings (expired,
    unused) are appended to `waiver_warnings` when a list is given. Each finding is then
    counted on the scoreboard and packed into the result's `FindingStore` (in report
    order, as the engine yields them): none is kept as an object. The outcome (verdict
    and exit code, `scanner.outcome`) is decided here, so every report records it.
    """
    framework = framework or judged_framework(config.framework)
    registry = registry or load_registry()
    selection = select(framework, registry, config)
    scoreboard = Scoreboard()
    findings = FindingStore(framework)
    waivers = WaiverBook(config.waivers, inventory, started_at,
                         selected={*selection.checks, *(r.id for r in selection.requirements)})
    ledger = ExceptionsLedger(config, inventory, started_at,
                              {s.casefold() for s in (*selection.checks,
                                                      *(r.id for r in selection.requirements))})
    generic_kinds = {"resources", "resource_groups", "subscriptions", "tenant"}
    judged_types: set[str] = set()  # types a check of their own judged (not only generic)
    errored = {e.collector for e in inventory.errors}
    reads = {check_id: set(gate.declared_reads(check.meta))
             for check_id, check in selection.checks.items()}
    unknown_from_errors = 0
    current = None
    attestations = AttestationBook(config.attestations, started_at)  # manual findings only
    tally = CoverageTally(cmk_checks=frozenset(
        c for c, check in selection.checks.items() if CMK_TAG in check.meta.tags))
    for judged in judge(inventory, framework, selection, config):
        if on_check is not None and judged.check_id != current:
            if current is not None:
                on_check(current)  # progress: one more check judged
            current = judged.check_id
        finding = waivers.apply(attestations.apply(judged))
        scoreboard.add(finding)
        tally.add(finding)
        findings.append(finding)
        ledger.add(finding)
        if not set(selection.checks[finding.check_id].meta.kinds) <= generic_kinds:
            judged_types.add(finding.resource_type.lower())
        if errored and _unknown_from_errors(finding, errored, reads):
            unknown_from_errors += 1
    if on_check is not None and current is not None:
        on_check(current)
    notes = waivers.warnings()
    if waiver_warnings is not None:
        waiver_warnings.extend(notes)
        waiver_warnings.extend(attestations.warnings())
    in_scope = sorted((s for s in inventory.subscriptions
                       if not config.subscriptions
                       or s.subscription_id in config.subscriptions),
                      key=lambda s: ((s.display_name or s.subscription_id).lower(),
                                     s.subscription_id))
    outcome = decide(scoreboard, list(inventory.errors), Severity(config.fail_on),
                     unknown_from_errors, allow_partial)
    meta = ScanMeta(
        tool_version=__version__,
        framework_id=framework.id,
        framework_title=framework.title,
        cloud=inventory.cloud,
        profile=config.effective_profile(),
        tenant_id=inventory.tenant_id,
        subscriptions=[{"subscription_id": s.subscription_id, "display_name": s.display_name}
                       for s in in_scope],
        started_at=started_at,
        finished_at=datetime.now(UTC),
        source=source,
        inventory_source=inventory.inventory_source,
        checks_run=sorted(selection.checks),
        boundary={k: v for k, v in {
            "subscriptions": config.subscriptions, "resource_groups": config.resource_groups,
            "tags": config.tags, "steps": config.steps, "checks": config.checks,
            "skip_checks": config.skip_checks}.items() if v},
        outcome=outcome.as_dict(),
        exceptions=ledger.summary(notes),
        not_assessed=_not_assessed(inventory, config, judged_types),
        directory=directory_summary(inventory, list(inventory.errors)),
        collected_at=inventory.collected_at,
    )
    return ScanResult(meta=meta, framework=framework, findings=findings, scoreboard=scoreboard,
                      errors=list(inventory.errors), coverage=coverage_rows(inventory, tally))


def _unknown_from_errors(finding: Finding, errored: set[str],
                         reads: dict[str, set[str]]) -> bool:
    """True when a collection error made `finding` unknown: its evidence quotes one, or
    its check reads (kinds) or needs a collector that failed."""
    if finding.status is not Status.UNKNOWN:
        return False
    evidence = finding.evidence or {}
    if "collection_errors" in evidence or "incomplete" in evidence:
        return True
    return not reads.get(finding.check_id, set()).isdisjoint(errored)


def _not_assessed(inventory: Inventory, config: ScanConfig,
                  judged_types: set[str]) -> dict[str, object]:
    """Resource types in the boundary that no check of their own judged (only the generic
    location and logging checks, if those ran): {"resource_types": {type: count}}."""
    counts: dict[str, int] = {}
    for resource in inventory.resources:
        kind = resource.type.lower()
        if kind not in judged_types and _in_boundary(resource, config, "resources"):
            counts[kind] = counts.get(kind, 0) + 1
    return {"resource_types": dict(sorted(counts.items()))}
