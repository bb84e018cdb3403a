"""The HTML report (`cjis-scan-report.html`): one self-contained page for people.

Scan metadata, the overall and per-step scores as inline SVG charts (drawn here, so they
show even with scripts off; a step whose findings are all unknown shows "not assessed",
not 0 %), the collection errors, the coverage (each resource type present with its
count, the sections that judged it and its CMK state), the findings rolled up by check,
and a findings table that filters by step, status, severity, subscription, check,
resource group and text, each finding opening onto its reason, evidence and remediation
(the `az` command filled with the finding's own names, and a link to the resource in the
Azure portal). It prints legibly: the tenant and scan time head every page, cells wrap
instead of being cut.

Made for air-gapped CJIS networks and large tenants:
- Nothing is fetched: CSS and JavaScript are inline, and a Content-Security-Policy
  (`default-src 'none'`, scripts and styles allowed by their SHA-256 only) keeps it so;
  a script injected through the data could not run even if it got through escaping.
- The findings travel as one JSON block (`<script type="application/json">`), escaped
  so no `</script>` or `<!--` can appear in it, and the table is drawn from it in
  pages of `PAGE_SIZE` rows; filtering runs over the array, so 50,000 findings open and
  filter in a second or two. Check titles, controls and remediation are stored once per
  requirement x check, not once per finding.
- Everything from the scan reaches the page as text: jinja2 autoescapes the template,
  and the script builds the table with `textContent`, never `innerHTML`. Documentation
  links are only made for `https://` addresses.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from markupsafe import Markup

from scanner.findings import Finding, Severity, Status
from scanner.history.html import history_context
from scanner.report import ScanResult
from scanner.reporters import coverage_section
from scanner.reporters.base import FileReporter, ReportFormat, as_utc, outcome_of, scored_steps
from scanner.reporters.console import percent, step_score
from scanner.reporters.templating import (
    CLOUD_NAMES,
    asset,
    csp_source,
    environment,
    profile_title,
    script_json,
)
from scanner.reporters.views import framework_views

FILENAME = "cjis-scan-report.html"
TEMPLATE = "report.html.j2"
PAGE_SIZE = 200
"""Rows the table draws at a time; "Show more" draws the next page."""
BATCH = 500
"""Findings serialised per chunk of the streamed JSON block, at most."""
BATCH_CHARS = 1 << 20
"""A chunk is written once it holds this much text, sooner than `BATCH` findings: the
evidence of some findings (key stores listing every CMK store) runs to tens of KB."""

STATUS_LABELS = {
    Status.FAIL: "Fail", Status.UNKNOWN: "Unknown", Status.PASS: "Pass",
    Status.MANUAL: "Manual", Status.WAIVED: "Waived", Status.NOT_APPLICABLE: "N/A",
}
"""Statuses in the order the charts stack them: what needs attention first."""

# Donut geometry: radius and circumference of the ring (SVG user units).
_RING_R = 52.0
_RING_C = 2 * math.pi * _RING_R
_BAR_WIDTH = 1000.0


@dataclass(frozen=True)
class Segment:
    """One status's share of a chart: its counts and where it sits."""

    status: str
    label: str
    count: int
    start: float
    length: float


def _segments(counts: dict[str, int], scale: float) -> list[Segment]:
    total = sum(counts.get(s.value, 0) for s in STATUS_LABELS)
    segments, start = [], 0.0
    for status, label in STATUS_LABELS.items():
        count = counts.get(status.value, 0)
        if not count:
            continue
        length = scale * count / total
        segments.append(Segment(status.value, label, count, round(start, 3), round(length, 3)))
        start += length
    return segments


def _ring_segments(counts: dict[str, int]) -> list[dict[str, Any]]:
    """stroke-dasharray/offset pairs drawing each status as an arc of the donut."""
    out = []
    for seg in _segments(counts, _RING_C):
        out.append({"status": seg.status, "label": seg.label, "count": seg.count,
                    "dasharray": f"{seg.length:.3f} {_RING_C - seg.length:.3f}",
                    "dashoffset": f"{-seg.start:.3f}"})
    return out


