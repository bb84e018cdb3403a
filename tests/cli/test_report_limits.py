"""File reports limited by --only-failing and --min-severity; the scores stay whole."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.cli.test_scan_cli import cli

SEVERE = ("critical", "high")


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("full")
    assert cli("scan", "--demo", "-q", "--format", "json", "-o", str(out)).exit_code == 1
    report: dict[str, object] = json.loads((out / "cjis-scan-report.json").read_text())
    return report


def test_only_failing_lists_fail_and_unknown_and_keeps_the_scores(
        tmp_path: Path, full: dict[str, object]) -> None:
    result = cli("scan", "--demo", "-q", "--only-failing", "--format", "json,csv,console",
                 "-o", str(tmp_path))
    assert result.exit_code == 1
    report = json.loads((tmp_path / "cjis-scan-report.json").read_text())
    assert {f["status"] for f in report["findings"]} == {"fail", "unknown"}
    assert report["scores"] == full["scores"]  # the whole scan is scored
    assert report["scan"]["boundary"]["findings_listed"] == {"only_failing": True}
    with (tmp_path / "cjis-scan-findings.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(report["findings"])
    assert "Overall" in result.output and "pass" in result.output  # console is whole


def test_min_severity_lists_only_severe_findings(tmp_path: Path,
                                                 full: dict[str, object]) -> None:
    result = cli("scan", "--demo", "-q", "--min-severity", "high", "--format", "json",
                 "-o", str(tmp_path))
    assert result.exit_code == 1
    report = json.loads((tmp_path / "cjis-scan-report.json").read_text())
    severities = {f["severity"] for f in report["findings"]}
    assert severities and severities <= set(SEVERE)
    expected = [f["fingerprint"] for f in full["findings"]  # type: ignore[attr-defined]
                if f["severity"] in SEVERE]
    assert [f["fingerprint"] for f in report["findings"]] == expected


def test_a_bad_min_severity_is_a_usage_error() -> None:
    result = cli("scan", "--demo", "--min-severity", "urgent")
    assert result.exit_code == 2 and "urgent" in result.output
