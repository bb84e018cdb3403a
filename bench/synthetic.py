"""A synthetic tenant: S subscriptions x R resources of every kind, deterministic by seed.

Like the demo tenant (fixtures/demo/build_demo.py), every response body starts from a
body Microsoft published in the Azure REST API specs (fixtures/azure-examples,
fixtures/azure-examples-extra) and changes only ids, names, locations and the properties
that make a resource compliant or not — here chosen by a seeded random generator, so the
same seed gives the same tenant (and a byte-identical cassette).

The tenant answers every request a collection makes with either inventory source:

- ARM: the subscription list, regions, one paged list per spec kind per subscription
  (1,000 items per page, `nextLink` like ARM), and the per-resource follow-ups (diagnostic
  settings of each resource with logs, keys list + GET per key of each vault, the TDE
  protector of each SQL server, Sentinel onboarding and analytics rules of each
  workspace, the initiative the management group assigns);
- Resource Graph: the query pages (1,000 rows each, `$skipToken` in the POST body exactly
  as `query_request(subscriptions_sorted, token).serialize()` makes it, up to 1,000
  subscriptions per query).

Each response is computed from a small per-subscription plan (`SubscriptionPlan`) by the
same functions whether it is written to a cassette (`cassette()` / `python -m
bench.synthetic`) or served on demand (`bench.transport.SyntheticTransport`).

    python -m bench.synthetic --subscriptions 2 --resources 30 --seed 1 -o tenant.json
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import random
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fixtures.examples import example
from fixtures.monitor_bodies import aad_diagnostic_settings, workspace_tables
from fixtures.services import GOOD_KEY, GOOD_VAULT, WEAK_KEY, WEAK_VAULT, Sample, render
from fixtures.services import SAMPLES as SERVICE_SAMPLES_ALL
from scanner.collectors.specs import LIST_PATHS
from scanner.kinds import by_name, service_kinds
from scanner.replay import Interaction, match_key
from scanner.resource_types import STORAGE_SERVICES, storage_services

REPO = Path(__file__).resolve().parents[1]
ARM = "https://management.azure.com"
PAGE_SIZE = 1000
"""Items per ARM list page and rows per Resource Graph page."""
GRAPH_SUBSCRIPTIONS_PER_QUERY = 1000
GRAPH_PATH = "/providers/Microsoft.ResourceGraph/resources"
AAD_PATH = "/providers/microsoft.aadiam/diagnosticsettings"
"""Entra ID's diagnostic settings (issue 11), as the request's canonical path."""
GRAPH_QUOTA = 15
"""Resource Graph queries per user per window (each page is a query)."""
GRAPH_WINDOW_SECONDS = 5
ARM_READS_REMAINING = "249"
"""The synthetic ARM does not meter reads: every response reports a fresh bucket less one.
The scanner's own ReadBudget paces the reads (and bench.transport counts any read that
Azure's bucket would have refused)."""
MG = "mg-cjis"
DELETE = object()
"""An override value that removes the key (Azure omits it)."""

LIST_BY_PATH = {path.lower(): kind for kind, path in LIST_PATHS.items()}
LIST_API = {"policy_exemptions": "2022-07-01-preview",
            "diagnostic_settings": "2021-05-01-preview"}

# Resource kinds of the plan: ARM type, name prefix, and share of the R resources of a
# subscription (at least one of each typed kind; the rest are other generic resources).
KINDS: dict[str, tuple[str, str, float]] = {
    "storage": ("Microsoft.Storage/storageAccounts", "st", 0.08),
    "disk": ("Microsoft.Compute/disks", "disk-", 0.15),
    "snapshot": ("Microsoft.Compute/snapshots", "snap-", 0.04),
    "des": ("Microsoft.Compute/diskEncryptionSets", "des-", 0.01),
    "vm": ("Microsoft.Compute/virtualMachines", "vm-", 0.10),
    "vault": ("Microsoft.KeyVault/vaults", "kv-", 0.03),
    "hsm": ("Microsoft.KeyVault/managedHSMs", "hsm-", 0.002),
    "sql": ("Microsoft.Sql/servers", "sql-", 0.02),
    "cosmos": ("Microsoft.DocumentDB/databaseAccounts", "cosmos-", 0.02),
    "workspace": ("Microsoft.OperationalInsights/workspaces", "law-", 0.01),
    "nsg": ("Microsoft.Network/networkSecurityGroups", "nsg-", 0.10),
    "pip": ("Microsoft.Network/publicIPAddresses", "pip-", 0.05),
    "nic": ("Microsoft.Network/networkInterfaces", "nic-", 0.10),
    "vnet": ("Microsoft.Network/virtualNetworks", "vnet-", 0.05),
    "other": ("", "res-", 0.0),
}
LIST_KIND = {"storage": "storage_accounts", "disk": "managed_disks", "snapshot": "snapshots",
             "des": "disk_encryption_sets", "vm": "virtual_machines", "vault": "key_vaults",
             "hsm": "managed_hsms", "sql": "sql_servers", "cosmos": "cosmos_accounts",
             "workspace": "workspaces"}
# The service kinds (scanner.kinds.services), each from its demo samples
# (fixtures/services): in about 40 % of subscriptions, one instance per 500 resources, so
# gating (a list only where the resource list shows the type) is exercised both ways.
SERVICE_PRESENCE = 0.4
SERVICE_SHARE = 0.002
SERVICE_SAMPLES: dict[str, list[Sample]] = {}
for _sample in SERVICE_SAMPLES_ALL:
    SERVICE_SAMPLES.setdefault(_sample.kind, []).append(_sample)
for _index, _kind in enumerate(service_kinds()):
    if _kind.name in SERVICE_SAMPLES:
        KINDS[f"svc:{_kind.name}"] = (_kind.arm_type, f"s{_index:02d}-", 0.0)
        LIST_KIND[f"svc:{_kind.name}"] = _kind.name
SERVICE_KIND = {f"svc:{k.name}": k for k in service_kinds() if k.name in SERVICE_SAMPLES}
KIND_BY_TYPE = {arm_type.lower(): kind for kind, (arm_type, _, _) in KINDS.items() if arm_type}
KIND_OF_LIST = {v: k for k, v in LIST_KIND.items()}
OTHER_TYPES = ("Microsoft.Network/dnszones", "Microsoft.Compute/availabilitySets",
               "Microsoft.ManagedIdentity/userAssignedIdentities",
               "Microsoft.Network/privateEndpoints", "Microsoft.Network/routeTables")
DIAGNOSTIC_KINDS = {"storage": "/blobServices/default", "vault": "", "hsm": "", "cosmos": "",
                    "workspace": "", "nsg": "", "pip": "",
                    **{name: k.logs for name, k in SERVICE_KIND.items() if k.logs is not None}}
"""Kinds whose logs are read from diagnostic settings (scanner.context), with the suffix."""
US = ("eastus", "eastus", "eastus2", "westus2", "centralus")
PAIRED = {"eastus": "westus", "eastus2": "centralus", "westus2": "westus",
          "centralus": "eastus2", "westeurope": "northeurope"}
KEY_ROLES = ("00482a5a-887f-4fb3-b363-3b7fe8e74483", "e147488a-f6f5-4113-8e2d-b22465e65bf6",
             "14b46e9e-c2b7-41e4-8b14-b616bfad9dd5", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
             "acdd72a7-3385-48ef-bd42-f606fba81ae7", "b24988ac-6180-42a0-ab88-20f7382dd24c")
