"""What `cjis-scan scan` does with `--history`, `--baseline` and `--fail-on-new`.

Called by the scan command after judging and before the reports are written, so the
reports (HTML trend and diff section, ticket events) see this run's place in history.
A history that cannot be opened or written never stops the reports: its error is kept
and the command exits 2 after they are written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.errors import InputFileError, UsageError
from scanner.findings import Severity
from scanner.history.diff import Diff, Entry, Snapshot, diff, snapshot_of
from scanner.report import ScanResult

if TYPE_CHECKING:  # the store loads SQLAlchemy: only a scan with --history pays for it
    from scanner.history.store import RunInfo

TREND_RUNS = 12
"""Runs the HTML trend shows (the newest, oldest first)."""


@dataclass
class HistoryView:
    """This scan's place in its history, for the reporters."""

    diff: Diff | None = None
    """Changes since the baseline (or the previous run of the series)."""
    run_id: int | None = None
    """This scan's run id, when it was recorded."""
    trend: list[RunInfo] = field(default_factory=list)
    """The series' last runs, oldest first, this one included."""
    target: str | None = None
    """The history's label (a PostgreSQL URL without its password)."""
    error: str | None = None
    """Why the history could not be used (the scan exits 2 after its reports)."""


def verdict_code(result: ScanResult, fail_on: Severity, allow_partial: bool) -> int:
    """The exit code the scan will end with (recorded with the run): see cli.py."""
    if any(e.code == "ReadOnlyGuard" for e in result.errors):
        return 5
    if result.scoreboard.failing_at_least(fail_on):
        return 1
    return 3 if result.errors and not allow_partial else 0


def load_report_baseline(path: Path) -> tuple[Snapshot, datetime | None, str | None]:
    """(snapshot, scan time, tenant id) of a saved JSON report (`cjis-scan-report.json`)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        scan = document["scan"]
        started = datetime.fromisoformat(scan["started_at"].replace("Z", "+00:00"))
        snapshot = {f["fingerprint"]: Entry(f["status"], f["severity"], f["reason"],
                                            f["resource_id"], f["check_id"],
                                            f["requirement_id"], f["step"], started)
                    for f in document["findings"]}
    except OSError as exc:
        raise InputFileError(f"cannot read baseline {path}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputFileError(f"baseline {path} is not a cjis-scan JSON report "
                             f"(cjis-scan-report.json): {type(exc).__name__}: {exc}") from None
    return snapshot, started, scan.get("tenant_id")


def check_fail_on_new(value: str | None) -> None:
    """`--fail-on-new` must name a severity."""
    if value is not None and value not in {s.value for s in Severity}:
        raise UsageError(f"--fail-on-new {value!r}: choose a severity "
                         f"({', '.join(s.value for s in Severity)})")


def check_options(baseline: str | None, target: str | None, fail_on_new: str | None) -> None:
    """Usage errors of `--baseline` and `--fail-on-new`, raised before anything is
    collected."""
    check_fail_on_new(fail_on_new)
    if baseline is None:
        return
    if baseline.isdigit():
        if target is None:
            raise UsageError(f"--baseline {baseline}: a run id needs --history")
    elif not Path(baseline).is_file():
        raise UsageError(f"--baseline {baseline!r}: no such report file (give a "
                         f"cjis-scan-report.json or a run id of --history)")


def attach_history(result: ScanResult, target: str | None, baseline: str | None,
                   exit_code: int) -> HistoryView | None:
    """Record the scan in `target` (if given), diff it against `baseline` (a report file
    or a run id) or the previous run, and set `result.history`. Usage errors (a bad
    baseline) raise; history faults are kept in the view's `error`."""
    if target is None and baseline is None:
        return None
    view = HistoryView()
    result.history = view
    started = result.meta.started_at
    before: tuple[Snapshot, datetime | None, str] | None = None
    check_options(baseline, target, None)
    if baseline is not None and not baseline.isdigit():
        path = Path(baseline)
        snapshot, when, tenant = load_report_baseline(path)
        if (tenant or "").lower() != (result.meta.tenant_id or "").lower():
            raise UsageError(f"--baseline {path} is a scan of tenant {tenant}, this scan is "
                             f"of tenant {result.meta.tenant_id}: they cannot be compared")
        before = (snapshot, when, f"report {path.name}")
    if target is not None:
        from scanner.history.connect import HistoryError

        try:
            recorded = _record(result, target, baseline, exit_code, view)
        except HistoryError as exc:
            view.error = str(exc)
        else:
            if before is None:  # a report baseline, when given, is what the diff is from
                view.diff = recorded
    if before is not None:
        current = snapshot_of(result.findings, started)
        snapshot, when, label = before
        _first_seen_from(snapshot, current)
        view.diff = diff(snapshot, current, label, "this scan", when, started)
    return view


def _first_seen_from(before: Snapshot, after: Snapshot) -> None:
    """Carry first-seen times (and reopen flags) forward to the later snapshot."""
    for fp, entry in after.items():
        old = before.get(fp)
        if old is not None:
            after[fp] = entry._replace(first_seen=old.first_seen or entry.first_seen,
                                       was_open=old.was_open or old.status in ("fail",
                                                                               "unknown"))


def _record(result: ScanResult, target: str, baseline: str | None, exit_code: int,
            view: HistoryView) -> Diff | None:
    """Record the run; the diff from the baseline run (or the series' previous run)."""
    from scanner.attestations import attested_count
    from scanner.history.store import HistoryStore

    store = HistoryStore(target)
    view.target = store.label  # never the URL itself: it may hold a password
    try:
        series_id = store.series_of(result)
        base: RunInfo | None = None
        if baseline is not None and baseline.isdigit():
            base = store.run(int(baseline))
            if base.series_id != series_id:
                raise UsageError(f"--baseline {baseline}: run {baseline} is of another tenant "
                                 f"or boundary ({base.tenant_id}, {base.boundary or 'all'})")
        elif baseline is None and series_id is not None:
            latest = store.runs(series_id=series_id, limit=1)
            base = latest[0] if latest else None
        view.run_id = store.record(result, exit_code, attested_count(result))
        this_run = store.run(view.run_id)
        view.trend = list(reversed(store.runs(series_id=this_run.series_id,
                                              limit=TREND_RUNS)))
        if base is None:
            return None
        changes = store.diff(base, this_run)
        changes.to_label = f"this scan (run {this_run.id})"
        return changes
    finally:
        store.close()


def new_failing(result: ScanResult, severity: str) -> bool:
    """`--fail-on-new`: True when the diff has a new or regressed failing finding at or
    above `severity` (no baseline: every failing finding is new)."""
    level = Severity(severity)
    view = result.history
    if view is None or view.diff is None:
        return bool(result.scoreboard.failing_at_least(level))
    return bool(view.diff.new_failing(level))


def summary(result: ScanResult) -> str | None:
    """One line for the terminal: the run recorded and what changed since the baseline."""
    view = result.history
    if view is None or view.error:
        return None
    parts = [f"recorded as run {view.run_id} in {view.target}"] if view.run_id else []
    if view.diff is not None:
        counts = view.diff.counts()
        parts.append(f"since {view.diff.from_label}: {counts['new']} new, "
                     f"{counts['regressed']} regressed, {counts['resolved']} resolved, "
                     f"{counts['unchanged']} unchanged")
    return "history: " + "; ".join(parts) if parts else None


def history_error(result: ScanResult) -> str | None:
    view = result.history
    return None if view is None else view.error
