"""Resource Graph's silences (issue 10 item 16): what the stream leaves out of ARM's own
resource list stays `unknown`, never "no resources" (scanner.collectors.resource_graph_census).

The stream's rows are Microsoft's published storage accounts (Storage Accounts - List) in
the envelope of the published Resource Graph answer (resources_query_basic.json). ARM's
generic list names them as Resources - List does (vaults_list_generic_resources.json: id,
name, type, location, kind).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from scanner.collectors.resource_graph import GRAPH_KINDS, query_request
from scanner.collectors.resource_graph_census import CODE, UNCONFIRMED
from scanner.collectors.runner import collect
from scanner.config import ScanConfig
from scanner.findings import Status
from scanner.inventory import Inventory
from scanner.replay import Interaction
from scanner.scan import run_judgement
from tests.collectors.tenant import SUB, example, subscription_body, tenant
from tests.conftest import factory_for, response

GRAPH_URL = "/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01"
SUB_B = "7a3c1e55-0b2d-4f6a-9c8e-1d2f3a4b5c6d"
CHECK = "storage_account_https_only"


def storage_accounts(sub: str) -> list[dict[str, Any]]:
    """The published Storage Accounts - List items, in subscription `sub`."""
    items = example("storage/storage_accounts_list.json")["value"]
    for item in items:
        item["id"] = item["id"].replace("{subscription-id}", sub)
    return list(items)


def generic(items: list[dict[str, Any]]) -> dict[str, Any]:
    """ARM's Resources - List body naming `items` (the generic fields only)."""
    shape = example("keyvault/vaults_list_generic_resources.json")
    shape.pop("nextLink", None)
    shape["value"] = [{k: item[k] for k in ("id", "name", "type", "location", "kind", "tags")
                       if k in item} for item in items]
    return dict(shape)


def graph_page(items: list[dict[str, Any]], subs: list[str]) -> Interaction:
    """The Resource Graph answer holding `items` as rows (type lower-cased, as it does)."""
    rows = [{**item, "type": item["type"].lower(), "subscriptionId": item["id"].split("/")[2],
             "resourceGroup": item["id"].split("/")[4].lower()} for item in items]
    body = example("resourcegraph/resources_query_basic.json")
    body.update(count=len(rows), totalRecords=len(rows), data=rows)
    request = json.dumps(query_request(subs).serialize()).encode()
    return response(GRAPH_URL, body, method="POST", request_body=request)


def scan(interactions: list[Interaction], source: str = "graph") -> Inventory:
    return collect(factory_for(interactions), concurrency=4, inventory_source=source,
                   kinds=[*GRAPH_KINDS, "regions"])


def verdicts(inv: Inventory) -> dict[str, Status]:
    result = run_judgement(inv, ScanConfig(checks=[CHECK]), datetime.now(UTC), "test")
    return {f.resource_id: f.status for f in result.findings}


def census_errors(inv: Inventory) -> list[Any]:
    return [e for e in inv.errors if e.code in (CODE, UNCONFIRMED)]


def test_a_stream_that_agrees_with_arm_is_judged_as_it_answered() -> None:
    accounts = storage_accounts(SUB)
    accounts[0]["properties"]["supportsHttpsTrafficOnly"] = True  # one that passes
    inv = scan(tenant(lists={"resources": generic(accounts)}, skip=GRAPH_KINDS)
               + [graph_page(accounts, [SUB])])
    assert census_errors(inv) == []
    statuses = verdicts(inv)
    ids = {a["id"].lower() for a in accounts}
    assert set(statuses) == ids  # every account judged, no subscription-level unknown
    assert Status.PASS in statuses.values() and Status.FAIL in statuses.values()


def test_an_empty_subscription_confirmed_by_arm_has_nothing_to_judge() -> None:
    inv = scan(tenant(skip=GRAPH_KINDS) + [graph_page([], [SUB])])
    assert census_errors(inv) == [] and inv.storage_accounts == []
    assert verdicts(inv) == {}


def test_a_resource_the_stream_left_out_is_unknown_not_absent() -> None:
    accounts = storage_accounts(SUB)
    hidden = accounts[-1]  # a storage account the principal may not read through the graph
    inv = scan(tenant(lists={"resources": generic(accounts)}, skip=GRAPH_KINDS)
               + [graph_page(accounts[:-1], [SUB])])
    (error,) = census_errors(inv)
    assert (error.collector, error.scope, error.code) == (
        "storage_accounts", f"/subscriptions/{SUB}", CODE)
    assert hidden["id"].lower() in error.message and "1 of the resources" in error.message
    statuses = verdicts(inv)
    assert statuses[f"/subscriptions/{SUB}"] is Status.UNKNOWN
    # What the stream did return is still judged.
    assert {a["id"].lower() for a in accounts[:-1]} <= set(statuses)


