"""The fault matrix (issue 13): faults injected into replayed responses, through the real
collectors, engine and CLI. Each class of the issue has its own cases; every case must
end in a collection error (or `unknown`), an exit code, or a clean message — never a
silent gap, a pass, or a traceback.

Classes: 1 list shapes, 2 items without an id, 3 one malformed field, 4 the subscription
list failing part-way, 5 nextLink loops, 10 secrets in Azure's text, 11 atomic reports
and Ctrl-C, 12 internal errors, 13 hostile input files.
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import json
import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scanner.collectors.resource_graph import GRAPH_KINDS, TYPED, query_request
from scanner.collectors.runner import collect
from scanner.config import ScanConfig
from scanner.findings import Status
from scanner.inventory import Inventory
from scanner.recording import save_cassette, scrub_interaction
from scanner.replay import Interaction
from scanner.scan import run_judgement
from tests.cli.test_scan_cli import cli
from tests.collectors.tenant import SUB, TENANT, example, subscription_body, tenant
from tests.conftest import ARM, factory_for, response

STORAGE = f"/subscriptions/{SUB}/providers/Microsoft.Storage/storageAccounts"
GRAPH_URL = f"{ARM}/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01"
CA_POLICIES = "https://graph.microsoft.com/v1.0/identity/conditionalAccess/policies"
SHAPE = "UnexpectedShape"


def raw(url: str, body: bytes, status: int = 200, headers: dict[str, str] | None = None,
        method: str = "GET") -> Interaction:
    """An interaction whose body is given as bytes (not necessarily JSON)."""
    all_headers = {k: [v] for k, v in (headers or {}).items()}
    return Interaction(method=method, uri=url if url.startswith("http") else ARM + url,
                       request_body=None, request_headers={}, status=status, reason="",
                       headers=all_headers, body=body)


def run(interactions: list[Interaction], **kwargs: Any) -> tuple[Inventory, Any]:
    factory = factory_for(interactions)
    return collect(factory, concurrency=4, **kwargs), factory.transport


def storage_list() -> dict[str, Any]:
    return dict(example("storage/storage_accounts_list.json"))


def judged(inv: Inventory, check: str) -> dict[str, Status]:
    """resource id -> status of one check's findings."""
    from datetime import UTC, datetime

    result = run_judgement(inv, ScanConfig(checks=[check]), datetime.now(UTC), "test")
    return {f.resource_id: f.status for f in result.findings}


def errors_of(inv: Inventory, collector: str) -> list[Any]:
    return [e for e in inv.errors if e.collector == collector]


# --- 1: a list page that is not a list of objects ------------------------------------

LIST_FAULTS: dict[str, Callable[[str], list[Interaction]]] = {
    "value null": lambda url: [response(url, {"value": None})],
    "value missing": lambda url: [response(url, {"nextLink": None})],
    "empty body": lambda url: [raw(url, b"")],
    "whitespace body": lambda url: [raw(url, b"  \n")],
    "error body with 200": lambda url: [response(url, {"error": {
        "code": "InternalError", "message": "try later"}})],
    "204 no content": lambda url: [raw(url, b"", status=204)],
    "302 without body": lambda url: [raw(url, b"", status=302,
                                         headers={"Location": ARM + "/elsewhere"})],
    "307 with a body": lambda url: [response(url, {"value": []}, status=307)],
    "value an object": lambda url: [response(url, {"value": {"id": "x"}})],
    "value a list of strings": lambda url: [response(url, {"value": ["a", "b"]})],
    "value a list with a null": lambda url: [response(url, {"value": [None]})],
    "body a JSON string": lambda url: [response(url, "value")],
    "body a JSON number": lambda url: [response(url, 42)],
    "NaN in the body": lambda url: [raw(url, b'{"value": [{"id": "/x", "n": NaN}]}')],
    "nesting deeper than the parser": lambda url: [raw(url, b'{"value": ' + b"[" * 100_000)],
    "HTML from a proxy": lambda url: [raw(url, b"<html>gateway timeout</html>")],
}


@pytest.mark.parametrize("fault", sorted(LIST_FAULTS))
def test_arm_list_fault_is_an_error_and_unknown_never_a_silent_gap(fault: str) -> None:
    inv, _ = run(tenant(lists={"storage_accounts": LIST_FAULTS[fault](STORAGE)}))
    (error,) = errors_of(inv, "storage_accounts")
    # A redirect is refused by the guard before its body is read (never followed).
    expected = "UntrustedLink" if fault.startswith("30") else SHAPE
    assert error.code == expected and error.scope == f"/subscriptions/{SUB}"
    assert inv.storage_accounts == []
    assert inv.subscriptions and inv.regions  # every other read completed
    assert [e.collector for e in inv.errors] == ["storage_accounts"]
    statuses = judged(inv, "storage_account_https_only")
    assert statuses == {f"/subscriptions/{SUB}": Status.UNKNOWN}


