"""Step 6 checks over Intune inventories built from Microsoft's published Graph bodies."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from fixtures.demo.graph_tenant import graph_interactions
from scanner.collectors.entra import (
    APP_PROTECTION,
    COLLECTORS,
    COMPLIANCE_POLICIES,
    DEVICE_OVERVIEW,
)
from scanner.entra_models import (
    DeviceCompliancePolicy,
    EntraInventory,
    IntuneUnavailable,
    ManagedAppProtection,
    ManagedDeviceOverview,
)
from scanner.findings import Status, Verdict
from tests.checks.helpers import TENANT, inventory, verdicts
from tests.collectors.test_entra import (
    COMPLIANCE_PATH,
    GRAPH,
    INTUNE_DENIED,
    IOS_PATH,
    collect_graph,
    replace,
)
from tests.conftest import response

GRAPH_EXAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "azure-examples" / "graph"
ENCRYPTION = "intune_compliance_requires_encryption"
PASSCODE = "intune_compliance_passcode_length"
APP = "intune_app_protection_blocks_data_transfer"
GROUP = "5d8c3f1a-2b4e-4c6d-8e9f-0a1b2c3d4e5f"


def published_item(name: str) -> dict[str, Any]:
    body = json.loads((GRAPH_EXAMPLES / name).read_text(encoding="utf-8"))
    return copy.deepcopy(body["value"][0])


def assignments(*targets: str) -> list[dict[str, Any]]:
    return [{"@odata.type": "#microsoft.graph.deviceCompliancePolicyAssignment",
             "id": f"92dc3fef-3fef-92dc-ef3f-dc92ef3f{n:04d}",
             "target": {"@odata.type": target, "groupId": GROUP}}
            for n, target in enumerate(targets)]


ASSIGNED = assignments("#microsoft.graph.groupAssignmentTarget")


def compliance(example: str, policy_id: str, assigned: list[dict[str, Any]] | None = ASSIGNED,
               **settings: Any) -> DeviceCompliancePolicy:
    body = published_item(example) | {"id": policy_id} | settings
    if assigned is not None:
        body["assignments"] = assigned
    return DeviceCompliancePolicy.from_graph(body)


def windows(policy_id: str = "pass-windows", **settings: Any) -> DeviceCompliancePolicy:
    return compliance("windows10_compliance_policies_list.json", policy_id, **settings)


def android(policy_id: str = "pass-android", **settings: Any) -> DeviceCompliancePolicy:
    return compliance("android_compliance_policies_list.json", policy_id, **settings)


def ios(policy_id: str = "pass-ios", **settings: Any) -> DeviceCompliancePolicy:
    """No iOS compliance example is published: the base-type example with iOS's own fields."""
    body = {"@odata.type": "#microsoft.graph.iosCompliancePolicy", "passcodeRequired": True,
            "passcodeMinimumLength": 6} | settings
    return compliance("device_compliance_policies_list.json", policy_id, **body)


def app_policy(platform: str, policy_id: str, transfer: str = "managedApps",
               clipboard: str = "managedAppsWithPasteIn", **fields: Any) -> ManagedAppProtection:
    body = published_item("ios_managed_app_protections_list.json")
    body.update({"id": policy_id, "allowedOutboundDataTransferDestinations": transfer,
                 "allowedOutboundClipboardSharingLevel": clipboard,
                 "assignments": [{"id": f"{policy_id}-a", "target": {
                     "@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": GROUP}}]})
    if platform == "android":
        body["@odata.type"] = "#microsoft.graph.androidManagedAppProtection"
    body.update(fields)
    return ManagedAppProtection.from_graph(body)


_COUNT_OF_TYPE = {
    "#microsoft.graph.windows10CompliancePolicy": "windowsCount",
    "#microsoft.graph.iosCompliancePolicy": "iosCount",
    "#microsoft.graph.macOSCompliancePolicy": "macOSCount",
    "#microsoft.graph.androidCompliancePolicy": "androidDeviceAdminCount",
    "#microsoft.graph.androidWorkProfileCompliancePolicy": "androidWorkProfileCount",
}


