"""Files the scanner reads (config, cassettes, saved inventories, frameworks), decoded safely.

Whatever a file holds, a loader ends in its value or in one error naming the file and
what is wrong (exit 2), never a traceback: not text, not UTF-8, UTF-16, gzip-compressed,
NUL bytes, nesting deep enough to exhaust the parser's recursion, numbers past Python's
int-digit limit or NaN/Infinity in JSON. A UTF-8 byte-order mark (what Windows editors
write) is accepted and dropped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scanner.errors import InputFileError, ScannerError

DECODE_FAILURES = (ValueError, TypeError, RecursionError, OverflowError, MemoryError)
"""What a parser raises on hostile input (json, tomllib, yaml, int() of 5,000 digits)."""

_UTF8_BOM = b"\xef\xbb\xbf"


def read_text(path: Path, what: str,
              error: type[ScannerError] = InputFileError) -> str:
    """The text of `path`; `error` naming the file and the problem when it is not UTF-8 text."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if raw.startswith(b"\x1f\x8b"):
        raise error(f"{path}: the {what} is gzip-compressed; decompress it first (gunzip)")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(raw) > 1 and raw[1:2] == b"\x00"):
        raise error(f"{path}: the {what} is UTF-16 text; save it as UTF-8")
    raw = raw.removeprefix(_UTF8_BOM)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: the {what} is not UTF-8 text (invalid byte at offset "
                    f"{exc.start})") from None
    if "\x00" in text:
        raise error(f"{path}: the {what} contains NUL bytes: it is not a text file")
    return text


def problem(exc: BaseException) -> str:
    """One line saying what a parser found wrong."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, MemoryError):
        return "too large to read"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__


def loads_json(text: str) -> Any:
    """`json.loads`, refusing NaN and Infinity (not JSON, and never in Azure's or our files)."""
    return json.loads(text, parse_constant=_no_constant)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads_yaml(text: str) -> Any:
    """`yaml.safe_load` through libyaml where PyYAML was built with it (ten times faster
    than the pure-Python parser, which is the fallback): the same values, the same errors."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506

