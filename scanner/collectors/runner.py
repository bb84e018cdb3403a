"""The collection run: subscriptions first, then every kind of every subscription on one
bounded pool, with follow-up reads (keys, TDE, diagnostic settings, Sentinel, initiatives)
submitted from the coordinating thread — never awaited inside a worker, so no nesting
can deadlock the pool at any number of vaults or resources.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from scanner import __version__
from scanner.azure.clients import ClientFactory
from scanner.collectors import normalize
from scanner.collectors import reads as _reads  # noqa: F401 - declares the reads to the guard
from scanner.collectors.followups import DETAILS, list_task
from scanner.collectors.scheduler import run_tasks
from scanner.collectors.specs import READER, SPECS, SUBSCRIPTIONS_API
from scanner.collectors.tasks import (
    READ_FAILURES,
    Collection,
    CollectProgress,
    ProgressCallback,
    Reads,
    Task,
    collection_error,
)
from scanner.config import MAX_CONCURRENCY
from scanner.entra_models import merge_entra
from scanner.inventory import Inventory, Subscription
from scanner.kinds import all_kinds, service_kinds

# Task, Collection and the rest live in scanner.collectors.tasks (so the collectors need
# not import the runner); they are re-exported here for the callers that schedule them.
__all__ = ["MAX_CONCURRENCY", "READ_FAILURES", "Collection", "ProgressCallback", "Task", "collect",
           "collection_error", "list_task", "regions_task", "resolve_subscriptions",
           "run_tasks"]

log = logging.getLogger(__name__)

def regions_task(subscription_id: str) -> Task:
    """One subscription's regions (with geography metadata and paired regions)."""
    def run(collection: Collection) -> None:
        collection.add("regions", collection.map_items(
            collection.arm().list(f"/subscriptions/{subscription_id}/locations",
                                  SUBSCRIPTIONS_API),
            normalize.region, f"/subscriptions/{subscription_id}", "regions"))

    return Task("regions", f"/subscriptions/{subscription_id}", run,
                f"{READER} (Microsoft.Resources/subscriptions/locations/read)")


def _with_subscriptions(progress: ProgressCallback | None, count: int,
                        lists: int) -> ProgressCallback | None:
    """`progress`, told first that `count` subscriptions are in scope with `lists` lists to
    read, then given every scheduler update with that count."""
    if progress is None:
        return None
    report = progress
    report(CollectProgress("subscriptions", subscriptions=count, lists_total=lists))

    def with_count(update: CollectProgress) -> None:
        report(dataclasses.replace(update, subscriptions=count))

    return with_count


def resolve_subscriptions(collection: Collection, wanted: list[str]) -> list[Subscription]:
    """The subscriptions in scope: those named (each GET on its own), or all readable."""
    arm = collection.arm()
    found: dict[str, Subscription] = {}
    if wanted:
        for subscription_id in dict.fromkeys(s.lower() for s in wanted):
            task = Task("subscriptions", f"/subscriptions/{subscription_id}", lambda c: None,
                        f"{READER} (Microsoft.Resources/subscriptions/read)")
            try:
                body = arm.get(f"/subscriptions/{subscription_id}", SUBSCRIPTIONS_API)
            except READ_FAILURES as exc:
                collection.add_error(collection_error(task, exc))
                continue
            for sub in collection.map_items([body], normalize.subscription, task.scope,
                                            "subscriptions"):
                found[subscription_id] = sub
    else:
        task = Task("subscriptions", "/", lambda c: None,
                    "Reader on at least one subscription (Microsoft.Resources/subscriptions/read)")
        listed: list[Any] = []
        try:
            for raw in arm.list("/subscriptions", SUBSCRIPTIONS_API):
                listed.append(raw)
        except READ_FAILURES as exc:
            # Part-way: the subscriptions listed so far are scanned; the error says the
            # list is incomplete, so no reader takes the scan for the whole tenant.
            error = collection_error(task, exc)
            collection.add_error(error.model_copy(update={"message": (
                f"the subscription list stopped after {len(listed)} subscription(s); any "
                f"further subscription could not be enumerated and is not scanned: "
                f"{error.message}")[:500]}))
        for sub in collection.map_items(listed, normalize.subscription, "/", "subscriptions"):
            found.setdefault(sub.subscription_id, sub)  # keyed by id, never display name
    return sorted(found.values(), key=lambda s: s.subscription_id)


def _sort_key(item: Any) -> str:
    for attribute in ("id", "subscription_id", "name", "workspace_id"):
        value = getattr(item, attribute, None)
        if value:
            return str(value)
    return ""


