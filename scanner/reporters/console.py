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
from scanner.reporters.base import ConsoleReporter, ReportFormat, outcome_of, scored_steps

MAX_FINDINGS_PER_STEP = 20
"""Failing/unknown findings listed per step; the rest are counted, and are in the JSON."""
MAX_ERRORS = 50
"""Collection errors listed; a tenant-wide 403 can produce hundreds."""
WIDE_CONSOLE = 110
"""Narrower consoles get each finding's check, resource and reason stacked in one column."""
MAX_REASON = 1000
"""Characters of a reason shown (wrapped, never cut mid-line); the JSON has all of it."""
MAX_CHECKS_ROLLED_UP = 30
"""Checks listed in a step's roll-up ("storage_account_cmk_encryption: 400 fail")."""

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


def step_score(counts: Mapping[str, int]) -> str:
    """The score shown for a step: "not assessed" when every judged finding is unknown
    (0 % would read as "all failed"), else the percentage."""
    if not counts.get("pass") and not counts.get("fail") and counts.get("unknown"):
        return "not assessed"
    return percent(counts)


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
        " · source ", meta.source_text, "\n",
        "Tenant ", (meta.tenant_id or "unknown", "bold"),
        " · cloud ", meta.cloud, " · profile ", meta.profile, " · ", subscriptions,
    )


def _score_table(result: ScanResult, width: int = WIDE_CONSOLE) -> Table:
    table = _table()
    # Wide enough for the longest word of any title: a title wraps between words, and is
    # never cut ("Customer-mana…"). Below WIDE_CONSOLE (an 80-column cron log) the step
    # id leads its title in one column, which leaves the counts room.
    longest = max((len(word) for step in result.framework.steps
                   for word in step.title.split()), default=10)
    wide = width >= WIDE_CONSOLE
    label = result.framework.section_label.capitalize()
    if wide:
        # Only the title wraps: a step id or a number cut in two would be misread.
        table.add_column(label, no_wrap=True)
    table.add_column("Title" if wide else label, min_width=longest, overflow="fold")
    for label, _ in _COUNT_COLUMNS:
        table.add_column(label, justify="right", no_wrap=True)
    # A percentage has no space to wrap at; "not assessed" may take two lines at 80 columns.
    table.add_column("Score", justify="right", no_wrap=True)

    def row(step: str, title: str, counts: Mapping[str, int], style: str = "") -> None:
        cells = [Text(str(counts.get(key, 0))) for _, key in _COUNT_COLUMNS]
        label = [Text(step), Text(title)] if wide else [
            Text(f"{step} {title}" if step else title)]
        score = step_score(counts)
        # "not assessed" takes two lines at 80 columns rather than be cut: a percentage
        # has no space in it.
        table.add_row(*label, *cells, Text(score if wide else score.replace(" ", "\n")),
                      style=style)

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


def rollup(result: ScanResult, statuses: Iterable[Status] = _ATTENTION
           ) -> dict[str, dict[str, dict[str, int]]]:
    """{step: {check id: {status value: count}}} of the findings with these statuses, in
    report order: "storage_account_cmk_encryption: 400 fail" reads faster than 400 rows."""
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for finding in result.findings.select(statuses=tuple(statuses)):
        by_check = counts.setdefault(finding.step, {}).setdefault(finding.check_id, {})
        by_check[finding.status.value] = by_check.get(finding.status.value, 0) + 1
    return counts


def rollup_text(by_status: Mapping[str, int]) -> str:
    """`400 fail, 3 unknown`."""
    return ", ".join(f"{by_status[s.value]} {s.value}" for s in Status if by_status.get(s.value))


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
    rolled = rollup(result)
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
        checks = rolled.get(step, {})
        if any(sum(c.values()) > 1 for c in checks.values()):  # worth a roll-up
            for check_id, by_status in list(checks.items())[:MAX_CHECKS_ROLLED_UP]:
                out.append(Text.assemble("  ", (check_id, "bold"), ": ", rollup_text(by_status)))
            if len(checks) > MAX_CHECKS_ROLLED_UP:
                out.append(Text(f"  … and {len(checks) - MAX_CHECKS_ROLLED_UP} more checks",
                                "dim"))
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


_VERDICT_STYLE = {"fail": "bold red", "incomplete": "bold magenta", "pass": "bold green",
                  "refused": "bold red"}


def verdict(result: ScanResult) -> Text:
    """The last line: the run's outcome (the same as its exit code), then the counts of
    what could not be judged automatically."""
    counts = result.scoreboard.overall.counts
    unknown, manual, errors = counts.get("unknown", 0), counts.get("manual", 0), len(result.errors)
    extras = []
    if unknown:
        extras.append(f"{unknown} unknown")
    if errors:
        extras.append(_plural(errors, "collection error"))
    if manual:
        extras.append(f"{manual} manual to attest")
    if not counts.get("pass", 0) and not counts.get("fail", 0):
        extras.append("no finding passed or failed" if result.findings
                      else "no findings in scope")
    tail = "; ".join(extras)
    outcome = outcome_of(result)
    style = _VERDICT_STYLE.get(str(outcome.get("verdict")), "bold")
    failing = result.scoreboard.failing
    by_severity = ", ".join(f"{failing[s.value]} {s.value}" for s in Severity
                            if failing.get(s.value))
    return Text.assemble(("Verdict: ", "bold"), (str(outcome.get("summary")), style),
                         f" (exit {outcome.get('exit_code')})",
                         f"; failing: {by_severity}" if by_severity else "",
                         f"; {tail}" if tail else "")


def _lines_without_padding(console: Console, renderables: list[object]) -> None:
    """Print `renderables`; off a terminal (a cron log), without the spaces rich pads
    table rows with to the console's width."""
    if console.is_terminal:
        for renderable in renderables:
            console.print(renderable)
        return
    with console.capture() as captured:
        for renderable in renderables:
            console.print(renderable)
    text = "\n".join(line.rstrip() for line in captured.get().rstrip("\n").split("\n"))
    console.print(Text.from_ansi(text), soft_wrap=True)


def render_console(result: ScanResult, console: Console, summary: bool = False) -> None:
    """Print the console report of `result` on `console`; `summary`: the header, the
    scores, a count of the collection errors and the verdict only (one screen)."""
    parts: list[object] = [_header(result), Text(),
                           Text(f"Scores by {result.framework.section_label}", "bold"),
                           _score_table(result, console.width)]
    if not summary:
        parts += _attention_tables(result, console.width)
        if result.errors:
            parts += _errors_table(result)
    elif result.errors:
        parts += [Text(), Text(f"{_plural(len(result.errors), 'scope')} could not be read "
                               "(the full report lists them)")]
    if result.coverage and not summary:
        parts += coverage_section.console_renderables(result.coverage)
    parts += [Text(), verdict(result)]
    _lines_without_padding(console, parts)


REPORTER = ConsoleReporter(format=ReportFormat.CONSOLE, render=render_console)
