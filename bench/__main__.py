"""The scale benchmark (`make bench`): collect, judge and report synthetic tenants.

For each size (subscriptions x resources) and inventory source (arm, graph), one child
process builds the synthetic tenant (bench.synthetic), serves it from the lazy transport
(bench.transport) with a fixed latency per request, and runs what `cjis-scan scan` runs:
collection (with the real ReadBudget on the real clock), judgement, and the JSON report.
Each run reports its requests by kind against the minimum Azure allows, its wall time
split into collect / judge / report, the lower bound of the collection, peak RSS
(getrusage ru_maxrss of the child) and the RSS before collection (the fake Azure and
the imports), the time the read budget made it wait, and reads Azure would have refused.

    python -m bench                                   # all sizes, both sources
    python -m bench --sizes 20x500 --sources arm      # one size, one source
    python -m bench --run 20x500 arm                  # one run in this process (JSON)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out" / "results.json"
SIZES = ("1x100", "20x500", "100x500")
SOURCES = ("arm", "graph")
CONCURRENCY = 16
LATENCY = 0.05
SEED = 1
RUN_TIMEOUT = 900
MARK = "BENCH-RESULT "
TARGET_RATIO = 1.25
TARGET_RSS_MB = 300


def _rss_mb() -> float:
    """Resident set size now (MB)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_one(size: str, source: str, concurrency: int, latency: float, seed: int,
            profile: Path | None = None) -> dict[str, Any]:
    """One (size, source) run in this process; returns its measurements."""
    import gc
    import importlib
    import io
    import tempfile

    from rich.console import Console

    from bench.synthetic import SyntheticTenant, lower_bound, throttle_minimum
    from bench.transport import SyntheticTransport
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
    for module in (CLIENT.partition(":")[0], "scanner.azure.arm", "scanner.collectors.followups"):
        importlib.import_module(module)
    tenant = SyntheticTenant(subscriptions, resources, seed)
    transport = SyntheticTransport(tenant, latency=latency)
    gc.collect()
    baseline_rss, baseline_peak = _rss_mb(), _peak_mb()

    budget = ReadBudget()  # the real one: real clock, enabled
    factory = ClientFactory(get_cloud("commercial"), StandInCredential(), transport, budget)
    kinds = [spec.name for spec in SPECS] + ["regions"]  # no Entra / Intune (Graph API)
    profiler = None
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started_at = datetime.now(UTC)
    t0, c0 = time.perf_counter(), _cpu()
    inventory = collect(factory, None, concurrency, kinds=kinds, source="bench",
                        inventory_source=source)
    t1, c1 = time.perf_counter(), _cpu()
    collect_peak = _peak_mb()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(str(profile))
    result = run_judgement(inventory, ScanConfig(), started_at, "bench")
    t2, c2 = time.perf_counter(), _cpu()
    judge_peak = _peak_mb()
    with tempfile.TemporaryDirectory() as tmp:
        written = write_reports(result, [ReportFormat.JSON], Path(tmp),
                                Console(file=io.StringIO()))
        report_bytes = sum(p.stat().st_size for p in written)
    t3, c3 = time.perf_counter(), _cpu()

    expected = tenant.expected_requests(source)
    actual = dict(sorted(transport.by_kind.items()))
    reads = [n for key, n in transport.by_budget.items() if key not in ("-", "resourcegraph")]
    graph_queries = transport.by_budget.get("resourcegraph", 0)
    bound = lower_bound(transport.requests, concurrency, latency, reads, graph_queries)
    return {
        "size": size, "source": source, "subscriptions": subscriptions,
        "resources_per_subscription": resources, "seed": seed,
        "concurrency": concurrency, "latency_s": latency,
        "requests": transport.requests,
        "requests_by_kind": actual,
        "minimum_requests": expected.total(),
        "minimum_by_kind": dict(sorted(expected.items())),
        "requests_equal_minimum": actual == dict(sorted(expected.items())),
        "max_reads_per_subscription": max(reads, default=0),
        "resource_graph_queries": graph_queries,
        "wall_s": {"collect": t1 - t0, "judge": t2 - t1, "report": t3 - t2, "total": t3 - t0},
        "cpu_s": {"collect": c1 - c0, "judge": c2 - c1, "report": c3 - c2, "total": c3 - c0,
                  "fake_azure": transport.render_cpu},
        "lower_bound_s": bound,
        "throttle_minimum_s": throttle_minimum(reads, graph_queries),
        "ratio_collect": (t1 - t0) / bound if bound else None,
        "ratio_total": (t3 - t0) / bound if bound else None,
        "budget_waited_s": budget.waited,
        "refused_by_azure": dict(transport.refused),
        "peak_rss_mb": _peak_mb(),
        "peak_rss_by_phase_mb": {"before": baseline_peak, "collect": collect_peak,
                                 "judge": judge_peak, "report": _peak_mb()},
        "baseline_rss_mb": baseline_rss,
        "baseline_peak_mb": baseline_peak,
        "inventory_resources": len(inventory.resources),
        "inventory_errors": len(inventory.errors),
        "findings": len(result.findings),
        "report_bytes": report_bytes,
    }


