"""The lower bound a collection is measured against: the largest of four floors.

- **cpu**: the scanner process's CPU time for the collection, measured in the run (user +
  system, `getrusage`). One interpreter runs the scanner's Python under one lock, so its
  collection cannot take less wall time than that; the fake Azure runs in a process of its
  own (bench/server.py), so its CPU is not in it.
- **arm_throttle**: ARM's bucket per subscription (250 reads, refilled at 25/s): the
  subscription with the most reads needs (reads - 250) / 25 s.
- **graph_window**: Resource Graph's 15 queries per 5 s: (ceil(queries / 15) - 1) x 5 s.
- **chain**: the round trips that must happen one after another, x latency: the
  subscriptions list, then the longest list's pages one by one (for `graph`, the query
  stream's pages), then its follow-ups; a vault's keys list and then a key's GET (or a
  workspace's Sentinel onboarding and then its rules) make the last two.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from bench.synthetic_plan import GRAPH_QUOTA, GRAPH_WINDOW_SECONDS
from scanner.azure.throttle import ARM_BUCKET_SIZE, ARM_REFILL_PER_SECOND


def chain_length(by_kind: Mapping[str, int], subscriptions: int, source: str) -> int:
    """Dependent round trips: subscriptions, the longest paged list, two follow-ups."""
    if source == "arm":
        pages = math.ceil(by_kind.get("list:resources", 0) / max(1, subscriptions))
        return 1 + max(pages + 1, 1 + 2)  # resources' pages then diagnostics; vault, keys, key
    streams = math.ceil(subscriptions / 1000)
    pages = math.ceil(by_kind.get("resource_graph", 0) / max(1, streams))
    return 1 + pages + 2


def floors(cpu_s: float, reads_per_subscription: Iterable[int], graph_queries: int,
           chain: int, latency: float) -> dict[str, float]:
    """Each floor in seconds (the bound is their max)."""
    arm = max((max(0.0, (r - ARM_BUCKET_SIZE) / ARM_REFILL_PER_SECOND)
               for r in reads_per_subscription), default=0.0)
    graph = max(0, math.ceil(graph_queries / GRAPH_QUOTA) - 1) * GRAPH_WINDOW_SECONDS
    return {"cpu": cpu_s, "arm_throttle": arm, "graph_window": float(graph),
            "chain": chain * latency}


def binding(floor: Mapping[str, float]) -> str:
    """Which floor is the bound."""
    return max(floor, key=lambda k: floor[k])
