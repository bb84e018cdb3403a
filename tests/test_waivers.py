"""Waivers: config `[[waiver]]` tables and Azure Policy exemptions turned into `waived`."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from scanner.config import ScanConfig, load_config
from scanner.errors import UsageError
from scanner.findings import Finding, Remediation, Status, fingerprint
from scanner.inventory import Inventory
from scanner.inventory_policy import (
    PolicyAssignment,
    PolicyExemption,
    PolicyReference,
    PolicySetDefinition,
)
from scanner.registry import judged_framework
from scanner.waivers import Waiver, WaiverBook, apply_waivers, exempted_checks, waiver_line
from tests.cli.test_scan_cli import cli

SUB = "00000000-0000-0000-0000-00000000aaaa"
OTHER_SUB = "00000000-0000-0000-0000-00000000bbbb"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
BUILTIN = "/providers/microsoft.authorization/policydefinitions/"
ALLOWED_LOCATIONS = "e56962a6-4747-49cd-b67b-bf8b01975c4c"
STORAGE_CMK = "6fac406b-40ca-413b-bf8e-0bf964659c25"


def arm_id(kind_path: str, name: str, group: str = "rg-cjis", sub: str = SUB) -> str:
    return f"/subscriptions/{sub}/resourcegroups/{group}/providers/{kind_path}/{name}".lower()


SA_LEGACY = arm_id("Microsoft.Storage/storageAccounts", "fail-legacy")
SA_OTHER = arm_id("Microsoft.Storage/storageAccounts", "fail-other", group="rg-apps")
VM_EU = arm_id("Microsoft.Compute/virtualMachines", "fail-vm-eu", group="rg-dr")


def finding(check_id: str, resource_id: str, status: Status = Status.FAIL,
            location: str | None = "westeurope", resource_type: str = "") -> Finding:
    framework = judged_framework()
    requirement = next(r for r in framework.requirements if check_id in r.checks)
    return Finding(
        fingerprint=fingerprint(requirement.id, check_id, resource_id), framework=framework.id,
        requirement_id=requirement.id, step=requirement.step,
        controls=requirement.controls, check_id=check_id, title=check_id,
        severity=requirement.severity["commercial"], status=status, resource_id=resource_id,
        resource_type=resource_type, subscription_id=resource_id.split("/")[2],
        location=location, reason=f"reason of {check_id}",
        evidence={"looked_at": resource_id, "value": None},
        remediation=Remediation(summary="fix it"))


def waiver(check: str = "storage_account_cmk_encryption", resource: str = SA_LEGACY,
           expires: date = date(2025, 12, 31), **extra: Any) -> Waiver:
    return Waiver(check=check, resource=resource, justification="legacy account, retiring Q3",
                  approver="ISO Jane Doe", expires=expires, **extra)


# --- matching ------------------------------------------------------------------------------

def test_a_waiver_by_check_id_and_exact_id_waives_only_that_finding() -> None:
    findings = [finding("storage_account_cmk_encryption", SA_LEGACY),
                finding("storage_account_cmk_encryption", SA_OTHER),
                finding("storage_account_https_only", SA_LEGACY)]
    # ARM ids compare case-insensitively: the config may spell them as the portal does.
    upper = SA_LEGACY.replace("fail-legacy", "FAIL-Legacy").replace("resourcegroups",
                                                                     "resourceGroups")
    out, warnings = apply_waivers(findings, [waiver(resource=upper, ticket="CHG-1")], None, NOW)
    assert [f.status for f in out] == [Status.WAIVED, Status.FAIL, Status.FAIL]
    waived = out[0]
    assert waived.reason == findings[0].reason and waived.evidence == findings[0].evidence
    assert waived.waiver == {
        "source": "config", "id": "config:1", "check": "storage_account_cmk_encryption",
        "resource": upper, "justification": "legacy account, retiring Q3",
        "approver": "ISO Jane Doe", "expires": "2025-12-31", "ticket": "CHG-1",
        "original_status": "fail"}
    assert warnings == []


def test_a_glob_waives_every_matching_resource_and_a_requirement_id_every_check() -> None:
    findings = [finding("storage_account_cmk_encryption", SA_LEGACY),
                finding("storage_account_cmk_encryption", SA_OTHER),
                finding("cmk_key_rotation_policy", SA_LEGACY),
                finding("storage_account_cmk_versionless_key", SA_OTHER)]
    rg_glob = f"/subscriptions/{SUB}/resourceGroups/rg-cjis/*"
    out, _ = apply_waivers(findings, [waiver(resource=rg_glob),
                                      waiver(check="cmk.key_rotation", resource="*")], None, NOW)
    assert [f.status for f in out] == [Status.WAIVED, Status.FAIL, Status.WAIVED,
                                       Status.WAIVED]
    assert out[2].waiver and out[2].waiver["id"] == "config:2"


def test_only_fail_unknown_and_manual_become_waived() -> None:
    statuses = [Status.FAIL, Status.UNKNOWN, Status.MANUAL, Status.PASS, Status.NOT_APPLICABLE]
    findings = [finding("storage_account_cmk_encryption", SA_LEGACY, s) for s in statuses]
    out, warnings = apply_waivers(findings, [waiver()], None, NOW)
    assert [f.status for f in out] == [Status.WAIVED] * 3 + [Status.PASS, Status.NOT_APPLICABLE]
    assert [f.waiver["original_status"] for f in out[:3] if f.waiver] == ["fail", "unknown",
                                                                          "manual"]
    assert out[3] is findings[3] and out[3].waiver is None
    assert warnings == []


def test_the_first_matching_waiver_in_file_order_wins() -> None:
    out, warnings = apply_waivers([finding("storage_account_cmk_encryption", SA_LEGACY)],
                                  [waiver(resource="*"), waiver()], None, NOW)
    assert out[0].waiver and out[0].waiver["id"] == "config:1"
    assert warnings == []  # the second matched too: it is not unused


# --- expiry, unused ------------------------------------------------------------------------

def test_a_waiver_applies_through_its_expiry_day_and_stops_the_day_after() -> None:
    findings = [finding("storage_account_cmk_encryption", SA_LEGACY)]
    today = apply_waivers(findings, [waiver(expires=NOW.date())], None, NOW)
    assert today[0][0].status is Status.WAIVED and today[1] == []
    expired, warnings = apply_waivers(findings, [waiver(expires=date(2025, 5, 31))], None, NOW)
    assert expired[0].status is Status.FAIL and expired[0].waiver is None
    (warning,) = warnings
    assert "waiver #1" in warning and "expired on 2025-05-31" in warning
    assert "ISO Jane Doe" in warning


def test_an_unused_waiver_and_one_matching_only_passes_are_reported() -> None:
    findings = [finding("storage_account_cmk_encryption", SA_LEGACY, Status.PASS)]
    _, warnings = apply_waivers(findings, [waiver(), waiver(resource=SA_OTHER)], None, NOW)
    assert warnings == [
        f"waiver #1 (storage_account_cmk_encryption on {SA_LEGACY}) matched 1 finding(s), "
        f"none failing: it can be removed",
        f"waiver #2 (storage_account_cmk_encryption on {SA_OTHER}) matched no finding in "
        f"this scan: check the id and resource, or remove it"]


def test_a_waiver_of_a_check_that_did_not_run_is_not_called_unused() -> None:
    book = WaiverBook([waiver(check="vm_encryption_at_host", resource="*")], None, NOW,
                      selected={"storage_account_cmk_encryption", "cmk.storage_account"})
    book.apply(finding("storage_account_cmk_encryption", SA_LEGACY))
    assert book.warnings() == []


# --- Azure Policy exemptions -----------------------------------------------------------------

def assignment(definition: str, scope: str = f"/subscriptions/{SUB}",
               name: str = "allowed-locations") -> PolicyAssignment:
    return PolicyAssignment(
        id=f"{scope}/providers/Microsoft.Authorization/policyAssignments/{name}", name=name,
        scope=scope, policy_definition_id=definition, applies_to=[SUB])


def exemption(scope: str, assignment_id: str, **fields: Any) -> PolicyExemption:
    name = fields.pop("name", "ex-1")
    return PolicyExemption(
        id=f"{scope}/providers/Microsoft.Authorization/policyExemptions/{name}", name=name,
        scope=scope, policy_assignment_id=assignment_id,
        exemption_category=fields.pop("exemption_category", "Mitigated"),
        display_name="DR copy", description="DR copy in Europe, no CJI",
        metadata={"approvedBy": "CISO"}, applies_to=fields.pop("applies_to", [SUB]), **fields)


def test_an_exemption_waives_the_checks_of_its_policy_within_its_scope() -> None:
    allowed = assignment(BUILTIN + ALLOWED_LOCATIONS)
    rg_scope = f"/subscriptions/{SUB}/resourceGroups/rg-dr"
    inv = Inventory(policy_assignments=[allowed],
                    policy_exemptions=[exemption(rg_scope, allowed.id)])
    in_scope = finding("resource_location_us", VM_EU)
    outside = finding("resource_location_us", arm_id("Microsoft.Compute/virtualMachines", "x"))
    other_check = finding("vm_encryption_at_host", VM_EU)
    subscription = finding("subscription_allowed_locations_policy", f"/subscriptions/{SUB}")
    out, warnings = apply_waivers([in_scope, outside, other_check, subscription], [], inv, NOW)
    assert [f.status for f in out] == [Status.WAIVED, Status.FAIL, Status.FAIL, Status.FAIL]
    record = out[0].waiver
    assert record is not None
    assert (record["source"], record["category"], record["approver"], record["expires"]) == \
        ("azure_policy", "Mitigated", "CISO", None)
    assert record["description"] == "DR copy in Europe, no CJI"
    assert record["scope"] == rg_scope.lower() and record["original_status"] == "fail"
    assert warnings == []


def test_a_subscription_exemption_also_waives_the_subscription_finding() -> None:
    allowed = assignment(BUILTIN + ALLOWED_LOCATIONS)
    inv = Inventory(policy_assignments=[allowed],
                    policy_exemptions=[exemption(f"/subscriptions/{SUB}", allowed.id)])
    out, _ = apply_waivers([finding("subscription_allowed_locations_policy",
                                    f"/subscriptions/{SUB}", location=None),
                            finding("resource_location_us", VM_EU)], [], inv, NOW)
    assert [f.status for f in out] == [Status.WAIVED, Status.WAIVED]


def test_an_initiative_exemption_covers_only_the_referenced_policies() -> None:
    set_id = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/policySetDefinitions/cjis"
    initiative = PolicySetDefinition(id=set_id, policy_definitions=[
        PolicyReference(policy_definition_id=BUILTIN + ALLOWED_LOCATIONS, reference_id="loc"),
        PolicyReference(policy_definition_id=BUILTIN + STORAGE_CMK, reference_id="storageCmk")])
    baseline = assignment(set_id, name="cjis-baseline")
    inv = Inventory(policy_assignments=[baseline], policy_set_definitions=[initiative],
                    policy_exemptions=[exemption(f"/subscriptions/{SUB}", baseline.id,
                                                 policy_definition_reference_ids=["StorageCmk"])])
    assert exempted_checks(inv.policy_exemptions[0], inv) == {"storage_account_cmk_encryption"}
    whole = inv.model_copy(update={"policy_exemptions": [
        exemption(f"/subscriptions/{SUB}", baseline.id)]})
    assert exempted_checks(whole.policy_exemptions[0], whole) == {
        "storage_account_cmk_encryption", "resource_location_us",
        "subscription_allowed_locations_policy"}


def test_a_management_group_exemption_covers_the_subscriptions_that_list_it() -> None:
    mg = "/providers/Microsoft.Management/managementGroups/mg-cjis"
    allowed = assignment(BUILTIN + ALLOWED_LOCATIONS, scope=mg)
    # Listed by both subscriptions' exemption lists: merged, not applied twice.
    inv = Inventory(policy_assignments=[allowed], policy_exemptions=[
        exemption(mg, allowed.id, applies_to=[SUB]),
        exemption(mg, allowed.id, applies_to=[OTHER_SUB])])
    third = "00000000-0000-0000-0000-00000000cccc"
    out, _ = apply_waivers([finding("resource_location_us", VM_EU),
                            finding("resource_location_us", VM_EU.replace(SUB, OTHER_SUB)),
                            finding("resource_location_us", VM_EU.replace(SUB, third))],
                           [], inv, NOW)
    assert [f.status for f in out] == [Status.WAIVED, Status.WAIVED, Status.FAIL]


def test_expired_exemptions_and_exemptions_from_other_policies_do_not_apply() -> None:
    allowed = assignment(BUILTIN + ALLOWED_LOCATIONS)
    costs = assignment(BUILTIN + "0a914e76-4921-4c19-b460-a2d36003525a", name="costs")
    inv = Inventory(policy_assignments=[allowed, costs], policy_exemptions=[
        exemption(f"/subscriptions/{SUB}", allowed.id, name="expired",
                  expires_on=datetime(2025, 1, 31, tzinfo=UTC)),
        exemption(f"/subscriptions/{SUB}", costs.id, name="costs-ex"),
        exemption(f"/subscriptions/{SUB}", "/subscriptions/x/providers/microsoft.authorization/"
                  "policyassignments/not-read", name="orphan")])
    out, warnings = apply_waivers([finding("resource_location_us", VM_EU)], [], inv, NOW)
    assert out[0].status is Status.FAIL
    (warning,) = warnings  # only the expired one that concerns a CJIS check
    assert "'expired'" in warning and "2025-01-31T00:00:00Z" in warning


def test_a_future_expiry_applies_and_is_recorded() -> None:
    allowed = assignment(BUILTIN + ALLOWED_LOCATIONS)
    inv = Inventory(policy_assignments=[allowed], policy_exemptions=[
        exemption(f"/subscriptions/{SUB}", allowed.id, exemption_category="Waiver",
                  expires_on=datetime(2025, 9, 30, tzinfo=UTC))])
    out, _ = apply_waivers([finding("resource_location_us", VM_EU)], [], inv, NOW)
    assert out[0].waiver and out[0].waiver["expires"] == "2025-09-30T00:00:00Z"
    assert out[0].waiver["category"] == "Waiver"


def test_resource_selectors_narrow_an_exemption() -> None:
    allowed = assignment(BUILTIN + ALLOWED_LOCATIONS)
    selectors = [{"name": "EU only", "selectors": [
        {"kind": "resourceLocation", "in": ["West Europe"]}]}]
    inv = Inventory(policy_assignments=[allowed], policy_exemptions=[
        exemption(f"/subscriptions/{SUB}", allowed.id, resource_selectors=selectors)])
    out, _ = apply_waivers([finding("resource_location_us", VM_EU, location="westeurope"),
                            finding("resource_location_us", SA_LEGACY, location="eastus2euap")],
                           [], inv, NOW)
    assert [f.status for f in out] == [Status.WAIVED, Status.FAIL]


def test_config_waivers_come_before_azure_exemptions() -> None:
    allowed = assignment(BUILTIN + ALLOWED_LOCATIONS)
    inv = Inventory(policy_assignments=[allowed],
                    policy_exemptions=[exemption(f"/subscriptions/{SUB}", allowed.id)])
    out, _ = apply_waivers([finding("resource_location_us", VM_EU)],
                           [waiver(check="resource_location_us", resource=VM_EU)], inv, NOW)
    assert out[0].waiver and out[0].waiver["source"] == "config"


# --- the config file -----------------------------------------------------------------------

CONFIG = """\
fail_on = "medium"

