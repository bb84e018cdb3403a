"""OCSF (`cjis-scan-ocsf.json`): a JSON array of OCSF Compliance Finding events.

One event per finding, in the Open Cybersecurity Schema Framework's Compliance Finding
class (class_uid 2003, category 2 Findings), the shape security data lakes (Amazon
Security Lake, Sentinel data connectors, Splunk OCSF add-ons) and Prowler exchange.
The event declares OCSF schema version `OCSF_VERSION` and the `cloud` and `datetime`
profiles, and fills:

* the classification: activity 1 Create, `type_uid` 200301 (class_uid * 100 +
  activity_id), `severity_id` (info 1, low 2, medium 3, high 4, critical 5);
* `time` (the scan's end, epoch milliseconds as OCSF's timestamp_t) and `time_dt`;
* `metadata`: product cjis-scan and its version, the OCSF version, the check id as
  `event_code`, the tenant as `tenant_uid`;
* `finding_info`: `uid` = the finding's stable fingerprint (dedupe key), `title`, `desc`;
* `compliance`: standards [the framework file's `standard`], `requirements` [requirement
  id], `control` (the NIST SP 800-53 controls), `status_id` 1 Pass / 3 Fail / 0 Unknown
  (`unknown`: could not be evaluated; OCSF reserves 0 Unknown in every `_id` enum, and a
  data lake reads 2 "Warning" as a finding that was evaluated and warned about) / 99
  Other (not applicable, manual); a waived finding keeps the compliance status it had and is
  marked `status_id` 3 Suppressed at the finding level instead of 1 New;
* `resources`: the ARM resource (uid, name, type, region, group, cloud partition);
* `cloud`: provider `Azure`, the subscription as the account (type Other: OCSF 1.1.0's
  account types have no Azure subscription), region;
* `remediation`: `desc` and the Microsoft Learn link in `references`;
* `unmapped`: evidence, waiver, step, framework, the `az` command, the scan source and
  the scan's outcome (`fail_on`, verdict, exit code).

The array is streamed one event per line, so 50,000 findings are never one string.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from scanner.finding_store import ScanResult
from scanner.findings import Finding, Severity, Status
from scanner.inventory_base import resource_group_of
from scanner.reporters.base import FileReporter, ReportFormat, as_utc, iso_utc

FILENAME = "cjis-scan-ocsf.json"

OCSF_VERSION = "1.1.0"
PRODUCT = {"name": "cjis-scan", "uid": "cjis-scan", "vendor_name": "cjis-scan"}

CATEGORY_UID, CATEGORY_NAME = 2, "Findings"
CLASS_UID, CLASS_NAME = 2003, "Compliance Finding"
ACTIVITY_ID, ACTIVITY_NAME = 1, "Create"
TYPE_UID = CLASS_UID * 100 + ACTIVITY_ID

SEVERITY: dict[Severity, tuple[int, str]] = {
    Severity.INFO: (1, "Informational"),
    Severity.LOW: (2, "Low"),
    Severity.MEDIUM: (3, "Medium"),
    Severity.HIGH: (4, "High"),
    Severity.CRITICAL: (5, "Critical"),
}

COMPLIANCE_STATUS: dict[Status, tuple[int, str]] = {
    Status.PASS: (1, "Pass"),
    Status.UNKNOWN: (0, "Unknown"),
    Status.FAIL: (3, "Fail"),
    Status.NOT_APPLICABLE: (99, "Not Applicable"),
    Status.MANUAL: (99, "Manual"),
}
"""The compliance object's status_id / status (a waived finding uses its original one)."""

FINDING_NEW, FINDING_SUPPRESSED = (1, "New"), (3, "Suppressed")

CLOUD_PARTITION = {"commercial": "AzureCloud", "usgov": "AzureUSGovernment",
                   "usgov-dod": "AzureUSGovernment"}  # DoD is in the US Government partition
"""Azure's names for its clouds (`az cloud list`)."""


def _epoch_ms(result: ScanResult) -> int:
    return int(as_utc(result.meta.finished_at).timestamp() * 1000)


