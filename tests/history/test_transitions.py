"""Recording runs and diffing them: every state transition, on both back ends."""

from __future__ import annotations

from sqlalchemy import func, select

from scanner.findings import Severity, Status
from scanner.history import schema
from scanner.history.diff import diff
from scanner.history.store import HistoryStore
from tests.history.conftest import f, run_at

BEFORE = [
    f("new-later", Status.PASS),          # stays pass: unchanged
    f("regress", Status.PASS),            # pass -> fail: regressed
    f("unknown-to-fail", Status.UNKNOWN),  # unknown -> fail: regressed
    f("fixed", Status.FAIL),              # fail -> pass: resolved (passed)
    f("gone", Status.FAIL),               # absent later: resolved (gone)
    f("na", Status.UNKNOWN),              # -> not_applicable: resolved
    f("waived", Status.FAIL),             # -> waived: improved
    f("fail-to-unknown", Status.FAIL),    # still open: changed
    f("severity", Status.FAIL, severity=Severity.HIGH),  # severity changed: updated
    f("reason", Status.FAIL, "old reason"),              # reason changed: updated
    f("evidence", Status.FAIL, evidence={"v": 1}),       # only evidence: unchanged
]
AFTER = [
    f("new-later", Status.PASS),
    f("regress", Status.FAIL),
    f("unknown-to-fail", Status.FAIL),
    f("fixed", Status.PASS),
    f("na", Status.NOT_APPLICABLE),
    f("waived", Status.WAIVED),
    f("fail-to-unknown", Status.UNKNOWN),
    f("severity", Status.FAIL, severity=Severity.CRITICAL),
    f("reason", Status.FAIL, "new reason"),
    f("evidence", Status.FAIL, evidence={"v": 2}),
    f("brand-new", Status.FAIL),          # first seen failing: new
    f("brand-new-pass", Status.PASS),     # first seen passing: changed
]


def names(changes: list) -> list[str]:  # type: ignore[type-arg]
    return sorted(c.entry.resource_id.rsplit("/", 1)[-1] for c in changes)


def recorded(target: str) -> tuple[HistoryStore, int, int]:
    store = HistoryStore(target)
    first = store.record(run_at(BEFORE, day=0), exit_code=1)
    second = store.record(run_at(AFTER, day=3), exit_code=1)
    return store, first, second


def test_each_transition_is_classified(target: str) -> None:
    store, first, second = recorded(target)
    a, b = store.run(first), store.run(second)
    result = diff(store.snapshot(a), store.snapshot(b), "a", "b", a.started_at, b.started_at)
    assert names(result.of("new")) == ["brand-new"]
    assert names(result.of("regressed")) == ["regress", "unknown-to-fail"]
    assert names(result.of("resolved")) == ["fixed", "gone", "na"]
    assert {c.entry.resource_id.rsplit("/", 1)[-1]: c.resolution
            for c in result.of("resolved")} == {"fixed": "passed", "gone": "gone",
                                                 "na": "not_applicable"}
    assert names(result.of("improved")) == ["waived"]
    assert names(result.of("changed")) == ["brand-new-pass", "fail-to-unknown"]
    assert names(result.of("updated")) == ["reason", "severity"]
    # Same status in both: new-later, evidence, severity, reason.
    assert result.unchanged == 4
    gone = next(c for c in result.of("resolved") if c.resolution == "gone")
    assert gone.after is None and gone.before is not None and gone.before.status == "fail"
    store.close()


def test_first_seen_last_seen_and_age(target: str) -> None:
    store, first, second = recorded(target)
    a, b = store.run(first), store.run(second)
    result = diff(store.snapshot(a), store.snapshot(b), "a", "b", a.started_at, b.started_at)
    (regressed,) = [c for c in result.of("regressed") if "regress" in c.entry.resource_id
                    and "unknown" not in c.entry.resource_id]
    assert regressed.first_seen == a.started_at and regressed.last_seen == b.started_at
    assert regressed.age_days == 3
    (new,) = result.of("new")
    assert new.first_seen == b.started_at and new.age_days == 0
    (gone,) = [c for c in result.of("resolved") if c.resolution == "gone"]
    assert gone.last_seen == a.started_at
    store.close()


