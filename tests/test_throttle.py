"""The read budget: stays under ARM's bucket and Resource Graph's quota (fake clock)."""

from __future__ import annotations

from dataclasses import dataclass, field

from scanner.azure.throttle import ARM_BUCKET_SIZE, ARM_RESERVE, Clock, ReadBudget, budget_key

SUB = "6f1c2a4e-8b3d-4c7e-9a15-2d4e6f8a0b1c"


@dataclass
class FakeTime:
    """A clock that only moves when the limiter sleeps."""

    t: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds

    def clock(self) -> Clock:
        return Clock(now=self.now, sleep=self.sleep)


def test_budget_keys() -> None:
    assert budget_key(f"https://management.azure.com/subscriptions/{SUB.upper()}/x") == SUB
    assert budget_key("https://management.azure.com/providers/Microsoft.ResourceGraph/"
                      "resources?api-version=1") == "resourcegraph"
    assert budget_key("https://management.azure.com/providers/Microsoft.Authorization/"
                      "policySetDefinitions/x") is None


def test_reads_never_exceed_the_bucket_and_its_refill() -> None:
    time = FakeTime()
    budget = ReadBudget(clock=time.clock())
    reads = 1000
    for _ in range(reads):
        budget.acquire(SUB)
    # 240 at once (250 less the reserve left to Azure), then 25 a second: 760 more reads
    # need 30.4 s, and no less.
    assert abs(time.t - (reads - ARM_BUCKET_SIZE + ARM_RESERVE) / 25) < 1e-6
    # Over any window the reads stay within capacity + rate * window.
    assert reads <= ARM_BUCKET_SIZE - ARM_RESERVE + 25 * time.t + 1e-6


def test_subscriptions_have_buckets_of_their_own() -> None:
    time = FakeTime()
    budget = ReadBudget(clock=time.clock())
    for sub in ("a" * 8 + SUB[8:], SUB):
        for _ in range(ARM_BUCKET_SIZE - ARM_RESERVE):
            budget.acquire(sub)
    assert time.t == 0.0


def test_azure_reported_remaining_reads_slow_the_limiter_down() -> None:
    time = FakeTime()
    budget = ReadBudget(clock=time.clock())
    budget.acquire(SUB)
    budget.observe(SUB, {"x-ms-ratelimit-remaining-subscription-reads": "0"})
    budget.acquire(SUB)  # another client spent the budget: wait for one refill
    assert len(time.sleeps) == 1 and abs(time.sleeps[0] - 1 / 25) < 1e-9


def test_resource_graph_quota_waits_for_the_window_to_reset() -> None:
    time = FakeTime()
    budget = ReadBudget(clock=time.clock())
    budget.acquire("resourcegraph")
    budget.observe("resourcegraph", {"x-ms-user-quota-remaining": "0",
                                     "x-ms-user-quota-resets-after": "00:00:05"})
    budget.acquire("resourcegraph")
    assert time.t == 5.0
    budget.observe("resourcegraph", {"x-ms-user-quota-remaining": "12",
                                     "x-ms-user-quota-resets-after": "00:00:05"})
    budget.acquire("resourcegraph")
    assert time.t == 5.0


def test_a_bogus_resource_graph_reset_is_an_error_not_a_long_sleep() -> None:
    import pytest

    from scanner.azure.throttle import MAX_HEADER_WAIT_SECONDS, ThrottleHeaderError

    budget = ReadBudget(clock=FakeTime().clock())
    for bogus in ("24:00:00", "00:01:01", "soon", "-00:00:05", "nan"):
        with pytest.raises(ThrottleHeaderError):
            budget.observe("resourcegraph", {"x-ms-user-quota-remaining": "0",
                                             "x-ms-user-quota-resets-after": bogus})
    budget.observe("resourcegraph", {"x-ms-user-quota-remaining": "0",
                                     "x-ms-user-quota-resets-after": "00:01:00"})
    assert budget.delay("resourcegraph") == MAX_HEADER_WAIT_SECONDS


def test_a_negative_remaining_reads_count_waits_one_refill_at_most() -> None:
    time = FakeTime()
    budget = ReadBudget(clock=time.clock())
    budget.observe(SUB, {"x-ms-ratelimit-remaining-subscription-reads": "-1000000000"})
    budget.acquire(SUB)
    assert time.sleeps == [1 / 25]
    assert budget.throttle_signals == 1  # Azure counted fewer than the limiter: a signal


def test_a_429_rests_the_subscription_for_its_capped_retry_after() -> None:
    time = FakeTime()
    budget = ReadBudget(clock=time.clock())
    budget.observe(SUB, {"Retry-After": "86400"}, 429)
    assert abs(budget.delay(SUB) - 60.0) < 1e-6  # capped, not a day
    assert budget.waited == 60.0  # charged: the retry policy sleeps it in the worker
    budget.observe(SUB, {"Retry-After": "not a number"}, 429)  # judged by the retry policy
    assert budget.throttle_signals == 2


def test_the_overall_wait_budget_stops_a_read_that_would_wait_again() -> None:
    import pytest

    from scanner.azure.throttle import WaitBudgetSpent

    time = FakeTime()
    budget = ReadBudget(clock=time.clock(), wait_budget=5.0)
    for _ in range(ARM_BUCKET_SIZE - ARM_RESERVE + 125):  # 125 after the burst: 5 s of refill
        budget.acquire(SUB)
    with pytest.raises(WaitBudgetSpent):
        budget.acquire(SUB)
    with pytest.raises(WaitBudgetSpent):
        budget.observe(SUB, {"Retry-After": "1"}, 429)
    assert time.t <= 5.0 + 1e-9
