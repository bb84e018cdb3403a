"""Retention is judged per table (issue 10 item 12), from the published Tables - List body.

Tables are the published TablesList.json items (2022-10-01) renamed to the tables CJIS
logs land in, with their `retentionInDays` / `totalRetentionInDays` changed; `-1` is the
workspace default as the Tables REST reference documents.
"""

from __future__ import annotations

from typing import Any

import pytest

from fixtures.examples import example
from scanner.collectors import normalize_monitor
from scanner.collectors.normalize import ShapeError
from scanner.findings import Status
from scanner.inventory import CollectionError
from scanner.inventory_monitor import DiagnosticSetting, LogSetting, Workspace
from scanner.resource_types import AAD_DIAGNOSTICS_TARGET
from tests.checks.helpers import SUB, arm_id, ids_with, inventory, verdicts

CHECK = "workspace_retention_365_days"
LAW = "Microsoft.OperationalInsights/workspaces"
KV = arm_id("Microsoft.KeyVault/vaults", "kv-cjis")
BLOB = arm_id("Microsoft.Storage/storageAccounts", "stcjis") + "/blobservices/default"
NSG = arm_id("Microsoft.Network/networkSecurityGroups", "nsg-cjis")


def ws(name: str) -> str:
    return arm_id(LAW, name, group="rg-logs")


def workspace(name: str, retention: int | None = 30) -> Workspace:
    return Workspace(id=ws(name), name=name, type=LAW, location="eastus", subscription_id=SUB,
                     resource_group="rg-logs", retention_in_days=retention)


def table(workspace_name: str, name: str, retention: int, total: int) -> Any:
    body = example("loganalytics/tables_list.json")["value"][0]
    body["id"] = f"{ws(workspace_name)}/tables/{name}"
    body["name"] = name
    body["properties"].update(retentionInDays=retention, totalRetentionInDays=total)
    return normalize_monitor.workspace_table(body, SUB)


def published_tables(workspace_name: str) -> list[Any]:
    """The published two tables, as listed in `workspace_name` (neither receives CJIS logs)."""
    found = []
    for body in example("loganalytics/tables_list.json")["value"]:
        body["id"] = f"{ws(workspace_name)}/tables/{body['name']}"
        found.append(normalize_monitor.workspace_table(body, SUB))
    return found


def feed(workspace_name: str, target: str, *categories: str,
         dedicated: bool = False) -> DiagnosticSetting:
    return DiagnosticSetting(
        id=f"{target}/providers/microsoft.insights/diagnosticsettings/to-{workspace_name}",
        name=f"to-{workspace_name}", target_id=target, workspace_id=ws(workspace_name),
        logs=[LogSetting(category=c, enabled=True) for c in categories],
        log_analytics_destination_type="Dedicated" if dedicated else None)


def cjis_feeds(name: str) -> list[DiagnosticSetting]:
    return [feed(name, f"/subscriptions/{SUB}", "Administrative", "Security", "Policy"),
            feed(name, AAD_DIAGNOSTICS_TARGET, "AuditLogs", "SignInLogs"),
            feed(name, KV, "AuditEvent"), feed(name, BLOB, "StorageRead")]


def long_kept(name: str, **overrides: tuple[int, int]) -> list[Any]:
    rows = {"AzureActivity": (90, 400), "AuditLogs": (365, 365), "SigninLogs": (90, 730),
            "AzureDiagnostics": (180, 365), "StorageBlobLogs": (30, 365)} | overrides
    return [*published_tables(name), *(table(name, t, r, x) for t, (r, x) in rows.items())]


def test_the_published_table_fields_map() -> None:
    flow, dns = published_tables("law")
    assert (flow.name, flow.retention_in_days, flow.total_retention_in_days) == \
        ("AzureNetworkFlow", 45, 70)
    assert flow.workspace_id == ws("law") and flow.plan == "Analytics"
    assert dns.total_retention_in_days_as_default is True  # "True", a string, as published
    assert flow.retention_in_days_as_default is False


