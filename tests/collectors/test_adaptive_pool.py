"""The adaptive pool: grows while latency-bound, shrinks on throttling, and never exceeds
its cap or a subscription's read budget. Budgets run on a fake clock (fast)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from scanner.azure.clients import ClientFactory
from scanner.azure.clouds import get_cloud
from scanner.azure.credentials import StandInCredential
from scanner.azure.throttle import (
    ARM_BUCKET_SIZE,
    ARM_REFILL_PER_SECOND,
    ARM_RESERVE,
    Clock,
    ReadBudget,
)
from scanner.collectors.runner import Collection, Task
from scanner.collectors.scheduler import INITIAL_CONCURRENCY, PoolSizer, run_tasks
from scanner.replay import CassetteTransport

LIMITER_BUCKET = ARM_BUCKET_SIZE - ARM_RESERVE
"""What the limiter spends of Azure's bucket (it leaves a reserve for arrival jitter)."""


def sub(i: int) -> str:
    return f"{i:08x}-0000-4000-8000-000000000000"


@dataclass
class FakeTime:
    """Moves only when someone sleeps; records which threads slept."""

    t: float = 0.0
    worker_sleeps: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        with self.lock:
            return self.t

    def sleep(self, seconds: float) -> None:
        with self.lock:
            if threading.current_thread().name.startswith("collect"):
                self.worker_sleeps.append(seconds)
            self.t += seconds


def collection_with(budget: ReadBudget) -> Collection:
    return Collection(ClientFactory(get_cloud("commercial"), StandInCredential(),
                                    CassetteTransport([]), budget))


@dataclass
class Reads:
    """Tasks that each make one read through the budget, as the pipeline's policy does."""

    budget: ReadBudget
    clock: FakeTime
    latency: float = 0.0
    status: int = 200
    log: list[tuple[float, str]] = field(default_factory=list)
    running: int = 0
    peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def task(self, subscription: str, name: str = "") -> Task:
        def run(collection: Collection) -> None:
            with self.lock:
                self.running += 1
                self.peak = max(self.peak, self.running)
            self.budget.acquire(subscription)
            with self.lock:
                self.log.append((self.clock.now(), subscription))
            if self.latency:
                time.sleep(self.latency)
            self.budget.observe(subscription, {"retry-after": "2"} if self.status == 429
                                else {}, self.status)
            with self.lock:
                self.running -= 1

        return Task("test", f"/subscriptions/{subscription}/{name}", run, "none")


# --- the sizer alone: fed read times -------------------------------------------------------

def test_the_pool_grows_while_reads_are_latency_bound_up_to_its_cap() -> None:
    sizer = PoolSizer(cap=200)
    assert sizer.limit == INITIAL_CONCURRENCY
    for _ in range(5000):
        sizer.completed(0.05, saturated=True)  # every read 50 ms, whatever is in flight
    assert sizer.limit == 200
    assert max(sizer.history) == 200 and sizer.history == sorted(sizer.history)


def test_the_pool_does_not_grow_when_the_limit_is_not_what_holds_reads_back() -> None:
    sizer = PoolSizer(cap=200)
    for _ in range(5000):
        sizer.completed(0.05, saturated=False)  # budgets or a lack of work held reads back
    assert sizer.limit == INITIAL_CONCURRENCY


def test_the_pool_stops_growing_where_the_cpu_becomes_the_floor() -> None:
    # Each read needs 50 ms of network and 1 ms of CPU under one interpreter lock: past
    # ~51 in flight, reads only queue for the CPU and take longer.
    sizer = PoolSizer(cap=256)
    for _ in range(20000):
        sizer.completed(max(0.051, sizer.limit * 0.001), saturated=True)
    assert 51 <= sizer.limit <= 0.051 / 0.001 * 2.5
    assert sizer.limit < 256


def test_the_pool_halves_on_throttling_once_per_pool_of_reads() -> None:
    sizer = PoolSizer(cap=64, limit=64)
    sizer.throttled()
    assert sizer.limit == 32
    for _ in range(10):  # reads sent before the cut, refused too: no further cut
        sizer.throttled()
    assert sizer.limit == 32
    for _ in range(40):
        sizer.completed(0.05, saturated=False)
    sizer.throttled()
    assert sizer.limit == 16
    for _ in range(200):
        sizer.throttled()
    assert sizer.limit >= 1