[[waiver]]
check = "storage_account_cmk_encryption"
resource = "{rg}/providers/Microsoft.Storage/storageAccounts/fail-legacy"
justification = "Legacy exports account, retired in Q3"
approver = "Jane Doe, ISO"
expires = 2025-09-30
ticket = "CHG-1042"

[[waiver]]
check = "cmk.key_rotation"
resource = "/subscriptions/{sub}/resourceGroups/rg-legacy/*"
justification = "Keys rotated by hand until the HSM migration"
approver = "Jane Doe, ISO"
expires = "2025-12-31"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cjis-scan.toml"
    path.write_text(text.format(sub=SUB, rg=f"/subscriptions/{SUB}/resourceGroups/rg-cjis"),
                    encoding="utf-8")
    return path


def test_waiver_tables_load_beside_top_level_settings_or_a_scan_table(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, CONFIG), {})
    assert config.fail_on == "medium"
    assert [w.check for w in config.waivers] == ["storage_account_cmk_encryption",
                                                 "cmk.key_rotation"]
    assert config.waivers[0].expires == date(2025, 9, 30) and config.waivers[0].ticket == "CHG-1042"
    assert config.waivers[1].expires == date(2025, 12, 31)
    scoped = load_config(write(tmp_path, '[scan]\nfail_on = "low"\n\n' + CONFIG.split("\n", 1)[1]),
                         {})
    assert scoped.fail_on == "low" and len(scoped.waivers) == 2
    assert ScanConfig().waivers == []


