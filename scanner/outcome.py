"""The outcome of a scan: its verdict, its exit code, and the one line that says both.

Decided once, before any report is written, so every report records the same `fail_on`,
verdict and exit code the process then returns (a CI gate and the assessor read one
answer). Exit codes (README, "Exit codes"): 0 nothing failing at or above --fail-on;
1 failing findings at or above it; 3 incomplete: a collection error made a selected
finding `unknown` (unless --allow-partial); 5 the read-only guard refused a request.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.engine import Scoreboard
from scanner.findings import Severity
from scanner.inventory import CollectionError


@dataclass(frozen=True)
class Outcome:
    """What the scan concluded, as every report records it."""

    fail_on: str
    verdict: str
    """`pass`, `fail`, `incomplete` or `refused` (the read-only guard)."""
    exit_code: int
    line: str
    """The verdict in words, as the console prints it last."""
    failing_gating: int
    """Failing findings at or above `fail_on`."""
    failing_below: int
    """Failing findings below `fail_on` (reported, not gating)."""
    unknown_from_errors: int
    """Selected findings a collection error made `unknown`."""

    def as_dict(self) -> dict[str, object]:
        """The fields reports write (`fail_on`, `verdict`, `exit_code`, and the counts)."""
        return {"fail_on": self.fail_on, "verdict": self.verdict, "exit_code": self.exit_code,
                "summary": self.line, "failing_gating": self.failing_gating,
                "failing_below_threshold": self.failing_below,
                "unknown_from_collection_errors": self.unknown_from_errors}


def decide(scoreboard: Scoreboard, errors: list[CollectionError], fail_on: Severity,
           unknown_from_errors: int, allow_partial: bool) -> Outcome:
    """The verdict and exit code of a judged scan."""
    gating = scoreboard.failing_at_least(fail_on)
    below = sum(scoreboard.failing.values()) - gating
    refused = [e for e in errors if e.code == "ReadOnlyGuard"]
    threshold = f"--fail-on {fail_on.value}"
    if refused:
        return Outcome(fail_on.value, "refused", 5,
                       f"ERROR: the read-only guard refused {len(refused)} request(s) "
                       "(a cjis-scan bug: please report it)", gating, below,
                       unknown_from_errors)
    if gating:
        line = f"FAIL: {gating} failing finding(s) at or above {threshold}"
        if below:
            line += f" ({below} more below it)"
        return Outcome(fail_on.value, "fail", 1, line, gating, below, unknown_from_errors)
    if unknown_from_errors and not allow_partial:
        return Outcome(fail_on.value, "incomplete", 3,
                       f"INCOMPLETE: {unknown_from_errors} finding(s) are unknown because "
                       "scopes could not be read (--allow-partial accepts this)",
                       gating, below, unknown_from_errors)
    if below:
        line = f"FAIL below the {threshold} threshold: not gating ({below} failing finding(s))"
    else:
        line = f"PASS: no failing finding at or above {threshold}"
    if unknown_from_errors:
        line += f"; {unknown_from_errors} unknown from unread scopes, accepted by --allow-partial"
    return Outcome(fail_on.value, "pass", 0, line, gating, below, unknown_from_errors)
