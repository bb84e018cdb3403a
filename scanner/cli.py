"""The `cjis-scan` command line: scan, collect, record, checks, explain.

Exit codes (for scheduled jobs): 0 no failing finding at or above --fail-on; 1 failing
findings; 2 usage or configuration error (bad flag, unknown check, malformed config,
cassette or inventory); 3 scan incomplete (collection errors, no failing finding to
report) unless --allow-partial; 4 could not sign in to Azure; 5 a write was refused by
the read-only guard (the reads go on; the reports are written first).
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from scanner import __version__
from scanner.azure.clouds import CloudName
from scanner.collectors.scheduler import MAX_CONCURRENCY
from scanner.errors import ScannerError, UsageError

app = typer.Typer(
    name="cjis-scan",
    help="Scan an Azure tenant against the FBI CJIS Security Policy 6.0.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

DemoOpt = Annotated[bool, typer.Option("--demo", help="Replay the bundled demo tenant (offline).")]
ReplayOpt = Annotated[Path | None, typer.Option("--replay", metavar="CASSETTE",
                                                help="Replay a recorded vcrpy cassette (offline).")]
SubscriptionOpt = Annotated[list[str] | None, typer.Option(
    "--subscription", "-s", metavar="ID", help="Subscription id in scope (repeatable).")]
CloudOpt = Annotated[CloudName, typer.Option("--cloud", help="Azure cloud.")]
# --concurrency caps the collection's adaptive pool (scanner/collectors/scheduler.py).
ConcurrencyOpt = Annotated[int, typer.Option("--concurrency", min=1, max=MAX_CONCURRENCY,
                                             help="Most parallel reads (the pool adapts "
                                                  "below it to Azure's budgets).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")]


class InventorySource(StrEnum):
    """Where the bulk inventory comes from."""

    arm = "arm"
    graph = "graph"
    auto = "auto"


SourceOpt = Annotated[InventorySource, typer.Option(
    "--source", help="arm: one list per kind per subscription (authoritative); graph: "
                     "Resource Graph in one query stream (fast on large tenants, but it "
                     "silently omits what the principal cannot read); auto: Resource Graph, "
                     "falling back to ARM on any error.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Log each read failure.")]


def _version(value: bool) -> None:
    if value:
        out.print(f"cjis-scan {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Scan an Azure tenant against the FBI CJIS Security Policy 6.0."""


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    # The SDKs' HTTP logging would print URLs and headers of every call.
    logging.getLogger("azure").setLevel(logging.WARNING)


