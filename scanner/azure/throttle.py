"""Staying under Azure's read budgets instead of running into 429s.

ARM meters reads per subscription and principal with a token bucket (250 reads, refilled
at 25 per second); every response reports what is left in
`x-ms-ratelimit-remaining-subscription-reads`. Resource Graph meters queries per user
(`x-ms-user-quota-remaining`, `x-ms-user-quota-resets-after`). The limiter keeps a bucket
per subscription like Azure's, trusts Azure's own count when it is lower (other clients
share the budget), and waits for Resource Graph's window to reset when its quota is spent.
A 429 that happens anyway is retried by the retry policy, honouring Retry-After; the
limiter then blocks that subscription for the Retry-After and counts a throttling signal
(the collection's pool shrinks on it: scanner/collectors/scheduler.py).

Every wait a response header can cause is capped: Resource Graph's resets-after beyond
MAX_HEADER_WAIT_SECONDS (its window is 5 s) is a bogus header, an error for that read
(ThrottleHeaderError), never a day's sleep; a negative or absurd remaining-reads count
is clamped (a refill of one read at 25/s is the longest it can make a read wait). And a
scan has an overall wait budget (`ReadBudget.wait_budget`): once the time spent blocked on
Azure's budgets reaches it, every read that would wait again fails with WaitBudgetSpent.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import SansIOHTTPPolicy

ARM_BUCKET_SIZE = 250
ARM_REFILL_PER_SECOND = 25.0
ARM_RESERVE = 10
"""Reads of each bucket the limiter leaves to Azure: Azure counts a read when it arrives,
the limiter when it leaves, and reads paced 40 ms apart can arrive bunched (measured over
loopback: 4 of 2,103 reads of a one-subscription scan would have been refused with no
reserve). Ten absorb 0.4 s of such jitter and cost 0.4 s once."""
MAX_HEADER_WAIT_SECONDS = 60.0
"""The longest wait a response header may ask for (Resource Graph quota reset, Retry-After)."""
WAIT_BUDGET_SECONDS = 1800.0
"""The most a scan spends blocked on Azure's budgets before the reads still waiting fail."""
LOW_REMAINING_READS = 25
"""Azure reporting fewer reads left than this, and fewer than the limiter's own count
(another client spends the budget), is a throttling signal."""
_SUBSCRIPTION = re.compile(r"/subscriptions/([0-9a-fA-F-]{36})", re.IGNORECASE)
_RESOURCE_GRAPH = "/providers/microsoft.resourcegraph/"
_HMS = re.compile(r"^(\d{1,2}:){0,2}\d{1,2}(\.\d+)?$")


class ThrottleHeaderError(Exception):
    """A throttling header no Azure service sends (a wait beyond the cap, or unparsable)."""


class WaitBudgetSpent(Exception):
    """The scan's overall wait budget is spent: this read would have to wait again."""


@dataclass
class Clock:
    """Time source (a fake one in tests)."""

    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


