"""The audit packet: the scan as evidence for the agency's System Security Plan.

`cjis-scan-audit-packet.md` (Markdown, to paste into or attach to the SSP) and
`cjis-scan-audit-packet.html` (the same document rendered, self-contained). Sections,
each dated with the scan:

1. the CJIS 6.0 path in use (Azure Commercial with CMK as the compensating control, or
   Azure Government), from the scan's profile;
2. the CMK architecture table, from the CMK architecture requirement's evidence;
3. the key administrators to be screened;
4. residency evidence: the Allowed locations assignments and their regions;
5. logging evidence: workspaces, retention, Microsoft Sentinel and its rules, Activity
   Log and Key Vault audit routing;
6. identity evidence: the identity requirements' findings, or a statement that they were
   not run;
7. the open findings (fail and unknown) by step, most severe first;
8. the gaps: scopes that could not be read;
9. the exceptions in force: every waiver and Azure Policy exemption applied (with the
   findings it covers), those expired and those covering nothing;
10. the manual attestation checklist, with sign-off fields;
11. what this scan does not assess: control families, skipped requirements, resource types.

The header records the boundary (subscriptions, groups, tags, steps, skipped checks), when
the evidence was collected, and the outcome (fail_on, verdict, exit code).

Which findings feed which section is declared per requirement in the framework file
(`packet: {section, part, evidence}`): no check id is named in code. Modules:
`evidence` (reading evidence, finding a section's requirements), `sections` (the
evidence sections), `assessor` (boundary, exceptions, attestation, not assessed),
`fips` (a key's FIPS 140 level), `markdown` (escaping, streamed HTML).

Like every reporter it reads findings only: the tables come from the evidence the
checks recorded, so the packet shows exactly what was judged. Evidence is read
defensively (a missing or odd field shows as "—"), since inventories saved by older
versions or third-party checks may differ. The Markdown escapes everything taken from
the scan; the HTML is rendered from that Markdown with raw HTML disabled, inside an
autoescaped template with a Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, TextIO

from markupsafe import Markup

from scanner.attestations import attestation_rows
from scanner.report import ScanResult
from scanner.reporters.base import ExtraFile, FileReporter, ReportFormat, as_utc, scored_steps
from scanner.reporters.console import percent, step_score
from scanner.reporters.packet.assessor import (
    attestation_section,
    boundary_section,
    exceptions_section,
    not_assessed_section,
)
from scanner.reporters.packet.evidence import declared
from scanner.reporters.packet.markdown import (
    _lines,
    markdown_html_parts,
    markdown_to_html,
    md_code,
    md_fence,
    md_text,
)
from scanner.reporters.packet.sections import (
    admin_section,
    cmk_section,
    identity_section,
    logging_section,
    open_section,
    residency_section,
)
from scanner.reporters.templating import (
    CLOUD_NAMES,
    asset,
    csp_source,
    environment,
)

__all__ = ["FILENAME", "HTML_FILENAME", "REPORTER", "build_packet", "markdown_html_parts",
           "markdown_to_html", "md_code", "md_fence", "md_text", "render_markdown",
           "write_html", "write_markdown"]

FILENAME = "cjis-scan-audit-packet.md"
HTML_FILENAME = "cjis-scan-audit-packet.html"
MD_TEMPLATE = "packet.md.j2"
HTML_TEMPLATE = "packet.html.j2"


def _compensating_control(result: ScanResult) -> dict[str, Any] | None:
    """Counts and score of the steps whose requirements are the compensating control."""
    steps = list(dict.fromkeys(r.step for r in declared(result, "compensating_control")))
    board = result.scoreboard
    counts: dict[str, int] = {}
    for step in steps:
        for status, n in board.steps[step].counts.items() if step in board.steps else ():
            counts[status] = counts.get(status, 0) + n
    if not counts:
        return None
    titles = ", ".join(f"step {s} ({result.framework.step_title(s)})" for s in steps)
    return {"counts": counts, "score": percent(counts), "steps": titles}


def build_packet(result: ScanResult) -> dict[str, Any]:
    """The packet's content, read from the findings: what both renderings show."""
    meta = result.meta
    names = {s["subscription_id"].lower(): s.get("display_name") or s["subscription_id"]
             for s in meta.subscriptions if "subscription_id" in s}
    started: datetime = as_utc(meta.started_at)
    board = result.scoreboard
    framework = result.framework
    known = framework.profile(meta.profile)
    profile = known or framework.profile(framework.default_profile("commercial")) \
        or framework.profiles[0]
    cmk = cmk_section(result, names)
    return {
        "meta": meta,
        "scan_date": started.strftime("%Y-%m-%d"),
        "scan_time": started.strftime("%Y-%m-%d %H:%M UTC"),
        "cloud_name": CLOUD_NAMES.get(meta.cloud, meta.cloud),
        "path": profile.title,
        "provider_screened": profile.provider_screened,
        "profile_known": known is not None,
        "mismatch": framework.default_profile(meta.cloud) != meta.profile,
        "cmk_step": _compensating_control(result),
        "scores": [{"id": s, "title": result.framework.step_title(s),
                    "counts": board.steps[s].counts,
                    "score": step_score(board.steps[s].counts)}
                   for s in scored_steps(result)],
        "overall": {"counts": board.overall.counts, "score": percent(board.overall.counts)},
        "subscriptions": [(s.get("display_name") or s.get("subscription_id", "?"),
                           s.get("subscription_id", "?")) for s in meta.subscriptions],
        "boundary": boundary_section(result),
        "cmk": cmk,
        "admins": admin_section(result, names),
        "residency": residency_section(result, names),
        "logging": logging_section(result, names),
        "identity": identity_section(result),
        "open": open_section(result),
        "errors": result.errors,
        # Continuous monitoring: attestations and evidence integrity (scanner.attestations).
        "attestations": attestation_rows(result),
        "saved_inventory": meta.source.startswith("inventory:"),
        "exceptions": exceptions_section(result, names),
        "attestation": attestation_section(result, cmk, names),
        "not_assessed": not_assessed_section(result),
    }