def _child(size: str, source: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench", "--run", size, source,
               "--concurrency", str(args.concurrency), "--latency", str(args.latency),
               "--seed", str(args.seed)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                          cwd=Path(__file__).resolve().parents[1], check=False)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])  # type: ignore[no-any-return]
    raise SystemExit(f"run {size} {source} failed (exit {done.returncode}):\n"
                     f"{done.stderr[-4000:]}")


def _table(results: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(title="cjis-scan benchmark (synthetic tenant, "
                        f"{results[0]['latency_s'] * 1000:.0f} ms/request, concurrency "
                        f"{results[0]['concurrency']})")
    for column in ("size", "source", "requests", "= minimum", "collect s", "judge s",
                   "report s", "lower bound s", "collect / bound", "wall / bound",
                   "peak RSS MB", "before MB", "collect CPU s", "fake Azure CPU s",
                   "budget waited s", "refused"):
        table.add_column(column, justify="left" if column in ("size", "source") else "right")
    for r in results:
        wall, cpu = r["wall_s"], r["cpu_s"]
        table.add_row(
            r["size"], r["source"], str(r["requests"]),
            "yes" if r["requests_equal_minimum"] else f"no ({r['minimum_requests']})",
            f"{wall['collect']:.1f}", f"{wall['judge']:.1f}", f"{wall['report']:.1f}",
            f"{r['lower_bound_s']:.1f}", f"{r['ratio_collect']:.2f}", f"{r['ratio_total']:.2f}",
            f"{r['peak_rss_mb']:.0f}", f"{r['baseline_rss_mb']:.0f}", f"{cpu['collect']:.1f}",
            f"{cpu['fake_azure']:.1f}", f"{r['budget_waited_s']:.1f}",
            str(sum(r["refused_by_azure"].values())))
    return table


def _targets(results: list[dict[str, Any]]) -> list[tuple[str, bool, str]]:
    """(target, met, evidence) for each target the issue sets."""
    out = []
    for r in results:
        label = f"{r['size']} {r['source']}"
        out.append((f"requests = minimum ({label})", r["requests_equal_minimum"],
                    f"{r['requests']} vs {r['minimum_requests']}"))
        if r["size"] in ("20x500", "100x500"):
            out.append((f"wall <= {TARGET_RATIO} x lower bound ({label})",
                        r["ratio_collect"] <= TARGET_RATIO,
                        f"collect {r['wall_s']['collect']:.1f} s / bound "
                        f"{r['lower_bound_s']:.1f} s = {r['ratio_collect']:.2f}; with judge + "
                        f"report {r['ratio_total']:.2f}"))
        if r["size"] == "100x500":
            out.append((f"peak RSS <= {TARGET_RSS_MB} MB ({label})",
                        r["peak_rss_mb"] <= TARGET_RSS_MB,
                        f"{r['peak_rss_mb']:.0f} MB (before collection "
                        f"{r['baseline_rss_mb']:.0f} MB)"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(SIZES),
                        help="comma-separated SxR (default %(default)s)")
    parser.add_argument("--sources", default=",".join(SOURCES))
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--latency", type=float, default=LATENCY, help="seconds per request")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--run", nargs=2, metavar=("SIZE", "SOURCE"),
                        help="one run in this process; prints its result as JSON")
    parser.add_argument("--profile", type=Path, help="with --run: cProfile the collection")
    from bench import history  # the history scenario (bench/history.py)

    history.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.history:
        return history.main(args)

    if args.run:
        result = run_one(args.run[0], args.run[1], args.concurrency, args.latency, args.seed,
                         args.profile)
        print(MARK + json.dumps(result))
        return 0

    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        console = Console(width=180)
    started = time.perf_counter()
    results = []
    for size in args.sizes.split(","):
        for source in args.sources.split(","):
            console.print(f"[dim]running {size} {source} ...[/dim]")
            results.append(_child(size.strip(), source.strip(), args))
            r = results[-1]
            console.print(f"[dim]  {r['requests']} requests, wall {r['wall_s']['total']:.1f} s, "
                          f"peak {r['peak_rss_mb']:.0f} MB[/dim]")
    elapsed = time.perf_counter() - started
    console.print(_table(results))
    targets = _targets(results)
    for name, met, evidence in targets:
        console.print(f"{'[green]met[/green]' if met else '[red]missed[/red]'}  {name}: "
                      f"{evidence}")
    for r in results:
        if not r["requests_equal_minimum"]:
            diff = {k: (r["requests_by_kind"].get(k, 0), r["minimum_by_kind"].get(k, 0))
                    for k in set(r["requests_by_kind"]) | set(r["minimum_by_kind"])
                    if r["requests_by_kind"].get(k, 0) != r["minimum_by_kind"].get(k, 0)}
            console.print(f"{r['size']} {r['source']}: requests vs minimum by kind {diff}")
    console.print(f"benchmark took {elapsed:.0f} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "concurrency": args.concurrency, "latency_s": args.latency, "seed": args.seed,
        "elapsed_s": elapsed,
        "targets": [{"target": n, "met": m, "evidence": e} for n, m, e in targets],
        "runs": results,
    }, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
