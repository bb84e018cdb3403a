"""The audit packet: sections, tables read from evidence, dates, escaping, both files."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from scanner.findings import Finding, Status
from scanner.fips import UNDETERMINED
from scanner.report import ScanResult
from scanner.reporters import ReportFormat, reporter_for, write_reports
from scanner.reporters.base import FileReporter
from scanner.reporters.packet import (
    FILENAME,
    HTML_FILENAME,
    markdown_to_html,
    md_code,
    md_text,
    render_markdown,
    write_html,
)
from tests.reporters.conftest import (
    SUBSCRIPTION,
    TENANT_SCOPE,
    arm_id,
    finding,
    result_of,
    sample_error,
    sample_findings,
)
from tests.reporters.test_html import Page

VAULT = arm_id("Microsoft.KeyVault/vaults", "kv-cjis")
HSM = arm_id("Microsoft.KeyVault/managedHSMs", "hsm-cjis")
SA = arm_id("Microsoft.Storage/storageAccounts", "stcji")
SQL = arm_id("Microsoft.Sql/servers", "sql-cji")
DES = arm_id("Microsoft.Compute/diskEncryptionSets", "des-cji")
WORKSPACE = arm_id("Microsoft.OperationalInsights/workspaces", "law-cjis")
ADMIN = "11111111-2222-3333-4444-555555555555"
XSS = "<script>alert(1)</script>"

SECTIONS = [
    "## 1. CJIS 6.0 path in use",
    "## 2. Customer-managed key architecture",
    "## 3. Key administrators to be screened",
    "## 4. Data residency evidence",
    "## 5. Logging and monitoring evidence",
    "## 6. Identity evidence",
    "## 7. Open findings",
    "## 8. Gaps in this evidence",
    "## 9. Exceptions in force",
    "## 10. Manual attestation checklist",
    "## 11. What this scan does not assess",
]
DATED = "_As of the scan of 2025-03-04 05:06 UTC._"


def architecture() -> Finding:
    stores = [
        {"store": SA, "store_type": "microsoft.storage/storageaccounts",
         "key_uri": "https://kv-cjis.vault.azure.net/keys/cmk-storage", "key_store": VAULT,
         "key_store_kind": "premium vault", "kty": "RSA-HSM",
         "fips_level": "140-2 Level 2 (HSM-backed) or 140-3 Level 3",
         "rotation": "policy (rotate P90D)", "follows_latest_key_version": True,
         "soft_delete": True, "purge_protection": True},
        {"store": SQL, "store_type": "microsoft.sql/servers",
         "key_uri": "https://hsm-cjis.managedhsm.azure.net/keys/tde/0123456789abcdef",
         "key_store": HSM, "key_store_kind": "managed HSM", "kty": None,
         "fips_level": "140-3 Level 3", "rotation": "unknown (Managed HSM keys are not read)",
         "follows_latest_key_version": False, "soft_delete": True,
         "purge_protection": None},
        {"store": DES, "store_type": "microsoft.compute/diskencryptionsets",
         "key_uri": "https://kv-cjis.vault.azure.net/keys/cmk-disks/aaaabbbbccccdddd",
         "key_store": VAULT, "key_store_kind": "premium vault", "kty": "RSA-HSM",
         "fips_level": "140-2 Level 2", "rotation": "expiry 2028-01-01",
         "follows_latest_key_version": True, "soft_delete": True, "purge_protection": True,
         "disks": [arm_id("Microsoft.Compute/disks", "d1"), arm_id("Microsoft.Compute/disks",
                                                                    "d2")]},
    ]
    return finding("ssp.cmk_architecture", "tenant_cmk_architecture_evidence", TENANT_SCOPE,
                   Status.MANUAL, "review the CMK architecture for the SSP", location=None,
                   evidence={"stores": stores,
                             "stores_without_cmk": [arm_id("Microsoft.Compute/disks",
                                                           "osdisk-plain")],
                             "incomplete": [f"cosmos_accounts at {SUBSCRIPTION}"]})


def administrators() -> list[Finding]:
    return [
        finding("ssp.key_administrators", "key_store_administrators", VAULT, Status.MANUAL,
                "attest that the 2 principal(s) ... are screened",
                evidence={"permission_model": "Azure RBAC",
                          "role_assignments": [
                              {"principal_id": ADMIN, "principal_type": "User",
                               "role": "Key Vault Administrator", "scope": VAULT},
                              {"principal_id": "group-1", "principal_type": "Group",
                               "role": "Owner", "scope": SUBSCRIPTION}],
                          "access_policies": [], "cmk_users": [SA, DES]}),
        finding("ssp.key_administrators", "key_store_administrators", HSM, Status.MANUAL,
                "attest ...",
                evidence={"permission_model": "Managed HSM local RBAC",
                          "role_assignments": [
                              {"principal_id": "group-1", "principal_type": "Group",
                               "role": "Owner",
                               "scope": "/providers/microsoft.management/managementgroups/"
                                        "mg-cjis"}],
                          "access_policies": [{"object_id": "legacy-app",
                                               "key_permissions": ["delete", "purge"]}],
                          "cmk_users": [SQL]}),
        finding("ssp.key_administrators", "key_store_administrators",
                arm_id("Microsoft.KeyVault/vaults", "kv-unused"), Status.NOT_APPLICABLE,
                "holds no customer-managed key in use", evidence={"cmk_stores": [VAULT]}),
    ]


def residency() -> list[Finding]:
    candidate = {
        "assignment": "/providers/microsoft.management/managementgroups/mg-cjis/providers/"
                      "microsoft.authorization/policyassignments/allowed-locations",
        "display_name": "CJIS: allowed locations (US only)",
        "scope": "/providers/microsoft.management/managementgroups/mg-cjis",
        "enforcement_mode": "Default", "not_scopes": [],
        "applied_parameters": [{"listOfAllowedLocations": ["eastus", "usgovvirginia"]}],
        "counts": True, "why_not": []}
    return [
        finding("residency.allowed_locations_policy", "subscription_allowed_locations_policy",
                SUBSCRIPTION, Status.PASS, "'Allowed locations' is enforced",
                location=None, evidence={"candidates": [candidate]}),
        finding("residency.allowed_rg_locations_policy",
                "subscription_allowed_rg_locations_policy", SUBSCRIPTION, Status.FAIL,
                "no assignment applies 'Allowed locations for resource groups'",
                location=None, evidence={"candidates": []}),
    ]


def logging_findings() -> list[Finding]:
    setting = {"name": "to-law", "workspace_id": WORKSPACE, "storage_account_id": None,
               "event_hub_authorization_rule_id": None, "enabled_logs": ["audit"]}
    return [
        finding("logging.retention", "workspace_retention_365_days", WORKSPACE, Status.PASS,
                "retention is 730 days", evidence={"retention_in_days": 730,
                                                   "minimum_days": 365}),
        finding("monitoring.sentinel_enabled", "workspace_sentinel_onboarded", WORKSPACE,
                Status.PASS, "onboarded", evidence={"onboarded": True}),
        finding("monitoring.sentinel_rules", "workspace_sentinel_analytics_rules", WORKSPACE,
                Status.PASS, "1 enabled rule",
                evidence={"rules": [{"name": "CJIS: key deleted", "kind": "Scheduled",
                                     "enabled": True}],
                          "enabled_scheduled_or_nrt": ["CJIS: key deleted"]}),
        finding("logging.activity_log", "subscription_activity_log_to_workspace", SUBSCRIPTION,
                Status.PASS, "sent to the workspace", location=None,
                evidence={"target": SUBSCRIPTION, "settings": [setting]}),
        finding("logging.key_vault_audit", "key_vault_audit_to_workspace", VAULT, Status.FAIL,
                "no diagnostic setting", evidence={"target": VAULT, "settings": []}),
    ]


def evidence_result(**meta: Any) -> ScanResult:
    findings = [*sample_findings(), architecture(), *administrators(), *residency(),
                *logging_findings()]
    return result_of(findings, [sample_error()], **meta)


@pytest.fixture
def packet() -> str:
    return render_markdown(evidence_result())


def section(markdown: str, number: int) -> str:
    start = markdown.index(SECTIONS[number - 1])
    end = markdown.index(SECTIONS[number]) if number < len(SECTIONS) else len(markdown)
    return markdown[start:end]


def table_rows(text: str, header_start: str) -> list[list[str]]:
    """The body rows of the first table whose header begins with `header_start`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header_start}"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
        rows.append([c.strip() for c in cells])
    return rows


