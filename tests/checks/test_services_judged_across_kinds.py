"""The service checks that are functions, not rule() data (checks/services/messaging.py,
bigdata.py): what they conclude when what they look across is missing or unreadable.
The demo tenant (Microsoft's published bodies, fixtures/services) is the starting point;
each test changes one thing in it."""

from __future__ import annotations

from typing import Any

import pytest

from fixtures.services import FOREIGN_KEY, SUB_A, SUB_B
from scanner.collectors.runner import collect
from scanner.findings import Status
from scanner.inventory import CollectionError, Inventory, ServiceResource
from scanner.replay import CassetteTransport, demo_cassette
from tests.checks.helpers import statuses
from tests.conftest import factory_for


@pytest.fixture(scope="module")
def demo() -> Inventory:
    factory = factory_for([])
    factory.transport = CassetteTransport.from_file(demo_cassette())  # type: ignore[misc]
    return collect(factory, None, 4)


def _named(inv: Inventory, kind: str, name: str) -> ServiceResource:
    return next(r for r in inv.services[kind] if r.name == name)


def _with(inv: Inventory, kind: str, name: str, **props: Any) -> Inventory:
    """The inventory with one service resource's declared fields changed."""
    items = [r.model_copy(update={"props": {**r.props, **props}}) if r.name == name else r
             for r in inv.services[kind]]
    return inv.model_copy(update={"services": {**inv.services, kind: items}})


def _status(check: str, inv: Inventory, kind: str, name: str) -> Status:
    return statuses(check, inv)[_named(inv, kind, name).id]


def _denied(collector: str, subscription: str) -> CollectionError:
    return CollectionError(scope=f"/subscriptions/{subscription}", collector=collector,
                           status=403, code="AuthorizationFailed", message="no read")


CLUSTER = "event_hub_cluster_namespaces_cmk_encryption"


def test_a_cluster_is_judged_by_the_keys_of_its_namespaces(demo: Inventory) -> None:
    assert _status(CLUSTER, demo, "event_hub_clusters", "evhc-cjis-dedicated") is Status.PASS
    assert _status(CLUSTER, demo, "event_hub_clusters", "evhc-records-shared") is Status.FAIL


def test_a_cluster_whose_namespace_key_is_outside_the_scan_is_unknown(demo: Inventory) -> None:
    vault, name = FOREIGN_KEY.split("/keys/")
    inv = _with(demo, "event_hub_namespaces", "evhns-cjis-ingest",
                key_vault_uri=[vault], key_name=[name])
    assert _status(CLUSTER, inv, "event_hub_clusters", "evhc-cjis-dedicated") is Status.UNKNOWN


def test_a_cluster_is_unknown_where_namespaces_could_not_be_listed(demo: Inventory) -> None:
    # Namespaces of another subscription may sit in the cluster: a gap anywhere counts
    # (the cluster is in SUB_A, the unread namespaces list in SUB_B)...
    gap_b = demo.model_copy(update={"errors": [*demo.errors,
                                               _denied("event_hub_namespaces", SUB_B)]})
    assert _status(CLUSTER, gap_b, "event_hub_clusters", "evhc-cjis-dedicated") is Status.UNKNOWN
    # ... but a namespace in the cluster that fails fails it, whatever else is unread.
    gap_a = demo.model_copy(update={"errors": [*demo.errors,
                                               _denied("event_hub_namespaces", SUB_A)]})
    assert _status(CLUSTER, gap_a, "event_hub_clusters", "evhc-records-shared") is Status.FAIL


def test_an_empty_cluster_is_not_applicable(demo: Inventory) -> None:
    inv = _with(demo, "event_hub_namespaces", "evhns-cjis-ingest", cluster_arm_id=None)
    assert _status(CLUSTER, inv, "event_hub_clusters",
                   "evhc-cjis-dedicated") is Status.NOT_APPLICABLE


NAMESPACE = "event_hub_namespace_cmk_encryption"


def test_an_event_hub_namespace_without_tier_or_cluster_is_unknown(demo: Inventory) -> None:
    resource = _named(demo, "event_hub_namespaces", "evhns-cjis-telemetry")
    items = [r.model_copy(update={"sku_tier": None}) if r.id == resource.id else r
             for r in demo.services["event_hub_namespaces"]]
    inv = demo.model_copy(update={"services": {**demo.services, "event_hub_namespaces": items}})
    assert statuses(NAMESPACE, inv)[resource.id] is Status.UNKNOWN


def test_a_service_bus_namespace_without_tier_is_unknown(demo: Inventory) -> None:
    kind, name = "service_bus_namespaces", "sb-records-intake"
    resource = _named(demo, kind, name)
    items = [r.model_copy(update={"sku_tier": None}) if r.id == resource.id else r
             for r in demo.services[kind]]
    inv = demo.model_copy(update={"services": {**demo.services, kind: items}})
    assert statuses("service_bus_namespace_cmk_encryption", inv)[resource.id] is Status.UNKNOWN


JOB = "stream_analytics_job_cmk_encryption"


def test_a_job_storage_account_outside_the_scan_is_unknown(demo: Inventory) -> None:
    inv = _with(demo, "stream_analytics_jobs", "asa-cjis-dispatch",
                job_storage_account="stpartneragency")
    assert _status(JOB, inv, "stream_analytics_jobs", "asa-cjis-dispatch") is Status.UNKNOWN


def test_a_job_storage_account_in_an_unread_list_is_unknown(demo: Inventory) -> None:
    inv = _with(demo, "stream_analytics_jobs", "asa-cjis-dispatch",
                job_storage_account="stpartneragency")
    inv = inv.model_copy(update={"errors": [*inv.errors, _denied("storage_accounts", SUB_B)]})
    assert _status(JOB, inv, "stream_analytics_jobs", "asa-cjis-dispatch") is Status.UNKNOWN


def test_a_job_in_the_system_account_fails_whatever_else_is_unread(demo: Inventory) -> None:
    inv = demo.model_copy(update={"errors": [*demo.errors, _denied("storage_accounts", SUB_A)]})
    assert _status(JOB, inv, "stream_analytics_jobs", "asa-cjis-metrics") is Status.FAIL


GEN1 = "data_lake_store_cmk_encryption"


def test_a_gen1_key_in_a_vault_outside_the_scan_is_unknown(demo: Inventory) -> None:
    inv = _with(demo, "data_lake_store_accounts", "adlscjisrecords",
                key_vault_id=f"/subscriptions/{SUB_B}/resourceGroups/rg-partner/providers/"
                             "Microsoft.KeyVault/vaults/kv-partner-agency")
    assert _status(GEN1, inv, "data_lake_store_accounts", "adlscjisrecords") is Status.UNKNOWN


def test_a_gen1_account_whose_get_failed_is_unknown(demo: Inventory) -> None:
    resource = _named(demo, "data_lake_store_accounts", "adlscjisrecords")
    error = CollectionError(scope=resource.id, collector="data_lake_store_accounts",
                            status=500, code="InternalServerError", message="failed")
    inv = demo.model_copy(update={"errors": [*demo.errors, error]})
    for check in (GEN1, "data_lake_store_encryption_enabled"):
        assert statuses(check, inv)[resource.id] is Status.UNKNOWN
