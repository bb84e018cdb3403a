"""The JSON report (`cjis-scan-report.json`): the ticketing contract.

Its shape is `scanner.reporters.schema.ReportDocument`, published as
`scanner/schemas/report.schema.json`. The header goes through those models; the
findings are then streamed one `json.dumps` at a time, one per line, so a report of
50,000 findings is never held in memory as one string (and a changed finding is a
one-line diff).
"""

from __future__ import annotations

import json
from typing import TextIO

from scanner.finding_store import REPORT_SCHEMA_VERSION, ScanResult
from scanner.findings import Severity, Status
from scanner.reporters.base import (
    FileReporter,
    FindingJson,
    ReportFormat,
    as_utc,
    scored_steps,
)
from scanner.reporters.schema import (
    CoverageEntry,
    FrameworkRef,
    Outcome,
    ReportHeader,
    ScanInfo,
    Score,
    Scores,
    SectionScore,
    SeverityCounts,
    StatusCounts,
    StepScore,
    SubscriptionRef,
    Summary,
)

FILENAME = "cjis-scan-report.json"


def _counts(counts: dict[str, int]) -> dict[str, int]:
    # Every status, even one the scoreboard never saw, so each key is always present.
    return {status.value: counts.get(status.value, 0) for status in Status}


def _score(counts: dict[str, int]) -> float | None:
    judged = counts["pass"] + counts["fail"] + counts["unknown"]
    return None if judged == 0 else counts["pass"] / judged


def build_header(result: ScanResult) -> ReportHeader:
    """Everything in the report but the findings, validated by the schema models."""
    meta = result.meta
    board = result.scoreboard
    overall = _counts(board.overall.counts)

    steps = []
    for step in scored_steps(result):
        counts = _counts(board.steps[step].counts)
        steps.append(StepScore(step=step, title=result.framework.step_title(step),
                               score=_score(counts), **counts))

    framework = result.framework
    sections = []
    for section_id, score in board.sections(framework).items():
        path = framework.section_path(section_id)
        counts = _counts(score.counts)
        sections.append(SectionScore(id=section_id, title=framework.section_title(section_id),
                                     parent=path[-2] if len(path) > 1 else None,
                                     depth=len(path) - 1, score=_score(counts), **counts))

    failing = {s.value: board.failing.get(s.value, 0) for s in Severity}

    # Aware and in UTC: pydantic then writes `...Z`, and naive minus aware cannot happen.
    started, finished = as_utc(meta.started_at), as_utc(meta.finished_at)
    return ReportHeader(
        schema_version=REPORT_SCHEMA_VERSION,
        scan=ScanInfo(
            tool_version=meta.tool_version,
            framework=FrameworkRef(id=meta.framework_id, title=meta.framework_title),
            cloud=meta.cloud,
            profile=meta.profile,
            tenant_id=meta.tenant_id,
            subscriptions=[
                SubscriptionRef(subscription_id=s["subscription_id"],
                                display_name=s.get("display_name"))
                for s in meta.subscriptions
            ],
            started_at=started,
            finished_at=finished,
            duration_seconds=round(max((finished - started).total_seconds(), 0.0), 3),
            source=meta.source,
            inventory_source=meta.inventory_source,
            checks_run=list(meta.checks_run),
            boundary=dict(meta.boundary),
            outcome=Outcome.model_validate(meta.outcome) if meta.outcome else None,
            collected_at=as_utc(meta.collected_at) if meta.collected_at else None,
            input_sha256=meta.input_sha256,
        ),
        scores=Scores(overall=Score(score=_score(overall), **overall), steps=steps,
                      sections=sections),
        summary=Summary(
            findings=len(result.findings),
            by_status=StatusCounts(**overall),
            by_severity_failing=SeverityCounts(**failing),
        ),
        errors=list(result.errors),
        coverage=[CoverageEntry(**row.to_json()) for row in result.coverage],
    )


def write_json(result: ScanResult, stream: TextIO) -> None:
    """Write the JSON report of `result` to `stream`.

    Findings are written in report order, as the store yields them, one at a time; the
    output is byte-identical for the same input.
    """
    header = build_header(result).model_dump(mode="json", by_alias=True)
    head = json.dumps(header, indent=2)
    # The header is a non-empty object, so it ends "\n}": reopen it to append findings.
    stream.write(head.removesuffix("\n}"))
    stream.write(',\n  "findings": [')
    separator = "\n    "
    encode = FindingJson()
    for finding in result.findings:
        stream.write(separator)
        stream.write(encode(finding))
        separator = ",\n    "
    stream.write("\n  ]\n}\n" if result.findings else "]\n}\n")


REPORTER = FileReporter(format=ReportFormat.JSON, filename=FILENAME, write=write_json)
