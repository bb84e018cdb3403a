"""The SSP evidence and the packet with the data plane's hsmPlatform (`--key-vault-data-plane`):
the level decided per documented value, undetermined with the read's reason otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from scanner import fips
from scanner.reporters.packet.fips import fips_level as packet_level
from scanner.reporters.packet.fips import needs_platform
from tests.checks.helpers import arm_id, verdicts
from tests.checks.test_ssp import KV, SA, TENANT_ID, cmk_inventory


def storage_row(**key_fields: Any) -> dict[str, Any]:
    inv = cmk_inventory()
    keys = [k.model_copy(update=key_fields) if k.name == "cmk-storage" else k
            for k in inv.vault_keys]
    verdict = verdicts("tenant_cmk_architecture_evidence",
                       inv.model_copy(update={"vault_keys": keys}))[TENANT_ID]
    rows = {row["store"]: row for row in verdict.evidence["stores"]}
    row: dict[str, Any] = rows[arm_id(SA, "sa-cmk")]
    assert row["key_store"] == arm_id(KV, "kv-premium")
    return row


@pytest.mark.parametrize("platform", ["1", "2"])
def test_a_read_platform_decides_the_level_in_the_evidence_and_the_packet(platform: str) -> None:
    row = storage_row(hsm_platform=platform)
    assert row["fips_level"] == fips.BY_PLATFORM[platform] == packet_level(row)
    assert row["hsm_platform"] == platform
    assert not needs_platform(row)  # no attestation item for a decided level


def test_a_failed_read_says_why_and_still_asks_for_attestation() -> None:
    why = "HTTP 403: the scanner has no Key Vault Reader role or key `get` permission"
    row = storage_row(hsm_platform_unread=why)
    assert row["fips_level"].startswith("undetermined") and why in row["fips_level"]
    assert packet_level(row) == row["fips_level"]
    assert needs_platform(row)


def test_without_the_data_plane_the_row_is_as_before() -> None:
    row = storage_row()
    assert row["fips_level"] == fips.UNDETERMINED
    assert "hsm_platform" not in row and "hsm_platform_unread" not in row
    assert needs_platform(row)
