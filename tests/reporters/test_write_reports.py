"""write_reports: the format dispatch, file names and modes, order and determinism."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest
from rich.console import Console

from scanner.errors import UsageError
from scanner.report import ScanResult
from scanner.reporters import (
    ConsoleReporter,
    FileReporter,
    ReportFormat,
    parse_formats,
    reporter_for,
    write_reports,
)
from tests.reporters.conftest import result_of, sample_error, sample_findings

ALL_FILES = [ReportFormat.JSON, ReportFormat.JSONL]


def quiet_console() -> Console:
    return Console(record=True, width=120, force_terminal=False, file=io.StringIO())


def test_every_format_has_a_reporter_of_its_own() -> None:
    reporters = [reporter_for(fmt) for fmt in ReportFormat]
    assert [r.format for r in reporters] == list(ReportFormat)
    files = [r.filename for r in reporters if isinstance(r, FileReporter)]
    assert len(files) == len(set(files))
    assert {r.format for r in reporters if isinstance(r, ConsoleReporter)} == {
        ReportFormat.CONSOLE}


def test_files_written_with_fixed_names(sample: ScanResult, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    console = quiet_console()
    paths = write_reports(sample, [ReportFormat.CONSOLE, *ALL_FILES], out, console)
    assert paths == [out / "cjis-scan-report.json", out / "cjis-scan-findings.jsonl"]
    assert "Verdict: FAIL" in console.export_text()
    assert len(json.loads(paths[0].read_text(encoding="utf-8"))["findings"]) == 11
    assert len(paths[1].read_text(encoding="utf-8").splitlines()) == 11


def test_console_only_needs_no_output_dir(sample: ScanResult) -> None:
    console = quiet_console()
    assert write_reports(sample, [ReportFormat.CONSOLE], None, console) == []
    assert "Scores by step" in console.export_text()


@pytest.mark.parametrize("fmt", ALL_FILES)
def test_file_format_without_output_dir_is_a_usage_error(sample: ScanResult,
                                                         fmt: ReportFormat) -> None:
    console = quiet_console()
    with pytest.raises(UsageError, match=f"--format {fmt.value} needs --output DIR"):
        write_reports(sample, [ReportFormat.CONSOLE, fmt], None, console)
    assert console.export_text() == ""  # refused before anything was printed


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_private_modes(sample: ScanResult, tmp_path: Path) -> None:
    out = tmp_path / "new" / "reports"
    paths = write_reports(sample, ALL_FILES, out, quiet_console())
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for path in paths:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_existing_readable_report_is_tightened_and_replaced(sample: ScanResult,
                                                            tmp_path: Path) -> None:
    old = tmp_path / "cjis-scan-report.json"
    old.write_text("x" * 100_000, encoding="utf-8")
    old.chmod(0o644)
    tmp_path.chmod(0o755)
    write_reports(sample, [ReportFormat.JSON], tmp_path, quiet_console())
    assert stat.S_IMODE(old.stat().st_mode) == 0o600
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755  # an existing dir is left alone
    json.loads(old.read_text(encoding="utf-8"))  # truncated, not appended to


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="needs O_NOFOLLOW")
def test_planted_symlink_is_not_followed(sample: ScanResult, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep me", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "cjis-scan-report.json").symlink_to(victim)
    with pytest.raises(UsageError, match="cannot write"):
        write_reports(sample, [ReportFormat.JSON], out, quiet_console())
    assert victim.read_text(encoding="utf-8") == "keep me"


def test_byte_identical_across_writes(sample: ScanResult, tmp_path: Path) -> None:
    first = write_reports(sample, ALL_FILES, tmp_path / "a", quiet_console())
    again = result_of(sample_findings(), [sample_error()])  # rebuilt from scratch
    second = write_reports(again, ALL_FILES, tmp_path / "b", quiet_console())
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes()


def test_findings_out_of_order_are_reported_in_report_order(sample: ScanResult,
                                                            tmp_path: Path) -> None:
    given = list(reversed(sample_findings()))
    shuffled = result_of(given, [sample_error()])
    assert [f.fingerprint for f in shuffled.findings] == [f.fingerprint for f in sample.findings]
    assert given[0].status.value == "manual"  # the caller's list is untouched

    (a,) = write_reports(sample, [ReportFormat.JSONL], tmp_path / "a", quiet_console())
    (b,) = write_reports(shuffled, [ReportFormat.JSONL], tmp_path / "b", quiet_console())
    assert a.read_bytes() == b.read_bytes()


def test_a_format_named_twice_is_written_once(sample: ScanResult, tmp_path: Path) -> None:
    console = quiet_console()
    paths = write_reports(sample, [ReportFormat.CONSOLE, ReportFormat.JSON,
                                   ReportFormat.CONSOLE, ReportFormat.JSON], tmp_path, console)
    assert paths == [tmp_path / "cjis-scan-report.json"]
    assert console.export_text().count("Verdict:") == 1


def test_parse_formats() -> None:
    assert parse_formats("console,json") == [ReportFormat.CONSOLE, ReportFormat.JSON]
    assert parse_formats(["json", " JSONL ,json", ""]) == [ReportFormat.JSON,
                                                          ReportFormat.JSONL]
    with pytest.raises(UsageError, match="unknown format 'xml': choose from console, json"):
        parse_formats("console,xml")
