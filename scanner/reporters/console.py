"""The console report: what a person reads at the end of `cjis-scan scan`.

A header line, the per-step score table, the failing and unknown findings of each step
(most severe first, capped), the collection errors, and a one-line verdict. Everything
taken from the scan is printed as `rich.text.Text`, never as markup, so a bracket in a
resource name or reason cannot restyle or hide output. Evidence is never printed: it
can be large, and the JSON report carries it. Rich drops colours by itself when the
console is not a terminal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from scanner.findings import Finding, Severity, Status
from scanner.report import ScanResult
from scanner.reporters import coverage_section
from scanner.reporters.base import ConsoleReporter, ReportFormat, scored_steps

MAX_FINDINGS_PER_STEP = 20
"""Failing/unknown findings listed per step; the rest are counted, and are in the JSON."""
MAX_ERRORS = 50
"""Collection errors listed; a tenant-wide 403 can produce hundreds."""
WIDE_CONSOLE = 110
"""Narrower consoles get each finding's check, resource and reason stacked in one column."""
MAX_REASON = 300
"""Characters of a reason shown; reasons quoting Azure error messages can be long."""

_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
_STATUS_STYLE = {Status.FAIL: "bold red", Status.UNKNOWN: "magenta"}
_ATTENTION = (Status.FAIL, Status.UNKNOWN)
_COUNT_COLUMNS = (("Pass", "pass"), ("Fail", "fail"), ("Unknown", "unknown"),
                  ("Manual", "manual"), ("N/A", "not_applicable"), ("Waived", "waived"))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def percent(counts: Mapping[str, int]) -> str:
    """pass / (pass + fail + unknown) as a whole percentage, or `—` when nothing was judged.

    Rounded down, so a step with one failure among 1,000 findings shows 99%, not 100%.
    """
    judged = counts.get("pass", 0) + counts.get("fail", 0) + counts.get("unknown", 0)
    if judged == 0:
        return "—"
    return f"{counts.get('pass', 0) * 100 // judged}%"


def _table() -> Table:
    # No outer edge or edge padding: four more columns of text on an 80-column terminal.
    return Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)


def _header(result: ScanResult) -> Text:
    meta = result.meta
    names = [s.get("display_name") or s.get("subscription_id", "?") for s in meta.subscriptions]
    shown = ", ".join(names[:3]) + (f" +{len(names) - 3} more" if len(names) > 3 else "")
    subscriptions = _plural(len(names), "subscription") + (f" ({shown})" if names else "")
    return Text.assemble(
        (f"cjis-scan {meta.tool_version}", "bold"), " · ", meta.framework_title,
        " · source ", meta.source, "\n",
        "Tenant ", (meta.tenant_id or "unknown", "bold"),
        " · cloud ", meta.cloud, " · profile ", meta.profile, " · ", subscriptions,
    )


def _score_table(result: ScanResult) -> Table:
    table = _table()
    # Only the title wraps: a step id or a number cut in two would be misread.
    table.add_column(result.framework.section_label.capitalize(), no_wrap=True)
    table.add_column("Title")
    for label, _ in _COUNT_COLUMNS:
        table.add_column(label, justify="right", no_wrap=True)
    table.add_column("Score", justify="right", no_wrap=True)

    def row(step: str, title: str, counts: Mapping[str, int], style: str = "") -> None:
        cells = [Text(str(counts.get(key, 0))) for _, key in _COUNT_COLUMNS]
        table.add_row(Text(step), Text(title), *cells, Text(percent(counts)), style=style)

    board = result.scoreboard
    for step in scored_steps(result):
        row(step, result.framework.step_title(step), board.steps[step].counts)
    table.add_section()
    row("", "Overall", board.overall.counts, style="bold")
    return table


