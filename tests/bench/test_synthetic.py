"""The synthetic tenant (bench.synthetic), its lazy transport and the benchmark arithmetic."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from azure.core.rest import HttpRequest

import bench.transport
from bench.synthetic import SyntheticTenant, cassette, save_json_cassette
from bench.synthetic_counts import classify as bench_classify
from bench.synthetic_counts import lower_bound, throttle_minimum
from bench.synthetic_plan import ARM, DIAGNOSTIC_KINDS, KINDS, composition
from bench.transport import SyntheticTransport, _AzureMeter
from scanner.azure.clients import ClientFactory
from scanner.azure.clouds import get_cloud
from scanner.azure.credentials import StandInCredential
from scanner.azure.throttle import ReadBudget
from scanner.collectors.runner import collect
from scanner.collectors.specs import SPECS
from scanner.inventory import Inventory
from scanner.replay import CassetteMiss, CassetteTransport, load_interactions
from scanner.resource_types import DIAGNOSTIC_LOG_TARGETS

KINDS_COLLECTED = [spec.name for spec in SPECS] + ["regions"]  # no Entra / Intune
SKIP = {"collected_at", "errors", "inventory_source"}
classify = bench_classify  # detail reads are `service_details` there too


@pytest.fixture(autouse=True)
def _detail_reads_classified(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench.transport, "classify", classify)


@pytest.fixture(scope="module")
def small() -> SyntheticTenant:
    return SyntheticTenant(2, 30, seed=1)


@pytest.fixture(scope="module")
def small_cassette(small: SyntheticTenant, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "tenant.json"
    save_json_cassette(cassette(small), path)
    return path


def _collect(transport: Any, source: str) -> Inventory:
    factory = ClientFactory(get_cloud("commercial"), StandInCredential(), transport,
                            ReadBudget(enabled=False))
    return collect(factory, None, 8, kinds=KINDS_COLLECTED, inventory_source=source)


def test_same_seed_same_cassette_and_another_seed_another(small_cassette: Path,
                                                          tmp_path: Path) -> None:
    again = tmp_path / "again.json"
    save_json_cassette(cassette(SyntheticTenant(2, 30, seed=1)), again)
    assert again.read_bytes() == small_cassette.read_bytes()
    other = tmp_path / "other.json"
    save_json_cassette(cassette(SyntheticTenant(2, 30, seed=2)), other)
    assert other.read_bytes() != small_cassette.read_bytes()


def test_cli_writes_a_json_cassette(tmp_path: Path) -> None:
    from bench.synthetic import main

    out = tmp_path / "t.json"
    main(["--subscriptions", "1", "--resources", "20", "--seed", "3", "-o", str(out)])
    data = json.loads(out.read_text())
    assert data["version"] == 1 and data["interactions"]
    assert len(load_interactions(out)) == len(data["interactions"])


def test_every_kind_compliant_and_not(small: SyntheticTenant) -> None:
    # Service kinds take what the other kinds leave (about a sixth of the resources), so
    # a subscription holds one of each only with room for them (breadth-a: 30 resources
    # no longer hold every kind once there are more than a few service kinds).
    counts = composition(max(30, 8 * sum(1 for kind in KINDS if kind.startswith("svc:"))))
    assert all(counts[kind] >= 1 for kind in KINDS if kind != "other")
    big = composition(500)
    assert sum(big.values()) == 500 and big["storage"] == 40
    storage = [small.body(plan, "storage", n) for plan in small.plans
               for n in range(plan.count("storage"))]
    storage += [small.body(p, "storage", n) for p in SyntheticTenant(5, 100, 1).plans
                for n in range(p.count("storage"))]
    https = {s["properties"]["supportsHttpsTrafficOnly"] for s in storage}
    cmk = {s["properties"]["encryption"]["keySource"] for s in storage}
    assert https == {True, False} and cmk == {"Microsoft.Storage", "Microsoft.Keyvault"}
    with pytest.raises(ValueError):
        composition(5)


def test_diagnostic_kinds_are_the_scanners_targets() -> None:
    for kind, (arm_type, _, _) in KINDS.items():
        if not arm_type:
            continue
        suffix = DIAGNOSTIC_LOG_TARGETS.get(arm_type.lower())
        assert (suffix is None) == (kind not in DIAGNOSTIC_KINDS), kind
        if suffix is not None:
            assert DIAGNOSTIC_KINDS[kind].lower() == suffix


@pytest.mark.parametrize("source", ["arm", "graph"])
def test_cassette_replays_with_no_errors_and_the_fewest_reads(
        small: SyntheticTenant, small_cassette: Path, source: str) -> None:
    transport = CassetteTransport.from_file(small_cassette)
    inventory = _collect(transport, source)
    assert inventory.errors == []
    assert len(inventory.resources) == 60 and len(inventory.subscriptions) == 2
    assert inventory.vault_keys and inventory.sentinel_onboarding
    made = Counter(classify(m, u) for m, u in transport.log.entries)
    assert made == small.expected_requests(source)


def test_both_sources_give_equal_inventories(small_cassette: Path) -> None:
    arm = _collect(CassetteTransport.from_file(small_cassette), "arm")
    graph = _collect(CassetteTransport.from_file(small_cassette), "graph")
    assert graph.model_dump(exclude=SKIP) == arm.model_dump(exclude=SKIP)


def _request(method: str, url: str, body: bytes | None) -> HttpRequest:
    return HttpRequest(method, url, content=body,
                       headers={"Content-Type": "application/json"} if body else None)


def test_lazy_transport_answers_exactly_as_the_cassette(small: SyntheticTenant,
                                                        small_cassette: Path) -> None:
    recorded = load_interactions(small_cassette)
    replay = CassetteTransport(recorded)
    lazy = SyntheticTransport(small)
    for interaction in recorded:
        request = _request(interaction.method, interaction.uri, interaction.request_body)
        expected, got = replay.send(request), lazy.send(request)
        assert (got.status_code, dict(got.headers), got.content) == (
            expected.status_code, dict(expected.headers), expected.content), interaction.uri
    sub = small.plans[0].id
    for method, url, body in (
            ("GET", f"{ARM}/subscriptions/{sub}/resourceGroups/rg-000/providers/"
                    f"Microsoft.KeyVault/vaults/kv-9999-00000/keys", None),
            # An undeclared type (Microsoft.Web/sites is a kind now: breadth-b).
            ("GET", f"{ARM}/subscriptions/{sub}/providers/Microsoft.Web/staticSites", None),
            ("GET", f"{ARM}/subscriptions/{sub}/resources?$skiptoken=bogus", None),
            ("POST", f"{ARM}/providers/Microsoft.ResourceGraph/resources",
             b'{"subscriptions": ["x"], "query": "Resources"}')):
        for transport in (CassetteTransport(recorded), lazy):
            with pytest.raises(CassetteMiss):
                transport.send(_request(method, url, body))


@pytest.mark.parametrize("source", ["arm", "graph"])
def test_lazy_transport_and_cassette_give_the_same_collection(
        small: SyntheticTenant, small_cassette: Path, source: str) -> None:
    replay = CassetteTransport.from_file(small_cassette)
    lazy = SyntheticTransport(small)
    from_cassette, from_lazy = _collect(replay, source), _collect(lazy, source)
    assert from_lazy.model_dump(exclude={"collected_at"}) == \
        from_cassette.model_dump(exclude={"collected_at"})
    assert lazy.by_kind == Counter(classify(m, u) for m, u in replay.log.entries)
    assert lazy.requests == small.expected_requests(source).total()
    assert lazy.render_cpu > 0 and not lazy.refused


def test_pages_of_a_thousand_for_both_sources() -> None:
    tenant = SyntheticTenant(1, 1001, seed=4)
    for source in ("arm", "graph"):
        lazy = SyntheticTransport(tenant)
        inventory = _collect(lazy, source)
        assert inventory.errors == [] and len(inventory.resources) == 1001
        assert lazy.by_kind == tenant.expected_requests(source)
    assert lazy.by_kind["resource_graph"] == 2  # 1,001 resources + 20 groups
    assert tenant.expected_requests("arm")["list:resources"] == 2
    first = tenant.interaction(("graph", 0, 0))
    second = tenant.interaction(("graph", 0, 1))
    assert first is not None and second is not None
    token = json.loads(first.body)["$skipToken"]
    assert json.loads(second.request_body or b"")["options"]["$skipToken"] == token
    assert len(json.loads(first.body)["data"]) == 1000
    assert "$skipToken" not in json.loads(second.body)
    assert [first.headers["x-ms-user-quota-remaining"],
            second.headers["x-ms-user-quota-remaining"]] == [["14"], ["13"]]


def test_classification_of_every_read() -> None:
    sub = "/subscriptions/6f1c2a4e-8b3d-4c7e-9a15-2d4e6f8a0b1c"
    vault = f"{sub}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
    hsm = f"{sub}/resourceGroups/rg/providers/Microsoft.KeyVault/managedHSMs/hsm"
    ws = f"{sub}/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law"
    cases = {
        ("GET", "/subscriptions?api-version=2022-12-01"): "subscriptions",
        ("GET", f"{sub}"): "subscriptions",
        ("GET", f"{sub}/locations"): "regions",
        ("GET", f"{sub}/resourcegroups?$skiptoken=x"): "list:resource_groups",
        ("GET", f"{sub}/resources"): "list:resources",
        ("GET", f"{sub}/providers/Microsoft.Storage/storageAccounts"): "list:storage_accounts",
        ("GET", f"{sub}/providers/Microsoft.Insights/diagnosticSettings"):
            "list:diagnostic_settings",
        ("GET", f"{sub}/resourcegroups/rg/providers/microsoft.storage/storageaccounts/st/"
                f"blobservices/default/providers/microsoft.insights/diagnosticSettings"):
            "diagnostic_settings",
        ("GET", f"{vault}/keys"): "keys_list",
        ("GET", f"{vault}/keys/cmk"): "key_get",
        ("GET", f"{hsm}/keys"): "hsm_keys_list",
        ("GET", f"{hsm}/keys/cmk"): "hsm_key_get",
        ("GET", f"{sub}/resourceGroups/rg/providers/Microsoft.Sql/servers/s/"
                f"encryptionProtector/current"): "tde",
        ("GET", f"{ws}/providers/Microsoft.SecurityInsights/onboardingStates"):
            "sentinel_onboarding",
        ("GET", f"{ws}/providers/Microsoft.SecurityInsights/alertRules"): "alert_rules",
        ("GET", f"{ws}/tables"): "workspace_tables",  # monitor: issue 10 item 12
        ("GET", "/providers/microsoft.aadiam/diagnosticSettings"): "aad_diagnostic_settings",
        ("GET", f"{sub}/resourcegroups/rg/providers/microsoft.storage/storageaccounts/st/"
                f"tableservices/default/providers/microsoft.insights/diagnosticSettings"):
            "diagnostic_settings",
        ("GET", "/providers/Microsoft.Management/managementGroups/mg/providers/"
                "Microsoft.Authorization/policySetDefinitions/x"): "policy_set_definitions",
        ("POST", "/providers/Microsoft.ResourceGraph/resources"): "resource_graph",
        ("GET", "/providers/Microsoft.Web/sites"): "other",
    }
    for (method, path), expected in cases.items():
        assert bench_classify(method, f"{ARM}{path}") == expected, path


def test_lower_bound_arithmetic() -> None:
    # Latency-bound: 4,551 reads, 16 at a time, 50 ms each.
    assert lower_bound(4551, 16, 0.05, [242] * 20) == pytest.approx(4551 / 16 * 0.05)
    # A subscription with 300 reads needs (300 - 250) / 25 = 2 s of refill at least.
    assert throttle_minimum([300, 100]) == pytest.approx(2.0)
    assert throttle_minimum([250, 10]) == 0.0
    assert lower_bound(100, 16, 0.05, [300]) == pytest.approx(2.0)
    # Resource Graph: 15 queries per 5 s window: 51 pages span 4 windows (15 s).
    assert throttle_minimum([], graph_queries=15) == 0.0
    assert throttle_minimum([], graph_queries=16) == 5.0
    assert throttle_minimum([], graph_queries=51) == 15.0
    assert lower_bound(1000, 16, 0.05, [260], graph_queries=51) == 15.0


def test_azure_meter_counts_what_azure_would_refuse() -> None:
    meter = _AzureMeter()
    for _ in range(251):
        meter.read("sub", 0.0)
    assert meter.refused["arm"] == 1
    meter.read("sub", 0.04)  # one token refilled after 40 ms
    assert meter.refused["arm"] == 1
    for n in range(16):
        meter.read("resourcegraph", 10.0 + n * 0.1)
    assert meter.refused["resourcegraph"] == 1
    meter.read("resourcegraph", 15.5)  # a new window
    assert meter.refused["resourcegraph"] == 1
