"""The history store: open (and migrate) a SQLite file or a PostgreSQL URL, record runs,
read snapshots back, list and prune runs. Same SQLAlchemy Core code for both back ends.

Writers are serialised per store: SQLite takes its write lock when the transaction
begins (`BEGIN IMMEDIATE`, waiting up to `LOCK_TIMEOUT` seconds for another writer);
PostgreSQL locks the series row (`SELECT ... FOR UPDATE`) before the run row is
inserted, so run ids increase in recording order within a series. Every failure to
open, read or write becomes a `HistoryError` (exit code 2) with the target named and
any password hidden.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic_core import to_json
from sqlalchemy import and_, delete, func, inspect, select
from sqlalchemy.engine import Connection

from scanner.history import schema as s
from scanner.history.connect import (
    LOCK_TIMEOUT,
    HistoryError,
    check_sqlite_file,
    engine_url,
    guarded,
    make_engine,
)
from scanner.history.diff import OPEN, Diff, Snapshot
from scanner.history.records import CHUNK, RunInfo, chunks, utc
from scanner.report import ScanResult

__all__ = ["CHUNK", "HistoryStore", "RunInfo", "chunks", "utc"]

def evidence_digest(evidence: dict[str, Any]) -> str:
    """A short, stable digest of a finding's evidence (what changed, not the evidence)."""
    return hashlib.sha256(to_json(evidence)).hexdigest()[:32]


