"""The framework file owns its shape: any file renders in every format, views of the same
requirements keep every fingerprint, and a new framework is one YAML file."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from scanner.config import ScanConfig
from scanner.errors import InputFileError, UsageError
from scanner.finding_store import ScanResult
from scanner.framework import DEFAULT_FRAMEWORK
from scanner.framework_files import framework_names, load_framework, views_of
from scanner.inventory import Inventory
from scanner.reporters import ReportFormat, reporter_for
from scanner.reporters.base import FileReporter
from scanner.reporters.schema import report_schema
from scanner.scan import run_judgement
from scanner.sources import Source, load_inventory
from tests.cli.test_scan_cli import cli

CONTROLS = "cjis-6.0-controls"
STARTED = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


@cache
def demo_inventory() -> Inventory:
    return load_inventory(Source(demo=True), "commercial", [], 4)


def scan(framework: str, **config: object) -> ScanResult:
    return run_judgement(
        demo_inventory(), ScanConfig(framework=framework, **config), STARTED, "demo"
    )


def render(result: ScanResult, fmt: ReportFormat) -> str:
    reporter = reporter_for(fmt)
    assert isinstance(reporter, FileReporter)
    stream = io.StringIO()
    reporter.write(result, stream)
    return stream.getvalue()


def test_the_built_in_frameworks_are_views_of_the_same_requirements() -> None:
    assert {DEFAULT_FRAMEWORK, CONTROLS} <= set(framework_names())
    steps, controls = load_framework(), load_framework(CONTROLS)
    # The scan's own framework first, then every other view of the same requirements.
    assert [v.id for v in views_of(steps)][:1] == [DEFAULT_FRAMEWORK]
    assert CONTROLS in [v.id for v in views_of(steps)]
    assert [v.id for v in views_of(controls)][:1] == [CONTROLS]
    assert DEFAULT_FRAMEWORK in [v.id for v in views_of(controls)]
    assert {r.id for r in steps.requirements} == {r.id for r in controls.requirements}
    for requirement in controls.requirements:
        same = steps.requirement(requirement.id)
        assert same is not None
        assert (requirement.checks, requirement.controls, requirement.severity) == (
            same.checks,
            same.controls,
            same.severity,
        )
        # Two levels: a policy area, then a control the requirement answers.
        area, control = controls.section_path(requirement.section)
        assert requirement.step == area and requirement.section == control
        assert control.split("(")[0] in {c.split("(")[0] for c in requirement.controls}


def test_fingerprints_and_verdicts_are_the_same_in_every_view() -> None:
    by_step, by_control = scan(DEFAULT_FRAMEWORK), scan(CONTROLS)

    def verdicts(result: ScanResult) -> dict[str, tuple[str, ...]]:
        return {
            f.fingerprint: (
                f.requirement_id,
                f.check_id,
                f.resource_id,
                f.status.value,
                f.severity.value,
                f.reason,
            )
            for f in result.findings
        }

    assert len(by_step.findings) == len(by_control.findings) > 100
    assert verdicts(by_step) == verdicts(by_control)
    assert by_step.scoreboard.overall == by_control.scoreboard.overall
    steps = {f.step for f in by_control.findings}
    assert steps <= {s.id for s in load_framework(CONTROLS).sections}
    assert "5.4" in steps and "1" not in steps


def test_the_second_view_renders_in_every_format() -> None:
    result = scan(CONTROLS)
    framework = result.framework
    document = json.loads(render(result, ReportFormat.JSON))
    Draft202012Validator(report_schema()).validate(document)
    assert document["scan"]["framework"]["id"] == CONTROLS
    sections = {s["id"]: s for s in document["scores"]["sections"]}
    assert sections["5.10"]["depth"] == 0 and sections["SC-28(1)"]["parent"] == "5.10"
    # A parent's counts are the sum of its children's.
    children = [s for s in sections.values() if s["parent"] == "5.10"]
    assert sections["5.10"]["fail"] == sum(s["fail"] for s in children) > 0
    assert [s["step"] for s in document["scores"]["steps"]] == [
        s.id for s in framework.sections if s.id in sections
    ]

    lines = render(result, ReportFormat.JSONL).splitlines()
    assert {json.loads(line)["step"] for line in lines} <= {s.id for s in framework.sections}

    rows = list(csv.DictReader(io.StringIO(render(result, ReportFormat.CSV))))
    assert {r["framework"] for r in rows} == {CONTROLS} and rows[0]["step"] == "5.4"

    junit = ET.fromstring(render(result, ReportFormat.JUNIT))
    suites = [s.get("name") for s in junit.iter("testsuite")]
    assert suites[0] == "CJIS 6.0 policy area 5.4: Auditing and Accountability"
    assert junit.find("testsuite").get("package") == f"{CONTROLS}.policy-area-5.4"

    events = json.loads(render(result, ReportFormat.OCSF))
    assert {e["compliance"]["standards"][0] for e in events} == {framework.standard}

    html = render(result, ReportFormat.HTML)
    assert "Scores by view" in html and "Scores by policy area" in html
    for view in views_of(framework):
        assert f'data-framework="{view.id}"' in html
    assert 'data-section="SC-28(1)"' in html and 'data-section="transit"' in html

    packet = render(result, ReportFormat.PACKET)
    assert framework.title in packet


def test_the_audit_packet_finds_its_evidence_in_every_view() -> None:
    """Regrouped findings must not make the packet say the identity checks did not run."""

    def part(text: str, start: str, end: str) -> str:
        return text[text.index(start) : text.index(end)]

    packets = [render(scan(name), ReportFormat.PACKET) for name in (DEFAULT_FRAMEWORK, CONTROLS)]
    identity = [part(p, "## 6. Identity", "## 7.") for p in packets]
    assert identity[0] == identity[1] and "were not run" not in identity[1]
    cmk = [part(p, ") scored **", "\n\n") for p in packets]  # the compensating control's score
    assert cmk[0] == cmk[1]


def test_step_selects_a_section_at_any_depth() -> None:
    result = scan(CONTROLS, steps=["SC-28(1)"])
    chosen = {f.requirement_id for f in result.findings}
    placed = {r.id for r in load_framework(CONTROLS).requirements if r.section == "SC-28(1)"}
    assert chosen and chosen <= placed
    area = scan(CONTROLS, steps=["5.10"])
    assert {f.step for f in area.findings} == {"5.10"}
    with pytest.raises(UsageError, match="unknown policy area '2'.*choose from 5.4"):
        scan(CONTROLS, steps=["2"])


def test_profiles_are_the_framework_files() -> None:
    framework = load_framework()
    assert framework.default_profile("usgov") == "government"
    assert framework.default_profile("commercial") == "commercial"
    assert ScanConfig(cloud="usgov").effective_profile() == "government"
    government = scan(DEFAULT_FRAMEWORK, profile="government")
    assert government.meta.profile == "government"
    cmk = next(f for f in government.findings if f.requirement_id == "cmk.storage_account")
    assert cmk.severity.value == "medium"
    with pytest.raises(UsageError, match="has the profiles commercial, government"):
        scan(DEFAULT_FRAMEWORK, profile="federal")


# --- a new framework is one file ----------------------------------------------------------

NEW_VIEW = """\
id: agency-view
title: Agency review board view
short_title: ARB
standard: Agency review board checklist
reference: "the agency's own checklist"
section_label: chapter
requirements_from: cjis-6.0
sections:
  - id: keys
    title: Keys and encryption
    sections:
      - id: keys.at-rest
        title: At rest
        controls: [SC-12, SC-28, SC-28(1)]
        sections:
          - {id: keys.at-rest.hsm, title: HSM-backed keys, requirements: [cmk.key_hsm_backed]}
  - id: everything-else
    title: Everything else
    controls: [SA-9(5), IA-2(1), IA-2(8), AU-2, AU-11, AU-6, AC-19, PL-2, PS-3, SC-8, AC-3]
