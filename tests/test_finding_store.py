"""FindingStore (packed findings read back in report order) and the Scoreboard's counts."""

from __future__ import annotations

import logging
import pickle
import random
import tracemalloc
from datetime import UTC, datetime
from itertools import islice

import pytest

import scanner.finding_store
from scanner.config import ScanConfig
from scanner.engine import Scoreboard
from scanner.finding_store import FindingStore, report_rank
from scanner.findings import Finding, Severity, Status
from scanner.registry import judged_framework
from scanner.scan import run_judgement
from tests.reporters.conftest import sample_findings, synthetic_findings


def report_key(finding: Finding) -> tuple[object, ...]:
    """The report order, computed independently of the store's bookkeeping."""
    rank = report_rank(judged_framework())
    return (rank(finding.step, finding.requirement_id, finding.check_id),
            finding.resource_id.lower(), finding.fingerprint)


def test_reads_back_every_finding_in_order_as_often_as_asked() -> None:
    findings = list(synthetic_findings(2_500))
    store = FindingStore(judged_framework(), findings, batch_size=100)
    assert len(store) == 2_500 and store and store.appended_in_order
    assert list(store) == findings
    assert list(store) == findings  # a second pass reads the same
    assert store.packed_bytes > 0


def test_empty_store() -> None:
    store = FindingStore(judged_framework())
    assert len(store) == 0 and not store and list(store) == []


def test_out_of_order_findings_are_read_in_report_order(caplog: pytest.LogCaptureFixture,
                                                       ) -> None:
    findings = [*synthetic_findings(300), *sample_findings()]
    shuffled = findings[:]
    random.Random(7).shuffle(shuffled)
    store = FindingStore(judged_framework(), shuffled, batch_size=64)
    assert not store.appended_in_order
    with caplog.at_level(logging.INFO, logger="scanner.finding_store"):
        first = list(store)
    assert first == sorted(findings, key=report_key)
    assert "not added in report order" in caplog.text
    assert store.appended_in_order  # sorted once, then read as is
    assert list(store) == first


def test_appending_after_a_read() -> None:
    findings = list(synthetic_findings(250))
    store = FindingStore(judged_framework(), findings[:120], batch_size=50)
    assert list(store) == findings[:120]
    store.extend(findings[120:])
    assert list(store) == findings and len(store) == 250


def test_select_reads_only_the_batches_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    findings = list(synthetic_findings(3_000))
    store = FindingStore(judged_framework(), findings, batch_size=100)
    unpacked = []
    real_loads = pickle.loads
    monkeypatch.setattr(scanner.finding_store.pickle, "loads",
                        lambda data: unpacked.append(1) or real_loads(data))
    check = findings[1_500].check_id
    assert list(store.select(checks=[check])) == [f for f in findings if f.check_id == check]
    assert 0 < len(unpacked) <= 3  # ~73 findings a check: one or two batches, not 30

    wanted = {"step": "2", "severity": Severity.HIGH, "status": Status.FAIL}
    selected = list(store.select(steps=["2"], severities=[Severity.HIGH],
                                 statuses=[Status.FAIL]))
    assert selected == [f for f in findings if (f.step, f.severity, f.status)
                        == tuple(wanted.values())]
    assert list(store.select(statuses=[Status.MANUAL, Status.WAIVED])) == [
        f for f in findings if f.status in (Status.MANUAL, Status.WAIVED)]


def test_values_of_a_rule_are_shared_not_copied() -> None:
    store = FindingStore(judged_framework(), synthetic_findings(400), batch_size=50)
    by_check: dict[str, Finding] = {}
    for finding in store:
        first = by_check.setdefault(finding.check_id, finding)
        assert finding.controls is first.controls
        assert finding.title is first.title
        assert finding.remediation is first.remediation


def test_memory_does_not_grow_with_the_findings() -> None:
    count = 60_000
    tracemalloc.start()
    try:
        store = FindingStore(judged_framework(), synthetic_findings(count))
        held, peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        assert sum(1 for _ in islice(store, 10_000)) == 10_000  # ten batches
        reading = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        as_objects = list(synthetic_findings(count // 10))
        per_ten = tracemalloc.get_traced_memory()[0] - before
        del as_objects
    finally:
        tracemalloc.stop()
    mb = 2**20
    # Packed: ~37 bytes a finding; the rest is one batch in the making, a fixed cost.
    assert store.packed_bytes < 60 * count
    assert peak < store.packed_bytes + 4 * mb, (peak / mb, store.packed_bytes / mb)
    assert held < store.packed_bytes + 1 * mb
    assert reading < 4 * mb  # one batch unpacked at a time
    # The same findings as objects in a list: ~1 KB each, over 10x the store's peak.
    assert per_ten * 10 > 10 * peak, (per_ten * 10 / mb, peak / mb)


def test_scoreboard_counts_what_the_reports_show() -> None:
    board = Scoreboard()
    findings = sample_findings()
    board.extend(findings)
    assert board.findings == len(findings) == 11
    assert board.overall.counts == {"pass": 3, "fail": 3, "unknown": 2,
                                    "not_applicable": 1, "manual": 1, "waived": 1}
    assert board.failing == {"critical": 1, "high": 2, "medium": 0, "low": 0, "info": 0}
    assert board.steps["1"].failing["high"] == 1 and board.steps["2"].failing["critical"] == 1
    assert sum(board.by_severity.values()) == 11
    assert board.by_subscription == {"00000000-0000-0000-0000-00000000aaaa": 10, "": 1}
    assert board.failing_at_least(Severity.CRITICAL) == 1
    assert board.failing_at_least(Severity.HIGH) == 3
    assert board.failing_at_least(Severity.INFO) == 3


def test_judgement_packs_the_demo_in_report_order() -> None:
    from scanner.sources import Source, load_inventory

    inventory = load_inventory(Source(demo=True), "commercial", [], 4)
    result = run_judgement(inventory, ScanConfig(), datetime(2026, 1, 2, tzinfo=UTC), "demo")
    store = result.findings
    assert store.appended_in_order  # the engine's order: nothing to sort
    findings = list(store)
    assert findings == sorted(findings, key=report_key)
    assert len(findings) == result.scoreboard.findings > 100
    recount = Scoreboard()
    recount.extend(findings)
    assert recount == result.scoreboard