@pytest.mark.parametrize("fault", ["value null", "empty body", "error body with 200",
                                   "204 no content", "value a list of strings"])
def test_graph_list_fault_is_an_error_for_its_collector(fault: str) -> None:
    interactions = [i for i in tenant() if not i.uri.startswith(CA_POLICIES)]
    inv, _ = run(interactions + LIST_FAULTS[fault](CA_POLICIES))
    (error,) = errors_of(inv, "entra_ca_policies")
    assert error.code == SHAPE and error.scope == f"/tenants/{TENANT}"
    assert "entra_ca_policies" not in inv.entra.collected
    statuses = judged(inv, "entra_ca_privileged_phishing_resistant")
    assert set(statuses.values()) == {Status.UNKNOWN}


def test_an_empty_list_is_still_an_empty_list() -> None:
    # The control: `{"value": []}` is Azure's documented empty list, not an error.
    inv, _ = run(tenant())
    assert errors_of(inv, "storage_accounts") == [] and inv.storage_accounts == []


# --- 2: items without an id ---------------------------------------------------------


@pytest.mark.parametrize("missing", [None, "", "absent"])
def test_item_without_id_is_that_items_error(missing: str | None) -> None:
    body = storage_list()
    if missing == "absent":
        del body["value"][1]["id"]
    else:
        body["value"][1]["id"] = missing
    inv, _ = run(tenant(lists={"storage_accounts": body}))
    assert len(inv.storage_accounts) == len(body["value"]) - 1
    assert all(s.id for s in inv.storage_accounts)
    (error,) = errors_of(inv, "storage_accounts")
    assert error.code == SHAPE and "no `id`" in error.message and "item 2" in error.message
    statuses = judged(inv, "storage_account_https_only")
    assert "" not in statuses  # no finding with an empty resource id
    # The subscription's list has an item nobody can name: the kind there is unknown.
    assert statuses[f"/subscriptions/{SUB}"] is Status.UNKNOWN


def test_resource_graph_row_without_id_is_that_rows_error() -> None:
    page = _graph_rows()
    del page["data"][0]["id"]
    inv, _ = run(tenant(skip=tuple(GRAPH_KINDS)) + [_graph_page(page)],
                 inventory_source="graph", kinds=[*GRAPH_KINDS, "regions"])
    errors = [e for e in inv.errors if e.code == SHAPE]
    assert len(errors) == 1 and "no `id`" in errors[0].message
    # The other rows of the kinds the stream fills still map (generic resources and
    # resource groups come from ARM's lists: scanner.collectors.resource_graph_census).
    typed = [r for r in page["data"] if r["type"] in TYPED]
    mapped = len(inv.managed_disks) + sum(len(items) for items in inv.services.values())
    assert len(typed) >= 2 and mapped == len(typed) - 1


# --- 3: one malformed field never aborts the scan -------------------------------------

FIELD_FAULTS: dict[str, tuple[str, Any, str]] = {
    "tags a string": ("tags", "env=prod", "`tags` is a string"),
    "tags a list": ("tags", ["env"], "`tags` is a list"),
    "a tag value an object": ("tags", {"env": {"nested": 1}}, "tag 'env' is an object"),
    "location a number": ("location", 42, "`location` is a number"),
    "name a list": ("name", ["sto"], "`name` is a list"),
    "type a boolean": ("type", True, "`type` is a boolean"),
    "properties a list": ("properties", [1, 2], "`properties` is a list"),
    "sku a string": ("sku", "Standard_LRS", "`sku` is a string"),
    "id a number": ("id", 7, "`id` is a number"),
    "encryption a string": ("properties.encryption", "on", "encryption"),
}


@pytest.mark.parametrize("fault", sorted(FIELD_FAULTS))
def test_malformed_field_is_that_items_error_and_the_rest_completes(fault: str) -> None:
    field, value, said = FIELD_FAULTS[fault]
    body = storage_list()
    item = body["value"][2]
    item_id = item["id"].lower()
    target = item
    *parents, last = field.split(".")
    for parent in parents:
        target = target[parent]
    target[last] = value
    inv, _ = run(tenant(lists={"storage_accounts": body}))
    (error,) = errors_of(inv, "storage_accounts")
    assert error.code == SHAPE and said in error.message, error.message
    others = {s.id for s in inv.storage_accounts}
    assert len(others) == len(body["value"]) - 1 and item_id not in others
    statuses = judged(inv, "storage_account_https_only")
    if field == "id":  # no usable id: the subscription's kind is unknown
        assert error.scope == f"/subscriptions/{SUB}"
        assert statuses[f"/subscriptions/{SUB}"] is Status.UNKNOWN
    else:  # the item is unknown under its own id; its neighbours are judged
        assert error.scope == item_id
        assert statuses[item_id] is Status.UNKNOWN
        assert {s for r, s in statuses.items() if r != item_id} <= {Status.PASS, Status.FAIL}


