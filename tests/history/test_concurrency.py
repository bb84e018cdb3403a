"""Two (here four) jobs writing one history at once never corrupt it.

Each writer is a separate process recording runs whose findings differ from writer to
writer and run to run; afterwards every run's snapshot must be exactly what its writer
recorded, and every finding's states must form non-overlapping intervals with at most
one current state. Two of the writers scan another tenant (a series created in a race).
"""

from __future__ import annotations

import multiprocessing
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from scanner.findings import Status
from scanner.history import schema
from scanner.history.store import HistoryStore
from tests.history.conftest import f, run_at

WRITERS = 4
RUNS = 4
STATUSES = (Status.PASS, Status.FAIL, Status.UNKNOWN)


def findings_of(writer: int, run: int) -> list[Any]:
    # 30 resources; which exist and their statuses depend on the writer and the run.
    return [f(f"r{i}", STATUSES[(i * (writer + 1) + run) % 3], reason=f"w{writer} r{run}")
            for i in range(30) if (i + writer + run) % 7]


def tenant_of(writer: int) -> str:
    return "00000000-0000-0000-0000-0000000000t1" if writer % 2 else \
        "00000000-0000-0000-0000-0000000000t2"


def writer_main(target: str, writer: int, out: Any) -> None:
    recorded = []
    for run in range(RUNS):
        store = HistoryStore(target)
        findings = findings_of(writer, run)
        run_id = store.record(run_at(findings, day=run, tenant_id=tenant_of(writer)), 1)
        recorded.append((run_id, {x.fingerprint: (x.status.value, x.reason)
                                  for x in findings}))
        store.close()
    out.put(recorded)


def test_concurrent_writers_never_corrupt(target: str) -> None:
    HistoryStore(target).close()  # created once; the writers race on the series and runs
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    procs = [context.Process(target=writer_main, args=(target, w, queue))
             for w in range(WRITERS)]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    expected = {run_id: snapshot for recorded in results for run_id, snapshot in recorded}
    store = HistoryStore(target)
    runs = {r.id: r for r in store.runs()}
    assert sorted(runs) == sorted(expected) and len(runs) == WRITERS * RUNS
    assert len({r.series_id for r in runs.values()}) == 2
    for run_id, snapshot in expected.items():
        got = store.snapshot(runs[run_id])
        assert {k: (v.status, v.reason) for k, v in got.items()} == snapshot, run_id
    with store.engine.connect() as conn:
        rows = conn.execute(select(schema.states.c.series_id, schema.states.c.fingerprint,
                                   schema.states.c.from_run, schema.states.c.to_run)).all()
    intervals: dict[tuple[int, str], list[tuple[int, int | None]]] = defaultdict(list)
    for series_id, fp, start, end in rows:
        intervals[(series_id, fp)].append((start, end))
    for spans in intervals.values():
        spans.sort()
        assert sum(1 for _, end in spans if end is None) <= 1
        for (start, end), (next_start, _) in zip(spans, spans[1:], strict=False):
            assert end is not None and start < end <= next_start
    store.close()
