"""`--format tickets`: the lifecycle events a ticketing system consumes without a diff."""

from __future__ import annotations

import io
import json
from typing import Any

from scanner.findings import Finding, Severity, Status
from scanner.history.scanhook import attach_history
from scanner.reporters.tickets import write_tickets
from tests.history.conftest import f, run_at


def events_of(target: str, findings: list[Finding], day: int) -> dict[str, dict[str, Any]]:
    """Scan `findings` into history `target`; its ticket events by resource name."""
    result = run_at(findings, day=day)
    attach_history(result, target, None, exit_code=1)
    stream = io.StringIO()
    write_tickets(result, stream)
    return {e["resource_name"]: e for e in map(json.loads, stream.getvalue().splitlines())}


def test_the_lifecycle(target: str) -> None:
    first = events_of(target, [f("a", Status.FAIL), f("b", Status.PASS),
                               f("c", Status.UNKNOWN), f("d", Status.FAIL),
                               f("e", Status.FAIL, severity=Severity.MEDIUM)], day=0)
    assert {k: v["event"] for k, v in first.items()} == {
        "a": "opened", "c": "opened", "d": "opened", "e": "opened"}  # b passes: no ticket
    second = events_of(target, [f("a", Status.PASS), f("b", Status.FAIL),
                                f("c", Status.UNKNOWN), f("d", Status.WAIVED),
                                f("e", Status.FAIL, severity=Severity.CRITICAL)], day=2)
    assert {k: v["event"] for k, v in second.items()} == {
        "a": "resolved", "b": "opened", "d": "waived", "e": "updated"}
    third = events_of(target, [f("a", Status.FAIL), f("b", Status.FAIL),
                               f("d", Status.FAIL), f("e", Status.FAIL,
                                                      severity=Severity.CRITICAL)], day=5)
    assert {k: v["event"] for k, v in third.items()} == {
        "a": "reopened", "c": "resolved", "d": "reopened"}
    assert third["c"]["resolution"] == "gone" and third["c"]["status"] is None
    assert third["a"]["first_seen"] == first["a"]["first_seen"]
    assert third["a"]["age_days"] == 5 and third["a"]["previous_status"] == "pass"


def test_ticket_ready_fields(sqlite_target: str) -> None:
    (event,) = events_of(sqlite_target, [f("sa1", Status.FAIL, "keySource is "
                                                               "Microsoft.Storage")],
                         day=0).values()
    assert event["title"] == "[CRITICAL] title of storage_account_cmk_encryption: sa1"
    assert event["check_id"] == "storage_account_cmk_encryption"
    assert event["requirement_id"] == "cmk.storage_account" and event["step"] == "2"
    assert event["step_title"] == "Customer-managed keys"
    assert event["controls"] == ["SC-12", "SC-13", "SC-28(1)"]
    assert event["portal_url"].startswith("https://portal.azure.com/#@")
    assert event["portal_url"].endswith("/resource" + event["resource_id"])
    assert event["remediation"]["summary"] == "fix storage_account_cmk_encryption"
    assert event["run_id"] == 1 and event["event"] == "opened"
    description = event["description"]
    assert description.startswith("**[CRITICAL] title of storage_account_cmk_encryption")
    assert "keySource is Microsoft.Storage" in description
    assert "**Remediation.** fix storage_account_cmk_encryption" in description
    assert "```sh\naz something\n```" in description


def test_without_history_every_open_finding_is_opened() -> None:
    result = run_at([f("a", Status.FAIL), f("b", Status.PASS), f("c", Status.UNKNOWN),
                     f("d", Status.MANUAL)])
    stream = io.StringIO()
    write_tickets(result, stream)
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["event"], e["resource_name"]) for e in events] == [("opened", "a"),
                                                                   ("opened", "c")]
    assert all(e["run_id"] is None for e in events)


def test_us_government_links_to_its_portal(sqlite_target: str) -> None:
    result = run_at([f("a", Status.FAIL)], cloud="usgov")
    stream = io.StringIO()
    write_tickets(result, stream)
    assert json.loads(stream.getvalue())["portal_url"].startswith("https://portal.azure.us/")
