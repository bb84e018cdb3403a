"""The Resource Graph source: same inventory as ARM, paging, fallback, chunking."""

from __future__ import annotations

import json

from scanner.collectors.resource_graph import (
    GRAPH_KINDS,
    MAX_SUBSCRIPTIONS_PER_QUERY,
    graph_tasks,
    query_request,
)
from scanner.collectors.runner import collect
from scanner.replay import CassetteTransport, Interaction, demo_cassette
from scanner.resource_types import diagnostic_target
from tests.collectors.tenant import SUB, example, tenant
from tests.conftest import ARM, factory_for, response

GRAPH_URL = f"{ARM}/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01"


def demo(source: str):  # type: ignore[no-untyped-def]
    transport = CassetteTransport.from_file(demo_cassette())
    factory = factory_for([])
    factory.transport = transport
    return collect(factory, concurrency=8, inventory_source=source, kinds=_ARM_ONLY), transport


# Graph (Entra ID) collectors are not part of this comparison.
_ARM_ONLY = [*GRAPH_KINDS, "resources", "resource_groups", "regions", "policy_assignments",
             "role_assignments", "diagnostic_settings"]


def test_both_sources_give_equal_inventories_for_the_demo_tenant() -> None:
    arm, arm_transport = demo("arm")
    graph, graph_transport = demo("graph")
    skip = {"collected_at", "errors", "inventory_source"}
    assert graph.model_dump(exclude=skip) == arm.model_dump(exclude=skip)
    assert graph.resources and graph.storage_accounts and graph.key_vaults
    # Resource Graph shows only what the principal can read: the ARM 403 on Cosmos DB in
    # the archive subscription is visible to the ARM source only (hence `arm` by default).
    assert [e.collector for e in arm.errors] == ["cosmos_accounts"]
    assert graph.errors == []
    posts = [u for m, u in graph_transport.log.entries if m == "POST"]
    assert len(posts) == 1  # one query stream for both subscriptions
    assert len(graph_transport.log.entries) < len(arm_transport.log.entries)


def _graph_page(body: dict, skip_token: str | None) -> Interaction:  # type: ignore[type-arg]
    request = json.dumps(query_request([SUB], skip_token).serialize()).encode()
    return response(GRAPH_URL, body, method="POST", request_body=request)


def arm_list(rows: list[dict]) -> dict:  # type: ignore[type-arg]
    """ARM's Resources - List body naming the resources of Resource Graph rows."""
    return {"value": [{k: row[k] for k in ("id", "name", "type", "location") if k in row}
                      for row in rows]}


def _rows(page: dict) -> dict:  # type: ignore[type-arg]
    for row in page["data"]:
        row["id"] = row["id"].replace("cfbbd179-59d2-4052-aa06-9270a38aa9d6", SUB)
        row["subscriptionId"] = SUB
    return page


def test_paging_follows_the_skip_token_in_the_body() -> None:
    first = _rows(example("resourcegraph/resources_query_first_page.json"))
    second = _rows(example("resourcegraph/resources_query_next_page.json"))
    second.pop("$skipToken")
    rows = first["data"] + second["data"]
    # ARM's generic list names the same resources (the census: resource_graph_census).
    interactions = tenant(lists={"resources": arm_list(rows)}, skip=tuple(GRAPH_KINDS)) + [
        _graph_page(first, None), _graph_page(second, first["$skipToken"])]
    # breadth-b: the published pages hold Automation accounts, a kind with resource logs
    # (scanner.kinds.services.automation): their diagnostic settings are read too.
    interactions += [response(f"{target}/providers/Microsoft.Insights/diagnosticSettings",
                              {"value": []})
                     for r in first["data"] + second["data"]
                     if (target := diagnostic_target(r["id"], r["type"])) is not None]
    factory = factory_for(interactions)
    inv = collect(factory, concurrency=4, inventory_source="graph",
                  kinds=[*GRAPH_KINDS, "regions"])
    assert inv.errors == [] or all(e.collector.startswith(("entra", "intune"))
                                   for e in inv.errors)
    expected = {r["name"] for r in rows}
    assert {r.name for r in inv.resources} == expected
    assert {d.name for d in inv.managed_disks} == {
        r["name"] for r in first["data"] + second["data"] if r["type"] == "microsoft.compute/disks"}


def test_auto_falls_back_to_arm_lists_on_a_403() -> None:
    denied = response(GRAPH_URL, {"error": {"code": "AuthorizationFailed"}}, status=403,
                      method="POST",
                      request_body=json.dumps(query_request([SUB]).serialize()).encode())
    storage = example("storage/storage_accounts_list.json")
    interactions = tenant(lists={"storage_accounts": storage}) + [denied]
    inv = collect(factory_for(interactions), concurrency=4, inventory_source="auto",
                  kinds=[*GRAPH_KINDS, "regions"])
    assert [e for e in inv.errors if not e.collector.startswith(("entra", "intune"))] == []
    assert len(inv.storage_accounts) == len(storage["value"])


def test_graph_source_without_fallback_reports_each_kind_unknown() -> None:
    denied = response(GRAPH_URL, {"error": {"code": "AuthorizationFailed"}}, status=403,
                      method="POST",
                      request_body=json.dumps(query_request([SUB]).serialize()).encode())
    inv = collect(factory_for(tenant() + [denied]), concurrency=4, inventory_source="graph",
                  kinds=[*GRAPH_KINDS, "regions"])
    failed = {e.collector for e in inv.errors if e.status == 403}
    assert failed == set(GRAPH_KINDS)
    assert all(e.scope == f"/subscriptions/{SUB}" for e in inv.errors if e.status == 403)


def test_one_query_stream_per_thousand_subscriptions() -> None:
    subs = [f"00000000-0000-0000-0000-{n:012d}" for n in range(2500)]
    tasks = graph_tasks(subs, fallback=False)
    assert len(tasks) == 3 and MAX_SUBSCRIPTIONS_PER_QUERY == 1000


def test_the_next_page_is_asked_for_before_this_pages_rows_are_mapped() -> None:
    # issue 16: a page's task returns the next page first (urgent, on Resource Graph's
    # budget) and its rows as a task of their own with no read (no budget), so mapping
    # 1,000 rows never holds the stream's next round trip back.
    from scanner.collectors.scheduler import _Backlog, task_budget
    from scanner.collectors.tasks import Collection

    first = _rows(example("resourcegraph/resources_query_first_page.json"))
    factory = factory_for([_graph_page(first, None)])
    collection = Collection(factory, from_graph=frozenset(GRAPH_KINDS))
    (stream,) = graph_tasks([SUB], fallback=False)
    follow = list(stream.run(collection) or [])
    assert [t.collector for t in follow] == ["resource_graph_rows", "resource_graph"]
    assert all(t.urgent for t in follow)
    assert task_budget(follow[0]) is None and task_budget(follow[1]) == "resourcegraph"
    # The urgent task added last is handed out first: the next page before the rows.
    backlog = _Backlog()
    for task in follow:
        backlog.add(task)
    assert backlog.next(factory.budget, 0.0) is follow[1]
    assert collection.lists == {}  # nothing mapped yet: the rows task does it
    follow[0].run(collection)
    assert {d.name for d in collection.lists["managed_disks"]} == {
        r["name"] for r in first["data"] if r["type"] == "microsoft.compute/disks"}
