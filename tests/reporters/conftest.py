"""A small scan result built by hand: two steps, findings of every status, one gap."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scanner.engine import Scoreboard
from scanner.findings import Finding, Remediation, Severity, Status, fingerprint
from scanner.inventory import CollectionError
from scanner.registry import judged_framework
from scanner.report import FindingStore, ScanMeta, ScanResult

SUB = "00000000-0000-0000-0000-00000000aaaa"
TENANT = "00000000-0000-0000-0000-0000000000t1"
STARTED = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
FINISHED = STARTED + timedelta(seconds=12.5)
SECRET_EVIDENCE = "EVIDENCE-VALUE-THAT-MUST-NOT-REACH-THE-CONSOLE"


def arm_id(kind_path: str, name: str, group: str = "rg-cjis", sub: str = SUB) -> str:
    """A lower-cased ARM id: arm_id('Microsoft.Storage/storageAccounts', 'pass-sa')."""
    return f"/subscriptions/{sub}/resourcegroups/{group}/providers/{kind_path}/{name}".lower()


SA_PASS = arm_id("Microsoft.Storage/storageAccounts", "pass-sa")
SA_FAIL = arm_id("Microsoft.Storage/storageAccounts", "fail-sa")
VM_FAIL = arm_id("Microsoft.Compute/virtualMachines", "fail-vm")
DISK_UNKNOWN = arm_id("Microsoft.Compute/disks", "unknown-disk")
VAULT_FAIL = arm_id("Microsoft.KeyVault/vaults", "fail-kv")
RG = f"/subscriptions/{SUB}/resourcegroups/rg-cjis"
SUBSCRIPTION = f"/subscriptions/{SUB}"
TENANT_SCOPE = f"/tenants/{TENANT}"


def finding(requirement_id: str, check_id: str, resource_id: str, status: Status,
            reason: str, *, severity: Severity | None = None, resource_type: str = "",
            evidence: dict[str, Any] | None = None, location: str | None = "eastus",
            waiver: dict[str, Any] | None = None) -> Finding:
    """A finding of the CJIS 6.0 framework, its step, controls and severity from the file."""
    requirement = judged_framework().requirement(requirement_id)
    assert requirement is not None, requirement_id
    return Finding(
        fingerprint=fingerprint(requirement_id, check_id, resource_id),
        framework="cjis-6.0",
        requirement_id=requirement_id,
        step=requirement.step,
        controls=requirement.controls,
        check_id=check_id,
        title=f"title of {check_id}",
        severity=severity or requirement.severity["commercial"],
        status=status,
        resource_id=resource_id,
        resource_type=resource_type,
        subscription_id=SUB if resource_id.startswith("/subscriptions/") else None,
        location=location,
        reason=reason,
        evidence=evidence or {},
        remediation=Remediation(summary=f"fix {check_id}", cli="az something",
                                docs="https://learn.microsoft.com/x"),
        waiver=waiver,
    )


def sample_findings() -> list[Finding]:
    """Findings of every status over steps 1 and 2, already in report order."""
    return [
        # Step 1
        finding("residency.resource_location", "resource_location_us", VM_FAIL, Status.FAIL,
                "westeurope is not a US region",
                resource_type="microsoft.compute/virtualmachines", location="westeurope"),
        finding("residency.resource_location", "resource_location_us", SA_PASS, Status.PASS,
                "eastus is a US region", resource_type="microsoft.storage/storageaccounts"),
        finding("residency.resource_group_location", "resource_group_location_us", RG,
                Status.PASS, "eastus is a US region",
                resource_type="microsoft.resources/resourcegroups"),
        finding("residency.allowed_locations_policy", "subscription_allowed_locations_policy",
                SUBSCRIPTION, Status.UNKNOWN,
                "could not read policy_assignments (HTTP 403 AuthorizationFailed)",
                resource_type="microsoft.resources/subscriptions", location=None),
        # Step 2
        finding("cmk.storage_account", "storage_account_cmk_encryption", SA_FAIL, Status.FAIL,
                "encrypted with Microsoft-managed keys",
                resource_type="microsoft.storage/storageaccounts",
                evidence={"encryption": {"keySource": "Microsoft.Storage"},
                          "blob": SECRET_EVIDENCE}),
        finding("cmk.storage_account", "storage_account_cmk_encryption", SA_PASS, Status.PASS,
                "encrypted with a customer-managed key",
                resource_type="microsoft.storage/storageaccounts"),
        finding("cmk.managed_disk", "disk_cmk_encryption", DISK_UNKNOWN, Status.UNKNOWN,
                "could not read disk_encryption_sets",
                resource_type="microsoft.compute/disks"),
        finding("cmk.vault_recoverability", "key_store_purge_protection", VAULT_FAIL,
                Status.FAIL, "purge protection is off",
                resource_type="microsoft.keyvault/vaults"),
        finding("cmk.key_rotation", "storage_account_cmk_versionless_key", SA_PASS,
                Status.NOT_APPLICABLE, "uses Microsoft-managed keys",
                resource_type="microsoft.storage/storageaccounts"),
        finding("cmk.infrastructure_encryption", "storage_account_infrastructure_encryption",
                SA_FAIL, Status.WAIVED, "waived: legacy account, retiring in Q3",
                resource_type="microsoft.storage/storageaccounts",
                waiver={"id": "W-1", "expires": "2025-09-30"}),
        finding("cmk.inventory", "tenant_hsm_key_store_exists", TENANT_SCOPE, Status.MANUAL,
                "attest the HSM key store inventory", resource_type="tenant", location=None),
    ]


def synthetic_findings(count: int) -> Iterator[Finding]:
    """`count` distinct findings over every requirement x check, in report order.

    Each has its own id, reason and evidence, as a tenant's findings do; statuses cycle
    through every status. Made one at a time, so a test can stream them.
    """
    framework = judged_framework()
    pairs = [(r, c) for r in framework.requirements for c in r.checks]
    remediation = Remediation(summary="Use a customer-managed key.", cli="az storage update",
                              docs="https://learn.microsoft.com/azure/storage/")
    statuses = list(Status)
    per_check = -(-count // len(pairs))
    for n in range(count):
        requirement, check_id = pairs[n // per_check]
        i = n % per_check
        # Ids grow with i (subscription, then group, then name), so each check's
        # findings come sorted by resource id, as the engine yields them.
        sub = f"00000000-0000-0000-0000-{i // 1000:012d}"
        resource_id = (f"/subscriptions/{sub}/resourcegroups/rg-{i // 10 % 100:03d}/"
                       f"providers/microsoft.storage/storageaccounts/st{n:08d}")
        yield Finding(
            fingerprint=fingerprint(requirement.id, check_id, resource_id),
            framework=framework.id, requirement_id=requirement.id, step=requirement.step,
            controls=requirement.controls, check_id=check_id, title=requirement.title,
            severity=requirement.severity["commercial"], status=statuses[n % len(statuses)],
            resource_id=resource_id, resource_type="microsoft.storage/storageaccounts",
            subscription_id=sub, location="eastus",
            reason=f"finding {n}: keySource is Microsoft.Storage",
            evidence={"encryption": {"keySource": "Microsoft.Storage", "index": n},
                      "minimumTlsVersion": "TLS1_2"},
            remediation=remediation)


def sample_error() -> CollectionError:
    return CollectionError(scope=SUBSCRIPTION, collector="policy_assignments", status=403,
                           code="AuthorizationFailed", message="The client does not have "
                           "authorization", remedy="Reader on the subscription")


def result_of(findings: list[Finding], errors: list[CollectionError] | None = None,
              **meta: Any) -> ScanResult:
    """A ScanResult over `findings` (packed, read back in report order whatever the order
    given), its scoreboard computed as the engine does."""
    framework = judged_framework()
    board = Scoreboard()
    board.extend(findings)
    fields: dict[str, Any] = {
        "tool_version": "0.1.0",
        "framework_id": framework.id,
        "framework_title": framework.title,
        "cloud": "commercial",
        "profile": "commercial",
        "tenant_id": TENANT,
        "subscriptions": [{"subscription_id": SUB, "display_name": "Agency"}],
        "started_at": STARTED,
        "finished_at": FINISHED,
        "source": "demo",
        "checks_run": sorted({f.check_id for f in findings}),
        "boundary": {"subscriptions": [SUB], "steps": ["1", "2"]},
    }
    fields.update(meta)
    return ScanResult(meta=ScanMeta(**fields), framework=framework,
                      findings=FindingStore(framework, findings), scoreboard=board,
                      errors=list(errors or []))


@pytest.fixture
def sample() -> ScanResult:
    """The hand-built scan: 11 findings over steps 1 and 2, one collection error."""
    return result_of(sample_findings(), [sample_error()])
