"""Validation of what a user typed, before any sign-in or collection.

Everything here runs before the first Azure call, so a typo never throws away a long
collection, and every message is one plain sentence (no pydantic or Python wording):
what was wrong, the choices, and "did you mean" when a close one exists.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from scanner.errors import UsageError

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the closest of `choices`, or `""` when none is close."""
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def subscription_ids(values: Sequence[str], flag: str = "--subscription") -> list[str]:
    """The ids given, each checked to be a subscription GUID (a name is a usage error)."""
    for value in values:
        if not GUID.match(value.strip()):
            raise UsageError(f"{flag} {value!r} is not a subscription id: give the GUID "
                             "(`az account list --query [].id -o tsv` lists them)")
    return [v.strip() for v in values]


def parse_tags(tags: Sequence[str]) -> dict[str, str]:
    """`KEY=VALUE` pairs. Keys are kept as typed; they match case-insensitively (as in Azure)."""
    parsed: dict[str, str] = {}
    for tag in tags:
        key, sep, value = tag.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--tag {tag!r}: expected KEY=VALUE, e.g. --tag env=prod")
        parsed[key.strip()] = value
    return parsed


def config_path(path: Path | None, default: Path) -> Path | None:
    """The config file to read: an explicit `--config` must exist; the default is optional."""
    if path is None:
        return default if default.is_file() else None
    if path.is_dir():
        raise UsageError(f"--config {path} is a directory, not a settings file")
    if not path.is_file():
        raise UsageError(f"--config {path}: no such file")
    return path


def _nearest_existing(path: Path) -> Path:
    current = path.absolute()
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def _creatable(path: Path, what: str) -> None:
    """`path` does not exist yet: its nearest existing ancestor must be a writable directory."""
    ancestor = _nearest_existing(path.parent)
    if not ancestor.is_dir():
        raise UsageError(f"{what} {path}: {ancestor} is a file, not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UsageError(f"{what} {path}: {ancestor} is not writable")


def output_dir(path: Path, flag: str = "--output") -> None:
    """A directory reports can be written into (or created in): checked before collecting."""
    if path.exists():
        if not path.is_dir():
            raise UsageError(f"{flag} {path} is a file: give a directory for the reports")
        if not os.access(path, os.W_OK | os.X_OK):
            raise UsageError(f"{flag} {path} is not writable")
        return
    _creatable(path, flag)


def output_file(path: Path, flag: str = "--output") -> None:
    """A file that can be written (not a directory, not under a file, not read-only)."""
    if path.is_dir():
        raise UsageError(f"{flag} {path} is a directory: give a file name, e.g. "
                         f"{path / 'inventory.json'}")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise UsageError(f"{flag} {path} is read-only")
        return
    _creatable(path, flag)


def choice(flag: str, value: str, choices: Sequence[str]) -> str:
    """`value` if it is one of `choices`, else a usage error listing them."""
    if value not in choices:
        raise UsageError(f"{flag} {value!r}: choose {', '.join(choices)}"
                         f"{did_you_mean(value, choices)}")
    return value


_PLAIN = {
    "missing": "is required",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "string_type": "expected text in quotes",
    "list_type": "expected a list, e.g. [\"a\", \"b\"]",
    "dict_type": "expected a table, e.g. { key = \"value\" }",
    "date_type": "expected a date, e.g. 2027-03-31",
    "date_parsing": "expected a date, e.g. 2027-03-31",
    "date_from_datetime_parsing": "expected a date, e.g. 2027-03-31",
}


def plain_validation_message(error: Mapping[str, Any]) -> str:
    """One pydantic error in plain words (what was expected), never pydantic's phrasing."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in _PLAIN:
        return _PLAIN[kind]
    if kind == "enum" and "expected" in ctx:
        return f"choose {str(ctx['expected']).replace(' or ', ', ')}"
    if kind == "literal_error" and "expected" in ctx:
        return f"choose {str(ctx['expected']).replace(' or ', ', ')}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"must be at least {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"must be at most {ctx.get('le', ctx.get('lt'))}"
    if kind == "extra_forbidden":
        return "is not a setting"
    message = str(error.get("msg", "is not valid"))
    # Plain validators raise ValueError("..."): pydantic prefixes "Value error, ".
    return message.removeprefix("Value error, ")
