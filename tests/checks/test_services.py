"""Every service kind's checks: pass and fail on Microsoft's published bodies (the demo
tenant's samples, fixtures/services), unknown when the kind could not be read, and no
read at all for a kind the tenant does not hold."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from fixtures.services import FOREIGN_KEY, SAMPLES, SUB_A, Sample, render
from scanner.collectors.runner import collect
from scanner.config import ScanConfig
from scanner.findings import Status
from scanner.inventory import Inventory
from scanner.kinds import by_name, service_kinds
from scanner.registry import load_registry
from scanner.replay import CassetteTransport, demo_cassette
from scanner.scan import run_judgement
from tests.collectors.tenant import SUB, example, subscription_body, tenant
from tests.conftest import factory_for, response

REGISTRY = load_registry()
SERVICE_KINDS = service_kinds()


def _checks_of(kind: str) -> list[str]:
    return [c.id for c in REGISTRY.checks.values() if kind in c.meta.kinds]


def _statuses(inventory: Inventory, checks: list[str]) -> dict[tuple[str, str], str]:
    result = run_judgement(inventory, ScanConfig(checks=checks), datetime.now(UTC), "test")
    return {(f.check_id, f.resource_id): f.status.value for f in result.findings}


def demo_transport() -> CassetteTransport:
    return CassetteTransport.from_file(demo_cassette())


@pytest.fixture(scope="module")
def demo_inventory() -> Inventory:
    factory = factory_for([])
    factory.transport = demo_transport()  # type: ignore[misc]
    return collect(factory, None, 4)


@pytest.fixture(scope="module")
def demo_statuses(demo_inventory: Inventory) -> dict[tuple[str, str], str]:
    checks = sorted({c for k in SERVICE_KINDS for c in _checks_of(k.name)})
    return _statuses(demo_inventory, checks)


def _sample_id(sample: Sample) -> str:
    kind = by_name()[sample.kind]
    return render(sample, kind.arm_type)["id"].lower()


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: f"{s.kind}:{s.name}")
def test_each_sample_gets_its_expected_verdicts(
        sample: Sample, demo_statuses: dict[tuple[str, str], str]) -> None:
    resource_id = _sample_id(sample)
    got = {check: demo_statuses.get((check, resource_id)) for check in sample.expect}
    assert got == sample.expect


@pytest.mark.parametrize("kind", SERVICE_KINDS, ids=lambda k: k.name)
def test_every_check_of_every_service_kind_has_a_pass_and_a_fail_sample(kind) -> None:
    checks = _checks_of(kind.name)
    assert checks, f"{kind.name} is declared but nothing judges it"
    seen: dict[str, set[str]] = {c: set() for c in checks}
    for sample in SAMPLES:
        if sample.kind == kind.name:
            for check, status in sample.expect.items():
                seen[check].add(status)
    for check, statuses in seen.items():
        assert {"pass", "fail"} <= statuses, (check, statuses)


@pytest.mark.parametrize("kind", SERVICE_KINDS, ids=lambda k: k.name)
def test_a_service_kind_that_cannot_be_listed_is_unknown_for_each_of_its_checks(kind) -> None:
    if kind.parent:  # listed per parent: unknown at the parent whose list failed
        parent = by_name()[kind.parent]
        item = example("storage/storage_accounts_list.json")["value"][0]
        item["id"] = f"/subscriptions/{SUB}/resourceGroups/rg/providers/{parent.arm_type}/p"
        lists: dict[str, Any] = {parent.name: {"value": [item]}, kind.name: []}
        interactions = tenant([subscription_body()], lists) + [
            response(f"{item['id']}{kind.path}", {"error": {
                "code": "AuthorizationFailed", "message": "no read"}}, status=403)]
        inventory = collect(factory_for(interactions), None, 2)
        statuses = _statuses(inventory, _checks_of(kind.name))
        assert statuses == {(c, item["id"].lower()): "unknown" for c in _checks_of(kind.name)}
        return
    sample = next(s for s in SAMPLES if s.kind == kind.name)
    body = render(sample, kind.arm_type) | {"id": f"/subscriptions/{SUB}/resourceGroups/rg/"
                                                  f"providers/{kind.arm_type}/x"}
    lists = {"resources": {"value": [{k: body[k] for k in ("id", "name", "type", "location")}]},
             kind.name: [response(kind.url(SUB), {"error": {
                 "code": "AuthorizationFailed", "message": "no read"}}, status=403)]}
    inventory = collect(factory_for(tenant([subscription_body()], lists)), None, 2)
    assert kind.name in {e.collector for e in inventory.errors}
    statuses = _statuses(inventory, _checks_of(kind.name))
    assert set(statuses.values()) == {"unknown"}
    assert all(resource == f"/subscriptions/{SUB}" for _, resource in statuses)


def test_gated_kinds_are_unknown_where_the_resource_list_failed() -> None:
    lists = {"resources": [response(f"/subscriptions/{SUB}/resources", {}, status=500)]}
    inventory = collect(factory_for(tenant([subscription_body()], lists)), None, 2)
    gated = [k for k in SERVICE_KINDS if k.gated]
    checks = sorted({c for k in gated for c in _checks_of(k.name)})
    statuses = _statuses(inventory, checks)
    assert {check for check, _ in statuses} == set(checks)
    assert set(statuses.values()) == {"unknown"}


def test_a_tenant_without_a_service_makes_no_read_for_it() -> None:
    transport = demo_transport()
    factory = factory_for([])
    factory.transport = transport  # type: ignore[misc]
    collect(factory, None, 4)
    lists = Counter(url.split("?")[0].lower() for method, url in transport.log.entries
                    if "/providers/microsoft." in url.lower() and method == "GET")
    present = {(s.kind, s.subscription) for s in SAMPLES}
    for kind in (k for k in SERVICE_KINDS if not k.parent):  # children: per parent item
        for sub in {s.subscription for s in SAMPLES} | {SUB_A}:
            path = f"https://management.azure.com{kind.url(sub)}".lower()
            read = lists.get(path, 0)
            expected = (kind.name, sub) in present or not kind.gated
            assert bool(read) == expected, (kind.name, sub, read)


def test_a_key_outside_the_scanned_subscriptions_makes_the_store_unknown() -> None:
    kind = by_name()["postgresql_flexible_servers"]
    sample = next(s for s in SAMPLES if s.kind == kind.name
                  and s.expect.get("postgresql_flexible_server_cmk_encryption") == "pass")
    body = render(sample, kind.arm_type)
    body["properties"]["dataEncryption"]["primaryKeyURI"] = FOREIGN_KEY
    body["id"] = body["id"].replace(SUB_A, SUB)
    lists = {"resources": {"value": [{k: body[k] for k in ("id", "name", "type", "location")}]},
             kind.name: {"value": [body]}}
    inventory = collect(factory_for(tenant([subscription_body()], lists)), None, 2)
    verdicts = _statuses(inventory, ["postgresql_flexible_server_cmk_encryption"])
    assert list(verdicts.values()) == [Status.UNKNOWN.value]
