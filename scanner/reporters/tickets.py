"""Ticket lifecycle events (`cjis-scan-tickets.jsonl`): what a ticketing system does next.

One JSON object per line, keyed by `fingerprint`, so a ticketing system needs no diff
of its own (the mapping to ServiceNow and Jira fields is in docs/tickets.md):

| event | when (since the baseline: `--baseline`, or the previous run of `--history`) |
|---|---|
| `opened` | a finding fails or is unknown for the first time (no baseline: every open one) |
| `reopened` | an open finding that had been resolved, or waived, is open again |
| `updated` | still open: another severity, reason or status (`manual`: awaits attestation) |
| `resolved` | an open finding passes, is not applicable, or is gone (`resolution` says which) |
| `waived` | an open finding is waived (by the config file or an Azure Policy exemption) |

Each event carries ticket-ready fields: `title`, a Markdown `description`, the resource
and its Azure portal link, step, controls, severity, remediation and first seen.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, TextIO

from scanner.findings import Finding, Status
from scanner.history.diff import OPEN, Change
from scanner.report import ScanResult
from scanner.reporters.base import FileReporter, ReportFormat, iso_utc

FILENAME = "cjis-scan-tickets.jsonl"
EVENTS = ("opened", "reopened", "updated", "resolved", "waived")
PORTALS = {"commercial": "https://portal.azure.com", "usgov": "https://portal.azure.us"}


def event_of(change: Change) -> str | None:
    """The ticket event of one change (None: nothing for a ticket to do)."""
    before, after = change.before, change.after
    if change.kind == "new":
        return "opened"
    if change.kind == "regressed":
        assert before is not None
        was_open = before.was_open or before.status == "waived" or before.status in OPEN
        return "reopened" if was_open else "opened"
    if change.kind == "resolved":
        return "resolved"
    if change.kind == "improved":
        return "waived" if after is not None and after.status == "waived" else "updated"
    if change.kind in ("updated", "changed") and after is not None and after.status in OPEN:
        return "updated"
    return None


def portal_url(cloud: str, tenant_id: str | None, resource_id: str) -> str | None:
    """The resource's blade in the Azure portal (ARM resources only)."""
    if not resource_id.lower().startswith("/subscriptions/"):
        return None
    portal = PORTALS.get(cloud, PORTALS["commercial"])
    return f"{portal}/#@{tenant_id or ''}/resource{resource_id}"


def _code(value: str) -> str:
    return "`" + value.replace("`", "'") + "`"


def _description(event: str, change: Change | None, fields: dict[str, Any]) -> str:
    lines = [f"**{fields['title']}**", ""]
    if event == "resolved" and change is not None:
        how = {"gone": "the resource (or its check) is no longer in the scan",
               "passed": "the check now passes",
               "not_applicable": "the check no longer applies"}.get(change.resolution or "", "")
        lines += [f"Resolved: {how}.", ""]
    if fields["reason"]:
        lines += [fields["reason"], ""]
    portal = f" ([Azure portal]({fields['portal_url']}))" if fields["portal_url"] else ""
    lines += ["| | |", "|---|---|",
              f"| Resource | {_code(fields['resource_id'])}{portal} |",
              f"| Check | {_code(fields['check_id'])} (requirement "
              f"{_code(fields['requirement_id'])}) |",
              f"| {fields['section_label']} | {fields['step']} · {fields['step_title']} |",
              f"| NIST SP 800-53 | {', '.join(fields['controls']) or '—'} |",
              f"| Severity | {fields['severity']} |",
              f"| Status | {fields['status'] or 'gone'} |",
              f"| First seen | {fields['first_seen'] or 'this scan'} |",
              f"| Fingerprint | {_code(fields['fingerprint'])} |", ""]
    remediation = fields["remediation"]
    if remediation and event != "resolved":
        lines += [f"**Remediation.** {remediation['summary']}", ""]
        if remediation.get("cli"):
            lines += ["```sh", remediation["cli"], "```", ""]
        if remediation.get("docs"):
            lines += [f"[Microsoft Learn]({remediation['docs']})", ""]
    return "\n".join(lines).rstrip() + "\n"


