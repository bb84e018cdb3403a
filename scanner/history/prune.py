"""Pruning a history: delete old runs and the states no remaining run needs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from scanner.history import schema as s
from scanner.history.records import Store, utc


def prune(store: Store, keep: int | None = None,
          older_than: datetime | None = None) -> int:
    """Delete runs beyond the newest `keep` of each series, or started before
    `older_than` (the newest run of a series is always kept); returns how many."""
    deleted = 0
    with store.guard("prune"), \
            store.engine.connect().execution_options(cjis_write=True) as conn, conn.begin():
        series_ids = list(conn.execute(select(s.series.c.id)).scalars())
        for series_id in series_ids:
            ids = list(conn.execute(select(s.runs.c.id, s.runs.c.started_at).where(
                s.runs.c.series_id == series_id).order_by(s.runs.c.id.desc())))
            drop = [rid for i, (rid, started) in enumerate(ids) if i > 0 and (
                (keep is not None and i >= keep)
                or (older_than is not None and (utc(started) or started) < older_than))]
            if not drop:
                continue
            kept_min = min(rid for rid, _ in ids if rid not in set(drop))
            # A state no kept run falls in ended at or before the oldest kept run.
            conn.execute(delete(s.states).where(
                s.states.c.series_id == series_id, s.states.c.to_run.is_not(None),
                s.states.c.to_run <= kept_min))
            conn.execute(delete(s.runs).where(s.runs.c.id.in_(drop)))
            alive = select(s.states.c.fingerprint).where(
                s.states.c.series_id == series_id).distinct()
            conn.execute(delete(s.findings).where(
                s.findings.c.series_id == series_id,
                s.findings.c.fingerprint.not_in(alive)))
            deleted += len(drop)
    if store.sqlite and deleted:  # give the space back (VACUUM runs outside a transaction)
        with store.guard("compact"):
            raw = store.engine.raw_connection()
            try:
                raw.driver_connection.execute("VACUUM")  # type: ignore[union-attr]
            finally:
                raw.close()
    return deleted

