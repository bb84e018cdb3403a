"""The packet's assessor sections: boundary and outcome, exceptions, attestation, not assessed;
the FIPS level decided from hsmPlatform; no check id in the packet's code."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scanner.findings import Status
from scanner.reporters.packet import render_markdown
from scanner.reporters.packet.fips import (
    BY_PLATFORM,
    MANAGED_HSM,
    SOFTWARE,
    UNDETERMINED,
    fips_level,
)
from tests.reporters.conftest import SA_PASS, finding, result_of
from tests.reporters.test_packet import SECTIONS, evidence_result, section, table_rows

PACKET_CODE = Path(__file__).resolve().parents[2] / "scanner" / "reporters" / "packet"


def test_no_check_id_or_step_literal_in_the_packet_code() -> None:
    from scanner.framework_files import load_framework

    ids = load_framework().check_ids()
    for path in [*PACKET_CODE.glob("*.py"), *PACKET_CODE.parent.glob("templates/packet*")]:
        text = path.read_text()
        named = sorted(i for i in ids if re.search(rf"\b{re.escape(i)}\b", text))
        assert not named, f"{path.name} names check ids {named}"
        assert 'steps["2"]' not in text and "IDENTITY_STEP" not in text


def test_the_packet_modules_are_under_400_lines() -> None:
    for path in PACKET_CODE.glob("*.py"):
        assert len(path.read_text().splitlines()) < 400, path.name


@pytest.mark.parametrize("row, level", [
    ({"key_store_kind": "managed HSM", "kty": None}, MANAGED_HSM),
    ({"key_store_kind": "premium vault", "kty": "RSA-HSM", "hsm_platform": "2"}, BY_PLATFORM["2"]),
    ({"key_store_kind": "premium vault", "kty": "RSA-HSM", "hsm_platform": "1"}, BY_PLATFORM["1"]),
    ({"key_store_kind": "premium vault", "kty": "RSA-HSM"}, UNDETERMINED),
    ({"key_store_kind": "standard vault", "kty": "RSA"}, SOFTWARE),
])
def test_the_fips_level_is_decided_where_azure_says(row: dict[str, object], level: str) -> None:
    assert fips_level(row) == level
    assert " or " not in level  # never two options


def test_an_undetermined_fips_level_becomes_an_attestation_item() -> None:
    text = section(render_markdown(evidence_result()), 10)
    assert "FIPS 140 level of an HSM-protected key" in text
    assert "az keyvault key show --vault-name kv-cjis --name cmk-storage --query " \
           "attributes.hsmPlatform" in " ".join(text.split())
    assert text.count("Attested by (name, role)") >= 1


def test_every_manual_finding_has_an_item_with_sign_off_fields() -> None:
    result = evidence_result()
    manual = [f for f in result.findings if f.status is Status.MANUAL]
    assert manual
    text = section(render_markdown(result), 10)
    for item in manual:
        assert item.resource_id in text
    assert text.count("Attested by (name, role)") >= len(manual)
    assert text.count("Signature:") == text.count("Attested by (name, role)")


def _waived(source: str = "config") -> object:
    waiver = {"source": source, "id": "config:1" if source == "config" else "/x/exemption",
              "name": "legacy-share", "justification": "decommissioned in Q1",
              "approver": "ISO Jane Doe", "expires": "2027-03-31", "ticket": "SEC-1234",
              "original_status": "fail"}
    return finding("cmk.storage_account", "storage_account_cmk_encryption", SA_PASS,
                   Status.WAIVED, "no cmk", waiver=waiver)


def test_exceptions_list_applied_expired_and_unmatched() -> None:
    result = result_of([_waived()])
    expired = {"source": "azure_policy", "name": "eu-export-copy", "justification": "copy",
               "expires": "2025-01-31T00:00:00+00:00", "category": "Waiver"}
    unmatched = {"source": "config", "check": "vm_encryption_at_host", "resource": "*",
                 "approver": "ISO", "justification": "pilot", "expires": "2027-01-01",
                 "ticket": None}
    meta = dataclasses.replace(result.meta, exceptions={"expired": [expired],
                                                        "unmatched": [unmatched]})
    text = section(render_markdown(dataclasses.replace(result, meta=meta)), 9)
    (applied,) = table_rows(text, "Source | Exception | Approver | Justification | Expires | "
                                  "Ticket / category | Findings")
    assert applied[:6] == ["config file", "legacy-share", "ISO Jane Doe", "decommissioned in Q1",
                           "2027-03-31", "SEC-1234"]
    assert applied[6].startswith("1: storage\\_account\\_cmk\\_encryption on")
    after_expired = text[text.index("**Expired**"):]
    assert "eu-export-copy" in after_expired.split("**Covering nothing**")[0]
    assert "vm\\_encryption\\_at\\_host on \\*" in text[text.index("**Covering nothing**"):]


def test_the_demo_exceptions_come_from_the_scan() -> None:
    from scanner.config import ScanConfig
    from scanner.scan import run_judgement
    from scanner.sources import Source, load_inventory

    inventory = load_inventory(Source(demo=True), "commercial", [], 4)
    result = run_judgement(inventory, ScanConfig(), datetime(2026, 6, 1, tzinfo=UTC), "demo")
    text = section(render_markdown(result), 9)
    assert "canary-region-test" in text and "HCSO ISO" in text  # applied, from Azure
    assert "eu-export-copy" in text[text.index("**Expired**"):]


def test_boundary_and_outcome_are_in_the_header(tmp_path: Path) -> None:
    from tests.cli.test_scan_cli import cli

    inventory = tmp_path / "inv.json"
    assert cli("collect", "--demo", "-q", "-o", str(inventory)).exit_code == 0
    result = cli("scan", "--inventory", str(inventory), "-q", "--format", "packet", "-o",
                 str(tmp_path), "--step", "1", "--step", "2", "--skip-check",
                 "vm_encryption_at_host", "-g", "rg-cjis-data")
    markdown = (tmp_path / "cjis-scan-audit-packet.md").read_text()
    head = markdown[:markdown.index(SECTIONS[0])]
    assert "| Steps | 1, 2 |" in head and "| Resource groups | rg-cjis-data |" in head
    assert "| Checks skipped | vm\\_encryption\\_at\\_host |" in head
    assert re.search(r"\| Evidence collected \| \d{4}-\d\d-\d\d \d\d:\d\d UTC \|", head)
    assert f"exit code {result.exit_code}" in head and "--fail-on high" in head


def test_what_is_not_assessed_is_stated_plainly() -> None:
    result = evidence_result()
    meta = dataclasses.replace(result.meta, not_assessed={
        "resource_types": {"microsoft.network/virtualnetworks": 3}})
    text = section(render_markdown(dataclasses.replace(result, meta=meta)), 11)
    assert "does not assess" in text and "security awareness training" in text
    assert "- AT Awareness and Training" in text and "- IR Incident Response" in text
    assert "| SC System and Communications Protection |" in text  # partly judged
    assert "| `microsoft.network/virtualnetworks` | 3 |" in text
    assert "`identity.phishing_resistant_methods`" in text  # not run in this result
