"""The JSON report as pydantic models, and the JSON Schema published from them.

These models are the ticketing contract: the JSON reporter builds its header through
them, and `scanner/schemas/report.schema.json` is generated from them, so the schema
cannot describe a document the reporter does not write. After changing a model,
regenerate the committed file with

    python -m scanner.reporters.schema

(a test fails while the committed file and the models disagree). A change that is not
purely additive also needs a new `REPORT_SCHEMA_VERSION`.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from scanner.finding_store import REPORT_SCHEMA_VERSION
from scanner.findings import Remediation, Severity, Status
from scanner.inventory import CollectionError
from scanner.schema_file import write_or_check

SCHEMA_ID = f"https://cjis-scan.dev/schemas/report-{REPORT_SCHEMA_VERSION}.json"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "report.schema.json"


class _Model(BaseModel):
    # extra="forbid" -> `additionalProperties: false` in the schema: a field the schema
    # does not name is a contract change, caught by the validation test.
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True,
                              populate_by_name=True)


class FrameworkRef(_Model):
    """The framework the findings were judged under."""

    id: str
    """The framework file's id, e.g. `cjis-6.0`."""
    title: str


class SubscriptionRef(_Model):
    """A subscription in the scan's scope."""

    subscription_id: str
    display_name: str | None = None


class Outcome(_Model):
    """What the run concluded: the same verdict and exit code the process returned."""

    fail_on: Severity
    """The `--fail-on` threshold in force."""
    verdict: str
    """`pass`, `fail`, `incomplete` or `refused` (the read-only guard refused a request)."""
    exit_code: int
    """0 pass, 1 fail, 3 incomplete, 5 refused (README, "Exit codes")."""
    summary: str
    """The verdict line, as the console prints it."""
    failing_gating: int = Field(ge=0)
    """Failing findings at or above `fail_on`."""
    failing_below_threshold: int = Field(ge=0)
    """Failing findings below `fail_on`: reported, not gating."""
    unknown_from_collection_errors: int = Field(ge=0)
    """Findings a collection error made `unknown`."""


class ScanInfo(_Model):
    """What was scanned, when, how and with what."""

    tool: str = "cjis-scan"
    tool_version: str
    framework: FrameworkRef
    cloud: str
    """`commercial` or `government`."""
    profile: str
    """The severity profile: `commercial` or `government`."""
    tenant_id: str | None
    subscriptions: list[SubscriptionRef]
    started_at: datetime
    """ISO-8601, UTC."""
    finished_at: datetime
    """ISO-8601, UTC."""
    duration_seconds: float = Field(ge=0)
    source: str
    """`live`, `demo`, `replay:<file>` or `inventory:<file>`."""
    inventory_source: str | None = None
    """Where the bulk inventory came from: `arm` (ARM lists), `graph` (Resource Graph,
    checked against ARM's resource lists), `auto:graph`, or `auto:arm` (auto fell back to
    ARM lists); null for a saved inventory that does not record it."""
    checks_run: list[str]
    """Ids of the checks that ran."""
    boundary: dict[str, Any]
    """The `--subscription`, `--resource-group`, `--tag`, `--step`, `--check` selection."""
    outcome: Outcome | None = None
    """The verdict and exit code (absent from reports of scans judged by older versions)."""
    collected_at: datetime | None = None
    """When the evidence was collected (a saved inventory's own collection time); null
    for a replayed cassette, whose recording time the cassette does not hold."""
    input_sha256: str | None = None
    """SHA-256 of the cassette or saved inventory judged; null for a live collection."""


class StatusCounts(_Model):
    """Findings per status."""

    pass_: int = Field(alias="pass", ge=0)
    fail: int = Field(ge=0)
    unknown: int = Field(ge=0)
    not_applicable: int = Field(ge=0)
    manual: int = Field(ge=0)
    waived: int = Field(ge=0)


class Score(StatusCounts):
    """Findings per status, and the share judged that passed."""

    score: float | None = Field(ge=0, le=1)
    """pass / (pass + fail + unknown); null when nothing was judged."""


class StepScore(_Model):
    """Counts and score of one top-level section of the framework (a step)."""

    step: str
    """The section's id in the framework file (the built-in one's steps, `1`...)."""
    title: str
    # Repeated rather than inherited from Score, so `step` and `title` lead each object.
    pass_: int = Field(alias="pass", ge=0)
    fail: int = Field(ge=0)
    unknown: int = Field(ge=0)
    not_applicable: int = Field(ge=0)
    manual: int = Field(ge=0)
    waived: int = Field(ge=0)
    score: float | None = Field(ge=0, le=1)
    """pass / (pass + fail + unknown); null when nothing was judged."""


