"""What `cjis-scan scan` and `collect` do once their flags are read: validate everything
the user typed, then collect, judge, report, and return the exit code (scanner.outcome).

Every check of the user's input runs before sign-in, so a typo never costs a collection.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from scanner import cli_validate
from scanner.config import RunOptions, ScanConfig
from scanner.errors import UsageError
from scanner.inventory import Inventory
from scanner.progress import Progress


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and any `extra` fields."""

    _STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
        "message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name,
            "message": record.getMessage()}
        data.update({k: v for k, v in record.__dict__.items() if k not in self._STANDARD})
        return json.dumps(data, default=str)


def setup_logging(verbose: bool, debug: bool = False, log_format: str = "text") -> None:
    """Log to stderr: warnings, or each read failure (`--verbose`), or each request too
    (`--debug`), as text or JSON lines (`--log-format json`)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json"
                         else logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.set_name("cjis-scan")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "cjis-scan"]:
        root.removeHandler(old)  # a second run in one process (tests) replaces its own only
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING)
    # The SDKs' HTTP logging would print URLs and headers of every call: --debug logs
    # requests itself, redacted (scanner.debug_http).
    logging.getLogger("azure").setLevel(logging.WARNING)
    for noisy in ("urllib3", "markdown_it", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def collected_kinds(selection: Any) -> set[str] | None:
    """What the selected checks read, list by list (scanner.narrowing): the Azure
    Resource Manager lists and follow-ups their declarations name, with what the scan
    itself reads, and the Microsoft Graph reads (`entra`) when a check reads Entra ID or
    Intune; the key administrators are named (directory reads) only for a check that
    reads role assignments.

    Each check's declared reads cover what it consults (tests/test_declared_reads.py), so
    a list left out is one no selected check reads: tests/cli/test_narrowed_collection.py
    proves each check judges the same narrowed as in a full scan.
    """
    from scanner.collectors.tasks import Reads
    from scanner.directory_model import COLLECTOR as PRINCIPALS
    from scanner.gate import declared_reads
    from scanner.graph_kinds import COLLECTORS as ENTRA_COLLECTORS
    from scanner.graph_kinds import ENTRA_KIND
    from scanner.narrowing import arm_lists, reads_of

    graph_only = {*ENTRA_COLLECTORS, "tenant"}
    reads_arm = False
    for check in selection.checks.values():
        reads = set(declared_reads(check.meta))
        # A tenant check needing only Graph collectors judges Graph data only.
        only_graph = "tenant" in reads and bool(check.meta.needs) and reads <= graph_only
        reads_arm = reads_arm or not only_graph
    reads = reads_of(selection.checks.values())
    wanted = arm_lists(reads - set(ENTRA_COLLECTORS)) if reads_arm else Reads()
    if not reads.isdisjoint(ENTRA_COLLECTORS):
        wanted.add(ENTRA_KIND)
    if reads_arm and "role_assignments" in reads:
        wanted.add(PRINCIPALS)
    return wanted


def _boundary_warnings(inventory: Inventory, config: ScanConfig) -> list[str]:
    """`--resource-group` / `--tag` values that match nothing in the inventory."""
    warnings = []
    groups = {g.name.lower() for g in inventory.resource_groups}
    groups |= {r.resource_group.lower() for r in inventory.resources if r.resource_group}
    for group in config.resource_groups:
        if group.lower() not in groups:
            warnings.append(f"--resource-group {group}: no resource group of that name in the "
                            "subscriptions in scope" + cli_validate.did_you_mean(group, groups))
    if config.tags:
        wanted = {k.lower(): v for k, v in config.tags.items()}
        tagged = [{k.lower(): v for k, v in (r.tags or {}).items()}
                  for kind in ("resources", "resource_groups")
                  for r in getattr(inventory, kind)]
        if not any(all(t.get(k) == v for k, v in wanted.items()) for t in tagged):
            shown = ", ".join(f"{k}={v}" for k, v in config.tags.items())
            warnings.append(f"--tag {shown}: no resource or resource group carries "
                            f"{'this tag' if len(config.tags) == 1 else 'these tags'}")
    return warnings


def validate_scan(config: ScanConfig, options: RunOptions) -> tuple[Any, list[Any]]:
    """Every check of a scan's input that needs no Azure: (selection, report formats)."""
    from scanner.engine import select
    from scanner.framework import require_sections
    from scanner.registry import judged_framework, load_registry
    from scanner.reporters import FileReporter, parse_formats, reporter_for

    cli_validate.subscription_ids(config.subscriptions)
    formats = parse_formats(options.format)
    framework = judged_framework(config.framework)
    ids = sorted(framework.check_ids() | {r.id for r in framework.requirements})
    for flag, values in (("--check", config.checks), ("--skip-check", config.skip_checks)):
        for value in values:
            if value not in ids:
                raise UsageError(f"{flag} {value}: unknown check or requirement id"
                                 f"{cli_validate.did_you_mean(value, ids)} "
                                 "(`cjis-scan checks` lists them)")
    require_sections(framework, config.steps)
    selection = select(framework, load_registry(), config)
    if not selection.checks:
        chosen = [f"--{name} {' '.join(values)}" for name, values in (
            ("step", config.steps), ("check", config.checks),
            ("skip-check", config.skip_checks)) if values]
        raise UsageError(f"{' with '.join(chosen)} selects no check: nothing would be judged "
                         "(see `cjis-scan checks`)")
    if any(isinstance(reporter_for(f), FileReporter) for f in formats):
        if options.output is None:
            names = ",".join(f.value for f in formats if f.value != "console")
            raise UsageError(f"--format {names} writes files: give --output DIR")
        cli_validate.output_dir(options.output)
    return selection, formats


