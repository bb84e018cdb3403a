"""Reading runs back: one run's snapshot, and the diff of two runs straight from the states.

`diff_runs` never builds two full snapshots: it reads the states valid at either run in
one query (`from_run <= later` and still valid after `earlier`). A finding whose one
state covers both runs is unchanged, and is only counted; the facts (resource, check,
first seen) are then read for the few findings that did change, and only those are
classified by `scanner.history.diff.diff`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from scanner.history import schema as s
from scanner.history.diff import OPEN, Diff, Entry, Snapshot, diff
from scanner.history.records import RunInfo, Store, chunks, utc

IN_CHUNK = 500
"""Fingerprints per `IN (...)` list (well under SQLite's parameter limit)."""


Facts = tuple[str, str, str, str, "datetime | None"]
"""resource_id, check_id, requirement_id, step, first seen."""


def _entry(state: tuple[str, str, str], fact: Facts, was_open: bool) -> Entry:
    resource_id, check_id, requirement_id, step, first_seen = fact
    return Entry(*state, resource_id, check_id, requirement_id, step, first_seen, was_open)


def _facts(conn: Connection, series_id: int, fingerprints: Collection[str] | None
           ) -> dict[str, Facts]:
    """fingerprint -> (resource_id, check_id, requirement_id, step, first seen time)."""
    fi, ru = s.findings, s.runs
    times = {rid: utc(at) for rid, at in conn.execute(
        select(ru.c.id, ru.c.started_at).where(ru.c.series_id == series_id))}
    columns = (fi.c.fingerprint, fi.c.resource_id, fi.c.check_id, fi.c.requirement_id,
               fi.c.step, fi.c.first_seen_run)
    base = select(*columns).where(fi.c.series_id == series_id)
    if fingerprints is None:
        rows = list(conn.execute(base))
    else:
        rows = [row for chunk in chunks(sorted(fingerprints), IN_CHUNK)
                for row in conn.execute(base.where(fi.c.fingerprint.in_(chunk)))]
    facts = {row[0]: (*row[1:5], times.get(row[5])) for row in rows}
    # First seen in a run since pruned: its own recorded time (parsed for these only).
    pruned = [fp for fp, fact in facts.items() if fact[4] is None]
    for chunk in chunks(pruned, IN_CHUNK):
        for fp, at in conn.execute(select(fi.c.fingerprint, fi.c.first_seen_at).where(
                fi.c.series_id == series_id, fi.c.fingerprint.in_(chunk))):
            facts[fp] = (*facts[fp][:4], utc(at))
    return facts


def _was_open(conn: Connection, series_id: int, before_run: int,
              fingerprints: Collection[str] | None) -> set[str]:
    """Fingerprints with an open state that ended at or before `before_run`."""
    st = s.states
    query = select(st.c.fingerprint).where(
        st.c.series_id == series_id, st.c.to_run.is_not(None), st.c.to_run <= before_run,
        st.c.status.in_(sorted(OPEN))).distinct()
    found = set(conn.execute(query).scalars())
    return found if fingerprints is None else found & set(fingerprints)


def snapshot(store: Store, run: RunInfo) -> Snapshot:
    """Every finding of `run`: its state then, when it was first seen, and whether it had
    been open in an earlier run."""
    st = s.states
    valid = select(st.c.fingerprint, st.c.status, st.c.severity, st.c.reason).where(
        st.c.series_id == run.series_id, st.c.from_run <= run.id,
        or_(st.c.to_run.is_(None), st.c.to_run > run.id))
    with store.guard("read"), store.engine.connect() as conn:
        states = conn.execute(valid).all()
        facts = _facts(conn, run.series_id, None)
        was_open = _was_open(conn, run.series_id, run.id, None)
    return {fp: _entry((status, severity, reason), facts[fp], fp in was_open)
            for fp, status, severity, reason in states}


def diff_runs(store: Store, earlier: RunInfo, later: RunInfo) -> Diff:
    """What changed from `earlier` to `later` (two runs of one series)."""
    st = s.states
    a, b = earlier.id, later.id
    either = select(st.c.fingerprint, st.c.from_run, st.c.to_run, st.c.status, st.c.severity,
                    st.c.reason).where(
        st.c.series_id == later.series_id, st.c.from_run <= b,
        or_(st.c.to_run.is_(None), st.c.to_run > a))
    before: dict[str, tuple[str, str, str]] = {}
    after: dict[str, tuple[str, str, str]] = {}
    same = 0
    with store.guard("diff runs of"), store.engine.connect() as conn:
        for fp, start, end, status, severity, reason in conn.execute(either):
            at_a = start <= a
            at_b = end is None or end > b
            if at_a and at_b:
                same += 1  # one state over both runs: unchanged in every respect
            elif at_a:
                before[fp] = (status, severity, reason)
            elif at_b:
                after[fp] = (status, severity, reason)
            # else: a state that began and ended between the two runs
        changed = before.keys() | after.keys()
        facts = _facts(conn, later.series_id, changed)
        # Open at some run up to `later` (between the two too): a failure is then reopened.
        was_open = _was_open(conn, later.series_id, b, changed)

    def entries(side: dict[str, tuple[str, str, str]], flagged: set[str]) -> Snapshot:
        return {fp: _entry(state, facts[fp], fp in flagged) for fp, state in side.items()}

    result = diff(entries(before, was_open), entries(after, set()), f"run {a}", f"run {b}",
                  earlier.started_at, later.started_at)
    result.unchanged += same
    return result
