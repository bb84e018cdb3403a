"""The coordinator's scheduling: urgent reads first, never more than `concurrency` at once."""

from __future__ import annotations

import threading
import time

from scanner.collectors.runner import Collection, Task, run_tasks
from tests.conftest import factory_for


def _recording(order: list[str], lock: threading.Lock):  # type: ignore[no-untyped-def]
    def task(name: str, then: list[Task] | None = None, urgent: bool = False) -> Task:
        def run(collection: Collection) -> list[Task]:
            with lock:
                order.append(name)
            return then or []

        return Task("test", name, run, "none", urgent=urgent)

    return task


def test_an_urgent_follow_up_runs_before_tasks_already_waiting() -> None:
    order: list[str] = []
    task = _recording(order, threading.Lock())
    page = task("page-1", then=[task("follow-up-1"), task("follow-up-2"),
                                task("page-2", urgent=True)])
    run_tasks(Collection(factory_for([])), [page, task("list-a"), task("list-b")],
              concurrency=1)
    assert order == ["page-1", "page-2", "list-a", "list-b", "follow-up-1", "follow-up-2"]


def test_at_most_concurrency_tasks_are_in_the_pool_at_once() -> None:
    lock = threading.Lock()
    running, peak = 0, 0

    def run(collection: Collection) -> list[Task]:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.002)
        with lock:
            running -= 1
        return []

    tasks = [Task("test", str(i), run, "none") for i in range(200)]
    run_tasks(Collection(factory_for([])), tasks, concurrency=4)
    assert peak == 4
