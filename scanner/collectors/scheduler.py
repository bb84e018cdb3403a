"""The collection's scheduler: a pool that sizes itself from Azure's budgets.

ARM meters reads per subscription (250, refilled at 25/s) and Resource Graph per user
(15 queries per 5 s); a 1,000-subscription tenant can take hundreds of parallel reads,
a one-subscription tenant 25 a second. So the pool has no fixed size: `--concurrency` is
its cap (MAX_CONCURRENCY by default) and within it

- a read is handed to the pool only when its subscription's bucket has a read to spare:
  the coordinator takes that read and the worker's pipeline spends it (`ReadBudget.
  prepaid`), so reads wait for budget here, in the coordinator — never in a worker, where
  they would hold a slot others could use;
- the pool grows (x1.5) while it is full, reads are ready and a read takes no longer than
  the quickest reads seen (latency-bound: more in flight means more done), stops growing
  when reads slow down (the CPU, not the network, is then the floor: more threads would
  only queue for the interpreter), and shrinks — by half — on every throttling signal
  (a 429, or Azure reporting fewer reads left than the limiter expected).

Waiting tasks are queued per budget (subscription, Resource Graph, none) and served round
robin, urgent ones (Resource Graph pages: the next page and its rows' follow-ups come from
them) first. Finished tasks arrive on a queue, one `get` each, whatever the backlog.
"""

from __future__ import annotations

import heapq
import itertools
import queue
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scanner.azure.throttle import ReadBudget, WaitBudgetSpent, budget_key
from scanner.config import MAX_CONCURRENCY

if TYPE_CHECKING:
    from scanner.collectors.tasks import Collection, ProgressCallback, Task

__all__ = ["MAX_CONCURRENCY", "run_tasks"]
INITIAL_CONCURRENCY = 16
GROWTH = 1.5
FAST = 1.5
"""A window whose reads take at most FAST x the quickest window's is latency-bound."""
SLOW = 2.5
"""... and one whose reads take SLOW x as long is queueing for the CPU: the pool shrinks."""
MIN_WINDOW = 16
"""Completions per sizing decision (or the limit, if larger)."""


