"""Entra ID's diagnostic settings and workspace tables: collected from published bodies,
one read each, and allowed by the guard (that one aadiam GET, nothing else)."""

from __future__ import annotations

import pytest

from fixtures.examples import example
from scanner.azure.guard import is_allowed_read
from scanner.resource_types import AAD_DIAGNOSTICS_TARGET
from tests.collectors.tenant import TENANT, tenant
from tests.collectors.test_collect import run
from tests.conftest import ARM, response

AAD = "/providers/microsoft.aadiam/diagnosticSettings"


def test_entra_settings_join_the_diagnostic_settings() -> None:
    inv, transport = run(tenant())
    assert inv.errors == []
    assert AAD_DIAGNOSTICS_TARGET in inv.diagnostic_targets
    (setting,) = [s for s in inv.diagnostic_settings if s.target_id == AAD_DIAGNOSTICS_TARGET]
    assert setting.name == "mysetting" and setting.workspace_id is None  # published ""
    assert setting.enabled_categories() == {"signinlogs"}
    assert setting.storage_account_id and setting.event_hub_authorization_rule_id
    reads = [url for _, url in transport.log.entries if "aadiam" in url.lower()]
    assert len(reads) == 1 and "api-version=2017-04-01" in reads[0]


def test_a_refused_read_is_an_error_at_the_tenant_naming_the_role() -> None:
    denied = response(AAD, {"error": {"code": "AuthorizationFailed", "message": "denied"}},
                      status=403)
    inv, _ = run(tenant(skip=("aad_diagnostic_settings",)) + [denied])
    (error,) = inv.errors
    assert (error.collector, error.scope, error.status) == (
        "aad_diagnostic_settings", f"/tenants/{TENANT}", 403)
    assert "Security Reader or Global Reader" in (error.remedy or "")
    assert AAD_DIAGNOSTICS_TARGET not in inv.diagnostic_targets


def test_a_body_not_as_documented_is_an_error_not_an_empty_list() -> None:
    inv, _ = run(tenant(skip=("aad_diagnostic_settings",)) + [response(AAD, {"items": []})])
    assert [e.collector for e in inv.errors] == ["aad_diagnostic_settings"]
    assert AAD_DIAGNOSTICS_TARGET not in inv.diagnostic_targets


@pytest.mark.parametrize("method, path, allowed", [
    ("GET", f"{AAD}?api-version=2017-04-01", True),
    ("GET", "/providers/Microsoft.Aadiam/diagnosticSettings", True),
    ("GET", f"{AAD}/mysetting", False),
    ("PUT", f"{AAD}/mysetting", False),
    ("DELETE", f"{AAD}/mysetting", False),
    ("GET", "/providers/microsoft.aadiam/diagnosticSettingsCategories", False),
    ("GET", "/providers/microsoft.aadiam/tenants", False),
])
def test_the_guard_allows_that_one_aadiam_read(method: str, path: str, allowed: bool) -> None:
    assert is_allowed_read(method, ARM + path) is allowed


def test_each_workspace_lists_its_tables_from_the_published_body() -> None:
    workspaces = example("loganalytics/workspaces_list.json")
    ws_id = workspaces["value"][0]["id"]
    tables = example("loganalytics/tables_list.json")
    for table in tables["value"]:  # re-homed: the published ids name another workspace
        table["id"] = f"{ws_id}/tables/{table['name']}"
    inv, transport = run(tenant(lists={"workspaces": workspaces, "workspace_tables": True})
                         + [response(f"{ws_id}/tables", tables)]
                         + [response(f"{w['id']}/tables", {"value": []})
                            for w in workspaces["value"][1:]])
    mine = [t for t in inv.workspace_tables if t.workspace_id == ws_id.lower()]
    assert [(t.name, t.retention_in_days, t.total_retention_in_days) for t in mine] == [
        ("AzureNetworkFlow", 45, 70), ("SurfaceHubDns", 30, 30)]
    reads = [url for _, url in transport.log.entries if url.lower().split("?")[0].endswith(
        "/tables")]
    assert len(reads) == len(workspaces["value"])
    assert all("api-version=2022-10-01" in url for url in reads)
    assert not [e for e in inv.errors if e.collector == "workspace_tables"]
