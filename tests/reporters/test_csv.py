"""CSV: one RFC 4180 row per finding, fixed columns, formula injection neutralised."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from scanner.findings import Status
from scanner.report import ScanResult
from scanner.reporters import ReportFormat, write_reports
from scanner.reporters.csv_report import COLUMNS, FILENAME, neutralise, write_csv
from tests.reporters.conftest import SA_FAIL, result_of, sample_findings


def render(result: ScanResult) -> str:
    stream = io.StringIO(newline="")
    write_csv(result, stream)
    return stream.getvalue()


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_header_is_the_fixed_column_order() -> None:
    assert COLUMNS == (
        "fingerprint", "framework", "requirement_id", "step", "controls", "check_id", "title",
        "severity", "status", "resource_id", "resource_type", "subscription_id", "location",
        "reason", "remediation_summary", "remediation_cli", "remediation_docs", "evidence",
        "waiver", "scan_verdict", "scan_exit_code", "scan_fail_on")
    text = render(result_of(sample_findings()))
    assert text.split("\r\n", 1)[0] == ",".join(COLUMNS)


def test_one_row_per_finding_with_its_values(sample: ScanResult) -> None:
    text = render(sample)
    parsed = rows(text)
    assert len(parsed) == len(sample.findings) == 11
    for row, finding in zip(parsed, sample.findings, strict=True):
        assert row["fingerprint"] == finding.fingerprint
        assert row["status"] == finding.status.value
        assert row["severity"] == finding.severity.value
        assert row["resource_id"] == finding.resource_id
        assert row["controls"] == ";".join(finding.controls)
        assert row["subscription_id"] == (finding.subscription_id or "")
        assert row["location"] == (finding.location or "")
        assert row["remediation_summary"] == finding.remediation.summary
        assert row["remediation_cli"] == finding.remediation.cli
        assert row["remediation_docs"] == finding.remediation.docs
        assert (json.loads(row["evidence"]) if row["evidence"] else {}) == finding.evidence
        assert (json.loads(row["waiver"]) if row["waiver"] else None) == finding.waiver


def test_rfc_4180_crlf_records_and_quoted_fields() -> None:
    finding = sample_findings()[0]._replace(**{
        "reason": 'a "quoted" reason, with a comma\nand a second line'})
    text = render(result_of([finding]))
    assert text.endswith("\r\n")
    # Two records (header + row), even though one field holds a line break.
    assert text.count("\r\n") == 2
    assert '"a ""quoted"" reason, with a comma\nand a second line"' in text
    (row,) = rows(text)
    assert row["reason"] == 'a "quoted" reason, with a comma\nand a second line'


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\",\"y\")", "+1+2", "-2+3", "@SUM(A1)",
                                   "\tcmd", "\rcmd"])
def test_a_cell_a_spreadsheet_would_run_gets_a_leading_apostrophe(value: str) -> None:
    assert neutralise(value) == "'" + value
    finding = sample_findings()[0]._replace(**{
        "reason": value, "resource_type": value, "title": value})
    (row,) = rows(render(result_of([finding])))
    assert row["reason"] == row["resource_type"] == row["title"] == "'" + value


def test_ordinary_cells_are_left_alone() -> None:
    for value in ("/subscriptions/x", "fail", "SA-9(5);SC-7", "{\"a\":1}", "", "a=b", "1-2"):
        assert neutralise(value) == value


def test_a_waived_finding_carries_its_waiver_as_json() -> None:
    (waived,) = [f for f in sample_findings() if f.status is Status.WAIVED]
    (row,) = rows(render(result_of([waived])))
    assert row["status"] == "waived" and row["resource_id"] == SA_FAIL
    assert json.loads(row["waiver"]) == {"id": "W-1", "expires": "2025-09-30"}


def test_write_reports_writes_the_named_file(tmp_path: Path, sample: ScanResult) -> None:
    (path,) = write_reports(sample, [ReportFormat.CSV], tmp_path, Console(file=io.StringIO()))
    assert path == tmp_path / FILENAME == tmp_path / "cjis-scan-findings.csv"
    data = path.read_bytes()
    assert data.count(b"\r\n") == 12 and b"\r\r\n" not in data  # no newline translation
    assert len(rows(data.decode("utf-8"))) == 11


def test_no_findings_is_just_the_header() -> None:
    assert render(result_of([])) == ",".join(COLUMNS) + "\r\n"
