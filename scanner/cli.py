"""The `cjis-scan` command line: scan, collect, record, doctor, checks, explain.

Exit codes (for scheduled jobs): 0 no failing finding at or above --fail-on; 1 failing
findings; 2 usage or configuration error (bad flag, unknown check, malformed config,
cassette or inventory); 3 scan incomplete (collection errors, no failing finding to
report) unless --allow-partial; 4 could not sign in to Azure; 5 a write was refused by
the read-only guard (the reads go on; the reports are written first); 70 an internal
error (a bug: the traceback is saved, its path printed); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from scanner import __version__
from scanner.azure.clouds import CloudName
from scanner.cli_options import (
    FORMAT_CHOICES,
    CloudOpt,
    ConcurrencyOpt,
    ConfigOpt,
    DebugOpt,
    DemoOpt,
    FrameworkOpt,
    InventorySource,
    KeyVaultDataPlaneOpt,
    LogFormat,
    LogFormatOpt,
    QuietOpt,
    ReplayOpt,
    SeverityChoice,
    SourceOpt,
    SubscriptionOpt,
    VerboseOpt,
    settings_file,
    split_values,
    with_default,
)
from scanner.errors import INTERRUPTED, ScannerError, UsageError

app = typer.Typer(
    name="cjis-scan",
    help="Scan an Azure tenant against the FBI CJIS Security Policy 6.0.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


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


def _collect_settings(config_file: Path | None, output: Path, cloud: CloudName | None,
                      subscription: list[str] | None, concurrency: int | None,
                      source: InventorySource | None = None, quiet: bool = False,
                      verbose: bool = False, debug: bool = False,
                      log_format: LogFormat | None = None,
                      key_vault_data_plane: bool = False) -> tuple[Any, Any]:
    """`collect` and `record` read the config file too; their output is checked first."""
    from scanner.cli_validate import output_file, subscription_ids
    from scanner.config import load_settings

    config, options = load_settings(settings_file(config_file), {
        "cloud": cloud.value if cloud else None, "subscriptions": subscription or [],
        "concurrency": concurrency,
    }, {"source": source.value if source else None, "quiet": quiet, "verbose": verbose,
        "debug": debug, "log_format": log_format.value if log_format else None,
        "key_vault_data_plane": key_vault_data_plane})
    subscription_ids(config.subscriptions)
    output_file(output)
    return config, options


@app.command()
def collect(
    output: Annotated[Path, typer.Option("--output", "-o", help="Inventory JSON to write.")],
    demo: DemoOpt = False,
    replay: ReplayOpt = None,
    subscription: SubscriptionOpt = None,
    cloud: CloudOpt = None,
    source: SourceOpt = None,
    concurrency: ConcurrencyOpt = None,
    config_file: ConfigOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    debug: DebugOpt = False,
    log_format: LogFormatOpt = None,
    key_vault_data_plane: KeyVaultDataPlaneOpt = False,
) -> None:
    """Collect the tenant into a normalised inventory (JSON), without judging it."""
    from scanner.cli_run import run_collect

    config, options = _collect_settings(config_file, output, cloud, subscription, concurrency,
                                        source, quiet, verbose, debug, log_format,
                                        key_vault_data_plane)
    run_collect(config, options, demo=demo, replay=replay, output=output, err=err)


@app.command()
def record(
    output: Annotated[Path, typer.Option("--output", "-o", help="Cassette (YAML) to write.")],
    subscription: SubscriptionOpt = None,
    cloud: CloudOpt = None,
    scrub_ids: Annotated[bool, typer.Option(
        "--scrub-ids/--keep-ids", help="Replace tenant and subscription ids too.")] = True,
    concurrency: ConcurrencyOpt = None,
    config_file: ConfigOpt = None,
    quiet: QuietOpt = False,
    key_vault_data_plane: KeyVaultDataPlaneOpt = False,
) -> None:
    """Record a live collection into a cassette, with tokens and secrets scrubbed."""
    from scanner.cli_run import setup_logging
    from scanner.inventory import Inventory
    from scanner.progress import Progress
    from scanner.recording import RecordingTransport
    from scanner.sources import Source, load_inventory

    config, options = _collect_settings(config_file, output, cloud, subscription, concurrency,
                                        quiet=quiet, key_vault_data_plane=key_vault_data_plane)
    setup_logging(False)
    saved: list[int] = []

    def save(transport: RecordingTransport, inventory: Inventory | None) -> None:
        ids = [s.lower() for s in config.subscriptions] if scrub_ids else []
        if scrub_ids and inventory is not None:
            ids += [s.subscription_id for s in inventory.subscriptions]
            ids += [inventory.tenant_id] if inventory.tenant_id else []
        saved.append(transport.save(output, ids))

    with Progress(err, quiet=options.quiet, heartbeat=options.heartbeat) as progress:
        progress.phase("collecting")
        inventory = load_inventory(Source(), config.cloud, config.subscriptions,
                                   config.concurrency, progress.collected, recorder=save,
                                   key_vault_data_plane=options.key_vault_data_plane)
    err.print(f"recorded {saved[0] if saved else 0} interactions into {output} "
              f"({len(inventory.errors)} scope(s) could not be read)", markup=False,
              highlight=False)


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
        "--tag", metavar="KEY=VALUE",
        help="Only judge resources with this tag (keys match case-insensitively).")] = None,
    check: Annotated[list[str] | None, typer.Option(
        "--check", metavar="ID", help="Only these check or requirement ids.")] = None,
    skip_check: Annotated[list[str] | None, typer.Option(
        "--skip-check", metavar="ID", help="Skip these check or requirement ids.")] = None,
    step: Annotated[list[str] | None, typer.Option(
        "--step", help="Only these sections of the framework (see `cjis-scan checks`).")] = None,
    framework: FrameworkOpt = None,
    cloud: CloudOpt = None,
    profile: Annotated[str | None, typer.Option(
        "--profile", help=with_default("A profile of the framework (severities).",
                                        "from --cloud"))] = None,
    format: Annotated[str | None, typer.Option(
        "--format", "-f",
        help=with_default(f"Comma-separated report formats: {FORMAT_CHOICES}.", "console"))
    ] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="DIR", help="Directory for file reports.")] = None,
    fail_on: Annotated[SeverityChoice | None, typer.Option(
        "--fail-on",
        help=with_default("Lowest severity of a failing finding that makes exit code 1.", "high"))
    ] = None,
    allow_partial: Annotated[bool, typer.Option(
        "--allow-partial", help="Do not exit 3 when unread scopes made findings unknown.")
    ] = False,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 2 when --resource-group or --tag matches nothing.")] = False,
    config_file: ConfigOpt = None,
    source: SourceOpt = None,
    concurrency: ConcurrencyOpt = None,
    only_failing: Annotated[bool, typer.Option(
        "--only-failing", help="File reports list only fail and unknown findings.")] = False,
    min_severity: Annotated[SeverityChoice | None, typer.Option(
        "--min-severity", help="File reports list only findings this severe or more.")
    ] = None,
    summary: Annotated[bool, typer.Option(
        "--summary", help="Console: scores and the verdict only, one screen.")] = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    debug: DebugOpt = False,
    log_format: LogFormatOpt = None,
    key_vault_data_plane: KeyVaultDataPlaneOpt = False,
    history: Annotated[str | None, typer.Option(
        "--history", metavar="TARGET", help="Record the run in this history: a SQLite file "
        "or a postgresql:// URL [default: the config file's].")] = None,
    baseline: Annotated[str | None, typer.Option(
        "--baseline", metavar="REPORT.json|RUN", help="Compare with a saved JSON report or "
                                                      "a run id of --history.")] = None,
    fail_on_new: Annotated[str | None, typer.Option(
        "--fail-on-new", metavar="SEVERITY", help="Exit 1 only for new or regressed failing "
                                                  "findings at or above this severity.")] = None,
) -> None:
    """Collect (or replay, or load) the tenant, judge it, and write the reports."""
    from scanner.cli_run import run_scan
    from scanner.cli_validate import parse_tags
    from scanner.config import load_settings

    config, options = load_settings(settings_file(config_file), {
        "cloud": cloud.value if cloud else None,
        "profile": profile, "framework": framework,
        "subscriptions": subscription or [],
        "resource_groups": resource_group or [], "tags": parse_tags(tag or []),
        "checks": split_values(check), "skip_checks": split_values(skip_check),
        "steps": split_values(step),
        "fail_on": fail_on.value if fail_on else None, "concurrency": concurrency,
        "history": history,
    }, {
        "format": format, "output": output, "allow_partial": allow_partial,
        "strict": strict, "source": source.value if source else None,
        "only_failing": only_failing,
        "min_severity": min_severity.value if min_severity else None,
        "summary": summary, "quiet": quiet, "verbose": verbose, "debug": debug,
        "log_format": log_format.value if log_format else None,
        "key_vault_data_plane": key_vault_data_plane,
    })
    code = run_scan(config, options, demo=demo, replay=replay, inventory=inventory,
                    out=out, err=err, baseline=baseline, fail_on_new=fail_on_new)
    if code:
        raise typer.Exit(code)


@app.command()
def doctor(
    demo: DemoOpt = False,
    replay: ReplayOpt = None,
    subscription: SubscriptionOpt = None,
    cloud: CloudOpt = None,
    config_file: ConfigOpt = None,
    key_vault_data_plane: KeyVaultDataPlaneOpt = False,
) -> None:
    """Check sign-in and every permission a scan needs, in seconds: Reader on each
    subscription, each Microsoft Graph permission, Resource Graph access; say what each
    missing one would make unknown. Exit 0 when all are in place, 3 when not."""
    from scanner.cli_validate import subscription_ids
    from scanner.config import load_settings
    from scanner.doctor import diagnose, factory_for, render
    from scanner.registry import load_registry

    config, options = load_settings(settings_file(config_file), {
        "cloud": cloud.value if cloud else None, "subscriptions": subscription or []},
        {"key_vault_data_plane": key_vault_data_plane})
    subscription_ids(config.subscriptions)
    if replay is not None and not replay.is_file():
        raise UsageError(f"--replay {replay}: no such file")
    factory, transport = factory_for(demo, replay, config.cloud)
    try:
        diagnosis = diagnose(factory, config.subscriptions, load_registry(),
                             options.key_vault_data_plane)
    finally:
        transport.close()
    render(diagnosis, out)
    if diagnosis.exit_code:
        raise typer.Exit(diagnosis.exit_code)


@app.command("checks")
def list_checks(
    format: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
    step: Annotated[list[str] | None, typer.Option("--step", help="Only these sections.")] = None,
    framework: FrameworkOpt = None,
) -> None:
    """List the catalogue: the framework's requirements, sections, controls and checks."""
    from scanner.catalogue import catalogue_json, catalogue_table

    if format not in ("table", "json"):
        raise UsageError(f"--format {format!r}: choose table or json")
    steps = split_values(step)
    from scanner.framework import DEFAULT_FRAMEWORK

    name = framework or DEFAULT_FRAMEWORK
    if format == "json":
        out.print_json(catalogue_json(steps, name))
    else:
        out.print(catalogue_table(steps, name))


