"""One item at a time: a malformed item is that item's error, never the list's or the scan's.

Azure's lists are mapped item by item (`map_items`). An item with no `id`, a `tags` that
is a string, a numeric `location`, a `properties` that is a list: each becomes a
`CollectionError` of its own (scope: the item's id when it has one, so the engine
reports that resource `unknown`; else the list's scope, so the whole kind there is
`unknown`) and every other item of the list is kept. Before this an item without an id
became findings with an empty resource id sharing one fingerprint, and a string `tags`
was a traceback with no report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from scanner.inventory import CollectionError
from scanner.inventory_base import normalize_id
from scanner.redact import redact

T = TypeVar("T")

SHAPE_REMEDY = "report this response shape as a cjis-scan bug"
MAPPING_FAILURES = (ValidationError, TypeError, AttributeError, ValueError, KeyError,
                    LookupError, OverflowError)
"""What a mapper raises on a body that is not as Azure documents it."""

_OPTIONAL_STRINGS = ("name", "type", "location", "kind", "managedBy")
_OPTIONAL_OBJECTS = ("properties", "sku")


def shape_problem(raw: Any) -> str | None:
    """What is wrong with the common fields of an ARM item, or None.

    Checked before mapping so the error says which field is wrong, in Azure's words,
    rather than the mapper's Python exception.
    """
    if not isinstance(raw, Mapping):
        return f"the item is {_kind(raw)}, not an object"
    item_id = raw.get("id")
    if item_id is None or item_id == "":
        return "the item has no `id`"
    if not isinstance(item_id, str):
        return f"`id` is {_kind(item_id)}, not a string"
    for key in _OPTIONAL_STRINGS:
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            return f"`{key}` is {_kind(value)}, not a string"
    for key in _OPTIONAL_OBJECTS:
        value = raw.get(key)
        if value is not None and not isinstance(value, Mapping):
            return f"`{key}` is {_kind(value)}, not an object"
    tags = raw.get("tags")
    if tags is not None:
        if not isinstance(tags, Mapping):
            return f"`tags` is {_kind(tags)}, not an object"
        for key, value in tags.items():
            if value is not None and not isinstance(value, str | int | float | bool):
                return f"tag {redact(str(key))[:80]!r} is {_kind(value)}, not a string"
    return None


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def map_items(raw_items: Iterable[Any], mapper: Callable[[Any], T], scope: str,
              collector: str) -> tuple[list[T], list[CollectionError]]:
    """(mapped items, one error per item that could not be mapped) of one list."""
    items: list[T] = []
    errors: list[CollectionError] = []
    for number, raw in enumerate(raw_items, 1):
        problem = shape_problem(raw)
        if problem is None:
            try:
                items.append(mapper(raw))
                continue
            except MAPPING_FAILURES as exc:
                problem = _describe(exc)
        errors.append(item_error(raw, number, problem, scope, collector))
    return items, errors


def item_error(raw: Any, number: int, problem: str, scope: str,
               collector: str) -> CollectionError:
    """The error of item `number` of a list read at `scope`."""
    item_id = raw.get("id") if isinstance(raw, Mapping) else None
    own = normalize_id(item_id) if isinstance(item_id, str) and item_id.strip() else None
    where = f"item {number} of the list" if own is None else "this item"
    return CollectionError(
        scope=redact(own) if own else scope, collector=collector, code="UnexpectedShape",
        message=redact(f"Azure returned data the scanner cannot read: {where}: {problem}")[:500],
        remedy=SHAPE_REMEDY)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(item)"
        return f"{field}: {first['msg']}"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
