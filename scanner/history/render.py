"""A diff as the console shows it, as JSON (the published schema) and as JSON Lines."""

from __future__ import annotations

import json
from collections.abc import Iterator

from rich.console import Console
from rich.table import Table
from rich.text import Text

from scanner.history.diff import KINDS, Change, Diff

LABELS = {"new": "New (first seen failing)", "regressed": "Regressed", "resolved": "Resolved",
          "improved": "Improved (waived or manual)", "changed": "Other changes",
          "updated": "Updated (open, severity or reason changed)"}
SHOWN = ("new", "regressed", "resolved")
"""Lists the console prints in full (the others are counted)."""
MAX_ROWS = 50


def _when(change: Change) -> str:
    first = change.first_seen.date().isoformat() if change.first_seen else "—"
    return f"{first} ({change.age_days} d)" if change.age_days is not None else first


def render_console(result: Diff, console: Console) -> None:
    """A summary table, then the new, regressed and resolved findings."""
    console.print(Text(f"Changes from {result.from_label} to {result.to_label}", style="bold"))
    summary = Table(show_edge=False, box=None, pad_edge=False)
    summary.add_column("Change")
    summary.add_column("Findings", justify="right")
    for kind in KINDS:
        summary.add_row(LABELS[kind], str(len(result.of(kind))))
    summary.add_row("Unchanged", str(result.unchanged))
    console.print(summary)
    for kind in SHOWN:
        changes = result.of(kind)
        if not changes:
            continue
        table = Table(title=f"{LABELS[kind]}: {len(changes)}", title_justify="left",
                      show_edge=False, box=None, pad_edge=False)
        for column in ("Severity", "Before → after", "Check", "Resource", "First seen (age)"):
            table.add_column(column, overflow="fold")
        for change in changes[:MAX_ROWS]:
            before = change.before.status if change.before else "absent"
            after = change.after.status if change.after else "gone"
            entry = change.entry
            table.add_row(entry.severity, f"{before} → {after}", entry.check_id,
                          entry.resource_id, _when(change))
        console.print(table)
        if len(changes) > MAX_ROWS:
            console.print(f"… and {len(changes) - MAX_ROWS} more (use --format json)")


def render_json(result: Diff) -> str:
    return json.dumps(result.to_json(), indent=2)


def render_jsonl(result: Diff) -> Iterator[str]:
    """One line per change: {"change": kind, ...the Change object}."""
    for kind in KINDS:
        for change in result.of(kind):
            yield json.dumps({"change": kind, **change.to_json()})
