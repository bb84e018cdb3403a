"""Step 6, endpoint and mobile: Intune device compliance and app protection policies.

What counts, and why:
- Only assigned policies count (an assignment other than an exclusion group); an
  unassigned policy governs no device. Unassigned ones are listed in the evidence.
- Compliance policies combine: a device must meet every policy assigned to it, so per
  platform one assigned policy requiring encryption (or the passcode length) meets the
  requirement; the weaker ones are listed.
- Judged per platform that has enrolled devices (the managed device overview's counts per
  operating system): a platform with devices and no assigned policy requiring it fails; a
  platform whose policy type Graph v1.0 does not return (Android Enterprise fully managed,
  dedicated and corporate-owned work profile; AOSP) is `unknown` naming the gap.
- App protection policies do not combine that way: each one governs its own users and
  apps, so every assigned iOS and Android policy must block copy/paste and transfer to
  unmanaged apps, and each platform needs at least one.
- A tenant without usable Intune (Graph's 400 "Request not applicable to target tenant",
  recorded by the collector) fails: no device or app policy can protect CJI there. A
  missing permission (403) is `unknown` through the engine, naming the permission.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from checks.intune_platforms import (
    DEVICE_PLATFORMS,
    IOS,
    device_counts,
    passcode,
    requires_encryption,
)
from scanner.context import CheckContext
from scanner.entra_models import (
    APP_PROTECTION_PLATFORMS,
    DeviceCompliancePolicy,
    EntraInventory,
    ManagedAppProtection,
)
from scanner.findings import Remediation, Status, Verdict
from scanner.graph_kinds import APP_PROTECTION, COMPLIANCE_POLICIES, DEVICE_OVERVIEW
from scanner.registry import check

COMPLIANCE_DOC = "https://learn.microsoft.com/mem/intune/protect/device-compliance-get-started"
APP_PROTECTION_DOC = "https://learn.microsoft.com/mem/intune/apps/app-protection-policy"

BLOCKING_TRANSFER = frozenset({"managedApps", "none"})
"""allowedOutboundDataTransferDestinations that keep data in managed apps."""
BLOCKING_CLIPBOARD = frozenset({"blocked", "managedApps", "managedAppsWithPasteIn"})
"""allowedOutboundClipboardSharingLevel values that stop copying out to unmanaged apps
(`managedAppsWithPasteIn` only lets unmanaged content be pasted in)."""


def intune_gap(entra: EntraInventory, collector: str, what: str) -> Verdict | None:
    """`fail` when the tenant has no Intune, `unknown` when `collector` was not read."""
    refusals = [u for u in entra.intune_unavailable if u.collector == collector]
    if refusals:
        first = refusals[0]
        return Verdict(status=Status.FAIL,
                       reason=f"the tenant has no usable Intune (Graph answered HTTP "
                              f"{first.status}{f' {first.code}' if first.code else ''}: "
                              f"{first.message}): no {what} can protect CJI on devices",
                       evidence={"intune_unavailable": [u.model_dump() for u in refusals]})
    if entra.was_read(collector):
        return None
    return Verdict(status=Status.UNKNOWN,
                   reason=f"Intune {what} were not read from Microsoft Graph: collect the tenant "
                          f"again with Graph access (collector {collector})",
                   evidence={"collected": list(entra.collected)})


def _label(policy: DeviceCompliancePolicy | ManagedAppProtection) -> str:
    return f"{policy.display_name or '(no name)'} ({policy.id})"


def _judge_platforms(ctx: CheckContext, what: str, judge: Any,
                     describe: Any) -> Verdict:
    """Per platform with enrolled devices: pass when an assigned policy meets `judge`."""
    entra = ctx.inventory.entra
    gap = intune_gap(entra, COMPLIANCE_POLICIES, "device compliance policies") or \
        intune_gap(entra, DEVICE_OVERVIEW, "managed device overview (devices per platform)")
    if gap:
        return gap
    overview = entra.managed_device_overview
    if overview is None:
        return Verdict(status=Status.UNKNOWN,
                       reason="the managed device overview was not read: which platforms "
                              "have enrolled devices is unknown",
                       evidence={"collected": list(entra.collected)})
    by_type: dict[str, list[DeviceCompliancePolicy]] = defaultdict(list)
    unassigned, not_known = [], []
    for policy in entra.device_compliance_policies:
        if policy.is_assigned is None:
            not_known.append(_label(policy))
        elif policy.is_assigned:
            by_type[policy.odata_type].append(policy)
        else:
            unassigned.append(_label(policy))
    counts = device_counts(overview)
    evidence: dict[str, Any] = {"enrolled_devices": counts,
                                "unassigned_policies_ignored": unassigned}
    if not_known:
        evidence["assignments_not_read"] = not_known
        return Verdict(status=Status.UNKNOWN,
                       reason=f"the assignments of {len(not_known)} compliance policies were not "
                              f"read",
                       evidence=evidence)
    covered = {t for p in DEVICE_PLATFORMS for t in p.policy_types}
    evidence["policies_of_other_types"] = sorted(_label(p) for t, ps in by_type.items()
                                                 if t not in covered for p in ps)
    if not counts:
        return Verdict(status=Status.NOT_APPLICABLE if by_type else Status.FAIL,
                       reason="no device is enrolled in Intune" + (
                           "" if by_type else " and no compliance policy is assigned"),
                       evidence=evidence)
    failing, unknown = [], []
    platforms: dict[str, Any] = {}
    for platform in DEVICE_PLATFORMS:
        devices = counts.get(platform.name)
        if not devices:
            continue
        policies = [p for t in platform.policy_types for p in by_type.get(t, [])]
        results = [judge(p) for p in policies]
        platforms[platform.name] = {
            "devices": devices,
            "policies": [{"policy": _label(p), **describe(p), "meets": r}
                         for p, r in zip(policies, results, strict=True)]}
        if any(r is True for r in results):
            continue
        if not platform.readable:
            unknown.append(f"{platform.name} ({devices} device(s): {platform.gap})")
        elif any(r is None for r in results):
            unknown.append(f"{platform.name} (a policy type the scanner does not know)")
        elif policies:
            failing.append(f"{platform.name} ({devices} device(s); no assigned policy "
                           f"requires it)")
        else:
            failing.append(f"{platform.name} ({devices} device(s); no assigned compliance "
                           f"policy)")
    evidence["platforms"] = platforms
    if failing and evidence["policies_of_other_types"]:
        # An assigned policy of a type the scanner does not know may govern them.
        unknown += [f"{f}, unless a policy of a type the scanner does not know covers it"
                    for f in failing]
        failing = []
    if failing:
        return Verdict(status=Status.FAIL,
                       reason=f"devices are not required to {what} on: {'; '.join(failing)}",
                       evidence=evidence)
    if unknown:
        return Verdict(status=Status.UNKNOWN,
                       reason=f"cannot tell whether devices must {what} on: {'; '.join(unknown)}",
                       evidence=evidence)
    return Verdict(status=Status.PASS,
                   reason=f"every platform with enrolled devices requires them to {what}: "
                          f"{', '.join(f'{n} ({c})' for n, c in counts.items())}",
                   evidence=evidence)


@check(
    id="intune_compliance_requires_encryption",
    title="Intune compliance policies require device encryption on every platform",
    kinds="tenant",
    severity="high",
    rationale=(
        "CJIS 6.0 MP-5, SC-28 and AC-19(5) require CJI at rest on mobile and endpoint "
        "devices to be encrypted; an Intune compliance policy requiring BitLocker / storage "
        "encryption (and a passcode on iOS, which turns on its data protection) lets "
        "Conditional Access keep unencrypted devices away from CJI."
    ),
    remediation=Remediation(
        summary=(
            "Intune admin center > Devices > Compliance > Create policy for each platform: "
            "Windows 'Require BitLocker' and 'Encryption of data storage on device', Android "
            "and macOS 'Require encryption', iOS 'Require a password to unlock mobile "
            "devices'; assign it to the users or devices that reach CJI."
        ),
        cli=(
            "az rest --method PATCH --url https://graph.microsoft.com/v1.0/deviceManagement/"
            "deviceCompliancePolicies/<policy-id> --body '{\"@odata.type\":"
            "\"#microsoft.graph.windows10CompliancePolicy\",\"bitLockerEnabled\":true,"
            "\"storageRequireEncryption\":true}'"
        ),
        docs=COMPLIANCE_DOC,
    ),
    needs=(COMPLIANCE_POLICIES, DEVICE_OVERVIEW),
)
def intune_compliance_requires_encryption(tenant: Any, ctx: CheckContext) -> Verdict:
    """Pass when, per platform with enrolled devices, an assigned policy requires encryption."""
    return _judge_platforms(
        ctx, "encrypt storage", requires_encryption,
        lambda p: {"storage_require_encryption": p.storage_require_encryption,
                   "bit_locker_enabled": p.bit_locker_enabled,
                   **({"passcode_required": p.passcode_required} if p.odata_type == IOS else {})})


@check(
    id="intune_compliance_passcode_length",
    title="Intune compliance policies require a device passcode of the minimum length",
    kinds="tenant",
    severity="medium",
    rationale=(
        "CJIS 6.0 AC-19 and IA-5 require mobile and endpoint devices holding CJI to be "
        "locked with a passcode; the scan's min_passcode_length (6 by default) is the "
        "agency's minimum."
    ),
    remediation=Remediation(
        summary=(
            "Intune admin center > Devices > Compliance > each platform's policy > System "
            "Security: 'Require a password to unlock mobile devices' = Require and 'Minimum "
            "password length' of at least 6 (or the agency's minimum)."
        ),
        cli=(
            "az rest --method PATCH --url https://graph.microsoft.com/v1.0/deviceManagement/"
            "deviceCompliancePolicies/<policy-id> --body '{\"@odata.type\":"
            "\"#microsoft.graph.androidCompliancePolicy\",\"passwordRequired\":true,"
            "\"passwordMinimumLength\":6}'"
        ),
        docs=COMPLIANCE_DOC,
    ),
    needs=(COMPLIANCE_POLICIES, DEVICE_OVERVIEW),
)
def intune_compliance_passcode_length(tenant: Any, ctx: CheckContext) -> Verdict:
    """Pass when, per platform with enrolled devices, an assigned policy requires a long
    enough passcode."""
    minimum = ctx.config.min_passcode_length

    def meets(policy: DeviceCompliancePolicy) -> bool | None:
        setting = passcode(policy)
        if setting is None:
            return None
        required, length = setting
        return required is True and length is not None and length >= minimum

    def describe(policy: DeviceCompliancePolicy) -> dict[str, Any]:
        setting = passcode(policy)
        return {"passcode_required": setting[0] if setting else None,
                "passcode_minimum_length": setting[1] if setting else None}

    return _judge_platforms(ctx, f"use a passcode of at least {minimum} characters", meets,
                            describe)


def blocks_transfer(policy: ManagedAppProtection) -> bool:
    """Copy/paste out and data transfer go only to managed apps (or nowhere)."""
    return (policy.allowed_outbound_data_transfer_destinations in BLOCKING_TRANSFER
            and policy.allowed_outbound_clipboard_sharing_level in BLOCKING_CLIPBOARD)


@check(
    id="intune_app_protection_blocks_data_transfer",
    title="iOS and Android app protection policies block copy/paste and transfer to "
          "unmanaged apps",
    kinds="tenant",
    severity="high",
    rationale=(
        "CJIS 6.0 AC-19 and SC-28 require CJI on mobile devices, including personally owned "
        "ones, to stay inside managed apps; Intune app protection policies that restrict "
        "'Send org data to other apps' and 'Restrict cut, copy, and paste' to managed apps do "
        "that without enrolling the device."
    ),
    remediation=Remediation(
        summary=(
            "Intune admin center > Apps > App protection policies: for iOS/iPadOS and Android, "
            "set Data protection > 'Send org data to other apps' = Policy managed apps and "
            "'Restrict cut, copy, and paste between other apps' = Policy managed apps (or "
            "Blocked); assign the policies to the CJI users."
        ),
        cli=(
            "az rest --method PATCH --url https://graph.microsoft.com/v1.0/deviceAppManagement/"
            "androidManagedAppProtections/<policy-id> --body "
            "'{\"allowedOutboundDataTransferDestinations\":\"managedApps\","
            "\"allowedOutboundClipboardSharingLevel\":\"managedAppsWithPasteIn\"}'"
        ),
        docs=APP_PROTECTION_DOC,
    ),
    needs=(APP_PROTECTION,),
)
def intune_app_protection_blocks_data_transfer(tenant: Any, ctx: CheckContext) -> Verdict:
    """Pass when iOS and Android each have assigned policies, all of which block transfer."""
    entra = ctx.inventory.entra
    gap = intune_gap(entra, APP_PROTECTION, "app protection policies")
    if gap:
        return gap
    platforms: dict[str, list[dict[str, Any]]] = {p: [] for p in APP_PROTECTION_PLATFORMS.values()}
    unassigned: list[str] = []
    not_known: list[str] = []
    for policy in entra.app_protection_policies:
        if policy.assigned is None:
            not_known.append(_label(policy))
            continue
        if not policy.assigned:
            unassigned.append(_label(policy))
            continue
        platforms.setdefault(policy.platform, []).append({
            "policy": _label(policy),
            "allowed_outbound_data_transfer_destinations":
                policy.allowed_outbound_data_transfer_destinations,
            "allowed_outbound_clipboard_sharing_level":
                policy.allowed_outbound_clipboard_sharing_level,
            "blocks": blocks_transfer(policy),
        })
    evidence: dict[str, Any] = {"platforms": platforms, "unassigned_policies_ignored": unassigned}
    if not_known:
        evidence["assignments_not_read"] = not_known
        return Verdict(status=Status.UNKNOWN,
                       reason=f"whether {len(not_known)} app protection policies are assigned "
                              f"was not read",
                       evidence=evidence)
    missing = [p for p in APP_PROTECTION_PLATFORMS.values() if not platforms[p]]
    leaking = [entry["policy"] for entries in platforms.values() for entry in entries
               if not entry["blocks"]]
    problems = []
    if missing:
        problems.append(f"no assigned app protection policy for {', '.join(missing)}")
    if leaking:
        problems.append(f"policies allowing copy/paste or transfer to unmanaged apps: "
                        f"{', '.join(leaking)}")
    if problems:
        return Verdict(status=Status.FAIL, reason="; ".join(problems), evidence=evidence)
    return Verdict(status=Status.PASS,
                   reason="every assigned iOS and Android app protection policy keeps org data "
                          "in managed apps (transfer and clipboard)",
                   evidence=evidence)