def short_resource(resource_id: str, subscription_names: Mapping[str, str]) -> str:
    """A resource as a person names it: `name (resource group)`, `subscription <name>`, ...

    Falls back to the full id for shapes it does not know (extension resources, ids
    that are not ARM ids).
    """
    parts = resource_id.strip("/").split("/")
    lower = [p.lower() for p in parts]
    if len(parts) == 2 and lower[0] == "tenants":
        return f"tenant {parts[1]}"
    if len(parts) < 2 or lower[0] != "subscriptions":
        return resource_id
    subscription = subscription_names.get(lower[1], parts[1])
    if len(parts) == 2:
        return f"subscription {subscription}"
    in_group = lower[2] == "resourcegroups" and len(parts) >= 4
    if in_group and len(parts) == 4:
        return f"resource group {parts[3]}"
    # .../providers/<namespace>/<type>/<name>[/<type>/<name>...]: keep the names.
    if lower.count("providers") != 1:
        return resource_id
    names = parts[lower.index("providers") + 3::2]
    if not names:
        return resource_id
    where = parts[3] if in_group else f"subscription {subscription}"
    return f"{'/'.join(names)} ({where})"


def _subscription_names(result: ScanResult) -> dict[str, str]:
    return {s["subscription_id"].lower(): s.get("display_name") or s["subscription_id"]
            for s in result.meta.subscriptions if "subscription_id" in s}


def _resource_labels(resource_ids: Iterable[str], subscription_names: Mapping[str, str],
                     others: Iterable[str] = ()) -> dict[str, str]:
    """{lower-cased id: label} of `resource_ids`: the short form, or the full id where two
    ids share one (among `resource_ids` and `others`, ids listed nowhere but counted)."""
    ids_by_short: defaultdict[str, set[str]] = defaultdict(set)
    for resource_id in resource_ids:
        ids_by_short[short_resource(resource_id, subscription_names)].add(resource_id.lower())
    for resource_id in others:
        short = short_resource(resource_id, subscription_names)
        # Two ids are enough to know a short form is ambiguous: the sets stay tiny.
        if short in ids_by_short and len(ids_by_short[short]) < 2:
            ids_by_short[short].add(resource_id.lower())
    labels = {}
    for short, ids in ids_by_short.items():
        for resource_id in ids:
            labels[resource_id] = short if len(ids) == 1 else resource_id
    return labels


def _clip(text: str, limit: int = MAX_REASON) -> str:
    text = " ".join(text.split())  # a reason spanning lines would break the table's rows
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _attention_shown(result: ScanResult) -> dict[str, list[Finding]]:
    """Per step, the failing and unknown findings listed: most severe first, fail before
    unknown, then report order, at most `MAX_FINDINGS_PER_STEP` (only those are kept)."""
    groups: defaultdict[str, dict[tuple[int, bool], list[Finding]]] = defaultdict(dict)
    for finding in result.findings.select(statuses=_ATTENTION):
        group = groups[finding.step].setdefault(
            (finding.severity.rank, finding.status is not Status.FAIL), [])
        if len(group) < MAX_FINDINGS_PER_STEP:
            group.append(finding)
    return {step: [f for key in sorted(group) for f in group[key]][:MAX_FINDINGS_PER_STEP]
            for step, group in groups.items()}


def _attention_tables(result: ScanResult, width: int) -> list[Table | Text]:
    by_step = _attention_shown(result)
    if not by_step:
        return []
    labels = _resource_labels(
        (f.resource_id for fs in by_step.values() for f in fs), _subscription_names(result),
        others=(f.resource_id for f in result.findings.select(statuses=_ATTENTION)))

    out: list[Table | Text] = []
    for step in [s for s in scored_steps(result) if s in by_step]:
        findings = by_step[step]
        counts = result.scoreboard.steps[step].counts
        title = Text.assemble(
            (f"{result.framework.label_of(step).capitalize()} · "
             f"{result.framework.step_title(step)}", "bold"), ": ",
            _plural(counts["fail"], "failing finding"), ", ",
            f"{counts['unknown']} unknown",
        )
        out += [Text(), title]
        table = _table()
        table.add_column("Severity", no_wrap=True)
        table.add_column("Status", no_wrap=True)
        wide = width >= WIDE_CONSOLE
        if wide:
            # Ids are short and read as one word: let the resource and reason wrap first.
            table.add_column("Check / requirement", no_wrap=True, overflow="fold")
            table.add_column("Resource", overflow="fold")
            table.add_column("Reason", overflow="fold")
        else:
            # Too narrow for five columns (80 is the default off a terminal): stack them.
            table.add_column("Check / requirement · resource · reason", overflow="fold")
        for finding in findings:
            check = Text.assemble(finding.check_id, "\n", (finding.requirement_id, "dim"))
            resource = Text(labels[finding.resource_id.lower()])
            reason = Text(_clip(finding.reason))
            details = [check, resource, reason] if wide else [
                Text("\n").join([check, resource, reason])]
            table.add_row(
                Text(finding.severity.value, _SEVERITY_STYLE[finding.severity]),
                Text(finding.status.value, _STATUS_STYLE.get(finding.status, "")),
                *details,
                end_section=not wide,  # a blank line between stacked findings
            )
        out.append(table)
        hidden = counts["fail"] + counts["unknown"] - len(findings)
        if hidden > 0:
            out.append(Text(f"  … and {hidden} more (see the JSON report)", "dim"))
    return out