ALLOWED_LOCATIONS = "/providers/Microsoft.Authorization/policyDefinitions/" \
                    "e56962a6-4747-49cd-b67b-bf8b01975c4c"
MG_SCOPE = f"/providers/Microsoft.Management/managementGroups/{MG}"
BASELINE_SET = f"{MG_SCOPE}/providers/Microsoft.Authorization/policySetDefinitions/cjis-baseline"
_BUILTIN_DEFINITIONS = "/providers/microsoft.authorization/policydefinitions/"
ACTIVITY_CATEGORIES = ("Administrative", "Security", "ServiceHealth", "Alert", "Recommendation",
                       "Policy", "Autoscale", "ResourceHealth")


# --- published examples -------------------------------------------------------------------

def item(path: str, index: int = 0) -> dict[str, Any]:
    """A fresh copy of one list item of an example."""
    return example(path)["value"][index]  # type: ignore[no-any-return]


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Nested update of `base` in place: dicts merge, DELETE removes, anything else replaces."""
    for key, value in overrides.items():
        if value is DELETE:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def _dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def _guid(*parts: object) -> str:
    return str(uuid.UUID(int=random.Random(":".join(map(str, parts))).getrandbits(128),
                         version=4))


def _token(*parts: object) -> str:
    return base64.b64encode(json.dumps(list(parts)).encode()).decode()


def _untoken(token: str) -> list[Any] | None:
    try:
        value = json.loads(base64.b64decode(token, validate=True))
    except ValueError:
        return None
    return value if isinstance(value, list) else None


def pages_of(count: int) -> int:
    """Pages of a list of `count` items (an empty list is one page)."""
    return max(1, math.ceil(count / PAGE_SIZE))


# --- the plan -------------------------------------------------------------------------------

def composition(resources: int) -> dict[str, int]:
    """How many resources of each kind a subscription of `resources` resources holds."""
    counts = {kind: max(1, round(resources * share))
              for kind, (_, _, share) in KINDS.items()
              if kind != "other" and kind not in SERVICE_KIND}
    spare = resources - sum(counts.values())
    for kind in SERVICE_KIND:  # out of what the other resources would take, while it lasts
        counts[kind] = min(max(1, round(resources * SERVICE_SHARE)), max(spare, 0))
        spare -= counts[kind]
    counts["other"] = resources - sum(counts.values())
    if counts["other"] < 0:
        raise ValueError(f"at least {sum(counts.values())} resources per subscription")
    return counts


Record = tuple[int, str, int, tuple[Any, ...]]
"""(resource group, location, diagnostic-settings variant, kind-specific traits)."""


@dataclass
class SubscriptionPlan:
    """What one subscription holds: every seeded choice, none of the bodies."""

    index: int
    id: str
    groups: list[tuple[str, str]]
    records: dict[str, list[Record]]
    assignments: tuple[str, ...]
    exemption: tuple[str, int] | None
    roles: tuple[tuple[str, str, str, int], ...]
    activity: int

    def name(self, kind: str, ordinal: int) -> str:
        prefix = KINDS[kind][1]
        sep = "" if kind == "storage" else "-"
        return f"{prefix}{self.index:04d}{sep}{ordinal:05d}"

    def ordinal(self, kind: str, name: str) -> int | None:
        """The ordinal of `name` among the kind's records (None if not one of them)."""
        match = re.fullmatch(rf"{re.escape(KINDS[kind][1])}(\d{{4}})-?(\d{{5}})", name,
                             re.IGNORECASE)
        if not match or int(match.group(1)) != self.index:
            return None
        ordinal = int(match.group(2))
        return ordinal if ordinal < len(self.records[kind]) else None

    def arm_type(self, kind: str, record: Record) -> str:
        return OTHER_TYPES[record[3][0]] if kind == "other" else KINDS[kind][0]

    def rid(self, kind: str, ordinal: int) -> str:
        record = self.records[kind][ordinal]
        return (f"/subscriptions/{self.id}/resourceGroups/{self.groups[record[0]][0]}/providers/"
                f"{self.arm_type(kind, record)}/{self.name(kind, ordinal)}")

    def count(self, kind: str) -> int:
        return len(self.records[kind])

    def diagnostic_targets(self) -> list[tuple[str, int, str]]:
        """(kind, ordinal, storage service or "") of every diagnostic-settings read: a
        storage account has one per service (the synthetic accounts are StorageV2 with
        standard SKUs: all four, scanner.resource_types.storage_services)."""
        services = storage_services("StorageV2", "Standard_LRS")
        return [(kind, n, service) for kind in DIAGNOSTIC_KINDS for n in range(self.count(kind))
                for service in (services if kind == "storage" else ("",))]

    def row_count(self) -> int:
        return len(self.groups) + sum(len(r) for r in self.records.values())


def _location(rng: random.Random) -> str:
    return "westeurope" if rng.random() < 0.03 else rng.choice(US)


