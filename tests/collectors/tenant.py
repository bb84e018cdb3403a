"""Small replayable tenants for collector tests, from Microsoft's published examples."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from fixtures.demo.graph_tenant import graph_interactions
from scanner.collectors.specs import SPECS
from scanner.replay import Interaction
from tests.conftest import response

EXAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "azure-examples"
EXTRA = Path(__file__).resolve().parents[2] / "fixtures" / "azure-examples-extra"

SUB = "291bba3f-e0a5-47bc-a099-3bdcb2a50a05"
TENANT = "31c75423-32d6-4322-88b7-c478bdde4858"

# The ARM path of each spec row's list, relative to /subscriptions/<id>.
LIST_PATHS = {
    "resource_groups": "/resourcegroups",
    "resources": "/resources",
    "storage_accounts": "/providers/Microsoft.Storage/storageAccounts",
    "managed_disks": "/providers/Microsoft.Compute/disks",
    "snapshots": "/providers/Microsoft.Compute/snapshots",
    "disk_encryption_sets": "/providers/Microsoft.Compute/diskEncryptionSets",
    "virtual_machines": "/providers/Microsoft.Compute/virtualMachines",
    "key_vaults": "/providers/Microsoft.KeyVault/vaults",
    "managed_hsms": "/providers/Microsoft.KeyVault/managedHSMs",
    "sql_servers": "/providers/Microsoft.Sql/servers",
    "cosmos_accounts": "/providers/Microsoft.DocumentDB/databaseAccounts",
    "workspaces": "/providers/Microsoft.OperationalInsights/workspaces",
    "policy_assignments": "/providers/Microsoft.Authorization/policyAssignments",
    "policy_exemptions": "/providers/Microsoft.Authorization/policyExemptions",
    "role_assignments": "/providers/Microsoft.Authorization/roleAssignments",
    "diagnostic_settings": "/providers/Microsoft.Insights/diagnosticSettings",
}
assert set(LIST_PATHS) == {spec.kind for spec in SPECS}


def example(path: str, status: str = "200") -> Any:
    """The response body of a published example."""
    for root in (EXAMPLES, EXTRA):
        file = root / path
        if file.is_file():
            data = json.loads(file.read_text(encoding="utf-8"))
            return copy.deepcopy(data["responses"][status]["body"] if "responses" in data
                                 else data)
    raise FileNotFoundError(path)


def subscription_body(sub: str = SUB, name: str = "Example Subscription") -> dict[str, Any]:
    body = example("resources/subscriptions_list.json")["value"][0]
    body.update(id=f"/subscriptions/{sub}", subscriptionId=sub, displayName=name,
                tenantId=TENANT)
    return dict(body)


def tenant(subs: list[dict[str, Any]] | None = None,
           lists: dict[str, Any] | None = None, skip: tuple[str, ...] = ()) -> list[Interaction]:
    """Interactions for a whole collection: every list empty unless given in `lists`.

    `lists` maps a kind to a body (one subscription) or to a list of interactions.
    """
    subs = subs or [subscription_body()]
    lists = lists or {}
    out = [response("/subscriptions", {"value": subs})]
    out.append(response(f"/subscriptions/{subs[0]['subscriptionId']}/locations",
                        example("resources/locations_list.json")))
    for sub in subs:
        sid = sub["subscriptionId"]
        for kind, path in LIST_PATHS.items():
            if kind in skip:
                continue
            given = lists.get(kind)
            if isinstance(given, list):
                out.extend(given)
            else:
                out.append(response(f"/subscriptions/{sid}{path}", given or {"value": []}))
    out.extend(graph_interactions(TENANT))
    return out
