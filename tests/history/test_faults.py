"""Bad history targets and faults: a clear HistoryError (exit 2), never a traceback."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import MetaData, Table, select

from scanner.findings import Status
from scanner.history import schema
from scanner.history.connect import HistoryError
from scanner.history.store import HistoryStore
from tests.history.conftest import f, run_at


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    path.write_bytes(b"this is a CSV, not a database\n" * 100)
    with pytest.raises(HistoryError, match="is not a SQLite database"):
        HistoryStore(str(path))


def test_a_corrupt_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    store = HistoryStore(str(path))
    store.record(run_at([f("a", Status.FAIL)]), 1)
    store.close()
    data = bytearray(path.read_bytes())
    data[100:len(data)] = b"\xff" * (len(data) - 100)  # keep the header, wreck the pages
    path.write_bytes(bytes(data))
    with pytest.raises(HistoryError, match="unreadable|not a cjis-scan|cannot open"):
        store = HistoryStore(str(path))
        store.record(run_at([f("a", Status.FAIL)]), 1)


def test_another_applications_database_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    with pytest.raises(HistoryError, match="another application's SQLite database"):
        HistoryStore(str(path))
    with sqlite3.connect(path) as conn:  # untouched
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master")]
    assert names == ["invoices"]


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="does not exist"):
        HistoryStore(str(tmp_path / "nowhere" / "h.sqlite"))


def test_a_newer_schema_is_refused(target: str) -> None:
    store = HistoryStore(target)
    with store.engine.begin() as conn:
        conn.execute(schema.schema_info.update().where(
            schema.schema_info.c.key == "schema_version").values(value="99"))
    store.close()
    with pytest.raises(HistoryError, match="schema version 99, written by a newer cjis-scan"):
        HistoryStore(target)


def test_version_1_migrates_forward_keeping_its_runs(target: str) -> None:
    # A store as version 1 wrote it: its tables, its version, one run.
    store = HistoryStore(target)
    store.close()
    with store.engine.begin() as conn:
        for table in reversed(schema.metadata.sorted_tables):
            table.drop(conn)
        schema.MIGRATIONS[1](conn)
        conn.execute(schema.schema_info.insert(), [
            {"key": "application", "value": "cjis-scan"},
            {"key": "schema_version", "value": "1"}])
        v1_runs = Table("cjis_runs", MetaData(), autoload_with=conn)
        assert "attested" not in v1_runs.c
    migrated = HistoryStore(target)
    assert migrated.schema_version == schema.SCHEMA_VERSION == 2
    run_id = migrated.record(run_at([f("a", Status.MANUAL)]), 0, attested=1)
    assert migrated.run(run_id).attested == 1
    migrated.close()


def test_a_locked_sqlite_history_times_out_clearly(sqlite_target: str) -> None:
    HistoryStore(sqlite_target).close()
    holder = sqlite3.connect(sqlite_target, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another job is writing
    try:
        store = HistoryStore.__new__(HistoryStore)
        with pytest.raises(HistoryError, match="locked by another writer"):
            HistoryStore.__init__(store, sqlite_target, lock_timeout=0.2)
            store.record(run_at([f("a", Status.FAIL)]), 1)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_an_unreachable_postgresql_is_named_without_its_password() -> None:
    with pytest.raises(HistoryError) as caught:
        HistoryStore("postgresql://scanner:s3cret-pw@127.0.0.1:1/cjis", lock_timeout=1)
    message = str(caught.value)
    assert "cannot open history postgresql+psycopg://scanner:***@127.0.0.1:1/cjis" in message
    assert "s3cret-pw" not in message


def test_a_locked_postgresql_series_times_out_clearly(postgres_url: str) -> None:
    url = postgres_url
    first = HistoryStore(url)
    first.record(run_at([f("a", Status.FAIL)]), 1)
    hold = threading.Event()
    done = threading.Event()

    def holder() -> None:  # locks the series row as a writer does, then waits
        with first.engine.connect() as conn, conn.begin():
            conn.execute(select(schema.series.c.id).with_for_update())
            hold.set()
            done.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    hold.wait(5)
    try:
        with pytest.raises(HistoryError, match="locked by another writer"):
            HistoryStore(url, lock_timeout=0.3).record(run_at([f("a", Status.PASS)]), 0)
    finally:
        done.set()
        thread.join()
        first.close()


def test_a_url_of_another_kind_is_a_usage_error() -> None:
    with pytest.raises(HistoryError, match="give a file path"):
        HistoryStore("mysql://db/history")