def overview(**counts: int) -> ManagedDeviceOverview:
    """The published managedDeviceOverview with `counts` as its operating system summary."""
    from fixtures.examples import example

    body = example("graph/managed_device_overview_get.json")
    body["value"]["deviceOperatingSystemSummary"] = {
        "@odata.type": "microsoft.graph.deviceOperatingSystemSummary", **counts}
    return ManagedDeviceOverview.from_graph(body)


def intune(*, compliance_policies: tuple[DeviceCompliancePolicy, ...] = (),
           apps: tuple[ManagedAppProtection, ...] = (),
           collected: tuple[str, ...] = COLLECTORS,
           unavailable: tuple[str, ...] = (),
           devices: ManagedDeviceOverview | None = None) -> EntraInventory:
    """An Intune inventory; its devices, unless given, one per platform of its policies."""
    if devices is None:
        devices = overview(**{_COUNT_OF_TYPE[p.odata_type]: 1 for p in compliance_policies
                              if p.odata_type in _COUNT_OF_TYPE})
    return EntraInventory(
        collected=[c for c in collected if c not in unavailable],
        managed_device_overview=devices,
        device_compliance_policies=list(compliance_policies), app_protection_policies=list(apps),
        intune_unavailable=[IntuneUnavailable(collector=c, status=400, code="BadRequest",
                                              message="Request not applicable to target tenant.")
                            for c in unavailable])


def verdict(check_id: str, data: EntraInventory, **config: Any) -> Verdict:
    (only,) = verdicts(check_id, inventory(entra=data), **config).values()
    return only


# --- device compliance: encryption -------------------------------------------------------------


def test_encryption_pass_for_the_published_windows_and_android_policies() -> None:
    result = verdict(ENCRYPTION, intune(compliance_policies=(windows(), android())))
    assert result.status == Status.PASS
    assert set(result.evidence["platforms"]) == {"Windows 10/11", "Android device administrator"}


def test_encryption_fail_for_a_platform_without_it() -> None:
    result = verdict(ENCRYPTION, intune(compliance_policies=(
        windows(), android("fail-android", storageRequireEncryption=False))))
    assert result.status == Status.FAIL and "Android device administrator" in result.reason


def test_encryption_windows_needs_bitlocker_or_storage_encryption() -> None:
    neither = windows("fail-windows", bitLockerEnabled=False, storageRequireEncryption=False)
    assert verdict(ENCRYPTION, intune(compliance_policies=(neither,))).status == Status.FAIL
    bitlocker = windows("pass-bitlocker", storageRequireEncryption=False)
    assert verdict(ENCRYPTION, intune(compliance_policies=(bitlocker,))).status == Status.PASS


def test_encryption_one_policy_per_platform_suffices() -> None:
    weak = android("weak-android", storageRequireEncryption=False)
    result = verdict(ENCRYPTION, intune(compliance_policies=(weak, android())))
    assert result.status == Status.PASS
    meets = {p["policy"]: p["meets"]
             for p in result.evidence["platforms"]["Android device administrator"]["policies"]}
    assert meets == {"Display Name value (weak-android)": False,
                     "Display Name value (pass-android)": True}


def test_encryption_ios_passcode_turns_on_data_protection() -> None:
    assert verdict(ENCRYPTION, intune(compliance_policies=(ios(),))).status == Status.PASS
    no_passcode = ios("fail-ios", passcodeRequired=False)
    assert verdict(ENCRYPTION, intune(compliance_policies=(no_passcode,))).status == Status.FAIL