def _errors_table(result: ScanResult) -> list[Table | Text]:
    errors = result.errors
    labels = _resource_labels((e.scope for e in errors), _subscription_names(result))
    title = Text.assemble(("Collection errors", "bold"), ": ",
                          f"{_plural(len(errors), 'scope')} could not be read "
                          "(findings there are unknown)")
    table = _table()
    table.add_column("Scope", overflow="fold")
    table.add_column("Collector", no_wrap=True, overflow="fold")
    table.add_column("HTTP", justify="right", no_wrap=True)
    table.add_column("Code", no_wrap=True, overflow="fold")
    table.add_column("Remedy", overflow="fold")
    for error in errors[:MAX_ERRORS]:
        table.add_row(
            Text(labels[error.scope.lower()]), Text(error.collector),
            Text(str(error.status) if error.status is not None else "—"),
            Text(error.code or "—"), Text(_clip(error.remedy or "—")),
        )
    out: list[Table | Text] = [Text(), title, table]
    if len(errors) > MAX_ERRORS:
        out.append(Text(f"  … and {len(errors) - MAX_ERRORS} more (see the JSON report)", "dim"))
    return out


def verdict(result: ScanResult) -> Text:
    """The last line: failing, incomplete, or passing, with the counts that say why."""
    counts = result.scoreboard.overall.counts
    failing, unknown = counts.get("fail", 0), counts.get("unknown", 0)
    manual, errors = counts.get("manual", 0), len(result.errors)
    extras = []
    if unknown:
        extras.append(f"{unknown} unknown")
    if errors:
        extras.append(_plural(errors, "collection error"))
    if manual:
        extras.append(f"{manual} manual to attest")
    tail = "; ".join(extras)

    if failing:
        by_severity = result.scoreboard.failing
        detail = ", ".join(f"{by_severity[s.value]} {s.value}" for s in Severity
                           if by_severity.get(s.value))
        head, style = "FAIL", "bold red"
        body = f"{_plural(failing, 'failing finding')} ({detail})" + (f"; {tail}" if tail else "")
    elif unknown or errors:
        head, style = "INCOMPLETE", "bold magenta"
        body = f"no failing findings, but the scan could not judge everything: {tail}"
    elif not counts.get("pass", 0):
        # Only manual, not-applicable or waived findings (or none): no automated verdict.
        head, style = "NOTHING JUDGED", "bold yellow"
        body = ("no findings in scope" if not result.findings
                else "no finding passed or failed") + (f"; {tail}" if tail else "")
    else:
        head, style = "PASS", "bold green"
        body = f"{_plural(counts.get('pass', 0), 'passing finding')}, no failures" + (
            f"; {tail}" if tail else "")
    return Text.assemble(("Verdict: ", "bold"), (head, style), " — ", body)


def render_console(result: ScanResult, console: Console) -> None:
    """Print the console report of `result` on `console`."""
    console.print(_header(result))
    console.print()
    console.print(Text(f"Scores by {result.framework.section_label}", "bold"))
    console.print(_score_table(result))
    for renderable in _attention_tables(result, console.width):
        console.print(renderable)
    if result.errors:
        for renderable in _errors_table(result):
            console.print(renderable)
    if result.coverage:
        for renderable in coverage_section.console_renderables(result.coverage):
            console.print(renderable)
    console.print()
    console.print(verdict(result))


REPORTER = ConsoleReporter(format=ReportFormat.CONSOLE, render=render_console)