def _prune(value: Any) -> Any:
    """Drop None values and empty containers (OCSF omits what is not known)."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def compliance_status(finding: Finding) -> tuple[int, str]:
    """(status_id, status) of the compliance check; a waived finding's original status."""
    status = finding.status
    if status is Status.WAIVED:
        original = (finding.waiver or {}).get("original_status")
        status = Status(original) if original in {s.value for s in Status} else Status.FAIL
        if status is Status.WAIVED:
            status = Status.FAIL
    return COMPLIANCE_STATUS[status]


def event_of(finding: Finding, result: ScanResult, time_ms: int, time_dt: str) -> dict[str, Any]:
    """The OCSF Compliance Finding event of one finding."""
    meta = result.meta
    severity_id, severity = SEVERITY[finding.severity]
    status_id, status = FINDING_SUPPRESSED if finding.status is Status.WAIVED else FINDING_NEW
    compliance_id, compliance_caption = compliance_status(finding)
    resource_id = finding.resource_id
    event: dict[str, Any] = {
        "activity_id": ACTIVITY_ID,
        "activity_name": ACTIVITY_NAME,
        "category_uid": CATEGORY_UID,
        "category_name": CATEGORY_NAME,
        "class_uid": CLASS_UID,
        "class_name": CLASS_NAME,
        "type_uid": TYPE_UID,
        "type_name": f"{CLASS_NAME}: {ACTIVITY_NAME}",
        "severity_id": severity_id,
        "severity": severity,
        "status_id": status_id,
        "status": status,
        "status_code": finding.status.value,
        "status_detail": finding.reason,
        "message": finding.reason,
        "time": time_ms,
        "time_dt": time_dt,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {**PRODUCT, "version": meta.tool_version},
            "profiles": ["cloud", "datetime"],
            "event_code": finding.check_id,
            "tenant_uid": meta.tenant_id,
        },
        "finding_info": {
            "uid": finding.fingerprint,
            "title": finding.title,
            "desc": finding.reason,
            "types": [finding.framework, finding.requirement_id],
            "created_time": time_ms,
            "created_time_dt": time_dt,
            "product_uid": PRODUCT["uid"],
        },
        "compliance": {
            "standards": [result.framework.standard],
            "requirements": [finding.requirement_id],
            "control": ", ".join(finding.controls),
            "status_id": compliance_id,
            "status": compliance_caption,
            "status_code": finding.status.value,
            "status_detail": finding.reason,
        },
        "resources": [{
            "uid": resource_id,
            "name": resource_id.rstrip("/").rsplit("/", 1)[-1] or resource_id,
            "type": finding.resource_type or None,
            "region": finding.location,
            "cloud_partition": CLOUD_PARTITION.get(meta.cloud, meta.cloud),
            "group": ({"name": group} if (group := resource_group_of(resource_id)) else None),
        }],
        "cloud": {
            "provider": "Azure",
            "region": finding.location,
            "account": ({"uid": finding.subscription_id, "type_id": 99,
                         "type": "Azure Subscription"} if finding.subscription_id else None),
        },
        "remediation": {
            "desc": finding.remediation.summary,
            "references": [finding.remediation.docs] if finding.remediation.docs else None,
        },
        "unmapped": {
            "framework": finding.framework,
            "step": finding.step,
            "check_id": finding.check_id,
            "remediation_cli": finding.remediation.cli,
            "scan_source": meta.source,
            "scan_inventory_source": meta.inventory_source,
            "scan_started_at": iso_utc(meta.started_at),
            "scan_outcome": meta.outcome or None,
        },
    }
    event = _prune(event)
    # Evidence and waiver as they are (not pruned: a None the check looked at is evidence).
    if finding.evidence:
        event["unmapped"]["evidence"] = finding.evidence
    if finding.waiver:
        event["unmapped"]["waiver"] = finding.waiver
    return event


def write_ocsf(result: ScanResult, stream: TextIO) -> None:
    """Write `result` as a JSON array of OCSF Compliance Finding events, one per line."""
    time_ms = _epoch_ms(result)
    time_dt = iso_utc(result.meta.finished_at)
    stream.write("[")
    separator = "\n"
    for finding in result.findings:
        stream.write(separator)
        stream.write(json.dumps(event_of(finding, result, time_ms, time_dt),
                                ensure_ascii=False))
        separator = ",\n"
    stream.write("\n]\n" if result.findings else "]\n")


REPORTER = FileReporter(format=ReportFormat.OCSF, filename=FILENAME, write=write_ocsf)
