"""CSV (`cjis-scan-findings.csv`): one row per finding, for spreadsheets and ticket imports.

RFC 4180 through the `csv` module: a header row, comma-separated, CRLF line endings,
fields holding commas, quotes or line breaks quoted (quotes doubled). The columns and
their order are fixed (`COLUMNS`), so an import mapping made once keeps working. Lists
(`controls`) are joined with `;`; `evidence` and `waiver` are compact JSON.

Formula injection: a spreadsheet treats a cell that starts with `=`, `+`, `-` or `@`
(or a tab or carriage return, which some strip first) as a formula, and a resource
name, tag or reason text comes from the tenant, not from the scanner. Every such cell
gets a leading apostrophe (`'=...`), the OWASP-recommended neutralisation: spreadsheets
show the text as typed, and a program reading the CSV can strip the one apostrophe.
"""

from __future__ import annotations

import csv
import json
from typing import Any, TextIO

from scanner.finding_store import ScanResult
from scanner.findings import Finding
from scanner.reporters.base import FileReporter, ReportFormat, outcome_of

FILENAME = "cjis-scan-findings.csv"

COLUMNS = (
    "fingerprint", "framework", "requirement_id", "step", "controls", "check_id", "title",
    "severity", "status", "resource_id", "resource_type", "subscription_id", "location",
    "reason", "remediation_summary", "remediation_cli", "remediation_docs", "evidence",
    "waiver", "scan_verdict", "scan_exit_code", "scan_fail_on",
)
"""The header row, in order. New columns are only ever appended. The last three are the
run's outcome (the same on every row: a row read alone, or a spreadsheet filtered down
to one, still says whether the scan passed, its exit code and the --fail-on in force)."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """`value` with a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def row_of(finding: Finding, outcome: tuple[str, ...] = ("", "", "")) -> list[str]:
    """The CSV cells of one finding, in `COLUMNS` order, neutralised; `outcome` is the
    run's (verdict, exit code, fail_on)."""
    remediation = finding.remediation
    cells = [
        finding.fingerprint, finding.framework, finding.requirement_id, finding.step,
        ";".join(finding.controls), finding.check_id, finding.title,
        finding.severity.value, finding.status.value, finding.resource_id,
        finding.resource_type, finding.subscription_id or "", finding.location or "",
        finding.reason, remediation.summary, remediation.cli or "", remediation.docs or "",
        _compact(finding.evidence) if finding.evidence else "",
        _compact(finding.waiver) if finding.waiver else "", *outcome,
    ]
    return [neutralise(cell) for cell in cells]


def write_csv(result: ScanResult, stream: TextIO) -> None:
    """Write the header and one row per finding of `result`, in report order."""
    writer = csv.writer(stream, dialect="excel", lineterminator="\r\n",
                        quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    decided = outcome_of(result)
    outcome = tuple(str(decided.get(k, "")) for k in ("verdict", "exit_code", "fail_on"))
    for finding in result.findings:
        writer.writerow(row_of(finding, outcome))


REPORTER = FileReporter(format=ReportFormat.CSV, filename=FILENAME, write=write_csv)
