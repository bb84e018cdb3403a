"""The README and `--help` agree: every command and every flag documented, no flag
documented that does not exist, every exit code the CLI returns explained."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer.main
from typer.core import TyperGroup, TyperOption

from scanner.cli import app
from scanner.errors import INTERNAL_ERROR, INTERRUPTED

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands() -> dict[str, Any]:
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    return dict(group.commands)


def _flags(command: Any) -> set[str]:
    return {opt for param in command.params if isinstance(param, TyperOption)
            for opt in param.opts + param.secondary_opts if opt.startswith("--")} - {"--help"}


def _section(title: str) -> str:
    start = README.index(title)
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else len(README)]


def test_every_command_is_in_the_readme() -> None:
    for name in _commands():
        assert f"cjis-scan {name}" in README, name


def test_every_scan_flag_is_in_the_readme_table() -> None:
    table = _section("## Choosing what to judge")
    for flag in _flags(_commands()["scan"]):
        assert re.search(rf"`{re.escape(flag)}[`/ ]", table), f"{flag} is not in the README"


def test_every_flag_the_readme_names_exists() -> None:
    known = {f for command in _commands().values() for f in _flags(command)}
    named = set(re.findall(r"`(--[a-z][a-z-]*)", README))
    assert named <= known, sorted(named - known)


def test_every_exit_code_is_documented() -> None:
    table = _section("### Exit codes")
    codes = {int(c) for c in re.findall(r"^\| (\d+) \|", table, re.M)}
    assert codes == {0, 1, 2, 3, 4, 5, INTERNAL_ERROR, INTERRUPTED}


def test_defaults_in_help_match_the_readme() -> None:
    from scanner.config import RunOptions, ScanConfig

    table = _section("## Choosing what to judge")
    assert f"default `{ScanConfig.model_fields['fail_on'].default.value}`" in table
    assert f"default `{ScanConfig.model_fields['concurrency'].default}`" in table
    assert f"default `{RunOptions.model_fields['source'].default}`" in table
    assert f"default `{RunOptions.model_fields['format'].default}`" in table
    options = {p.opts[0]: p.help or "" for p in _commands()["scan"].params
               if isinstance(p, TyperOption)}
    for flag, default in (("--fail-on", "high"), ("--concurrency", "256"), ("--source", "arm"),
                          ("--format", "console")):
        assert options[flag].replace("\\[", "[").endswith(f"[default: {default}]"), flag


def test_the_readme_names_the_least_privileged_graph_permissions() -> None:
    from scanner.collectors.entra import REMEDIES

    section = _section("### Microsoft Graph permissions")
    for remedy in REMEDIES.values():
        for permission in re.findall(r"[A-Z][A-Za-z]+(?:\.[A-Z][A-Za-z]+)+", remedy):
            assert f"`{permission}`" in section, permission