def test_unassigned_policies_are_ignored() -> None:
    unassigned = android("unassigned", assigned=[], storageRequireEncryption=True)
    excluded = android("excluded", assigned=assignments(
        "#microsoft.graph.exclusionGroupAssignmentTarget"))
    result = verdict(ENCRYPTION, intune(compliance_policies=(unassigned, excluded)))
    assert result.status == Status.FAIL and "no assigned compliance policy" in result.reason
    assert len(result.evidence["unassigned_policies_ignored"]) == 2


def test_no_compliance_policy_at_all_fails() -> None:
    assert verdict(ENCRYPTION, intune()).status == Status.FAIL


def test_unknown_policy_type_is_unknown_not_pass() -> None:
    base = compliance("device_compliance_policies_list.json", "base-type")
    result = verdict(ENCRYPTION, intune(compliance_policies=(base,),
                                        devices=overview(windowsCount=3)))
    assert result.status == Status.UNKNOWN
    assert "a policy of a type the scanner does not know" in result.reason


def test_assignments_not_read_is_unknown() -> None:
    result = verdict(ENCRYPTION, intune(compliance_policies=(android(assigned=None),)))
    assert result.status == Status.UNKNOWN and result.evidence["assignments_not_read"]


@pytest.mark.parametrize("check_id", [ENCRYPTION, PASSCODE])
def test_tenant_without_intune_fails(check_id: str) -> None:
    result = verdict(check_id, intune(unavailable=(COMPLIANCE_POLICIES,)))
    assert result.status == Status.FAIL and "no usable Intune" in result.reason


@pytest.mark.parametrize("check_id", [ENCRYPTION, PASSCODE, APP])
def test_not_collected_is_unknown(check_id: str) -> None:
    result = verdict(check_id, EntraInventory())
    assert result.status == Status.UNKNOWN and "not read from Microsoft Graph" in result.reason


@pytest.mark.parametrize("check_id", [ENCRYPTION, PASSCODE])
def test_compliance_403_from_graph_is_unknown_naming_the_permission(check_id: str) -> None:
    inv, _ = collect_graph(replace(graph_interactions(TENANT), COMPLIANCE_PATH,
                                   response(GRAPH + COMPLIANCE_PATH, INTUNE_DENIED, status=403)))
    (result,) = verdicts(check_id, inv).values()
    assert result.status == Status.UNKNOWN
    assert "DeviceManagementConfiguration.Read.All" in result.reason
    assert result.evidence["collection_errors"][0]["collector"] == COMPLIANCE_POLICIES


# --- device compliance: passcode -------------------------------------------------------------


def test_passcode_pass_at_the_minimum_length() -> None:
    result = verdict(PASSCODE, intune(compliance_policies=(
        windows(passwordMinimumLength=6), android(passwordMinimumLength=8), ios())))
    assert result.status == Status.PASS


def test_passcode_fail_for_the_published_5_character_policies() -> None:
    result = verdict(PASSCODE, intune(compliance_policies=(windows(), android())))
    assert result.status == Status.FAIL
    assert "Windows 10/11" in result.reason and "Android device administrator" in result.reason


def test_passcode_minimum_is_configurable() -> None:
    policies = intune(compliance_policies=(android(passwordMinimumLength=4),))
    assert verdict(PASSCODE, policies).status == Status.FAIL
    assert verdict(PASSCODE, policies, min_passcode_length=4).status == Status.PASS


def test_passcode_must_be_required_not_just_long() -> None:
    result = verdict(PASSCODE, intune(compliance_policies=(
        android(passwordRequired=False, passwordMinimumLength=8),)))
    assert result.status == Status.FAIL


def test_passcode_ios_uses_its_own_fields() -> None:
    assert verdict(PASSCODE, intune(compliance_policies=(
        ios(passcodeMinimumLength=4),))).status == Status.FAIL
    assert verdict(PASSCODE, intune(compliance_policies=(ios(),))).status == Status.PASS


# --- app protection --------------------------------------------------------------------------