def test_a_subscription_the_stream_returned_nothing_for_is_unknown() -> None:
    seen, unseen = storage_accounts(SUB), storage_accounts(SUB_B)
    subs = [subscription_body(), subscription_body(SUB_B, "Archive")]
    lists = {"resources": [response(f"/subscriptions/{SUB}/resources", generic(seen)),
                           response(f"/subscriptions/{SUB_B}/resources", generic(unseen))]}
    inv = scan(tenant(subs, lists=lists, skip=GRAPH_KINDS)
               + [graph_page(seen, sorted([SUB, SUB_B]))])
    assert {(e.collector, e.scope) for e in census_errors(inv)} == {
        ("storage_accounts", f"/subscriptions/{SUB_B}")}
    statuses = verdicts(inv)
    assert statuses[f"/subscriptions/{SUB_B}"] is Status.UNKNOWN
    assert f"/subscriptions/{SUB}" not in statuses


def test_a_resource_list_refused_at_subscription_scope_makes_every_stream_kind_unknown() -> None:
    accounts = storage_accounts(SUB)
    refused = response(f"/subscriptions/{SUB}/resources",
                       {"error": {"code": "AuthorizationFailed", "message": "no access"}},
                       status=403)
    inv = scan(tenant(lists={"resources": [refused]}, skip=GRAPH_KINDS)
               + [graph_page(accounts, [SUB])])
    unconfirmed = [e for e in inv.errors if e.code == UNCONFIRMED]
    assert {e.collector for e in unconfirmed} == set(GRAPH_KINDS)
    assert all(e.status == 403 and e.scope == f"/subscriptions/{SUB}" for e in unconfirmed)
    statuses = verdicts(inv)
    assert statuses[f"/subscriptions/{SUB}"] is Status.UNKNOWN
    assert {a["id"].lower() for a in accounts} <= set(statuses)  # the rows are still judged


def test_auto_falling_back_to_arm_needs_no_census_and_lists_each_gated_kind_once() -> None:
    accounts = storage_accounts(SUB)
    search = {"id": f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Search/"
                    "searchServices/search1", "name": "search1",
              "type": "Microsoft.Search/searchServices", "location": "eastus"}
    denied = response(GRAPH_URL, {"error": {"code": "AuthorizationFailed"}}, status=403,
                      method="POST",
                      request_body=json.dumps(query_request([SUB]).serialize()).encode())
    interactions = tenant(lists={"resources": generic([*accounts, search]),
                                 "storage_accounts": {"value": accounts}}) + [denied]
    factory = factory_for(interactions)
    inv = collect(factory, concurrency=4, inventory_source="auto",
                  kinds=[*GRAPH_KINDS, "regions"])
    assert census_errors(inv) == []
    assert len(inv.storage_accounts) == len(accounts)
    gets = [u for m, u in factory.transport.log.entries
            if m == "GET" and u.lower().split("?")[0].endswith(
                f"/subscriptions/{SUB}/providers/microsoft.search/searchservices")]
    assert len(gets) == 1


def test_every_report_says_which_source_filled_the_inventory(tmp_path: Any) -> None:
    from tests.cli.test_scan_cli import cli

    formats = "console,json,html,packet,junit,ocsf"
    shown = {}
    for source in ("arm", "graph"):
        out = tmp_path / source
        result = cli("scan", "--demo", "--source", source, "--format", formats,
                     "--output", str(out))
        assert result.exit_code in (1, 3), result.output
        shown[source] = result.output
        report = json.loads((out / "cjis-scan-report.json").read_text())
        assert report["scan"]["inventory_source"] == source
        label = "Resource Graph, checked against ARM" if source == "graph" else "ARM lists"
        for name in ("cjis-scan-report.html", "cjis-scan-audit-packet.md"):
            assert label in (out / name).read_text(), name
        junit = (out / "cjis-scan-junit.xml").read_text()
        assert f'name="inventory_source" value="{source}"' in junit
        ocsf = (out / "cjis-scan-ocsf.json").read_text()
        assert f'"scan_inventory_source": "{source}"' in ocsf
    assert "Resource Graph" in shown["graph"] and "Resource Graph" not in shown["arm"]
