"""Reporters: a finished scan (`ScanResult`) -> the console and report files.

One module per format, each exposing a `REPORTER` (a `ConsoleReporter` or a
`FileReporter`); `write_reports` composes them. Reporters know findings and nothing of
Azure or of the checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import assert_never

from rich.console import Console

from scanner.errors import UsageError
from scanner.report import ScanResult
from scanner.reporters.base import (
    ConsoleReporter,
    FileReporter,
    Reporter,
    ReportFormat,
    ensure_output_dir,
    open_private,
    parse_formats,
)

__all__ = [
    "ConsoleReporter",
    "FileReporter",
    "ReportFormat",
    "Reporter",
    "parse_formats",
    "reporter_for",
    "write_reports",
]


def reporter_for(fmt: ReportFormat) -> Reporter:
    """The reporter of `fmt`. A format without an arm here is a mypy error (assert_never)."""
    # Imported here so a scan loads only the formats it writes (later ones bring heavier
    # dependencies), and so `python -m scanner.reporters.schema` runs without this
    # package having imported that module first.
    match fmt:
        case ReportFormat.CONSOLE:
            from scanner.reporters import console

            return console.REPORTER
        case ReportFormat.JSON:
            from scanner.reporters import json_report

            return json_report.REPORTER
        case ReportFormat.JSONL:
            from scanner.reporters import jsonl

            return jsonl.REPORTER
        case ReportFormat.HTML:
            from scanner.reporters import html_report

            return html_report.REPORTER
        case ReportFormat.PACKET:
            from scanner.reporters import packet

            return packet.REPORTER
        case ReportFormat.CSV:
            from scanner.reporters import csv_report

            return csv_report.REPORTER
        case ReportFormat.JUNIT:
            from scanner.reporters import junit

            return junit.REPORTER
        case ReportFormat.OCSF:
            from scanner.reporters import ocsf

            return ocsf.REPORTER
        case ReportFormat.TICKETS:
            from scanner.reporters import tickets

            return tickets.REPORTER
        case _:
            assert_never(fmt)


def write_reports(result: ScanResult, formats: list[ReportFormat], output_dir: Path | None,
                  console: Console) -> list[Path]:
    """Print and write `result` in each of `formats`; return the paths of the files written.

    The console format prints on `console`; each file format writes its fixed file name(s)
    into `output_dir`, created (mode 0o700) if missing, each file created mode 0o600.
    A file format without `output_dir` is a `UsageError`, raised before anything is
    printed or written. Every format reads the findings in the same report order (the
    store's, see `scanner.report.FindingStore`). A format named twice is written once.
    """
    reporters = [reporter_for(fmt) for fmt in dict.fromkeys(formats)]
    file_reporters = [r for r in reporters if isinstance(r, FileReporter)]
    if file_reporters and output_dir is None:
        raise UsageError(f"--format {file_reporters[0].format.value} needs --output DIR")

    if output_dir is not None and file_reporters:
        # Before the console report, so a bad --output is the first thing the user sees.
        try:
            ensure_output_dir(output_dir)
        except OSError as exc:
            raise UsageError(f"cannot create output directory {output_dir}: "
                             f"{exc.strerror or exc}") from None

    written: list[Path] = []
    for reporter in reporters:
        if isinstance(reporter, ConsoleReporter):
            reporter.render(result, console)
            continue
        assert output_dir is not None  # checked above, before any output
        for filename, write in reporter.files():
            path = output_dir / filename
            try:
                stream = open_private(path)
            except OSError as exc:
                raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
            with stream:
                write(result, stream)
            written.append(path)
    return written
