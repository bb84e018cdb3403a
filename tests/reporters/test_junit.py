"""JUnit XML: a suite per step, a test case per finding, valid for the CI servers' schema.

The schema rules checked here are those of the JUnit schema CI servers validate against,
the Jenkins xunit plugin's `junit-10.xsd` (MIT, Gregory Boissinot; jenkinsci/xunit-plugin),
read with the search tool:

* `testsuites`: children `testsuite*`; attributes name, time, tests, failures, disabled,
  errors (all optional).
* `testsuite`: children any of testsuite, properties, testcase, system-out, system-err;
  attribute `tests` REQUIRED; optional name, failures, errors, time, disabled, skipped,
  skips, timestamp, hostname, id, package, assertions, file, skip, log, url.
* `testcase`: attribute `name` REQUIRED; optional assertions, time, timestamp, classname,
  status, class, file, line, log, group, url; children skipped, error, failure,
  system-out, system-err.
* `failure`, `error`, `skipped`: optional `type` and `message`, mixed text content.
* `properties`: `property*`; `property`: `name` and `value` REQUIRED.

The stricter Apache Ant JUnit.xsd is honoured too: a testsuite also carries name,
failures, errors, time, timestamp (no time zone), hostname, id and package, and its
children come as properties, testcase*, system-out, system-err; a testcase carries
name, classname and time.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from rich.console import Console

from scanner.findings import Status
from scanner.report import ScanResult
from scanner.reporters import ReportFormat, write_reports
from scanner.reporters.junit import FILENAME, write_junit
from tests.reporters.conftest import result_of, sample_findings

SUITES_ATTRS = {"name", "time", "tests", "failures", "disabled", "errors"}
SUITE_ATTRS = {"name", "tests", "failures", "errors", "time", "disabled", "skipped", "skips",
               "timestamp", "hostname", "id", "package", "assertions", "file", "skip", "log",
               "url"}
SUITE_REQUIRED = {"tests"}
ANT_SUITE_REQUIRED = {"name", "tests", "failures", "errors", "time", "timestamp", "hostname",
                      "id", "package"}
SUITE_CHILDREN = {"testsuite", "properties", "testcase", "system-out", "system-err"}
CASE_ATTRS = {"name", "assertions", "time", "timestamp", "classname", "status", "class", "file",
              "line", "log", "group", "url"}
CASE_REQUIRED = {"name"}
ANT_CASE_REQUIRED = {"name", "classname", "time"}
CASE_CHILDREN = {"skipped", "error", "failure", "system-out", "system-err"}
RESULT_ATTRS = {"type", "message"}


def render(result: ScanResult) -> str:
    stream = io.StringIO()
    write_junit(result, stream)
    return stream.getvalue()


def validate(root: ET.Element) -> None:
    """Assert the junit-10.xsd (and Ant) element and attribute rules, and the counts."""
    assert root.tag == "testsuites"
    assert set(root.attrib) <= SUITES_ATTRS
    assert {child.tag for child in root} <= {"testsuite"}
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for suite in root:
        assert SUITE_REQUIRED | ANT_SUITE_REQUIRED <= set(suite.attrib) <= SUITE_ATTRS
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", suite.attrib["timestamp"])
        tags = [child.tag for child in suite]
        assert set(tags) <= SUITE_CHILDREN
        # Ant's order: properties, testcase*, system-out, system-err.
        assert tags[0] == "properties" and tags[-2:] == ["system-out", "system-err"]
        assert set(tags[1:-2]) <= {"testcase"}
        for prop in suite.find("properties") or []:
            assert prop.tag == "property" and set(prop.attrib) == {"name", "value"}
        counts = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
        for case in suite.iter("testcase"):
            assert CASE_REQUIRED | ANT_CASE_REQUIRED <= set(case.attrib) <= CASE_ATTRS
            children = list(case)
            assert {c.tag for c in children} <= CASE_CHILDREN and len(children) <= 1
            for child in children:
                assert set(child.attrib) <= RESULT_ATTRS
            counts["tests"] += 1
            kind = children[0].tag if children else None
            counts["failures"] += kind == "failure"
            counts["errors"] += kind == "error"
            counts["skipped"] += kind == "skipped"
        for key, value in counts.items():
            assert suite.attrib[key] == str(value), (suite.attrib["name"], key)
            totals[key] += value
    for key in ("tests", "failures", "errors"):
        assert root.attrib[key] == str(totals[key])


def test_the_document_follows_the_schema_and_its_counts_add_up(sample: ScanResult) -> None:
    text = render(sample)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text.encode("utf-8"))
    validate(root)
    assert (root.attrib["tests"], root.attrib["failures"], root.attrib["errors"]) == \
        ("11", "3", "2")
    assert sum(int(suite.attrib["skipped"]) for suite in root) == 3


def test_one_suite_per_step_named_after_it(sample: ScanResult) -> None:
    root = ET.fromstring(render(sample))
    assert [s.attrib["name"] for s in root] == ["CJIS 6.0 step 1: Data residency",
                                                "CJIS 6.0 step 2: Customer-managed keys"]
    step1, step2 = root
    assert (step1.attrib["tests"], step1.attrib["failures"], step1.attrib["errors"]) == \
        ("4", "1", "1")
    assert (step2.attrib["tests"], step2.attrib["failures"], step2.attrib["errors"],
            step2.attrib["skipped"]) == ("7", "2", "1", "3")
    props = {p.attrib["name"]: p.attrib["value"] for p in step1.find("properties") or []}
    assert props["framework"] == "cjis-6.0" and props["step"] == "1"


def test_each_finding_is_a_test_case_with_its_verdict(sample: ScanResult) -> None:
    root = ET.fromstring(render(sample))
    cases = list(root.iter("testcase"))
    assert len(cases) == len(sample.findings)
    for case, finding in zip(cases, sample.findings, strict=True):
        assert case.attrib["classname"] == f"{finding.requirement_id}.{finding.check_id}"
        assert case.attrib["name"] == finding.resource_id
        children = list(case)
        expected = {Status.PASS: None, Status.FAIL: "failure", Status.UNKNOWN: "error",
                    Status.NOT_APPLICABLE: "skipped", Status.MANUAL: "skipped",
                    Status.WAIVED: "skipped"}[finding.status]
        assert (children[0].tag if children else None) == expected
        if finding.status is Status.FAIL:
            assert children[0].attrib == {"message": finding.reason,
                                          "type": finding.severity.value}
            assert finding.remediation.summary in (children[0].text or "")
            assert finding.fingerprint in (children[0].text or "")
        elif finding.status is Status.UNKNOWN:
            assert children[0].attrib["message"] == finding.reason
        elif expected == "skipped":
            assert finding.reason in children[0].attrib["message"]
            assert children[0].attrib["type"] == finding.status.value


def test_a_waived_case_says_by_what_it_is_waived() -> None:
    waived = sample_findings()[0]._replace(**{"status": Status.WAIVED, "waiver": {
        "source": "azure_policy", "justification": "DR copy", "approver": "CISO",
        "expires": "2025-09-30T00:00:00Z"}})
    skipped = ET.fromstring(render(result_of([waived]))).find(".//skipped")
    assert skipped is not None
    assert skipped.attrib["message"].startswith(
        "waived (Azure Policy exemption, approved by CISO, expires 2025-09-30T00:00:00Z): "
        "DR copy")


def test_text_xml_cannot_hold_is_dropped_and_markup_escaped() -> None:
    finding = sample_findings()[0]._replace(**{
        "reason": "bad \x00\x01\x1b chars & <tags> \"quotes\"\nnext line",
        "resource_id": "/subscriptions/x/resourceGroups/a&b<c>"})
    text = render(result_of([finding]))
    root = ET.fromstring(text)  # well-formed
    validate(root)
    case = root.find(".//testcase")
    assert case is not None and case.attrib["name"] == "/subscriptions/x/resourceGroups/a&b<c>"
    failure = case.find("failure")
    assert failure is not None
    assert failure.attrib["message"] == "bad  chars & <tags> \"quotes\"\nnext line"


def test_write_reports_writes_the_named_file(tmp_path: Path, sample: ScanResult) -> None:
    (path,) = write_reports(sample, [ReportFormat.JUNIT], tmp_path, Console(file=io.StringIO()))
    assert path == tmp_path / FILENAME == tmp_path / "cjis-scan-junit.xml"
    validate(ET.parse(path).getroot())


def test_no_findings_is_an_empty_testsuites() -> None:
    root = ET.fromstring(render(result_of([])))
    assert root.tag == "testsuites" and list(root) == [] and root.attrib["tests"] == "0"
