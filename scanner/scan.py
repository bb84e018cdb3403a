"""Judge an inventory into a ScanResult: selection, engine, scores. No I/O."""

from __future__ import annotations

from datetime import UTC, datetime

from scanner import __version__
from scanner.attestations import AttestationBook
from scanner.config import ScanConfig
from scanner.engine import Scoreboard, judge, select
from scanner.framework import Framework, load_framework
from scanner.inventory import Inventory
from scanner.registry import Registry, load_registry
from scanner.report import FindingStore, ScanMeta, ScanResult
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
    framework = framework or load_framework()
    registry = registry or load_registry()
    selection = select(framework, registry, config)
    scoreboard = Scoreboard()
    findings = FindingStore(framework)
    waivers = WaiverBook(config.waivers, inventory, started_at,
                         selected={*selection.checks, *(r.id for r in selection.requirements)})
    attestations = AttestationBook(config.attestations, started_at)  # manual findings only
    for judged in judge(inventory, framework, selection, config):
        finding = waivers.apply(attestations.apply(judged))
        scoreboard.add(finding)
        findings.append(finding)
    if waiver_warnings is not None:
        waiver_warnings.extend(waivers.warnings())
        waiver_warnings.extend(attestations.warnings())
    in_scope = [s for s in inventory.subscriptions
                if not config.subscriptions
                or s.subscription_id in {x.lower() for x in config.subscriptions}]
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
        checks_run=sorted(selection.checks),
        boundary={k: v for k, v in {
            "subscriptions": config.subscriptions, "resource_groups": config.resource_groups,
            "tags": config.tags, "steps": config.steps, "checks": config.checks,
            "skip_checks": config.skip_checks}.items() if v},
    )
    return ScanResult(meta=meta, framework=framework, findings=findings, scoreboard=scoreboard,
                      errors=list(inventory.errors))