# --- the scheduler: budgets on a fake clock -----------------------------------------------

def test_one_subscription_is_paced_exactly_by_its_bucket_and_no_worker_waits() -> None:
    clock = FakeTime()
    budget = ReadBudget(clock=Clock(now=clock.now, sleep=clock.sleep))
    reads = Reads(budget, clock)
    n = 1000
    run_tasks(collection_with(budget), [reads.task(sub(1), str(i)) for i in range(n)], 256)
    assert len(reads.log) == n
    assert clock.worker_sleeps == []  # every wait was the coordinator's
    # 240 at once, then 25 a second: (1000 - 240) / 25 = 30.4 s, and no less.
    assert abs(clock.t - (n - LIMITER_BUCKET) / ARM_REFILL_PER_SECOND) < 0.1
    times = sorted(t for t, _ in reads.log)
    for i, t in enumerate(times):  # at any moment, reads so far <= bucket + refill
        assert i + 1 <= LIMITER_BUCKET + ARM_REFILL_PER_SECOND * t + 1e-6


def test_many_subscriptions_spend_their_own_budgets_in_parallel() -> None:
    clock = FakeTime()
    budget = ReadBudget(clock=Clock(now=clock.now, sleep=clock.sleep))
    reads = Reads(budget, clock)
    tasks = [reads.task(sub(s), str(i)) for i in range(300) for s in range(20)]
    run_tasks(collection_with(budget), tasks, 64)
    assert clock.worker_sleeps == []
    assert abs(clock.t - (300 - LIMITER_BUCKET) / ARM_REFILL_PER_SECOND) < 0.1
    for s in range(20):
        times = sorted(t for t, key in reads.log if key == sub(s))
        assert len(times) == 300
        for i, t in enumerate(times):
            assert i + 1 <= LIMITER_BUCKET + ARM_REFILL_PER_SECOND * t + 1e-6


def test_latency_bound_reads_grow_the_pool_but_never_past_its_cap() -> None:
    clock = FakeTime()
    budget = ReadBudget(clock=Clock(now=clock.now, sleep=clock.sleep))
    reads = Reads(budget, clock, latency=0.004)
    tasks = [reads.task(sub(s), str(i)) for i in range(40) for s in range(50)]
    sizer = run_tasks(collection_with(budget), tasks, 48)
    assert max(sizer.history) == 48 > INITIAL_CONCURRENCY
    assert reads.peak <= 48
    assert clock.worker_sleeps == []


def test_a_429_shrinks_the_pool_and_rests_the_subscription() -> None:
    clock = FakeTime()
    budget = ReadBudget(clock=Clock(now=clock.now, sleep=clock.sleep))
    reads = Reads(budget, clock, latency=0.002, status=429)
    tasks = [reads.task(sub(s), str(i)) for i in range(10) for s in range(8)]
    sizer = run_tasks(collection_with(budget), tasks, 32, sizer=PoolSizer(32, limit=32))
    assert sizer.history[0] == 32 and sizer.limit < 32
    assert budget.throttle_signals == len(tasks)
    assert clock.worker_sleeps == []
    # Each subscription rested 2 s (its Retry-After) after a throttled read: only the reads
    # already in flight when it came back ran at the same moment.
    for s in range(8):
        moments = sorted({t for t, key in reads.log if key == sub(s)})
        assert len(moments) > 1
        assert all(b - a >= 2.0 - 1e-9 for a, b in zip(moments, moments[1:], strict=False))


def test_a_spent_wait_budget_fails_what_still_waits_as_collection_errors() -> None:
    clock = FakeTime()
    budget = ReadBudget(clock=Clock(now=clock.now, sleep=clock.sleep), wait_budget=10.0)
    reads = Reads(budget, clock)
    collection = collection_with(budget)
    run_tasks(collection, [reads.task(sub(1), str(i)) for i in range(1000)], 64)
    # 240 + 25 reads a second for the 10 s the budget allows; the rest are errors.
    assert LIMITER_BUCKET + 24 * 10 <= len(reads.log) <= LIMITER_BUCKET + 25 * 10 + 1
    assert len(collection.errors) == 1000 - len(reads.log)
    assert {e.code for e in collection.errors} == {"WaitBudgetSpent"}
    assert clock.t <= 10.0 + 1e-6
