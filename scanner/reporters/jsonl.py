"""JSON Lines (`cjis-scan-findings.jsonl`): one finding per line, each line self-contained.

Made for ticketing and log pipelines that take one record at a time: each line is the
finding's JSON object (as in the JSON report) plus `scan_started_at`, `tenant_id` and
`scan_outcome` (the run's verdict, exit code and --fail-on), so a line read alone still
says which scan of which tenant produced it, and what that scan concluded. The
`fingerprint` is the key to dedupe and close tickets on.
"""

from __future__ import annotations

import json
from typing import TextIO

from scanner.finding_store import ScanResult
from scanner.reporters.base import FileReporter, FindingJson, ReportFormat, iso_utc, outcome_of

FILENAME = "cjis-scan-findings.jsonl"


def write_jsonl(result: ScanResult, stream: TextIO) -> None:
    """Write one JSON object per finding of `result` to `stream`, in report order."""
    # The finding's object with two more keys: its closing brace moves to after them.
    decided = outcome_of(result)
    extra = json.dumps({"scan_started_at": iso_utc(result.meta.started_at),
                        "tenant_id": result.meta.tenant_id,
                        "scan_outcome": {k: decided.get(k)
                                         for k in ("verdict", "exit_code", "fail_on")}})
    tail = ", " + extra[1:] + "\n"
    encode = FindingJson()
    for finding in result.findings:
        # JSON escapes newlines inside strings, so a record never spans two lines.
        stream.write(encode(finding)[:-1])
        stream.write(tail)


REPORTER = FileReporter(format=ReportFormat.JSONL, filename=FILENAME, write=write_jsonl)