def test_run_counts_new_and_resolved(target: str) -> None:
    store, first, second = recorded(target)
    runs = {r.id: r for r in store.runs()}
    assert runs[first].new == 9 and runs[first].resolved == 0  # every open finding
    # Newly open: brand-new, regress (pass -> fail); closed: fixed, gone, na, waived.
    assert (runs[second].new, runs[second].resolved) == (2, 4)
    assert runs[second].counts["fail"] == 6 and runs[second].findings == len(AFTER)
    store.close()


def test_only_what_changed_is_stored(target: str) -> None:
    store, _, _ = recorded(target)
    with store.engine.connect() as conn:
        states = conn.execute(select(func.count()).select_from(schema.states)).scalar_one()
        findings = conn.execute(select(func.count()).select_from(schema.findings)).scalar_one()
    # 11 first states; run 2 adds one per finding that changed (9) or appeared (2):
    # `new-later` is identical, `gone` only has its state closed.
    assert states == 11 + 9 + 2 - 0 and findings == 13
    store.record(run_at(AFTER, day=4), exit_code=1)  # nothing changed
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.states)).scalar_one() \
            == states
    store.close()


def test_snapshot_of_an_older_run_is_that_run(target: str) -> None:
    store, first, second = recorded(target)
    store.record(run_at(BEFORE, day=5), exit_code=1)  # back to the first state
    old = store.snapshot(store.run(first))
    assert {k: v.status for k, v in old.items()} == {x.fingerprint: x.status.value
                                                      for x in BEFORE}
    middle = store.snapshot(store.run(second))
    assert {k: (v.status, v.severity, v.reason) for k, v in middle.items()} == {
        x.fingerprint: (x.status.value, x.severity.value, x.reason) for x in AFTER}
    store.close()


def test_a_finding_open_before_is_flagged_for_reopening(target: str) -> None:
    store = HistoryStore(target)
    store.record(run_at([f("x", Status.FAIL)], 0), 1)
    store.record(run_at([f("x", Status.PASS)], 1), 0)
    third = store.record(run_at([f("x", Status.FAIL)], 2), 1)
    second = store.previous(store.run(third))
    assert second is not None
    (entry,) = store.snapshot(second).values()
    assert entry.status == "pass" and entry.was_open
    store.close()


def test_the_store_diff_is_the_snapshot_diff(target: str) -> None:
    """store.diff reads states, not snapshots: the same answer, also across runs between."""
    store, first, second = recorded(target)
    third = store.record(run_at(BEFORE, day=4), exit_code=1)
    fourth = store.record(run_at(AFTER[:-3], day=6), exit_code=1)
    for a, b in ((first, second), (first, fourth), (second, third), (first, third)):
        ra, rb = store.run(a), store.run(b)
        fast = store.diff(ra, rb)
        slow = diff(store.snapshot(ra), store.snapshot(rb), "", "", ra.started_at,
                    rb.started_at)
        assert fast.counts() == slow.counts(), (a, b)
        for kind, changes in slow.changes.items():
            assert [(c.fingerprint, c.resolution, c.first_seen, c.age_days) for c in changes] \
                == [(c.fingerprint, c.resolution, c.first_seen, c.age_days)
                    for c in fast.of(kind)], (a, b, kind)
    assert store.diff(store.run(first), store.run(third)).counts()["unchanged"] == len(BEFORE)
    store.close()


def test_a_finding_twice_in_one_run_is_recorded_once(target: str) -> None:
    store = HistoryStore(target)
    run_id = store.record(run_at([f("a", Status.FAIL), f("a", Status.FAIL)]), 1)
    assert len(store.snapshot(store.run(run_id))) == 1
    store.close()