def _progress(quiet: bool) -> tuple[Any, Any]:
    """A rich progress bar on a terminal (stderr), nothing when quiet or piped."""
    if quiet or not err.is_terminal:
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    progress = Progress(TextColumn("[bold]collecting[/]"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.description}"), console=err, transient=True)
    task_id = progress.add_task("", total=None)

    def update(what: str, done: int, known: int) -> None:
        progress.update(task_id, completed=done, total=known, description=what[-60:])

    return progress, update


def _collect(demo: bool, replay: Path | None, inventory: Path | None, cloud: str,
             subscriptions: list[str], concurrency: int, quiet: bool,
             inventory_source: str = "arm") -> Any:
    from scanner.sources import Source, cloud_override_warning, load_inventory

    source = Source(demo=demo, replay=replay, inventory=inventory)
    warning = cloud_override_warning(cloud)
    if warning and not (demo or replay or inventory):
        err.print(f"[yellow]warning:[/] {warning}")
    progress, update = _progress(quiet or bool(inventory))
    if progress:
        with progress:
            return source, load_inventory(source, cloud, subscriptions, concurrency, update,
                                          inventory_source=inventory_source)
    return source, load_inventory(source, cloud, subscriptions, concurrency,
                                  inventory_source=inventory_source)


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (inventories describe a tenant's defences)."""
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


@app.command()
def collect(
    output: Annotated[Path, typer.Option("--output", "-o", help="Inventory JSON to write.")],
    demo: DemoOpt = False,
    replay: ReplayOpt = None,
    subscription: SubscriptionOpt = None,
    cloud: CloudOpt = CloudName.commercial,
    source: SourceOpt = InventorySource.arm,
    concurrency: ConcurrencyOpt = MAX_CONCURRENCY,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Collect the tenant into a normalised inventory (JSON), without judging it."""
    _setup_logging(verbose)
    _, inventory = _collect(demo, replay, None, cloud.value, subscription or [], concurrency,
                            quiet, source.value)
    _write_private(output, inventory.to_json())
    counts = {k: len(v) for k, v in inventory.model_dump().items()
              if isinstance(v, list) and k not in ("diagnostic_targets",)}
    summary = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items() if v)
    err.print(f"wrote {output}: {summary}")
    if inventory.errors:
        err.print(f"[yellow]{len(inventory.errors)} scope(s) could not be read[/] "
                  f"(see `errors` in {output})")


@app.command()
def record(
    output: Annotated[Path, typer.Option("--output", "-o", help="Cassette (YAML) to write.")],
    subscription: SubscriptionOpt = None,
    cloud: CloudOpt = CloudName.commercial,
    scrub_ids: Annotated[bool, typer.Option(
        "--scrub-ids/--keep-ids", help="Replace tenant and subscription ids too.")] = True,
    concurrency: ConcurrencyOpt = MAX_CONCURRENCY,
    quiet: QuietOpt = False,
) -> None:
    """Record a live collection into a cassette, with tokens and secrets scrubbed."""
    from scanner.inventory import Inventory
    from scanner.replay import RecordingTransport
    from scanner.sources import Source, load_inventory

    _setup_logging(False)
    saved: list[int] = []

    def save(transport: RecordingTransport, inventory: Inventory | None) -> None:
        ids = [s.lower() for s in (subscription or [])] if scrub_ids else []
        if scrub_ids and inventory is not None:
            ids += [s.subscription_id for s in inventory.subscriptions]
            ids += [inventory.tenant_id] if inventory.tenant_id else []
        saved.append(transport.save(output, ids))

    progress, update = _progress(quiet)
    if progress:
        with progress:
            inventory = load_inventory(Source(), cloud.value, subscription or [], concurrency,
                                       update, recorder=save)
    else:
        inventory = load_inventory(Source(), cloud.value, subscription or [], concurrency,
                                   recorder=save)
    err.print(f"recorded {saved[0] if saved else 0} interactions into {output} "
              f"({len(inventory.errors)} scope(s) could not be read)")


def _parse_tags(tags: list[str]) -> dict[str, str]:
    parsed = {}
    for tag in tags:
        key, sep, value = tag.partition("=")
        if not sep or not key:
            raise UsageError(f"--tag {tag!r}: expected KEY=VALUE")
        parsed[key] = value
    return parsed


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


@app.command()
def scan(
    demo: DemoOpt = False,
    replay: ReplayOpt = None,
    inventory: Annotated[Path | None, typer.Option(
        "--inventory", metavar="FILE", help="Judge a saved inventory (from `collect`).")] = None,
    subscription: SubscriptionOpt = None,
    resource_group: Annotated[list[str] | None, typer.Option(
        "--resource-group", "-g", metavar="NAME",
        help="Only judge these resource groups (repeatable).")] = None,
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", metavar="KEY=VALUE", help="Only judge resources with this tag.")] = None,
    check: Annotated[list[str] | None, typer.Option(
        "--check", metavar="ID", help="Only these check or requirement ids.")] = None,
    skip_check: Annotated[list[str] | None, typer.Option(
        "--skip-check", metavar="ID", help="Skip these check or requirement ids.")] = None,
    step: Annotated[list[str] | None, typer.Option(
        "--step", help="Only these CJIS steps (1-7, transit).")] = None,
    cloud: Annotated[CloudName | None, typer.Option(
        "--cloud", help="Azure cloud [default: commercial, or the config file's].")] = None,
    profile: Annotated[str | None, typer.Option(
        "--profile", help="commercial or government (default: from --cloud).")] = None,
    format: Annotated[str, typer.Option(
        "--format", "-f", help="Comma-separated report formats: console, json, jsonl, html, "
                                "packet, csv, junit, ocsf.",
    )] = "console",
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="DIR", help="Directory for file reports.")] = None,
    fail_on: Annotated[str | None, typer.Option(
        "--fail-on", help="Lowest severity of a failing finding that makes exit code 1.")] = None,
    allow_partial: Annotated[bool, typer.Option(
        "--allow-partial", help="Do not exit 3 when some scopes could not be read.")] = False,
    config_file: Annotated[Path, typer.Option(
        "--config", help="Settings file (TOML).")] = Path("cjis-scan.toml"),
    source: SourceOpt = InventorySource.arm,
    concurrency: Annotated[int | None, typer.Option(
        "--concurrency", min=1, max=MAX_CONCURRENCY,
        help=f"Most parallel reads (adaptive pool) [default: {MAX_CONCURRENCY}].")] = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Collect (or replay, or load) the tenant, judge it, and write the reports."""
    from scanner.config import load_config
    from scanner.findings import Severity
    from scanner.reporters import parse_formats, write_reports
    from scanner.scan import run_judgement

    _setup_logging(verbose)
    started = datetime.now(UTC)
    if profile is not None and profile not in ("commercial", "government"):
        raise UsageError(f"--profile {profile!r}: choose commercial or government")
    formats = parse_formats(format)
    config = load_config(config_file, {
        "cloud": cloud.value if cloud else None, "profile": profile,
        "subscriptions": subscription or [],
        "resource_groups": resource_group or [], "tags": _parse_tags(tag or []),
        "checks": _split(check), "skip_checks": _split(skip_check), "steps": _split(step),
        "fail_on": fail_on, "concurrency": concurrency,
    })
    from scanner.engine import select
    from scanner.framework import load_framework
    from scanner.registry import load_registry

    select(load_framework(), load_registry(), config)  # usage errors before any Azure call
    origin, inv = _collect(demo, replay, inventory, config.cloud, config.subscriptions,
                           config.concurrency, quiet, source.value)
    waiver_notes: list[str] = []  # expired or unused waivers: warned, never fatal
    result = run_judgement(inv, config, started, origin.label, waiver_warnings=waiver_notes)
    from rich.markup import escape

    for note in waiver_notes:
        err.print(f"[yellow]warning:[/] {escape(note)}", highlight=False)
    written = write_reports(result, formats, output, out)
    for path in written:
        err.print(f"wrote {path}")
    refused = [e for e in result.errors if e.code == "ReadOnlyGuard"]
    if refused:  # a collector tried to write: a bug, louder than any verdict
        err.print(f"[bold red]error:[/] the read-only guard refused {len(refused)} request(s): "
                  f"{refused[0].message}. Please report this as a cjis-scan bug.")
        raise typer.Exit(5)
    # Counted while judging: the exit code needs no pass over the findings.
    if result.scoreboard.failing_at_least(Severity(config.fail_on)):
        raise typer.Exit(1)
    if result.errors and not allow_partial:
        err.print(f"[yellow]scan incomplete:[/] {len(result.errors)} scope(s) could not be "
                  f"read; their findings are `unknown` (use --allow-partial to accept)")
        raise typer.Exit(3)


@app.command("checks")
def list_checks(
    format: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
    step: Annotated[list[str] | None, typer.Option("--step", help="Only these steps.")] = None,
) -> None:
    """List the CJIS 6.0 catalogue: requirements, steps, controls and their checks."""
    from scanner.catalogue import catalogue_json, catalogue_table

    if format not in ("table", "json"):
        raise UsageError(f"--format {format!r}: choose table or json")
    steps = _split(step)
    if format == "json":
        out.print_json(catalogue_json(steps))
    else:
        out.print(catalogue_table(steps))


@app.command()
def explain(item_id: Annotated[str, typer.Argument(metavar="ID",
                                                   help="A requirement or check id.")]) -> None:
    """Print one requirement or check in full."""
    from scanner.catalogue import explain_text

    out.print(explain_text(item_id))


def main() -> None:
    """Console-script entry point: run the app, turning scanner errors into exit codes."""
    try:
        app()
    except ScannerError as exc:
        err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
