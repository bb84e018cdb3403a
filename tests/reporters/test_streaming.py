"""Streaming reporters: the same bytes as the plain paths, from a store of many batches.

The reporters read findings from the packed store and counts from the scoreboard, and
encode and render in parts. Each shortcut is checked here against the plain way of
producing the same output (the pydantic JSON model, one json.dumps per finding, one
markdown-it pass over the whole packet, counting the test cases), on the demo tenant's
real findings and on a store of thousands of findings in many batches.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime
from functools import cache

import pytest
from rich.console import Console

from scanner.config import ScanConfig
from scanner.findings import Finding, Status
from scanner.registry import judged_framework
from scanner.report import FindingStore, ScanResult
from scanner.reporters import ReportFormat, reporter_for, write_reports
from scanner.reporters import schema as report_schema
from scanner.reporters.base import FindingJson, iso_utc, outcome_of
from scanner.reporters.console import MAX_FINDINGS_PER_STEP
from scanner.reporters.packet import markdown_html_parts, markdown_to_html, render_markdown
from scanner.scan import run_judgement
from tests.reporters.conftest import result_of, synthetic_findings

MANY = 3_000


@cache
def demo() -> ScanResult:
    from scanner.sources import Source, load_inventory

    inventory = load_inventory(Source(demo=True), "commercial", [], 4)
    return run_judgement(inventory, ScanConfig(), datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
                         "demo")


@cache
def many() -> ScanResult:
    """MANY findings packed 100 a batch (30 batches), every status, step and severity."""
    result = result_of(list(synthetic_findings(MANY)))
    result.findings = FindingStore(result.framework, result.findings, batch_size=100)
    return result


def written(result: ScanResult, fmt: ReportFormat) -> list[str]:
    reporter = reporter_for(fmt)
    out = []
    for _, write in reporter.files():  # type: ignore[union-attr]
        stream = io.StringIO()
        write(result, stream)
        out.append(stream.getvalue())
    return out


def test_finding_fields_are_the_schema_fields() -> None:
    assert list(Finding._fields) == list(report_schema.Finding.model_fields)


@pytest.mark.parametrize("result", [demo, many], ids=["demo", "many"])
def test_json_objects_are_the_pydantic_models_dump(result: object) -> None:
    scan = result()  # type: ignore[operator]
    encode = FindingJson()
    for finding in scan.findings:
        record = finding.to_json_dict()
        plain = report_schema.Finding.model_validate(finding._asdict())
        assert record == plain.model_dump(mode="json")
        assert list(record) == list(plain.model_dump(mode="json"))
        assert encode(finding) == json.dumps(record)


@pytest.mark.parametrize("result", [demo, many], ids=["demo", "many"])
def test_json_report_findings_are_the_store_read_back(result: object) -> None:
    scan = result()  # type: ignore[operator]
    (text,) = written(scan, ReportFormat.JSON)
    lines = [line.strip().rstrip(",") for line in text.splitlines()
             if line.startswith('    {"fingerprint": ')]
    assert lines == [json.dumps(f.to_json_dict()) for f in scan.findings]
    document = json.loads(text)
    assert document["summary"]["findings"] == len(scan.findings)
    failing = Counter(f.severity.value for f in scan.findings if f.status is Status.FAIL)
    assert document["summary"]["by_severity_failing"] == {
        s: failing.get(s, 0) for s in document["summary"]["by_severity_failing"]}
    (jsonl,) = written(scan, ReportFormat.JSONL)
    extra = {"scan_started_at": iso_utc(scan.meta.started_at), "tenant_id": scan.meta.tenant_id,
             "scan_outcome": {k: outcome_of(scan)[k] for k in ("verdict", "exit_code", "fail_on")}}
    assert jsonl.splitlines() == [json.dumps({**f.to_json_dict(), **extra})
                                  for f in scan.findings]


@pytest.mark.parametrize("result", [demo, many], ids=["demo", "many"])
@pytest.mark.parametrize("lines_per_part", [1, 3, 40])
def test_packet_html_in_parts_is_the_whole_rendering(result: object,
                                                     lines_per_part: int) -> None:
    markdown = render_markdown(result())  # type: ignore[operator]
    parts = list(markdown_html_parts(markdown.splitlines(keepends=True), lines_per_part))
    assert len(parts) > 1
    assert "".join(parts) == markdown_to_html(markdown)


@pytest.mark.parametrize("result", [demo, many], ids=["demo", "many"])
def test_junit_counts_from_the_scoreboard_match_the_test_cases(result: object) -> None:
    scan = result()  # type: ignore[operator]
    (text,) = written(scan, ReportFormat.JUNIT)
    root = ET.fromstring(text)
    suites = root.findall("testsuite")
    assert len(suites) == len(scan.scoreboard.steps)
    for suite in [root, *suites]:
        cases = suite.iter("testcase")
        kinds = Counter(next((c.tag for c in case), "pass") for case in cases)
        assert int(suite.get("tests", -1)) == sum(kinds.values())
        assert int(suite.get("failures", -1)) == kinds["failure"]
        assert int(suite.get("errors", -1)) == kinds["error"]
        if suite is not root:
            assert int(suite.get("skipped", -1)) == kinds["skipped"]


def test_every_reporter_streams_a_store_of_many_batches(tmp_path: object) -> None:
    scan = many()
    findings = list(scan.findings)
    assert len(findings) == MANY
    (report,) = written(scan, ReportFormat.JSON)
    assert [f["fingerprint"] for f in json.loads(report)["findings"]] == [
        f.fingerprint for f in findings]
    (jsonl,) = written(scan, ReportFormat.JSONL)
    assert len(jsonl.splitlines()) == MANY
    (table,) = written(scan, ReportFormat.CSV)
    assert len(list(csv.reader(io.StringIO(table)))) == MANY + 1
    (junit,) = written(scan, ReportFormat.JUNIT)
    assert ET.fromstring(junit).get("tests") == str(MANY)
    (ocsf,) = written(scan, ReportFormat.OCSF)
    assert [e["finding_info"]["uid"] for e in json.loads(ocsf)] == [
        f.fingerprint for f in findings]
    (html,) = written(scan, ReportFormat.HTML)
    assert html.count('"reason"') == 0 and f"{MANY:,}" in html
    markdown, packet_html = written(scan, ReportFormat.PACKET)
    open_findings = [f for f in findings if f.status in (Status.FAIL, Status.UNKNOWN)]
    open_section = markdown[markdown.index("## 7. Open findings"):markdown.index("## 8.")]
    rows = [line for line in open_section.splitlines()
            if line.startswith(("| critical ", "| high ", "| medium ", "| low ", "| info "))]
    assert len(rows) == len(open_findings)
    assert packet_html.count("<tr>") > len(open_findings)
    console = Console(record=True, width=200, file=io.StringIO())
    write_reports(scan, [ReportFormat.CONSOLE], None, console)
    text = console.export_text()
    shown = sum(text.count(f.resource_id.rsplit("/", 1)[-1]) for f in open_findings)
    per_step = Counter(f.step for f in open_findings)
    # At most MAX_FINDINGS_PER_STEP listed per step: the rest are counted, not listed.
    assert shown == sum(min(n, MAX_FINDINGS_PER_STEP) for n in per_step.values())
    assert any(n > MAX_FINDINGS_PER_STEP for n in per_step.values())
    assert "more (see the JSON report)" in text


def test_demo_reports_do_not_depend_on_the_batch_size() -> None:
    scan = demo()
    framework = judged_framework()
    small = ScanResult(scan.meta, framework,
                       FindingStore(framework, scan.findings, batch_size=7),
                       scan.scoreboard, scan.errors, scan.coverage)
    for fmt in ReportFormat:
        if fmt is not ReportFormat.CONSOLE:
            assert written(small, fmt) == written(scan, fmt), fmt