def test_retention_per_table() -> None:
    names = ["pass-long-term", "pass-default-730", "fail-signin-90", "fail-default-30",
             "fail-unlisted-table", "unknown-tables-error", "unknown-tables-unread",
             "pass-dedicated-kv", "fail-dedicated-unmapped", "na-not-cjis"]
    defaults = {"pass-default-730": 730, "fail-unlisted-table": 30}
    workspaces = [workspace(n, defaults.get(n, 30)) for n in names]
    settings = [s for n in names[:7] for s in cjis_feeds(n)]
    settings += [feed("pass-dedicated-kv", KV, "AuditEvent", dedicated=True),
                 feed("fail-dedicated-unmapped", NSG, "NetworkSecurityGroupEvent",
                      dedicated=True)]
    tables = [*long_kept("pass-long-term"),
              *long_kept("pass-default-730", SigninLogs=(-1, -1), AuditLogs=(-1, -1),
                        AzureDiagnostics=(-1, -1)),
              *long_kept("fail-signin-90", SigninLogs=(90, 90)),
              *long_kept("fail-default-30", AuditLogs=(-1, -1)),
              *[t for t in long_kept("fail-unlisted-table") if t.name != "SigninLogs"],
              *long_kept("unknown-tables-error"),
              table("pass-dedicated-kv", "AZKVAuditLogs", 90, 365),
              *published_tables("fail-dedicated-unmapped"), *published_tables("na-not-cjis")]
    error = CollectionError(scope=ws("unknown-tables-error"), collector="workspace_tables",
                            status=403, message="AuthorizationFailed", remedy="Reader")
    inv = inventory(workspaces=workspaces, diagnostic_settings=settings,
                    workspace_tables=tables, errors=[error])
    assert ids_with(Status.PASS, CHECK, inv) == {
        ws("pass-long-term"), ws("pass-default-730"), ws("pass-dedicated-kv")}
    assert ids_with(Status.FAIL, CHECK, inv) == {
        ws("fail-signin-90"), ws("fail-default-30"), ws("fail-unlisted-table"),
        ws("fail-dedicated-unmapped")}
    assert ids_with(Status.UNKNOWN, CHECK, inv) == {
        ws("unknown-tables-error"), ws("unknown-tables-unread")}
    assert ids_with(Status.NOT_APPLICABLE, CHECK, inv) == {ws("na-not-cjis")}

    found = verdicts(CHECK, inv)
    assert found[ws("fail-signin-90")].reason == \
        "total retention below 365 days: SigninLogs (90 days)"
    assert "AuditLogs (30 days)" in found[ws("fail-default-30")].reason
    assert "SigninLogs (30 days)" in found[ws("fail-unlisted-table")].reason
    assert "(tables at the workspace default) (30 days)" in \
        found[ws("fail-dedicated-unmapped")].reason
    assert "403" in found[ws("unknown-tables-error")].reason
    assert "were not read" in found[ws("unknown-tables-unread")].reason
    rows = {r["table"]: r for r in found[ws("pass-long-term")].evidence["tables"]}
    assert set(rows) == {"AzureActivity", "AuditLogs", "SigninLogs", "AzureDiagnostics",
                         "StorageBlobLogs"}
    assert (rows["AzureActivity"]["retention_in_days"],
            rows["AzureActivity"]["total_retention_in_days"],
            rows["AzureActivity"]["effective_total_days"]) == (90, 400, 400)
    assert rows["SigninLogs"]["fed_by"] == [
        f"to-pass-long-term on {AAD_DIAGNOSTICS_TARGET} (signinlogs)"]
    assert found[ws("pass-long-term")].evidence["retention_in_days"] == 365
    kv_rows = found[ws("pass-dedicated-kv")].evidence["tables"]
    assert [r["table"] for r in kv_rows] == ["AZKVAuditLogs"]
    # The minimum follows the configuration.
    stricter = verdicts(CHECK, inv, log_retention_days=400)[ws("pass-long-term")]
    assert stricter.status is Status.FAIL
    assert stricter.reason == ("total retention below 400 days: AuditLogs (365 days), "
                               "AzureDiagnostics (365 days), StorageBlobLogs (365 days)")


def test_a_retention_that_is_not_a_number_is_a_shape_error_not_the_default() -> None:
    body = example("loganalytics/tables_list.json")["value"][0]
    body["properties"]["totalRetentionInDays"] = "a year"
    with pytest.raises(ShapeError):
        normalize_monitor.workspace_table(body, SUB)
