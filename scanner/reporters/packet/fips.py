"""The FIPS 140 level of the key a CMK row names, as `scanner.fips` decides it (the one
declaration the SSP evidence uses too): read from the row's store kind, key type and
`hsm_platform`, so a report saved before the evidence carried a decided level reads the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scanner import fips
from scanner.fips import BY_PLATFORM, MANAGED_HSM, SOFTWARE, UNDETERMINED

__all__ = ["BY_PLATFORM", "MANAGED_HSM", "SOFTWARE", "UNDETERMINED", "fips_level",
           "needs_platform"]


def needs_platform(row: Mapping[str, Any]) -> bool:
    """True for an HSM-protected vault key whose `hsmPlatform` the evidence lacks."""
    return fips.needs_platform(str(row.get("key_store_kind") or ""), row.get("kty"),
                               row.get("hsm_platform"))


def fips_level(row: Mapping[str, Any]) -> str:
    """The FIPS 140 level of the key a CMK row names, or why it is not known."""
    kty = row.get("kty")
    return fips.fips_level(str(row.get("key_store_kind") or ""), str(kty) if kty else None,
                           row.get("hsm_platform"), row.get("hsm_platform_unread"))