def test_malformed_follow_up_item_is_the_follow_ups_error_not_a_traceback() -> None:
    vaults = example("keyvault/vaults_list_by_subscription.json")
    vaults.pop("nextLink")
    vault = vaults["value"][0]
    keys = {"value": [{"id": vault["id"] + "/keys/k1", "name": "k1",
                       "properties": {"attributes": "enabled"}}]}
    inv, _ = run(tenant(lists={"key_vaults": vaults}) + [response(vault["id"] + "/keys", keys)])
    shaped = [e for e in inv.errors if e.code == SHAPE]
    assert len(shaped) == 1 and "`attributes` is str" in shaped[0].message
    assert shaped[0].scope == vault["id"].lower() or shaped[0].scope == vault["id"]
    assert inv.key_vaults and inv.regions


@pytest.mark.parametrize("data", [{"id": "x"}, "rows", 7, [1, 2], [None]])
def test_resource_graph_data_not_a_list_of_objects_is_an_error_per_kind(data: Any) -> None:
    page = _graph_rows()
    page["data"] = data
    page.pop("$skipToken", None)
    storage = storage_list()
    interactions = tenant(lists={"storage_accounts": storage}, skip=tuple(GRAPH_KINDS)) + [
        _graph_page(page)]
    inv, _ = run(interactions, inventory_source="graph")
    failed = {e.collector for e in inv.errors if e.code == SHAPE}
    assert failed == set(GRAPH_KINDS)
    assert inv.policy_assignments is not None and inv.regions  # ARM lists completed


def test_resource_graph_data_not_a_list_falls_back_to_arm_under_auto() -> None:
    page = _graph_rows()
    page["data"] = "rows"
    storage = storage_list()
    inv, _ = run(tenant(lists={"storage_accounts": storage}) + [_graph_page(page)],
                 inventory_source="auto")
    assert [e for e in inv.errors if e.code == SHAPE] == []
    assert len(inv.storage_accounts) == len(storage["value"])


@pytest.mark.parametrize("fault", sorted(LIST_FAULTS))
def test_arm_resource_list_fault_leaves_every_resource_graph_kind_unknown(fault: str) -> None:
    # issue 10 item 16: ARM's resource list is what the stream is checked against; when
    # it cannot be read, nothing says the stream saw the whole subscription.
    url = f"/subscriptions/{SUB}/resources"
    storage = storage_list()
    page = _graph_rows()
    page["data"] = [{**a, "type": a["type"].lower(), "subscriptionId": SUB}
                    for a in storage["value"]]
    inv, _ = run(tenant(lists={"resources": LIST_FAULTS[fault](url)}, skip=tuple(GRAPH_KINDS))
                 + [_graph_page(page)], inventory_source="graph")
    unconfirmed = [e for e in inv.errors if e.code == "ResourceGraphUnconfirmed"]
    assert {e.collector for e in unconfirmed} == set(GRAPH_KINDS)
    assert {e.scope for e in unconfirmed} == {f"/subscriptions/{SUB}"}
    assert judged(inv, "storage_account_https_only")[f"/subscriptions/{SUB}"] is Status.UNKNOWN


@pytest.mark.parametrize("fault", ["HTML from a proxy", "truncated without a token",
                                   "body a JSON string", "NaN in a row"])
def test_resource_graph_page_fault_is_an_error_per_kind(fault: str) -> None:
    request = json.dumps(query_request([SUB], None).serialize()).encode()
    page = _graph_rows()
    page["resultTruncated"] = "true"
    body = {"HTML from a proxy": b"<html>gateway timeout</html>",
            "truncated without a token": json.dumps(page).encode(),
            "body a JSON string": b'"rows"',
            "NaN in a row": b'{"data": [{"id": "/x", "n": NaN}]}'}[fault]
    answer = dataclasses.replace(raw(GRAPH_URL, body, method="POST"), request_body=request)
    inv, _ = run(tenant(skip=tuple(GRAPH_KINDS)) + [answer], inventory_source="graph",
                 kinds=[*GRAPH_KINDS, "regions"])
    failed = [e for e in inv.errors if e.code == SHAPE and e.collector in GRAPH_KINDS]
    assert {e.collector for e in failed} == set(GRAPH_KINDS)
    if fault.startswith("truncated"):
        assert all("resultTruncated" in e.message for e in failed)


@pytest.mark.parametrize("header", ["soon", "-", "Thu, 99 Foo 2026", "1e9999x", ""])
def test_retry_after_not_a_number_or_date_is_the_reads_error(header: str) -> None:
    throttled = [response(STORAGE, {"error": {"code": "TooManyRequests"}}, status=429,
                          headers={"Retry-After": header}) for _ in range(4)]
    inv, _ = run(tenant(lists={"storage_accounts": throttled}))
    (error,) = errors_of(inv, "storage_accounts")
    if header:  # an empty header is no header: retried, then reported as a 429
        assert error.code == SHAPE and "Retry-After" in error.message
    else:
        assert error.status == 429
    assert inv.subscriptions and inv.regions


