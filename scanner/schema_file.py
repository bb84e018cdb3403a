"""`python -m <module> [--check]` for a published JSON Schema file: rewrite it, or exit 1
when it is out of date (CI runs `--check`, so a model change without its file fails)."""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(path: Path, text: str, module: str, argv: list[str] | None = None) -> int:
    """Rewrite `path` with `text`, or with `--check` in `argv` compare them (exit 1 when
    they differ, naming the command that rewrites it)."""
    args = sys.argv[1:] if argv is None else argv
    if "--check" in args:
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current != text:
            print(f"{path} is out of date: run python -m {module}", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {path}")
    return 0
