"""The synthetic tenant's routing: the endpoint a request reads (a mixin of
`bench.synthetic.SyntheticTenant`, for the lazy transport `bench.transport`)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bench.synthetic_plan import (
    _BUILTIN_DEFINITIONS,
    AAD_PATH,
    BASELINE_SET,
    DIAGNOSTIC_KINDS,
    GRAPH_PATH,
    KIND_BY_TYPE,
    LIST_BY_PATH,
    SERVICE_KIND,
    _untoken,
)
from scanner.resource_types import STORAGE_SERVICES

Endpoint = tuple[Any, ...]
"""What one request reads, e.g. ("list", sub, kind, page) or ("graph", chunk, page)."""


class TenantRoutes:
    """Request -> endpoint, the inverse of `SyntheticTenant.endpoints`."""

    def route(self, method: str, url: str, body: bytes | None) -> Endpoint | None:
        """The endpoint a request reads, or None when the tenant has no such resource."""
        parts = urlsplit(url)
        path = re.sub(r"/{2,}", "/", parts.path).lower().rstrip("/")
        query = dict(parse_qsl(parts.query))
        page = 0
        if "$skiptoken" in query:
            token = _untoken(query["$skiptoken"])
            if not token or token[0] != "page" or not isinstance(token[1], int):
                return None
            page = token[1]
        if method == "POST":
            return self._route_graph(body) if path == GRAPH_PATH.lower() else None
        segments = path.split("/")[1:]
        if segments == ["subscriptions"]:
            return ("subs", page)
        if path == BASELINE_SET.lower():
            return ("policyset",)
        if path == AAD_PATH:
            return ("aad",)
        if path.startswith(_BUILTIN_DEFINITIONS) and path[len(_BUILTIN_DEFINITIONS):] in \
                self.definitions_read():  # issue 10 item 1
            return ("policydef", path[len(_BUILTIN_DEFINITIONS):])
        if len(segments) < 2 or segments[0] != "subscriptions":
            return None
        plan = self.by_id.get(segments[1])
        if plan is None:
            return None
        i, rest = plan.index, "/" + "/".join(segments[2:])
        if rest == "/":
            return ("sub", i)
        if rest == "/locations":
            return ("locations", i)
        if rest in LIST_BY_PATH:
            return ("list", i, LIST_BY_PATH[rest], page)
        if len(segments) < 8 or segments[2] != "resourcegroups" or segments[4] != "providers":
            return None
        kind = KIND_BY_TYPE.get(f"{segments[5]}/{segments[6]}")
        n = plan.ordinal(kind, segments[7]) if kind else None
        if kind is None or n is None:
            return None
        tail = segments[8:]
        if kind in SERVICE_KIND:
            for d, detail in enumerate(SERVICE_KIND[kind].details):
                if tail == [x for x in detail.path.lower().split("/") if x]:
                    return ("svcdetail", i, kind, n, d)
        diagnostics = ["providers", "microsoft.insights", "diagnosticsettings"]
        suffixes = {"": DIAGNOSTIC_KINDS.get(kind, "-")} if kind != "storage" else \
            STORAGE_SERVICES
        for service, suffix in suffixes.items():
            if kind in DIAGNOSTIC_KINDS and \
                    tail == [s for s in suffix.lower().split("/") if s] + diagnostics:
                return ("diag", i, kind, n, service)
        if kind == "workspace" and tail == ["tables"]:
            return ("tables", i, n)
        if kind == "vault" and tail == ["keys"]:
            return ("keys", i, n)
        if kind == "vault" and len(tail) == 2 and tail[0] == "keys":
            names = [k[0] for k in plan.records["vault"][n][3][4]]
            return ("key", i, n, names.index(tail[1])) if tail[1] in names else None
        if kind == "hsm" and tail == ["keys"]:  # hsm (issue 10 item 8)
            return ("hsmkeys", i, n)
        if kind == "sql" and tail == ["encryptionprotector", "current"]:
            return ("tde", i, n)
        if kind == "storage" and tail == ["encryptionscopes"]:
            return ("scopes", i, n)
        if kind == "workspace" and tail[:2] == ["providers", "microsoft.securityinsights"]:
            if tail[2:] == ["onboardingstates"]:
                return ("onboarding", i, n)
            if tail[2:] == ["alertrules"]:
                return ("rules", i, n)
        return None

    def _route_graph(self, body: bytes | None) -> Endpoint | None:
        try:
            request = json.loads(body or b"")
            subs = tuple(request["subscriptions"])
            token = (request.get("options") or {}).get("$skipToken")
        except (ValueError, KeyError, TypeError):
            return None
        chunk = self._chunk_of.get(subs)
        if chunk is None:
            return None
        if token is None:
            return ("graph", chunk, 0)
        decoded = _untoken(token)
        if not decoded or decoded[:2] != ["graph", chunk] or not isinstance(decoded[2], int):
            return None
        return ("graph", chunk, decoded[2])

