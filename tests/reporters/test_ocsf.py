"""OCSF: a JSON array of Compliance Finding events carrying every field the class requires.

Required attributes, read from the OCSF schema sources (ocsf/ocsf-schema, with the search
tool; commit prefixes of the stored files) and from Prowler's py-ocsf-models, which pins
OCSF 1.1.0 (prowler-cloud/py-ocsf-models, `OCSF_VERSION = "1.1.0"`):

* events/base_event.json (32de09aa3afc): `activity_id`, `category_uid`, `class_uid`,
  `metadata`, `severity_id`, `time`, `type_uid` are "required".
* events/findings/finding.json (05e0f0b9b0b4): `finding_info` is "required".
* events/findings/compliance_finding.json (133b84ebe6d1): `compliance` is "required"
  (class uid 3 in category findings (2): class_uid 2003).
* profiles/cloud.json (01d6c7cba03b): `cloud` is "required" when the cloud profile is
  applied (the events list "cloud" in `metadata.profiles`).
* objects/metadata.json (04dbb31860b9): `product` and `version` are "required".
* objects/product.json (00fc211898b0): `name` is "required" (`vendor_name` was required in
  1.0/1.1: py-ocsf-models' Product; the events carry it too).
* objects/finding_info.json (02f54e38332c): `uid` is "required" (`title` is required in
  1.1.0: py-ocsf-models FindingInformation "Title (title) [Required]").
* objects/compliance.json (01d6c7cba03b): `standards` is "required"; `status_id` enum 0 Unknown,
  1 Pass, 2 Warning, 3 Fail.
* objects/cloud.json (04dbb31860b9): `provider` is "required".

Types are those of the OCSF dictionary: ids are integers, `time` a timestamp_t (integer
milliseconds since the epoch), names and uids strings, `standards` a string array.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from scanner.findings import Severity, Status
from scanner.report import ScanResult
from scanner.reporters import ReportFormat, write_reports
from scanner.reporters.ocsf import FILENAME, write_ocsf
from tests.reporters.conftest import FINISHED, SUB, TENANT, result_of, sample_findings

REQUIRED: dict[str, type | tuple[type, ...]] = {
    "activity_id": int, "category_uid": int, "class_uid": int, "metadata": dict,
    "severity_id": int, "time": int, "type_uid": int,   # base_event
    "finding_info": dict,                                # finding
    "compliance": dict,                                  # compliance_finding
    "cloud": dict,                                       # cloud profile
}
REQUIRED_IN = {
    "metadata": {"product": dict, "version": str},
    "finding_info": {"uid": str, "title": str},
    "compliance": {"standards": list},
    "cloud": {"provider": str},
}


def render(result: ScanResult) -> str:
    stream = io.StringIO()
    write_ocsf(result, stream)
    return stream.getvalue()


def events_of(result: ScanResult) -> list[dict[str, Any]]:
    events = json.loads(render(result))
    assert isinstance(events, list)
    return events


def assert_compliance_finding(event: dict[str, Any]) -> None:
    for name, kind in REQUIRED.items():
        assert isinstance(event.get(name), kind), name
        assert not isinstance(event[name], bool), name
    for obj, fields in REQUIRED_IN.items():
        for name, kind in fields.items():
            assert isinstance(event[obj].get(name), kind), f"{obj}.{name}"
    assert isinstance(event["metadata"]["product"]["name"], str)
    assert isinstance(event["metadata"]["product"]["vendor_name"], str)
    assert all(isinstance(s, str) for s in event["compliance"]["standards"])
    assert event["class_uid"] == 2003 and event["category_uid"] == 2
    assert event["activity_id"] in (0, 1, 2, 3, 99)
    assert event["type_uid"] == event["class_uid"] * 100 + event["activity_id"]
    assert event["severity_id"] in (0, 1, 2, 3, 4, 5, 6, 99)
    assert event.get("status_id", 1) in (0, 1, 2, 3, 4, 5, 6, 99)
    assert event["compliance"].get("status_id", 0) in (0, 1, 2, 3, 99)
    assert "cloud" in event["metadata"]["profiles"]


def test_every_event_has_the_fields_the_class_requires(sample: ScanResult) -> None:
    events = events_of(sample)
    assert len(events) == len(sample.findings) == 11
    for event in events:
        assert_compliance_finding(event)
        assert event["metadata"]["version"] == "1.1.0"
        assert event["metadata"]["product"]["name"] == "cjis-scan"
        assert event["time"] == int(FINISHED.timestamp() * 1000)
        assert event["activity_id"] == 1 and event["type_uid"] == 200301


def test_a_failing_finding_maps_onto_the_class(sample: ScanResult) -> None:
    finding = next(iter(sample.findings))  # fail, high, a VM in westeurope
    (event,) = events_of(result_of([finding]))
    assert (event["severity_id"], event["severity"]) == (4, "High")
    assert (event["status_id"], event["status"]) == (1, "New")
    assert event["finding_info"]["uid"] == finding.fingerprint
    assert event["finding_info"]["title"] == finding.title
    assert event["finding_info"]["desc"] == finding.reason == event["message"]
    assert event["compliance"] == {
        "standards": ["CJIS Security Policy 6.0"],
        "requirements": ["residency.resource_location"], "control": "SA-9(5), SC-7",
        "status_id": 3, "status": "Fail", "status_code": "fail",
        "status_detail": finding.reason}
    assert event["resources"] == [{
        "uid": finding.resource_id, "name": "fail-vm",
        "type": "microsoft.compute/virtualmachines", "region": "westeurope",
        "cloud_partition": "AzureCloud", "group": {"name": "rg-cjis"}}]
    assert event["cloud"] == {"provider": "Azure", "region": "westeurope", "account": {
        "uid": SUB, "type_id": 99, "type": "Azure Subscription"}}
    assert event["remediation"] == {"desc": finding.remediation.summary,
                                    "references": [finding.remediation.docs]}
    assert event["metadata"]["event_code"] == finding.check_id
    assert event["metadata"]["tenant_uid"] == TENANT
    assert event["unmapped"]["remediation_cli"] == finding.remediation.cli


@pytest.mark.parametrize("status, expected", [
    (Status.PASS, (1, "Pass")), (Status.FAIL, (3, "Fail")), (Status.UNKNOWN, (0, "Unknown")),
    (Status.NOT_APPLICABLE, (99, "Not Applicable")), (Status.MANUAL, (99, "Manual")),
])
def test_compliance_status(status: Status, expected: tuple[int, str]) -> None:
    finding = sample_findings()[0]._replace(**{"status": status})
    (event,) = events_of(result_of([finding]))
    assert (event["compliance"]["status_id"], event["compliance"]["status"]) == expected
    assert event["status_id"] == 1


def test_a_waived_finding_is_suppressed_and_keeps_its_compliance_status() -> None:
    waiver = {"source": "config", "justification": "retiring", "approver": "ISO",
              "expires": "2025-09-30", "original_status": "unknown"}
    finding = sample_findings()[0]._replace(**{"status": Status.WAIVED,
                                                      "waiver": waiver})
    (event,) = events_of(result_of([finding]))
    assert (event["status_id"], event["status"], event["status_code"]) == (3, "Suppressed",
                                                                           "waived")
    assert (event["compliance"]["status_id"], event["compliance"]["status"]) == (0, "Unknown")
    assert event["unmapped"]["waiver"] == waiver


@pytest.mark.parametrize("severity, expected", [
    (Severity.CRITICAL, 5), (Severity.HIGH, 4), (Severity.MEDIUM, 3), (Severity.LOW, 2),
    (Severity.INFO, 1)])
def test_severity_ids(severity: Severity, expected: int) -> None:
    finding = sample_findings()[0]._replace(**{"severity": severity})
    (event,) = events_of(result_of([finding]))
    assert event["severity_id"] == expected


def test_evidence_is_kept_as_it_was_in_unmapped() -> None:
    finding = sample_findings()[0]._replace(**{"evidence": {"a": None, "b": [], "c": 1}})
    (event,) = events_of(result_of([finding]))
    assert event["unmapped"]["evidence"] == {"a": None, "b": [], "c": 1}


def test_a_tenant_wide_finding_has_no_account_or_region() -> None:
    (tenant,) = [f for f in sample_findings() if f.resource_id.startswith("/tenants/")]
    (event,) = events_of(result_of([tenant]))
    assert_compliance_finding(event)
    assert event["cloud"] == {"provider": "Azure"}
    assert "region" not in event["resources"][0] and "group" not in event["resources"][0]


def test_write_reports_writes_the_named_file(tmp_path: Path, sample: ScanResult) -> None:
    (path,) = write_reports(sample, [ReportFormat.OCSF], tmp_path, Console(file=io.StringIO()))
    assert path == tmp_path / FILENAME == tmp_path / "cjis-scan-ocsf.json"
    events = json.loads(path.read_text(encoding="utf-8"))
    assert len(events) == 11
    assert path.read_text(encoding="utf-8").count("\n") == 13  # "[", 11 events, "]"


def test_no_findings_is_an_empty_array() -> None:
    assert render(result_of([])) == "[]\n"
