"""`cjis-scan diff` and `cjis-scan history` (registered on the app by scanner.cli)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from scanner.errors import UsageError

HistoryOpt = Annotated[str | None, typer.Option(
    "--history", metavar="TARGET",
    help="A SQLite file or a postgresql:// URL [default: the config file's].")]
ConfigOpt = Annotated[Path, typer.Option("--config", help="Settings file (TOML).")]

history_app = typer.Typer(help="List and prune the runs a history holds.",
                          no_args_is_help=True)


def _target(history: str | None, config_file: Path) -> str:
    if history:
        return history
    from scanner.config import load_config

    configured = load_config(config_file, {}).history
    if not configured:
        raise UsageError("no history: give --history TARGET or set `history` in "
                         f"{config_file}")
    return configured


def diff_command(
    history: HistoryOpt = None,
    from_run: Annotated[int | None, typer.Option(
        "--from", metavar="RUN", help="Earlier run id [default: the run before --to].")] = None,
    to_run: Annotated[int | None, typer.Option(
        "--to", metavar="RUN", help="Later run id [default: the newest run].")] = None,
    tenant: Annotated[str | None, typer.Option(
        "--tenant", help="Newest run of this tenant (when the history holds several).")] = None,
    format: Annotated[str, typer.Option(
        "--format", "-f", help="console, json (standard output, "
                               "scanner/schemas/diff.schema.json) or jsonl.")] = "console",
    fail_on_new: Annotated[str | None, typer.Option(
        "--fail-on-new", metavar="SEVERITY",
        help="Exit 1 when a new or regressed finding fails at this severity or above.")] = None,
    config_file: ConfigOpt = Path("cjis-scan.toml"),
) -> None:
    """What changed between two runs of the same tenant and boundary."""
    from scanner.findings import Severity
    from scanner.history.connect import HistoryError
    from scanner.history.render import render_console, render_json, render_jsonl
    from scanner.history.scanhook import check_fail_on_new
    from scanner.history.store import HistoryStore

    if format not in ("console", "json", "jsonl"):
        raise UsageError(f"--format {format!r}: choose console, json or jsonl")
    check_fail_on_new(fail_on_new)
    store = HistoryStore(_target(history, config_file))
    try:
        if to_run is None:
            newest = store.runs(tenant=tenant, limit=1)
            if not newest:
                raise HistoryError(f"history {store.label} has no runs"
                                   + (f" of tenant {tenant}" if tenant else ""))
            later = newest[0]
        else:
            later = store.run(to_run)
        earlier = store.run(from_run) if from_run is not None else store.previous(later)
        if earlier is None:
            raise HistoryError(f"run {later.id} is the first of its tenant and boundary: "
                               f"nothing to compare it with")
        if earlier.series_id != later.series_id:
            raise UsageError(f"runs {earlier.id} and {later.id} are of different tenants or "
                             f"boundaries: they cannot be compared")
        if earlier.id > later.id:
            earlier, later = later, earlier
        result = store.diff(earlier, later)
    finally:
        store.close()
    if format == "json":
        sys.stdout.write(render_json(result) + "\n")
    elif format == "jsonl":
        for line in render_jsonl(result):
            sys.stdout.write(line + "\n")
    else:
        render_console(result, Console())
    if fail_on_new and result.new_failing(Severity(fail_on_new)):
        raise typer.Exit(1)


def _score(value: float | None) -> str:
    return "—" if value is None else f"{int(value * 100)}%"


@history_app.command("list")
def list_runs(
    history: HistoryOpt = None,
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Newest runs to show.")] = 50,
    format: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
    config_file: ConfigOpt = Path("cjis-scan.toml"),
) -> None:
    """The recorded runs, newest first: id, time, tenant, score, counts."""
    import json

    from rich.table import Table

    from scanner.history.store import HistoryStore

    if format not in ("table", "json"):
        raise UsageError(f"--format {format!r}: choose table or json")
    store = HistoryStore(_target(history, config_file))
    try:
        runs = store.runs(tenant=tenant, limit=limit)
    finally:
        store.close()
    if format == "json":
        sys.stdout.write(json.dumps([{
            "id": r.id, "series": r.series_id, "started_at": r.started_at.isoformat(),
            "collected_at": r.collected_at.isoformat() if r.collected_at else None,
            "tenant_id": r.tenant_id, "boundary": r.boundary, "source": r.source,
            "input_sha256": r.input_sha256, "profile": r.profile, "exit_code": r.exit_code,
            "score": r.score, "findings": r.findings, "counts": r.counts, "new": r.new,
            "resolved": r.resolved, "attested": r.attested} for r in runs], indent=2) + "\n")
        return
    table = Table(show_edge=False, box=None, pad_edge=False)
    for column in ("Run", "Series", "Started (UTC)", "Tenant", "Source", "Score", "Fail",
                   "Unknown", "New", "Resolved", "Exit"):
        table.add_column(column, justify="right" if column in (
            "Run", "Series", "Score", "Fail", "Unknown", "New", "Resolved", "Exit") else "left")
    for r in runs:
        table.add_row(str(r.id), str(r.series_id), r.started_at.strftime("%Y-%m-%d %H:%M"),
                      r.tenant_id, r.source, _score(r.score), str(r.counts.get("fail", 0)),
                      str(r.counts.get("unknown", 0)), str(r.new), str(r.resolved),
                      str(r.exit_code))
    Console().print(table if runs else "no runs recorded")


@history_app.command("prune")
def prune_runs(
    history: HistoryOpt = None,
    keep: Annotated[int | None, typer.Option(
        "--keep", min=1, help="Keep the newest N runs of each tenant and boundary.")] = None,
    older_than: Annotated[int | None, typer.Option(
        "--older-than", metavar="DAYS", min=1, help="Delete runs started more than DAYS "
                                                    "days ago.")] = None,
    config_file: ConfigOpt = Path("cjis-scan.toml"),
) -> None:
    """Delete old runs (the newest run of each tenant and boundary is always kept)."""
    from scanner.history.store import HistoryStore

    if keep is None and older_than is None:
        raise UsageError("history prune: give --keep N or --older-than DAYS")
    cutoff = datetime.now(UTC) - timedelta(days=older_than) if older_than else None
    store = HistoryStore(_target(history, config_file))
    try:
        deleted = store.prune(keep=keep, older_than=cutoff)
    finally:
        store.close()
    Console(stderr=True).print(f"deleted {deleted} run(s) from {store.label}")


def register(app: typer.Typer) -> None:
    """Add `diff` and `history` to the cjis-scan app."""
    app.command("diff")(diff_command)
    app.add_typer(history_app, name="history")
