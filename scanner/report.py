"""The former name of `scanner.finding_store` (kept so older imports still work)."""

from scanner.finding_store import (
    BATCH_SIZE,
    REPORT_SCHEMA_VERSION,
    FindingStore,
    ScanMeta,
    ScanResult,
    report_rank,
)

__all__ = [
    "BATCH_SIZE",
    "REPORT_SCHEMA_VERSION",
    "FindingStore",
    "ScanMeta",
    "ScanResult",
    "report_rank",
]
