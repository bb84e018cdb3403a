"""What every reporter shares: the format names, the reporter shapes, private file output.

Reporters know findings and nothing of Azure or of the checks: each one turns a
`ScanResult` into one output. A console reporter draws on a rich `Console`; a file
reporter writes one named file into the output directory through a text stream.

Reporters stream: findings are read from the result's packed store (in report order,
as many passes as needed), counts come from its scoreboard, and nothing holds every
finding at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from pydantic_core import to_jsonable_python
from rich.console import Console

from scanner.errors import UsageError
from scanner.finding_store import ScanResult
from scanner.findings import Finding, Severity
from scanner.output_files import AtomicPrivateFile


class ReportFormat(StrEnum):
    """An output format of `scan --format` (typer shows the values as choices).

    Adding a format: one member here, one module exposing a `REPORTER`, and one arm in
    `scanner.reporters.reporter_for` (mypy's `assert_never` points at it if forgotten).
    """

    CONSOLE = "console"
    JSON = "json"
    JSONL = "jsonl"
    HTML = "html"
    PACKET = "packet"
    CSV = "csv"
    JUNIT = "junit"
    OCSF = "ocsf"
    TICKETS = "tickets"  # ticket lifecycle events (scanner/reporters/tickets.py)


def parse_formats(value: str | Sequence[str]) -> list[ReportFormat]:
    """`"console,json"` (or a list of such strings) -> formats, in order, without repeats.

    An unknown name is a `UsageError` that lists the choices.
    """
    parts = [value] if isinstance(value, str) else list(value)
    names = [name.strip().lower() for part in parts for name in part.split(",")]
    formats: list[ReportFormat] = []
    for name in filter(None, names):
        try:
            fmt = ReportFormat(name)
        except ValueError:
            choices = ", ".join(f.value for f in ReportFormat)
            raise UsageError(f"unknown format {name!r}: choose from {choices}") from None
        if fmt not in formats:
            formats.append(fmt)
    return formats


@dataclass(frozen=True)
class ConsoleReporter:
    """A format drawn on the terminal."""

    format: ReportFormat
    render: Callable[[ScanResult, Console], None]
    """Draw the result on the console."""


@dataclass(frozen=True)
class ExtraFile:
    """Another file a format writes beside its main one (the audit packet's HTML)."""

    filename: str
    write: Callable[[ScanResult, TextIO], None]


@dataclass(frozen=True)
class FileReporter:
    """A format written as one file (or a few fixed files) into the output directory."""

    format: ReportFormat
    filename: str
    """Fixed name inside the output directory, so scheduled jobs know where to look."""
    write: Callable[[ScanResult, TextIO], None]
    """Write the result to a text stream (a file, or a `StringIO` in tests)."""
    extra_files: tuple[ExtraFile, ...] = ()
    """Files written after `filename`, each the same way (fixed name, mode 0o600)."""

    def files(self) -> list[tuple[str, Callable[[ScanResult, TextIO], None]]]:
        """(file name, writer) of every file of the format, the main one first."""
        return [(self.filename, self.write),
                *((extra.filename, extra.write) for extra in self.extra_files)]


Reporter = ConsoleReporter | FileReporter


# Reports name every resource and every gap in a CJIS boundary: nobody but the owner
# should read them, not even during the instant between create and chmod.
FILE_MODE = 0o600
DIR_MODE = 0o700


def ensure_output_dir(output_dir: Path) -> None:
    """Create `output_dir` (mode 0o700) if it is missing.

    An existing directory keeps its mode: `--output .` must not chmod the user's
    working directory.
    """
    output_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)


def open_private(path: Path) -> TextIO:
    """Open `path` for writing UTF-8 text, readable by the owner only from its first byte.

    Atomic (scanner.output_files): the text goes to a 0o600 temporary file beside `path`
    that replaces it when the `with` block ends without an exception, so a reader never
    sees a partial report and an interrupt leaves the previous complete one. An existing
    report is replaced (and so becomes 0o600); a symlink planted at `path` is refused
    instead of followed.
    """
    return AtomicPrivateFile(path)


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso_utc(moment: datetime) -> str:
    """ISO-8601 in UTC with a `Z` suffix (as pydantic writes a UTC datetime)."""
    return as_utc(moment).isoformat().replace("+00:00", "Z")


_json_string = json.encoder.encode_basestring_ascii  # what json.dumps uses (ensure_ascii)
_json_value = json.JSONEncoder().encode
_RULE_KEYS = ("framework", "requirement_id", "step", "controls", "check_id", "title",
              "severity")


def _json(value: Any) -> str:
    return _json_string(value) if type(value) is str else _json_value(value)


class FindingJson:
    """`json.dumps(finding.to_json_dict())`, byte for byte, in about 60% of the time.

    The machine-readable reports write every finding as this text. What all findings of
    one requirement x check share (ids, step, controls, title, severity, remediation: a
    third of the text or more) is encoded once, from `to_json_dict`, and reused; the
    rest is encoded per finding with the encoders `json.dumps` itself uses. One instance
    per report (it remembers the shared parts it has seen).
    """

    def __init__(self) -> None:
        self._rules: dict[tuple[Any, ...], tuple[str, str]] = {}

    def __call__(self, finding: Finding) -> str:
        """The finding's JSON object as one line of text."""
        key = (finding.framework, finding.requirement_id, finding.step, finding.controls,
               finding.check_id, finding.title, finding.severity, finding.remediation)
        parts = self._rules.get(key)
        if parts is None:
            record = finding.to_json_dict()
            shared = json.dumps({k: record[k] for k in _RULE_KEYS})[1:-1]
            parts = self._rules[key] = (
                f", {shared}, \"status\": ",
                f', "remediation": {json.dumps(record["remediation"])}, "waiver": ')
        after_fingerprint, after_evidence = parts
        waiver = finding.waiver
        return "".join((
            '{"fingerprint": ', _json(finding.fingerprint), after_fingerprint,
            _json(finding.status.value), ', "resource_id": ', _json(finding.resource_id),
            ', "resource_type": ', _json(finding.resource_type),
            ', "subscription_id": ', _json(finding.subscription_id),
            ', "location": ', _json(finding.location), ', "reason": ', _json(finding.reason),
            ', "evidence": ', _json_value(to_jsonable_python(finding.evidence)),
            after_evidence,
            "null" if waiver is None else _json_value(to_jsonable_python(waiver)), "}"))


def scored_steps(result: ScanResult) -> list[str]:
    """Steps that have findings: in framework order, then any step the framework lacks."""
    board = result.scoreboard.steps
    known = [step.id for step in result.framework.steps]
    # A step the framework does not name should not happen; if one does, its counts stay
    # visible after the known steps rather than being dropped.
    return [s for s in known if s in board] + sorted(s for s in board if s not in known)


def outcome_of(result: ScanResult) -> dict[str, object]:
    """The run's outcome as every report records it: the one decided before the reports
    were written, or, for a result judged without one (built by hand), the default
    --fail-on with every unknown counted as a gap when scopes could not be read."""
    if result.meta.outcome:
        return result.meta.outcome
    from scanner.outcome import decide

    unknown = result.scoreboard.overall.counts.get("unknown", 0) if result.errors else 0
    return decide(result.scoreboard, result.errors, Severity.HIGH, unknown, False).as_dict()