def collect(
    factory: ClientFactory,
    subscriptions: list[str] | None = None,
    concurrency: int = MAX_CONCURRENCY,
    kinds: Iterable[str] | None = None,
    progress: ProgressCallback | None = None,
    source: str = "live",
    inventory_source: str = "arm",
) -> Inventory:
    """Read every kind of every subscription in scope into an Inventory.

    `inventory_source` is where the bulk kinds come from: `arm` (one list per kind per
    subscription), `graph` (Resource Graph) or `auto` (Resource Graph, falling back to
    the ARM lists if it fails). A failure in one scope x collector becomes an entry of
    `Inventory.errors`; the others carry on.
    """
    from scanner.collectors.resource_graph import GRAPH_KINDS, graph_tasks
    from scanner.collectors.resource_graph_census import reconcile

    if inventory_source not in ("arm", "graph", "auto"):
        raise ValueError(f"unknown inventory source {inventory_source!r}")
    from_graph = frozenset(GRAPH_KINDS) if inventory_source != "arm" else frozenset()
    wanted = set(kinds) if kinds is not None else None
    if wanted is not None and from_graph:
        wanted.add("resources")  # the census checks the stream against it (always read)
    collection = Collection(factory, from_graph=from_graph,
                            wanted=frozenset(kinds) if isinstance(kinds, Reads) else None)
    in_scope = resolve_subscriptions(collection, subscriptions or [])
    tasks: list[Task] = []
    for sub in in_scope:
        # Every subscription's regions (issue 10 item 4): one may see regions another does not.
        if wanted is None or "regions" in wanted:
            tasks.append(regions_task(sub.subscription_id))
        tasks.extend(list_task(spec, sub.subscription_id) for spec in SPECS
                     if (wanted is None or spec.name in wanted) and spec.name not in from_graph)
    if from_graph and in_scope:
        tasks.extend(graph_tasks([s.subscription_id for s in in_scope],
                                 fallback=inventory_source == "auto"))
    # The subscriptions name the tenant; when none could be listed, the token does, so
    # tenant findings keep their `/tenants/<id>` scope and fingerprints (issue 13).
    tenant_id = next((s.tenant_id for s in in_scope if s.tenant_id), None) or factory.tenant_id
    if wanted is None or "entra" in wanted:
        from scanner.collectors.entra import entra_tasks

        tasks.extend(entra_tasks(tenant_id))
    # monitor (issue 11): Entra ID's own diagnostic settings, an ARM read, once per scan
    # (with the other diagnostic settings: the `diagnostic_settings` kind).
    if in_scope and (wanted is None or "diagnostic_settings" in wanted):
        from scanner.collectors.aad_diagnostics import aad_diagnostics_task

        tasks.append(aad_diagnostics_task(tenant_id))
    run_tasks(collection, tasks, concurrency, _with_subscriptions(progress, len(in_scope),
                                                                len(tasks)))
    # issue 10 item 16: what the stream left out of ARM's resource list stays `unknown`.
    reconcile(collection, [s.subscription_id for s in in_scope])

    # Lists every subscription returns a copy of (inherited from management groups): one
    # item per id, remembering each subscription that listed it.
    for listed in (k.name for k in all_kinds() if k.merged):
        if listed in collection.lists:
            collection.lists[listed] = normalize.merge_listed(collection.lists[listed])
    lists = {kind: sorted(items, key=_sort_key) for kind, items in collection.lists.items()}
    regions = {r.name: r for r in lists.pop("regions", [])}
    entra = merge_entra(lists.pop("entra", []))
    services = {k.name: lists.pop(k.name) for k in service_kinds() if k.name in lists}
    _merge_details(services, lists.pop(DETAILS, []))
    return Inventory(
        tool_version=__version__,
        cloud=factory.cloud.name.value,
        tenant_id=tenant_id,
        collected_at=datetime.now(UTC).replace(microsecond=0),
        source=source,
        inventory_source=(inventory_source if inventory_source != "auto"
                          else "auto:graph" if collection.from_graph else "auto:arm"),
        subscriptions=in_scope,
        regions=sorted(regions.values(), key=lambda r: r.name),
        diagnostic_targets=sorted(set(collection.diagnostic_targets)),
        errors=sorted(collection.errors, key=lambda e: (e.collector, e.scope)),
        entra=entra,
        services=services,
        **lists,
    )


def _merge_details(services: dict[str, list[Any]],
                   details: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Fold each detail read's fields into its service resource."""
    if not details:
        return
    patches: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, resource_id, props in details:
        patches.setdefault((kind, resource_id), {}).update(props)
    for kind, items in services.items():
        services[kind] = [
            item.model_copy(update={"props": {**item.props, **patches[(kind, item.id)]}})
            if (kind, item.id) in patches else item for item in items]
