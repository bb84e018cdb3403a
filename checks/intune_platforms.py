"""Intune's platforms of enrolled devices and the compliance policy types that govern
each (Microsoft Graph v1.0 deviceOperatingSystemSummary and deviceCompliancePolicy types):
what a policy of each type requires (encryption, passcode)."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.entra_models import (
    DeviceCompliancePolicy,
    DeviceOperatingSystemSummary,
    ManagedDeviceOverview,
)

_WINDOWS = ("#microsoft.graph.windows10CompliancePolicy",
            "#microsoft.graph.windows10MobileCompliancePolicy")
_STORAGE_ENCRYPTION = ("#microsoft.graph.windows81CompliancePolicy",
                       "#microsoft.graph.windowsPhone81CompliancePolicy",
                       "#microsoft.graph.macOSCompliancePolicy",
                       "#microsoft.graph.androidCompliancePolicy",
                       "#microsoft.graph.androidWorkProfileCompliancePolicy",
                       "#microsoft.graph.androidDeviceOwnerCompliancePolicy",
                       "#microsoft.graph.aospDeviceOwnerCompliancePolicy")
IOS = "#microsoft.graph.iosCompliancePolicy"


def requires_encryption(policy: DeviceCompliancePolicy) -> bool | None:
    """Does the policy require device encryption? None for a policy type the scanner does not know.

    Windows 10/11: BitLocker (`bitLockerEnabled`) or encryption of data storage
    (`storageRequireEncryption`). iOS/iPadOS has no encryption setting: devices with a
    passcode are encrypted (Intune "iOS/iPadOS compliance settings", Password), so a
    required passcode is the requirement. Android, macOS (FileVault), Windows 8.1:
    `storageRequireEncryption`.
    """
    if policy.odata_type in _WINDOWS:
        return bool(policy.bit_locker_enabled or policy.storage_require_encryption)
    if policy.odata_type == IOS:
        return policy.passcode_required is True
    if policy.odata_type in _STORAGE_ENCRYPTION:
        return policy.storage_require_encryption is True
    return None


def passcode(policy: DeviceCompliancePolicy) -> tuple[bool | None, int | None] | None:
    """(required, minimum length) of the device passcode; None for an unknown policy type."""
    if policy.odata_type == IOS:
        return policy.passcode_required, policy.passcode_minimum_length
    if policy.odata_type in _WINDOWS or policy.odata_type in _STORAGE_ENCRYPTION:
        return policy.password_required, policy.password_minimum_length
    return None


@dataclass(frozen=True)
class DevicePlatform:
    """A platform of enrolled devices and the compliance policy types that govern it."""

    name: str
    counts: tuple[str, ...]
    """deviceOperatingSystemSummary fields whose sum is its device count."""
    policy_types: tuple[str, ...]
    readable: bool = True
    """False where Graph v1.0 does not return its compliance policy type."""
    gap: str = ""


_ANDROID_TYPES = ("android_device_admin_count", "android_work_profile_count",
                  "android_fully_managed_count", "android_dedicated_count",
                  "android_corporate_work_profile_count")
DEVICE_PLATFORMS = (
    DevicePlatform("Windows 10/11", ("windows_count",),
                   ("#microsoft.graph.windows10CompliancePolicy",
                    "#microsoft.graph.windows81CompliancePolicy")),
    DevicePlatform("Windows 10 Mobile", ("windows_mobile_count",),
                   ("#microsoft.graph.windows10MobileCompliancePolicy",
                    "#microsoft.graph.windowsPhone81CompliancePolicy")),
    DevicePlatform("iOS/iPadOS", ("ios_count",), (IOS,)),
    DevicePlatform("macOS", ("mac_os_count",), ("#microsoft.graph.macOSCompliancePolicy",)),
    DevicePlatform("Android device administrator", ("android_device_admin_count",),
                   ("#microsoft.graph.androidCompliancePolicy",)),
    DevicePlatform("Android Enterprise work profile", ("android_work_profile_count",),
                   ("#microsoft.graph.androidWorkProfileCompliancePolicy",)),
    DevicePlatform("Android Enterprise fully managed, dedicated and corporate-owned work "
                   "profile", _ANDROID_TYPES[2:],
                   ("#microsoft.graph.androidDeviceOwnerCompliancePolicy",), readable=False,
                   gap="their compliance policies (androidDeviceOwnerCompliancePolicy) are not "
                       "in Microsoft Graph v1.0"),
    DevicePlatform("Android, enrolment type not reported (e.g. AOSP)", ("android_count",),
                   ("#microsoft.graph.aospDeviceOwnerCompliancePolicy",), readable=False,
                   gap="Graph does not say how they are enrolled, and AOSP compliance policies "
                       "(aospDeviceOwnerCompliancePolicy) are not in Microsoft Graph v1.0"),
    DevicePlatform("unknown operating system", ("unknown_count",), (), readable=False,
                   gap="Intune reports their operating system as unknown"),
)
"""Platforms of Graph v1.0 deviceOperatingSystemSummary and the policy types judging them."""


def device_counts(overview: ManagedDeviceOverview) -> dict[str, int]:
    """Enrolled devices per platform (DEVICE_PLATFORMS names), platforms with none left out.

    Android: its enrolment-type counts where Graph gives them; the rest of `androidCount`
    (all of it when no breakdown is given) is "enrolment type not reported".
    """
    summary = overview.device_operating_system_summary or DeviceOperatingSystemSummary()
    counts: dict[str, int] = {}
    for platform in DEVICE_PLATFORMS:
        if platform.counts == ("android_count",):
            known = sum(getattr(summary, f) or 0 for f in _ANDROID_TYPES)
            count = max((summary.android_count or 0) - known, 0)
        else:
            count = sum(getattr(summary, f) or 0 for f in platform.counts)
        if count:
            counts[platform.name] = count
    return counts
