"""The Resource Graph source: the bulk inventory of every subscription in one query stream.

One query (`Resources` plus resource groups from `ResourceContainers`) over up to 1,000
subscriptions per request, paged 1,000 rows at a time with `$skipToken` in the POST body.
Rows have the REST shape (`properties` nested), so they go through the same mappers as
the ARM lists and fill the same inventory. Reads Resource Graph does not carry
(diagnostic settings, vault keys, TDE protectors, Sentinel) follow as ARM reads, exactly
as they do after the ARM lists.

The stream fills the typed kinds only. Each subscription's resource groups and generic
resources still come from ARM's own lists (one read per 1,000 items), because Resource
Graph leaves out, without saying so, whatever the principal cannot read. ARM's generic
list is the record of what exists, and the census (`resource_graph_census`) checks the
stream's answer against it (issue 10 item 16).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import DecodeError

from scanner.azure.arm import decode_json
from scanner.collectors.items import map_items
from scanner.collectors.specs import SPEC_BY_KIND, mapper_of
from scanner.inventory import CollectionError
from scanner.kinds import Kind, all_kinds

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
QUERY_PATH = "/providers/Microsoft.ResourceGraph/resources"
MAX_SUBSCRIPTIONS_PER_QUERY = 1000
CLIENT = "azure.mgmt.resourcegraph:ResourceGraphClient"

# ARM type -> kind, for every declared kind Resource Graph carries. Every row is also a
# generic resource.
TYPED: dict[str, Kind] = {k.type: k for k in all_kinds()
                          if k.graph and k.judged and k.arm_type != "*"
                          and k.name != "resource_groups"}
RESOURCE_GROUP_TYPE = "microsoft.resources/subscriptions/resourcegroups"
GRAPH_KINDS = tuple(k.name for k in TYPED.values())
"""Kinds the Resource Graph source fills; the others always come from ARM lists (the
resource groups and generic resources too: the census checks the stream against them)."""

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
    """(kind, model) of one row of a typed kind."""
    sub = str(row.get("subscriptionId") or "").lower()
    typed = TYPED[str(row.get("type") or "").lower()]
    return [(typed.name, mapper_of(typed)(_row_body(row), sub))]


def sort_rows(rows: list[Any]) -> tuple[dict[tuple[str, str], list[Any]], list[CollectionError]]:
    """Rows -> ({(kind, subscription id): models}, an error per row that does not map).

    Only rows of a typed kind are mapped: resource groups and generic resources come from
    ARM's lists. A malformed row is its own error (scanner.collectors.items), the other
    rows are kept.
    """
    out: dict[tuple[str, str], list[Any]] = defaultdict(list)
    errors: list[CollectionError] = []
    for row in rows:
        sub = str(row.get("subscriptionId") or "").lower() if isinstance(row, dict) else ""
        row_type = str(row.get("type") or "").lower() if isinstance(row, dict) else ""
        typed = TYPED.get(row_type)
        if typed is None:
            continue  # a resource group or an untyped resource: ARM's lists hold it
        kind = typed.name
        mapped, row_errors = map_items([row], _row_models, f"/subscriptions/{sub}", kind)
        errors.extend(row_errors)
        for pairs in mapped:
            for row_kind, model in pairs:
                out[(row_kind, sub)].append(model)
    return out, errors


def query_page(client: Any, subscriptions: list[str], skip_token: str | None) -> dict[str, Any]:
    """One page of the query, as Azure's JSON (the SDK's model is not built).

    The request goes through the SDK client's own pipeline (credential, retry, read-only
    guard, Resource Graph's quota), but the answer is decoded once, from the bytes: the
    SDK's deserializer would walk every value of 1,000 rows of `properties` (`object`
    in the REST spec), which took most of the stream's CPU at 100x500 (issue 16).
    """
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceNotFoundError,
        map_error,
    )
    from azure.core.rest import HttpRequest
    from azure.mgmt.core.exceptions import ARMErrorFormat

    request = HttpRequest("POST", f"{QUERY_PATH}?api-version={client._config.api_version}",
                          json=query_request(subscriptions, skip_token).serialize(),
                          headers={"Accept": "application/json"})
    response = client._send_request(request)
    if response.status_code != 200:
        map_error(status_code=response.status_code, response=response,
                  error_map={401: ClientAuthenticationError, 404: ResourceNotFoundError})
        raise HttpResponseError(response=response, error_format=ARMErrorFormat)
    # Redacted as text, as ARM's bodies are (one scan of the page), and strict: no NaN,
    # no nesting deep enough to recurse out (scanner.azure.arm.decode_json).
    page = decode_json(response.content.decode("utf-8", "replace"), QUERY_PATH)
    if not isinstance(page, dict) or not page:
        raise DecodeError("Resource Graph answered a page that is not a JSON object")
    return page


def page_rows(page: dict[str, Any]) -> list[Any]:
    """The rows of one query page; DecodeError when `data` is not a list of objects."""
    data = page.get("data")
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise DecodeError("Resource Graph answered a page whose `data` is not a list of "
                          "objects")
    return data


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


def _gated_after_fallback(subscriptions: list[str], collection: Collection) -> list[Task]:
    """The gated lists of subscriptions whose ARM resource list was read before the
    stream failed (for the others, the resource list's follow-up makes them)."""
    from scanner.collectors import followups

    listed: dict[str, list[Any]] = defaultdict(list)
    for resource in list(collection.lists.get("resources", ())):
        listed[resource.subscription_id].append(resource)
    return [task for sub in subscriptions if sub in listed
            for task in followups.gated_lists(listed[sub], sub, collection)]


def next_token(page: dict[str, Any], seen: frozenset[str]) -> str | None:
    """The page's `$skipToken`; DecodeError when it is not a string or repeats (a loop),
    or when Azure cut the rows short (`resultTruncated`) with no token to page on."""
    token = page.get("$skipToken")
    if token is None or token == "":
        if str(page.get("resultTruncated", "false")).lower() == "true":
            raise DecodeError("Resource Graph truncated its answer (`resultTruncated`) "
                              "without a `$skipToken`: rows are missing")
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
                    page = query_page(client, subscriptions, token)
                    rows.extend(page_rows(page))
                    token = next_token(page, followed)
                    if not token:
                        break
                    followed |= {token}
            except READ_FAILURES:
                # Back to ARM: the ungated lists now, the gated ones where each
                # subscription's resource list shows their type (that list's own
                # follow-up, or here if it was read already: followups.gated_lists
                # makes each gated list once).
                collection.from_graph = frozenset()
                return [list_task(SPEC_BY_KIND[kind], sub) for sub in subscriptions
                        for kind in GRAPH_KINDS if not SPEC_BY_KIND[kind].gated] + \
                    _gated_after_fallback(subscriptions, collection)
            return _hand_over(rows, subscriptions, collection)

        def fail(exc: BaseException) -> None:
            for sub in subscriptions:
                for kind in GRAPH_KINDS:
                    collection.add_error(collection_error(
                        Task(kind, f"/subscriptions/{sub}", run, REMEDY), exc))

        try:
            page = query_page(client, subscriptions, skip_token)
            rows = page_rows(page)
        except READ_FAILURES as exc:
            fail(exc)
            return []
        # The next page is asked for at once, and this one's rows are mapped beside it
        # (their own task): the stream's round trips are the collection's critical
        # path, and mapping 1,000 rows would hold the next request back (issue 16).
        # The next page goes last: the urgent task added last is the first handed out.
        tasks: list[Task] = [rows_task(rows, subscriptions)] if rows else []
        try:
            token = next_token(page, seen)
        except DecodeError as exc:
            fail(exc)
            return tasks
        if token:
            tasks.append(graph_task(subscriptions, fallback, token, seen | {token}))
        return tasks

    return Task("resource_graph", "/", run, REMEDY, urgent=True)


def rows_task(rows: list[dict[str, Any]], subscriptions: list[str]) -> Task:
    """One page's rows (already redacted: query_page) stored under their kinds; their
    follow-up reads.

    No read of its own (scope `/`: no budget), urgent as the pages are: every follow-up
    of those resources comes from it."""
    from scanner.collectors.tasks import Task

    def run(collection: Collection) -> list[Task]:
        return _hand_over(rows, subscriptions, collection)

    return Task("resource_graph_rows", "/", run, REMEDY, urgent=True)


def graph_tasks(subscriptions: list[str], fallback: bool) -> list[Task]:
    """One query stream per 1,000 subscriptions."""
    return [graph_task(subscriptions[i:i + MAX_SUBSCRIPTIONS_PER_QUERY], fallback)
            for i in range(0, len(subscriptions), MAX_SUBSCRIPTIONS_PER_QUERY)]
