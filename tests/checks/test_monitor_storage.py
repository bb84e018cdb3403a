"""Storage logging covers every service (issue 10 item 11), from published bodies.

Accounts are items of the published StorageAccounts_List example (kind `Storage`,
general purpose v1: all four services) re-kinded as Azure spells kinds; settings are the
published DiagnosticSettings_List item re-targeted at each service and sent to a
workspace, with the categories the built-ins b4fe1a3b / 25a70cc8 / 7bd000e3 / 2fb86bf3
deploy (StorageRead, StorageWrite, StorageDelete) or the allLogs group.
"""

from __future__ import annotations

from typing import Any

from fixtures.examples import example
from scanner.collectors import followups, normalize, normalize_monitor
from scanner.findings import Status
from scanner.inventory import CollectionError, GenericResource
from scanner.inventory_monitor import DiagnosticSetting
from scanner.resource_types import storage_services
from tests.checks.helpers import SUB, arm_id, inventory, verdicts

SA = "Microsoft.Storage/storageAccounts"
WORKSPACE = arm_id("Microsoft.OperationalInsights/workspaces", "law-cjis", group="rg-logs")
EVERY_CATEGORY = [{"category": c, "enabled": True}
                  for c in ("StorageRead", "StorageWrite", "StorageDelete")]
ALL_LOGS = [{"categoryGroup": "allLogs", "enabled": True}]
CHECK = "resource_diagnostic_logs_to_workspace"


def account(name: str, kind: str = "StorageV2", sku: str = "Standard_GRS") -> GenericResource:
    body = example("storage/storage_accounts_list.json")["value"][0]
    body.update(id=arm_id(SA, name), name=name, kind=kind, sku={"name": sku, "tier": "x"})
    return normalize.generic_resource(body, SUB)


def setting(account_name: str, service: str, logs: list[dict[str, Any]],
            workspace: str | None = WORKSPACE) -> DiagnosticSetting:
    target = f"{arm_id(SA, account_name)}/{service}Services/default".lower()
    body = example("monitor/diagnostic_settings_list.json")["value"][0]
    body["id"] = f"{target}/providers/microsoft.insights/diagnosticSettings/to-law"
    body["name"] = f"{service}-to-law"
    body["properties"].update(workspaceId=workspace or "", logs=logs)
    return normalize_monitor.diagnostic_setting(body, target)


def target(name: str, service: str) -> str:
    return f"{arm_id(SA, name)}/{service}services/default"


def tenant(**accounts: tuple[str, dict[str, list[dict[str, Any]] | None]]) -> Any:
    """name=(kind, {service: logs, or None for "not read"}); a service absent from the
    dict was read and has no setting."""
    resources, settings, read, errors = [], [], [], []
    for name, (kind, services) in accounts.items():
        resources.append(account(name, kind, "Premium_LRS" if name.endswith("premium")
                                 else "Standard_GRS"))
        for service in ("blob", "file", "queue", "table"):
            logs = services.get(service, [])
            if logs is None:
                continue
            read.append(target(name, service))
            if logs == "error":
                read.pop()
                errors.append(CollectionError(scope=target(name, service),
                                              collector="diagnostic_settings", status=403,
                                              message="AuthorizationFailed", remedy="Reader"))
            elif logs:
                settings.append(setting(name, service, logs))
    return inventory(resources=resources, diagnostic_settings=settings,
                     diagnostic_targets=read, errors=errors)


def test_account_kind_decides_the_services_as_learn_documents() -> None:
    assert storage_services("StorageV2", "Standard_GRS") == ("blob", "file", "queue", "table")
    assert storage_services("Storage", "Standard_LRS") == ("blob", "file", "queue", "table")
    assert storage_services("BlobStorage", "Standard_LRS") == ("blob",)
    assert storage_services("BlockBlobStorage", "Premium_LRS") == ("blob",)
    assert storage_services("FileStorage", "Premium_LRS") == ("file",)
    assert storage_services("StorageV2", "Premium_LRS") == ("blob",)  # premium page blobs
    assert storage_services(None, None) == ("blob", "file", "queue", "table")  # fail closed


