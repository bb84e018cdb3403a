"""The audit packet: the scan as evidence for the agency's System Security Plan.

`cjis-scan-audit-packet.md` (Markdown, to paste into or attach to the SSP) and
`cjis-scan-audit-packet.html` (the same document rendered, self-contained). Sections,
each dated with the scan:

1. the CJIS 6.0 path in use (Azure Commercial with CMK as the compensating control, or
   Azure Government), from the scan's profile;
2. the CMK architecture table, from the evidence of `tenant_cmk_architecture_evidence`;
3. the key administrators to be screened, from `key_store_administrators`;
4. residency evidence: the Allowed locations assignments and their regions;
5. logging evidence: workspaces, retention, Microsoft Sentinel and its rules, Activity
   Log and Key Vault audit routing;
6. identity evidence: the step-4 findings, or a statement that they were not run;
7. the open findings (fail and unknown) by step, most severe first;
8. the gaps: scopes that could not be read.

Like every reporter it reads findings only: the tables come from the evidence the
checks recorded, so the packet shows exactly what was judged. Evidence is read
defensively (a missing or odd field shows as "—"), since inventories saved by older
versions or third-party checks may differ. The Markdown escapes everything taken from
the scan; the HTML is rendered from that Markdown with raw HTML disabled, inside an
autoescaped template with a Content-Security-Policy.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, TextIO

from markdown_it import MarkdownIt
from markupsafe import Markup

from scanner.attestations import attestation_rows
from scanner.findings import Finding, Severity, Status
from scanner.report import ScanResult
from scanner.reporters.base import ExtraFile, FileReporter, ReportFormat, as_utc, scored_steps
from scanner.reporters.console import percent, short_resource
from scanner.reporters.templating import (
    CJIS_PATHS,
    CLOUD_NAMES,
    CLOUD_PROFILES,
    asset,
    csp_source,
    environment,
)

FILENAME = "cjis-scan-audit-packet.md"
HTML_FILENAME = "cjis-scan-audit-packet.html"
MD_TEMPLATE = "packet.md.j2"
HTML_TEMPLATE = "packet.html.j2"

CMK_CHECK = "tenant_cmk_architecture_evidence"
ADMIN_CHECK = "key_store_administrators"
RESIDENCY_CHECKS = {
    "subscription_allowed_locations_policy": "Allowed locations",
    "subscription_allowed_rg_locations_policy": "Allowed locations for resource groups",
}
LOCATION_CHECKS = ("resource_location_us", "resource_group_location_us",
                   "storage_account_geo_replica_us")
RETENTION_CHECK = "workspace_retention_365_days"
SENTINEL_CHECK = "workspace_sentinel_onboarded"
RULES_CHECK = "workspace_sentinel_analytics_rules"
ACTIVITY_CHECK = "subscription_activity_log_to_workspace"
VAULT_AUDIT_CHECK = "key_vault_audit_to_workspace"
DIAGNOSTICS_CHECK = "resource_diagnostic_logs_to_workspace"
DIAGNOSTICS_POLICY_CHECK = "subscription_diagnostic_settings_policy"
IDENTITY_STEP = "4"
MAX_EVIDENCE_CHARS = 4000
"""Identity evidence shown per finding; the JSON report has all of it."""

STATUS_WORDS = {"pass": "pass", "fail": "FAIL", "unknown": "unknown", "manual": "manual",
                "not_applicable": "n/a", "waived": "waived"}
STORE_TYPES = {
    "microsoft.storage/storageaccounts": "storage account",
    "microsoft.compute/diskencryptionsets": "disk encryption set",
    "microsoft.sql/servers": "SQL server",
    "microsoft.documentdb/databaseaccounts": "Cosmos DB account",
    "microsoft.compute/disks": "managed disk",
    "microsoft.compute/snapshots": "snapshot",
}
_MG_PREFIX = "/providers/microsoft.management/managementgroups/"


# --- Markdown escaping -----------------------------------------------------------------------

# Inline Markdown syntax a value could trigger. Block syntax (#, -, 1.) only acts at the
# start of a line, and every value is written after a table pipe, a list marker or a label.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~])")


def md_text(value: object) -> str:
    """`value` as literal Markdown text on one line (every inline marker backslashed)."""
    if value is None:
        return "—"
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def md_code(value: object, table: bool = True) -> str:
    """`value` as a code span; `|` is escaped for table cells (GFM reads `\\|` there)."""
    if value is None or value == "":
        return "—"
    text = " ".join(str(value).split())
    if table:
        text = text.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_fence(text: str, info: str = "") -> str:
    """A fenced code block holding `text` verbatim (the fence outruns any backticks in it)."""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


# --- reading evidence ------------------------------------------------------------------------

def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _yes_no(value: object) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return "unknown"


def _name(resource_id: object) -> str:
    """The last segment of an ARM id (a resource's name)."""
    if not isinstance(resource_id, str) or not resource_id:
        return "—"
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def _where(scope: object, names: Mapping[str, str]) -> str:
    """A scope as a person names it: management group, subscription, group or resource."""
    if not isinstance(scope, str) or not scope:
        return "—"
    if scope == "/":
        return "root management group (/)"
    if scope.lower().startswith(_MG_PREFIX):
        return f"management group {scope[len(_MG_PREFIX):]}"
    return short_resource(scope, names)


def _key_parts(key_uri: object) -> tuple[str, str | None]:
    """(name, version or None) of a Key Vault or Managed HSM key URI."""
    if not isinstance(key_uri, str) or "/keys/" not in key_uri:
        return (str(key_uri) if key_uri else "—"), None
    name, _, version = key_uri.split("/keys/", 1)[1].strip("/").partition("/")
    return name, version or None


def _by_check(result: ScanResult, *check_ids: str) -> Iterator[Finding]:
    """The findings of these checks, in report order (the store skips the other checks)."""
    return result.findings.select(checks=check_ids)


def _control_key(control: str) -> tuple[Any, ...]:
    # AU-2 before AU-11: the numbers compare as numbers.
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", control))


class _Tally:
    """What a section says of findings it reads: whether any, their controls and counts.

    Sections stream the store through a tally and keep only the rows they print, so a
    check judging every resource (50,000 findings) costs a few counters, not a list.
    """

    def __init__(self) -> None:
        self.statuses: Counter[str] = Counter()
        self._controls: set[str] = set()
        self.title: str | None = None
        """The title of the first finding counted."""

    def add(self, finding: Finding) -> Finding:
        """Count `finding`; return it, to use in the same expression."""
        self.statuses[finding.status.value] += 1
        self._controls.update(finding.controls)
        if self.title is None:
            self.title = finding.title
        return finding

    @property
    def ran(self) -> bool:
        """True once a finding was counted."""
        return bool(self.statuses)

    @property
    def controls(self) -> list[str]:
        """Every control of the findings counted, in control order."""
        return sorted(self._controls, key=_control_key)

    def counts(self) -> str:
        """`3 pass, 1 FAIL`: the counts by status, or `none`."""
        return ", ".join(f"{self.statuses[s.value]} {STATUS_WORDS[s.value]}" for s in Status
                         if self.statuses[s.value]) or "none"


# --- sections --------------------------------------------------------------------------------

def _cmk_section(result: ScanResult, names: Mapping[str, str]) -> dict[str, Any]:
    tally = _Tally()
    found = [tally.add(f) for f in _by_check(result, CMK_CHECK)]  # one: a tenant check
    section: dict[str, Any] = {"ran": tally.ran, "controls": tally.controls}
    if not found:
        return section
    finding = found[0]
    evidence = finding.evidence
    rows: list[dict[str, Any]] = []
    ids: dict[str, set[str]] = {}
    for raw in _list(evidence.get("stores")):
        row = _dict(raw)
        store_type = str(row.get("store_type") or "")
        kind = STORE_TYPES.get(store_type.lower(), store_type or "unknown")
        disks = _list(row.get("disks"))
        if disks:
            kind += f" ({len(disks)} disk{'s' if len(disks) != 1 else ''})"
        key_store = row.get("key_store")
        key, version = _key_parts(row.get("key_uri"))
        follows = _yes_no(row.get("follows_latest_key_version"))
        if version:
            shown = f"{version[:8]}…" if len(version) > 8 else version
            follows += f" (now version {shown})" if follows == "yes" \
                else f" (pinned to version {shown})"
        rows.append({
            "store": _name(row.get("store")),
            "store_kind": kind,
            "key": key,
            "key_store": _name(key_store) if key_store else (row.get("key_uri") or "—"),
            "key_store_kind": row.get("key_store_kind") or "unknown",
            "kty": row.get("kty") or "unknown",
            "fips": row.get("fips_level") or "unknown",
            "rotation": row.get("rotation") or "unknown",
            "follows_latest": follows,
            "soft_delete": _yes_no(row.get("soft_delete")),
            "purge_protection": _yes_no(row.get("purge_protection")),
        })
        for resource_id in (row.get("store"), key_store):
            if isinstance(resource_id, str) and resource_id:
                ids[_name(resource_id)] = ids.get(_name(resource_id), set()) | {resource_id}
    section.update(
        status=finding.status.value,
        reason=finding.reason,
        rows=rows,
        key_uris=sorted({str(_dict(r).get("key_uri")) for r in _list(evidence.get("stores"))
                         if _dict(r).get("key_uri")}),
        resource_ids=sorted((name, rid) for name, rids in ids.items() for rid in sorted(rids)),
        without_cmk=[(short_resource(str(r), names), str(r))
                     for r in _list(evidence.get("stores_without_cmk"))],
        incomplete=[str(g) for g in _list(evidence.get("incomplete"))],
    )
    return section


def _admin_section(result: ScanResult, names: Mapping[str, str]) -> dict[str, Any]:
    tally = _Tally()
    stores: list[dict[str, Any]] = []
    unread: list[dict[str, Any]] = []
    principals: dict[str, dict[str, Any]] = {}
    for finding in map(tally.add, _by_check(result, ADMIN_CHECK)):
        if finding.status is Status.NOT_APPLICABLE:
            continue
        evidence = finding.evidence
        if finding.status is Status.UNKNOWN or "permission_model" not in evidence:
            unread.append({"store": _name(finding.resource_id), "id": finding.resource_id,
                           "reason": finding.reason})
            continue
        store = _name(finding.resource_id)
        grants = []
        for raw in _list(evidence.get("role_assignments")):
            role = _dict(raw)
            grants.append({"principal": role.get("principal_id"),
                           "type": role.get("principal_type") or "unknown",
                           "access": f"role: {role.get('role') or 'unknown'}",
                           "at": _where(role.get("scope"), names)})
        for raw in _list(evidence.get("access_policies")):
            policy = _dict(raw)
            keys = ", ".join(str(p) for p in _list(policy.get("key_permissions")))
            grants.append({"principal": policy.get("object_id"), "type": "unknown",
                           "access": f"access policy: keys {keys}", "at": "vault access policy"})
        for grant in grants:
            entry = principals.setdefault(str(grant["principal"]), {
                "principal": grant["principal"], "types": set(), "stores": set(),
                "access": set()})
            if grant["type"] != "unknown":
                entry["types"].add(grant["type"])
            entry["stores"].add(store)
            entry["access"].add(str(grant["access"]).split(": ", 1)[-1])
        stores.append({
            "store": store,
            "id": finding.resource_id,
            "model": evidence.get("permission_model") or "unknown",
            "cmk_users": [_name(u) for u in _list(evidence.get("cmk_users"))],
            "grants": grants,
            "managed_hsm": "managedhsms" in finding.resource_id.lower(),
        })
    screening = [{"principal": p["principal"],
                  "type": ", ".join(sorted(p["types"])) or "unknown",
                  "stores": ", ".join(sorted(p["stores"])),
                  "access": "; ".join(sorted(p["access"]))}
                 for p in sorted(principals.values(), key=lambda p: str(p["principal"]))]
    return {"ran": tally.ran, "controls": tally.controls, "stores": stores,
            "unread": unread, "screening": screening,
            "not_applicable": tally.statuses[Status.NOT_APPLICABLE.value]}


def _regions(candidate: Mapping[str, Any]) -> str:
    regions: list[str] = []
    for raw in _list(candidate.get("applied_parameters")):
        for value in _dict(raw).values():
            for region in _list(value):
                if str(region) not in regions:
                    regions.append(str(region))
    return ", ".join(regions) or "—"


def _residency_section(result: ScanResult, names: Mapping[str, str]) -> dict[str, Any]:
    tally = _Tally()
    rows = []
    for finding in map(tally.add, _by_check(result, *RESIDENCY_CHECKS)):
        subscription = names.get((finding.subscription_id or "").lower()) \
            or finding.subscription_id or _where(finding.resource_id, names)
        base = {"subscription": subscription, "policy": RESIDENCY_CHECKS[finding.check_id],
                "verdict": STATUS_WORDS[finding.status.value]}
        candidates = [_dict(c) for c in _list(finding.evidence.get("candidates"))]
        if not candidates:
            rows.append({**base, "assignment": "none found", "at": "—", "enforcement": "—",
                         "regions": "—", "notes": finding.reason})
            continue
        for candidate in candidates:
            why_not = "; ".join(str(w) for w in _list(candidate.get("why_not")))
            rows.append({
                **base,
                "assignment": candidate.get("display_name") or _name(candidate.get("assignment")),
                "at": _where(candidate.get("scope"), names),
                "enforcement": candidate.get("enforcement_mode") or "—",
                "regions": _regions(candidate),
                "notes": why_not or ("in force" if candidate.get("counts") else ""),
            })
    located = {check_id: _Tally() for check_id in LOCATION_CHECKS}
    for finding in _by_check(result, *LOCATION_CHECKS):
        located[finding.check_id].add(tally.add(finding))
    locations = [{"check": check_id, "title": checked.title, "counts": checked.counts()}
                 for check_id, checked in located.items() if checked.ran]
    return {"ran": tally.ran, "controls": tally.controls, "rows": rows,
            "locations": locations}


def _destinations(evidence: Mapping[str, Any]) -> str:
    out = []
    for raw in _list(evidence.get("settings")):
        setting = _dict(raw)
        targets = [f"workspace {_name(setting['workspace_id'])}"
                   if setting.get("workspace_id") else "",
                   f"storage {_name(setting['storage_account_id'])}"
                   if setting.get("storage_account_id") else "",
                   "event hub" if setting.get("event_hub_authorization_rule_id") else ""]
        logs = ", ".join(str(c) for c in _list(setting.get("enabled_logs"))) or "no logs"
        out.append(f"{setting.get('name') or '?'} → {', '.join(t for t in targets if t) or '—'}"
                   f" ({logs})")
    return "; ".join(out) or "no diagnostic setting"


def _logging_section(result: ScanResult, names: Mapping[str, str]) -> dict[str, Any]:
    workspaces: dict[str, dict[str, Any]] = {}
    used = _Tally()

    def workspace(finding: Finding) -> dict[str, Any]:
        used.add(finding)
        return workspaces.setdefault(finding.resource_id.lower(), {
            "name": _name(finding.resource_id),
            "subscription": names.get((finding.subscription_id or "").lower(),
                                      finding.subscription_id or "—"),
            "retention": "—", "retention_verdict": "—", "sentinel": "—",
            "rules": "—", "rules_verdict": "—"})

    for finding in _by_check(result, RETENTION_CHECK):
        row = workspace(finding)
        days = finding.evidence.get("retention_in_days")
        row["retention"] = f"{days} days" if days is not None else "unknown"
        row["retention_verdict"] = STATUS_WORDS[finding.status.value]
    for finding in _by_check(result, SENTINEL_CHECK):
        row = workspace(finding)
        onboarded = finding.evidence.get("onboarded")
        row["sentinel"] = _yes_no(onboarded) if finding.status is not Status.UNKNOWN \
            else "unknown"
    for finding in _by_check(result, RULES_CHECK):
        row = workspace(finding)
        enabled = [str(r) for r in _list(finding.evidence.get("enabled_scheduled_or_nrt"))]
        total = len(_list(finding.evidence.get("rules")))
        row["rules"] = (f"{len(enabled)} of {total}: " + ", ".join(enabled)) if enabled \
            else f"none enabled ({total} rule{'s' if total != 1 else ''} seen)"
        row["rules_verdict"] = STATUS_WORDS[finding.status.value]

    def routed(check_id: str) -> list[dict[str, str]]:
        rows = []
        for finding in map(used.add, _by_check(result, check_id)):
            rows.append({"target": short_resource(finding.resource_id, names),
                         "verdict": STATUS_WORDS[finding.status.value],
                         "destinations": _destinations(finding.evidence)
                         if finding.status is not Status.UNKNOWN else finding.reason})
        return rows

    activity = routed(ACTIVITY_CHECK)
    vaults = routed(VAULT_AUDIT_CHECK)
    policies = []
    for finding in map(used.add, _by_check(result, DIAGNOSTICS_POLICY_CHECK)):
        counting = [_dict(c).get("display_name") or _name(_dict(c).get("assignment"))
                    for c in _list(finding.evidence.get("candidates"))
                    if _dict(c).get("counts")]
        policies.append({"target": short_resource(finding.resource_id, names),
                         "verdict": STATUS_WORDS[finding.status.value],
                         "assignments": ", ".join(str(c) for c in counting) or "none"})
    diagnostics = _Tally()
    for finding in _by_check(result, DIAGNOSTICS_CHECK):
        diagnostics.add(used.add(finding))
    return {"ran": used.ran, "controls": used.controls,
            "workspaces": sorted(workspaces.values(), key=lambda w: (w["subscription"],
                                                                      w["name"].lower())),
            "activity": activity, "vaults": vaults, "policies": policies,
            "diagnostics": diagnostics.counts() if diagnostics.ran else None}


def _identity_section(result: ScanResult) -> dict[str, Any]:
    tally = _Tally()
    rows = []
    for finding in map(tally.add, result.findings.select(steps=(IDENTITY_STEP,))):
        evidence = json.dumps(finding.evidence, indent=2, sort_keys=True, default=str)
        if len(evidence) > MAX_EVIDENCE_CHARS:
            evidence = evidence[:MAX_EVIDENCE_CHARS] + "\n… (cut; the JSON report has all of it)"
        rows.append({"title": finding.title, "check": finding.check_id,
                     "resource": finding.resource_id,
                     "verdict": STATUS_WORDS[finding.status.value],
                     "severity": finding.severity.value, "reason": finding.reason,
                     # An unknown's evidence is the collection error its reason quotes.
                     "evidence": md_fence(evidence, "json")
                     if finding.evidence and finding.status is not Status.UNKNOWN else None})
    return {"ran": tally.ran, "controls": tally.controls, "rows": rows,
            "step_title": result.framework.step_title(IDENTITY_STEP)}


_ATTENTION = (Status.FAIL, Status.UNKNOWN)


def _open_rows(result: ScanResult, step: str) -> Iterator[dict[str, str]]:
    """The open findings of `step`: most severe first, fail before unknown, then report
    order. One filtered read of the store per severity and status, so the rows are
    written as they are read, never all held."""
    for severity in Severity:
        for status in _ATTENTION:
            for f in result.findings.select(steps=(step,), severities=(severity,),
                                            statuses=(status,)):
                yield {"severity": f.severity.value, "verdict": STATUS_WORDS[f.status.value],
                       "check": f.check_id, "title": f.title, "resource": f.resource_id,
                       "reason": f.reason}


def _open_section(result: ScanResult) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    for step in scored_steps(result):
        score = result.scoreboard.steps[step]
        fail, unknown = score.counts["fail"], score.counts["unknown"]
        if not fail + unknown:
            continue
        steps.append({
            "id": step, "title": result.framework.step_title(step),
            "fail": fail, "unknown": unknown,
            "by_severity": ", ".join(f"{score.failing[s.value]} {s.value}" for s in Severity
                                     if score.failing.get(s.value)),
            "rows": _open_rows(result, step),
        })
    return {"steps": steps, "total": sum(s["fail"] + s["unknown"] for s in steps)}


def build_packet(result: ScanResult) -> dict[str, Any]:
    """The packet's content, read from the findings: what both renderings show."""
    meta = result.meta
    names = {s["subscription_id"].lower(): s.get("display_name") or s["subscription_id"]
             for s in meta.subscriptions if "subscription_id" in s}
    started: datetime = as_utc(meta.started_at)
    board = result.scoreboard
    profile = meta.profile if meta.profile in CJIS_PATHS else "commercial"
    return {
        "meta": meta,
        "scan_date": started.strftime("%Y-%m-%d"),
        "scan_time": started.strftime("%Y-%m-%d %H:%M UTC"),
        "cloud_name": CLOUD_NAMES.get(meta.cloud, meta.cloud),
        "path": CJIS_PATHS[profile],
        "government": profile == "government",
        "profile_known": meta.profile in CJIS_PATHS,
        "mismatch": CLOUD_PROFILES.get(meta.cloud, meta.profile) != meta.profile,
        "cmk_step": {"counts": board.steps["2"].counts, "score": percent(
            board.steps["2"].counts)} if "2" in board.steps else None,
        "scores": [{"id": s, "title": result.framework.step_title(s),
                    "counts": board.steps[s].counts, "score": percent(board.steps[s].counts)}
                   for s in scored_steps(result)],
        "overall": {"counts": board.overall.counts, "score": percent(board.overall.counts)},
        "subscriptions": [(s.get("display_name") or s.get("subscription_id", "?"),
                           s.get("subscription_id", "?")) for s in meta.subscriptions],
        "cmk": _cmk_section(result, names),
        "admins": _admin_section(result, names),
        "residency": _residency_section(result, names),
        "logging": _logging_section(result, names),
        "identity": _identity_section(result),
        "open": _open_section(result),
        "errors": result.errors,
        # Continuous monitoring: attestations and evidence integrity (scanner.attestations).
        "attestations": attestation_rows(result),
        "saved_inventory": meta.source.startswith("inventory:"),
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


def markdown_to_html(markdown: str) -> str:
    """CommonMark + tables to HTML; raw HTML in the source is shown as text, not kept.

    Column alignment becomes a class (`align-right`) instead of markdown-it's inline
    `style` attribute, which the page's Content-Security-Policy would refuse.
    """
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    tokens = parser.parse(markdown)
    for token in tokens:
        style = token.attrGet("style") if token.type in ("th_open", "td_open") else None
        if isinstance(style, str):
            del token.attrs["style"]
            token.attrSet("class", "align-" + style.removeprefix("text-align:").strip())
    return str(parser.renderer.render(tokens, parser.options, {}))


LINES_PER_PART = 500
"""Lines of Markdown `markdown_html_parts` converts at a time, at least (up to a cut)."""
_TABLE_DELIMITER = re.compile(r"^\|(?: *:?-+:? *\|)+ *$")
# The end of the HTML of a part cut inside a table or a list, and the start of the HTML
# of the part after the cut: both dropped, the two parts join into one element.
_CUT_HTML = {"table": ("</tbody>\n</table>\n", "<tbody>\n"), "list": ("</ul>\n", "<ul>\n")}


def _lines(pieces: Iterable[str]) -> Iterator[str]:
    """The lines (each with its newline) of a text given in pieces."""
    rest = ""
    for piece in pieces:
        *lines, rest = (rest + piece).split("\n")
        for line in lines:
            yield line + "\n"
    if rest:
        yield rest


def markdown_html_parts(lines: Iterable[str],
                        lines_per_part: int = LINES_PER_PART) -> Iterator[str]:
    """`markdown_to_html` of the text of `lines`, a part at a time: the same bytes, joined.

    markdown-it holds the tokens of everything it parses, and a packet lists every open
    finding, CMK store and key administrator: hundreds of MB of tokens for a large
    tenant in one go. So the text is cut, once a part has `lines_per_part` lines, where
    the block structure is plain: before a heading that follows a blank line; between
    two rows of a table (the part after the cut starts again with the table's header
    and delimiter rows); between two items of a bullet list written an item a line.
    Rows and such items render independently of their neighbours, so dropping the
    table's or list's closing tags before a cut and its repeated opening after it joins
    the parts into the HTML of the whole text. Fenced code is passed over.
    """
    part: list[str] = []
    header: list[str] = []  # the header and delimiter rows of the table being read
    opened: str | None = None  # the element the current part continues after a cut
    cut_list = False  # the list being read was cut: a loose item would change its HTML
    fence: str | None = None
    previous = ""
    for line in lines:
        bare = line.rstrip("\n")
        cut: str | None = None
        if fence is not None:
            if bare.strip().startswith(fence) and not bare.strip().strip("`"):
                fence = None
        elif bare.startswith("```"):
            fence, header = bare[: len(bare) - len(bare.lstrip("`"))], []
        elif header and bare.startswith("|"):
            if previous is not header[-1]:  # a row after a row, not the first one
                cut = "table"
        elif previous.startswith("|") and _TABLE_DELIMITER.match(bare):
            header = [previous, line]
        else:
            header = []
            blank_before = not previous.strip()
            if bare.startswith("- "):
                if previous.startswith("- "):
                    cut = "list"
                elif cut_list and blank_before:
                    raise ValueError("a list cut into parts has a blank line between items")
            elif bare and not bare[0].isspace():
                cut_list = False  # anything else at the margin ends a list
                if bare.startswith("#") and blank_before:
                    cut = "heading"
        if cut is not None and len(part) >= lines_per_part:
            closing = cut if cut in _CUT_HTML else None
            yield _html_part(part, opened, closing)
            part, opened = (list(header) if cut == "table" else []), closing
            cut_list = cut_list or cut == "list"
        part.append(line)
        previous = line
    yield _html_part(part, opened, None)


def _html_part(lines: list[str], opened: str | None, closing: str | None) -> str:
    """The HTML of one part, without what joins it to the parts before and after it."""
    html = markdown_to_html("".join(lines))
    if opened is not None:
        start = _CUT_HTML[opened][1]
        html = html[html.index(start) + len(start):]
    if closing is not None:
        end = _CUT_HTML[closing][0]
        if not html.endswith(end):
            raise ValueError(f"a part cut inside a {closing} does not end with it")
        html = html[: -len(end)]
    return html


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