def _subscription_options(result: ScanResult) -> list[dict[str, Any]]:
    names = {s["subscription_id"].lower(): s.get("display_name") or s["subscription_id"]
             for s in result.meta.subscriptions if "subscription_id" in s}
    counts = result.scoreboard.by_subscription
    options = []
    for sub_id in [*names, *sorted(set(counts) - set(names) - {""})]:
        label = names.get(sub_id, sub_id)
        options.append({"value": sub_id, "label": label if label == sub_id
                        else f"{label} ({sub_id})", "count": counts.get(sub_id, 0)})
    if counts.get(""):
        options.append({"value": "-", "label": "Tenant-wide (no subscription)",
                        "count": counts[""]})
    return options


def _boundary_text(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value)
    return str(value)


PORTALS = {"commercial": "https://portal.azure.com", "usgov": "https://portal.azure.us"}
"""The Azure portal of each cloud, for a finding's deep link."""


def _check_options(result: ScanResult) -> list[dict[str, str]]:
    """The checks that ran, in framework order (the page counts their findings)."""
    ran = set(result.meta.checks_run)
    seen: dict[str, str] = {}
    for requirement in result.framework.requirements:
        for check_id in requirement.checks:
            if check_id in ran:
                seen.setdefault(check_id, requirement.step)
    return [{"value": c, "label": f"{c} (step {step})"} for c, step in seen.items()]


def build_context(result: ScanResult) -> dict[str, Any]:
    """Everything the template shows but the findings themselves (all from the scoreboard)."""
    meta = result.meta
    board = result.scoreboard
    overall = dict(board.overall.counts)
    steps = []
    for step in scored_steps(result):
        counts = dict(board.steps[step].counts)
        steps.append({
            "id": step,
            "title": result.framework.step_title(step),
            "counts": counts,
            "total": sum(counts.values()),
            "score": step_score(counts),
            "segments": _segments(counts, _BAR_WIDTH),
        })
    failing = {s: board.failing.get(s.value, 0) for s in Severity}
    most = max(failing.values(), default=0)
    severities = [{"id": s.value, "label": s.value.capitalize(), "count": failing[s],
                   "width": round(_BAR_WIDTH * failing[s] / most, 3) if most else 0.0}
                  for s in Severity]
    all_severities = board.by_severity
    outcome = outcome_of(result)
    head = {"fail": "FAIL", "incomplete": "INCOMPLETE", "pass": "PASS",
            "refused": "ERROR"}.get(str(outcome.get("verdict")), "—")
    detail = f"{outcome.get('summary')} (exit code {outcome.get('exit_code')})"
    started, finished = as_utc(meta.started_at), as_utc(meta.finished_at)
    return {
        "meta": meta,
        "cloud_name": CLOUD_NAMES.get(meta.cloud, meta.cloud),
        "profile_path": profile_title(result.framework, meta.profile),
        "duration": max((finished - started).total_seconds(), 0.0),
        "verdict": {"head": head, "detail": detail, "class": head.lower().replace(" ", "-")},
        "overall": {"counts": overall, "total": sum(overall.values()),
                    "score": percent(overall), "ring": _ring_segments(overall),
                    "circumference": f"{_RING_C:.3f}", "radius": _RING_R},
        "legend": [{"status": s.value, "label": label, "count": overall.get(s.value, 0)}
                   for s, label in STATUS_LABELS.items()],
        "steps": steps,
        "views": [{**view, "rows": [
            {**row, "total": sum(row["counts"].values()), "score": percent(row["counts"]),
             "segments": _segments(row["counts"], _BAR_WIDTH)} for row in view["rows"]]}
            for view in framework_views(result)],
        "section_label": result.framework.section_label,
        "severities": severities,
        "errors": result.errors,
        "coverage": _coverage(result),
        "boundary": [f"{key}: {_boundary_text(value)}" for key, value in meta.boundary.items()],
        "filters": {
            "steps": [{"value": s["id"], "label": f"{s['id']} · {s['title']}",
                       "count": s["total"]} for s in steps],
            "statuses": [{"value": s.value, "label": label, "count": overall.get(s.value, 0)}
                         for s, label in STATUS_LABELS.items()],
            "severities": [{"value": s.value, "label": s.value.capitalize(),
                            "count": all_severities.get(s.value, 0)} for s in Severity],
            "subscriptions": _subscription_options(result),
            "checks": _check_options(result),
        },
        "page_size": PAGE_SIZE,
        "findings_count": len(result.findings),
        "history": history_context(result),  # trend and diff (scanner/history/html.py)
    }