def _fields(result: ScanResult, event: str, fingerprint: str, finding: Finding | None,
            change: Change | None, occurred: datetime) -> dict[str, Any]:
    meta, framework = result.meta, result.framework
    entry = change.entry if change is not None else None
    resource_id = finding.resource_id if finding else entry.resource_id if entry else ""
    check_id = finding.check_id if finding else entry.check_id if entry else ""
    requirement_id = finding.requirement_id if finding else entry.requirement_id \
        if entry else ""
    step = finding.step if finding else entry.step if entry else ""
    requirement = next((r for r in framework.requirements if r.id == requirement_id), None)
    title = finding.title if finding else requirement.title if requirement else check_id
    severity = finding.severity.value if finding else entry.severity if entry else "info"
    name = resource_id.rstrip("/").rsplit("/", 1)[-1] or resource_id
    remediation = None
    if finding is not None:
        r = finding.remediation
        remediation = {"summary": r.summary, "cli": r.cli, "docs": r.docs}
    first_seen = change.first_seen if change is not None else None
    fields: dict[str, Any] = {
        "event": event, "fingerprint": fingerprint, "resource_id": resource_id,
        "check_id": check_id, "requirement_id": requirement_id,
        "title": f"[{severity.upper()}] {title}: {name}",
        "description": "",
        "status": finding.status.value if finding else None,
        "previous_status": change.before.status if change and change.before else None,
        "severity": severity, "step": step, "step_title": framework.step_title(step),
        "section_label": f"{framework.short_title} {framework.section_label}",
        "controls": list(finding.controls) if finding else
        list(requirement.controls) if requirement else [],
        "resource_name": name,
        "resource_type": finding.resource_type if finding else None,
        "subscription_id": finding.subscription_id if finding else None,
        "portal_url": portal_url(meta.cloud, meta.tenant_id, resource_id),
        "reason": finding.reason if finding else (entry.reason if entry else ""),
        "remediation": remediation,
        "first_seen": iso_utc(first_seen) if first_seen else iso_utc(meta.started_at),
        "age_days": change.age_days if change is not None else 0,
        "resolution": change.resolution if change is not None else None,
        "waiver": finding.waiver if finding else None,
        "tenant_id": meta.tenant_id, "occurred_at": iso_utc(occurred),
        "run_id": result.history.run_id if result.history else None,
    }
    fields["description"] = _description(event, change, fields)
    return fields


def events(result: ScanResult) -> Iterator[dict[str, Any]]:
    """The ticket events of `result`: from its diff, or every open finding when it has
    none (the first export). Events come in event order, then report order."""
    occurred = result.meta.started_at
    view = result.history
    if view is None or view.diff is None:
        for finding in result.findings.select(statuses=[Status.FAIL, Status.UNKNOWN]):
            yield _fields(result, "opened", finding.fingerprint, finding, None, occurred)
        return
    wanted: dict[str, tuple[str, Change]] = {}
    for changes in view.diff.changes.values():
        for change in changes:
            event = event_of(change)
            if event is not None:
                wanted[change.fingerprint] = (event, change)
    found: dict[str, Finding] = {}
    if wanted:
        found = {f.fingerprint: f for f in result.findings if f.fingerprint in wanted}
    ordered = sorted(wanted.items(), key=lambda item: EVENTS.index(item[1][0]))
    for fingerprint, (event, change) in ordered:
        yield _fields(result, event, fingerprint, found.get(fingerprint), change, occurred)


def write_tickets(result: ScanResult, stream: TextIO) -> None:
    for record in events(result):
        stream.write(json.dumps(record, default=str) + "\n")


REPORTER = FileReporter(format=ReportFormat.TICKETS, filename=FILENAME, write=write_tickets)