def test_malformed_cassette_through_the_cli_writes_the_report_and_exits_3(
        tmp_path: Path) -> None:
    body = storage_list()
    body["value"][0]["tags"] = "not-an-object"
    body["value"][1]["location"] = 1
    cassette = tmp_path / "tenant.yaml"
    save_cassette(tenant(lists={"storage_accounts": body}), cassette)
    out = tmp_path / "out"
    result = cli("scan", "--replay", str(cassette), "-f", "json", "-o", str(out), "-q",
                 "--step", "transit")
    assert result.exit_code in (1, 3), result.output
    assert "Traceback" not in result.output
    report = json.loads((out / "cjis-scan-report.json").read_text())
    shaped = [e for e in report["errors"] if e["code"] == SHAPE]
    assert len(shaped) == 2


# --- 4: the subscription list failing part-way --------------------------------------

SUB_B = "7a3b0c9d-1e2f-4a5b-8c6d-0e1f2a3b4c5d"


def _two_subscription_tenant(second_page: list[Interaction]) -> list[Interaction]:
    first, second = subscription_body(), subscription_body(SUB_B, "Second")
    interactions = tenant(subs=[first, second])
    listing = f"{ARM}/subscriptions?api-version=2022-12-01&%24skiptoken=page2"
    page1 = response("/subscriptions", {"value": [first], "nextLink": listing})
    rest = [i for i in interactions if not i.uri.rstrip("/").endswith("/subscriptions")]
    return [page1, *second_page, *rest]


def _tenant_fingerprints(inv: Inventory) -> dict[str, str]:
    from datetime import UTC, datetime

    result = run_judgement(inv, ScanConfig(), datetime.now(UTC), "test")
    return {f"{f.check_id}": f.fingerprint for f in result.findings
            if f.resource_id.startswith("/tenants/")}


@pytest.mark.parametrize("failure", ["500", "403", "not JSON"])
def test_subscription_list_failing_part_way_is_reported_and_tenant_findings_keep_ids(
        failure: str) -> None:
    page2_url = "/subscriptions?%24skiptoken=page2"
    page2 = {"500": [response(page2_url, {"error": {"code": "InternalServerError"}},
                              status=500) for _ in range(4)],
             "403": [response(page2_url, {"error": {"code": "AuthorizationFailed"}},
                              status=403)],
             "not JSON": [raw(page2_url, b"<html>")]}[failure]
    whole, _ = run(_two_subscription_tenant(
        [response(page2_url, {"value": [subscription_body(SUB_B, "Second")]})]))
    partial, _ = run(_two_subscription_tenant(page2))
    assert [s.subscription_id for s in partial.subscriptions] == [SUB]
    (error,) = errors_of(partial, "subscriptions")
    assert error.scope == "/"
    assert "stopped after 1 subscription" in error.message
    assert "could not be enumerated" in error.message
    assert partial.tenant_id == whole.tenant_id == TENANT
    tenant_findings = _tenant_fingerprints(partial)
    assert tenant_findings and tenant_findings == _tenant_fingerprints(whole)


class _TenantToken:
    """A credential whose token is a JWT issued for TENANT (signature not checked: only the
    `tid` claim names the tenant scope)."""

    def __init__(self, tid: str = TENANT) -> None:
        from scanner.azure.credentials import SharedTokenCredential, StandInCredential

        claims = base64.urlsafe_b64encode(json.dumps({"tid": tid}).encode()).decode().rstrip("=")
        jwt = f"eyJhbGciOiJub25lIn0.{claims}.c2ln"

        class Issuer(StandInCredential):
            def get_token(self, *scopes: str, **kwargs: Any) -> Any:
                return super().get_token(*scopes)._replace(token=jwt)

        self.credential = SharedTokenCredential(Issuer())
        self.credential.get_token("https://management.azure.com/.default")  # signed in


@pytest.mark.parametrize("failure", ["500", "403"])
def test_first_subscription_page_failing_keeps_the_tenant_from_the_token(failure: str) -> None:
    """No subscription listed: the tenant is the token's `tid`, so tenant findings keep
    their `/tenants/<id>` scope and fingerprints (not `/tenants/unknown`)."""
    whole, _ = run(tenant(subs=[subscription_body()]))
    status = int(failure)
    code = "InternalServerError" if status == 500 else "AuthorizationFailed"
    failing = [response("/subscriptions", {"error": {"code": code}}, status=status)
               for _ in range(4 if status == 500 else 1)]
    rest = [i for i in tenant(subs=[subscription_body()])
            if not i.uri.split("?")[0].rstrip("/").endswith("/subscriptions")]
    factory = factory_for([*failing, *rest])
    factory.credential = _TenantToken().credential
    partial = collect(factory, concurrency=4)
    assert partial.subscriptions == []
    assert errors_of(partial, "subscriptions")
    assert partial.tenant_id == whole.tenant_id == TENANT
    fingerprints = _tenant_fingerprints(partial)
    assert fingerprints, "tenant-wide checks judged nothing"
    assert {k: v for k, v in _tenant_fingerprints(whole).items() if k in fingerprints} \
        == fingerprints


