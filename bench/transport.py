"""The synthetic tenant served on demand: no cassette held in the measured process.

`SyntheticTransport` is an azure-core transport like `scanner.replay.CassetteTransport`,
but each response is computed when it is asked for, by the same functions that write the
cassette (`bench.synthetic.SyntheticTenant.interaction`), and matched by the same rule
(`scanner.replay.match_key`): it answers exactly what the cassette answers, and misses
(`CassetteMiss`) what the cassette misses. Unlike a cassette it can answer a request twice;
the benchmark's request counts show any duplicate read.

It also keeps the benchmark's tallies without holding a request log: requests by kind
(`bench.synthetic_counts.classify`), reads per budget key (subscription or Resource Graph), the
CPU it spent computing responses (the fake Azure shares the process and its GIL), and the
reads Azure itself would have refused (a per-subscription token bucket of 250 refilled at
25/s and Resource Graph's 15 queries per 5 s, on the real clock): a scanner that keeps
under Azure's budgets leaves `refused` at zero.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from azure.core.pipeline.transport import HttpTransport

from bench.synthetic import SyntheticTenant, matches
from bench.synthetic_counts import classify
from bench.synthetic_plan import GRAPH_QUOTA, GRAPH_WINDOW_SECONDS
from scanner.azure.throttle import (
    ARM_BUCKET_SIZE,
    ARM_REFILL_PER_SECOND,
    TokenBucket,
    budget_key,
)
from scanner.replay import CassetteMiss, _make_response, request_body


class _AzureMeter:
    """What Azure would count: ARM buckets per subscription and Resource Graph's window."""

    def __init__(self) -> None:
        self.buckets: dict[str, TokenBucket] = {}
        self.window_start = -1e9
        self.window_used = 0
        self.refused: Counter[str] = Counter()

    def read(self, key: str | None, now: float) -> None:
        if key is None:
            return
        if key == "resourcegraph":
            if now - self.window_start >= GRAPH_WINDOW_SECONDS:
                self.window_start, self.window_used = now, 0
            self.window_used += 1
            if self.window_used > GRAPH_QUOTA:
                self.refused["resourcegraph"] += 1
            return
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = TokenBucket(ARM_BUCKET_SIZE, ARM_REFILL_PER_SECOND,
                                                     ARM_BUCKET_SIZE, now)
        bucket.refill(now)
        if bucket.tokens < 1 - 1e-9:
            self.refused["arm"] += 1
        else:
            bucket.tokens -= 1


class SyntheticAzure:
    """The tenant's answers and the benchmark's tallies, shared by the in-process transport
    and the loopback server (bench/server.py); thread-safe."""

    def __init__(self, tenant: SyntheticTenant) -> None:
        self.tenant = tenant
        self.by_kind: Counter[str] = Counter()
        self.by_budget: Counter[str] = Counter()
        self.render_cpu = 0.0
        """CPU seconds spent computing responses (thread time)."""
        self.meter = _AzureMeter()
        self._lock = threading.Lock()

    def answer(self, method: str, url: str, body: bytes | None) -> Any:
        """The interaction answering a request (counted, metered), or None: a miss."""
        started = time.thread_time()
        key = budget_key(url)
        with self._lock:
            self.by_kind[classify(method, url)] += 1
            self.by_budget[key or "-"] += 1
            self.meter.read(key, time.monotonic())
        endpoint = self.tenant.route(method, url, body)
        interaction = self.tenant.interaction(endpoint) if endpoint is not None else None
        if interaction is not None and not matches(interaction, method, url, body):
            interaction = None
        spent = time.thread_time() - started
        with self._lock:
            self.render_cpu += spent
        return interaction

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {"by_kind": dict(self.by_kind), "by_budget": dict(self.by_budget),
                    "refused": dict(self.meter.refused), "render_cpu": self.render_cpu}


class SyntheticTransport(HttpTransport):  # type: ignore[type-arg]
    """Serves a `SyntheticTenant`, computing each response on demand; thread-safe.

    `latency` seconds are slept per request (outside any lock), like a network round trip.
    """

    def __init__(self, tenant: SyntheticTenant, latency: float = 0.0) -> None:
        self.tenant = tenant
        self.latency = latency
        self.azure = SyntheticAzure(tenant)
        self.by_kind = self.azure.by_kind
        self.by_budget = self.azure.by_budget

    @property
    def render_cpu(self) -> float:
        return self.azure.render_cpu

    @property
    def refused(self) -> Counter[str]:
        """Reads Azure's own budgets would have refused (429) at the time they were made."""
        return self.azure.meter.refused

    @property
    def requests(self) -> int:
        return self.by_kind.total()

    def send(self, request: Any, **kwargs: Any) -> Any:
        method, url = request.method, request.url
        interaction = self.azure.answer(method, url, request_body(request))
        if interaction is None:
            raise CassetteMiss(method, url)
        response = _make_response(request, interaction.status, interaction.reason,
                                  interaction.headers, interaction.body)
        if self.latency:
            time.sleep(self.latency)
        return response

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> SyntheticTransport:
        return self

    def __exit__(self, *args: Any) -> None:
        pass

    def sleep(self, duration: float) -> None:
        """Retry back-off costs nothing here (as in a replay)."""
