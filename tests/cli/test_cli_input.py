"""What the user typed is checked before any sign-in: plain messages, documented exit codes."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from tests.cli.test_scan_cli import cli


@pytest.fixture(autouse=True)
def _no_cwd_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./cjis-scan.toml from the checkout


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("args", [
    ("--step", "4", "--check", "resource_location_us"),
    ("--check", "resource_location_us", "--skip-check", "resource_location_us"),
    ("--step", "1", "--skip-check", "residency.resource_location", "--skip-check",
     "residency.resource_group_location", "--skip-check", "residency.allowed_locations_policy",
     "--skip-check", "residency.allowed_rg_locations_policy", "--skip-check",
     "residency.storage_geo_replica", "--skip-check", "residency.service_replicas"),
])
def test_a_selection_that_runs_no_check_is_a_usage_error(args: tuple[str, ...]) -> None:
    for extra in ((), ("--allow-partial",)):
        result = cli("scan", "--demo", "--quiet", *args, *extra)
        assert result.exit_code == 2, result.output
        assert "selects no check" in result.output and "Traceback" not in result.output


def test_an_unknown_check_id_says_did_you_mean() -> None:
    result = cli("scan", "--demo", "--check", "storage_acount_https_only")
    assert result.exit_code == 2
    assert "did you mean 'storage_account_https_only'?" in _flat(result.output)


def test_an_unknown_step_lists_the_steps() -> None:
    result = cli("scan", "--demo", "--step", "8")
    assert result.exit_code == 2
    assert "choose from 1, 2, 3, 4, 5, 6, 7, transit" in _flat(result.output)


def test_an_explicit_config_that_is_missing_or_a_directory_is_exit_2(tmp_path: Path) -> None:
    missing = cli("scan", "--demo", "--config", str(tmp_path / "nope.toml"))
    assert missing.exit_code == 2 and "no such file" in missing.output
    directory = cli("scan", "--demo", "--config", str(tmp_path))
    assert directory.exit_code == 2 and "is a directory" in directory.output


def test_the_default_config_is_optional() -> None:
    result = cli("scan", "--demo", "--quiet", "--summary")
    assert result.exit_code == 1, result.output


def test_every_flag_can_be_set_in_the_config_under_its_own_name(tmp_path: Path) -> None:
    (tmp_path / "cjis-scan.toml").write_text(
        'format = "json"\n'
        f'output = "{tmp_path / "out"}"\n'
        'fail-on = "critical"\n'
        'allow_partial = true\n'
        'step = ["transit"]\n'
        'quiet = true\n')
    result = cli("scan", "--demo")
    report = json.loads((tmp_path / "out" / "cjis-scan-report.json").read_text())
    assert report["scan"]["boundary"]["steps"] == ["transit"]
    outcome = report["scan"]["outcome"]
    assert outcome["fail_on"] == "critical"
    assert result.exit_code == outcome["exit_code"] == 0  # transit has no critical failure
    assert outcome["verdict"] == "pass" and "not gating" in outcome["summary"]


def test_an_unknown_config_key_says_did_you_mean(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('fail_onn = "low"\n')
    result = cli("scan", "--demo", "--config", str(path))
    assert result.exit_code == 2
    assert f"{path}, line 1: unknown setting 'fail_onn' (did you mean 'fail_on'?)" in _flat(
        result.output)


def test_config_errors_are_in_plain_words(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('concurrency = 500\n')
    result = cli("scan", "--demo", "--config", str(path))
    assert result.exit_code == 2
    assert "must be at most 256" in result.output
    path.write_text('fail_on = "hihg"\n')
    result = cli("scan", "--demo", "--config", str(path))
    assert "choose 'critical', 'high', 'medium', 'low', 'info'" in _flat(result.output)
    for words in ("Input should", "pydantic", "KeyError", "Field required"):
        assert words not in result.output


def test_collect_reads_the_config_too(tmp_path: Path) -> None:
    (tmp_path / "cjis-scan.toml").write_text('subscription = ["not-a-guid"]\n')
    result = cli("collect", "--demo", "-o", str(tmp_path / "inv.json"))
    assert result.exit_code == 2 and "is not a subscription id" in result.output


@pytest.mark.parametrize("value", ["CJIS Production", "6f1c2a4e", "prod"])
def test_a_subscription_must_be_a_guid(value: str) -> None:
    result = cli("scan", "--demo", "-s", value)
    assert result.exit_code == 2
    assert f"--subscription '{value}' is not a subscription id" in _flat(result.output)


def test_zero_subscriptions_in_scope_is_its_own_error() -> None:
    result = cli("scan", "--demo", "--quiet", "-s", "00000000-0000-0000-0000-000000000000")
    assert result.exit_code == 2, result.output
    assert "no subscription in scope" in result.output
    assert "Verdict" not in result.output  # nothing judged, nothing reported as passing


def test_a_resource_group_or_tag_matching_nothing_warns_and_fails_with_strict() -> None:
    warned = cli("scan", "--demo", "--quiet", "--summary", "-g", "rg-cjis-dat")
    assert warned.exit_code == 1
    flat = _flat(warned.output)
    assert "warning: --resource-group rg-cjis-dat: no resource group of that name" in flat
    assert "did you mean 'rg-cjis-data'?" in flat
    strict = cli("scan", "--demo", "--quiet", "--tag", "nosuch=tag", "--strict")
    assert strict.exit_code == 2 and "--tag nosuch=tag" in strict.output


def test_tag_keys_match_case_insensitively(tmp_path: Path) -> None:
    from scanner.inventory import Inventory

    collected = cli("collect", "--demo", "--quiet", "-o", str(tmp_path / "inv.json"))
    assert collected.exit_code == 0, collected.output
    inventory = Inventory.load(tmp_path / "inv.json")
    key, value = next((k, v) for r in inventory.resources for k, v in (r.tags or {}).items())
    runs = {}
    for typed in (key, key.upper(), key.lower()):
        out = tmp_path / typed
        result = cli("scan", "--inventory", str(tmp_path / "inv.json"), "--quiet", "--format",
                     "json", "-o", str(out), "--tag", f"{typed}={value}", "--strict")
        assert result.exit_code in (0, 1), result.output
        runs[typed] = len(json.loads((out / "cjis-scan-report.json").read_text())["findings"])
    assert len(set(runs.values())) == 1 and runs[key] > 0


def test_output_is_validated_before_collecting(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    result = cli("scan", "--demo", "--format", "json", "--output", str(a_file / "reports"))
    assert result.exit_code == 2 and "is a file, not a directory" in result.output
    assert "Scores by step" not in result.output  # failed before judging
    missing = cli("scan", "--demo", "--format", "json,html")
    assert missing.exit_code == 2 and "--format json,html writes files: give --output DIR" in \
        _flat(missing.output)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_collect_onto_a_read_only_path_is_exit_2_in_one_line(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    result = cli("collect", "--demo", "-o", str(locked / "inv.json"))
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1


def test_collect_onto_a_directory_or_under_a_file_is_exit_2_in_one_line(tmp_path: Path) -> None:
    onto_dir = cli("collect", "--demo", "-o", str(tmp_path))
    assert onto_dir.exit_code == 2 and "is a directory" in onto_dir.output
    assert len(onto_dir.output.strip().splitlines()) == 1
    a_file = tmp_path / "f"
    a_file.write_text("")
    under = cli("collect", "--demo", "-o", str(a_file / "inv.json"))
    assert under.exit_code == 2 and "is a file, not a directory" in under.output
    assert len(under.output.strip().splitlines()) == 1


def test_read_only_existing_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "inv.json"
    target.write_text("{}")
    target.chmod(0o400)
    from scanner.cli_validate import output_file
    from scanner.errors import UsageError

    if os.geteuid() != 0:
        with pytest.raises(UsageError, match="read-only"):
            output_file(target)


def test_help_shows_choices_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    result = cli("scan", "--help")
    flat = _flat(result.output)
    for shown in ("[default: high]", "critical|high|medium|low|info", "commercial|usgov",
                  "[default: console]", "[default: arm]", "text|json",
                  "[default: ./cjis-scan.toml if present]"):
        assert shown in flat, shown


def test_the_outcome_is_in_every_report_and_matches_the_exit_code(tmp_path: Path) -> None:
    result = cli("scan", "--demo", "--quiet", "--format",
                 "console,json,html,packet,ocsf,junit,csv,jsonl", "-o", str(tmp_path))
    assert result.exit_code == 1
    report = json.loads((tmp_path / "cjis-scan-report.json").read_text())
    assert report["scan"]["outcome"]["exit_code"] == 1
    assert report["scan"]["outcome"]["verdict"] == "fail"
    html = (tmp_path / "cjis-scan-report.html").read_text()
    packet = (tmp_path / "cjis-scan-audit-packet.md").read_text()
    ocsf = json.loads((tmp_path / "cjis-scan-ocsf.json").read_text())
    junit = (tmp_path / "cjis-scan-junit.xml").read_text()
    for text in (html, packet, junit, json.dumps(ocsf[0])):
        assert "fail_on" in text or "--fail-on high" in text, text[:300]
    assert "exit code 1" in packet and "exit code 1" in html
    assert "(exit 1)" in result.output
    # A row or a line read alone says what the scan concluded.
    with (tmp_path / "cjis-scan-findings.csv").open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert rows and {(r["scan_verdict"], r["scan_exit_code"], r["scan_fail_on"])
                     for r in rows} == {("fail", "1", "high")}
    lines = (tmp_path / "cjis-scan-findings.jsonl").read_text().splitlines()
    assert lines and {json.dumps(json.loads(line)["scan_outcome"], sort_keys=True)
                      for line in lines} == {json.dumps(
                          {"exit_code": 1, "fail_on": "high", "verdict": "fail"})}


def test_only_the_unknowns_caused_by_unread_scopes_make_a_scan_incomplete() -> None:
    # The demo's one error is cosmos_accounts: transit checks never read it.
    transit = cli("scan", "--demo", "--quiet", "--step", "transit", "--fail-on", "critical")
    assert transit.exit_code == 0, transit.output
    # Step 2 reads key stores' CMK users, Cosmos DB accounts among them.
    cmk = cli("scan", "--demo", "--quiet", "--check", "key_store_hsm_tier", "--fail-on",
              "critical")
    assert cmk.exit_code in (1, 3), cmk.output
    if cmk.exit_code == 3:
        assert "INCOMPLETE" in cmk.output


def test_subscriptions_are_sorted_by_name_in_every_report() -> None:
    from datetime import UTC, datetime

    from scanner.config import ScanConfig
    from scanner.inventory import Inventory, Subscription
    from scanner.scan import run_judgement

    subs = [Subscription(subscription_id=f"0000000{i}-0000-0000-0000-000000000000",
                         display_name=name)
            for i, name in enumerate(["Zulu", "alpha", "Mike"])]
    result = run_judgement(Inventory(subscriptions=subs), ScanConfig(checks=[
        "subscription_activity_log_to_workspace"]), datetime(2026, 6, 1, tzinfo=UTC), "t")
    assert [s["display_name"] for s in result.meta.subscriptions] == ["alpha", "Mike", "Zulu"]


def test_explain_an_unknown_id_says_did_you_mean() -> None:
    result = cli("explain", "storage_acount_https_only")
    assert result.exit_code == 2
    assert "did you mean 'storage_account_https_only'?" in _flat(result.output)


def test_a_graph_only_scan_does_not_warn_about_groups_it_never_listed() -> None:
    result = cli("scan", "--demo", "--quiet", "--summary", "--step", "4", "-g", "rg-cjis-data",
                 "--strict")
    assert result.exit_code in (0, 1), result.output
    assert "no resource group of that name" not in result.output
