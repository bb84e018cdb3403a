"""JSON Lines: one self-contained finding per line."""

from __future__ import annotations

import io
import json

from scanner.report import ScanResult
from scanner.reporters.base import outcome_of
from scanner.reporters.jsonl import write_jsonl
from tests.reporters.conftest import TENANT, result_of


def render(result: ScanResult) -> str:
    stream = io.StringIO()
    write_jsonl(result, stream)
    return stream.getvalue()


def test_whole_output(sample: ScanResult) -> None:
    outcome = {k: outcome_of(sample)[k] for k in ("verdict", "exit_code", "fail_on")}
    expected = "".join(
        json.dumps({**f.to_json_dict(), "scan_started_at": "2025-03-04T05:06:07Z",
                    "tenant_id": TENANT, "scan_outcome": outcome}) + "\n"
        for f in sample.findings
    )
    assert render(sample) == expected


def test_one_line_per_finding_each_standing_alone(sample: ScanResult) -> None:
    lines = render(sample).splitlines()
    assert len(lines) == len(sample.findings) == 11
    for line, finding in zip(lines, sample.findings, strict=True):
        record = json.loads(line)
        assert record["fingerprint"] == finding.fingerprint
        assert record["tenant_id"] == TENANT
        assert record["scan_started_at"] == "2025-03-04T05:06:07Z"
        assert record["status"] == finding.status.value


def test_newline_in_a_reason_stays_on_its_line(sample: ScanResult) -> None:
    finding = next(iter(sample.findings))._replace(**{"reason": "line one\nline two"})
    lines = render(result_of([finding])).splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["reason"] == "line one\nline two"


def test_no_findings_writes_nothing() -> None:
    assert render(result_of([])) == ""
