"""Reasons are sentences: no Python list, dict, None or True in what a person reads."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from scanner.config import ScanConfig
from scanner.scan import run_judgement
from scanner.sources import Source, load_inventory

PYTHON_REPR = re.compile(r"\['|\{'|', '|\bNone\b|\bTrue\b|\bFalse\b")


def test_no_reason_of_the_demo_scan_holds_a_python_repr() -> None:
    inventory = load_inventory(Source(demo=True), "commercial", [], 4)
    result = run_judgement(inventory, ScanConfig(), datetime(2026, 6, 1, tzinfo=UTC), "demo")
    reasons = [f.reason for f in result.findings]
    assert any("Fido2 for all users" in r for r in reasons)
    assert any("Sms for all users" in r for r in reasons)
    assert not [r for r in reasons if PYTHON_REPR.search(r)]
