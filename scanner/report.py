"""What a finished scan hands to the reporters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from scanner.engine import Scoreboard
from scanner.findings import Finding
from scanner.framework import Framework
from scanner.inventory import CollectionError

REPORT_SCHEMA_VERSION = "1.0.0"


@dataclass
class ScanMeta:
    """Metadata of one scan, written at the top of every report."""

    tool_version: str
    framework_id: str
    framework_title: str
    cloud: str
    profile: str
    tenant_id: str | None
    subscriptions: list[dict[str, str]]
    """[{"subscription_id": ..., "display_name": ...}] in scope."""
    started_at: datetime
    finished_at: datetime
    source: str
    """`live`, `demo`, `replay:<file>` or `inventory:<file>`."""
    checks_run: list[str]
    boundary: dict[str, object] = field(default_factory=dict)
    """The `--subscription`, `--resource-group`, `--tag`, `--step`, `--check` selection."""


@dataclass
class ScanResult:
    """Findings (one copy, shared by every reporter), scores and collection errors."""

    meta: ScanMeta
    framework: Framework
    findings: list[Finding]
    scoreboard: Scoreboard
    errors: list[CollectionError]
