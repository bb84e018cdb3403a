"""Run history: record each scan, diff runs, export the ticket lifecycle, draw the trend.

- `schema`: the tables (what changed between runs, not copies) and forward migrations.
- `store`: `HistoryStore` over a SQLite file or a PostgreSQL URL (SQLAlchemy Core).
- `diff`: classify two snapshots' findings (new, resolved, regressed, improved, ...).
- `scanhook`: what `scan --history/--baseline/--fail-on-new` does around a scan.
- `commands`: the `cjis-scan diff` and `cjis-scan history` commands.

Nothing here judges or reads Azure: it stores and compares findings.
"""
