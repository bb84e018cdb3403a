"""No fixture holds a bearer token, a JWT, a client secret or a key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_FILES = sorted(p for p in (ROOT / "fixtures").rglob("*") if p.is_file())

SECRET_PATTERNS = {
    "bearer token": re.compile(r"(?i)bearer\s+(?!\[REDACTED\]|replay-stand-in-token)"
                               r"[A-Za-z0-9._~+/=-]{20,}"),
    "JWT": re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    "client secret": re.compile(r"(?i)client_secret=(?!\[REDACTED\])[^&\s\"']+"),
    "storage account key": re.compile(r"(?i)(AccountKey=|\"(primary|secondary)(Master)?Key\"\s*:"
                                      r"\s*\")[A-Za-z0-9+/]{40,}={0,2}"),
    "SAS signature": re.compile(r"(?i)[?&]sig=[A-Za-z0-9%+/]{20,}"),
    "Authorization header": re.compile(
        r"(?im)^\s*Authorization:\s*\n?\s*-\s*(?!Bearer \[REDACTED)"),
    "Set-Cookie header": re.compile(r"(?im)^\s*Set-Cookie:"),
}


def test_there_are_fixtures_to_scan() -> None:
    assert any(p.name == "tenant.yaml" for p in FIXTURE_FILES)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_fixture_holds_no_secret(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    found = {name for name, pattern in SECRET_PATTERNS.items() if pattern.search(text)}
    assert found == set(), f"{path.name} contains: {', '.join(sorted(found))}"


def test_the_scanner_detects_what_it_looks_for(tmp_path: Path) -> None:
    """The patterns find a planted secret of each kind (so the scan above can fail)."""
    planted = (
        "Authorization:\n - Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21h"
        "bmFnZW1lbnQifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ\n"
        "body: client_id=abc&client_secret=s3cr3t\n"
        '"primaryKey": "' + "A" * 86 + '=="\n'
        "url: https://x.blob.core.windows.net/c?sv=2022&sig=abcdefghijklmnopqrstuvwxyz012345\n"
        "Set-Cookie: fpc=1\n"
    )
    found = {name for name, pattern in SECRET_PATTERNS.items() if pattern.search(planted)}
    assert found == set(SECRET_PATTERNS)