def test_app_protection_pass_when_both_platforms_keep_data_managed() -> None:
    result = verdict(APP, intune(apps=(app_policy("ios", "pass-ios"),
                                       app_policy("android", "pass-android", clipboard="blocked"))))
    assert result.status == Status.PASS


def test_app_protection_fail_when_android_allows_transfer() -> None:
    result = verdict(APP, intune(apps=(app_policy("ios", "pass-ios"),
                                       app_policy("android", "fail-android", transfer="allApps"))))
    assert result.status == Status.FAIL and "fail-android" in result.reason


def test_app_protection_fail_when_clipboard_is_open() -> None:
    result = verdict(APP, intune(apps=(app_policy("ios", "fail-ios", clipboard="allApps"),
                                       app_policy("android", "pass-android"))))
    assert result.status == Status.FAIL and "fail-ios" in result.reason


def test_app_protection_every_assigned_policy_must_block() -> None:
    result = verdict(APP, intune(apps=(app_policy("ios", "pass-ios"),
                                       app_policy("ios", "fail-ios", transfer="allApps"),
                                       app_policy("android", "pass-android"))))
    assert result.status == Status.FAIL and "fail-ios" in result.reason


def test_app_protection_fail_without_an_assigned_android_policy() -> None:
    unassigned = app_policy("android", "unassigned-android", assignments=[], isAssigned=False)
    result = verdict(APP, intune(apps=(app_policy("ios", "pass-ios"), unassigned)))
    assert result.status == Status.FAIL and "no assigned app protection policy for Android" in (
        result.reason)
    assert result.evidence["unassigned_policies_ignored"]


def test_app_protection_is_assigned_flag_is_used_when_assignments_are_absent() -> None:
    body = published_item("ios_managed_app_protections_list.json")  # isAssigned: true
    published_ios = ManagedAppProtection.from_graph(body)
    android_policy = app_policy("android", "pass-android")
    assert published_ios.assignments is None and published_ios.assigned is True
    assert verdict(APP, intune(apps=(published_ios, android_policy))).status == Status.PASS


def test_app_protection_tenant_without_intune_fails() -> None:
    result = verdict(APP, intune(unavailable=(APP_PROTECTION,)))
    assert result.status == Status.FAIL


def test_app_protection_403_from_graph_is_unknown_naming_the_permission() -> None:
    inv, _ = collect_graph(replace(graph_interactions(TENANT), IOS_PATH,
                                   response(GRAPH + IOS_PATH, INTUNE_DENIED, status=403)))
    (result,) = verdicts(APP, inv).values()
    assert result.status == Status.UNKNOWN and "DeviceManagementApps.Read.All" in result.reason


# --- judged per platform with enrolled devices (issue 10 item 10) ------------------------------


def test_every_platform_with_devices_needs_an_encryption_policy() -> None:
    devices = overview(windowsCount=12, iosCount=8)
    passing = verdict(ENCRYPTION, intune(compliance_policies=(windows(), ios()), devices=devices))
    assert passing.status == Status.PASS
    assert passing.evidence["enrolled_devices"] == {"Windows 10/11": 12, "iOS/iPadOS": 8}
    failing = verdict(ENCRYPTION, intune(compliance_policies=(windows(),),
                                         devices=overview(windowsCount=12, macOSCount=10)))
    assert failing.status == Status.FAIL
    assert "macOS (10 device(s); no assigned compliance policy)" in failing.reason


def test_a_platform_without_devices_is_not_judged() -> None:
    weak_android = android("weak-android", storageRequireEncryption=False)
    result = verdict(ENCRYPTION, intune(compliance_policies=(windows(), weak_android),
                                        devices=overview(windowsCount=3)))
    assert result.status == Status.PASS
    assert set(result.evidence["platforms"]) == {"Windows 10/11"}


