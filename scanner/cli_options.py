"""The command line's shared options: each flag declared once (its type, name and help),
with the choices it accepts, for the commands in scanner/cli.py to take."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from scanner.azure.clouds import CloudName
from scanner.config import MAX_CONCURRENCY


def with_default(text: str, default: str) -> str:
    """Help text ending in its default (typer shows none for a flag whose default is
    "not given", so a config file can set it)."""
    return f"{text} {escape(f'[default: {default}]')}"  # literal brackets, not rich markup


DemoOpt = Annotated[bool, typer.Option("--demo", help="Replay the bundled demo tenant (offline).")]
ReplayOpt = Annotated[Path | None, typer.Option("--replay", metavar="CASSETTE",
                                                help="Replay a recorded vcrpy cassette (offline).")]
SubscriptionOpt = Annotated[list[str] | None, typer.Option(
    "--subscription", "-s", metavar="ID", help="Subscription id in scope (repeatable).")]
CloudOpt = Annotated[CloudName | None, typer.Option(
    "--cloud", help=with_default("Azure cloud.", "commercial"))]
ConcurrencyOpt = Annotated[int | None, typer.Option(
    "--concurrency", min=1, max=MAX_CONCURRENCY,
    help=with_default("Most parallel reads (the pool adapts below it to Azure's budgets).",
                       str(MAX_CONCURRENCY)))]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")]
# One framework file per view of the requirements (checks/frameworks/*.yaml), or a file.
FrameworkOpt = Annotated[str | None, typer.Option(
    "--framework", metavar="NAME|FILE",
    help="Framework to judge and report by: a built-in name (checks/frameworks/*.yaml; "
         "an unknown name lists them) or a YAML file [default: the config file's, else "
         "the built-in one].")]


class InventorySource(StrEnum):
    """Where the bulk inventory comes from."""

    arm = "arm"
    graph = "graph"
    auto = "auto"


SOURCE_HELP = ("arm: one list per kind per subscription (authoritative); graph: Resource "
               "Graph in one query stream (fast on large tenants, but it silently omits what "
               "the principal cannot read); auto: Resource Graph, falling back to ARM on any "
               "error.")
SourceOpt = Annotated[InventorySource | None, typer.Option(
    "--source", help=with_default(SOURCE_HELP, "arm"))]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Log each read failure.")]
KeyVaultDataPlaneOpt = Annotated[bool, typer.Option(
    "--key-vault-data-plane",
    help="Also read each vault HSM key's hsmPlatform from the Key Vault data plane (one GET "
         "per key; needs Key Vault Reader and network access to the vault) to decide its "
         "FIPS 140 level.")]


class LogFormat(StrEnum):
    """How log lines are written to stderr."""

    text = "text"
    json = "json"


DebugOpt = Annotated[bool, typer.Option(
    "--debug", help="Log every request: method, URL (redacted), status, milliseconds.")]
LogFormatOpt = Annotated[LogFormat | None, typer.Option(
    "--log-format",
    help=with_default("Log lines as text or JSON objects (for scheduled jobs).", "text"))]
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", metavar="FILE", help=with_default(
        "Settings file (TOML); every key is a flag's name.", "./cjis-scan.toml if present"))]
DEFAULT_CONFIG = Path("cjis-scan.toml")


def settings_file(path: Path | None) -> Path | None:
    """The settings file to read: `--config` when given (it must exist), else
    ./cjis-scan.toml when present."""
    from scanner.cli_validate import config_path

    return config_path(path, DEFAULT_CONFIG)


def split_values(values: list[str] | None) -> list[str]:
    """Repeated and comma-separated flag values, as one list."""
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


class SeverityChoice(StrEnum):
    """Severities accepted by --fail-on and --min-severity."""

    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    info = "info"


FORMAT_CHOICES = "console, json, jsonl, html, packet, csv, junit, ocsf"
