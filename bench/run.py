"""One benchmark run (a child process of `python -m bench`): collect, judge and report one
synthetic tenant, and measure it against its floors (bench/bounds.py)."""

from __future__ import annotations

import os
import resource
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def rss_mb() -> float:
    """Resident set size now (MB)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_one(size: str, source: str, concurrency: int, latency: float, seed: int,
            transport_kind: str = "https", profile: Path | None = None) -> dict[str, Any]:
    """One (size, source, latency) run in this process; returns its measurements.

    `transport_kind`: `https` (default) or `http` — the fake Azure in a process of its own
    over loopback, reached through the scanner's real live transport — or `inproc` (the
    in-process lazy transport: no socket, the fake Azure's CPU in this process).
    """
    import gc
    import importlib
    import io
    import tempfile

    from rich.console import Console

    from bench.bounds import binding, chain_length, floors
    from bench.synthetic import SyntheticTenant
    from scanner.azure.clients import ClientFactory
    from scanner.azure.clouds import get_cloud
    from scanner.azure.credentials import StandInCredential
    from scanner.azure.throttle import ReadBudget
    from scanner.collectors.resource_graph import CLIENT
    from scanner.collectors.runner import collect
    from scanner.collectors.specs import SPECS
    from scanner.config import ScanConfig
    from scanner.reporters import ReportFormat, write_reports
    from scanner.scan import run_judgement

    subscriptions, resources = (int(x) for x in size.lower().split("x"))
    # The modules a collection imports, imported before the baseline is taken.
    for module in (CLIENT.partition(":")[0], "scanner.azure.arm", "scanner.collectors.followups",
                   "requests", "urllib3"):
        importlib.import_module(module)
    live = None
    if transport_kind == "inproc":
        from bench.transport import SyntheticTransport

        inproc = SyntheticTransport(SyntheticTenant(subscriptions, resources, seed), latency)
        transport: Any = inproc
    else:
        from bench.live import LoopbackAzure

        live = LoopbackAzure(subscriptions, resources, seed, latency, concurrency,
                             tls=transport_kind == "https")
        transport = live.transport
    gc.collect()
    baseline_rss, baseline_peak = rss_mb(), peak_mb()

    budget = ReadBudget()  # the real one: real clock, enabled
    factory = ClientFactory(get_cloud("commercial"), StandInCredential(), transport, budget)
    kinds = [spec.name for spec in SPECS] + ["regions"]  # no Entra / Intune (Graph API)
    profiler = None
    if profile is not None:
        from bench.profiling import AllThreads

        profiler = AllThreads()
        profiler.enable()
    started_at = datetime.now(UTC)
    t0, c0 = time.perf_counter(), cpu_s()
    inventory = collect(factory, None, concurrency, kinds=kinds, source="bench",
                        inventory_source=source)
    t1, c1 = time.perf_counter(), cpu_s()
    collect_peak = peak_mb()
    if profiler is not None:
        profiler.disable()
        profiler.dump(profile)  # type: ignore[arg-type]
    result = run_judgement(inventory, ScanConfig(), started_at, "bench")
    t2, c2 = time.perf_counter(), cpu_s()
    judge_peak = peak_mb()
    with tempfile.TemporaryDirectory() as tmp:
        written = write_reports(result, [ReportFormat.JSON], Path(tmp),
                                Console(file=io.StringIO()))
        report_bytes = sum(p.stat().st_size for p in written)
    t3, c3 = time.perf_counter(), cpu_s()
    final_peak = peak_mb()  # before the tenant below is built for its expected counts

    if live is not None:
        stats = live.stats()
        peak_in_flight = live.transport.peak_in_flight
        live.close()
        by_kind, by_budget = stats["by_kind"], stats["by_budget"]
        refused, azure_cpu = stats["refused"], stats["server_cpu"]
    else:
        by_kind, by_budget = inproc.by_kind, inproc.by_budget
        refused, azure_cpu, peak_in_flight = dict(inproc.refused), inproc.render_cpu, None
    tenant = SyntheticTenant(subscriptions, resources, seed)
    expected = tenant.expected_requests(source)
    actual = dict(sorted(by_kind.items()))
    requests = sum(by_kind.values())
    reads = [n for key, n in by_budget.items() if key not in ("-", "resourcegraph")]
    graph_queries = by_budget.get("resourcegraph", 0)
    floor = floors(c1 - c0, reads, graph_queries, chain_length(by_kind, subscriptions, source),
                   latency)
    bound = max(floor.values())
    return {
        "size": size, "source": source, "subscriptions": subscriptions,
        "resources_per_subscription": resources, "resources": subscriptions * resources,
        "seed": seed, "concurrency_cap": concurrency, "latency_s": latency,
        "transport": transport_kind,
        "requests": requests,
        "requests_by_kind": actual,
        "minimum_requests": expected.total(),
        "minimum_by_kind": dict(sorted(expected.items())),
        "requests_equal_minimum": actual == dict(sorted(expected.items())),
        "max_reads_per_subscription": max(reads, default=0),
        "resource_graph_queries": graph_queries,
        "wall_s": {"collect": t1 - t0, "judge": t2 - t1, "report": t3 - t2, "total": t3 - t0},
        "cpu_s": {"collect": c1 - c0, "judge": c2 - c1, "report": c3 - c2, "total": c3 - c0,
                  "fake_azure": azure_cpu},
        "cpu_ms_per_request": 1000 * (c1 - c0) / max(1, requests),
        "floors_s": floor,
        "lower_bound_s": bound,
        "binding_floor": binding(floor),
        "ratio_collect": (t1 - t0) / bound if bound else None,
        "ratio_total": (t3 - t0) / bound if bound else None,
        "peak_in_flight": peak_in_flight,
        "budget_waited_s": budget.waited,
        "throttle_signals": getattr(budget, "throttle_signals", 0),
        "refused_by_azure": dict(refused),
        "peak_rss_mb": final_peak,
        "peak_rss_by_phase_mb": {"before": baseline_peak, "collect": collect_peak,
                                 "judge": judge_peak, "report": final_peak},
        "baseline_rss_mb": baseline_rss,
        "baseline_peak_mb": baseline_peak,
        "inventory_resources": len(inventory.resources),
        "inventory_errors": len(inventory.errors),
        "findings": len(result.findings),
        "report_bytes": report_bytes,
    }