def test_sections_in_order_each_dated(packet: str) -> None:
    positions = [packet.index(heading) for heading in SECTIONS]
    assert positions == sorted(positions)
    for number in range(1, len(SECTIONS) + 1):
        assert DATED in section(packet, number), SECTIONS[number - 1]
    assert "Scan date: **2025-03-04**" in packet
    assert packet.startswith("# CJIS Security Policy 6.0 — audit packet")


def test_commercial_path(packet: str) -> None:
    text = section(packet, 1)
    assert ("**Azure Commercial with customer-managed keys as the compensating control.**"
            in text)
    assert "The compensating control (step 2 (Customer-managed keys)) scored **25%**" in text
    assert "| CJIS 6.0 path | Azure Commercial with customer-managed keys" in packet


def test_government_path() -> None:
    text = section(render_markdown(evidence_result(cloud="usgov", profile="government")), 1)
    assert "**Azure Government.**" in text
    assert "compensating control" not in text
    assert "Cloud scanned: Azure Government" in text
    assert "**Note:**" not in text


def test_profile_that_differs_from_the_cloud_is_pointed_out() -> None:
    text = section(render_markdown(evidence_result(cloud="commercial", profile="government")),
                   1)
    assert "**Note:** the profile (government) differs from the cloud scanned" in text


