"""What the history's modules share without importing the store: a run as listed, the
store's shape (`Store`), and small helpers (UTC datetimes, batching)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.engine import Engine


class Store(Protocol):
    """What reading and pruning need of a `HistoryStore`."""

    engine: Engine
    sqlite: bool

    def guard(self, action: str) -> AbstractContextManager[None]: ...


CHUNK = 5000
"""Rows per executemany batch."""


@dataclass(frozen=True)
class RunInfo:
    """One recorded run, as `cjis-scan history` lists it."""

    id: int
    series_id: int
    tenant_id: str
    boundary: dict[str, Any]
    started_at: datetime
    collected_at: datetime | None
    source: str
    input_sha256: str | None
    profile: str
    exit_code: int
    findings: int
    counts: dict[str, int]
    steps: dict[str, dict[str, int]]
    new: int
    resolved: int
    attested: int

    @property
    def score(self) -> float | None:
        """pass / (pass + fail + unknown), None when nothing was judged."""
        judged = sum(self.counts.get(k, 0) for k in ("pass", "fail", "unknown"))
        return None if not judged else self.counts.get("pass", 0) / judged


def utc(moment: datetime | None) -> datetime | None:
    """SQLite gives datetimes back naive: they were written in UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    """`items` in slices of `size` (executemany batches, IN lists)."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