def markdown_pieces(result: ScanResult) -> Iterator[str]:
    """The packet as Markdown (CommonMark with GFM tables), in pieces as it is rendered."""
    template = environment().get_template(MD_TEMPLATE)
    return template.generate(**build_packet(result), text=md_text, code=md_code)


def render_markdown(result: ScanResult) -> str:
    """The packet as Markdown, whole (what the HTML rendering parses)."""
    return "".join(markdown_pieces(result))


def write_markdown(result: ScanResult, stream: TextIO) -> None:
    """Write the Markdown packet of `result` to `stream`, as it is rendered."""
    for piece in markdown_pieces(result):
        stream.write(piece)


def write_html(result: ScanResult, stream: TextIO) -> None:
    """Write the packet rendered as one self-contained HTML page to `stream`, as it is
    rendered (see `markdown_html_parts`)."""
    css = asset("packet.css")
    meta = result.meta
    template = environment().get_template(HTML_TEMPLATE)
    # markdown-it escapes every text it emits and, with html=False, raw HTML too.
    body = (Markup(part) for part in markdown_html_parts(_lines(markdown_pieces(result))))
    for piece in template.generate(
        meta=meta,
        scan_time=as_utc(meta.started_at).strftime("%Y-%m-%d %H:%M UTC"),
        css=Markup(css),
        csp=f"default-src 'none'; style-src {csp_source(css)}; img-src data:; "
            "base-uri 'none'; form-action 'none'",
        body=body,
    ):
        stream.write(piece)


REPORTER = FileReporter(
    format=ReportFormat.PACKET,
    filename=FILENAME,
    write=write_markdown,
    extra_files=(ExtraFile(filename=HTML_FILENAME, write=write_html),),
)
