"""The JSON report: the whole document, its schema, and a 50,000-finding stream."""

from __future__ import annotations

import io
import json
import time
from datetime import datetime

from jsonschema import Draft202012Validator

from scanner.findings import Status
from scanner.report import ScanResult
from scanner.reporters.json_report import write_json
from scanner.reporters.schema import report_schema
from tests.reporters.conftest import (
    SA_PASS,
    SUB,
    SUBSCRIPTION,
    TENANT,
    finding,
    result_of,
    sample_findings,
)


def render(result: ScanResult) -> str:
    stream = io.StringIO()
    write_json(result, stream)
    return stream.getvalue()


def test_whole_document(sample: ScanResult) -> None:
    document = json.loads(render(sample))
    assert document == {
        "schema_version": "1.2.0",
        "scan": {
            "tool": "cjis-scan",
            "tool_version": "0.1.0",
            "framework": {"id": "cjis-6.0", "title": "FBI CJIS Security Policy 6.0 (Azure)"},
            "cloud": "commercial",
            "profile": "commercial",
            "tenant_id": TENANT,
            "subscriptions": [{"subscription_id": SUB, "display_name": "Agency"}],
            "started_at": "2025-03-04T05:06:07Z",
            "finished_at": "2025-03-04T05:06:19.500000Z",
            "duration_seconds": 12.5,
            "source": "demo",
            "inventory_source": None,  # a hand-made result: no collection recorded it
            "checks_run": sorted({f.check_id for f in sample_findings()}),
            "boundary": {"subscriptions": [SUB], "steps": ["1", "2"]},
            "outcome": None,
            "collected_at": None,  # evidence integrity (scanner/integrity.py)
            "input_sha256": None,
        },
        "scores": {
            "overall": {"pass": 3, "fail": 3, "unknown": 2, "not_applicable": 1, "manual": 1,
                        "waived": 1, "score": 0.375},
            "steps": [
                {"step": "1", "title": "Data residency", "pass": 2, "fail": 1, "unknown": 1,
                 "not_applicable": 0, "manual": 0, "waived": 0, "score": 0.5},
                {"step": "2", "title": "Customer-managed keys", "pass": 1, "fail": 2,
                 "unknown": 1, "not_applicable": 1, "manual": 1, "waived": 1, "score": 0.25},
            ],
            # The built-in framework's sections are its steps: the same counts, depth 0.
            "sections": [
                {"id": "1", "title": "Data residency", "parent": None, "depth": 0,
                 "pass": 2, "fail": 1, "unknown": 1, "not_applicable": 0, "manual": 0,
                 "waived": 0, "score": 0.5},
                {"id": "2", "title": "Customer-managed keys", "parent": None, "depth": 0,
                 "pass": 1, "fail": 2, "unknown": 1, "not_applicable": 1, "manual": 1,
                 "waived": 1, "score": 0.25},
            ],
        },
        "summary": {
            "findings": 11,
            "by_status": {"pass": 3, "fail": 3, "unknown": 2, "not_applicable": 1,
                          "manual": 1, "waived": 1},
            "by_severity_failing": {"critical": 1, "high": 2, "medium": 0, "low": 0,
                                    "info": 0},
        },
        "errors": [{
            "scope": SUBSCRIPTION,
            "collector": "policy_assignments",
            "status": 403,
            "code": "AuthorizationFailed",
            "message": "The client does not have authorization",
            "remedy": "Reader on the subscription",
        }],
        "coverage": [],
        "findings": [f.to_json_dict() for f in sample_findings()],
    }
    # Key order is part of what a person reading the file sees first.
    assert list(document) == ["schema_version", "scan", "scores", "summary", "errors",
                              "coverage", "findings"]


def test_one_finding_per_line(sample: ScanResult) -> None:
    text = render(sample)
    lines = text.splitlines()
    finding_lines = [line for line in lines if line.startswith('    {"fingerprint": ')]
    assert len(finding_lines) == len(sample.findings)
    for line, expected in zip(finding_lines, sample.findings, strict=True):
        assert json.loads(line.rstrip(",")) == expected.to_json_dict()
    assert text.endswith('\n  ]\n}\n')


def test_validates_against_schema(sample: ScanResult) -> None:
    document = json.loads(render(sample))
    Draft202012Validator.check_schema(report_schema())
    Draft202012Validator(report_schema()).validate(document)


def test_empty_scan_is_valid() -> None:
    text = render(result_of([]))
    document = json.loads(text)
    Draft202012Validator(report_schema()).validate(document)
    assert document["findings"] == []
    assert text.endswith('"findings": []\n}\n')
    assert document["scores"] == {
        "overall": {"pass": 0, "fail": 0, "unknown": 0, "not_applicable": 0, "manual": 0,
                    "waived": 0, "score": None},
        "steps": [],
        "sections": [],
    }


def test_naive_and_offset_times_are_written_in_utc() -> None:
    from datetime import timedelta, timezone

    est = timezone(timedelta(hours=-5))
    result = result_of([], started_at=datetime(2025, 3, 4, 0, 6, 7, tzinfo=est),
                       finished_at=datetime(2025, 3, 4, 5, 6, 8))
    scan = json.loads(render(result))["scan"]
    assert scan["started_at"] == "2025-03-04T05:06:07Z"
    assert scan["finished_at"] == "2025-03-04T05:06:08Z"
    assert scan["duration_seconds"] == 1.0


def test_only_steps_with_findings_in_framework_order() -> None:
    transit = finding("transit.storage_https_only", "storage_account_https_only", SA_PASS,
                      Status.PASS, "https only")
    logging = finding("logging.retention", "workspace_retention_365_days", SA_PASS,
                      Status.FAIL, "30 days")
    steps = json.loads(render(result_of([logging, transit])))["scores"]["steps"]
    assert [(s["step"], s["title"]) for s in steps] == [
        ("5", "Continuous monitoring"), ("transit", "Transit and exposure")]


class LargestWrite(io.StringIO):
    """A stream that remembers the longest single write it received."""

    largest = 0

    def write(self, text: str) -> int:
        self.largest = max(self.largest, len(text))
        return super().write(text)


def test_fifty_thousand_findings_stream_fast() -> None:
    template = finding("cmk.storage_account", "storage_account_cmk_encryption", SA_PASS,
                       Status.FAIL, "encrypted with Microsoft-managed keys",
                       evidence={"encryption": {"keySource": "Microsoft.Storage"}})
    findings = [
        template._replace(**{"resource_id": f"{SA_PASS}{i:05d}",
                                    "fingerprint": f"{i:032x}"})
        for i in range(50_000)
    ]
    stream = LargestWrite()
    started = time.perf_counter()
    write_json(result_of(findings), stream)
    elapsed = time.perf_counter() - started
    assert elapsed < 5, f"50,000 findings took {elapsed:.1f} s"
    # Streamed: no write is bigger than the header or one finding, never the whole report.
    assert stream.largest < 5_000
    document = json.loads(stream.getvalue())
    # jsonschema takes ~10 s over 50,000 findings: check the shape on the ends only
    # (every finding is serialised by the same line of code).
    ends = {**document, "findings": [document["findings"][0], document["findings"][-1]]}
    Draft202012Validator(report_schema()).validate(ends)
    assert len(document["findings"]) == 50_000
    assert document["summary"]["by_severity_failing"]["critical"] == 50_000
    assert document["findings"][-1]["resource_id"].endswith("49999")
