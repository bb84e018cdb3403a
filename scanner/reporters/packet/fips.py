"""The FIPS 140 level of a CMK, decided where Azure says it, never given as two options.

Microsoft documents ("About keys", Azure Key Vault; "Azure Key Vault Managed HSM
overview"): a Managed HSM protects its keys with FIPS 140-3 Level 3 validated HSMs; an
HSM-protected key (`-HSM` key type) in a Premium vault is on FIPS 140-2 Level 2 HSMs when
its version's `hsmPlatform` is `1` and on FIPS 140-3 Level 3 HSMs when it is `2`; a
software-protected key is FIPS 140-2 Level 1 software. `hsmPlatform` is an attribute of
the key version on the Key Vault data plane, which the management plane the scanner reads
does not return: where the evidence does not carry it, the level is undetermined, and the
packet's attestation checklist asks for it with the command that reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MANAGED_HSM = "FIPS 140-3 Level 3 (Managed HSM)"
BY_PLATFORM = {"1": "FIPS 140-2 Level 2 (hsmPlatform 1)",
               "2": "FIPS 140-3 Level 3 (hsmPlatform 2)"}
SOFTWARE = "FIPS 140-2 Level 1 (software-protected key)"
UNDETERMINED = ("undetermined: hsmPlatform is not returned by the management plane "
                "(see the attestation checklist)")


def needs_platform(row: Mapping[str, Any]) -> bool:
    """True for an HSM-protected vault key whose `hsmPlatform` the evidence lacks."""
    kind = str(row.get("key_store_kind") or "").lower()
    kty = str(row.get("kty") or "").upper()
    platform = row.get("hsm_platform")
    return "managed hsm" not in kind and kty.endswith("-HSM") and str(platform) not in BY_PLATFORM


def fips_level(row: Mapping[str, Any]) -> str:
    """The FIPS 140 level of the key a CMK row names, or why it is not known."""
    kind = str(row.get("key_store_kind") or "").lower()
    if "managed hsm" in kind:
        return MANAGED_HSM
    kty = row.get("kty")
    if not kty:
        return "unknown (key type not read)"
    if not str(kty).upper().endswith("-HSM"):
        return SOFTWARE
    platform = row.get("hsm_platform")
    return BY_PLATFORM.get(str(platform), UNDETERMINED)