def test_a_token_that_is_not_a_jwt_names_no_tenant() -> None:
    from scanner.azure.credentials import token_tenant

    assert token_tenant("replay-stand-in-token") is None
    assert token_tenant("a.%%%.c") is None
    claims = base64.urlsafe_b64encode(b'{"tid": "not-a-guid"}').decode()
    assert token_tenant(f"x.{claims}.y") is None
    assert _TenantToken(TENANT.upper()).credential.tenant_id == TENANT


def test_subscription_item_without_id_is_its_own_error() -> None:
    broken = subscription_body(SUB_B)
    del broken["id"]
    interactions = tenant(subs=[subscription_body(), broken])
    inv, _ = run(interactions)
    assert [s.subscription_id for s in inv.subscriptions] == [SUB]
    (error,) = errors_of(inv, "subscriptions")
    assert error.code == SHAPE


# --- 5: nextLink loops ----------------------------------------------------------------


def _paged(links: list[str | None]) -> list[Interaction]:
    """Storage pages: page n links to links[n] (absolute ARM URLs; None ends)."""
    pages = []
    body = storage_list()
    urls = [STORAGE, *[f"{STORAGE}?$skiptoken=p{n}" for n in range(1, len(links))]]
    for n, (url, link) in enumerate(zip(urls, links, strict=True)):
        page: dict[str, Any] = {"value": [body["value"][n]]}
        if link is not None:
            page["nextLink"] = link
        pages.append(response(url, page))
    return pages


def _abs(query: str = "") -> str:
    return f"{ARM}{STORAGE}?api-version=2026-09-01{query}"


@pytest.mark.parametrize("links", [
    [_abs()],                                                   # the first page, again
    [_abs("&$skiptoken=p1"), _abs("&$skiptoken=p1")],           # a page linking to itself
    [_abs("&$skiptoken=p1"), _abs("&$skiptoken=p2"), _abs()],   # back to the start
    [_abs("&$skiptoken=p1"), _abs("&$skiptoken=p2"),
     _abs("&$skiptoken=p1").replace("management.azure.com", "MANAGEMENT.azure.com")],
], ids=["to-first", "to-itself", "cycle-of-3", "same-page-other-case"])
def test_repeating_next_link_stops_the_list_with_an_error(links: list[str]) -> None:
    inv, transport = run(tenant(lists={"storage_accounts": _paged(links)}))
    (error,) = errors_of(inv, "storage_accounts")
    assert error.code == SHAPE and "repeats a page" in error.message
    reads = sum("storageAccounts" in url for _, url in transport.log.entries)
    assert reads == len(links)  # each page read once, then stopped


@pytest.mark.parametrize("link", [42, ["x"], {"href": "x"}])
def test_next_link_that_is_not_a_string_is_an_error(link: Any) -> None:
    body = storage_list()
    body["nextLink"] = link
    inv, _ = run(tenant(lists={"storage_accounts": body}))
    (error,) = errors_of(inv, "storage_accounts")
    assert error.code == SHAPE and "nextLink" in error.message


def _graph_pages_looping() -> list[Interaction]:
    """Page 1 -> token A -> page 2 -> token A again (Resource Graph's paging loops)."""
    first, second = _graph_rows(), _graph_rows()
    first["$skipToken"] = second["$skipToken"] = "dG9rZW4tQQ=="
    second["data"] = second["data"][:1]
    request = json.dumps(query_request([SUB], "dG9rZW4tQQ==").serialize()).encode()
    return [_graph_page(first),
            response(GRAPH_URL, second, method="POST", request_body=request)]


def test_repeating_skip_token_stops_the_resource_graph_stream_with_an_error() -> None:
    inv, transport = run(tenant(skip=tuple(GRAPH_KINDS)) + _graph_pages_looping(),
                         inventory_source="graph", kinds=[*GRAPH_KINDS, "regions"])
    looped = {e.collector for e in inv.errors if "repeats" in e.message}
    assert looped == set(GRAPH_KINDS)
    assert inv.managed_disks  # what was read stays
    assert sum(m == "POST" for m, _ in transport.log.entries) == 2


def test_repeating_skip_token_under_auto_falls_back_to_the_arm_lists() -> None:
    storage = storage_list()
    inv, _ = run(tenant(lists={"storage_accounts": storage}) + _graph_pages_looping(),
                 inventory_source="auto")
    assert [e for e in inv.errors if e.code == SHAPE] == []
    assert len(inv.storage_accounts) == len(storage["value"])


# --- 10: secrets in any text from Azure -----------------------------------------------

JWT = ("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQifQ."
       "c2lnbmF0dXJlLXBhcnQtb2YtdGhlLXRva2Vu")