def load(source: Any, config: ScanConfig, options: RunOptions, progress: Progress,
         kinds: set[str] | None = None) -> Inventory:
    """The inventory the source names, with the run's progress and --debug logging."""
    from scanner.sources import load_inventory

    wrap = None
    if options.debug:
        from scanner.debug_http import DebugTransport

        wrap = DebugTransport
    progress.phase("collecting")
    return load_inventory(source, config.cloud, config.subscriptions, config.concurrency,
                          progress.collected, inventory_source=options.source, kinds=kinds,
                          wrap_transport=wrap,
                          key_vault_data_plane=options.key_vault_data_plane)


def no_subscription_error(inventory: Inventory, config: ScanConfig) -> UsageError | None:
    """The error when nothing is in scope: no subscription read, so nothing could be judged."""
    if inventory.subscriptions or any(e.code == "ReadOnlyGuard" for e in inventory.errors):
        return None  # a refused request is exit 5, louder than an empty scope
    first = next((e for e in inventory.errors if e.collector == "subscriptions"), None)
    why = f": {first.message} (fix: {first.remedy})" if first else ""
    if config.subscriptions:
        return UsageError(f"no subscription in scope: none of --subscription "
                          f"{', '.join(config.subscriptions)} could be read{why}")
    return UsageError("no subscription in scope: the credential can read none (grant it the "
                      f"Reader role on each subscription to scan){why}")


