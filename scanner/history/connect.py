"""Opening a history target: its URL, a first look at a SQLite file, the engine, and the
translation of every database error into a `HistoryError` (exit code 2) that names the
target (never its password)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, make_url

from scanner.errors import ScannerError

LOCK_TIMEOUT = 30.0
"""Seconds a writer waits for another writer's lock before giving up (exit 2)."""
SQLITE_MAGIC = b"SQLite format 3\x00"


class HistoryError(ScannerError):
    """The history store cannot be opened, read or written (exit code 2)."""


def engine_url(target: str) -> tuple[str, str]:
    """(SQLAlchemy URL, label without password) of a `--history` target."""
    if target.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        url = make_url(target.replace("postgres://", "postgresql://", 1))
        url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False), url.render_as_string(
            hide_password=True)
    if target.startswith("sqlite:///"):
        target = target.removeprefix("sqlite:///")
    elif "://" in target:
        raise HistoryError(f"--history {target!r}: give a file path (SQLite) or a "
                           f"postgresql:// URL")
    return f"sqlite:///{target}", target


def check_sqlite_file(path: Path) -> None:
    """Refuse a file that is not a SQLite database (or a path that cannot be one)."""
    if path.is_dir():
        raise HistoryError(f"history {path} is a directory, not a SQLite file")
    if path.exists() and path.stat().st_size:
        try:
            with path.open("rb") as handle:
                head = handle.read(len(SQLITE_MAGIC))
        except OSError as exc:
            raise HistoryError(f"cannot read history {path}: {exc.strerror}") from None
        if head != SQLITE_MAGIC:
            raise HistoryError(f"history {path} is not a SQLite database (corrupt, or "
                               f"another kind of file): give another --history")
    elif not path.parent.is_dir():
        raise HistoryError(f"history {path}: directory {path.parent} does not exist")


def make_engine(url: str, lock_timeout: float) -> Engine:
    """The engine of a target: SQLite writers lock up front, PostgreSQL waits as long."""
    if not url.startswith("sqlite"):
        # lock_timeout: a writer waiting on another's series lock gives up like SQLite.
        options = f"-c lock_timeout={int(lock_timeout * 1000)}"
        return create_engine(url, pool_pre_ping=True, connect_args={
            "connect_timeout": max(int(lock_timeout), 1), "options": options})
    engine = create_engine(url, connect_args={"timeout": lock_timeout})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, say when a transaction begins (see _begin).
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        # A run touches every finding's index entry: keep the indexes in memory.
        dbapi_connection.execute("PRAGMA cache_size=-131072")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # Writers take the lock up front: two jobs never interleave their writes, and
        # the second waits (busy timeout) instead of failing mid-transaction.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(
            "cjis_write") else "BEGIN")

    return engine


@contextmanager
def guarded(label: str, lock_timeout: float, action: str) -> Iterator[None]:
    """Turn database errors into a HistoryError naming the target and the action."""
    try:
        yield
    except HistoryError:
        raise
    except sa_exc.OperationalError as exc:
        text = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        if "locked" in text or "lock timeout" in text:
            raise HistoryError(f"history {label} is locked by another writer "
                               f"(waited {lock_timeout:g} s) during {action}: try "
                               f"again later") from None
        raise HistoryError(f"cannot {action} history {label}: {text}") from None
    except sa_exc.IntegrityError as exc:
        text = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise HistoryError(f"history {label} refused the run during {action}: {text}") from None
    except sa_exc.DatabaseError as exc:
        text = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise HistoryError(f"history {label} is unreadable during {action} (corrupt "
                           f"or not a cjis-scan history): {text}") from None
    except sa_exc.SQLAlchemyError as exc:
        raise HistoryError(f"history {label}: {action} failed: {exc}") from None
