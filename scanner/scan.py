"""Judge an inventory into a ScanResult: selection, engine, scores. No I/O."""

from __future__ import annotations

from datetime import UTC, datetime

from scanner import __version__
from scanner.config import ScanConfig
from scanner.coverage import CMK_TAG, CoverageTally, coverage_rows
from scanner.engine import Scoreboard, judge, select
from scanner.finding_store import FindingStore, ScanMeta, ScanResult
from scanner.framework import Framework
from scanner.inventory import Inventory
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
) -> ScanResult:
    """Run the selected checks over `inventory` and wrap the findings for the reporters.

    Waivers (`config.waivers`, then the inventory's Azure Policy exemptions) are applied
    to each finding after it is judged and before it is scored; their warnings (expired,
    unused) are appended to `waiver_warnings` when a list is given. Each finding is then
    counted on the scoreboard and packed into the result's `FindingStore` (in report
    order, as the engine yields them): none is kept as an object.
    """
    framework = framework or judged_framework(config.framework)
    registry = registry or load_registry()
    selection = select(framework, registry, config)
    scoreboard = Scoreboard()
    findings = FindingStore(framework)
    waivers = WaiverBook(config.waivers, inventory, started_at,
                         selected={*selection.checks, *(r.id for r in selection.requirements)})
    tally = CoverageTally(cmk_checks=frozenset(
        c for c, check in selection.checks.items() if CMK_TAG in check.meta.tags))
    for judged in judge(inventory, framework, selection, config):
        finding = waivers.apply(judged)
        scoreboard.add(finding)
        tally.add(finding)
        findings.append(finding)
    if waiver_warnings is not None:
        waiver_warnings.extend(waivers.warnings())
    in_scope = [s for s in inventory.subscriptions
                if not config.subscriptions
                or s.subscription_id in config.subscriptions]
    meta = ScanMeta(
        tool_version=__version__,
        framework_id=framework.id,
        framework_title=framework.title,
        cloud=inventory.cloud,
        profile=framework.profile_for(config.cloud, config.profile),
        tenant_id=inventory.tenant_id,
        subscriptions=[{"subscription_id": s.subscription_id, "display_name": s.display_name}
                       for s in in_scope],
        started_at=started_at,
        finished_at=datetime.now(UTC),
        source=source,
        checks_run=sorted(selection.checks),
        boundary={k: v for k, v in {
            "subscriptions": config.subscriptions, "resource_groups": config.resource_groups,
            "tags": config.tags, "steps": config.steps, "checks": config.checks,
            "skip_checks": config.skip_checks}.items() if v},
    )
    return ScanResult(meta=meta, framework=framework, findings=findings, scoreboard=scoreboard,
                      errors=list(inventory.errors), coverage=coverage_rows(inventory, tally))
