"""The base of the Microsoft Graph models: strict models read from Graph's JSON once.

`GraphModel.from_graph` maps Graph's camelCase JSON onto snake_case fields (the only
place Graph's spelling is known) and drops the properties no check reads; see
scanner.entra_models for what absence means. Imports nothing of the scanner.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar, get_args

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

GraphModelT = TypeVar("GraphModelT", bound="GraphModel")


class GraphModel(BaseModel):
    """Base of the Graph models: strict about unknown fields; `from_graph` reads Graph JSON."""

    model_config = ConfigDict(extra="forbid")

    GRAPH_NAMES: ClassVar[dict[str, str]] = {}
    """Graph property names that are not the camelCase of the field name."""
    UNRECOGNISED: ClassVar[str | None] = None
    """A list field that receives the names of set Graph properties the model does not know."""

    @classmethod
    def from_graph(cls: type[GraphModelT], raw: Mapping[str, Any]) -> GraphModelT:
        """The model of one Graph JSON object (unread properties dropped)."""
        return cls.model_validate(_convert(cls, raw))


def _graph_key(model: type[GraphModel], name: str) -> str:
    return model.GRAPH_NAMES.get(name) or to_camel(name)


def _model_in(annotation: Any) -> type[GraphModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, GraphModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _convert(model: type[GraphModel], raw: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    known: set[str] = set()
    for name, field in model.model_fields.items():
        key = _graph_key(model, name)
        known.add(key)
        if key not in raw or raw[key] is None:
            continue  # the field's default: [] for lists, None for scalars
        value = raw[key]
        inner = _model_in(field.annotation)
        if inner is not None and isinstance(value, list):
            value = [_convert(inner, v) if isinstance(v, Mapping) else v for v in value]
        elif inner is not None and isinstance(value, Mapping):
            value = _convert(inner, value)
        out[name] = value
    if model.UNRECOGNISED:
        out[model.UNRECOGNISED] = sorted(
            key
            for key, value in raw.items()
            if key not in known and "@odata" not in key and value not in (None, [], {}, "")
        )
    return out
