"""Staying under Azure's read budgets instead of running into 429s.

ARM meters reads per subscription and principal with a token bucket (250 reads, refilled
at 25 per second); every response reports what is left in
`x-ms-ratelimit-remaining-subscription-reads`. Resource Graph meters queries per user
(`x-ms-user-quota-remaining`, `x-ms-user-quota-resets-after`). The limiter keeps a bucket
per subscription like Azure's, trusts Azure's own count when it is lower (other clients
share the budget), and waits for Resource Graph's window to reset when its quota is spent.
A 429 that happens anyway is retried by the retry policy, honouring Retry-After.
"""

from __future__ import annotations

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
_SUBSCRIPTION = re.compile(r"/subscriptions/([0-9a-fA-F-]{36})", re.IGNORECASE)
_RESOURCE_GRAPH = "/providers/microsoft.resourcegraph/"


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
    """Per-subscription ARM read buckets and the Resource Graph quota window."""

    clock: Clock = field(default_factory=Clock)
    enabled: bool = True
    """False for replays: a cassette has no budget to protect."""
    capacity: float = ARM_BUCKET_SIZE
    rate: float = ARM_REFILL_PER_SECOND
    waited: float = 0.0
    """Total seconds spent waiting for budget (reported by the benchmark)."""
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)
    _graph_blocked_until: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _bucket(self, key: str, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.capacity, self.rate, self.capacity,
                                                      now)
        return bucket

    def acquire(self, key: str | None) -> None:
        """Take one read from `key`'s bucket (a subscription id), waiting if it is empty."""
        if not self.enabled:
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
                self.waited += delay
            self.clock.sleep(delay)

    def observe(self, key: str | None, headers: Any) -> None:
        """Align with what Azure says is left of the budget."""
        if key is None or not self.enabled:
            return
        with self._lock:
            now = self.clock.now()
            if key == "resourcegraph":
                remaining = _int(headers.get("x-ms-user-quota-remaining"))
                resets = _duration(headers.get("x-ms-user-quota-resets-after"))
                if remaining is not None and remaining <= 0 and resets:
                    self._graph_blocked_until = max(self._graph_blocked_until, now + resets)
                return
            remaining = _int(headers.get("x-ms-ratelimit-remaining-subscription-reads"))
            if remaining is not None:
                bucket = self._bucket(key, now)
                bucket.refill(now)
                bucket.tokens = min(bucket.tokens, float(remaining))


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
    """`hh:mm:ss` (Resource Graph's resets-after) in seconds."""
    if not value:
        return None
    parts = str(value).split(":")
    try:
        seconds = 0.0
        for part in parts:
            seconds = seconds * 60 + float(part)
        return seconds
    except ValueError:
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
                            response.http_response.headers)
