"""JUnit XML (`cjis-scan-junit.xml`): each check x resource a test case, so CI servers
(Jenkins, GitLab, Azure DevOps, GitHub test reporters) show the scan natively.

Layout:

* `<testsuites>` with the totals (tests, failures, errors); one `<testsuite>` per top-level
  section of the framework, named `<short title> <section label>: <title>` (for the
  built-in framework, `... step 1: Data residency`), with `<properties>` naming the
  framework, cloud, profile, tenant and scan source.
* One `<testcase classname="<requirement_id>.<check_id>" name="<resource_id>">` per
  finding. `pass`: empty. `fail`: `<failure message=reason type=severity>`.
  `unknown`: `<error message=reason type="unknown">` (the scan could not decide).
  `not_applicable`, `manual`, `waived`: `<skipped message=...>` (no automated verdict).
  The element text holds the resource, reason, remediation and evidence.

It follows the JUnit schema CI servers accept (the Jenkins xunit plugin's junit-10.xsd
and Ant's JUnit.xsd): `testsuite` carries `name tests failures errors skipped time
timestamp hostname id package`, its children come in the order `properties`,
`testcase`..., `system-out`, `system-err`; `testcase` carries `name classname time`.
Characters XML 1.0 cannot hold are dropped, so any text from the tenant gives a
well-formed file. Test cases are written one at a time (a 50,000-finding scan never builds
a tree of them).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import TextIO

from scanner.finding_store import ScanResult
from scanner.findings import Finding, Status
from scanner.reporters.base import FileReporter, ReportFormat, as_utc

FILENAME = "cjis-scan-junit.xml"

_SKIPPED = (Status.NOT_APPLICABLE, Status.MANUAL, Status.WAIVED)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """`value` as text XML 1.0 can hold (other control characters removed)."""
    return _NOT_XML.sub("", str(value))


def suite_name(result: ScanResult, step: str) -> str:
    """`<short title> <section label>: <section title>`, all from the framework file."""
    framework = result.framework
    return f"{framework.short_title} {framework.label_of(step)}: {framework.section_title(step)}"


def _package(result: ScanResult, step: str) -> str:
    """`<framework id>.<section label>-<id>` (`cjis-6.0.step-1`)."""
    label = result.framework.section_label.replace(" ", "-")
    return f"{result.meta.framework_id}.{label}-{step}"


def _counts(statuses: Mapping[str, int]) -> dict[str, int]:
    """tests / failures / errors / skipped from a scoreboard's counts by status."""
    return {"tests": sum(statuses.values()),
            "failures": statuses.get(Status.FAIL.value, 0),
            "errors": statuses.get(Status.UNKNOWN.value, 0),
            "skipped": sum(statuses.get(s.value, 0) for s in _SKIPPED)}


def _details(finding: Finding) -> str:
    lines = [f"resource: {finding.resource_id}", f"reason: {finding.reason}",
             f"severity: {finding.severity.value}",
             f"controls: {', '.join(finding.controls)}",
             f"remediation: {finding.remediation.summary}"]
    if finding.remediation.cli:
        lines.append(f"az: {finding.remediation.cli}")
    if finding.remediation.docs:
        lines.append(f"docs: {finding.remediation.docs}")
    if finding.waiver:
        lines.append(f"waiver: {json.dumps(finding.waiver, sort_keys=True)}")
    if finding.evidence:
        lines.append(f"evidence: {json.dumps(finding.evidence, sort_keys=True)}")
    lines.append(f"fingerprint: {finding.fingerprint}")
    return xml_text("\n".join(lines))


def _skip_message(finding: Finding) -> str:
    if finding.status is Status.WAIVED and finding.waiver:
        waiver = finding.waiver
        by = f", approved by {waiver['approver']}" if waiver.get("approver") else ""
        until = f", expires {waiver['expires']}" if waiver.get("expires") else ""
        source = "Azure Policy exemption" if waiver.get("source") == "azure_policy" \
            else "waiver"
        return (f"waived ({source}{by}{until}): {waiver.get('justification') or ''} "
                f"| {finding.reason}")
    return f"{finding.status.value}: {finding.reason}"


