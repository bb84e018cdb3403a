"""The console report, compared whole, plus its caps, order and safety."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from scanner.findings import Finding, Severity, Status
from scanner.report import ScanResult
from scanner.reporters.console import (
    MAX_FINDINGS_PER_STEP,
    percent,
    render_console,
    short_resource,
)
from tests.reporters.conftest import (
    SA_FAIL,
    SA_PASS,
    SECRET_EVIDENCE,
    SUB,
    TENANT,
    arm_id,
    finding,
    result_of,
    sample_error,
    sample_findings,
)


def render(result: ScanResult, width: int = 120) -> str:
    console = Console(record=True, width=width, force_terminal=False, file=io.StringIO())
    render_console(result, console)
    # Rich pads table cells to the column width; trailing blanks carry no meaning.
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"


EXPECTED = """\
cjis-scan 0.1.0 · FBI CJIS Security Policy 6.0 (Azure) · source demo
Tenant 00000000-0000-0000-0000-0000000000t1 · cloud commercial · profile commercial · 1 subscription (Agency)

Scores by step
Step   Title                   Pass   Fail   Unknown   Manual   N/A   Waived   Score
────────────────────────────────────────────────────────────────────────────────────
1      Data residency             2      1         1        0     0        0     50%
2      Customer-managed keys      1      2         1        1     1        1     25%

       Overall                    3      3         2        1     1        1     37%

Step 1 · Data residency: 1 failing finding, 1 unknown
Severity   Status    Check / requirement                     Resource              Reason
────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────
high       fail      resource_location_us                    fail-vm (rg-cjis)     westeurope is not a US region
                     residency.resource_location
high       unknown   subscription_allowed_locations_policy   subscription Agency   could not read policy_assignments
                     residency.allowed_locations_policy                            (HTTP 403 AuthorizationFailed)

Step 2 · Customer-managed keys: 2 failing findings, 1 unknown
Severity   Status    Check / requirement              Resource                 Reason
────────────────────────────────────────────────────────────────────────────────────────────────────────────────────
critical   fail      storage_account_cmk_encryption   fail-sa (rg-cjis)        encrypted with Microsoft-managed keys
                     cmk.storage_account
critical   unknown   disk_cmk_encryption              unknown-disk (rg-cjis)   could not read disk_encryption_sets
                     cmk.managed_disk
high       fail      key_store_purge_protection       fail-kv (rg-cjis)        purge protection is off
                     cmk.vault_recoverability

Collection errors: 1 scope could not be read (findings there are unknown)
Scope                 Collector            HTTP   Code                  Remedy
──────────────────────────────────────────────────────────────────────────────────────────────────
subscription Agency   policy_assignments    403   AuthorizationFailed   Reader on the subscription

Verdict: FAIL: 3 failing finding(s) at or above --fail-on high (exit 1); failing: 1 critical, 2 high; 2 unknown; 1
collection error; 1 manual to attest
"""  # noqa: E501 - the console is 120 wide


def test_whole_output(sample: ScanResult) -> None:
    assert render(sample) == EXPECTED


EXPECTED_NARROW = """\
cjis-scan 0.1.0 · FBI CJIS Security Policy 6.0 (Azure) · source demo
Tenant 00000000-0000-0000-0000-0000000000t1 · cloud commercial · profile
commercial · 1 subscription (Agency)

Scores by step
Step                      Pass   Fail   Unknown   Manual   N/A   Waived   Score
───────────────────────────────────────────────────────────────────────────────
1 Data residency             2      1         1        0     0        0     50%
2 Customer-managed keys      0      1         0        0     0        0      0%

Overall                      2      2         1        0     0        0     40%

Step 1 · Data residency: 1 failing finding, 1 unknown
Severity   Status    Check / requirement · resource · reason
────────────────────────────────────────────────────────────────────────────────
high       fail      resource_location_us
                     residency.resource_location
                     fail-vm (rg-cjis)
                     westeurope is not a US region

high       unknown   subscription_allowed_locations_policy
                     residency.allowed_locations_policy
                     subscription Agency
                     could not read policy_assignments (HTTP 403
                     AuthorizationFailed)

Step 2 · Customer-managed keys: 1 failing finding, 0 unknown
Severity   Status   Check / requirement · resource · reason
───────────────────────────────────────────────────────────
critical   fail     storage_account_cmk_encryption
                    cmk.storage_account
                    fail-sa (rg-cjis)
                    encrypted with Microsoft-managed keys

