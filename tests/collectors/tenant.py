"""Small replayable tenants for collector tests, from Microsoft's published examples."""

from __future__ import annotations

from typing import Any

from fixtures.demo.graph_tenant import graph_interactions
from fixtures.examples import builtin_policy_definition, example
from scanner.collectors.specs import LIST_PATHS
from scanner.inventory_policy import EFFECT_READ_DEFINITIONS
from scanner.kinds import by_name, children_of
from scanner.replay import Interaction
from tests.conftest import response

SUB = "291bba3f-e0a5-47bc-a099-3bdcb2a50a05"
TENANT = "31c75423-32d6-4322-88b7-c478bdde4858"



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
    # The guardrail built-ins, read where an assignment sets no effect (issue 10 item 1).
    out.extend(response(f"/providers/Microsoft.Authorization/policyDefinitions/{guid}",
                        builtin_policy_definition(guid))
               for guid in sorted(EFFECT_READ_DEFINITIONS))
    for sub in subs:
        sid = sub["subscriptionId"]
        # Every subscription's regions (issue 10 item 4).
        out.append(response(f"/subscriptions/{sid}/locations",
                            example("resources/locations_list.json")))
        for kind, path in LIST_PATHS.items():
            if kind in skip or by_name()[kind].parent:
                continue
            given = lists.get(kind)
            if isinstance(given, list):
                out.extend(given)
            else:
                out.append(response(f"/subscriptions/{sid}{path}", given or {"value": []}))
                out.extend(_children(kind, given or {}, lists))
    out.extend(graph_interactions(TENANT))
    # Entra ID's own diagnostic settings, once per scan (issue 11): the published body.
    if "aad_diagnostic_settings" not in skip:
        out.append(response("/providers/microsoft.aadiam/diagnosticSettings",
                            lists.get("aad_diagnostic_settings")
                            or example("monitor/aad_diagnostic_settings_list.json")))
    return out


def _children(kind: str, body: dict[str, Any], lists: dict[str, Any]) -> list[Interaction]:
    """The child lists (scanner.kinds `parent`) of each listed item: empty unless given."""
    out = []
    for child in children_of(kind):
        if child.name in lists:
            continue  # the test answers (or refuses) them itself
        for item in body.get("value") or []:
            if isinstance(item, dict) and item.get("id"):
                out.append(response(f"{item['id']}{child.path}", {"value": []}))
    return out
