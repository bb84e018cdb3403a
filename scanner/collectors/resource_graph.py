"""The Resource Graph source: the bulk inventory of every subscription in one query stream.

One query (`Resources` plus resource groups from `ResourceContainers`) over up to 1,000
subscriptions per request, paged 1,000 rows at a time with `$skipToken` in the POST body.
Rows have the REST shape (`properties` nested), so they go through the same mappers as
the ARM lists and fill the same inventory. Reads Resource Graph does not carry
(diagnostic settings, vault keys, TDE protectors, Sentinel) follow as ARM reads, exactly
as they do after the ARM lists.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import DecodeError

from scanner.collectors import normalize
from scanner.collectors.items import map_items
from scanner.collectors.specs import SPEC_BY_KIND, mapper_of
from scanner.inventory import CollectionError
from scanner.kinds import Kind, all_kinds
from scanner.redact import redact_json

if TYPE_CHECKING:
    from scanner.collectors.tasks import Collection, Task

QUERY = (
    "Resources"
    " | union (ResourceContainers"
    " | where type =~ 'microsoft.resources/subscriptions/resourcegroups')"
    " | project id, name, type, location, resourceGroup, subscriptionId, kind, sku,"
    " managedBy, tags, properties"
    " | order by id asc"
)
PAGE_SIZE = 1000
MAX_SUBSCRIPTIONS_PER_QUERY = 1000
CLIENT = "azure.mgmt.resourcegraph:ResourceGraphClient"

# ARM type -> kind, for every declared kind Resource Graph carries. Every row is also a
# generic resource.
TYPED: dict[str, Kind] = {k.type: k for k in all_kinds()
                          if k.graph and k.judged and k.arm_type != "*"
                          and k.name != "resource_groups"}
RESOURCE_GROUP_TYPE = "microsoft.resources/subscriptions/resourcegroups"
GRAPH_KINDS = ("resource_groups", "resources", *(k.name for k in TYPED.values()))
"""Kinds the Resource Graph source fills; the others always come from ARM lists."""

_ROW_FIELDS = ("id", "name", "type", "location", "kind", "sku", "managedBy", "tags",
               "properties")


def query_request(subscriptions: list[str], skip_token: str | None = None) -> Any:
    """The QueryRequest of one page (the body a cassette must match)."""
    from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

    return QueryRequest(
        subscriptions=subscriptions,
        query=QUERY,
        options=QueryRequestOptions(top=PAGE_SIZE, skip_token=skip_token,
                                    result_format="objectArray"),
    )


def _row_body(row: dict[str, Any]) -> dict[str, Any]:
    """A row as the REST body the mappers read (Resource Graph's extra columns dropped)."""
    body = {k: row[k] for k in _ROW_FIELDS if row.get(k) not in (None, "")}
    if not isinstance(body.get("properties"), dict):
        body.pop("properties", None)
    return body


def _row_models(row: dict[str, Any]) -> list[tuple[str, Any]]:
    """(kind, model) of one row: its resource group, or its generic and typed resource."""
    body = _row_body(row)
    sub = str(row.get("subscriptionId") or "").lower()
    row_type = str(row.get("type") or "").lower()
    if row_type == RESOURCE_GROUP_TYPE:
        body["type"] = "Microsoft.Resources/resourceGroups"  # ARM's name for the type
        return [("resource_groups", normalize.resource_group(body, sub))]
    models = [("resources", normalize.generic_resource(body, sub))]
    typed = TYPED.get(row_type)
    if typed:
        models.append((typed.name, mapper_of(typed)(body, sub)))
    return models


def sort_rows(rows: list[Any]) -> tuple[dict[tuple[str, str], list[Any]], list[CollectionError]]:
    """Rows -> ({(kind, subscription id): models}, an error per row that does not map).

    Every resource is also a generic `resources` item; a malformed row is its own
    error (scanner.collectors.items), the other rows are kept.
    """
    out: dict[tuple[str, str], list[Any]] = defaultdict(list)
    errors: list[CollectionError] = []
    for row in rows:
        sub = str(row.get("subscriptionId") or "").lower() if isinstance(row, dict) else ""
        row_type = str(row.get("type") or "").lower() if isinstance(row, dict) else ""
        typed = TYPED.get(row_type)
        kind = ("resource_groups" if row_type == RESOURCE_GROUP_TYPE
                else typed.name if typed else "resources")
        mapped, row_errors = map_items([row], _row_models, f"/subscriptions/{sub}", kind)
        errors.extend(row_errors)
        for pairs in mapped:
            for row_kind, model in pairs:
                out[(row_kind, sub)].append(model)
    return out, errors


def page_rows(page: Any) -> list[Any]:
    """The rows of one query page; DecodeError when `data` is not a list of objects."""
    data = page.data
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise DecodeError("Resource Graph answered a page whose `data` is not a list of "
                          "objects")
    rows: list[Any] = redact_json(data)  # Azure's text, secret-shaped values out (redact.py)
    return rows


REMEDY = ("Reader on the subscriptions (Resource Graph shows only what the principal can "
          "read)")


def _hand_over(rows: list[dict[str, Any]], subscriptions: list[str],
               collection: Collection) -> list[Task]:
    """Store rows under their kinds; return the per-resource reads that follow them."""
    from scanner.collectors import followups

    grouped, errors = sort_rows(rows)
    for error in errors:
        collection.add_error(error)
    tasks: list[Task] = []
    for sub in subscriptions:
        for kind in GRAPH_KINDS:
            if (kind, sub) in grouped:
                tasks.extend(followups.after_list(kind, grouped[(kind, sub)], sub, collection))
    return tasks


def next_token(page: Any, seen: frozenset[str]) -> str | None:
    """The page's `$skipToken`; DecodeError when it is not a string or repeats (a loop)."""
    token = page.skip_token
    if token is None or token == "":
        return None
    if not isinstance(token, str):
        raise DecodeError("Resource Graph answered a `$skipToken` that is not a string")
    if token in seen:
        raise DecodeError(f"Resource Graph's `$skipToken` repeats a page already read "
                          f"({len(seen) + 1} pages): the query stream stops here")
    return token


def graph_task(subscriptions: list[str], fallback: bool, skip_token: str | None = None,
               seen: frozenset[str] = frozenset()) -> Task:
    """The query stream for up to 1,000 subscriptions.

    Source `graph`: each page is a task of its own; its rows go to their kinds and their
    follow-up reads start at once, overlapping the rest of the stream; a failing page
    makes every kind of those subscriptions an error (what was read stays). Source
    `auto`: the whole stream is read before anything is stored, so a failure part-way
    falls back to the ARM lists without reading or storing anything twice. A skip token
    that repeats (`seen`: those already followed) is such a failure, never a loop.
    """
    from scanner.collectors.followups import list_task
    from scanner.collectors.tasks import READ_FAILURES, Task, collection_error

    def run(collection: Collection) -> list[Task]:
        client = collection.client(CLIENT)
        if fallback:
            rows: list[dict[str, Any]] = []
            token: str | None = None
            followed: frozenset[str] = frozenset()
            try:
                while True:
                    page = client.resources(query_request(subscriptions, token))
                    rows.extend(page_rows(page))
                    token = next_token(page, followed)
                    if not token:
                        break
                    followed |= {token}
            except READ_FAILURES:
                # Back to ARM: the ungated lists now, the gated ones where each
                # subscription's resource list shows their type.
                collection.from_graph = frozenset()
                return [list_task(SPEC_BY_KIND[kind], sub) for sub in subscriptions
                        for kind in GRAPH_KINDS if not SPEC_BY_KIND[kind].gated]
            return _hand_over(rows, subscriptions, collection)

        def fail(exc: BaseException) -> None:
            for sub in subscriptions:
                for kind in GRAPH_KINDS:
                    collection.add_error(collection_error(
                        Task(kind, f"/subscriptions/{sub}", run, REMEDY), exc))

        try:
            page = client.resources(query_request(subscriptions, skip_token))
            rows = page_rows(page)
        except READ_FAILURES as exc:
            fail(exc)
            return []
        tasks = _hand_over(rows, subscriptions, collection)
        try:
            token = next_token(page, seen)
        except DecodeError as exc:
            fail(exc)
            return tasks
        if token:
            tasks.append(graph_task(subscriptions, fallback, token, seen | {token}))
        return tasks

    return Task("resource_graph", "/", run, REMEDY, urgent=True)


def graph_tasks(subscriptions: list[str], fallback: bool) -> list[Task]:
    """One query stream per 1,000 subscriptions."""
    return [graph_task(subscriptions[i:i + MAX_SUBSCRIPTIONS_PER_QUERY], fallback)
            for i in range(0, len(subscriptions), MAX_SUBSCRIPTIONS_PER_QUERY)]