Verdict: FAIL: 2 failing finding(s) at or above --fail-on high (exit 1);
failing: 1 critical, 1 high; 1 unknown
"""


def test_whole_output_on_a_narrow_console() -> None:
    # 80 columns (rich's width off a terminal): each finding's details stacked.
    assert render(result_of(sample_findings()[:5]), width=80) == EXPECTED_NARROW


def test_evidence_is_never_printed(sample: ScanResult) -> None:
    assert SECRET_EVIDENCE not in render(sample)
    assert "keySource" not in render(sample)


def test_no_findings() -> None:
    text = render(result_of([]))
    overall = next(line for line in text.splitlines() if "Overall" in line)
    assert overall.split() == ["Overall", "0", "0", "0", "0", "0", "0", "—"]
    assert text.splitlines()[-1] == ("Verdict: PASS: no failing finding at or above --fail-on "
                                     "high (exit 0); no findings in scope")
    assert "Collection errors" not in text


def test_most_severe_first_and_fail_before_unknown() -> None:
    def one(name: str, status: Status, severity: Severity) -> Finding:
        return finding("cmk.storage_account", "storage_account_cmk_encryption",
                       arm_id("Microsoft.Storage/storageAccounts", name), status,
                       f"reason of {name}", severity=severity)

    findings = [
        one("a-low-fail", Status.FAIL, Severity.LOW),
        one("b-crit-unknown", Status.UNKNOWN, Severity.CRITICAL),
        one("c-info-fail", Status.FAIL, Severity.INFO),
        one("d-crit-fail", Status.FAIL, Severity.CRITICAL),
        one("e-medium-unknown", Status.UNKNOWN, Severity.MEDIUM),
        one("f-high-fail", Status.FAIL, Severity.HIGH),
        one("g-pass", Status.PASS, Severity.CRITICAL),
    ]
    text = render(result_of(findings))
    order = ["d-crit-fail", "b-crit-unknown", "f-high-fail", "e-medium-unknown",
             "a-low-fail", "c-info-fail"]
    positions = [text.index(f"reason of {name}") for name in order]
    assert positions == sorted(positions)
    assert "reason of g-pass" not in text


def test_cap_per_step_with_the_rest_counted() -> None:
    findings = [
        finding("residency.resource_location", "resource_location_us",
                arm_id("Microsoft.Compute/virtualMachines", f"vm-{i:02d}"), Status.FAIL,
                f"vm-{i:02d} is in westeurope")
        for i in range(MAX_FINDINGS_PER_STEP + 5)
    ]
    text = render(result_of(findings))
    shown = [i for i in range(len(findings)) if f"vm-{i:02d} is in westeurope" in text]
    assert shown == list(range(MAX_FINDINGS_PER_STEP))
    assert "  … and 5 more (see the JSON report)" in text
    assert "Step 1 · Data residency: 25 failing findings, 0 unknown" in text


def test_markup_in_data_is_printed_literally() -> None:
    tricky = finding("cmk.storage_account", "storage_account_cmk_encryption", SA_FAIL,
                     Status.FAIL, "key [bold]kv[/bold] :warning: is [red]missing")
    text = render(result_of([tricky]), width=300)
    assert "key [bold]kv[/bold] :warning: is [red]missing" in text


def test_pass_verdict_mentions_manual() -> None:
    findings = [
        finding("cmk.storage_account", "storage_account_cmk_encryption", SA_PASS, Status.PASS,
                "cmk"),
        finding("cmk.inventory", "tenant_hsm_key_store_exists", f"/tenants/{TENANT}",
                Status.MANUAL, "attest"),
    ]
    last = render(result_of(findings)).splitlines()[-1]
    assert last == ("Verdict: PASS: no failing finding at or above --fail-on high (exit 0); "
                    "1 manual to attest")


def test_a_collection_error_that_made_nothing_unknown_does_not_make_the_scan_incomplete(
        ) -> None:
    findings = [finding("cmk.storage_account", "storage_account_cmk_encryption", SA_PASS,
                        Status.PASS, "cmk")]
    last = render(result_of(findings, [sample_error()])).splitlines()[-1]
    assert last == ("Verdict: PASS: no failing finding at or above --fail-on high (exit 0); "
                    "1 collection error")


def test_incomplete_verdict_when_an_error_made_a_finding_unknown() -> None:
    findings = [finding("logging.activity_log", "subscription_activity_log_to_workspace",
                        SA_PASS, Status.UNKNOWN, "could not read")]
    text = render(result_of(findings, [sample_error()]))
    last = " ".join(text[text.rindex("Verdict:"):].split())
    assert last.startswith("Verdict: INCOMPLETE: 1 finding(s) are unknown because scopes "
                           "could not be read")
    assert "(exit 3)" in last


def test_the_verdict_follows_fail_on_and_says_below_threshold_is_not_gating() -> None:
    import dataclasses

    from scanner.findings import Severity
    from scanner.outcome import decide

    sample_result = result_of(sample_findings())
    outcome = decide(sample_result.scoreboard, [], Severity.CRITICAL, 0, False)
    assert (outcome.verdict, outcome.exit_code) == ("fail", 1)
    low = result_of([finding("cmk.infrastructure_encryption",
                             "storage_account_infrastructure_encryption", SA_PASS,
                             Status.FAIL, "off", severity=Severity.LOW)])
    outcome = decide(low.scoreboard, [], Severity.HIGH, 0, False)
    assert (outcome.verdict, outcome.exit_code) == ("pass", 0)
    meta = dataclasses.replace(low.meta, outcome=outcome.as_dict())
    text = render(dataclasses.replace(low, meta=meta))
    last = " ".join(text[text.rindex("Verdict:"):].split())
    assert last.startswith("Verdict: FAIL below the --fail-on high threshold: not gating")
    assert "(exit 0)" in last


def test_summary_prints_one_screen(sample: ScanResult) -> None:
    console = Console(record=True, width=80, file=io.StringIO())
    render_console(sample, console, summary=True)
    text = console.export_text()
    assert "Scores by step" in text and "Verdict:" in text
    assert "Severity" not in text and "1 scope could not be read" in text
    assert len(text.splitlines()) < 24


def test_80_columns_titles_whole_reasons_wrapped_no_trailing_blanks() -> None:
    long_reason = "word " * 120
    findings = [finding("cmk.storage_account", "storage_account_cmk_encryption", SA_PASS,
                        Status.FAIL, long_reason.strip())]
    console = Console(width=80, file=io.StringIO(), force_terminal=False)
    render_console(result_of(findings), console)
    raw = console.file.getvalue()  # type: ignore[attr-defined]
    assert all(line == line.rstrip() for line in raw.splitlines())
    assert all(len(line) <= 80 for line in raw.splitlines())
    assert "Customer-managed keys" in raw and "…" not in raw
    assert raw.count("word") == 120  # the whole reason, wrapped


def test_ambiguous_short_names_fall_back_to_full_ids() -> None:
    first = arm_id("Microsoft.Storage/storageAccounts", "same", group="rg-a")
    other_sub = arm_id("Microsoft.Storage/storageAccounts", "same", group="rg-a",
                       sub="00000000-0000-0000-0000-00000000bbbb")
    findings = [
        finding("cmk.storage_account", "storage_account_cmk_encryption", rid, Status.FAIL,
                "no cmk")
        for rid in (first, other_sub)
    ]
    text = render(result_of(findings), width=400)
    assert first in text and other_sub in text
    assert "same (rg-a)" not in text


@pytest.mark.parametrize(
    ("resource_id", "short"),
    [
        (f"/tenants/{TENANT}", f"tenant {TENANT}"),
        (f"/subscriptions/{SUB}", "subscription Agency"),
        ("/subscriptions/00000000-0000-0000-0000-00000000bbbb",
         "subscription 00000000-0000-0000-0000-00000000bbbb"),
        (f"/subscriptions/{SUB}/resourceGroups/rg-cjis", "resource group rg-cjis"),
        (SA_PASS, "pass-sa (rg-cjis)"),
        (f"/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv/keys/k1",
         "kv/k1 (rg)"),
        (f"/subscriptions/{SUB}/providers/microsoft.authorization/policyassignments/pa",
         "pa (subscription Agency)"),
        (f"{SA_PASS}/providers/microsoft.insights/diagnosticsettings/ds",
         f"{SA_PASS}/providers/microsoft.insights/diagnosticsettings/ds"),
        ("not-an-arm-id", "not-an-arm-id"),
    ],
)
def test_short_resource(resource_id: str, short: str) -> None:
    assert short_resource(resource_id, {SUB: "Agency"}) == short


@pytest.mark.parametrize(
    ("counts", "shown"),
    [
        ({"pass": 0, "fail": 0, "unknown": 0, "manual": 3}, "—"),
        ({"pass": 2, "fail": 1, "unknown": 1}, "50%"),
        ({"pass": 999, "fail": 1, "unknown": 0}, "99%"),  # never rounds a failure up to 100%
        ({"pass": 4, "fail": 0, "unknown": 0}, "100%"),
        ({"pass": 0, "fail": 1, "unknown": 0}, "0%"),
    ],
)
def test_percent(counts: dict[str, int], shown: str) -> None:
    assert percent(counts) == shown


@pytest.mark.parametrize("width", [80, 120])
def test_a_step_with_only_unknown_findings_scores_not_assessed_not_zero_percent(
        width: int) -> None:
    # 0% would tell the officer every resource failed, when none could be read.
    unknown_only = result_of([finding("residency.resource_location", "resource_location_us",
                                      arm_id("Microsoft.Compute/virtualMachines", "vm"),
                                      Status.UNKNOWN, "could not read")])
    text = render(unknown_only, width=width)
    scores = text.split("Scores by step", 1)[1].split("Overall", 1)[0]
    # At 80 columns the label takes two lines, "not" above "assessed".
    assert " ".join(scores.split()).count("0 not assessed") == 1 if width > 80 else (
        "not\n" in scores and "assessed\n" in scores)
    assert "%" not in scores