def test_cmk_table_rows_come_from_the_evidence(packet: str) -> None:
    text = section(packet, 2)
    rows = table_rows(text, "Data store")
    assert [r[0] for r in rows] == ["stcji", "sql-cji", "des-cji"]
    storage, sql, des = rows
    assert storage == ["stcji", "storage account", "cmk-storage", "kv-cjis", "premium vault",
                       "RSA-HSM", UNDETERMINED,
                       "policy (rotate P90D)", "yes", "yes", "yes"]
    assert sql[1:8] == ["SQL server", "tde", "hsm-cjis", "managed HSM", "unknown",
                        "FIPS 140-3 Level 3 (Managed HSM)",
                        "unknown (Managed HSM keys are not read)"]
    assert sql[8] == "no (pinned to version 01234567…)"
    assert sql[10] == "unknown"  # purge protection not read is not "no"
    assert des[1] == "disk encryption set (2 disks)"
    assert des[8] == "yes (now version aaaabbbb…)"
    # Full ids and key URIs, stores without CMK and the gaps follow the table.
    assert f"- `kv-cjis`: `{VAULT}`" in text
    assert "- `https://hsm-cjis.managedhsm.azure.net/keys/tde/0123456789abcdef`" in text
    assert "osdisk-plain (rg-cjis)" in text
    assert "**Incomplete:**" in text and "cosmos\\_accounts at" in text
    assert "Controls: PL-2." in text


def test_cmk_not_run() -> None:
    text = section(render_markdown(result_of(sample_findings())), 2)
    assert "was not run in this scan" in text
    assert "| Data store" not in text


