"""The collection run: subscriptions first, then every kind of every subscription on one
pool (scheduler.py: it sizes itself from Azure's budgets), with follow-up reads (keys,
TDE, diagnostic settings, Sentinel, initiatives) submitted from the coordinating
thread — never awaited inside a worker, so no nesting can deadlock the pool at any
number of vaults or resources.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from azure.core.exceptions import (
    DecodeError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from pydantic import ValidationError

from scanner import __version__
from scanner.azure.arm import JsonReader
from scanner.azure.clients import ClientFactory
from scanner.azure.throttle import ThrottleHeaderError, WaitBudgetSpent
from scanner.collectors import normalize
from scanner.collectors.scheduler import MAX_CONCURRENCY, run_tasks
from scanner.collectors.specs import READER, SPECS, SUBSCRIPTIONS_API, ListSpec
from scanner.entra_models import merge_entra
from scanner.errors import ReadOnlyViolation
from scanner.inventory import CollectionError, Inventory, Subscription
from scanner.replay import CassetteMiss

log = logging.getLogger(__name__)

# Failures of one read that become an inventory error for that scope. Anything else is a
# bug and propagates (a bare `except Exception` would hide gaps in a compliance report).
READ_FAILURES = (HttpResponseError, ServiceRequestError, ServiceResponseError, CassetteMiss,
                 ReadOnlyViolation, ValidationError, ThrottleHeaderError, WaitBudgetSpent)


@dataclass(frozen=True)
class Task:
    """One unit of collection: a read (or paged list) for one scope."""

    collector: str
    """Inventory kind it fills; its errors are recorded under this name."""
    scope: str
    """The ARM scope read (subscription, resource, workspace ...)."""
    run: Callable[[Collection], Iterable[Task] | None]
    remedy: str
    """Role or permission that fixes a 403 here."""
    urgent: bool = False
    """Runs before every task already waiting: a read that gates others (a Resource
    Graph page: the next page, and its rows' follow-ups, come from it)."""


ProgressCallback = Callable[[str, int, int], None]
"""(what just finished, tasks done, tasks known so far)."""


def collection_error(task: Task, exc: BaseException) -> CollectionError:
    """An inventory error for `task`, with the fix a user can apply."""
    if isinstance(exc, CassetteMiss):
        return CollectionError(scope=task.scope, collector=task.collector, code="CassetteMiss",
                               message=str(exc),
                               remedy="record the tenant again (cjis-scan record) or add this "
                                      "request to the cassette")
    if isinstance(exc, ReadOnlyViolation):
        return CollectionError(scope=task.scope, collector=task.collector, code="ReadOnlyGuard",
                               message=str(exc), remedy="report this as a cjis-scan bug")
    if isinstance(exc, WaitBudgetSpent | ThrottleHeaderError):
        return CollectionError(
            scope=task.scope, collector=task.collector, code=type(exc).__name__,
            message=str(exc), remedy="Azure kept the scanner waiting: re-run later, or scan "
            "fewer subscriptions at a time" if isinstance(exc, WaitBudgetSpent) else
            "report this response header as a cjis-scan bug (no Azure service sends it)")
    if isinstance(exc, ValidationError | DecodeError):
        detail = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else exc.message
        return CollectionError(scope=task.scope, collector=task.collector,
                               code="UnexpectedShape",
                               message=f"Azure returned data the scanner cannot read: {detail}",
                               remedy="report this response shape as a cjis-scan bug")
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        status = exc.status_code
        code = getattr(getattr(exc, "error", None), "code", None)
        message = (getattr(getattr(exc, "error", None), "message", None) or exc.reason
                   or "request failed")
        remedy = {
            401: "sign in again: the credential was rejected or has expired",
            403: task.remedy,
            404: "not found: the resource was deleted during the scan or its provider is "
                 "not registered",
            429: "Azure throttled the scanner after its retries: re-run later or lower "
                 "--concurrency",
        }.get(status, "Azure returned a server error: re-run the scan" if status >= 500
              else task.remedy)
        return CollectionError(scope=task.scope, collector=task.collector, status=status,
                               code=code, message=str(message).splitlines()[0][:500],
                               remedy=remedy)
    return CollectionError(scope=task.scope, collector=task.collector, code=type(exc).__name__,
                           message=str(exc).splitlines()[0][:500] if str(exc) else "no response",
                           remedy="check network access to Azure and re-run the scan")


@dataclass
class Collection:
    """Shared state of one collection run: clients, and what has been read so far."""

    factory: ClientFactory
    lists: dict[str, list[Any]] = field(default_factory=dict)
    errors: list[CollectionError] = field(default_factory=list)
    diagnostic_targets: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _clients: dict[str, Any] = field(default_factory=dict)
    _arm: JsonReader | None = None
    _claimed: set[str] = field(default_factory=set)

    def client(self, dotted: str) -> Any:
        """The SDK client `module:Class` (created once, lazily): Resource Graph."""
        with self._lock:
            if dotted not in self._clients:
                module, _, name = dotted.partition(":")
                cls = getattr(importlib.import_module(module), name)
                self._clients[dotted] = self.factory.mgmt(cls)
            return self._clients[dotted]

    def arm(self) -> JsonReader:
        """The JSON reader every ARM GET goes through (one per collection: it holds no
        subscription, so one pipeline serves them all)."""
        with self._lock:
            if self._arm is None:
                cloud = self.factory.cloud
                self._arm = JsonReader(self.factory, cloud.arm_endpoint, cloud.arm_scope)
            return self._arm

    def add(self, kind: str, items: Iterable[Any]) -> None:
        """Store items of an inventory kind."""
        items = list(items)
        with self._lock:
            self.lists.setdefault(kind, []).extend(items)

    def add_error(self, error: CollectionError) -> None:
        with self._lock:
            self.errors.append(error)

    def read_diagnostics_of(self, target: str) -> None:
        with self._lock:
            self.diagnostic_targets.append(target)

    def claim(self, key: str) -> bool:
        """True the first time `key` is claimed: dedupes reads shared by subscriptions."""
        with self._lock:
            if key in self._claimed:
                return False
            self._claimed.add(key)
            return True


def list_task(spec: ListSpec, subscription_id: str) -> Task:
    """The paged list of one spec row in one subscription (plus its follow-ups)."""
    from scanner.collectors import followups

    def run(collection: Collection) -> list[Task]:
        items = [spec.mapper(raw, subscription_id)
                 for raw in collection.arm().list(spec.url(subscription_id), spec.api_version)]
        return followups.after_list(spec.kind, items, subscription_id, collection)

    return Task(spec.collector or spec.kind, f"/subscriptions/{subscription_id}", run,
                spec.remedy)


def regions_task(subscription_id: str) -> Task:
    """The cloud's regions (with geography metadata), read once per scan."""
    def run(collection: Collection) -> None:
        collection.add("regions", (
            normalize.region(r) for r in collection.arm().list(
                f"/subscriptions/{subscription_id}/locations", SUBSCRIPTIONS_API)))

    return Task("regions", f"/subscriptions/{subscription_id}", run,
                f"{READER} (Microsoft.Resources/subscriptions/locations/read)")


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
                found[subscription_id] = normalize.subscription(body)
            except READ_FAILURES as exc:
                collection.add_error(collection_error(task, exc))
    else:
        task = Task("subscriptions", "/", lambda c: None,
                    "Reader on at least one subscription (Microsoft.Resources/subscriptions/read)")
        try:
            for raw in arm.list("/subscriptions", SUBSCRIPTIONS_API):
                sub = normalize.subscription(raw)
                found.setdefault(sub.subscription_id, sub)  # keyed by id, never display name
        except READ_FAILURES as exc:
            collection.add_error(collection_error(task, exc))
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

    if inventory_source not in ("arm", "graph", "auto"):
        raise ValueError(f"unknown inventory source {inventory_source!r}")
    collection = Collection(factory)
    in_scope = resolve_subscriptions(collection, subscriptions or [])
    wanted = set(kinds) if kinds is not None else None
    tasks: list[Task] = []
    from_graph = set(GRAPH_KINDS) if inventory_source != "arm" else set()
    for index, sub in enumerate(in_scope):
        if index == 0 and (wanted is None or "regions" in wanted):
            tasks.append(regions_task(sub.subscription_id))
        tasks.extend(list_task(spec, sub.subscription_id) for spec in SPECS
                     if (wanted is None or spec.kind in wanted) and spec.kind not in from_graph)
    if from_graph and in_scope:
        tasks.extend(graph_tasks([s.subscription_id for s in in_scope],
                                 fallback=inventory_source == "auto"))
    tenant_id = next((s.tenant_id for s in in_scope if s.tenant_id), None)
    if wanted is None or "entra" in wanted:
        from scanner.collectors.entra import entra_tasks

        tasks.extend(entra_tasks(tenant_id))
    run_tasks(collection, tasks, concurrency, progress)  # scheduler.py: the adaptive pool

    for listed in ("policy_assignments", "policy_exemptions"):
        if listed in collection.lists:
            collection.lists[listed] = normalize.merge_listed(collection.lists[listed])
    lists = {kind: sorted(items, key=_sort_key) for kind, items in collection.lists.items()}
    regions = {r.name: r for r in lists.pop("regions", [])}
    entra = merge_entra(lists.pop("entra", []))
    return Inventory(
        tool_version=__version__,
        cloud=factory.cloud.name.value,
        tenant_id=tenant_id,
        collected_at=datetime.now(UTC).replace(microsecond=0),
        source=source,
        subscriptions=in_scope,
        regions=sorted(regions.values(), key=lambda r: r.name),
        diagnostic_targets=sorted(set(collection.diagnostic_targets)),
        errors=sorted(collection.errors, key=lambda e: (e.collector, e.scope)),
        entra=entra,
        **lists,
    )


def _execute(collection: Collection, task: Task) -> list[Task]:
    try:
        return list(task.run(collection) or [])
    except READ_FAILURES as exc:
        error = collection_error(task, exc)
        log.info("could not read %s for %s: %s", task.collector, task.scope, error.message)
        collection.add_error(error)
        return []
