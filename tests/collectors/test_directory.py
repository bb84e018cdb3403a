"""Key administrators by name: directoryObjects and transitiveMembers GETs, over Microsoft's
published Graph examples; a refusal makes the names unknown, never silently ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scanner.azure.graph import graph_reader
from scanner.directory import COLLECTOR, PERMISSION, principal_ids, resolve, resolve_inventory
from scanner.inventory import Inventory, KeyVault
from scanner.inventory_policy import RoleAssignment
from tests.collectors.test_entra import DENIED
from tests.conftest import factory_for, response

EXAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "azure-examples-extra" / "graph"
GRAPH = "https://graph.microsoft.com/v1.0"
SUB = "6f1c2a4e-8b3d-4c7e-9a15-2d4e6f8a0b1c"
VAULT = f"/subscriptions/{SUB}/resourcegroups/rg-keys/providers/microsoft.keyvault/vaults/kv"
USER = "6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0"
GROUP = "02bd9fd6-8f93-4758-87c3-1fb73740a315"


def example(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return body


def group_body() -> dict[str, Any]:
    body = example("directoryobject_get.json")
    return {**body, "@odata.type": "#microsoft.graph.group", "id": GROUP,
            "displayName": "Key admins", "userPrincipalName": None}


def inventory(*principals: tuple[str, str]) -> Inventory:
    vault = KeyVault(id=VAULT, name="kv", type="microsoft.keyvault/vaults",
                     subscription_id=SUB, location="eastus")
    assignments = [RoleAssignment(id=f"{scope}/providers/microsoft.authorization/"
                                     f"roleassignments/{n}", scope=scope, principal_id=pid,
                                  role_definition_id="/providers/x/roledefinitions/r")
                   for n, (pid, scope) in enumerate(principals)]
    return Inventory(key_vaults=[vault], role_assignments=assignments, tenant_id="t")


def test_only_principals_at_or_above_a_key_store_are_resolved() -> None:
    inv = inventory((USER, VAULT), (GROUP, f"/subscriptions/{SUB}"),
                    ("elsewhere", f"/subscriptions/{SUB}/resourcegroups/rg-apps"),
                    ("mg", "/providers/microsoft.management/managementgroups/cjis"))
    assert principal_ids(inv) == sorted([USER, GROUP, "mg"])


def test_users_and_groups_are_named_from_graph_with_gets_only() -> None:
    interactions = [
        response(f"{GRAPH}/directoryObjects/{USER}", example("directoryobject_get.json")),
        response(f"{GRAPH}/directoryObjects/{GROUP}", group_body()),
        response(f"{GRAPH}/groups/{GROUP}/transitiveMembers",
                 example("group_list_transitivemembers.json")),
        response(f"{GRAPH}/directoryObjects/deleted0-0000-0000-0000-000000000000",
                 {"error": {"code": "Request_ResourceNotFound", "message": "gone"}}, 404),
    ]
    factory = factory_for(interactions)
    principals, errors = resolve(graph_reader(factory), sorted(
        [USER, GROUP, "deleted0-0000-0000-0000-000000000000"]), "/tenants/t")
    assert errors == []
    by_id = {p.id: p for p in principals}
    assert by_id[USER].display_name == "Conf Room Adams"
    assert by_id[USER].user_principal_name == "Adams@Contoso.com"
    assert by_id[USER].type == "User"
    assert by_id[GROUP].type == "Group"
    assert [m.id for m in by_id[GROUP].members or []] == ["11111111-2222-3333-4444-555555555555"]
    assert by_id["deleted0-0000-0000-0000-000000000000"].found is False
    assert {i.method for i in interactions if i.played} == {"GET"}


def test_a_refusal_records_one_error_naming_the_permission() -> None:
    inv = inventory((USER, VAULT), (GROUP, VAULT))
    factory = factory_for([response(f"{GRAPH}/directoryObjects/{GROUP}", DENIED, 403),
                           response(f"{GRAPH}/directoryObjects/{USER}", DENIED, 403)])
    named = resolve_inventory(factory, inv)
    (error,) = [e for e in named.errors if e.collector == COLLECTOR]
    assert error.status == 403 and error.code == "Authorization_RequestDenied"
    assert "Directory.Read.All" in (error.remedy or "") and "Directory.Read.All" in PERMISSION
    assert named.principals == []


def test_the_packet_says_names_are_unknown_when_graph_refused(tmp_path: Path) -> None:
    from scanner.config import ScanConfig
    from scanner.reporters.packet import render_markdown
    from scanner.scan import run_judgement
    from scanner.sources import Source, load_inventory
    from tests.reporters.test_packet import section, table_rows

    demo = load_inventory(Source(demo=True), "commercial", [], 4)
    refused = demo.model_copy(update={"principals": [], "errors": [
        *demo.errors, *resolve_inventory(factory_for([]), demo).errors]})
    from datetime import UTC, datetime

    result = run_judgement(refused, ScanConfig(), datetime(2026, 6, 1, tzinfo=UTC), "demo")
    text = section(render_markdown(result), 3)
    rows = table_rows(text, "Name | User principal name")
    assert rows and all(r[0].startswith("unknown: Microsoft Graph could not be read") for r in rows)
    assert "**Names unknown:**" in text and "Directory.Read.All" in text