SECRETS = {
    "sas": "https://st.blob.core.windows.net/c?sv=2022-11-02&sig=Zm9vYmFyc2VjcmV0JTJCc2ln",
    "storage connection string": "DefaultEndpointsProtocol=https;AccountName=st;"
                                 "AccountKey=c2VjcmV0LWFjY291bnQta2V5PT0=;EndpointSuffix=x",
    "sql connection string": "Server=tcp:s.database.windows.net;User ID=a;Password=Hunter2-pw;",
    "jwt": JWT,
    "client secret": "abc8Q~Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE",
    "service bus": "Endpoint=sb://x/;SharedAccessKeyName=root;SharedAccessKey=c2VjcmV0S0VZ",
}
LEAKS = ("Zm9vYmFyc2VjcmV0", "c2VjcmV0LWFjY291bnQta2V5", "Hunter2-pw", "c2lnbmF0dXJlLXBhcnQ",
         "Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE", "c2VjcmV0S0VZ")


def _leaky_tenant() -> list[Interaction]:
    body = storage_list()
    body["value"][0]["tags"] = {name: value for name, value in SECRETS.items()}
    body["value"][1]["name"] = SECRETS["sas"]
    vaults = example("keyvault/vaults_list_by_subscription.json")
    vaults.pop("nextLink")
    denied = response(vaults["value"][0]["id"] + "/keys", {"error": {
        "code": "Forbidden", "message": f"denied for {SECRETS['sas']} and {JWT}"}}, status=403)
    interactions = [i for i in tenant(lists={"storage_accounts": body, "key_vaults": vaults})
                    if not i.uri.startswith(CA_POLICIES)]
    policies = example("graph/conditional_access_policies_list.json")
    policies["value"][0]["displayName"] = f"CA {SECRETS['storage connection string']}"
    return [*interactions, denied, response(CA_POLICIES, policies)]


