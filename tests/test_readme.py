"""The README's catalogue is the one the registry and framework file generate."""

from __future__ import annotations

from pathlib import Path

from scanner.catalogue import README_BEGIN, README_END, catalogue_markdown

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_catalogue_is_generated_from_the_sources() -> None:
    text = README.read_text(encoding="utf-8")
    block = text[text.index(README_BEGIN) + len(README_BEGIN):text.index(README_END)]
    assert block.strip() == catalogue_markdown().strip(), (
        "README catalogue is stale: run `.venv/bin/python -m scanner.catalogue`")


def test_readme_names_the_two_commands_and_ci_runs_the_second() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make demo" in text and "make test" in text
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
