"""The base of every inventory model, and ARM ids and locations normalised once.

Azure's quirks are normalised here: ARM ids lower-cased with one leading slash, locations
as region names (`East US` -> `eastus`); every model is strict about unknown fields and
kept lean (a large tenant's inventory is most of a scan's memory).
"""

from __future__ import annotations

import functools
import re
import sys
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


def normalize_id(value: str | None) -> str | None:
    """An ARM id lower-cased, with one leading slash and no trailing or repeated slashes."""
    if value is None or value == "":
        return None
    value = re.sub(r"/{2,}", "/", value.strip()).rstrip("/").lower()
    return value if value.startswith("/") else "/" + value


def normalize_location(value: str | None) -> str | None:
    """A region name: `East US` -> `eastus`; empty -> None."""
    if value is None:
        return None
    value = value.replace(" ", "").lower()
    return value or None


def subscription_of(resource_id: str) -> str | None:
    """The subscription id inside an ARM id, lower-cased."""
    match = re.match(r"^/subscriptions/([^/]+)", resource_id, re.IGNORECASE)
    return match.group(1).lower() if match else None


def resource_group_of(resource_id: str) -> str | None:
    """The resource group name inside an ARM id, lower-cased."""
    match = re.match(r"^/subscriptions/[^/]+/resourcegroups/([^/]+)", resource_id, re.IGNORECASE)
    return match.group(1).lower() if match else None


_INTERN_MAX = 96
_UNIQUE = frozenset({"id", "name"})
"""Fields unique per resource: interning them would only grow the interned table."""


@functools.cache
def _all_fields(cls: type[BaseModel]) -> set[str]:
    return set(cls.model_fields)


class Model(BaseModel):
    """Base of every inventory model: strict about unknown fields, comparable by value.

    A tenant of 50,000 resources holds ~100,000 of these, so each one is kept lean (see
    `model_post_init`): the inventory is most of a large scan's memory.
    """

    model_config = ConfigDict(extra="forbid")

    def model_post_init(self, context: Any, /) -> None:
        """Share what repeats across resources instead of holding a copy per model.

        - Short strings (types, regions, subscription and group ids, SKUs, enum-like
          settings) are interned: 50,000 resources name only a few hundred distinct ones.
        - pydantic keeps a set of the fields each instance was given (~730 bytes for ten
          fields: ~40 % of a generic resource). The inventory never dumps with
          `exclude_unset`, so every instance shares one set naming all of its class's
          fields; pydantic only ever adds field names to it (`model_copy(update=...)`),
          which leaves a set of all names unchanged.
        """
        values = self.__dict__
        for key, value in values.items():
            if type(value) is str and len(value) <= _INTERN_MAX and key not in _UNIQUE:
                values[key] = sys.intern(value)
        object.__setattr__(self, "__pydantic_fields_set__", _all_fields(type(self)))


class ArmResource(Model):
    """Fields every ARM resource has, normalised."""

    id: str
    """ARM id, lower-cased."""
    name: str
    """Name as Azure spells it (display only; compare ids, not names)."""
    type: str
    """ARM type, lower-cased (`microsoft.storage/storageaccounts`)."""
    location: str | None = None
    """Region name, lower case without spaces; None when the resource has none."""
    subscription_id: str
    resource_group: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: str) -> str:
        return normalize_id(value) or ""

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: str | None) -> str:
        return (value or "").lower()

    @field_validator("location", mode="before")
    @classmethod
    def _location(cls, value: str | None) -> str | None:
        return normalize_location(value)

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: dict[str, Any] | None) -> dict[str, str]:
        return {str(k): "" if v is None else str(v) for k, v in (value or {}).items()}
