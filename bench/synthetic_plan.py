"""The synthetic tenant's plan: the kinds and their shares, the seeded per-subscription
plan of every resource and its traits (`SubscriptionPlan`), and the helpers every part of
bench.synthetic shares."""

from __future__ import annotations

import base64
import json
import math
import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fixtures.services import SAMPLES as SERVICE_SAMPLES_ALL
from fixtures.services import Sample
from scanner.collectors.specs import LIST_PATHS
from scanner.kinds import service_kinds
from scanner.replay import Interaction
from scanner.resource_types import storage_services

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