def testcase(finding: Finding) -> ET.Element:
    """The `<testcase>` of one finding."""
    case = ET.Element("testcase", {
        "name": xml_text(finding.resource_id),
        "classname": xml_text(f"{finding.requirement_id}.{finding.check_id}"),
        "time": "0",
    })
    if finding.status is Status.FAIL:
        ET.SubElement(case, "failure", {"message": xml_text(finding.reason),
                                        "type": finding.severity.value}).text = \
            _details(finding)
    elif finding.status is Status.UNKNOWN:
        ET.SubElement(case, "error", {"message": xml_text(finding.reason),
                                      "type": "unknown"}).text = _details(finding)
    elif finding.status is not Status.PASS:  # one of _SKIPPED
        ET.SubElement(case, "skipped", {"message": xml_text(_skip_message(finding)),
                                        "type": finding.status.value}).text = \
            _details(finding)
    return case


def _suite_parts(result: ScanResult, step: str, index: int, timestamp: str,
                properties: dict[str, str]) -> tuple[str, str]:
    """The text of a step's `<testsuite>` before its first test case, and after its last."""
    suite = ET.Element("testsuite", {
        "name": xml_text(suite_name(result, step)),
        **{k: str(v) for k, v in _counts(result.scoreboard.steps[step].counts).items()},
        "time": "0", "timestamp": timestamp, "hostname": "cjis-scan",
        "id": str(index), "package": xml_text(_package(result, step)),
    })
    props = ET.SubElement(suite, "properties")
    for name, value in {**properties, "step": step}.items():
        ET.SubElement(props, "property", {"name": name, "value": xml_text(value)})
    ET.SubElement(suite, "system-out")
    ET.SubElement(suite, "system-err")
    ET.indent(suite, space="  ", level=1)
    # Attribute values are escaped, so the only "<system-out" is the element itself.
    head, marker, tail = ET.tostring(suite, encoding="unicode",
                                     short_empty_elements=True).rpartition("<system-out")
    return head, marker + tail


def write_junit(result: ScanResult, stream: TextIO) -> None:
    """Write the JUnit XML of `result`: one suite per step, test cases in report order.

    Each suite's counts come from the scoreboard, so its opening tag is written before
    its test cases, which are then written one at a time.
    """
    meta = result.meta
    timestamp = as_utc(meta.started_at).replace(tzinfo=None, microsecond=0).isoformat()
    duration = f"{max((as_utc(meta.finished_at) - as_utc(meta.started_at)).total_seconds(), 0):.3f}"
    total = _counts(result.scoreboard.overall.counts)

    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.Element("testsuites", {
        "name": xml_text(f"cjis-scan: {meta.framework_title}"),
        # junit-10.xsd allows no `skipped` here (only on each testsuite).
        **{k: str(v) for k, v in total.items() if k != "skipped"}, "time": duration})
    opening = ET.tostring(root, encoding="unicode")  # "<testsuites ... />"
    stream.write(opening.removesuffix(" />").removesuffix("/>") + ">\n")
    properties: dict[str, str] = {"framework": meta.framework_id, "cloud": meta.cloud,
                  "profile": meta.profile, "tenant_id": meta.tenant_id or "",
                  "source": meta.source, "tool_version": meta.tool_version,
                  "inventory_source": meta.inventory_source or "",
                  # The run's outcome, as the process exits with it (scanner.outcome).
                  **{k: str(meta.outcome[k]) for k in ("fail_on", "verdict", "exit_code")
                     if k in meta.outcome}}
    step: str | None = None
    closing = ""
    index = 0
    # Report order keeps each step's findings together: one suite opens as the last closes.
    for finding in result.findings:
        if finding.step != step:
            if step is not None:
                stream.write(closing + "\n")
            step = finding.step
            head, closing = _suite_parts(result, step, index, timestamp, properties)
            stream.write("  " + head)
            index += 1
        case = testcase(finding)
        ET.indent(case, space="  ", level=2)
        stream.write(ET.tostring(case, encoding="unicode", short_empty_elements=True))
        stream.write("\n    ")
    if step is not None:
        stream.write(closing + "\n")
    stream.write("</testsuites>\n")


REPORTER = FileReporter(format=ReportFormat.JUNIT, filename=FILENAME, write=write_junit)
