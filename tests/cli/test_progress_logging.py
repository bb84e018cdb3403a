"""Progress that never jumps back, a heartbeat off a terminal, JSON logs, --debug requests."""

from __future__ import annotations

import io
import json
import logging
import time

import pytest
from rich.console import Console

from scanner.cli_run import JsonFormatter, setup_logging
from scanner.collectors.tasks import CollectProgress
from scanner.debug_http import redact_url
from scanner.progress import Progress
from tests.cli.test_scan_cli import cli


def test_collecting_counts_only_grow_and_phases_have_their_own_totals() -> None:
    progress = Progress(Console(file=io.StringIO()), heartbeat=0)
    progress.phase("collecting")
    assert progress.counts() == "listing subscriptions"
    seen = []
    # What the runner reports: subscriptions first, then lists and follow-ups, updates
    # from worker threads arriving out of order.
    for lists, followups, waiting in ((0, 0, 0), (1, 0, 4), (3, 2, 9), (2, 1, 3), (5, 7, 0)):
        progress.collected(CollectProgress("x", subscriptions=2, lists_done=lists,
                                           lists_total=5, followups_done=followups,
                                           followups_waiting=waiting))
        seen.append((progress._state.lists_done, progress._state.followups_done))
    assert seen == sorted(seen)
    assert progress.counts() == "2 subscription(s); lists 5/5; follow-ups 7 done, 0 waiting"
    progress.phase("judging", total=40)
    progress.advance("check")
    assert progress.counts() == "1/40"
    progress.phase("writing reports", total=2)
    assert progress.counts() == "0/2"


def test_a_scan_reports_every_stage_of_collecting() -> None:
    """The runner tells the subscriptions, then lists out of a fixed total, then follow-ups."""
    from scanner.collectors.runner import collect
    from scanner.replay import demo_cassette, load_interactions
    from tests.conftest import factory_for

    updates: list[CollectProgress] = []
    collect(factory_for(load_interactions(demo_cassette())), concurrency=4,
            progress=updates.append)
    first, last = updates[0], updates[-1]
    assert first.what == "subscriptions" and first.subscriptions and first.lists_total
    assert {u.lists_total for u in updates} == {first.lists_total}
    assert last.lists_done == last.lists_total and last.followups_waiting == 0
    assert last.followups_done > 0
    assert all(u.subscriptions == first.subscriptions for u in updates)


def test_a_heartbeat_line_is_written_off_a_terminal() -> None:
    stream = io.StringIO()
    with Progress(Console(file=io.StringIO()), heartbeat=0.05, stream=stream) as progress:
        progress.phase("collecting")
        progress.collected(CollectProgress("storage_accounts /subscriptions/x", subscriptions=1,
                                           lists_done=3, lists_total=7))
        # Wait for the heartbeat thread's line (no timing asserted: a loaded machine may
        # take longer than the 0.05 s interval; the deadline only bounds a broken thread).
        deadline = time.monotonic() + 10
        while not stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
    lines = stream.getvalue().splitlines()
    assert lines and lines[-1].startswith(
        "cjis-scan: collecting: 1 subscription(s); lists 3/7; follow-ups 0 done, 0 waiting (")


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