"""


def test_a_new_framework_is_one_yaml_file_and_renders_everywhere(tmp_path: Path) -> None:
    path = tmp_path / "agency-view.yaml"
    path.write_text(NEW_VIEW, encoding="utf-8")
    framework = load_framework(str(path))
    hsm = framework.requirement("cmk.key_hsm_backed")
    assert hsm is not None and framework.section_path(hsm.section) == (
        "keys",
        "keys.at-rest",
        "keys.at-rest.hsm",
    )
    out = tmp_path / "reports"
    run = cli(
        "scan",
        "--demo",
        "-q",
        "--framework",
        str(path),
        "--format",
        "console,json,jsonl,csv,junit,ocsf,html,packet",
        "--output",
        str(out),
    )
    assert run.exit_code == 1, run.output  # the demo tenant fails checks
    assert "Scores by chapter" in run.output and "Chapter keys" in run.output
    document = json.loads((out / "cjis-scan-report.json").read_text())
    depths = {s["id"]: s["depth"] for s in document["scores"]["sections"]}
    assert depths["keys.at-rest.hsm"] == 2
    assert {f["step"] for f in document["findings"]} == {"keys", "everything-else"}
    ours = {f["fingerprint"] for f in document["findings"]}
    assert ours == {f.fingerprint for f in scan(DEFAULT_FRAMEWORK).findings}
    assert "ARB chapter keys: Keys and encryption" in (out / "cjis-scan-junit.xml").read_text()
    catalogue = cli("checks", "--framework", str(path), "--format", "json")
    assert catalogue.exit_code == 0, catalogue.output
    assert json.loads(catalogue.output)["framework"]["section_label"] == "chapter"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.replace("controls: [SA-9(5), IA-2(1)", "controls: [IA-2(1)"),
            "placed in no section.*residency.resource_location",
        ),
        (
            lambda t: t.replace(
                "requirements: [cmk.key_hsm_backed]",
                "requirements: [cmk.key_hsm_backed, cmk.no_such]",
            ),
            "has no requirement cmk.no_such",
        ),
        (
            lambda t: t.replace(
                "    controls: [SA-9(5),",
                "    requirements: [cmk.key_hsm_backed]\n    controls: [SA-9(5),",
            ),
            "cmk.key_hsm_backed is placed in keys.at-rest.hsm and everything-else",
        ),
        (
            lambda t: t.replace("requirements_from: cjis-6.0", "requirements_from: no-such"),
            "no framework 'no-such'.*built-in: cjis-6.0, cjis-6.0-controls",
        ),
    ],
)
def test_a_view_that_would_lose_or_invent_a_requirement_is_refused(
    tmp_path: Path, edit: object, message: str
) -> None:
    path = tmp_path / "bad-view.yaml"
    path.write_text(edit(NEW_VIEW), encoding="utf-8")  # type: ignore[operator]
    with pytest.raises(InputFileError, match=message):
        load_framework(str(path))


def test_an_unknown_framework_is_a_usage_error_listing_the_built_in_ones() -> None:
    run = cli("scan", "--demo", "-q", "--framework", "cjis-9")
    assert run.exit_code == 2
    assert "no framework 'cjis-9'" in run.output and CONTROLS in run.output
