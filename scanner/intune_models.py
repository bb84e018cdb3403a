"""Typed models of what the scanner reads from Intune through Microsoft Graph: device
compliance and app protection policies, their assignments, and Graph's answer that a
tenant has no usable Intune. (Re-exported by scanner.entra_models, their first home.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from scanner.graph_model import GraphModel

# @odata.type of each Intune compliance policy type -> the platform it governs.
COMPLIANCE_PLATFORMS: dict[str, str] = {
    "#microsoft.graph.windows10CompliancePolicy": "Windows 10/11",
    "#microsoft.graph.windows10MobileCompliancePolicy": "Windows 10 Mobile",
    "#microsoft.graph.windows81CompliancePolicy": "Windows 8.1",
    "#microsoft.graph.windowsPhone81CompliancePolicy": "Windows Phone 8.1",
    "#microsoft.graph.iosCompliancePolicy": "iOS/iPadOS",
    "#microsoft.graph.macOSCompliancePolicy": "macOS",
    "#microsoft.graph.androidCompliancePolicy": "Android device administrator",
    "#microsoft.graph.androidWorkProfileCompliancePolicy": "Android Enterprise work profile",
    "#microsoft.graph.androidDeviceOwnerCompliancePolicy": "Android Enterprise fully managed",
    "#microsoft.graph.aospDeviceOwnerCompliancePolicy": "Android (AOSP)",
}

APP_PROTECTION_PLATFORMS: dict[str, str] = {
    "#microsoft.graph.iosManagedAppProtection": "iOS/iPadOS",
    "#microsoft.graph.androidManagedAppProtection": "Android",
}


class AssignmentTarget(GraphModel):
    """Whom an Intune policy is assigned to (`#microsoft.graph.groupAssignmentTarget` ...)."""

    GRAPH_NAMES: ClassVar[dict[str, str]] = {
        "odata_type": "@odata.type",
        "filter_id": "deviceAndAppManagementAssignmentFilterId",
        "filter_type": "deviceAndAppManagementAssignmentFilterType",
    }

    odata_type: str | None = None
    group_id: str | None = None
    filter_id: str | None = None
    filter_type: str | None = None

    @property
    def is_exclusion(self) -> bool:
        """An exclusion group (devices or users the policy does not apply to)."""
        return "exclusion" in (self.odata_type or "").lower()


class PolicyAssignment(GraphModel):
    """One assignment of an Intune policy."""

    id: str | None = None
    target: AssignmentTarget | None = None


def _assigned(assignments: list[PolicyAssignment] | None) -> bool | None:
    if assignments is None:
        return None
    return any(a.target is not None and not a.target.is_exclusion for a in assignments)


class DeviceCompliancePolicy(GraphModel):
    """An Intune device compliance policy; which fields apply depends on `odata_type`.

    iOS spells its passcode settings `passcode*`; every other platform `password*`.
    """

    GRAPH_NAMES: ClassVar[dict[str, str]] = {"odata_type": "@odata.type"}

    id: str
    odata_type: str
    display_name: str | None = None
    password_required: bool | None = None
    password_minimum_length: int | None = None
    passcode_required: bool | None = None
    passcode_minimum_length: int | None = None
    storage_require_encryption: bool | None = None
    """Android, macOS (FileVault), Windows: require encryption of data storage."""
    bit_locker_enabled: bool | None = None
    """Windows 10/11: BitLocker on (reported by Device Health Attestation)."""
    assignments: list[PolicyAssignment] | None = None
    """None when the assignments were not read ($expand)."""

    @property
    def platform(self) -> str:
        """The platform it governs (its @odata.type when the scanner does not know it)."""
        return COMPLIANCE_PLATFORMS.get(self.odata_type, self.odata_type)

    @property
    def is_assigned(self) -> bool | None:
        """Assigned to some group, user or device; None when assignments were not read."""
        return _assigned(self.assignments)


class ManagedAppProtection(GraphModel):
    """An iOS or Android app protection (MAM) policy."""

    GRAPH_NAMES: ClassVar[dict[str, str]] = {"odata_type": "@odata.type"}

    id: str
    odata_type: str
    display_name: str | None = None
    is_assigned: bool | None = None
    assignments: list[PolicyAssignment] | None = None
    allowed_outbound_data_transfer_destinations: str | None = None
    """`allApps`, `managedApps`, `none`."""
    allowed_outbound_clipboard_sharing_level: str | None = None
    """`allApps`, `managedAppsWithPasteIn`, `managedApps`, `blocked`."""
    allowed_inbound_data_transfer_sources: str | None = None
    save_as_blocked: bool | None = None
    data_backup_blocked: bool | None = None
    print_blocked: bool | None = None

    @property
    def platform(self) -> str:
        """`iOS/iPadOS` or `Android` (its @odata.type when unknown)."""
        return APP_PROTECTION_PLATFORMS.get(self.odata_type, self.odata_type)

    @property
    def assigned(self) -> bool | None:
        """Assigned to some group: from its assignments, else Graph's `isAssigned`."""
        from_assignments = _assigned(self.assignments)
        return self.is_assigned if from_assignments is None else from_assignments


class DeviceOperatingSystemSummary(GraphModel):
    """Enrolled devices per operating system (Graph v1.0 deviceOperatingSystemSummary).
    The Android enrolment-type counts are newer than the OS counts: None when absent."""

    android_count: int | None = None
    ios_count: int | None = None
    mac_os_count: int | None = None
    windows_mobile_count: int | None = None
    windows_count: int | None = None
    unknown_count: int | None = None
    android_dedicated_count: int | None = None
    android_device_admin_count: int | None = None
    android_fully_managed_count: int | None = None
    android_work_profile_count: int | None = None
    android_corporate_work_profile_count: int | None = None
    config_mgr_device_count: int | None = None

    GRAPH_NAMES: ClassVar[dict[str, str]] = {"mac_os_count": "macOSCount"}


class ManagedDeviceOverview(GraphModel):
    """The tenant's managed device overview (GET /deviceManagement/managedDeviceOverview)."""

    enrolled_device_count: int | None = None
    mdm_enrolled_count: int | None = None
    dual_enrolled_device_count: int | None = None
    device_operating_system_summary: DeviceOperatingSystemSummary | None = None

    @classmethod
    def from_graph(cls, raw: Mapping[str, Any]) -> ManagedDeviceOverview:
        # The v1.0 reference's example wraps the object in `value`; accept both.
        inner = raw.get("value")
        return super().from_graph(inner if isinstance(inner, Mapping) else raw)


class IntuneUnavailable(GraphModel):
    """Graph's answer that the tenant has no usable Intune (no licence or no MDM authority)."""

    collector: str
    status: int
    code: str | None = None
    message: str
