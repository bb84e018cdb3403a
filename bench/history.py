"""The history benchmark (`python -m bench --history`, part of `make bench`).

30 runs of the 100x500 synthetic tenant (166,573 findings) recorded into one history,
with a few percent of the findings changing between runs, as a scheduled audit job
would see them. Reports, per run, the time to record it and the store's growth; then
the time to diff the last two runs (both snapshots read back from the store, then
classified). Targets (issue 12): record <= 5 s, diff <= 3 s, growth <= 5 MB a run.

The findings come from the synthetic tenant's inventory through the real engine:
collected once through the synthetic transport with no latency and no read budget
(the collection is not what is measured here), judged once; each later run is that
judgement with a seeded few percent of findings changed (status flipped, reason
reworded, resources removed and added) rather than a new collection, so 30 runs take
minutes, not an hour.

    python -m bench --history                      # SQLite (a temp file)
    python -m bench --history --history-target postgresql://user@host/db
    python -m bench --history --history-size 20x500 --history-runs 10
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scanner.findings import Finding, Status

CHANGE_RATE = 0.03
"""Share of the findings whose status or reason changes from one run to the next."""
CHURN_RATE = 0.005
"""Share of the findings whose resource disappears, and as many that appear, per run."""
TARGET_RECORD_S, TARGET_DIFF_S, TARGET_GROWTH_MB = 5.0, 3.0, 5.0
OUT = Path(__file__).resolve().parent / "out" / "history.json"


def judged_findings(size: str, seed: int) -> tuple[list[Finding], Any]:
    """The findings of the synthetic tenant, judged by the engine, and the framework."""
    from bench.synthetic import SyntheticTenant
    from bench.transport import SyntheticTransport
    from scanner.azure.clients import ClientFactory
    from scanner.azure.clouds import get_cloud
    from scanner.azure.credentials import StandInCredential
    from scanner.azure.throttle import ReadBudget
    from scanner.collectors.runner import collect
    from scanner.collectors.specs import SPECS
    from scanner.config import ScanConfig
    from scanner.scan import run_judgement

    subscriptions, resources = (int(x) for x in size.lower().split("x"))
    tenant = SyntheticTenant(subscriptions, resources, seed)
    factory = ClientFactory(get_cloud("commercial"), StandInCredential(),
                            SyntheticTransport(tenant, latency=0.0), ReadBudget(enabled=False))
    kinds = [spec.name for spec in SPECS] + ["regions"]
    inventory = collect(factory, None, 16, kinds=kinds, source="bench")
    inventory.tenant_id = "00000000-0000-0000-0000-00000000be9c"
    result = run_judgement(inventory, ScanConfig(), datetime.now(UTC), "bench")
    return list(result.findings), result


_FLIP = {Status.PASS: Status.FAIL, Status.FAIL: Status.PASS, Status.UNKNOWN: Status.FAIL,
         Status.NOT_APPLICABLE: Status.PASS, Status.MANUAL: Status.MANUAL,
         Status.WAIVED: Status.FAIL}


def next_run(findings: list[Finding], rng: random.Random, run: int) -> list[Finding]:
    """The next run's findings: a few percent changed, some gone, as many new."""
    from scanner.findings import fingerprint

    out = list(findings)
    for index in rng.sample(range(len(out)), int(len(out) * CHANGE_RATE)):
        f = out[index]
        if rng.random() < 0.7:
            out[index] = f._replace(status=_FLIP[f.status])
        else:
            out[index] = f._replace(reason=f"{f.reason} (run {run})")
    # A resource gone and one new in its place: next to it in report order (the engine
    # yields findings in that order, and the store expects it).
    for index in rng.sample(range(len(out)), int(len(out) * CHURN_RATE)):
        f = out[index]
        rid = f"{f.resource_id}-r{run}"
        out[index] = f._replace(resource_id=rid, fingerprint=fingerprint(
            f.requirement_id, f.check_id, rid))
    return out


def result_for(template: Any, findings: list[Finding], started: datetime) -> Any:
    """A ScanResult of `findings` with `template`'s metadata (packed, scored)."""
    from dataclasses import replace

    from scanner.engine import Scoreboard
    from scanner.report import FindingStore, ScanResult

    board = Scoreboard()
    board.extend(findings)
    meta = replace(template.meta, started_at=started, finished_at=started + timedelta(seconds=60))
    return ScanResult(meta=meta, framework=template.framework,
                      findings=FindingStore(template.framework, findings), scoreboard=board,
                      errors=[])