def test_secrets_in_azure_text_never_reach_inventory_report_or_log(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cassette = tmp_path / "leaky.yaml"
    save_cassette(_leaky_tenant(), cassette)
    out = tmp_path / "out"
    with caplog.at_level(logging.INFO):
        scan = cli("scan", "--replay", str(cassette), "-f", "console,json,jsonl,csv,html",
                   "-o", str(out), "-q", "-v")
        collected = cli("collect", "--replay", str(cassette), "-o", str(tmp_path / "inv.json"),
                        "-q", "-v")
    assert scan.exit_code in (1, 3) and collected.exit_code == 0, collected.output
    texts = {"console": scan.output + collected.output, "log": caplog.text,
             "inventory": (tmp_path / "inv.json").read_text()}
    texts.update({p.name: p.read_text() for p in out.iterdir()})
    for where, text in texts.items():
        for leak in LEAKS:
            assert leak not in text, f"{leak} reached {where}"
    inventory = json.loads(texts["inventory"])
    assert "[REDACTED]" in json.dumps(inventory["storage_accounts"])
    assert any("[REDACTED]" in e["message"] for e in inventory["errors"])


@pytest.mark.parametrize("body", [
    {"keys": [{"keyName": "key1", "value": "c2VjcmV0S0VZ", "permissions": "FULL"}]},
    {"AccessToken": "c2VjcmV0S0VZ"}, {"ACCESS_TOKEN": "c2VjcmV0S0VZ"},
    {"accessToken": "c2VjcmV0S0VZ"}, {"properties": {"password": "c2VjcmV0S0VZ"}},
    {"value": [{"secretText": "c2VjcmV0S0VZ", "keyId": "1"}]},
    {"primaryMasterKey": "c2VjcmV0S0VZ"},
    {"connectionStrings": [{"connectionString": "AccountKey=c2VjcmV0S0VZ"}]},
    {"url": "https://x/?sig=c2VjcmV0S0VZ&se=1"},
], ids=["listKeys", "AccessToken", "ACCESS_TOKEN", "accessToken", "password", "secretText",
        "cosmos-keys", "connection-string", "sas"])
def test_record_scrubs_credential_shaped_bodies(body: dict[str, Any]) -> None:
    recorded = scrub_interaction(response(STORAGE + "/x/listKeys", body))
    assert b"c2VjcmV0S0VZ" not in recorded.body
    assert scrub_interaction(recorded) == recorded  # idempotent


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_collect_output_is_private_even_over_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "inventory.json"
    target.write_text("old")
    target.chmod(0o644)
    assert cli("collect", "--demo", "-o", str(target), "-q").exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    Inventory.load(target)


# --- 11: atomic reports and Ctrl-C ---------------------------------------------------


def _break_writer(monkeypatch: pytest.MonkeyPatch, module: str, exc: BaseException) -> None:
    """Make the reporter of `scanner.reporters.<module>` raise `exc` half-way through."""
    import dataclasses
    import importlib

    reporters = importlib.import_module(f"scanner.reporters.{module}")

    def broken(result: Any, stream: Any) -> None:
        stream.write("{\"partial\": ")
        raise exc

    monkeypatch.setattr(reporters, "REPORTER",
                        dataclasses.replace(reporters.REPORTER, write=broken))


def test_interrupt_while_writing_keeps_the_previous_report_and_exits_130(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    assert cli("scan", "--demo", "-f", "json,csv", "-o", str(out), "-q").exit_code == 1
    previous = (out / "cjis-scan-findings.csv").read_text()
    _break_writer(monkeypatch, "csv_report", KeyboardInterrupt())
    result = cli("scan", "--demo", "-f", "json,csv", "-o", str(out), "-q")
    assert result.exit_code == 130
    assert "interrupted: wrote" in result.output and "cjis-scan-report.json" in result.output
    assert (out / "cjis-scan-findings.csv").read_text() == previous  # the old, complete one
    assert sorted(p.name for p in out.iterdir()) == ["cjis-scan-findings.csv",
                                                     "cjis-scan-report.json"]  # no temp file
    json.loads((out / "cjis-scan-report.json").read_text())


def test_interrupt_before_any_report_says_none_was_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import scanner.scan

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(scanner.scan, "run_judgement", interrupted)
    result = cli("scan", "--demo", "-f", "json", "-o", str(tmp_path), "-q")
    assert result.exit_code == 130
    assert "interrupted: no report written" in result.output


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_a_real_sigint_exits_130_saying_nothing_was_written(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    code = ("import sys, time\nimport scanner.scan as s\n"
            "def slow(*a, **k):\n    print('judging', file=sys.stderr, flush=True)\n"
            "    time.sleep(60)\n"
            "s.run_judgement = slow\n"
            f"sys.argv = ['cjis-scan', 'scan', '--demo', '-q', '-f', 'json', '-o', "
            f"{str(tmp_path)!r}]\n"
            "from scanner.cli import main\nmain()\n")
    root = Path(__file__).resolve().parents[1]
    process = subprocess.Popen([sys.executable, "-c", code], cwd=root, text=True,
                               stderr=subprocess.PIPE, stdout=subprocess.PIPE)
    assert process.stderr is not None
    try:
        assert process.stderr.readline().strip() == "judging"
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130
    assert "interrupted: no report written" in stderr and "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []


def test_a_writer_crash_leaves_no_partial_file(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _break_writer(monkeypatch, "json_report", RuntimeError("disk on fire"))
    result = cli("scan", "--demo", "-f", "json", "-o", str(tmp_path), "-q")
    assert result.exit_code == 70
    assert list(tmp_path.iterdir()) == []


# --- 12: internal errors ------------------------------------------------------------


def test_internal_error_prints_one_line_saves_the_traceback_and_exits_70(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import scanner.scan

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError(f"bad math near sig=c2VjcmV0S0VZ {JWT}")

    monkeypatch.setattr(scanner.scan, "run_judgement", crash)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    result = cli("scan", "--demo", "-q")
    assert result.exit_code == 70
    assert "internal error" in result.output and "Traceback" not in result.output
    (saved,) = tmp_path.glob("cjis-scan-crash-*.txt")
    text = saved.read_text()
    assert "Traceback" in text and "ZeroDivisionError" in text
    assert "c2VjcmV0S0VZ" not in text + result.output and JWT not in text
    if os.name == "posix":
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600


# --- 13: hostile input files --------------------------------------------------------

VALID = {
    "config": "[scan]\nfail_on = \"medium\"\n",
    "inventory": Inventory().to_json(),
    "cassette": "interactions: []\nversion: 1\n",
}
FILE_FAULTS: dict[str, Callable[[str], bytes]] = {
    "latin-1": lambda text: text.encode("utf-8") + "é\n".encode("latin-1"),
    "utf-16 with BOM": lambda text: text.encode("utf-16"),
    "utf-16-le without BOM": lambda text: text.encode("utf-16-le"),
    "gzip": lambda text: gzip.compress(text.encode()),
    "NUL bytes": lambda text: text.encode() + b"\x00\x00",
    "truncated": lambda text: text.encode()[: len(text) // 2] + b"\xe2\x82",
    "empty": lambda text: b"",
    "binary": lambda text: bytes(range(256)),
}
NESTED = {"config": "x = " + "[" * 50_000, "inventory": "[" * 100_000,
          "cassette": "a: " + "[" * 50_000}
HUGE = {"config": "[scan]\nconcurrency = " + "9" * 5000 + "\n",
        "inventory": '{"schema_version": "1.0", "errors": [{"scope": "/", "collector": "x", '
                     '"message": "m", "status": ' + "9" * 5000 + "}]}",
        "cassette": "interactions:\n- request: {method: GET, uri: 'https://x/', body: null, "
                    "headers: {}}\n  response: {status: {code: " + "9" * 5000 + ", message: "
                    "OK}, headers: {}, body: {string: ''}}\nversion: 1\n"}
NON_FINITE = {"config": "[scan]\nconcurrency = nan\n",
              "inventory": '{"schema_version": "1.0", "errors": [{"scope": "/", "collector": '
                           '"x", "message": "m", "status": NaN}]}',
              "cassette": "interactions:\n- request: {method: GET, uri: 'https://x/', body: "
                          "null, headers: {}}\n  response: {status: {code: .nan, message: OK}, "
                          "headers: {}, body: {string: ''}}\nversion: 1\n"}
WRONG_TYPES = {"config": "scan = 3\n", "inventory": '{"subscriptions": {"a": 1}}',
               "cassette": "interactions: {a: 1}\nversion: 1\n"}


def _load_via_cli(kind: str, path: Path) -> Any:
    if kind == "config":
        return cli("scan", "--demo", "--config", str(path), "-q")
    if kind == "inventory":
        return cli("scan", "--inventory", str(path), "-q")
    return cli("scan", "--replay", str(path), "-q")


CASES = [(kind, name, fault(VALID[kind])) for kind in VALID for name, fault in
         FILE_FAULTS.items()
         if not (kind == "config" and name == "empty")] + [
    (kind, name, table[kind].encode())
    for name, table in (("deep nesting", NESTED), ("huge number", HUGE),
                        ("non-finite number", NON_FINITE), ("wrong types", WRONG_TYPES))
    for kind in VALID]


@pytest.mark.parametrize(("kind", "fault", "content"), CASES,
                         ids=[f"{k}-{f}" for k, f, _ in CASES])
def test_hostile_input_file_exits_2_naming_the_file(kind: str, fault: str, content: bytes,
                                                    tmp_path: Path) -> None:
    path = tmp_path / {"config": "cjis-scan.toml", "inventory": "inv.json",
                       "cassette": "tenant.yaml"}[kind]
    path.write_bytes(content)
    result = _load_via_cli(kind, path)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert path.name in result.output.replace("\n", "")


@pytest.mark.parametrize("kind", sorted(VALID))
def test_a_utf8_byte_order_mark_is_accepted(kind: str, tmp_path: Path) -> None:
    path = tmp_path / {"config": "c.toml", "inventory": "i.json", "cassette": "t.yaml"}[kind]
    path.write_bytes(b"\xef\xbb\xbf" + VALID[kind].encode())
    result = _load_via_cli(kind, path)
    # Loaded: any exit 2 is the (empty) content's, never the file's decoding.
    assert result.exit_code != 2 or "no subscription in scope" in result.output, result.output


# --- helpers for Resource Graph pages ---------------------------------------------


def _graph_rows() -> dict[str, Any]:
    page = example("resourcegraph/resources_query_first_page.json")
    for row in page["data"]:
        row["id"] = row["id"].replace("cfbbd179-59d2-4052-aa06-9270a38aa9d6", SUB)
        row["subscriptionId"] = SUB
    page.pop("$skipToken", None)
    return dict(page)


def _graph_page(body: dict[str, Any]) -> Interaction:
    request = json.dumps(query_request([SUB], None).serialize()).encode()
    return response(GRAPH_URL, body, method="POST", request_body=request)


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_redact_replaces_each_secret_shape(name: str) -> None:
    from scanner.redact import needs_redaction, redact

    text = f"prefix {SECRETS[name]} suffix"
    assert needs_redaction(text)
    cleaned = redact(text)
    assert "[REDACTED]" in cleaned and cleaned.startswith("prefix ")
    assert not any(leak in cleaned for leak in LEAKS)
    assert redact(cleaned) == cleaned


@pytest.mark.parametrize("text", [
    "https://management.azure.com/subscriptions/x?api-version=2022-12-01&$skiptoken=abc",
    "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sto1",
    "env=prod", "keyvaulturi=https://kv.vault.azure.net/", "Bearer", "design=signature",
])
def test_redact_leaves_ordinary_text_alone(text: str) -> None:
    from scanner.redact import redact

    assert redact(text) == text


def test_a_malformed_item_of_a_follow_up_read_is_an_error_for_its_resource() -> None:
    """Follow-up reads map item by item too: a key whose expiry cannot be a date is an error
    of the vault's keys (its CMK checks unknown there), and the scan completes."""
    vault = example("keyvault/vaults_list_by_subscription.json")["value"][0]
    vault["id"] = vault["id"].replace("00000000-0000-0000-0000-000000000000", SUB)
    key = example("keyvault/keys_list.json")["value"][0]
    key["id"] = f"{vault['id']}/keys/{key['name']}"
    key["properties"]["kty"] = "RSA-HSM"
    key["properties"]["attributes"] = {"exp": 10 ** 30}  # past any datetime
    lists = {"key_vaults": {"value": [vault]}}
    interactions = tenant([subscription_body()], lists) + [
        response(f"{vault['id']}/keys", {"value": [key]})]
    inventory = collect(factory_for(interactions), None, 2)
    (error,) = [e for e in inventory.errors if e.collector == "vault_keys"]
    assert error.scope == vault["id"].lower() and error.code == "UnexpectedShape"
    assert inventory.vault_keys == [] and inventory.key_vaults