@dataclass
class TokenBucket:
    """A bucket of `capacity` tokens refilled at `rate` per second."""

    capacity: float
    rate: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is)."""
        self.refill(now)
        # A hair of tolerance: float refills may land a rounding error short of 1.
        return 0.0 if self.tokens >= 1 - 1e-9 else (1 - self.tokens) / self.rate


@dataclass
class ReadBudget:
    """Per-subscription ARM read buckets, the Resource Graph quota window, the wait budget.

    The scheduler asks `room` before it hands a read to the pool and `take`s its token
    there, passing it to the worker (`prepaid`), so a read waits in the coordinator,
    never in a worker; `acquire` (the pipeline's, per attempt) spends that token or, for
    a further page or a retry, takes one from the bucket, waiting only if it is empty.
    """

    clock: Clock = field(default_factory=Clock)
    enabled: bool = True
    """False for replays: a cassette has no budget to protect."""
    capacity: float = ARM_BUCKET_SIZE - ARM_RESERVE
    rate: float = ARM_REFILL_PER_SECOND
    wait_budget: float = WAIT_BUDGET_SECONDS
    waited: float = 0.0
    """Total seconds spent blocked on budgets (charged against `wait_budget`)."""
    throttle_signals: int = 0
    """429s and surprising low remaining-reads counts seen (the pool shrinks on each)."""
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)
    _graph_blocked_until: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _local: threading.local = field(default_factory=threading.local)

    def _bucket(self, key: str, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.capacity, self.rate, self.capacity,
                                                      now)
        return bucket

    def _charge(self, seconds: float) -> None:
        """Count `seconds` of waiting against the wait budget (lock held)."""
        if self.waited + seconds > self.wait_budget:
            raise WaitBudgetSpent(
                f"the scan has waited {self.waited:.0f} s for Azure's read budgets, its limit "
                f"is {self.wait_budget:.0f} s")
        self.waited += seconds

    def delay(self, key: str | None, now: float | None = None) -> float:
        """Seconds until `key` has a read to spare (0: now)."""
        if not self.enabled or key is None:
            return 0.0
        with self._lock:
            now = self.clock.now() if now is None else now
            if key == "resourcegraph":
                return max(0.0, self._graph_blocked_until - now)
            return self._bucket(key, now).wait_time(now)

    def take(self, key: str | None) -> bool:
        """Take one read from `key` for the task about to run (True if one was taken)."""
        if not self.enabled or key is None or key == "resourcegraph":
            return False
        with self._lock:
            now = self.clock.now()
            bucket = self._bucket(key, now)
            if bucket.wait_time(now) > 0.0:
                return False
            bucket.tokens = max(0.0, bucket.tokens - 1)
            return True

    def refund(self, key: str) -> None:
        """Give back a read taken for a task that never made it."""
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is not None:
                bucket.tokens = min(bucket.capacity, bucket.tokens + 1)

    def prepaid(self, key: str | None) -> _Prepaid:
        """`with budget.prepaid(key):` the first read of `key` in this thread is paid for."""
        return _Prepaid(self, key)

    def wait(self, seconds: float) -> None:
        """The coordinator waits for a budget to refill (charged to the wait budget)."""
        with self._lock:
            self._charge(seconds)
        self.clock.sleep(seconds)

    def acquire(self, key: str | None) -> None:
        """Take one read from `key`'s bucket (a subscription id), waiting if it is empty."""
        if not self.enabled:
            return
        credits = getattr(self._local, "credits", None)
        if credits and credits.get(key):
            credits[key] -= 1
            return
        while True:
            with self._lock:
                now = self.clock.now()
                if key == "resourcegraph":
                    delay = max(0.0, self._graph_blocked_until - now)
                elif key is None:
                    return
                else:
                    bucket = self._bucket(key, now)
                    delay = bucket.wait_time(now)
                    if delay == 0.0:
                        bucket.tokens = max(0.0, bucket.tokens - 1)
                        return
                if delay == 0.0:
                    return
                self._charge(delay)
            self.clock.sleep(delay)

    def observe(self, key: str | None, headers: Any, status: int = 200) -> None:
        """Align with what Azure says is left of the budget."""
        if key is None or not self.enabled:
            return
        with self._lock:
            now = self.clock.now()
            if status in (429, 503):
                # The retry policy sleeps the Retry-After in this worker: it is charged to
                # the wait budget first, and the subscription rests meanwhile.
                rest = min(_retry_after(headers) or 1.0, MAX_HEADER_WAIT_SECONDS)
                self._charge(rest)
                if status == 429:
                    self.throttle_signals += 1
                    self._block(key, now, rest)
            if key == "resourcegraph":
                remaining = _int(headers.get("x-ms-user-quota-remaining"))
                resets = _duration(headers.get("x-ms-user-quota-resets-after"))
                if remaining is not None and remaining <= 0 and resets is not None:
                    self._graph_blocked_until = max(self._graph_blocked_until, now + resets)
                return
            remaining = _int(headers.get("x-ms-ratelimit-remaining-subscription-reads"))
            if remaining is not None:
                bucket = self._bucket(key, now)
                bucket.refill(now)
                remaining = max(0, remaining)
                if remaining < LOW_REMAINING_READS and remaining < bucket.tokens - 1:
                    self.throttle_signals += 1
                bucket.tokens = min(bucket.tokens, float(remaining))

    def _block(self, key: str, now: float, seconds: float) -> None:
        """After a 429: nothing more for `key` until its Retry-After (lock held)."""
        if key == "resourcegraph":
            self._graph_blocked_until = max(self._graph_blocked_until, now + seconds)
            return
        bucket = self._bucket(key, now)
        bucket.refill(now)
        # An empty bucket that refills to one read after `seconds`.
        bucket.tokens = min(bucket.tokens, 1 - seconds * bucket.rate)


class _Prepaid:
    def __init__(self, budget: ReadBudget, key: str | None) -> None:
        self.budget, self.key = budget, key

    def __enter__(self) -> None:
        self.budget._local.credits = {self.key: 1}

    def __exit__(self, *exc: Any) -> None:
        credits = self.budget._local.credits
        self.budget._local.credits = None
        if credits.get(self.key) and self.key is not None:
            self.budget.refund(self.key)


def budget_key(url: str) -> str | None:
    """Which budget a request draws on: `resourcegraph`, a subscription id, or None."""
    lowered = url.lower()
    if _RESOURCE_GRAPH in lowered:
        return "resourcegraph"
    match = _SUBSCRIPTION.search(url)
    return match.group(1).lower() if match else None


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def _duration(value: Any) -> float | None:
    """`hh:mm:ss` (Resource Graph's resets-after) in seconds; a bogus one raises."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    seconds = math.nan
    if _HMS.match(text):
        seconds = 0.0
        for part in text.split(":"):
            seconds = seconds * 60 + float(part)
    if not 0 <= seconds <= MAX_HEADER_WAIT_SECONDS:  # also NaN
        raise ThrottleHeaderError(
            f"x-ms-user-quota-resets-after: {str(value)[:40]!r} is not a wait of at most "
            f"{MAX_HEADER_WAIT_SECONDS:.0f} s")
    return seconds


def _retry_after(headers: Any) -> float | None:
    """Retry-After (or retry-after-ms) in seconds, None if absent or not understood (the
    retry policy judges the header; here it only sets how long the subscription rests)."""
    from azure.core.pipeline.policies._utils import parse_retry_after
    from azure.core.utils import case_insensitive_dict

    headers = case_insensitive_dict(headers)
    try:
        value = headers.get("retry-after")
        if value:
            return max(0.0, parse_retry_after(str(value)))
        for name in ("retry-after-ms", "x-ms-retry-after-ms"):
            if headers.get(name):
                return max(0.0, float(headers.get(name)) / 1000)
    except (ValueError, TypeError, OverflowError):
        return None
    return None


class ThrottlePolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Waits for read budget before each attempt; learns from each response's headers."""

    def __init__(self, budget: ReadBudget) -> None:
        self.budget = budget

    def on_request(self, request: PipelineRequest) -> None:  # type: ignore[type-arg]
        self.budget.acquire(budget_key(request.http_request.url))

    def on_response(self, request: PipelineRequest,  # type: ignore[type-arg]
                    response: PipelineResponse) -> None:  # type: ignore[type-arg]
        self.budget.observe(budget_key(request.http_request.url),
                            response.http_response.headers, response.http_response.status_code)