def run(size: str, runs: int, seed: int, target: str | None) -> dict[str, Any]:
    from scanner.history.diff import diff
    from scanner.history.store import HistoryStore

    t0 = time.perf_counter()
    findings, template = judged_findings(size, seed)
    prepared_s = time.perf_counter() - t0
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = target or str(Path(tmp) / "history.sqlite")
        store = HistoryStore(path)
        rows = []
        size_before = store.size_bytes() or 0
        start = datetime(2026, 1, 1, tzinfo=UTC)
        current = findings
        for index in range(runs):
            if index:
                current = next_run(current, rng, index)
            result = result_for(template, current, start + timedelta(days=index))
            t, c = time.perf_counter(), time.process_time()
            run_id = store.record(result, exit_code=1)
            record_s, record_cpu = time.perf_counter() - t, time.process_time() - c
            size_now = store.size_bytes() or 0
            info = store.run(run_id)
            rows.append({"run": index + 1, "findings": len(current), "record_s": record_s,
                         "record_cpu_s": record_cpu,
                         "growth_mb": (size_now - size_before) / 2**20,
                         "store_mb": size_now / 2**20, "new": info.new,
                         "resolved": info.resolved})
            size_before = size_now
            print(f"  run {index + 1:2d}: {len(current):,} findings, record {record_s:.2f} s "
                  f"(CPU {record_cpu:.2f} s), "
                  f"+{rows[-1]['growth_mb']:.2f} MB, store {rows[-1]['store_mb']:.1f} MB, "
                  f"{info.new} newly open, {info.resolved} resolved", flush=True)
        later = store.run(run_id)
        earlier = store.previous(later)
        assert earlier is not None
        t, c = time.perf_counter(), time.process_time()
        changes = store.diff(earlier, later)  # what `cjis-scan diff` does
        diff_s, diff_cpu = time.perf_counter() - t, time.process_time() - c
        t = time.perf_counter()
        full = diff(store.snapshot(earlier), store.snapshot(later), "a", "b",
                    earlier.started_at, later.started_at)
        snapshots_s = time.perf_counter() - t
        assert full.counts() == changes.counts()
        store.close()
    later_rows = rows[1:] or rows
    return {"size": size, "runs": runs, "seed": seed, "backend": "postgresql"
            if target and target.startswith("postgres") else "sqlite",
            "findings": len(findings), "prepare_s": prepared_s, "per_run": rows,
            "record_s_max_after_first": max(r["record_s"] for r in later_rows),
            "record_s_first": rows[0]["record_s"], "record_cpu_s_first": rows[0]["record_cpu_s"],
            "growth_mb_max_after_first": max(r["growth_mb"] for r in later_rows),
            "growth_mb_mean_after_first": sum(r["growth_mb"] for r in later_rows)
            / len(later_rows),
            "record_cpu_s_max_after_first": max(r["record_cpu_s"] for r in later_rows),
            "record_cpu_s_median_after_first": sorted(r["record_cpu_s"] for r in later_rows)[
                len(later_rows) // 2],
            "record_s_median_after_first": sorted(r["record_s"] for r in later_rows)[
                len(later_rows) // 2],
            "store_mb": rows[-1]["store_mb"], "diff_s": diff_s, "diff_cpu_s": diff_cpu,
            "two_snapshots_and_diff_s": snapshots_s,
            "diff_counts": changes.counts()}


def main(args: argparse.Namespace) -> int:
    print(f"history benchmark: {args.history_runs} runs of {args.history_size} "
          f"({'SQLite' if not args.history_target else 'PostgreSQL'}) ...", flush=True)
    result = run(args.history_size, args.history_runs, args.seed, args.history_target)
    print(f"first run: record {result['record_s_first']:.2f} s "
          f"(CPU {result['record_cpu_s_first']:.2f} s) "
          f"(every finding is new); later runs: record <= "
          f"{result['record_s_max_after_first']:.2f} s, growth <= "
          f"{result['growth_mb_max_after_first']:.2f} MB (mean "
          f"{result['growth_mb_mean_after_first']:.2f}); store {result['store_mb']:.1f} MB; "
          f"diff of the last two runs {result['diff_s']:.2f} s (CPU {result['diff_cpu_s']:.2f} s; "
          f"reading both whole snapshots instead: {result['two_snapshots_and_diff_s']:.2f} s) "
          f"{result['diff_counts']}")
    print(f"record after the first run: median {result['record_s_median_after_first']:.2f} s "
          f"(CPU {result['record_cpu_s_median_after_first']:.2f} s), max "
          f"{result['record_s_max_after_first']:.2f} s (CPU "
          f"{result['record_cpu_s_max_after_first']:.2f} s)")
    targets = [("record <= 5 s", max(result["record_s_first"],
                                     result["record_s_max_after_first"]) <= TARGET_RECORD_S),
               ("diff <= 3 s", result["diff_s"] <= TARGET_DIFF_S),
               ("growth <= 5 MB per run", result["growth_mb_max_after_first"]
                <= TARGET_GROWTH_MB)]
    for name, met in targets:
        print(f"{'met' if met else 'missed'}  {name}")
    result["targets"] = [{"target": n, "met": m} for n, m in targets]
    out = args.history_out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--history", action="store_true",
                        help="run the history benchmark (bench/history.py) instead")
    parser.add_argument("--history-size", default="100x500")
    parser.add_argument("--history-runs", type=int, default=30)
    parser.add_argument("--history-target", default=None,
                        help="a postgresql:// URL (default: a temporary SQLite file)")
    parser.add_argument("--history-out", type=Path, default=OUT)