def test_key_administrators_to_screen(packet: str) -> None:
    text = section(packet, 3)
    screening = table_rows(text, "Name | User principal name")
    unread = "unknown: names were not read (an inventory collected without them)"
    assert screening == [
        [unread, "—", "User", f"`{ADMIN}`", "kv-cjis", "Key Vault Administrator"],
        [unread, "—", "Group", "`group-1`", "hsm-cjis, kv-cjis", "Owner"],
        [unread, "—", "unknown", "`legacy-app`", "hsm-cjis", "keys delete, purge"],
    ]
    assert "**Names unknown:** this inventory was collected without directory reads" in text
    assert "### kv-cjis" in text and "### hsm-cjis" in text
    assert "kv-unused" not in text  # not applicable: holds no CMK
    assert "management group mg-cjis" in text
    assert "subscription Agency" in text
    assert "az keyvault role assignment list --hsm-name" in text  # Managed HSM note
    assert "Controls: PL-2, PS-3." in text


def test_residency_assignments_and_regions(packet: str) -> None:
    text = section(packet, 4)
    rows = table_rows(text, "Subscription")
    # The sample's unknown finding (policy assignments unreadable) comes first.
    assert rows[0][:4] == ["Agency", "Allowed locations", "unknown", "none found"]
    assert "could not read policy\\_assignments" in rows[0][7]
    assert rows[1] == ["Agency", "Allowed locations", "pass",
                       "CJIS: allowed locations (US only)", "management group mg-cjis",
                       "Default", "eastus, usgovvirginia", "in force"]
    assert rows[2][:4] == ["Agency", "Allowed locations for resource groups", "FAIL",
                           "none found"]
    # The resource-location findings are counted.
    assert "(`resource_location_us`): 1 pass, 1 FAIL." in text


def test_logging_evidence(packet: str) -> None:
    text = section(packet, 5)
    assert table_rows(text, "Workspace") == [[
        "`law-cjis`", "Agency", "730 days", "pass", "yes", "1 of 1: CJIS: key deleted",
        "pass"]]
    assert table_rows(text, "Subscription") == [[
        "subscription Agency", "pass", "to-law → workspace law-cjis (audit)"]]
    assert table_rows(text, "Key vault") == [[
        "kv-cjis (rg-cjis)", "FAIL", "no diagnostic setting"]]


def test_identity_not_run_is_said(packet: str) -> None:
    text = section(packet, 6)
    assert "were not run in this scan" in text
    assert "Phishing-resistant MFA" in text


def test_identity_findings_listed_with_evidence() -> None:
    identity = finding("identity.phishing_resistant_methods",
                       "entra_phishing_resistant_methods_enabled", TENANT_SCOPE, Status.PASS,
                       "FIDO2 is enabled", location=None,
                       evidence={"fido2": {"state": "enabled", "note": "```nested```"}})
    text = section(render_markdown(result_of([identity])), 6)
    rows = table_rows(text, "Check")
    assert rows[0][1:] == ["pass", "high", "FIDO2 is enabled"]
    assert "````json" in text  # the fence outruns the evidence's own backticks
    assert '"state": "enabled"' in text


def test_open_findings_by_step_most_severe_first(packet: str) -> None:
    text = section(packet, 7)
    assert text.index("### Step 1: Data residency") < text.index(
        "### Step 2: Customer-managed keys")
    step2 = text[text.index("### Step 2"):]
    rows = table_rows(step2, "Severity")
    assert [(r[0], r[1]) for r in rows] == [("critical", "FAIL"), ("critical", "unknown"),
                                            ("high", "FAIL")]
    # Only fail and unknown: passes, manual, n/a and waived are not open.
    assert "waived" not in text.lower().replace("0 waived", "")
    step1 = table_rows(text[text.index("### Step 1"):], "Severity")
    assert {r[1] for r in step1} == {"FAIL", "unknown"}
    assert "2 failing (1 high, 1 medium), 1 unknown." in text


def test_gaps(packet: str) -> None:
    text = section(packet, 8)
    rows = table_rows(text, "Scope")
    assert rows == [[f"`{SUBSCRIPTION}`", "policy\\_assignments", "403 AuthorizationFailed",
                     "Reader on the subscription"]]