@pytest.mark.parametrize(("counts", "gap"), [
    ({"androidCount": 4, "androidFullyManagedCount": 4}, "androidDeviceOwnerCompliancePolicy"),
    ({"androidCount": 4}, "aospDeviceOwnerCompliancePolicy"),  # enrolment type not reported
])
def test_platforms_graph_v1_cannot_read_are_unknown_naming_the_gap(counts: dict[str, int],
                                                                   gap: str) -> None:
    result = verdict(ENCRYPTION, intune(compliance_policies=(windows(), android()),
                                        devices=overview(windowsCount=2, **counts)))
    assert result.status == Status.UNKNOWN
    assert gap in result.reason and "not in Microsoft Graph v1.0" in result.reason


def test_the_published_overview_counts_each_platform() -> None:
    from fixtures.examples import example
    from scanner.entra_models import ManagedDeviceOverview

    published = ManagedDeviceOverview.from_graph(example("graph/managed_device_overview_get.json"))
    from checks.intune import device_counts

    assert device_counts(published) == {
        "Windows 10/11": 12, "Windows 10 Mobile": 2, "iOS/iPadOS": 8, "macOS": 10,
        "Android, enrolment type not reported (e.g. AOSP)": 12, "unknown operating system": 12}


def test_the_overview_not_read_is_unknown() -> None:
    data = intune(compliance_policies=(windows(),)).model_copy(
        update={"managed_device_overview": None,
                "collected": [c for c in COLLECTORS if c != DEVICE_OVERVIEW]})
    result = verdict(ENCRYPTION, data)
    assert result.status == Status.UNKNOWN and "managed device overview" in result.reason


def test_the_overview_403_is_unknown_naming_the_permission() -> None:
    path = "/deviceManagement/managedDeviceOverview"
    inv, _ = collect_graph(replace(graph_interactions(TENANT), path,
                                   response(GRAPH + path, NESTED_INTUNE_403, status=403)))
    (result,) = verdicts(ENCRYPTION, inv).values()
    assert result.status == Status.UNKNOWN
    assert "DeviceManagementManagedDevices.Read.All" in result.reason


NESTED_INTUNE_403 = {"error": {"code": "Forbidden", "message": (
    # As Intune answers (microsoftgraph/microsoft-graph-docs-contrib issues 4523, 4157):
    # the message is itself a JSON document.
    "{\r\n  \"_version\": 3,\r\n  \"Message\": \"An error has occurred - Operation ID (for "
    "customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: "
    "13c105e8-27d7-40dc-9d66-87369338926f - Url: https://fef.amsua0502.manage.microsoft.com/"
    "DeviceFE/StatelessDeviceFEService/deviceManagement/managedDeviceOverview?api-version="
    "2018-05-24\",\r\n  \"CustomApiErrorPhrase\": \"\",\r\n  \"RetryAfter\": null,\r\n  "
    "\"ErrorSourceService\": \"\",\r\n  \"HttpHeaders\": \"{}\"\r\n}"),
    "innerError": {"date": "2020-12-03T20:03:18",
                   "request-id": "13c105e8-27d7-40dc-9d66-87369338926f"}}}


def test_a_nested_intune_error_message_is_shown_whole() -> None:
    inv, _ = collect_graph(replace(graph_interactions(TENANT), COMPLIANCE_PATH,
                                   response(GRAPH + COMPLIANCE_PATH, NESTED_INTUNE_403,
                                            status=403)))
    (error,) = inv.errors
    assert error.message.startswith("An error has occurred - Operation ID (for customer "
                                    "support): 00000000-0000-0000-0000-000000000000")
    assert "managedDeviceOverview?api-version=2018-05-24" in error.message
    from scanner.collectors.entra import readable_message

    twice = '{"ErrorCode":"Forbidden","Message":"{\\r\\n  \\"_version\\": 3,\\r\\n  ' \
            '\\"Message\\": \\"An error has occurred\\"\\r\\n}"}'
    assert readable_message(twice) == "An error has occurred"
    assert readable_message("Plain\nmessage") == "Plain message"
