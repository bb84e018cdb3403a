"""CI runs what a developer runs: `make lint` (all of it), then `make test`."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _target(name: str) -> list[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    body = re.search(rf"^{name}:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert body, f"no `{name}` target in the Makefile"
    return [line.strip() for line in body.group(1).splitlines()]


def test_ci_runs_lint_then_the_tests() -> None:
    commands = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip().startswith("make ")
    ]
    assert commands == ["make lint", "make test"]


def test_lint_is_ruff_a_format_check_and_strict_mypy_over_scanner_and_checks() -> None:
    lint = _target("lint")
    assert any(line.endswith("ruff check scanner checks tests") for line in lint)
    assert any("ruff format --check $(FORMATTED)" in line for line in lint)
    assert any(line.endswith("/mypy") for line in lint)
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert mypy["strict"] is True and set(mypy["packages"]) == {"scanner", "checks"}


def test_every_formatted_file_exists() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    block = re.search(r"^FORMATTED := ((?:.*\\\n)*.*)$", makefile, re.M)
    assert block
    files = block.group(1).replace("\\\n", " ").split()
    assert files and all((ROOT / f).is_file() for f in files)
