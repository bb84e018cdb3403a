"""The scoreboard: every count a report shows (by section, requirement, severity and
subscription), accumulated as the engine's findings stream past. No I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from scanner.findings import Finding, Severity, Status
from scanner.framework import Framework

_STATUSES = tuple(s.value for s in Status)
_SEVERITIES = tuple(s.value for s in Severity)


@dataclass
class StepScore:
    """Counts of one section, one requirement, or the whole scan."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_STATUSES, 0))
    """Findings by status value (every status present)."""
    failing: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_SEVERITIES, 0))
    """Failing findings by severity value (every severity present)."""

    @property
    def score(self) -> float | None:
        """passed / (passed + failed + unknown); None when nothing was judged."""
        judged = self.counts["pass"] + self.counts["fail"] + self.counts["unknown"]
        return None if judged == 0 else self.counts["pass"] / judged

    def add(self, status: str, severity: str) -> None:
        """Count one finding of this status and severity (values)."""
        self.counts[status] += 1
        if status == "fail":
            self.failing[severity] += 1

    def merge(self, other: StepScore) -> None:
        """Add `other`'s counts to these."""
        for status, count in other.counts.items():
            self.counts[status] += count
        for severity, count in other.failing.items():
            self.failing[severity] += count


@dataclass
class Scoreboard:
    """Every count a report shows, accumulated as findings stream past.

    Reporters read their headers, charts and totals here, so none of them needs a pass
    over the findings just to count.
    """

    steps: dict[str, StepScore] = field(default_factory=dict)
    """By a finding's top-level section (its `step`)."""
    requirements: dict[str, StepScore] = field(default_factory=dict)
    """By requirement id: any view of the same requirements sums its sections from
    these (`sections`)."""
    overall: StepScore = field(default_factory=StepScore)
    by_severity: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_SEVERITIES, 0))
    """All findings by severity value, whatever their status."""
    by_subscription: dict[str, int] = field(default_factory=dict)
    """Findings by lower-cased subscription id (`""`: tenant-wide), in first-seen order."""

    @property
    def findings(self) -> int:
        """How many findings were counted."""
        return sum(self.overall.counts.values())

    @property
    def failing(self) -> dict[str, int]:
        """Failing findings of the whole scan by severity value."""
        return self.overall.failing

    def add(self, finding: Finding) -> None:
        """Count one finding."""
        status, severity = finding.status.value, finding.severity.value
        step = self.steps.get(finding.step)
        if step is None:
            step = self.steps[finding.step] = StepScore()
        step.add(status, severity)
        score = self.requirements.get(finding.requirement_id)
        if score is None:
            score = self.requirements[finding.requirement_id] = StepScore()
        score.add(status, severity)
        self.overall.add(status, severity)
        self.by_severity[severity] += 1
        subscription = (finding.subscription_id or "").lower()
        self.by_subscription[subscription] = self.by_subscription.get(subscription, 0) + 1

    def sections(self, framework: Framework) -> dict[str, StepScore]:
        """Counts of every section of `framework` (any depth) that has findings.

        Summed from the requirement counts, so a view over the same requirements (another
        framework file grouping them) is scored from this one scoreboard. Keys come in
        the framework's section order, depth first.
        """
        totals: dict[str, StepScore] = {}
        for requirement in framework.requirements:
            score = self.requirements.get(requirement.id)
            if score is None:
                continue
            for section_id in framework.section_path(requirement.section):
                totals.setdefault(section_id, StepScore()).merge(score)
        return {s.id: totals[s.id] for _, s in framework.walk() if s.id in totals}

    def extend(self, findings: Iterable[Finding]) -> None:
        """Count each of `findings`."""
        for finding in findings:
            self.add(finding)

    def failing_at_least(self, threshold: Severity) -> int:
        """Failing findings as severe as `threshold` or more (the scan's exit code 1)."""
        return sum(self.failing[s.value] for s in Severity if s.at_least(threshold))