def run_scan(config: ScanConfig, options: RunOptions, *, demo: bool, replay: Path | None,
             inventory: Path | None, out: Console, err: Console, baseline: str | None = None,
             fail_on_new: str | None = None) -> int:
    """Validate, collect, judge, record in the history and report; the exit code."""
    from scanner import integrity
    from scanner.history import scanhook
    from scanner.scan import run_judgement
    from scanner.sources import Source, cloud_override_warning

    setup_logging(options.verbose, options.debug, options.log_format)
    started = datetime.now(UTC)
    selection, formats = validate_scan(config, options)
    scanhook.check_options(baseline, config.history, fail_on_new)  # before any Azure call
    source = Source(demo=demo, replay=replay, inventory=inventory)
    if inventory is not None and not inventory.is_file():
        raise UsageError(f"--inventory {inventory}: no such file")
    if replay is not None and not replay.is_file():
        raise UsageError(f"--replay {replay}: no such file")
    warning = cloud_override_warning(config.cloud)
    if warning and not (demo or replay or inventory):
        err.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    with Progress(err, quiet=options.quiet, heartbeat=options.heartbeat,
                  log_format=options.log_format) as progress:
        kinds = collected_kinds(selection)
        inv = load(source, config, options, progress, kinds)
        missing = no_subscription_error(inv, config)
        if missing is not None:
            raise missing
        # Groups and tags are only known when the groups were listed (not in a Graph-only
        # scan, whose tenant-wide checks no group or tag narrows).
        listed = kinds is None or "resource_groups" in kinds
        for note in _boundary_warnings(inv, config) if listed else []:
            if options.strict:
                raise UsageError(f"{note} (--strict)")
            err.print(f"[yellow]warning:[/] {escape(note)}", highlight=False)
        progress.phase("judging", total=len(selection.checks))
        waiver_notes: list[str] = []  # expired or unused waivers: warned, never fatal
        result = run_judgement(inv, config, started, source.label, waiver_warnings=waiver_notes,
                               allow_partial=options.allow_partial,
                               on_check=progress.advance)
        # Continuous monitoring (scanner.history): evidence digest, record, baseline diff.
        integrity.annotate(result, source, inv)
        scanhook.attach_history(result, config.history, baseline,
                                int(str(result.meta.outcome["exit_code"])))
        progress.phase("writing reports", total=len(formats))
        written = write_all(result, formats, options, out, progress)
    for note in waiver_notes:
        err.print(f"[yellow]warning:[/] {escape(note)}", highlight=False)
    for path in written:
        err.print(f"wrote {escape(str(path))}", highlight=False)
    if scanhook.summary(result):
        err.print(escape(scanhook.summary(result) or ""), highlight=False)
    code = int(str(result.meta.outcome["exit_code"]))
    if code != 5 and scanhook.history_error(result):  # reports written: say why it failed
        err.print(f"[bold red]error:[/] {escape(scanhook.history_error(result) or '')}")
        return 2
    if fail_on_new and code in (0, 1):  # the gate follows new failing findings only
        code = 1 if scanhook.new_failing(result, fail_on_new) else 0
    if code == 5:
        refused = [e for e in result.errors if e.code == "ReadOnlyGuard"]
        err.print(f"[bold red]error:[/] the read-only guard refused {len(refused)} request(s): "
                  f"{escape(refused[0].message)}. Please report this as a cjis-scan bug.")
    elif code == 3:
        err.print(f"[yellow]scan incomplete:[/] {escape(str(result.meta.outcome['summary']))}",
                  highlight=False)
    return code


def write_all(result: Any, formats: list[Any], options: RunOptions, out: Console,
              progress: Progress) -> list[Path]:
    """The console (whole, or `--summary`) and the file reports (limited by
    `--only-failing` / `--min-severity`), one format at a time."""
    from scanner.reporters import ReportFormat, write_reports
    from scanner.reporters.console import render_console

    view = _report_view(result, options)
    written: list[Path] = []
    for fmt in formats:
        if fmt is ReportFormat.CONSOLE:
            render_console(result, out, summary=options.summary)
        else:
            written += write_reports(view, [fmt], options.output, out)
        progress.advance(fmt.value)
    return written


def _report_view(result: Any, options: RunOptions) -> Any:
    """The result as file reports show it: `--only-failing` / `--min-severity` applied."""
    if not options.only_failing and options.min_severity is None:
        return result
    from scanner.report_filter import filtered

    return filtered(result, only_failing=options.only_failing,
                    min_severity=options.min_severity)


def run_collect(config: ScanConfig, options: RunOptions, *, demo: bool, replay: Path | None,
                output: Path, err: Console) -> None:
    """`collect`: the inventory, written to `output` (checked before collecting)."""
    from scanner.sources import Source

    setup_logging(options.verbose, options.debug, options.log_format)
    with Progress(err, quiet=options.quiet, heartbeat=options.heartbeat,
                  log_format=options.log_format) as progress:
        inventory = load(Source(demo=demo, replay=replay), config, options, progress)
    missing = no_subscription_error(inventory, config)
    if missing is not None:
        raise missing
    from scanner.output_files import write_private

    try:
        write_private(output, inventory.to_json())  # atomic, 0o600 even over an existing file
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    counts = {k: len(v) for k, v in inventory.model_dump().items()
              if isinstance(v, list) and k not in ("diagnostic_targets",)}
    summary = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items() if v)
    err.print(f"wrote {output}: {summary}", markup=False, highlight=False)
    if inventory.errors:
        err.print(f"[yellow]{len(inventory.errors)} scope(s) could not be read[/] "
                  f"(see `errors` in {escape(str(output))})")
