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
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.synthetic_bodies import TenantBodies
from bench.synthetic_plan import (
    ARM,
    GRAPH_SUBSCRIPTIONS_PER_QUERY,
    KIND_OF_LIST,
    LIST_API,
    PAGE_SIZE,
    SERVICE_KIND,
    SubscriptionPlan,
    _flat,
    _get,
    _guid,
    _token,
    pages_of,
    plan_subscription,
)
from bench.synthetic_responses import TenantResponses
from bench.synthetic_routes import Endpoint, TenantRoutes
from fixtures.core.tenancy import published_region, region, subscription
from scanner.collectors.specs import LIST_PATHS
from scanner.kinds import by_name
from scanner.replay import Interaction, match_key

# --- the tenant -----------------------------------------------------------------------------

class SyntheticTenant(TenantBodies, TenantResponses, TenantRoutes):
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
        return subscription(id=plan.id, tenant=self.tenant_id,
                            display_name=f"CJIS Synthetic {plan.index:04d}",
                            tags={"agency": "synthetic", "cjis": "true"})

    def _sub(self, i: int) -> tuple[str, Any, str]:
        plan = self.plans[i]
        return f"/subscriptions/{plan.id}", self._subscription(plan), "2022-12-01"

    def _locations(self, i: int) -> tuple[str, Any, str]:
        sub = self.plans[i].id
        def us(name: str, display: str, physical: str) -> dict[str, Any]:
            return region(subscription=sub, name=name, display=display,
                          geography="United States", group="US", physical=physical)

        def europe(name: str, display: str, physical: str) -> dict[str, Any]:
            return region(subscription=sub, name=name, display=display, geography="Europe",
                          group="Europe", physical=physical)

        regions = [published_region(0, sub), published_region(1, sub),
                   us("westus", "West US", "California"), us("westus2", "West US 2", "Washington"),
                   us("centralus", "Central US", "Iowa"),
                   europe("westeurope", "West Europe", "Netherlands"),
                   europe("northeurope", "North Europe", "Ireland")]
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
