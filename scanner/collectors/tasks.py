"""What every collector shares: a Task (one read for one scope), the Collection it fills,
and how a failed read becomes an inventory error.

The plumbing of the collection run, below the runner and the collectors alike: the
runner schedules Tasks, the collectors (followups, resource_graph, entra) make them, and
none of them imports another to do so.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from azure.core.exceptions import (
    DecodeError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from pydantic import ValidationError

from scanner.azure.arm import JsonReader
from scanner.azure.clients import ClientFactory
from scanner.azure.throttle import ThrottleHeaderError, WaitBudgetSpent
from scanner.collectors.items import map_items
from scanner.collectors.normalize import ShapeError
from scanner.errors import ReadOnlyViolation, UnservedRead
from scanner.inventory import CollectionError
from scanner.redact import redact

log = logging.getLogger(__name__)

# Failures of one read that become an inventory error for that scope. Anything else is a
# bug and propagates (a bare `except Exception` would hide gaps in a compliance report).
READ_FAILURES = (
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
    UnservedRead,
    ReadOnlyViolation,
    ValidationError,
    ShapeError,
    ThrottleHeaderError,
    WaitBudgetSpent,
)


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


@dataclass(frozen=True, slots=True)
class CollectProgress:
    """Where collection stands, in its own stages: each count only grows.

    The subscriptions are listed first; then every subscription's lists (known in
    advance: a total); each list finds the follow-ups it needs (detail reads, child
    lists, further Resource Graph pages), so those have a count and a backlog, no total.
    """

    what: str
    """What just finished (`storage_accounts /subscriptions/...`)."""
    subscriptions: int | None = None
    """Subscriptions in scope (None while they are being listed)."""
    lists_done: int = 0
    lists_total: int = 0
    followups_done: int = 0
    followups_waiting: int = 0


ProgressCallback = Callable[[CollectProgress], None]


def collection_error(task: Task, exc: BaseException) -> CollectionError:
    """An inventory error for `task`, with the fix a user can apply.

    Its text is redacted: Azure's error messages quote requests (SAS URLs, connection
    strings) and go on to logs and reports.
    """
    error = _collection_error(task, exc)
    return error.model_copy(update={"message": redact(error.message), "scope": redact(error.scope)})


def _collection_error(task: Task, exc: BaseException) -> CollectionError:
    if isinstance(exc, UnservedRead):  # the transport says what fixes it (a replay's miss)
        return CollectionError(
            scope=task.scope,
            collector=task.collector,
            code=exc.code,
            message=str(exc),
            remedy=exc.remedy,
        )
    if isinstance(exc, ReadOnlyViolation):
        return CollectionError(
            scope=task.scope,
            collector=task.collector,
            code="ReadOnlyGuard",
            message=str(exc),
            remedy="report this as a cjis-scan bug",
        )
    if isinstance(exc, WaitBudgetSpent | ThrottleHeaderError):
        return CollectionError(
            scope=task.scope,
            collector=task.collector,
            code=type(exc).__name__,
            message=str(exc),
            remedy="Azure kept the scanner waiting: re-run later, or scan "
            "fewer subscriptions at a time"
            if isinstance(exc, WaitBudgetSpent)
            else "report this response header as a cjis-scan bug (no Azure service sends it)",
        )
    if isinstance(exc, ValidationError | DecodeError | ShapeError):
        detail = (
            exc.errors()[0]["msg"]
            if isinstance(exc, ValidationError)
            else str(getattr(exc, "message", exc)).splitlines()[0][:400]
        )
        return CollectionError(
            scope=task.scope,
            collector=task.collector,
            code="UnexpectedShape",
            message=f"Azure returned data the scanner cannot read: {detail}",
            remedy="report this response shape as a cjis-scan bug",
        )
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        status = exc.status_code
        code = getattr(getattr(exc, "error", None), "code", None)
        message = (
            getattr(getattr(exc, "error", None), "message", None) or exc.reason or "request failed"
        )
        remedy = {
            401: "sign in again: the credential was rejected or has expired",
            403: task.remedy,
            404: "not found: the resource was deleted during the scan or its provider is "
            "not registered",
            429: "Azure throttled the scanner after its retries: re-run later or lower "
            "--concurrency",
        }.get(
            status,
            "Azure returned a server error: re-run the scan" if status >= 500 else task.remedy,
        )
        return CollectionError(
            scope=task.scope,
            collector=task.collector,
            status=status,
            code=code,
            message=str(message).splitlines()[0][:500],
            remedy=remedy,
        )
    return CollectionError(
        scope=task.scope,
        collector=task.collector,
        code=type(exc).__name__,
        message=str(exc).splitlines()[0][:500] if str(exc) else "no response",
        remedy="check network access to Azure and re-run the scan",
    )


class Reads(set[str]):
    """The reads of a scan narrowed list by list (scanner.narrowing): given as `kinds`,
    they narrow the follow-ups, gated and child lists too. A plain set of kinds names
    only the lists to run, each with all its follow-ups."""


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
    from_graph: frozenset[str] = frozenset()
    """Kinds the Resource Graph stream fills in this run (not listed through ARM)."""
    wanted: frozenset[str] | None = None
    """The reads a scan narrowed list by list needs (`Reads`); None: every follow-up."""

    def wants(self, read: str) -> bool:
        """Whether this run reads `read` (a kind's list or a follow-up's collector)."""
        return self.wanted is None or read in self.wanted

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

    def map_items(
        self, raw_items: Iterable[Any], mapper: Callable[[Any], Any], scope: str, collector: str
    ) -> list[Any]:
        """The items of a list that map; an error recorded for each one that does not."""
        items, errors = map_items(raw_items, mapper, scope, collector)
        for error in errors:
            self.add_error(error)
        return items

    def claim(self, key: str) -> bool:
        """True the first time `key` is claimed: dedupes reads shared by subscriptions."""
        with self._lock:
            if key in self._claimed:
                return False
            self._claimed.add(key)
            return True


def execute(collection: Collection, task: Task) -> list[Task]:
    try:
        return list(task.run(collection) or [])
    except READ_FAILURES as exc:
        error = collection_error(task, exc)
        log.info("could not read %s for %s: %s", task.collector, task.scope, error.message)
        collection.add_error(error)
        return []