@pytest.mark.parametrize("old, new, line, field", [
    # A required field left out: the line of its [[waiver]] table.
    ('approver = "Jane Doe, ISO"\nexpires = 2025-09-30', "expires = 2025-09-30", 3,
     "[[waiver]] #1: approver: is required"),
    ('expires = "2025-12-31"', 'expires = "next year"', 16, "[[waiver]] #2: expires"),
    ('justification = "Keys rotated by hand until the HSM migration"', 'justification = ""', 14,
     "[[waiver]] #2: justification"),
    ('ticket = "CHG-1042"', 'tikcet = "CHG-1042"', 9, "[[waiver]] #1: tikcet"),
    ('check = "cmk.key_rotation"', 'check = "cmk.key_rotaton"', 12,
     "[[waiver]] #2: check: unknown check or requirement id 'cmk.key_rotaton'"),
])
def test_a_malformed_waiver_names_file_line_and_field(tmp_path: Path, old: str, new: str,
                                                     line: int, field: str) -> None:
    assert CONFIG.count(old) == 1
    path = write(tmp_path, CONFIG.replace(old, new))
    with pytest.raises(UsageError) as raised:
        load_config(path, {})
    message = str(raised.value)
    assert message.startswith(f"{path}, line {line}: "), message
    assert field in message


