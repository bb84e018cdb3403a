"""End to end: the CLI over the demo tenant, its reports and its exit codes."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scanner.inventory import Inventory, ServiceResource
from scanner.kinds import all_kinds

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "scanner" / "schemas" / "report.schema.json"
SUB_A = "6f1c2a4e-8b3d-4c7e-9a15-2d4e6f8a0b1c"


@dataclass
class Result:
    """What one CLI run printed and returned."""

    exit_code: int
    output: str


def cli(*args: str) -> Result:
    """Run `cjis-scan args` in-process through `main()`, so errors map to exit codes."""
    from rich.console import Console

    from scanner import cli as cli_module

    buffer = io.StringIO()
    saved = (sys.argv, cli_module.out, cli_module.err)
    sys.argv = ["cjis-scan", *args]
    cli_module.out = Console(file=buffer, width=120)
    cli_module.err = Console(file=buffer, width=120, stderr=True)
    code = 0
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            cli_module.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv, cli_module.out, cli_module.err = saved
    return Result(code, buffer.getvalue())


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("demo")
    result = cli("scan", "--demo", "--format", "json,jsonl", "--output", str(out), "--quiet")
    assert result.exit_code == 1, result.output
    return json.loads((out / "cjis-scan-report.json").read_text())


def test_demo_scan_exits_1_and_its_report_validates(demo_report: dict[str, Any]) -> None:
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator(schema).validate(demo_report)
    assert demo_report["scan"]["source"] == "demo"
    assert demo_report["scan"]["profile"] == "commercial"
    assert {e["collector"] for e in demo_report["errors"]} == {"cosmos_accounts"}


def test_demo_has_a_pass_and_a_fail_for_every_check_of_steps_1_2_3_5_transit(
        demo_report: dict[str, Any]) -> None:
    from scanner.registry import judged_framework

    seen: dict[str, set[str]] = {}
    for finding in demo_report["findings"]:
        seen.setdefault(finding["check_id"], set()).add(finding["status"])
    framework = judged_framework()
    tenant_wide = {"tenant_hsm_key_store_exists",  # one tenant: one verdict
                   "entra_diagnostic_logs_to_workspace"}  # fails: test_entra_logs.py
    # Issue 10 item 3: the demo's enforced Allowed locations assignment has an exemption
    # (canary-region-test) inside CJIS Production, so no demo subscription passes it;
    # the demo builder needs a subscription without one (notes/fidelity.md).
    no_pass_in_demo = {"subscription_allowed_locations_policy"}
    manual = {"database_client_side_encryption_attestation"}
    for requirement in framework.requirements:
        if requirement.step not in ("1", "2", "3", "5", "transit"):
            continue
        for check_id in requirement.checks:
            if check_id in tenant_wide:
                assert seen[check_id] == {"pass"}, check_id
            elif check_id in manual:
                assert "manual" in seen[check_id], check_id
            elif check_id in no_pass_in_demo:
                assert "fail" in seen[check_id], check_id
            else:
                assert {"pass", "fail"} <= seen.get(check_id, set()), (check_id,
                                                                       seen.get(check_id))


def test_step_7_findings_are_manual_with_evidence(demo_report: dict[str, Any]) -> None:
    step7 = [f for f in demo_report["findings"] if f["step"] == "7"]
    manual = [f for f in step7 if f["status"] == "manual"]
    assert manual and all(f["evidence"] for f in manual)
    architecture = next(f for f in manual if f["check_id"] == "tenant_cmk_architecture_evidence")
    assert "kv-cjis-prod" in json.dumps(architecture["evidence"])


def test_fingerprints_are_stable_across_runs(tmp_path: Path,
                                             demo_report: dict[str, Any]) -> None:
    result = cli("scan", "--demo", "--format", "json", "--output", str(tmp_path), "--quiet")
    assert result.exit_code == 1
    again = json.loads((tmp_path / "cjis-scan-report.json").read_text())
    first = [f["fingerprint"] for f in demo_report["findings"]]
    assert first == [f["fingerprint"] for f in again["findings"]]
    assert len(set(first)) == len(first)


def test_collect_writes_an_inventory_that_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "inv.json"
    result = cli("collect", "--demo", "-o", str(path), "--quiet")
    assert result.exit_code == 0, result.output
    inventory = Inventory.load(path)
    assert Inventory.model_validate_json(inventory.to_json()) == inventory
    typed_kinds = [k.name for k in all_kinds() if k.model is not ServiceResource]
    for kind in [*typed_kinds, "subscriptions", "regions", "vault_keys", "managed_hsm_keys",
                 "sentinel_onboarding", "alert_rules", "policy_set_definitions", "errors"]:
        assert getattr(inventory, kind), f"the demo inventory has no {kind}"
    assert path.stat().st_mode & 0o777 == 0o600


def test_scan_of_a_saved_inventory_matches_the_live_scan(tmp_path: Path,
                                                         demo_report: dict[str, Any]) -> None:
    inv = tmp_path / "inv.json"
    assert cli("collect", "--demo", "-o", str(inv), "--quiet").exit_code == 0
    result = cli("scan", "--inventory", str(inv), "--format", "json", "--output",
                 str(tmp_path), "--quiet")
    assert result.exit_code == 1
    again = json.loads((tmp_path / "cjis-scan-report.json").read_text())
    assert [(f["fingerprint"], f["status"]) for f in again["findings"]] == \
        [(f["fingerprint"], f["status"]) for f in demo_report["findings"]]


def test_exit_0_when_nothing_fails() -> None:
    result = cli("scan", "--demo", "--check", "sql_server_tde_cmk", "--subscription", SUB_A,
                 "--resource-group", "rg-cjis-data", "--tag", "data=cji", "--quiet",
                 "--fail-on", "critical")
    assert result.exit_code == 0, result.output


def test_exit_3_when_incomplete_and_0_with_allow_partial() -> None:
    args = ["scan", "--demo", "--check", "database_client_side_encryption_attestation",
            "--quiet"]
    incomplete = cli(*args)
    assert incomplete.exit_code == 3, incomplete.output
    assert "scan incomplete" in incomplete.output
    assert cli(*args, "--allow-partial").exit_code == 0


@pytest.mark.parametrize("args, message", [
    (["scan", "--demo", "--check", "no_such_check"], "unknown check"),
    (["scan", "--demo", "--step", "9"], "unknown step"),
    (["scan", "--demo", "--tag", "novalue"], "KEY=VALUE"),
    (["scan", "--demo", "--format", "pdf"], "pdf"),
    (["scan", "--demo", "--format", "json"], "--output"),
    (["scan", "--demo", "--replay", "x.yaml"], "choose one of"),
    (["explain", "no_such_thing"], "no requirement or check"),
])
def test_usage_errors_exit_2_with_a_message(args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_malformed_inputs_exit_2(tmp_path: Path) -> None:
    bad_cassette = tmp_path / "bad.yaml"
    bad_cassette.write_text("interactions: [oops")
    result = cli("scan", "--replay", str(bad_cassette), "--quiet")
    assert result.exit_code == 2 and "cassette" in result.output

    bad_inventory = tmp_path / "inv.json"
    bad_inventory.write_text('{"subscriptions": [{"display_name": 3}]}')
    result = cli("scan", "--inventory", str(bad_inventory), "--quiet")
    assert result.exit_code == 2 and "not a cjis-scan inventory" in result.output

    config = tmp_path / "cjis-scan.toml"
    config.write_text('concurrency = 8\nfail_on = "catastrophic"\n')
    result = cli("scan", "--demo", "--config", str(config), "--quiet")
    assert result.exit_code == 2 and "line 2" in result.output and "fail_on" in result.output


def test_checks_catalogue_lists_every_requirement() -> None:
    from scanner.registry import judged_framework

    result = cli("checks", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    ids = [r["id"] for r in data["requirements"]]
    assert ids == [r.id for r in judged_framework().requirements]
    first = data["requirements"][0]
    assert {"id", "step", "controls", "checks", "severity"} <= set(first)


def test_explain_prints_a_requirement_and_a_check() -> None:
    requirement = cli("explain", "cmk.storage_account")
    assert requirement.exit_code == 0 and "SC-28(1)" in requirement.output
    check = cli("explain", "storage_account_cmk_encryption")
    assert check.exit_code == 0 and "learn.microsoft.com" in check.output


def test_console_script_runs_as_a_process() -> None:
    """The installed entry point, not just the in-process app."""
    proc = subprocess.run([sys.executable, "-m", "scanner.cli", "--version"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "cjis-scan" in proc.stdout


@pytest.mark.parametrize("cloud", ["usgov", "usgov-dod"])  # usgov-dod: issue 10 item 17
def test_a_credential_that_cannot_sign_in_exits_4_naming_the_ways_to_sign_in(
        monkeypatch: pytest.MonkeyPatch, cloud: str) -> None:
    import azure.identity
    from azure.core.exceptions import ClientAuthenticationError

    seen: dict[str, Any] = {}

    class Expired:
        def __init__(self, **kwargs: Any) -> None:
            seen.update(kwargs)

        def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            raise ClientAuthenticationError(
                "AzureCliCredential: The refresh token has expired (AADSTS700082)")

    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", Expired)
    result = cli("scan", "--quiet", "--cloud", cloud)
    assert result.exit_code == 4, result.output
    assert f"could not sign in to Azure ({cloud})" in result.output
    assert "AZURE_CLIENT_SECRET" in result.output and "az login" in result.output
    assert "Traceback" not in result.output
    assert seen["authority"] == "login.microsoftonline.us"  # the US Government authority


def test_demo_writes_all_five_issue_5_formats_and_each_parses(tmp_path: Path) -> None:
    import csv
    import xml.etree.ElementTree as ET

    result = cli("scan", "--demo", "--format", "html,packet,csv,junit,ocsf", "--output",
                 str(tmp_path), "--quiet")
    assert result.exit_code == 1, result.output
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {"cjis-scan-report.html", "cjis-scan-audit-packet.md",
                     "cjis-scan-audit-packet.html", "cjis-scan-findings.csv",
                     "cjis-scan-junit.xml", "cjis-scan-ocsf.json"}
    rows = list(csv.DictReader((tmp_path / "cjis-scan-findings.csv").open(newline="")))
    events = json.loads((tmp_path / "cjis-scan-ocsf.json").read_text())
    suites = ET.parse(tmp_path / "cjis-scan-junit.xml").getroot()
    cases = suites.findall(".//testcase")
    assert len(rows) == len(events) == len(cases) > 100
    assert {e["class_uid"] for e in events} == {2003}
    html = (tmp_path / "cjis-scan-report.html").read_text()
    assert "<script src=" not in html and rows[0]["fingerprint"] in html
    packet = (tmp_path / "cjis-scan-audit-packet.md").read_text()
    assert "kv-cjis-prod" in packet
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in tmp_path.iterdir())


def test_a_write_refused_by_the_guard_exits_5(tmp_path: Path) -> None:
    from scanner.inventory import CollectionError

    inventory = Inventory(tenant_id="t", errors=[CollectionError(
        scope="/subscriptions/s", collector="storage_accounts", code="ReadOnlyGuard",
        message="refused POST /subscriptions/s/.../listKeys: cjis-scan only reads")])
    path = tmp_path / "inv.json"
    path.write_text(inventory.to_json())
    result = cli("scan", "--inventory", str(path), "--quiet")
    assert result.exit_code == 5, result.output
    assert "read-only guard refused 1 request" in result.output


def test_demo_judges_a_managed_hsm_key_read_through_arm(demo_report: dict[str, Any]) -> None:
    # hsm (issue 10 item 8): the demo's SQL TDE key in hsm-cjis is HSM-backed (pass) and has
    # an expiry but no Rotate action (fail), judged on the key, not `unknown`.
    found = {(f["check_id"], f["status"]) for f in demo_report["findings"]
             if f["resource_id"].endswith("/managedhsms/hsm-cjis/keys/tde-records")}
    assert found == {("cmk_key_hsm_backed", "pass"), ("cmk_key_rotation_policy", "fail")}
