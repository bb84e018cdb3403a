"""The scale benchmark (`make bench`): collect, judge and report synthetic tenants.

Each run (size x source x latency) is a child process (bench/run.py) that starts the fake
Azure in a process of its own, serving the synthetic tenant over HTTPS on loopback
(bench/server.py), and scans it through the scanner's real live transport with the real
read budget on the real clock: collection, judgement, and the JSON report. It reports
requests by kind against the minimum Azure allows, wall time split into collect / judge /
report, the lower bound max(CPU floor, ARM throttle floor, Resource Graph window floor,
dependent round trips x latency) (bench/bounds.py), peak RSS, reads Azure would refuse,
and the scaling curve (bench/report.py).

    python -m bench                                   # the default matrix (~8 min)
    python -m bench --large                           # ... and 300x500 (much longer)
    python -m bench --sizes 20x500 --sources arm --latencies 0.05
    python -m bench --run 20x500 arm 0.05             # one run in this process (JSON)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out" / "results.json"
SIZES = ("1x5000", "20x500", "100x500")
LARGE = ("300x500",)
SOURCES = ("arm", "graph")
LATENCIES = (0.05, 0.2)
SEED = 1
RUN_TIMEOUT = 1800
MARK = "BENCH-RESULT "


def matrix(sizes: list[str], sources: list[str], latencies: list[float],
           every: bool) -> list[tuple[str, str, float]]:
    """The runs: every combination, except that a one-subscription tenant (throttle-bound:
    neither the source nor the latency moves its floor) runs once, arm at the slowest
    latency, unless `every`."""
    runs = []
    for size in sizes:
        if size.startswith("1x") and not every:
            runs.append((size, "arm" if "arm" in sources else sources[0], max(latencies)))
            continue
        runs.extend((size, source, latency) for latency in latencies for source in sources)
    return runs


def _child(size: str, source: str, latency: float, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench", "--run", size, source, str(latency),
               "--concurrency", str(args.concurrency), "--seed", str(args.seed),
               "--transport", args.transport]
    done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                          cwd=Path(__file__).resolve().parents[1], check=False)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])  # type: ignore[no-any-return]
    raise SystemExit(f"run {size} {source} {latency} failed (exit {done.returncode}):\n"
                     f"{done.stderr[-4000:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(SIZES),
                        help="comma-separated SxR (default %(default)s)")
    parser.add_argument("--large", action="store_true", help="add " + ", ".join(LARGE))
    parser.add_argument("--every", action="store_true",
                        help="run one-subscription sizes with every source and latency too")
    parser.add_argument("--sources", default=",".join(SOURCES))
    parser.add_argument("--latencies", default=",".join(str(x) for x in LATENCIES),
                        help="seconds per request, comma-separated (default %(default)s)")
    parser.add_argument("--concurrency", type=int,
                        help="the pool's cap, as --concurrency (default: the scanner's)")
    parser.add_argument("--transport", choices=("https", "http", "inproc"), default="https")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--run", nargs=3, metavar=("SIZE", "SOURCE", "LATENCY"),
                        help="one run in this process; prints its result as JSON")
    parser.add_argument("--profile", type=Path, help="with --run: cProfile the collection "
                                                     "(every thread)")
    from bench import history  # the history scenario (bench/history.py)

    history.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.history:
        return history.main(args)

    if args.concurrency is None:
        try:
            from scanner.collectors.scheduler import MAX_CONCURRENCY
        except ImportError:  # an older scanner (a before/after comparison): its default
            MAX_CONCURRENCY = 8  # noqa: N806
        args.concurrency = MAX_CONCURRENCY
    if args.run:
        from bench.run import run_one

        result = run_one(args.run[0], args.run[1], args.concurrency, float(args.run[2]),
                         args.seed, args.transport, args.profile)
        print(MARK + json.dumps(result))
        return 0

    from rich.console import Console

    from bench.report import scaling, table, targets

    console = Console()
    if not console.is_terminal:
        console = Console(width=240)
    sizes = [s.strip() for s in args.sizes.split(",")] + (list(LARGE) if args.large else [])
    runs = matrix(sizes, [s.strip() for s in args.sources.split(",")],
                  [float(x) for x in args.latencies.split(",")], args.every)
    started = time.perf_counter()
    results = []
    for size, source, latency in runs:
        console.print(f"[dim]running {size} {source} {latency * 1000:.0f} ms ...[/dim]")
        results.append(_child(size, source, latency, args))
        r = results[-1]
        console.print(f"[dim]  {r['requests']} requests, collect {r['wall_s']['collect']:.1f} s "
                      f"(bound {r['lower_bound_s']:.1f} s, {r['binding_floor']}), wall "
                      f"{r['wall_s']['total']:.1f} s, peak {r['peak_rss_mb']:.0f} MB[/dim]")
    from bench.demo_scan import demo_scan_times, demo_targets

    demo = demo_scan_times(args.out.parent / "demo-reports")
    elapsed = time.perf_counter() - started
    console.print(table(results))
    console.print(scaling(results))
    met = targets(results) + demo_targets(demo)
    for name, ok, evidence in met:
        console.print(f"{'[green]met[/green]' if ok else '[red]missed[/red]'}  {name}: "
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
                    "platform": platform.platform(), "load_average": os.getloadavg()},
        "concurrency_cap": args.concurrency, "transport": args.transport, "seed": args.seed,
        "elapsed_s": elapsed,
        "targets": [{"target": n, "met": m, "evidence": e} for n, m, e in met],
        "runs": results,
        "demo_scan": demo,
    }, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