class SectionScore(_Model):
    """Counts and score of one section of the framework, at any depth."""

    id: str
    title: str
    parent: str | None
    """The id of the section holding this one; null at the top level."""
    depth: int = Field(ge=0)
    pass_: int = Field(alias="pass", ge=0)
    fail: int = Field(ge=0)
    unknown: int = Field(ge=0)
    not_applicable: int = Field(ge=0)
    manual: int = Field(ge=0)
    waived: int = Field(ge=0)
    score: float | None = Field(ge=0, le=1)
    """pass / (pass + fail + unknown); null when nothing was judged."""


class Scores(_Model):
    """Overall, per-step and per-section scores."""

    overall: Score
    steps: list[StepScore]
    """In framework order; only top-level sections that have findings."""
    sections: list[SectionScore] = Field(default_factory=list)
    """Every section with findings, at any depth, in the framework's order (depth
    first): the same counts as `steps` at depth 0, and those of the sections below."""


class SeverityCounts(_Model):
    """Failing findings per severity."""

    critical: int = Field(ge=0)
    high: int = Field(ge=0)
    medium: int = Field(ge=0)
    low: int = Field(ge=0)
    info: int = Field(ge=0)


class Summary(_Model):
    """Totals for dashboards."""

    findings: int = Field(ge=0)
    """Number of findings in the report."""
    by_status: StatusCounts
    by_severity_failing: SeverityCounts
    """Findings with status `fail`, per severity."""


class Finding(BaseModel):
    """A finding as reports and ticketing systems receive it."""

    # The JSON shape of `scanner.findings.Finding` (whose `to_json_dict` writes it): same
    # fields, same order, checked by the reporter tests. No attribute docstrings here, so
    # the published schema is the one written before findings became named tuples.
    model_config = ConfigDict(extra="forbid")

    fingerprint: str
    framework: str
    requirement_id: str
    step: str
    controls: list[str]
    check_id: str
    title: str
    severity: Severity
    status: Status
    resource_id: str
    resource_type: str
    subscription_id: str | None = None
    location: str | None = None
    reason: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    remediation: Remediation
    waiver: dict[str, Any] | None = None


class CoverageEntry(_Model):
    """One resource type present in the tenant, and what judged it."""

    resource_type: str
    """Lower-cased ARM type."""
    title: str | None
    count: int
    sections: list[str]
    """Framework sections (steps) with a judged finding on resources of this type."""
    cmk: Literal["judged", "not_assessed", "not_assessable", "no_data_at_rest"]
    """Customer-managed keys at rest: `judged` (a CMK check judged it), `not_assessed` (it
    can hold CJI at rest but no check judges it: nothing about its keys is claimed),
    `not_assessable` (its CMK state is not readable through ARM: attest it),
    `no_data_at_rest`."""
    note: str | None


class ReportHeader(_Model):
    """Everything in the report but the findings (written before them)."""

    schema_version: str = Field(pattern=r"^1\.\d+\.\d+$")
    """Version of this schema; a 1.x reader reads every 1.y report."""
    scan: ScanInfo
    scores: Scores
    summary: Summary
    errors: list[CollectionError]
    """Every scope x collector that could not be read: findings there are `unknown`."""
    coverage: list[CoverageEntry] = Field(default_factory=list)
    """Every resource type present in the tenant, with its count and what judged it: a
    type never disappears from the report for want of a check."""


class ReportDocument(ReportHeader):
    """The JSON report of one scan (`cjis-scan-report.json`)."""

    findings: list[Finding]
    """In report order: framework section, requirement and check order, then resource id."""


def report_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the JSON report, as published."""
    generated = ReportDocument.model_json_schema(by_alias=True)
    generated.pop("title", None)
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        "title": "cjis-scan report",
        **generated,
    }


def render_schema() -> str:
    """The schema file's text: what `scanner/schemas/report.schema.json` must contain."""
    return json.dumps(report_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """`python -m scanner.reporters.schema [--check]`: rewrite (or verify) the schema file."""
    return write_or_check(SCHEMA_PATH, render_schema(), "scanner.reporters.schema", argv)


if __name__ == "__main__":
    raise SystemExit(main())