@dataclass
class PoolSizer:
    """How many reads the pool runs at once: grows while latency-bound, halves on throttling.

    Fed one call per finished read (its wall time, and whether ready work was held back
    by the limit); `limit` is always within [1, cap].
    """

    cap: int
    limit: int = 0
    floor: int = 0
    baseline: float = float("inf")
    """Mean read time of the quickest window so far (latency plus its own CPU)."""
    _count: int = 0
    _wall: float = 0.0
    _saturated: bool = False
    _since_cut: int = 1 << 30
    history: list[int] = field(default_factory=list)
    """Every limit it set, in order (for the benchmark and the tests)."""

    def __post_init__(self) -> None:
        self.cap = max(1, self.cap)
        self.limit = self.limit or min(self.cap, INITIAL_CONCURRENCY)
        self.floor = min(self.cap, 4)
        self.history.append(self.limit)

    def _set(self, limit: int) -> None:
        limit = max(1, min(self.cap, limit))
        if limit != self.limit:
            self.limit = limit
            self.history.append(limit)
        self._count, self._wall, self._saturated = 0, 0.0, False

    def completed(self, wall: float, saturated: bool) -> None:
        self._since_cut += 1
        self._count += 1
        self._wall += wall
        self._saturated |= saturated
        if self._count < max(MIN_WINDOW, self.limit):
            return
        mean = self._wall / self._count
        self.baseline = min(self.baseline, mean)
        if mean > SLOW * self.baseline:
            self._set(max(self.floor, int(self.limit * 0.75)))
        elif self._saturated and mean <= FAST * self.baseline:
            self._set(max(self.limit + 1, int(self.limit * GROWTH)))
        else:
            self._set(self.limit)

    def throttled(self) -> None:
        """Azure pushed back: halve the pool — once per pool's worth of reads, since the
        reads already in flight were sent before the cut and may be refused too."""
        self._since_cut += 1
        if self._since_cut > self.limit:
            self._since_cut = 0
            self._set(self.limit // 2)


def task_budget(task: Task) -> str | None:
    """The budget a task's reads draw on (its subscription, Resource Graph, or none)."""
    return "resourcegraph" if task.collector == "resource_graph" else budget_key(task.scope)


class _Backlog:
    """Waiting tasks, per budget key; keys served round robin, blocked keys set aside."""

    def __init__(self) -> None:
        self.queues: dict[str | None, deque[Task]] = {}
        self.ready: deque[str | None] = deque()
        self.blocked: list[tuple[float, int, str | None]] = []
        self._placed: set[str | None] = set()
        self._seq = itertools.count()
        self.size = 0

    def add(self, task: Task) -> None:
        key = task_budget(task)
        tasks = self.queues.setdefault(key, deque())
        if task.urgent:
            tasks.appendleft(task)
        else:
            tasks.append(task)
        self.size += 1
        if key not in self._placed:
            self._placed.add(key)
            self.ready.append(key)
        if task.urgent and key in self.ready and self.ready[0] != key:
            self.ready.remove(key)  # rare (Resource Graph pages): urgent keys go first
            self.ready.appendleft(key)

    def next(self, budget: ReadBudget, now: float) -> Task | None:
        """The next task whose budget has a read to spare (its read taken), or None."""
        while self.blocked and self.blocked[0][0] <= now:
            self.ready.append(heapq.heappop(self.blocked)[2])
        for _ in range(len(self.ready)):
            key = self.ready.popleft()
            if key is None or not budget.enabled:
                delay = 0.0
            elif key == "resourcegraph":
                delay = budget.delay(key, now)
            else:
                delay = 0.0 if budget.take(key) else budget.delay(key, now)
            if delay > 0:
                heapq.heappush(self.blocked, (now + max(delay, 1e-3), next(self._seq), key))
                continue
            tasks = self.queues[key]
            task = tasks.popleft()
            self.size -= 1
            if tasks:
                self.ready.append(key)
            else:
                self._placed.discard(key)
            return task
        return None

    def next_ready_time(self) -> float | None:
        return self.blocked[0][0] if self.blocked else None

    def drain(self) -> list[Task]:
        tasks = [t for q in self.queues.values() for t in q]
        self.queues.clear()
        self.ready.clear()
        self.blocked.clear()
        self._placed.clear()
        self.size = 0
        return tasks


def run_tasks(collection: Collection, tasks: Iterable[Task], concurrency: int,
              progress: ProgressCallback | None = None,
              execute: Callable[[Collection, Task], list[Task]] | None = None,
              sizer: PoolSizer | None = None) -> PoolSizer:
    """Run tasks and their follow-ups until none is left; at most `concurrency` at once.

    `execute` runs one task and returns its follow-ups (recording its failure itself).
    Returns the pool sizer (its `history` shows how the pool moved).
    """
    from scanner.collectors.tasks import CollectProgress, collection_error
    from scanner.collectors.tasks import execute as _execute

    run = execute or _execute
    budget = collection.factory.budget
    clock = budget.clock
    sizer = sizer or PoolSizer(concurrency)
    backlog = _Backlog()
    done: queue.SimpleQueue[Future[tuple[list[Task], float]]] = queue.SimpleQueue()
    running: dict[Future[tuple[list[Task], float]], Task] = {}
    signals = budget.throttle_signals
    initial = list(tasks)
    # The lists asked for are known now (a total); what they find is counted apart.
    listing = {id(t) for t in initial}
    lists_done = followups_done = 0

    def timed(task: Task, key: str | None, paid: bool) -> tuple[list[Task], float]:
        started = time.perf_counter()
        if paid:
            with budget.prepaid(key):
                follow = run(collection, task)
        else:
            follow = run(collection, task)
        return follow, time.perf_counter() - started

    for queued in initial:
        backlog.add(queued)
    with ThreadPoolExecutor(max_workers=sizer.cap, thread_name_prefix="collect") as pool:
        while backlog.size or running:
            now = clock.now()
            held_back = False
            while True:
                if len(running) >= sizer.limit:
                    held_back = bool(backlog.size)
                    break
                ready = backlog.next(budget, now)
                if ready is None:
                    break
                key = task_budget(ready)
                paid = key is not None and key != "resourcegraph" and budget.enabled
                future = pool.submit(timed, ready, key, paid)
                running[future] = ready
                future.add_done_callback(done.put)
            if not running:
                # Everything waiting is waiting for budget: the coordinator sits it out.
                ready_at = backlog.next_ready_time()
                if ready_at is None:
                    break
                try:
                    budget.wait(max(0.0, ready_at - now))
                except WaitBudgetSpent as exc:
                    for dropped in backlog.drain():
                        collection.add_error(collection_error(dropped, exc))
                continue
            ready_at = backlog.next_ready_time()
            try:
                future = done.get(timeout=None if ready_at is None
                                  else max(1e-3, ready_at - clock.now()))
            except queue.Empty:
                continue
            task = running.pop(future)
            follow, wall = future.result()
            if id(task) in listing:
                lists_done += 1
            else:
                followups_done += 1
            for new in follow:
                backlog.add(new)
            if budget.throttle_signals != signals:
                signals = budget.throttle_signals
                sizer.throttled()
            else:
                # Saturated: the limit, not budget or a lack of work, held reads back.
                sizer.completed(wall, saturated=held_back)
            if progress:
                pending = len(running) + backlog.size
                progress(CollectProgress(
                    f"{task.collector} {task.scope}", lists_done=lists_done,
                    lists_total=len(listing), followups_done=followups_done,
                    followups_waiting=max(pending - (len(listing) - lists_done), 0)))
    return sizer

