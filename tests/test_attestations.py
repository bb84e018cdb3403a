"""Attestations of manual findings, and the evidence-integrity fields of every report."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from scanner.attestations import Attestation, AttestationBook
from scanner.config import load_config
from scanner.errors import UsageError
from scanner.findings import Status
from scanner.replay import demo_cassette
from tests.cli.test_scan_cli import cli
from tests.history.conftest import f

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def attestation(**changes: object) -> Attestation:
    fields: dict[str, object] = {
        "check": "cmk.storage_account", "resource": "*/storageaccounts/m*",
        "attested_by": "ISO Jane Doe", "attested_on": date(2026, 11, 2),
        "evidence": "https://records.example.gov/ssp/f.pdf", "expires": date(2026, 12, 1),
        "statement": "Data is encrypted client-side."}
    fields.update(changes)
    return Attestation.model_validate(fields)


def test_a_manual_finding_is_attested_until_it_expires() -> None:
    book = AttestationBook([attestation()], NOW)
    attested = book.apply(f("m1", Status.MANUAL, "needs a person"))
    assert attested.status is Status.MANUAL  # a statement, never a measured pass
    assert attested.reason == ("Attested by ISO Jane Doe on 2026-11-02 that Data is "
                               "encrypted client-side (evidence: https://records.example"
                               ".gov/ssp/f.pdf; expires 2026-12-01). needs a person")
    assert attested.evidence["attestation"]["attested_by"] == "ISO Jane Doe"
    # Not manual, or another resource: untouched.
    failing = f("m2", Status.FAIL)
    assert book.apply(failing) is failing
    other = f("x1", Status.MANUAL)
    assert book.apply(other) is other
    assert book.warnings() == []
    expired = AttestationBook([attestation()], datetime(2026, 12, 2, tzinfo=UTC))
    plain = f("m1", Status.MANUAL)
    assert expired.apply(plain) is plain
    assert expired.warnings() == ["attestation of cmk.storage_account on */storageaccounts/m* "
                                  "by ISO Jane Doe expired on 2026-12-01: its findings are "
                                  "manual again"]


def test_an_attestation_that_matches_nothing_is_reported() -> None:
    book = AttestationBook([attestation(check="storage_account_cmk_encryption",
                                        resource="/nothing")], NOW)
    book.apply(f("m1", Status.MANUAL))
    assert "matched no manual finding" in book.warnings()[0]


def test_the_config_file_holds_attestations(tmp_path: Path) -> None:
    path = tmp_path / "cjis-scan.toml"
    path.write_text('[scan]\nfail_on = "low"\n\n[[attestation]]\ncheck = "x"\n'
                    'attested_by = "A"\nattested_on = 2026-01-01\nevidence = "e"\n'
                    'expires = 2027-01-01\n')
    (parsed,) = load_config(path, {}).attestations
    assert parsed.resource == "*" and parsed.expires == date(2027, 1, 1)
    path.write_text('[[attestation]]\ncheck = "x"\nattested_on = 2026-01-01\n'
                    'evidence = "e"\nexpires = 2027-01-01\n')
    with pytest.raises(UsageError, match="attested_by"):
        load_config(path, {})


def test_attestations_show_in_every_report_and_the_packet(tmp_path: Path) -> None:
    config = tmp_path / "cjis-scan.toml"
    config.write_text('[[attestation]]\ncheck = "key_store_administrators"\n'
                      'attested_by = "ISO Jane Doe"\nattested_on = 2026-11-02\n'
                      'evidence = "https://records.example.gov/f.pdf"\nexpires = 2099-11-01\n')
    result = cli("scan", "--demo", "-q", "--config", str(config), "-f",
                 "json,csv,html,packet", "-o", str(tmp_path))
    assert result.exit_code == 1, result.output
    report = json.loads((tmp_path / "cjis-scan-report.json").read_text())
    attested = [x for x in report["findings"] if "attestation" in x["evidence"]]
    assert attested and all(x["status"] == "manual" and x["check_id"] ==
                            "key_store_administrators" for x in attested)
    for name in ("cjis-scan-findings.csv", "cjis-scan-report.html",
                 "cjis-scan-audit-packet.md", "cjis-scan-audit-packet.html"):
        assert "ISO Jane Doe" in (tmp_path / name).read_text(), name
    assert "Attested by ISO Jane Doe on 2026-11-02" in (
        tmp_path / "cjis-scan-findings.csv").read_text()
    packet = (tmp_path / "cjis-scan-audit-packet.md").read_text()
    assert "### Attestations" in packet and "https://records.example.gov/f.pdf" in packet


def test_reports_state_the_input_digest_and_when_evidence_was_collected(
        tmp_path: Path) -> None:
    demo = cli("scan", "--demo", "-q", "-f", "json,packet", "-o", str(tmp_path / "demo"))
    assert demo.exit_code == 1
    scan = json.loads((tmp_path / "demo" / "cjis-scan-report.json").read_text())["scan"]
    assert scan["input_sha256"] == hashlib.sha256(demo_cassette().read_bytes()).hexdigest()
    assert scan["collected_at"] is None  # a cassette does not say when it was recorded
    inventory = tmp_path / "inventory.json"
    assert cli("collect", "--demo", "-q", "-o", str(inventory)).exit_code == 0
    saved = json.loads(inventory.read_text())["collected_at"]
    again = cli("scan", "--inventory", str(inventory), "-q", "-f", "json,packet,html", "-o",
                str(tmp_path / "inv"))
    assert again.exit_code == 1
    scan = json.loads((tmp_path / "inv" / "cjis-scan-report.json").read_text())["scan"]
    assert scan["collected_at"].replace("Z", "") == saved.replace("Z", "")
    assert scan["input_sha256"] == hashlib.sha256(inventory.read_bytes()).hexdigest()
    assert scan["source"] == "inventory:inventory.json"
    packet = (tmp_path / "inv" / "cjis-scan-audit-packet.md").read_text()
    assert "from a saved inventory, judged again: not collected by this run" in packet
    assert scan["input_sha256"] in packet
    html = (tmp_path / "inv" / "cjis-scan-report.html").read_text()
    assert "a saved inventory, judged again" in html and scan["input_sha256"] in html
