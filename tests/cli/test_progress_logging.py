"""Progress that never jumps back, a heartbeat off a terminal, JSON logs, --debug requests."""

from __future__ import annotations

import io
import json
import logging
import time

import pytest
from rich.console import Console

from scanner.cli_run import JsonFormatter, setup_logging
from scanner.debug_http import redact_url
from scanner.progress import Progress
from tests.cli.test_scan_cli import cli


def test_collecting_counts_only_grow_and_phases_have_their_own_totals() -> None:
    progress = Progress(Console(file=io.StringIO()), heartbeat=0)
    seen = []
    for done, known in ((1, 10), (2, 14), (3, 12), (5, 30)):  # what the runner reports
        progress.collected("x", done, known)
        seen.append(progress._state.done)
    assert seen == sorted(seen)
    assert "reads done" in progress.counts() and "/" not in progress.counts()
    progress.phase("judging", total=40)
    progress.advance("check")
    assert progress.counts() == "1/40"
    progress.phase("writing reports", total=2)
    assert progress.counts() == "0/2"


def test_a_heartbeat_line_is_written_off_a_terminal() -> None:
    stream = io.StringIO()
    with Progress(Console(file=io.StringIO()), heartbeat=0.05, stream=stream) as progress:
        progress.phase("collecting")
        progress.collected("storage_accounts /subscriptions/x", 3, 7)
        time.sleep(0.3)
    lines = stream.getvalue().splitlines()
    assert lines and lines[-1].startswith("cjis-scan: collecting: 3 reads done, 4 waiting (")


def test_the_heartbeat_as_json() -> None:
    stream = io.StringIO()
    progress = Progress(Console(file=io.StringIO()), heartbeat=0, log_format="json",
                        stream=stream)
    progress.phase("judging", total=5)
    progress.advance()
    progress.emit_line()
    record = json.loads(stream.getvalue())
    assert record["phase"] == "judging" and record["done"] == 1 and record["total"] == 5


def test_quiet_and_terminal_show_no_heartbeat() -> None:
    assert Progress(Console(file=io.StringIO()), quiet=True).heartbeat == 0
    terminal = Progress(Console(file=io.StringIO(), force_terminal=True), heartbeat=5)
    assert terminal.interactive and terminal.heartbeat == 0


def test_json_log_lines() -> None:
    record = logging.LogRecord("scanner.x", logging.WARNING, __file__, 1, "read %s failed",
                               ("vaults",), None)
    record.status = 403
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "warning" and line["message"] == "read vaults failed"
    assert line["status"] == 403 and line["logger"] == "scanner.x"


@pytest.mark.parametrize("url, shown", [
    ("https://management.azure.com/subscriptions/s/providers/Microsoft.Storage/storageAccounts"
     "?api-version=2026-09-01&$skipToken=SECRETPAGE",
     "https://management.azure.com/subscriptions/s/providers/Microsoft.Storage/storageAccounts"
     "?api-version=2026-09-01 (+query)"),
    ("https://graph.microsoft.com/v1.0/policies/authenticationMethodsPolicy",
     "https://graph.microsoft.com/v1.0/policies/authenticationMethodsPolicy"),
])
def test_debug_urls_are_redacted(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_debug_logs_each_request_with_its_timing() -> None:
    result = cli("scan", "--demo", "--quiet", "--step", "4", "--debug", "--log-format", "json",
                 "--summary")
    assert result.exit_code in (0, 1), result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    requests = [r for r in lines if r.get("logger") == "cjis_scan.http"]
    assert requests, lines[:3]
    assert all(r["method"] == "GET" and isinstance(r["ms"], float) for r in requests)
    assert any("graph.microsoft.com/v1.0/policies/authenticationMethodsPolicy" in r["url"]
               for r in requests)
    assert not any("Bearer" in json.dumps(r) or "authorization" in json.dumps(r).lower()
                   for r in requests)
    setup_logging(False)
