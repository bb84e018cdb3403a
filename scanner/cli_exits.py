"""How a run ends when it does not end normally: Ctrl-C (exit 130, saying which reports were
written) and an internal error (exit 70 with one line; the redacted traceback saved to a
private file), never a traceback on the terminal and never exit 1 (failing findings)."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from scanner import __version__
from scanner.errors import INTERNAL_ERROR, INTERRUPTED


def interrupt_in(exc: BaseException) -> bool:
    """Whether a Ctrl-C is behind `exc` (typer wraps it in a silent `Exit(130)`)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def interrupted(written: list[Path], err: Console) -> None:
    """Say on `err` which reports were written (each atomically: none is partial); exit 130."""
    what = ("no report written" if not written
            else "wrote " + ", ".join(str(p) for p in written) + "; nothing else written")
    err.print(f"interrupted: {what}", markup=False, highlight=False)
    sys.exit(INTERRUPTED)


def internal_error(exc: BaseException, err: Console) -> None:
    """One line on `err`, the redacted traceback saved to a private file; exit 70."""
    import tempfile
    import traceback

    from scanner.output_files import write_private
    from scanner.redact import redact

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = Path(tempfile.gettempdir()) / f"cjis-scan-crash-{stamp}-{os.getpid()}.txt"
    text = redact(f"cjis-scan {__version__}\n" + "".join(traceback.format_exception(exc)))
    try:
        write_private(path, text)
        where = f"the traceback is in {path}"
    except OSError:
        where = "the traceback could not be saved"
    summary = redact(f"{type(exc).__name__}: {exc}".splitlines()[0])[:200]
    err.print(f"internal error (a cjis-scan bug, please report it): {summary}; {where}",
              markup=False, highlight=False)
    sys.exit(INTERNAL_ERROR)
