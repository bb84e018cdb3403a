"""The history store's tables (SQLAlchemy Core) and their forward migrations.

What changed between runs is stored, not copies of every run:

- `cjis_series`: one row per tenant x cloud x framework x boundary. Runs of different
  tenants or boundaries live in different series and are never compared.
- `cjis_runs`: one row per recorded scan (metadata, exit code, the input's SHA-256,
  status counts overall and per step, new/resolved counts against the series' previous
  run).
- `cjis_findings`: one row per (series, fingerprint): what the finding is about and when
  it was first seen.
- `cjis_states`: one row per interval of runs over which a finding kept the same status,
  severity, reason and evidence: valid from run `from_run` up to (not including) run
  `to_run`; `to_run` is NULL while the state is current. A finding absent from a run
  has no state valid at it. A run whose findings are mostly unchanged adds only the
  rows of the findings that changed.

Run ids increase in the order runs are recorded (the writer holds the series' lock), so
"valid at run r" is `from_run <= r < to_run`.

The tables are prefixed `cjis_` so a PostgreSQL database (or schema) can be shared.
`cjis_schema` holds the schema version; `MIGRATIONS[n]` takes a store at version n-1 to
n, and a store is migrated forward, in one transaction, when it is opened.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Connection

SCHEMA_VERSION = 2
"""The schema this version of cjis-scan writes (and the newest it can read)."""
APPLICATION = "cjis-scan"

metadata = MetaData()

schema_info = Table(
    "cjis_schema", metadata,
    Column("key", String(32), primary_key=True),
    Column("value", String(200), nullable=False),
)

series = Table(
    "cjis_series", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", String(64), nullable=False),
    Column("cloud", String(32), nullable=False),
    Column("framework", String(64), nullable=False),
    Column("boundary_key", String(64), nullable=False),
    Column("boundary", Text, nullable=False),
    UniqueConstraint("tenant_id", "cloud", "framework", "boundary_key",
                     name="uq_cjis_series_scope"),
)

def _run_columns() -> list[Column[object]]:
    """The columns of `cjis_runs` as version 1 created them (fresh objects each call)."""
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("series_id", Integer, ForeignKey("cjis_series.id"), nullable=False,
               index=True),
        Column("started_at", DateTime(timezone=True), nullable=False),
        Column("finished_at", DateTime(timezone=True), nullable=False),
        Column("collected_at", DateTime(timezone=True)),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
        Column("tool_version", String(32), nullable=False),
        Column("profile", String(32), nullable=False),
        Column("source", String(300), nullable=False),
        Column("input_sha256", String(64)),
        Column("exit_code", Integer, nullable=False),
        Column("findings", Integer, nullable=False),
        Column("counts", Text, nullable=False),  # JSON {status: count}, every finding
        Column("steps", Text, nullable=False),  # JSON {step: {status: count}}
        Column("new", Integer, nullable=False),
        Column("resolved", Integer, nullable=False),
    ]


runs = Table(
    "cjis_runs", metadata, *_run_columns(),
    Column("attested", Integer, nullable=False, server_default="0"),  # version 2
)

findings = Table(
    "cjis_findings", metadata,
    Column("series_id", Integer, ForeignKey("cjis_series.id"), primary_key=True),
    Column("fingerprint", String(32), primary_key=True),
    Column("resource_id", Text, nullable=False),
    Column("check_id", String(100), nullable=False),
    Column("requirement_id", String(100), nullable=False),
    Column("step", String(16), nullable=False),
    Column("first_seen_run", Integer, nullable=False),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    sqlite_with_rowid=False,  # the table is its primary key's B-tree: no second index
)

states = Table(
    "cjis_states", metadata,
    Column("series_id", Integer, primary_key=True),
    Column("fingerprint", String(32), primary_key=True),
    Column("from_run", Integer, primary_key=True),
    Column("to_run", Integer),
    Column("status", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("evidence_digest", String(32), nullable=False),
    Index("ix_cjis_states_current", "series_id", "to_run"),
    sqlite_with_rowid=False,
)


def _v1(conn: Connection) -> None:
    """The first schema: every table, runs without the attested count."""
    for table in (series, findings, states, schema_info):
        table.create(conn)
    v1 = MetaData()  # `cjis_runs` as version 1 had it
    Table("cjis_series", v1, Column("id", Integer, primary_key=True))
    Table("cjis_runs", v1, *_run_columns()).create(conn)
    if conn.dialect.name == "postgresql":
        # Each run ends a few thousand states with an UPDATE, which PostgreSQL does by
        # writing new row versions: vacuum this table after a few hundred dead rows, not
        # the default 20 % of it, so their space is reused before the next run grows it.
        conn.exec_driver_sql(
            "ALTER TABLE cjis_states SET (autovacuum_vacuum_scale_factor = 0.002, "
            "autovacuum_vacuum_threshold = 500, autovacuum_analyze_scale_factor = 0.05)")


def _v2(conn: Connection) -> None:
    """Version 2: how many manual findings were attested in each run (a trend series)."""
    conn.exec_driver_sql("ALTER TABLE cjis_runs ADD COLUMN attested INTEGER NOT NULL DEFAULT 0")

MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _v1, 2: _v2}
"""Version n -> the step from n-1 to n. Append only: a released step never changes."""
assert sorted(MIGRATIONS) == list(range(1, SCHEMA_VERSION + 1))