@app.command()
def explain(item_id: Annotated[str, typer.Argument(metavar="ID",
                                                   help="A requirement or check id.")]) -> None:
    """Print one requirement or check in full."""
    from scanner.catalogue import explain_text
    from scanner.cli_validate import did_you_mean
    from scanner.registry import judged_framework

    try:
        out.print(explain_text(item_id))
    except UsageError as exc:
        framework = judged_framework()
        ids = [*framework.check_ids(), *(r.id for r in framework.requirements)]
        raise UsageError(f"{exc}{did_you_mean(item_id, ids)}") from None


from scanner.history.commands import register as _register_history  # noqa: E402

_register_history(app)  # `cjis-scan diff` and `cjis-scan history` (scanner/history/commands.py)


def main() -> None:
    """Console-script entry point: run the app, turning scanner errors into exit codes.

    Ctrl-C exits 130 saying which reports were written (each is written atomically, so
    none is partial); an unexpected internal error exits INTERNAL_ERROR (never 1, which
    means failing findings) with one line and the path of the saved traceback.
    """
    from scanner.cli_exits import internal_error, interrupt_in, interrupted
    from scanner.output_files import completed_files

    earlier = len(completed_files())  # files of this run only (tests call main() again)
    try:
        app()
    except ScannerError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        interrupted(completed_files()[earlier:], err)
    except SystemExit as exc:
        # typer turns Ctrl-C into a silent `Exit(130)`; say what was (not) written.
        if exc.code == INTERRUPTED and interrupt_in(exc):
            interrupted(completed_files()[earlier:], err)
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback
        internal_error(exc, err)


if __name__ == "__main__":
    main()