def _coverage(result: ScanResult) -> dict[str, Any] | None:
    """The coverage table (scanner.coverage): every resource type present, its count, the
    sections that judged it and its CMK state, as the JSON `coverage` has them."""
    rows = result.coverage
    if not rows:
        return None
    return {
        "headline": coverage_section.headline(rows),
        "gaps": bool(coverage_section.gaps(rows)),
        "rows": [{**row.to_json(), "label": coverage_section.LABELS[row.at_rest]}
                 for row in rows],
    }


def _rule(finding: Finding) -> tuple[Any, ...]:
    remediation = finding.remediation
    return (finding.requirement_id, finding.check_id, finding.title, finding.step,
            tuple(finding.controls), remediation.summary, remediation.cli, remediation.docs)


def data_chunks(result: ScanResult) -> Iterator[Markup]:
    """The findings as the page's JSON block, in pieces (never one 50 MB string at once).

    `{"findings": [[rule, status, severity, resource_id, resource_type, subscription_id,
    location, reason, evidence, fingerprint, waiver], ...], "rules": [[requirement_id,
    check_id, title, step, controls, {summary, cli, docs}], ...]}` — `rule` indexes
    `rules`; status and severity are their values. The rules come last because they
    are collected while the findings stream past.
    """
    rules: dict[tuple[Any, ...], int] = {}
    yield Markup('{"findings":[')
    batch: list[str] = []
    size = 0
    first = True
    for finding in result.findings:
        key = _rule(finding)
        index = rules.setdefault(key, len(rules))
        batch.append(script_json([
            index, finding.status.value, finding.severity.value, finding.resource_id,
            finding.resource_type, finding.subscription_id, finding.location,
            finding.reason, finding.evidence, finding.fingerprint, finding.waiver,
        ]))
        size += len(batch[-1])
        if len(batch) == BATCH or size >= BATCH_CHARS:
            yield Markup(("" if first else ",") + ",".join(batch))
            batch, size, first = [], 0, False
    if batch:
        yield Markup(("" if first else ",") + ",".join(batch))
    rule_rows = [[requirement_id, check_id, title, step, list(controls),
                  {"summary": summary, "cli": cli, "docs": docs}]
                 for (requirement_id, check_id, title, step, controls, summary, cli, docs)
                 in rules]
    yield Markup('],"rules":' + script_json(rule_rows) + "}")


def write_html(result: ScanResult, stream: TextIO) -> None:
    """Write the HTML report of `result` to `stream`, the findings in their given order."""
    css, js = asset("report.css"), asset("report.js")
    context = build_context(result)
    template = environment().get_template(TEMPLATE)
    for piece in template.generate(
        **context,
        css=Markup(css),
        js=Markup(js),
        csp=f"default-src 'none'; script-src {csp_source(js)}; style-src {csp_source(css)}; "
            "img-src data:; base-uri 'none'; form-action 'none'",
        data=data_chunks(result),
        settings=Markup(script_json({
            "steps": {s["id"]: s["title"] for s in context["steps"]},
            "subscriptions": {o["value"]: o["label"] for o in
                              context["filters"]["subscriptions"]},
            "pageSize": PAGE_SIZE,
            "portal": PORTALS.get(result.meta.cloud, PORTALS["commercial"]),
            "tenant": result.meta.tenant_id or "",
        })),
    ):
        stream.write(piece)


REPORTER = FileReporter(format=ReportFormat.HTML, filename=FILENAME, write=write_html)
