"""`--only-failing` and `--min-severity`: file reports that list fewer findings.

The scores and counts stay those of the whole scan (they are the scoreboard's); only the
findings a report lists are limited, and the report's boundary records how.
"""

from __future__ import annotations

import dataclasses

from scanner.findings import Severity, Status
from scanner.report import FindingStore, ScanResult

LISTED_WHEN_FAILING = (Status.FAIL, Status.UNKNOWN)
"""What `--only-failing` keeps: the findings that need action (a failure, or a gap)."""


def filtered(result: ScanResult, *, only_failing: bool = False,
             min_severity: Severity | str | None = None) -> ScanResult:
    """`result` with only the findings these filters keep (in report order)."""
    statuses = LISTED_WHEN_FAILING if only_failing else None
    severities = None
    if min_severity is not None:
        floor = Severity(min_severity)
        severities = tuple(s for s in Severity if s.at_least(floor))
    store = FindingStore(result.framework,
                         result.findings.select(statuses=statuses, severities=severities))
    listed = {k: v for k, v in (("only_failing", only_failing),
                                ("min_severity", Severity(min_severity).value
                                 if min_severity else None)) if v}
    meta = dataclasses.replace(result.meta, boundary={**result.meta.boundary,
                                                      "findings_listed": listed})
    return dataclasses.replace(result, meta=meta, findings=store)