def test_markdown_escaping_keeps_tables_and_tags_inert() -> None:
    bad = finding("residency.resource_location", "resource_location_us",
                  arm_id("Microsoft.Compute/virtualMachines", "vm|x"), Status.FAIL,
                  f"a | b {XSS} *bold* [link](javascript:alert(1)) `tick`")
    markdown = render_markdown(result_of([bad]))
    rows = table_rows(section(markdown, 7), "Severity")
    assert len(rows) == 1 and len(rows[0]) == 5  # the pipes did not add cells
    html = markdown_to_html(markdown)
    assert XSS not in html and "&lt;script&gt;" in html
    assert "<em>bold</em>" not in html and "<a " not in html
    assert "*bold* [link](javascript:alert(1))" in html  # shown as typed, inert
    assert "vm|x" in html


def test_md_helpers() -> None:
    assert md_text("a*b_c [d] <e> | f & g\nh") == "a\\*b\\_c \\[d\\] \\<e\\> \\| f \\& g h"
    assert md_text(None) == "—"
    assert md_code("a|b") == "`a\\|b`"
    assert md_code("a|b", table=False) == "`a|b`"
    assert md_code("x `y` z") == "``x `y` z``"
    assert md_code("`edge") == "`` `edge ``"
    assert md_code("") == "—"


def test_html_rendering_is_self_contained(tmp_path: Path) -> None:
    stream = io.StringIO()
    write_html(evidence_result(), stream)
    html = stream.getvalue()
    page = Page(html)
    assert not page.scripts
    assert all(tag not in ("link", "img", "iframe", "script") for tag, _ in page.tags)
    assert "default-src 'none'" in page.csp() and "style-src 'sha256-" in page.csp()
    assert " style=" not in html  # column alignment is a class, allowed by the CSP
    assert 'class="align-right"' in html
    assert html.count("<table>") >= 8
    assert "<h2>2. Customer-managed key architecture</h2>" in html
    assert "<em>As of the scan of 2025-03-04 05:06 UTC.</em>" in html


def test_written_as_markdown_and_html(tmp_path: Path) -> None:
    reporter = reporter_for(ReportFormat.PACKET)
    assert isinstance(reporter, FileReporter)
    assert [name for name, _ in reporter.files()] == [FILENAME, HTML_FILENAME]
    result = evidence_result()
    paths = write_reports(result, [ReportFormat.PACKET, ReportFormat.JSON], tmp_path,
                          Console(file=io.StringIO()))
    assert paths == [tmp_path / FILENAME, tmp_path / HTML_FILENAME,
                     tmp_path / "cjis-scan-report.json"]
    assert paths[0].read_text(encoding="utf-8") == render_markdown(result)
    assert "<!DOCTYPE html>" in paths[1].read_text(encoding="utf-8")


def test_demo_tenant_packet() -> None:
    """The real checks' evidence: the demo tenant through the scanner API."""
    from scanner.config import ScanConfig
    from scanner.scan import run_judgement
    from scanner.sources import Source, load_inventory

    inventory = load_inventory(Source(demo=True), "commercial", [], 4)
    result = run_judgement(inventory, ScanConfig(), datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
                           "demo")
    markdown = render_markdown(result)
    (cmk,) = [f for f in result.findings if f.check_id == "tenant_cmk_architecture_evidence"]
    rows = table_rows(section(markdown, 2), "Data store")
    assert len(rows) == len(cmk.evidence["stores"]) > 0
    assert [r[0] for r in rows] == [s["store"].rsplit("/", 1)[-1]
                                    for s in cmk.evidence["stores"]]
    assert "_As of the scan of 2026-01-02 03:04 UTC._" in markdown
    names = table_rows(section(markdown, 3), "Name | User principal name")
    assert names[-1][:3] == ["Dana Whitfield", "d.whitfield@hcso-cjis.gov", "User"]
    assert any(r[0].startswith("↳ Rosa Ortiz") for r in names)  # a group's member
    assert "| Log Analytics" not in markdown  # headings are sentences, not tables
    assert table_rows(section(markdown, 5), "Workspace")
    assert table_rows(section(markdown, 4), "Subscription")
    markdown_to_html(markdown)  # renders