def plan_subscription(seed: int, index: int, resources: int, sub_id: str) -> SubscriptionPlan:
    """The seeded plan of subscription `index`: same seed and index, same plan."""
    rng = random.Random(f"bench:{seed}:{index}")
    counts = composition(resources)
    services = random.Random(f"bench:{seed}:{index}:services")
    for kind in SERVICE_KIND:  # present here, or its share goes to other resources
        if services.random() >= SERVICE_PRESENCE:
            counts["other"] += counts[kind]
            counts[kind] = 0
    groups = [(f"rg-{n:03d}", rng.choice(US)) for n in range(max(2, resources // 50))]
    records: dict[str, list[Record]] = {}

    def diag(kind: str) -> int:
        # 0 none, 1 all logs to a workspace, 2 audit only, 3 to a storage account only
        return rng.choices((0, 1, 2, 3), (30, 45, 15, 10))[0] if kind in DIAGNOSTIC_KINDS else -1

    def ok(p: float = 0.7) -> bool:
        return rng.random() < p

    def key_ref() -> tuple[int, int]:
        vault = rng.choice([n for n, v in enumerate(records["vault"]) if v[3][4]])
        return vault, rng.randrange(len(records["vault"][vault][3][4]))

    # Vaults first: the other kinds refer to their keys.
    for kind in ("vault", *(k for k in KINDS if k != "vault")):
        out: list[Record] = []
        for n in range(counts[kind]):
            group, location = rng.randrange(len(groups)), _location(rng)
            traits: tuple[Any, ...]
            if kind == "vault":
                keys = tuple((f"key-{k:02d}", rng.choice(("RSA-HSM", "RSA-HSM", "RSA", "EC-HSM")),
                              rng.choice(("P90D", "P180D", "")) if ok(0.6) else "",
                              rng.choice((1830297600, 1767225600)) if ok(0.5) else 0,
                              "Recoverable" if ok(0.8) else "Purgeable",
                              f"{rng.getrandbits(128):032x}")
                             for k in range(rng.randrange(1 if n == 0 else 0, 5)))
                traits = (rng.choice(("premium", "standard")), ok(), ok(), ok(0.5), keys)
            elif kind == "storage":
                traits = (rng.choice(("Standard_LRS", "Standard_GRS", "Standard_RAGRS",
                                      "Standard_ZRS", "Standard_RAGZRS")),
                          key_ref() if ok(0.6) else None, ok(0.5), ok(0.9), ok(), ok())
            elif kind in ("disk", "snapshot"):
                des = rng.randrange(counts["des"]) if ok(0.6) else None
                traits = (des, ok(0.2))
            elif kind == "des":
                traits = (*key_ref(), ok())
            elif kind == "vm":
                traits = (rng.choices((0, 1, 2), (3, 5, 2))[0],
                          rng.choice(("Standard_D4s_v5", "Standard_B2s", "Standard_DC4as_v5")))
            elif kind == "hsm":
                traits = (ok(),)
            elif kind == "sql":
                traits = ((*key_ref(),) if ok(0.6) else (), ok())
            elif kind == "cosmos":
                traits = (key_ref() if ok(0.6) else None, ok())
            elif kind == "workspace":
                rules = tuple((r, ok(0.8)) for r in sorted(rng.sample(range(2),
                                                                       rng.randrange(1, 3))))
                traits = (rng.choice((30, 90, 365, 730)), _guid(seed, index, "ws", n),
                          rules if ok(0.6) else None)
            elif kind in SERVICE_KIND:
                traits = (services.randrange(len(SERVICE_SAMPLES[SERVICE_KIND[kind].name])),
                          services.random() < 0.5)
            elif kind == "other":
                traits = (rng.randrange(len(OTHER_TYPES)),)
                if traits[0] == 0:
                    location = "global"
            else:
                traits = ()
            out.append((group, location, diag(kind), traits))
        records[kind] = out
    assignments = tuple(a for a, p in (("allowed-locations-audit", 0.5),
                                       ("EnforceNaming", 0.3)) if ok(p))
    exemption = (rng.choice(("Waiver", "Mitigated")), rng.randrange(counts["other"] or 1)) \
        if counts["other"] and ok(0.3) else None
    roles = tuple((_guid(seed, index, "ra", n), _guid(seed, "principal", rng.randrange(40)),
                   rng.choice(("User", "Group", "ServicePrincipal")), rng.randrange(len(KEY_ROLES)))
                  for n in range(rng.randrange(2, 7)))
    return SubscriptionPlan(index=index, id=sub_id, groups=groups, records=records,
                            assignments=assignments, exemption=exemption, roles=roles,
                            activity=rng.choices((0, 1, 2), (2, 6, 2))[0])


# --- the tenant -----------------------------------------------------------------------------

Endpoint = tuple[Any, ...]
"""What one request reads, e.g. ("list", sub, kind, page) or ("graph", chunk, page)."""


class SyntheticTenant:
    """S subscriptions x R resources; every response computed from the seeded plans."""

    def __init__(self, subscriptions: int, resources: int, seed: int = 1) -> None:
        if subscriptions < 1:
            raise ValueError("at least one subscription")
        self.seed = seed
        self.resources = resources
        self.tenant_id = _guid(seed, "tenant")
        ids = [_guid(seed, "subscription", n) for n in range(subscriptions)]
        self.plans = [plan_subscription(seed, n, resources, sub) for n, sub in enumerate(ids)]
        self.by_id = {plan.id: plan for plan in self.plans}
        self.sorted_ids = sorted(ids)
        self.chunks = [self.sorted_ids[i:i + GRAPH_SUBSCRIPTIONS_PER_QUERY]
                       for i in range(0, len(ids), GRAPH_SUBSCRIPTIONS_PER_QUERY)]
        self._chunk_of = {tuple(chunk): n for n, chunk in enumerate(self.chunks)}
        self._graph_rows = [sum(self.by_id[s].row_count() for s in chunk)
                            for chunk in self.chunks]
        self._graph_first_page = [sum(pages_of(n) for n in self._graph_rows[:c])
                                  for c in range(len(self.chunks))]

    # --- sizes ---------------------------------------------------------------------------
    def list_count(self, plan: SubscriptionPlan, kind: str) -> int:
        if kind == "resource_groups":
            return len(plan.groups)
        if kind == "resources":
            return sum(len(r) for r in plan.records.values())
        if kind in KIND_OF_LIST:
            return plan.count(KIND_OF_LIST[kind])
        if kind == "policy_assignments":
            return 2 + len(plan.assignments)
        if kind == "policy_exemptions":
            return int(plan.exemption is not None)
        if kind == "role_assignments":
            return len(plan.roles)
        if kind == "diagnostic_settings":
            return int(plan.activity > 0)
        raise KeyError(kind)

    def listed(self, plan: SubscriptionPlan, kind: str) -> bool:
        """Whether the scanner lists `kind` in `plan`'s subscription (a gated kind only
        where the subscription holds one)."""
        declared = by_name()[kind]
        if declared.parent:  # listed per parent item ("scopes" endpoints), not per subscription
            return False
        return not declared.gated or self.list_count(plan, kind) > 0

    def graph_pages(self, chunk: int) -> int:
        return pages_of(self._graph_rows[chunk])

    def expected_requests(self, source: str) -> Counter[str]:
        """The fewest reads Azure allows for a full collection with `source` (arm|graph).

        One paged list per kind per subscription (or, for the kinds Resource Graph
        carries, its pages per 1,000 subscriptions), one diagnostic-settings read per
        resource with logs, one keys list per vault and a GET per key, one TDE protector
        per SQL server, Sentinel onboarding per workspace and analytics rules per
        onboarded one, the subscriptions, the regions once, and each initiative once.
        """
        from scanner.collectors.resource_graph import GRAPH_KINDS

        out: Counter[str] = Counter()
        out["subscriptions"] = pages_of(len(self.plans))
        out["regions"] = len(self.plans)  # issue 10 item 4: every subscription's regions
        out["policy_set_definitions"] = 1
        out["policy_definitions"] = len(self.definitions_read())  # issue 10 item 1
        out["aad_diagnostic_settings"] = 1  # issue 11: Entra ID's, once per scan
        for plan in self.plans:
            for kind in LIST_PATHS:
                if (source == "arm" or kind not in GRAPH_KINDS) and self.listed(plan, kind):
                    out[f"list:{kind}"] += pages_of(self.list_count(plan, kind))
            out["diagnostic_settings"] += len(plan.diagnostic_targets())
            for vault in plan.records["vault"]:
                out["keys_list"] += pages_of(len(vault[3][4]))
                out["key_get"] += len(vault[3][4])
            out["hsm_keys_list"] += plan.count("hsm")  # hsm (issue 10 item 8): no keys
            out["tde"] += plan.count("sql")
            out["encryption_scopes"] += plan.count("storage")
            out["service_details"] += sum(plan.count(k) * len(d.details)
                                          for k, d in SERVICE_KIND.items())
            out["sentinel_onboarding"] += plan.count("workspace")
            out["workspace_tables"] += plan.count("workspace")  # issue 10 item 12
            out["alert_rules"] += sum(1 for w in plan.records["workspace"] if w[3][2] is not None)
        if source != "arm":
            out["resource_graph"] = sum(self.graph_pages(c) for c in range(len(self.chunks)))
        return +out

    # --- enumeration (the cassette) ----------------------------------------------------------
    def endpoints(self) -> Iterator[Endpoint]:
        """Every request the tenant answers, in a fixed order."""
        for page in range(pages_of(len(self.plans))):
            yield ("subs", page)
        for plan in self.plans:
            i = plan.index
            yield ("sub", i)
            yield ("locations", i)
            for kind in LIST_PATHS:
                if not self.listed(plan, kind):
                    continue
                for page in range(pages_of(self.list_count(plan, kind))):
                    yield ("list", i, kind, page)
            for kind, n, service in plan.diagnostic_targets():
                yield ("diag", i, kind, n, service)
            for n, vault in enumerate(plan.records["vault"]):
                yield ("keys", i, n)
                for k in range(len(vault[3][4])):
                    yield ("key", i, n, k)
            for n in range(plan.count("hsm")):  # hsm (issue 10 item 8)
                yield ("hsmkeys", i, n)
            for n in range(plan.count("sql")):
                yield ("tde", i, n)
            for n in range(plan.count("storage")):
                yield ("scopes", i, n)
            for kind, declared in SERVICE_KIND.items():
                for n in range(plan.count(kind)):
                    for d in range(len(declared.details)):
                        yield ("svcdetail", i, kind, n, d)
            for n, ws in enumerate(plan.records["workspace"]):
                yield ("tables", i, n)
                yield ("onboarding", i, n)
                if ws[3][2] is not None:
                    yield ("rules", i, n)
        yield ("policyset",)
        yield ("aad",)
        for guid in self.definitions_read():  # issue 10 item 1: guardrail definitions
            yield ("policydef", guid)
        for chunk in range(len(self.chunks)):
            for page in range(self.graph_pages(chunk)):
                yield ("graph", chunk, page)

    def interactions(self) -> Iterator[Interaction]:
        for endpoint in self.endpoints():
            interaction = self.interaction(endpoint)
            assert interaction is not None, endpoint
            yield interaction

    # --- routing (the lazy transport) ---------------------------------------------------------
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

    # --- responses ------------------------------------------------------------------------------
    def interaction(self, endpoint: Endpoint) -> Interaction | None:
        """The recorded exchange of `endpoint`; None if the tenant has no such page."""
        kind = endpoint[0]
        if kind == "graph":
            return self._graph(endpoint[1], endpoint[2])
        handler = getattr(self, f"_{kind}")
        result = handler(*endpoint[1:])
        if result is None:
            return None
        path, body, api = result
        url = path if path.startswith("https://") else f"{ARM}{path}?api-version={api}"
        return _get(url, body, tenant_scope=not path.startswith(("/subscriptions/",
                                                                   f"{ARM}/subscriptions/")))

    def _subs(self, page: int) -> tuple[str, Any, str] | None:
        api = "2022-12-01"
        ids = self.sorted_ids
        if page >= pages_of(len(ids)):
            return None
        body: dict[str, Any] = {"value": [self._subscription(self.by_id[s])
                                          for s in ids[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]]}
        return self._paged("/subscriptions", body, api, page, pages_of(len(ids)))

    def _paged(self, path: str, body: dict[str, Any], api: str, page: int,
               pages: int) -> tuple[str, Any, str]:
        if page + 1 < pages:
            body["nextLink"] = f"{ARM}{path}?api-version={api}&$skiptoken=" \
                               f"{_token('page', page + 1)}"
        if page:
            return f"{ARM}{path}?api-version={api}&$skiptoken={_token('page', page)}", body, api
        return path, body, api

    def _subscription(self, plan: SubscriptionPlan) -> dict[str, Any]:
        return merge(item("resources/subscriptions_list.json"), {
            "id": f"/subscriptions/{plan.id}", "subscriptionId": plan.id,
            "tenantId": self.tenant_id, "displayName": f"CJIS Synthetic {plan.index:04d}",
            "tags": {"agency": "synthetic", "cjis": "true"}, "managedByTenants": []})

    def _sub(self, i: int) -> tuple[str, Any, str]:
        plan = self.plans[i]
        return f"/subscriptions/{plan.id}", self._subscription(plan), "2022-12-01"

    def _locations(self, i: int) -> tuple[str, Any, str]:
        sub = self.plans[i].id
        eastus = item("resources/locations_list.json", 0)
        eastus2 = item("resources/locations_list.json", 1)

        def region(name: str, display: str, geo: str, group: str, physical: str,
                   category: str = "Recommended") -> dict[str, Any]:
            return merge(item("resources/locations_list.json", 0), {
                "name": name, "displayName": display,
                "regionalDisplayName": f"({group}) {display}",
                "id": f"/subscriptions/{sub}/locations/{name}", "availabilityZoneMappings": [],
                "metadata": {"geography": geo, "geographyGroup": group,
                             "regionCategory": category, "physicalLocation": physical,
                             "pairedRegion": []}})

        regions = [merge(eastus, {"id": f"/subscriptions/{sub}/locations/eastus"}),
                   merge(eastus2, {"id": f"/subscriptions/{sub}/locations/eastus2"}),
                   region("westus", "West US", "United States", "US", "California"),
                   region("westus2", "West US 2", "United States", "US", "Washington"),
                   region("centralus", "Central US", "United States", "US", "Iowa"),
                   region("westeurope", "West Europe", "Europe", "Europe", "Netherlands"),
                   region("northeurope", "North Europe", "Europe", "Europe", "Ireland")]
        return f"/subscriptions/{sub}/locations", {"value": regions}, "2022-12-01"

    def _list(self, i: int, kind: str, page: int) -> tuple[str, Any, str] | None:
        plan = self.plans[i]
        pages = pages_of(self.list_count(plan, kind))
        if page >= pages:
            return None
        start, stop = page * PAGE_SIZE, (page + 1) * PAGE_SIZE
        if kind == "resource_groups":
            items = [self.resource_group(plan, g) for g in range(len(plan.groups))[start:stop]]
        elif kind == "resources":
            items = [self.generic(plan, k, n) for k, n in _flat(plan)[start:stop]]
        elif kind in KIND_OF_LIST:
            plan_kind = KIND_OF_LIST[kind]
            items = [self.body(plan, plan_kind, n)
                     for n in range(plan.count(plan_kind))[start:stop]]
        elif kind == "policy_assignments":
            items = self.policy_assignments(plan)
        elif kind == "policy_exemptions":
            items = self.policy_exemptions(plan)
        elif kind == "role_assignments":
            items = self.role_assignments(plan)
        else:
            items = self.activity_log(plan)
        path = f"/subscriptions/{plan.id}{LIST_PATHS[kind]}"
        api = by_name()[kind].api_version if kind in by_name() and by_name()[kind].gated \
            else LIST_API.get(kind, "2025-01-01")
        return self._paged(path, {"value": items}, api, page, pages)

    # --- bodies ---------------------------------------------------------------------------------
    def resource_group(self, plan: SubscriptionPlan, g: int) -> dict[str, Any]:
        name, location = plan.groups[g]
        return merge(example("resources/resource_group_get.json"), {
            "id": f"/subscriptions/{plan.id}/resourceGroups/{name}", "name": name,
            "location": location})

    def generic(self, plan: SubscriptionPlan, kind: str, n: int) -> dict[str, Any]:
        """The item of the generic resources list (like fixtures/demo/tenant.py's Tenant.resource)."""
        if kind not in LIST_KIND:
            record = plan.records[kind][n]
            return {"id": plan.rid(kind, n), "name": plan.name(kind, n),
                    "type": plan.arm_type(kind, record), "location": record[1], "tags": {}}
        body = self.body(plan, kind, n)
        generic: dict[str, Any] = {k: body[k] for k in ("id", "name", "type", "location")
                                   if k in body}
        generic["tags"] = body.get("tags") or {}
        for key in ("kind", "sku", "managedBy"):
            if key in body:
                generic[key] = body[key]
        return generic

    def row(self, plan: SubscriptionPlan, kind: str, n: int) -> dict[str, Any]:
        """The Resource Graph row of a resource (or, kind `group`, a resource group)."""
        if kind == "group":
            body = self.resource_group(plan, n)
            row_type = "microsoft.resources/subscriptions/resourcegroups"
        else:
            body = self.body(plan, kind, n) if kind in LIST_KIND else self.generic(plan, kind, n)
            row_type = body["type"].lower()
        row: dict[str, Any] = {k: body[k] for k in ("id", "name", "location", "kind", "sku",
                                                    "managedBy", "tags", "properties")
                               if k in body}
        parts = body["id"].split("/")
        row.update(type=row_type, subscriptionId=parts[2],
                   resourceGroup=parts[4].lower() if len(parts) > 4 else "")
        return row

    def _scopes(self, i: int, n: int) -> tuple[str, Any, str]:
        """A storage account's encryption scopes (the synthetic accounts have none)."""
        plan = self.plans[i]
        child = by_name()["storage_encryption_scopes"]
        return f"{plan.rid('storage', n)}{child.path}", {"value": []}, child.api_version

    def _svcdetail(self, i: int, kind: str, n: int, d: int) -> tuple[str, Any, str]:
        plan = self.plans[i]
        declared = SERVICE_KIND[kind]
        detail = declared.details[d]
        sample = SERVICE_SAMPLES[declared.name][plan.records[kind][n][3][0]]
        body = self._rehome(plan, sample.details[detail.name])
        return (f"{plan.rid(kind, n)}{detail.path}", body,
                detail.api_version or declared.api_version)

    def service_body(self, plan: SubscriptionPlan, kind: str, n: int) -> dict[str, Any]:
        """A service kind's item: one of its demo samples, re-homed, its demo keys pointed
        at this subscription's first vault (a key there, or a vault URI)."""
        sample_index, _ = plan.records[kind][n][3]
        declared = SERVICE_KIND[kind]
        sample = SERVICE_SAMPLES[declared.name][sample_index]
        body = self._rehome(plan, render(sample, declared.arm_type))
        record = plan.records[kind][n]
        body.update(id=plan.rid(kind, n), name=plan.name(kind, n), location=record[1])
        return body

    def _rehome(self, plan: SubscriptionPlan, body: dict[str, Any]) -> dict[str, Any]:
        """`body` with the demo's key and vault URIs pointed at this subscription's."""
        text = json.dumps(body)
        vault = self.vault_uri(plan, 0)
        key = self.key_url(plan, 0, 0).rsplit("/", 1)[0]
        for old, new in ((GOOD_KEY, key), (WEAK_KEY, key), (GOOD_VAULT, vault),
                         (WEAK_VAULT, vault), (GOOD_VAULT.rstrip("/"), vault.rstrip("/")),
                         (WEAK_VAULT.rstrip("/"), vault.rstrip("/"))):
            text = text.replace(old, new)
        rehomed: dict[str, Any] = json.loads(text)
        return rehomed

    def vault_uri(self, plan: SubscriptionPlan, vault: int) -> str:
        return f"https://{plan.name('vault', vault)}.vault.azure.net/"

    def key_url(self, plan: SubscriptionPlan, vault: int, key: int) -> str:
        name, *_, version = plan.records["vault"][vault][3][4][key]
        return f"{self.vault_uri(plan, vault)}keys/{name}/{version}"

    def workspace_id(self, plan: SubscriptionPlan, record: Record) -> str:
        """The workspace a resource's logs go to: one of its subscription's."""
        return plan.rid("workspace", record[0] % plan.count("workspace"))

    def body(self, plan: SubscriptionPlan, kind: str, n: int) -> dict[str, Any]:
        """The typed list item of resource `n` of `kind` (storage, disk, vault ...)."""
        record = plan.records[kind][n]
        group, location, _, traits = record
        name, rid = plan.name(kind, n), plan.rid(kind, n)
        base = {"id": rid, "name": name, "location": location}
        if kind in SERVICE_KIND:
            return self.service_body(plan, kind, n)
        if kind == "storage":
            sku, cmk, infrastructure, https, tls, private = traits
            template = item("storage/storage_accounts_list.json")
            cmk_template = example("storage/storage_account_get_cmk.json")
            encryption = cmk_template["properties"]["encryption"] if cmk \
                else template["properties"]["encryption"]
            if infrastructure:
                encryption["requireInfrastructureEncryption"] = True
            if cmk:
                vault_name = plan.name("vault", cmk[0])
                key_name, *_, version = plan.records["vault"][cmk[0]][3][4][cmk[1]]
                merge(encryption["keyvaultproperties"], {
                    "keyvaulturi": f"https://{vault_name}.vault.azure.net",
                    "keyname": key_name, "keyversion": "",
                    "currentVersionedKeyIdentifier":
                        f"https://{vault_name}.vault.azure.net/keys/{key_name}/{version}"})
            endpoints = {k: v.replace("sto1125", name)
                         for k, v in template["properties"]["primaryEndpoints"].items()
                         if isinstance(v, str)}
            secondary = PAIRED.get(location) if "GRS" in sku or "GZRS" in sku else None
            body = merge(template, {
                **base, "kind": "StorageV2", "tags": {"data": "cji"},
                "sku": {"name": sku, "tier": "Standard"},
                "properties": {"encryption": encryption, "primaryLocation": location,
                               "primaryEndpoints": endpoints, "routingPreference": DELETE,
                               "secondaryLocation": secondary or DELETE,
                               "statusOfSecondary": "available" if secondary else DELETE,
                               "supportsHttpsTrafficOnly": https,
                               "minimumTlsVersion": "TLS1_2" if tls else "TLS1_0",
                               "allowBlobPublicAccess": not private}})
            if cmk:
                body["identity"] = cmk_template["identity"]
            return body
        if kind in ("disk", "snapshot"):
            des, both = traits
            template = item("compute/disks_list.json" if kind == "disk"
                            else "compute/snapshots_list.json")
            at_rest: dict[str, Any] = {"type": "EncryptionAtRestWithPlatformKey"}
            if des is not None:
                at_rest = {"type": "EncryptionAtRestWithPlatformAndCustomerKeys" if both
                              else "EncryptionAtRestWithCustomerKey",
                              "diskEncryptionSetId": plan.rid("des", des)}
            body = merge(template, {**base, "tags": {"data": "cji"}, "properties": {
                "encryption": at_rest, "encryptionSettingsCollection": DELETE,
                "creationData": {"createOption": "Empty"}}})
            if kind == "disk" and n < plan.count("vm"):
                body["managedBy"] = plan.rid("vm", n)
            return body
        if kind == "des":
            vault, key, rotate = traits
            return merge(item("compute/disk_encryption_sets_list.json"), {
                **base, "tags": {"data": "cji"}, "properties": {"activeKey": {
                    "sourceVault": {"id": plan.rid("vault", vault)},
                    "keyUrl": self.key_url(plan, vault, key)},
                    "rotationToLatestKeyVersionEnabled": rotate}})
        if kind == "vm":
            security, size = traits
            os_disk = plan.rid("disk", n) if n < plan.count("disk") else None
            body = merge(item("compute/virtual_machines_list_by_location.json"), {
                **base, "tags": {"data": "cji"}, "properties": {
                    "vmId": _guid(self.seed, plan.index, "vm", n), "availabilitySet": DELETE,
                    "hardwareProfile": {"vmSize": size},
                    "osProfile": {"computerName": name, "adminUsername": "cjisadmin"},
                    "storageProfile": {"osDisk": {
                        "name": os_disk.rsplit("/", 1)[1] if os_disk else f"{name}-osdisk",
                        "vhd": DELETE, "managedDisk": {"id": os_disk or f"{rid}-osdisk"}}},
                    "networkProfile": {"networkInterfaces": [{"id": plan.rid(
                        "nic", n % plan.count("nic"))}]}}})
            host = example("compute/vm_create_encryption_at_host.json")["properties"]
            if security == 1:
                body["properties"]["securityProfile"] = merge(host["securityProfile"], {
                    "securityType": "TrustedLaunch",
                    "uefiSettings": {"secureBootEnabled": True, "vTpmEnabled": True}})
            elif security == 2:
                cvm = example("compute/vm_create_confidential_vm_cmk.json")["properties"]
                body["properties"]["securityProfile"] = merge(cvm["securityProfile"],
                                                              host["securityProfile"])
            return body
        if kind == "vault":
            sku, purge, rbac, private, _keys = traits
            template = item("keyvault/vaults_list_by_subscription.json")
            policy = template["properties"]["accessPolicies"][0]
            props: dict[str, Any] = {
                "sku": {"name": sku, "family": "A"}, "tenantId": self.tenant_id,
                "vaultUri": self.vault_uri(plan, n), "hsmPoolResourceId": DELETE,
                "enableRbacAuthorization": rbac,
                "accessPolicies": [] if rbac else [merge(policy, {
                    "objectId": _guid(self.seed, "principal", n % 40),
                    "tenantId": self.tenant_id})]}
            if purge:
                props["enablePurgeProtection"] = True
            if private:
                props["publicNetworkAccess"] = "Disabled"
                props["networkAcls"] = {"bypass": "AzureServices", "defaultAction": "Deny",
                                        "ipRules": [], "virtualNetworkRules": []}
            return merge(template, {**base, "tags": {"owner": "security-office"},
                                    "properties": props})
        if kind == "hsm":
            return merge(item("keyvault/managed_hsms_list_by_subscription.json"), {
                **base, "tags": {"owner": "security-office"}, "properties": {
                    "enablePurgeProtection": traits[0], "tenantId": self.tenant_id,
                    "hsmUri": f"https://{name}.managedhsm.azure.net/",
                    "initialAdminObjectIds": [_guid(self.seed, "principal", 0)]}})
        if kind == "sql":
            return merge(item("sql_servers_list.json"), {
                **base, "tags": {"data": "cji"}, "properties": {
                    "fullyQualifiedDomainName": f"{name}.database.windows.net",
                    "publicNetworkAccess": "Disabled" if traits[1] else "Enabled",
                    "minimalTlsVersion": "1.2" if traits[1] else "1.0"}})
        if kind == "cosmos":
            cmk, private = traits
            return merge(item("cosmosdb_database_accounts_list.json"), {
                **base, "tags": {"data": "cji"}, "properties": {
                    "keyVaultKeyUri": f"{self.vault_uri(plan, cmk[0])}keys/"
                                      f"{plan.records['vault'][cmk[0]][3][4][cmk[1]][0]}"
                                      if cmk else DELETE,
                    "publicNetworkAccess": "Disabled" if private else "Enabled"}})
        if kind == "workspace":
            retention, customer, _rules = traits
            return merge(item("loganalytics/workspaces_list.json"), {
                **base, "tags": {"role": "siem"},
                "properties": {"retentionInDays": retention, "customerId": customer}})
        raise KeyError(kind)

    def policy_assignments(self, plan: SubscriptionPlan) -> list[dict[str, Any]]:
        sub_scope = f"/subscriptions/{plan.id}"

        def assignment(scope: str, name: str, display: str, definition: str,
                       parameters: dict[str, Any], **props: Any) -> dict[str, Any]:
            return merge(item("policy/policy_assignments_list.json", 1), {
                "id": f"{scope}/providers/Microsoft.Authorization/policyAssignments/{name}",
                "name": name, "location": DELETE, "identity": DELETE,
                "properties": {"displayName": display, "description": DELETE,
                               "policyDefinitionId": definition, "scope": scope,
                               "parameters": {k: {"value": v} for k, v in parameters.items()},
                               "definitionVersion": "1.*.*",
                               "metadata": {"assignedBy": "CJIS ISO"}, **props}})

        out = [assignment(MG_SCOPE, "cjis-allowed-locations", "CJIS: allowed locations (US only)",
                          ALLOWED_LOCATIONS, {"listOfAllowedLocations": list(dict.fromkeys(US))}),
               assignment(MG_SCOPE, "cjis-baseline", "CJIS 6.0 baseline", BASELINE_SET,
                          {"allowedLocations": list(dict.fromkeys(US))})]
        if "allowed-locations-audit" in plan.assignments:
            out.append(assignment(sub_scope, "allowed-locations-audit",
                                  "Allowed locations (audit only)", ALLOWED_LOCATIONS,
                                  {"listOfAllowedLocations": ["eastus2", "westeurope"]},
                                  enforcementMode="DoNotEnforce"))
        if "EnforceNaming" in plan.assignments:
            out.append(merge(example("policy/policy_assignment_do_not_enforce.json", "201"), {
                "id": f"{sub_scope}/providers/Microsoft.Authorization/policyAssignments/"
                      f"EnforceNaming", "properties": {"scope": sub_scope}}))
        return out

    def policy_exemptions(self, plan: SubscriptionPlan) -> list[dict[str, Any]]:
        if plan.exemption is None:
            return []
        category, n = plan.exemption
        scope = plan.rid("other", n)
        body = merge(item("policy_exemptions_list_for_subscription.json"), {
            "id": f"{scope}/providers/Microsoft.Authorization/policyExemptions/residency",
            "name": "residency", "properties": {
                "policyAssignmentId": f"{MG_SCOPE}/providers/Microsoft.Authorization/"
                                      f"policyAssignments/cjis-allowed-locations",
                "exemptionCategory": category, "displayName": "Residency exception",
                "description": "Synthetic exemption", "policyDefinitionReferenceIds": DELETE}})
        body["properties"]["metadata"] = {"approvedBy": "CJIS ISO"}
        if category == "Waiver":
            body["properties"]["expiresOn"] = "2025-01-31T00:00:00Z"
        return [body]

    def role_assignments(self, plan: SubscriptionPlan) -> list[dict[str, Any]]:
        out = []
        for name, principal, principal_type, role in plan.roles:
            vault = role % plan.count("vault")
            scope = f"/subscriptions/{plan.id}" if role >= 3 else plan.rid("vault", vault)
            out.append(merge(item("role_assignments_list_for_subscription.json"), {
                "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
                "name": name, "properties": {
                    "scope": scope, "principalId": principal, "principalType": principal_type,
                    "roleDefinitionId": f"/subscriptions/{plan.id}/providers/"
                                        f"Microsoft.Authorization/roleDefinitions/{KEY_ROLES[role]}"
                }}))
        return out

    def activity_log(self, plan: SubscriptionPlan) -> list[dict[str, Any]]:
        if plan.activity == 0:
            return []
        full = plan.activity == 1
        return [merge(item("monitor/subscription_diagnostic_settings_list.json"), {
            "id": f"subscriptions/{plan.id}/providers/AzureResourceManager/diagnosticSettings/"
                  f"activity-to-siem", "name": "activity-to-siem",
            "properties": {"workspaceId": plan.rid("workspace", 0) if full else DELETE,
                           "eventHubAuthorizationRuleId": DELETE,
                           "storageAccountId": plan.rid("storage", 0),
                           "logs": [{"category": c, "enabled": True} for c in
                                    (ACTIVITY_CATEGORIES if full else ACTIVITY_CATEGORIES[:2])]}})]

    # --- follow-ups ----------------------------------------------------------------------------
    def _diag(self, i: int, kind: str, n: int, service: str = "") -> tuple[str, Any, str]:
        plan = self.plans[i]
        record = plan.records[kind][n]
        target = plan.rid(kind, n) + (STORAGE_SERVICES[service] if service
                                      else DIAGNOSTIC_KINDS[kind])
        variant = record[2]
        settings = []
        if variant:
            setting = item("monitor/diagnostic_settings_list.json")
            setting["id"] = f"{target.lower()}/providers/microsoft.insights/" \
                            f"diagnosticSettings/to-siem"
            setting["name"] = "to-siem"
            props = setting["properties"]
            logs = [{"categoryGroup": "audit" if variant == 2 else "allLogs", "enabled": True}]
            props["workspaceId"] = "" if variant == 3 else self.workspace_id(plan, record)
            props["logs"] = [dict(log, retentionPolicy={"enabled": False, "days": 0})
                             for log in logs]
            props.pop("eventHubAuthorizationRuleId", None)
            if variant == 3:
                props["storageAccountId"] = plan.rid("storage", 0)
            else:
                props.pop("storageAccountId", None)
            settings.append(setting)
        return (f"{target}/providers/Microsoft.Insights/diagnosticSettings",
                {"value": settings}, "2021-05-01-preview")

    def _keys(self, i: int, n: int) -> tuple[str, Any, str]:
        plan = self.plans[i]
        vid, location = plan.rid("vault", n), plan.records["vault"][n][1]
        uri = self.vault_uri(plan, n).rstrip("/")
        listed = [merge(item("keyvault/keys_list.json"), {
            "id": f"{vid}/keys/{key[0]}", "name": key[0], "location": location,
            "properties": {"keyUri": f"{uri}:443/keys/{key[0]}"}})
            for key in plan.records["vault"][n][3][4]]
        return f"{vid}/keys", {"value": listed}, "2025-01-01"

    def _hsmkeys(self, i: int, n: int) -> tuple[str, Any, str]:
        """A Managed HSM's keys (ManagedHsmKeys_List): none, so no GET follows."""
        return f"{self.plans[i].rid('hsm', n)}/keys", {"value": []}, "2026-05-15"

    def _key(self, i: int, n: int, k: int) -> tuple[str, Any, str] | None:
        plan = self.plans[i]
        keys = plan.records["vault"][n][3][4]
        if k >= len(keys):
            return None
        name, kty, rotation, expires, recovery, version = keys[k]
        vid, location = plan.rid("vault", n), plan.records["vault"][n][1]
        uri = self.vault_uri(plan, n).rstrip("/")
        props: dict[str, Any] = {
            "kty": kty, "keyUri": f"{uri}:443/keys/{name}",
            "keyUriWithVersion": f"{uri}:443/keys/{name}/{version}",
            "attributes": {"created": 1735689600, "updated": 1735689600,
                           "recoveryLevel": recovery}}
        if expires:
            props["attributes"]["exp"] = expires
        if rotation:
            props["rotationPolicy"] = {
                "attributes": {"expiryTime": "P2Y"},
                "lifetimeActions": [
                    {"trigger": {"timeAfterCreate": rotation}, "action": {"type": "rotate"}},
                    {"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "notify"}}]}
        return f"{vid}/keys/{name}", merge(example("keyvault/key_get.json"), {
            "id": f"{vid}/keys/{name}", "name": name, "location": location,
            "properties": props}), "2025-01-01"

    def _tde(self, i: int, n: int) -> tuple[str, Any, str]:
        plan = self.plans[i]
        server = plan.rid("sql", n)
        key = plan.records["sql"][n][3][0]
        protector = example("sql_encryption_protector_get.json" if key
                            else "sql_encryption_protector_create_service_managed.json")
        overrides: dict[str, Any] = {"id": f"{server}/encryptionProtector/current",
                                     "name": "current", "location": plan.records["sql"][n][1]}
        if key:
            overrides["properties"] = {"uri": self.key_url(plan, *key)}
        return f"{server}/encryptionProtector/current", merge(protector, overrides), "2025-01-01"

    def _tables(self, i: int, n: int) -> tuple[str, Any, str]:
        """A workspace's tables (issue 10 item 12): at its retention, AzureActivity kept a
        year in total through long-term retention."""
        plan = self.plans[i]
        wid, days = plan.rid("workspace", n), plan.records["workspace"][n][3][0]
        tables = workspace_tables(wid, days, {"AzureActivity": (days, max(days, 365))})
        return f"{wid}/tables", {"value": tables}, by_name()["workspace_tables"].api_version

    def _aad(self) -> tuple[str, Any, str]:
        """Entra ID's diagnostic settings (issue 11): to the first subscription's workspace."""
        plan = self.plans[0]
        return AAD_PATH, aad_diagnostic_settings(plan.rid("workspace", 0)), "2017-04-01"

    def _onboarding(self, i: int, n: int) -> tuple[str, Any, str]:
        plan = self.plans[i]
        path = f"{plan.rid('workspace', n)}/providers/Microsoft.SecurityInsights"
        states = []
        if plan.records["workspace"][n][3][2] is not None:
            states = [merge(example("sentinel/onboarding_states_list.json")["value"][0],
                            {"id": f"{path}/onboardingStates/default"})]
        return f"{path}/onboardingStates", {"value": states}, "2025-09-01"

    def _rules(self, i: int, n: int) -> tuple[str, Any, str] | None:
        plan = self.plans[i]
        chosen = plan.records["workspace"][n][3][2]
        if chosen is None:
            return None
        path = f"{plan.rid('workspace', n)}/providers/Microsoft.SecurityInsights"
        rules = []
        for index, enabled in chosen:
            rule = example("sentinel/alert_rules_list.json")["value"][index]
            rule["id"] = f"{path}/alertRules/{rule['name']}"
            rule["properties"]["displayName"] = f"CJIS rule {index} ({plan.index:04d}-{n})"
            rule["properties"]["enabled"] = enabled
            rules.append(rule)
        return f"{path}/alertRules", {"value": rules}, "2025-09-01"

    def _policyset(self) -> tuple[str, Any, str]:
        builtin = "/providers/Microsoft.Authorization/policyDefinitions/"
        refs = [("rgLocations", "e765b5de-1225-4ba3-bd56-1ac6695af988",
                 {"listOfAllowedLocations": {"value": "[parameters('allowedLocations')]"}}),
                ("storageCmk", "6fac406b-40ca-413b-bf8e-0bf964659c25", {}),
                ("diskCmk", "702dd420-7fcc-42c5-afe8-4026edd20fe0", {}),
                ("auditDiagnostics", "7f89b1eb-583c-429a-8828-af049802c1d9", {})]
        return BASELINE_SET, merge(example("policy_set_definition_get_at_management_group.json"), {
            "id": BASELINE_SET, "name": "cjis-baseline",
            "properties": {"displayName": "CJIS 6.0 baseline (synthetic)", "policyType": "Custom",
                           "description": "Residency, CMK and logging guardrails for CJI",
                           "metadata": {"category": "Regulatory Compliance"},
                           "parameters": {"allowedLocations": {
                               "type": "Array", "metadata": {"displayName": "Allowed locations"},
                               "defaultValue": ["eastus"]}},
                           "policyDefinitions": [
                               {"policyDefinitionId": f"{builtin}{guid}",
                                "policyDefinitionReferenceId": ref, "parameters": params}
                               for ref, guid, params in refs],
                           "policyDefinitionGroups": DELETE}}), "2025-01-01"

    # --- issue 10 item 1: the guardrail definitions read for their default effect -----------
    def definitions_read(self) -> list[str]:
        """Built-ins the collector reads: those assigned (directly or in the baseline
        initiative) without an `effect` parameter (scanner.collectors.followups)."""
        from scanner.inventory_policy import EFFECT_READ_DEFINITIONS

        _, baseline, _ = self._policyset()
        refs = [(r["policyDefinitionId"], r["parameters"])
                for r in baseline["properties"]["policyDefinitions"]]
        guids = [ALLOWED_LOCATIONS.rsplit("/", 1)[-1]] + [
            ref.rsplit("/", 1)[-1] for ref, params in refs if "effect" not in params]
        return sorted({g.lower() for g in guids if g.lower() in EFFECT_READ_DEFINITIONS})

    def _policydef(self, guid: str) -> tuple[str, Any, str]:
        from fixtures.examples import builtin_policy_definition

        return f"{_BUILTIN_DEFINITIONS}{guid}", builtin_policy_definition(guid), "2025-01-01"

    def _graph(self, chunk: int, page: int) -> Interaction | None:
        from scanner.collectors.resource_graph import query_request

        if chunk >= len(self.chunks) or page >= self.graph_pages(chunk):
            return None
        start, stop = page * PAGE_SIZE, (page + 1) * PAGE_SIZE
        rows: list[dict[str, Any]] = []
        offset = 0
        for sub in self.chunks[chunk]:
            plan = self.by_id[sub]
            count = plan.row_count()
            if offset + count > start and offset < stop:
                ordered = sorted(_graph_entries(plan), key=lambda e: e[0])
                for _, kind, n in ordered[max(0, start - offset):stop - offset]:
                    rows.append(self.row(plan, kind, n))
            offset += count
            if offset >= stop:
                break
        token = _token("graph", chunk, page) if page else None
        body = merge(example("resourcegraph/resources_query_basic.json"), {
            "count": len(rows), "totalRecords": self._graph_rows[chunk], "data": rows})
        if page + 1 < self.graph_pages(chunk):
            body["$skipToken"] = _token("graph", chunk, page + 1)
        request = query_request(list(self.chunks[chunk]), token).serialize()
        # Each page is a query against the user's quota (GRAPH_QUOTA per window): the
        # pages of a stream are read one after another, so the ordinal is the page's.
        ordinal = self._graph_first_page[chunk] + page
        remaining = GRAPH_QUOTA - 1 - ordinal % GRAPH_QUOTA
        return Interaction(
            method="POST", uri=f"{ARM}{GRAPH_PATH}?api-version=2021-03-01",
            request_body=_dumps(request),
            request_headers={"Accept": ["application/json"],
                             "Content-Type": ["application/json"]},
            status=200, reason="OK",
            headers={"Content-Type": ["application/json; charset=utf-8"],
                     "x-ms-user-quota-remaining": [str(remaining)],
                     "x-ms-user-quota-resets-after": [f"00:00:{GRAPH_WINDOW_SECONDS:02d}"]},
            body=_dumps(body))


def _flat(plan: SubscriptionPlan) -> list[tuple[str, int]]:
    """Every resource of a subscription, in the order the generic list returns them."""
    return [(kind, n) for kind in KINDS for n in range(plan.count(kind))]


def _graph_entries(plan: SubscriptionPlan) -> Iterator[tuple[str, str, int]]:
    """(lower-cased id, kind, ordinal) of each Resource Graph row of a subscription."""
    for g, (name, _) in enumerate(plan.groups):
        yield f"/subscriptions/{plan.id}/resourcegroups/{name}".lower(), "group", g
    for kind, n in _flat(plan):
        yield plan.rid(kind, n).lower(), kind, n


def _get(url: str, body: Any, tenant_scope: bool = False) -> Interaction:
    headers = {"Content-Type": ["application/json; charset=utf-8"],
               "Cache-Control": ["no-cache"]}
    if tenant_scope:
        headers["x-ms-ratelimit-remaining-tenant-reads"] = ["11999"]
    else:
        headers["x-ms-ratelimit-remaining-subscription-reads"] = [ARM_READS_REMAINING]
    return Interaction(method="GET", uri=url, request_body=None,
                       request_headers={"Accept": ["application/json"]},
                       status=200, reason="OK", headers=headers, body=_dumps(body))


# --- classification and the lower bound --------------------------------------------------------

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

def cassette(tenant: SyntheticTenant) -> list[Interaction]:
    """Every interaction of the tenant (both sources), in a fixed order."""
    return list(tenant.interactions())


def save_json_cassette(interactions: list[Interaction], path: Path) -> None:
    """Write a vcrpy format-1 cassette with vcrpy's JSON serializer (what load_interactions
    reads for a `.json` path)."""
    from vcr.request import Request
    from vcr.serialize import serialize
    from vcr.serializers import jsonserializer

    requests = [Request(i.method, i.uri, i.request_body, i.request_headers) for i in interactions]
    responses = [{"status": {"code": i.status, "message": i.reason}, "headers": i.headers,
                  "body": {"string": i.body}} for i in interactions]
    text = serialize({"requests": requests, "responses": responses}, jsonserializer)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def matches(interaction: Interaction, method: str, url: str, body: bytes | None) -> bool:
    """True when a request is the one `interaction` answers (the cassette's rule)."""
    return interaction.key == match_key(method, url, body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.synthetic", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--subscriptions", "-s", type=int, default=2)
    parser.add_argument("--resources", "-r", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="cassette path (.json: vcrpy JSON; anything else: YAML)")
    args = parser.parse_args(argv)
    tenant = SyntheticTenant(args.subscriptions, args.resources, args.seed)
    interactions = cassette(tenant)
    if args.output.suffix.lower() == ".json":
        save_json_cassette(interactions, args.output)
    else:
        from scanner.recording import save_cassette

        save_cassette(interactions, args.output)
    print(f"wrote {args.output}: {len(interactions)} interactions "
          f"({args.subscriptions} subscriptions x {args.resources} resources, seed {args.seed})")


if __name__ == "__main__":
    main()