def test_waiver_line_finds_fields_in_their_own_table() -> None:
    text = CONFIG.format(sub=SUB, rg="/rg")
    assert waiver_line(text, 0, "check") == 4
    assert waiver_line(text, 1, "check") == 12
    assert waiver_line(text, 1, "ticket") == 11  # absent from #2: its header
    assert waiver_line('waiver = [{check = "x"}]\n', 0, "approver") == 1


# --- end to end through the CLI --------------------------------------------------------------

DEMO_SUB_A = "6f1c2a4e-8b3d-4c7e-9a15-2d4e6f8a0b1c"
DEMO_RG_EUROPE = f"/subscriptions/{DEMO_SUB_A}/resourceGroups/rg-dr-europe"


def test_malformed_config_exits_2_with_file_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, CONFIG.replace('approver = "Jane Doe, ISO"\nexpires = "2025-12-31"',
                                          'expires = "2025-12-31"'))
    result = cli("scan", "--demo", "--config", str(path), "--quiet")
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert str(path.name) in flat and "line 11" in flat and "approver" in flat
    assert "Traceback" not in result.output


def test_a_waived_finding_does_not_fail_the_run_and_unused_ones_are_warned(
        tmp_path: Path) -> None:
    args = ["scan", "--demo", "--check", "resource_group_location_us", "--fail-on", "low",
            "--allow-partial", "--format", "json", "--output", str(tmp_path / "out"), "--quiet"]
    (tmp_path / "empty.toml").write_text("")
    failing = cli(*args, "--config", str(tmp_path / "empty.toml"))
    assert failing.exit_code == 1, failing.output

    config = write(tmp_path, f"""\
[[waiver]]
check = "resource_group_location_us"
resource = "{DEMO_RG_EUROPE}"
justification = "DR group, emptied before go-live"
approver = "HCSO ISO"
expires = 2999-12-31

[[waiver]]
check = "residency.resource_group_location"
resource = "/subscriptions/{DEMO_SUB_A}/resourceGroups/rg-does-not-exist"
justification = "typo in the resource group"
approver = "HCSO ISO"
expires = 2999-12-31
""")
    result = cli(*args, "--config", str(config))
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "waiver #2" in flat and "matched no finding" in flat

    import jsonschema

    report = json.loads((tmp_path / "out" / "cjis-scan-report.json").read_text())
    schema = json.loads((Path(__file__).resolve().parents[1] / "scanner" / "schemas"
                         / "report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(report)
    (waived,) = [f for f in report["findings"] if f["status"] == "waived"]
    assert waived["resource_id"] == DEMO_RG_EUROPE.lower()
    assert waived["waiver"]["source"] == "config" and waived["waiver"]["approver"] == "HCSO ISO"
    assert waived["evidence"] and waived["reason"]
    assert report["summary"]["by_status"]["waived"] == 1
    assert report["summary"]["by_status"]["fail"] == 0


def test_the_demo_tenant_s_azure_exemptions_are_applied_and_the_expired_one_warned(
        tmp_path: Path) -> None:
    result = cli("scan", "--demo", "--check", "resource_location_us", "--allow-partial",
                 "--format", "json", "--output", str(tmp_path), "--quiet",
                 "--config", str(empty_config(tmp_path)))
    assert result.exit_code == 1, result.output  # the EU export copy still fails
    flat = " ".join(result.output.split())
    assert "'eu-export-copy'" in flat and "expired on 2025-01-31T00:00:00Z" in flat
    report = json.loads((tmp_path / "cjis-scan-report.json").read_text())
    (waived,) = [f for f in report["findings"] if f["status"] == "waived"]
    assert waived["resource_id"].endswith("/virtualnetworks/vnet-canary-test")
    assert waived["waiver"]["source"] == "azure_policy"
    assert waived["waiver"]["category"] == "Mitigated"
    assert any(f["status"] == "fail" and f["resource_id"].endswith("/steuexportcopy")
               for f in report["findings"])


def test_the_example_config_loads_and_shows_every_setting() -> None:
    import tomllib

    path = Path(__file__).resolve().parents[1] / "docs" / "cjis-scan.example.toml"
    config = load_config(path, {})
    (example_waiver,) = config.waivers
    assert example_waiver.ticket and example_waiver.check == "storage_account_cmk_encryption"
    from scanner.config import RunOptions

    text = path.read_text(encoding="utf-8")
    keys = set(tomllib.loads(text))
    keys |= set(re.findall(r"^# (\w+) = ", text, re.M))  # settings with no default shown
    tables = {"waivers": "waiver", "attestations": "attestation"}  # [[table]] names
    fields = {tables.get(name, name)
              for name in (*ScanConfig.model_fields, *RunOptions.model_fields)}
    assert keys == fields


def empty_config(tmp_path: Path) -> Path:
    """A settings file with nothing in it (so no ./cjis-scan.toml is read)."""
    path = tmp_path / "empty.toml"
    path.write_text("")
    return path