def boundary_key(boundary: dict[str, Any]) -> str:
    """The series key of a boundary: the same selection -> the same key, in any order."""
    canonical = json.dumps({k: sorted(v) if isinstance(v, list) else v
                            for k, v in sorted(boundary.items())}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


class HistoryStore:
    """A history target, opened: its schema checked (migrated forward if older)."""

    def __init__(self, target: str, lock_timeout: float = LOCK_TIMEOUT) -> None:
        url, self.label = engine_url(target)
        self.lock_timeout = lock_timeout
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            check_sqlite_file(Path(url.removeprefix("sqlite:///")))
        self.engine = make_engine(url, lock_timeout)
        with self.guard("open"):
            self._migrate()

    def guard(self, action: str) -> AbstractContextManager[None]:
        """Database errors during `action` -> HistoryError naming this target."""
        return guarded(self.label, self.lock_timeout, action)

    def _migrate(self) -> None:
        with self.engine.connect().execution_options(cjis_write=True) as conn, conn.begin():
            tables = set(inspect(conn).get_table_names())
            version = 0
            if s.schema_info.name in tables:
                rows = dict(conn.execute(select(s.schema_info.c.key, s.schema_info.c.value)).all())
                if rows.get("application") != s.APPLICATION:
                    raise HistoryError(f"history {self.label} is not a cjis-scan history")
                version = int(rows.get("schema_version", "0"))
            elif tables & set(s.metadata.tables):
                raise HistoryError(f"history {self.label} has cjis-scan tables but no schema "
                                   f"version: it is damaged; restore it or start another")
            elif self.sqlite and tables:
                raise HistoryError(f"history {self.label} is another application's SQLite "
                                   f"database (tables: {', '.join(sorted(tables)[:5])}): "
                                   f"give another --history")
            if version > s.SCHEMA_VERSION:
                raise HistoryError(
                    f"history {self.label} has schema version {version}, written by a newer "
                    f"cjis-scan; this one ({_tool_version()}) reads up to version "
                    f"{s.SCHEMA_VERSION}: upgrade cjis-scan")
            for step in range(version + 1, s.SCHEMA_VERSION + 1):
                s.MIGRATIONS[step](conn)
            if version < s.SCHEMA_VERSION:
                conn.execute(delete(s.schema_info))
                conn.execute(s.schema_info.insert(), [
                    {"key": "application", "value": s.APPLICATION},
                    {"key": "schema_version", "value": str(s.SCHEMA_VERSION)}])

    @property
    def schema_version(self) -> int:
        with self.guard("read"), self.engine.connect() as conn:
            value = conn.execute(select(s.schema_info.c.value).where(
                s.schema_info.c.key == "schema_version")).scalar_one()
        return int(value)

    def close(self) -> None:
        self.engine.dispose()

    # --- recording ------------------------------------------------------------------

    def _series_id(self, conn: Connection, tenant: str, cloud: str, framework: str,
                   boundary: dict[str, Any], create: bool) -> int | None:
        key = boundary_key(boundary)
        where = and_(s.series.c.tenant_id == tenant, s.series.c.cloud == cloud,
                     s.series.c.framework == framework, s.series.c.boundary_key == key)
        query = select(s.series.c.id).where(where)
        if not self.sqlite and create:
            query = query.with_for_update()
        found = conn.execute(query).scalar_one_or_none()
        if found is not None or not create:
            return found
        insert = _dialect_insert(conn)(s.series)
        conn.execute(insert.values(tenant_id=tenant, cloud=cloud, framework=framework,
                                   boundary_key=key, boundary=json.dumps(boundary, sort_keys=True)
                                   ).on_conflict_do_nothing())
        return int(conn.execute(query).scalar_one())

    def series_of(self, result: ScanResult) -> int | None:
        """The series `result` belongs to, if any run of it was recorded."""
        meta = result.meta
        with self.guard("read"), self.engine.connect() as conn:
            return self._series_id(conn, _tenant(meta.tenant_id), meta.cloud,
                                   meta.framework_id, meta.boundary, create=False)

    def record(self, result: ScanResult, exit_code: int, attested: int = 0) -> int:
        """Record `result` as the newest run of its series; returns the run id.

        Only the findings whose status, severity, reason or evidence changed since the
        series' current states get a new state row; the states of findings gone from
        this run are closed.
        """
        meta = result.meta
        now = datetime.now(UTC)
        with self.guard("record a run in"), \
                self.engine.connect().execution_options(cjis_write=True) as conn, conn.begin():
            series_id = self._series_id(conn, _tenant(meta.tenant_id), meta.cloud,
                                        meta.framework_id, meta.boundary, create=True)
            assert series_id is not None
            board = result.scoreboard
            run_id = int(conn.execute(s.runs.insert().values(
                series_id=series_id, started_at=meta.started_at, finished_at=meta.finished_at,
                collected_at=meta.collected_at, recorded_at=now,
                tool_version=meta.tool_version, profile=meta.profile, source=meta.source[:300],
                input_sha256=meta.input_sha256, exit_code=exit_code,
                findings=len(result.findings), counts=json.dumps(dict(board.overall.counts)),
                steps=json.dumps({k: dict(v.counts) for k, v in board.steps.items()}),
                new=0, resolved=0, attested=attested,
            ).returning(s.runs.c.id)).scalar_one())
            current: dict[str, tuple[str, str, str, str]] = {}
            since: dict[str, int] = {}  # the current state's from_run: its exact key
            for fp, start, status, severity, reason, digest in conn.execute(select(
                    s.states.c.fingerprint, s.states.c.from_run, s.states.c.status,
                    s.states.c.severity, s.states.c.reason, s.states.c.evidence_digest).where(
                    s.states.c.series_id == series_id, s.states.c.to_run.is_(None))):
                current[fp] = (status, severity, reason, digest)
                since[fp] = start
            new_findings: list[dict[str, Any]] = []
            new_states: list[dict[str, Any]] = []
            closing: list[str] = []
            new_open = resolved = 0
            seen: set[str] = set()
            for f in result.findings:
                fp = f.fingerprint
                if fp in seen:  # one state per finding and run (the first, as reports show)
                    continue
                seen.add(fp)
                state = (f.status.value, f.severity.value, f.reason,
                         evidence_digest(f.evidence) if f.evidence else "")
                old = current.pop(fp, None)
                if old == state:
                    continue
                if old is not None:
                    closing.append(fp)
                # Newly open (first seen open, or open again) and newly closed: the trend.
                was_open = old is not None and old[0] in OPEN
                if state[0] in OPEN and not was_open:
                    new_open += 1
                elif was_open and state[0] not in OPEN:
                    resolved += 1
                if old is None:  # first seen, or back after a gap (known: below)
                    new_findings.append({
                        "series_id": series_id, "fingerprint": fp, "resource_id": f.resource_id,
                        "check_id": f.check_id, "requirement_id": f.requirement_id,
                        "step": f.step, "first_seen_run": run_id,
                        "first_seen_at": meta.started_at})
                new_states.append({"series_id": series_id, "fingerprint": fp,
                                   "from_run": run_id, "to_run": None, "status": state[0],
                                   "severity": state[1], "reason": state[2],
                                   "evidence_digest": state[3]})
            # What is left of `current` is gone from this run.
            resolved += sum(1 for old in current.values() if old[0] in OPEN)
            closing.extend(current)
            self._close_states(conn, series_id, run_id, [(fp, since[fp]) for fp in closing])
            # In primary-key order: B-tree appends rather than inserts all over the tree
            # (a first run writes every finding).
            new_findings.sort(key=_by_fingerprint)
            new_states.sort(key=_by_fingerprint)
            known = self._known(conn, series_id, [row["fingerprint"] for row in new_findings])
            for rows in chunks([r for r in new_findings if r["fingerprint"] not in known]):
                conn.execute(s.findings.insert(), rows)
            for rows in chunks(new_states):
                conn.execute(s.states.insert(), rows)
            conn.execute(s.runs.update().where(s.runs.c.id == run_id).values(
                new=new_open, resolved=resolved))
        return run_id

    def _known(self, conn: Connection, series_id: int, fingerprints: list[str]) -> set[str]:
        """Which of `fingerprints` the series has seen before (a finding back after a gap);
        on a first run, none: no query."""
        has_any = conn.execute(select(s.findings.c.fingerprint).where(
            s.findings.c.series_id == series_id).limit(1)).first()
        if has_any is None:
            return set()
        found: set[str] = set()
        for chunk in chunks(fingerprints, 500):
            found.update(conn.execute(select(s.findings.c.fingerprint).where(
                s.findings.c.series_id == series_id,
                s.findings.c.fingerprint.in_(chunk))).scalars())
        return found

    def _close_states(self, conn: Connection, series_id: int, run_id: int,
                      keys: list[tuple[str, int]]) -> None:
        """End the states (fingerprint, from_run) at `run_id`, each by its unique key (a
        planner choosing the current-states index instead would scan every open state
        for each update)."""
        from sqlalchemy import bindparam

        update = s.states.update().where(
            s.states.c.series_id == series_id, s.states.c.fingerprint == bindparam("fp"),
            s.states.c.from_run == bindparam("start")).values(to_run=run_id)
        for chunk in chunks(keys):
            conn.execute(update, [{"fp": fp, "start": start} for fp, start in chunk])

    # --- reading --------------------------------------------------------------------

    def runs(self, tenant: str | None = None, series_id: int | None = None,
             limit: int | None = None) -> list[RunInfo]:
        """Recorded runs, newest first."""
        query = select(s.runs, s.series.c.tenant_id, s.series.c.boundary).join(
            s.series, s.series.c.id == s.runs.c.series_id).order_by(s.runs.c.id.desc())
        if tenant is not None:
            query = query.where(s.series.c.tenant_id == tenant.lower())
        if series_id is not None:
            query = query.where(s.runs.c.series_id == series_id)
        if limit is not None:
            query = query.limit(limit)
        with self.guard("read"), self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [RunInfo(
            id=r["id"], series_id=r["series_id"], tenant_id=r["tenant_id"],
            boundary=json.loads(r["boundary"]), started_at=utc(r["started_at"]) or r["started_at"],
            collected_at=utc(r["collected_at"]), source=r["source"],
            input_sha256=r["input_sha256"], profile=r["profile"], exit_code=r["exit_code"],
            findings=r["findings"], counts=json.loads(r["counts"]), steps=json.loads(r["steps"]),
            new=r["new"], resolved=r["resolved"], attested=r["attested"]) for r in rows]

    def run(self, run_id: int) -> RunInfo:
        """One run by id; HistoryError if there is none."""
        with self.guard("read"), self.engine.connect() as conn:
            series_id = conn.execute(select(s.runs.c.series_id).where(
                s.runs.c.id == run_id)).scalar_one_or_none()
        if series_id is None:
            raise HistoryError(f"history {self.label} has no run {run_id} "
                               f"(see `cjis-scan history list`)")
        return next(r for r in self.runs(series_id=series_id) if r.id == run_id)

    def previous(self, run: RunInfo) -> RunInfo | None:
        """The run of the same series recorded just before `run`."""
        earlier = [r for r in self.runs(series_id=run.series_id) if r.id < run.id]
        return earlier[0] if earlier else None

    def snapshot(self, run: RunInfo) -> Snapshot:
        """Every finding of `run` (scanner.history.reading.snapshot)."""
        from scanner.history.reading import snapshot

        return snapshot(self, run)

    def diff(self, earlier: RunInfo, later: RunInfo) -> Diff:
        """What changed from `earlier` to `later` (scanner.history.reading.diff_runs)."""
        from scanner.history.reading import diff_runs

        return diff_runs(self, earlier, later)

    def prune(self, keep: int | None = None, older_than: datetime | None = None) -> int:
        """Delete old runs (scanner.history.prune.prune); returns how many."""
        from scanner.history.prune import prune

        return prune(self, keep, older_than)

    def size_bytes(self) -> int | None:
        """The store's size on disk (SQLite file; PostgreSQL: the cjis_ tables)."""
        with self.guard("read"), self.engine.connect() as conn:
            if self.sqlite:
                pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
                size = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
                return int(pages) * int(size)
            total = 0
            for table in s.metadata.tables:
                total += int(conn.execute(func.pg_total_relation_size(table)).scalar_one())
            return total


def _by_fingerprint(row: dict[str, Any]) -> str:
    return str(row["fingerprint"])


def _tenant(tenant_id: str | None) -> str:
    return (tenant_id or "unknown").lower()


def _dialect_insert(conn: Connection) -> Any:
    """The dialect's INSERT (both have ON CONFLICT DO NOTHING)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def _tool_version() -> str:
    from scanner import __version__

    return __version__
