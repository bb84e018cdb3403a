"""Counting the synthetic tenant's reads: which class of read a request is (`classify`),
and the floors of a collection (Azure's read budget, the lower bound `bench` compares
a run with)."""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import urlsplit

from bench.synthetic_plan import (
    AAD_PATH,
    GRAPH_PATH,
    GRAPH_QUOTA,
    GRAPH_WINDOW_SECONDS,
    LIST_BY_PATH,
    SERVICE_KIND,
)

_GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_SUB_PATH = re.compile(rf"^/subscriptions/({_GUID})(/.*)?$")


def classify(method: str, url: str) -> str:
    """The kind of read a request is, for the request-count table."""
    path = re.sub(r"/{2,}", "/", urlsplit(url).path).lower().rstrip("/")
    if method.upper() == "POST":
        return "resource_graph" if path == GRAPH_PATH.lower() else "other"
    if path == "/subscriptions":
        return "subscriptions"
    if "/policysetdefinitions/" in path:
        return "policy_set_definitions"
    if "/policydefinitions/" in path:  # issue 10 item 1
        return "policy_definitions"
    if path == AAD_PATH:  # issue 11
        return "aad_diagnostic_settings"
    match = _SUB_PATH.match(path)
    if not match:
        return "other"
    rest = match.group(2) or ""
    if rest == "":
        return "subscriptions"
    if rest == "/locations":
        return "regions"
    if rest in LIST_BY_PATH:
        return f"list:{LIST_BY_PATH[rest]}"
    if rest.endswith("/providers/microsoft.insights/diagnosticsettings"):
        return "diagnostic_settings"
    if re.search(r"/providers/microsoft\.operationalinsights/workspaces/[^/]+/tables$", rest):
        return "workspace_tables"  # issue 10 item 12
    if rest.endswith("/encryptionscopes"):
        return "encryption_scopes"
    if any(pattern.search(rest) for pattern in _DETAIL_READS):
        return "service_details"
    if rest.endswith("/encryptionprotector/current"):
        return "tde"
    if rest.endswith("/providers/microsoft.securityinsights/onboardingstates"):
        return "sentinel_onboarding"
    if rest.endswith("/providers/microsoft.securityinsights/alertrules"):
        return "alert_rules"
    if re.search(r"/providers/microsoft\.keyvault/vaults/[^/]+/keys$", rest):
        return "keys_list"
    if re.search(r"/providers/microsoft\.keyvault/vaults/[^/]+/keys/[^/]+$", rest):
        return "key_get"
    if re.search(r"/providers/microsoft\.keyvault/managedhsms/[^/]+/keys$", rest):
        return "hsm_keys_list"
    if re.search(r"/providers/microsoft\.keyvault/managedhsms/[^/]+/keys/[^/]+$", rest):
        return "hsm_key_get"
    return "other"


_DETAIL_READS = tuple(
    re.compile(rf"/providers/{re.escape(k.type)}/[^/]+{re.escape(d.path.lower())}$")
    for k in SERVICE_KIND.values() for d in k.details)
"""The per-item detail reads of the service kinds (scanner.kinds `Detail`)."""


def throttle_minimum(reads_per_subscription: Any, graph_queries: int = 0,
                     bucket: float = 250, refill: float = 25) -> float:
    """Seconds Azure's budgets impose at least: a subscription's reads beyond its bucket
    at the refill rate, and Resource Graph queries beyond one quota window each."""
    arm = max((max(0.0, (reads - bucket) / refill) for reads in reads_per_subscription),
              default=0.0)
    graph = max(0, math.ceil(graph_queries / GRAPH_QUOTA) - 1) * GRAPH_WINDOW_SECONDS
    return max(arm, float(graph))


def lower_bound(requests: int, concurrency: int, latency: float, reads_per_subscription: Any,
                graph_queries: int = 0) -> float:
    """max(requests / concurrency x latency, the throttle budgets' minimum time)."""
    return max(requests / concurrency * latency,
               throttle_minimum(reads_per_subscription, graph_queries))


# --- the cassette ------------------------------------------------------------------------------
