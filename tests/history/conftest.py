"""History tests: each runs against SQLite and against a real PostgreSQL server.

PostgreSQL: the server named by CJIS_SCAN_TEST_POSTGRES (an admin URL that may create
databases; `.ci/run` installs and starts one and sets it), else the local default
below. Each test gets a fresh database, dropped afterwards. When no server answers,
the PostgreSQL variants skip, saying why; the SQLite ones always run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from scanner.findings import Finding, Severity, Status
from scanner.report import ScanResult
from tests.reporters.conftest import STARTED, arm_id, finding, result_of

DEFAULT_ADMIN_URL = "postgresql://cjis_test:cjis_test@127.0.0.1:5432/postgres"
ADMIN_URL = os.environ.get("CJIS_SCAN_TEST_POSTGRES", DEFAULT_ADMIN_URL)
_unreachable: list[str] = []


def _admin() -> Any:
    import psycopg

    return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)


def postgres_database() -> Iterator[str]:
    """A fresh database's URL (dropped after the test); skips when there is no server."""
    if _unreachable:
        pytest.skip(_unreachable[0])
    try:
        admin = _admin()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means: skip, say why
        _unreachable.append(f"no PostgreSQL server at {ADMIN_URL.split('@')[-1]} (set "
                            f"CJIS_SCAN_TEST_POSTGRES; .ci/run starts one): "
                            f"{str(exc).strip().splitlines()[0]}")
        pytest.skip(_unreachable[0])
    name = f"cjis_test_{uuid.uuid4().hex[:12]}"
    with admin:
        # template0 takes no connections, so no other session can make the copy fail.
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    base = ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A history target of each back end (empty)."""
    if request.param == "sqlite":
        yield str(tmp_path / "history.sqlite")
    else:
        yield from postgres_database()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from postgres_database()


@pytest.fixture
def sqlite_target(tmp_path: Path) -> str:
    return str(tmp_path / "history.sqlite")


# Resources of the transition tests, one per transition.
def sa(name: str) -> str:
    return arm_id("Microsoft.Storage/storageAccounts", name)


CMK = ("cmk.storage_account", "storage_account_cmk_encryption")


def f(name: str, status: Status, reason: str = "why", severity: Severity | None = None,
      evidence: dict[str, Any] | None = None) -> Finding:
    return finding(*CMK, sa(name), status, reason, severity=severity,
                   resource_type="microsoft.storage/storageaccounts", evidence=evidence)


def run_at(findings: list[Finding], day: int = 0, **meta: Any) -> ScanResult:
    """A scan of `findings` started `day` days after the reference time."""
    started = STARTED + timedelta(days=day)
    return result_of(findings, started_at=started, finished_at=started + timedelta(seconds=5),
                     **meta)
