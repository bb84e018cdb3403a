"""JSON Lines (`cjis-scan-findings.jsonl`): one finding per line, each line self-contained.

Made for ticketing and log pipelines that take one record at a time: each line is the
finding's JSON object (as in the JSON report) plus `scan_started_at` and `tenant_id`,
so a line read alone still says which scan of which tenant produced it. The
`fingerprint` is the key to dedupe and close tickets on.
"""

from __future__ import annotations

import json
from typing import TextIO

from scanner.finding_store import ScanResult
from scanner.reporters.base import FileReporter, FindingJson, ReportFormat, iso_utc

FILENAME = "cjis-scan-findings.jsonl"


def write_jsonl(result: ScanResult, stream: TextIO) -> None:
    """Write one JSON object per finding of `result` to `stream`, in report order."""
    # The finding's object with two more keys: its closing brace moves to after them.
    extra = json.dumps({"scan_started_at": iso_utc(result.meta.started_at),
                        "tenant_id": result.meta.tenant_id})
    tail = ", " + extra[1:] + "\n"
    encode = FindingJson()
    for finding in result.findings:
        # JSON escapes newlines inside strings, so a record never spans two lines.
        stream.write(encode(finding)[:-1])
        stream.write(tail)


REPORTER = FileReporter(format=ReportFormat.JSONL, filename=FILENAME, write=write_jsonl)