def test_every_service_must_send_its_logs() -> None:
    four = {s: EVERY_CATEGORY for s in ("blob", "file", "queue")} | {"table": ALL_LOGS}
    inv = tenant(
        pass_v2=("StorageV2", four),
        pass_v1=("Storage", {s: ALL_LOGS for s in ("blob", "file", "queue", "table")}),
        pass_files=("FileStorage", {"file": ALL_LOGS}),
        pass_blockblob=("BlockBlobStorage", {"blob": EVERY_CATEGORY}),
        pass_premium=("StorageV2", {"blob": ALL_LOGS}),
        fail_no_table=("StorageV2", {s: ALL_LOGS for s in ("blob", "file", "queue")}),
        fail_queue_partial=("StorageV2", {**four, "queue": EVERY_CATEGORY[:2]}),
        fail_and_unknown=("StorageV2", {"blob": ALL_LOGS, "file": None, "queue": ALL_LOGS}),
        unknown_queue_error=("StorageV2", {**four, "queue": "error"}),
        unknown_table_unread=("StorageV2", {**four, "table": None}),
    )
    found = verdicts(CHECK, inv)
    by_name = {rid.rsplit("/", 1)[-1]: v for rid, v in found.items()}
    assert {n: v.status for n, v in by_name.items()} == {
        "pass_v2": Status.PASS, "pass_v1": Status.PASS, "pass_files": Status.PASS,
        "pass_blockblob": Status.PASS, "pass_premium": Status.PASS,
        "fail_no_table": Status.FAIL, "fail_queue_partial": Status.FAIL,
        "fail_and_unknown": Status.FAIL,
        "unknown_queue_error": Status.UNKNOWN, "unknown_table_unread": Status.UNKNOWN}
    assert by_name["fail_no_table"].reason.startswith("table service: ")
    assert "has no diagnostic setting" in by_name["fail_no_table"].reason
    assert "queue service: " in by_name["fail_queue_partial"].reason
    assert "enable storageread, storagewrite, not" in by_name["fail_queue_partial"].reason
    mixed = by_name["fail_and_unknown"].reason
    assert "table service" in mixed and "file" in mixed.split("could not be judged")[0]
    assert "queue service" in by_name["unknown_queue_error"].reason
    assert "403" in by_name["unknown_queue_error"].reason
    assert "table service" in by_name["unknown_table_unread"].reason
    assert "not read" in by_name["unknown_table_unread"].reason


def test_evidence_lists_what_was_found_per_service() -> None:
    inv = tenant(fail_no_table=("StorageV2", {"blob": ALL_LOGS, "file": EVERY_CATEGORY,
                                              "queue": ALL_LOGS}))
    (verdict,) = verdicts(CHECK, inv).values()
    services = verdict.evidence["services"]
    assert list(services) == ["blob", "file", "queue", "table"]
    assert services["blob"]["status"] == "pass"
    assert services["file"]["settings"][0]["enabled_logs"] == [
        "storagedelete", "storageread", "storagewrite"]
    assert services["table"]["status"] == "fail" and services["table"]["settings"] == []
    assert services["table"]["built_in_policy"] == "2fb86bf3-d221-43d1-96d1-2434af34eaa0"
    assert verdict.evidence["account_kind"] == "StorageV2"


def test_collection_reads_one_setting_list_per_service_the_account_holds() -> None:
    resources = [account("v2"), account("files", "FileStorage"), account("blobs", "BlobStorage"),
                 account("premium", "StorageV2", "Premium_LRS")]
    tasks = followups.diagnostic_settings_of(resources, SUB, None)  # type: ignore[arg-type]
    assert sorted(t.scope for t in tasks) == sorted([
        *(target("v2", s) for s in ("blob", "file", "queue", "table")),
        target("files", "file"), target("blobs", "blob"), target("premium", "blob")])
