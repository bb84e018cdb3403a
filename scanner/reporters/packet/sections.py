"""The packet's evidence sections, each read from the findings of the requirements the
framework file declares for it (`packet: {section, part}`): the CMK architecture, the key
administrators, residency, logging, identity, and the open findings."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from scanner.findings import Finding, Severity, Status
from scanner.report import ScanResult
from scanner.reporters.base import scored_steps
from scanner.reporters.console import short_resource
from scanner.reporters.packet.evidence import (
    STATUS_WORDS,
    STORE_TYPES,
    Tally,
    as_dict,
    as_list,
    declared,
    findings_of,
    key_parts,
    label_of,
    name_of,
    where,
    yes_no,
)
from scanner.reporters.packet.fips import fips_level, needs_platform
from scanner.reporters.packet.markdown import md_fence

MAX_EVIDENCE_CHARS = 4000
"""Identity evidence shown per finding; the JSON report has all of it."""


def cmk_section(result: ScanResult, names: Mapping[str, str]) -> dict[str, Any]:
    tally = Tally()
    found = [tally.add(f) for f in findings_of(result, "cmk_architecture")]  # a tenant check
    section: dict[str, Any] = {"ran": tally.ran, "controls": tally.controls}
    if not found:
        return section
    finding = found[0]
    evidence = finding.evidence
    rows: list[dict[str, Any]] = []
    ids: dict[str, set[str]] = {}
    for raw in as_list(evidence.get("stores")):
        row = as_dict(raw)
        store_type = str(row.get("store_type") or "")
        kind = STORE_TYPES.get(store_type.lower(), store_type or "unknown")
        disks = as_list(row.get("disks"))
        if disks:
            kind += f" ({len(disks)} disk{'s' if len(disks) != 1 else ''})"
        key_store = row.get("key_store")
        key, version = key_parts(row.get("key_uri"))
        follows = yes_no(row.get("follows_latest_key_version"))
        if version:
            shown = f"{version[:8]}…" if len(version) > 8 else version
            follows += f" (now version {shown})" if follows == "yes" \
                else f" (pinned to version {shown})"
        rows.append({
            "store": name_of(row.get("store")),
            "store_kind": kind,
            "key": key,
            "key_store": name_of(key_store) if key_store else (row.get("key_uri") or "—"),
            "key_store_kind": row.get("key_store_kind") or "unknown",
            "kty": row.get("kty") or "unknown",
            "fips": fips_level(row),
            "needs_platform": needs_platform(row),
            "key_uri": row.get("key_uri"),
            "rotation": row.get("rotation") or "unknown",
            "follows_latest": follows,
            "soft_delete": yes_no(row.get("soft_delete")),
            "purge_protection": yes_no(row.get("purge_protection")),
        })
        for resource_id in (row.get("store"), key_store):
            if isinstance(resource_id, str) and resource_id:
                ids[name_of(resource_id)] = ids.get(name_of(resource_id), set()) | {resource_id}
    section.update(
        status=finding.status.value,
        reason=finding.reason,
        rows=rows,
        key_uris=sorted({str(as_dict(r).get("key_uri")) for r in as_list(evidence.get("stores"))
                         if as_dict(r).get("key_uri")}),
        resource_ids=sorted((name, rid) for name, rids in ids.items() for rid in sorted(rids)),
        without_cmk=[(short_resource(str(r), names), str(r))
                     for r in as_list(evidence.get("stores_without_cmk"))],
        incomplete=[str(g) for g in as_list(evidence.get("incomplete"))],
    )
    return section


def admin_section(result: ScanResult, names: Mapping[str, str]) -> dict[str, Any]:
    tally = Tally()
    stores: list[dict[str, Any]] = []
    unread: list[dict[str, Any]] = []
    principals: dict[str, dict[str, Any]] = {}
    for finding in map(tally.add, findings_of(result, "key_administrators")):
        if finding.status is Status.NOT_APPLICABLE:
            continue
        evidence = finding.evidence
        if finding.status is Status.UNKNOWN or "permission_model" not in evidence:
            unread.append({"store": name_of(finding.resource_id), "id": finding.resource_id,
                           "reason": finding.reason})
            continue
        store = name_of(finding.resource_id)
        grants = []
        for raw in as_list(evidence.get("role_assignments")):
            role = as_dict(raw)
            grants.append({"principal": role.get("principal_id"),
                           "type": role.get("principal_type") or "unknown",
                           "access": f"role: {role.get('role') or 'unknown'}",
                           "at": where(role.get("scope"), names)})
        for raw in as_list(evidence.get("access_policies")):
            policy = as_dict(raw)
            keys = ", ".join(str(p) for p in as_list(policy.get("key_permissions")))
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
            "cmk_users": [name_of(u) for u in as_list(evidence.get("cmk_users"))],
            "grants": grants,
            "managed_hsm": "managedhsms" in finding.resource_id.lower(),
        })
    directory = as_dict(result.meta.directory)
    named = as_dict(directory.get("principals"))
    screening = []
    for p in sorted(principals.values(), key=lambda p: str(p["principal"])):
        entry = as_dict(named.get(str(p["principal"]).lower()))
        screening.append({
            "principal": p["principal"],
            "name": principal_name(entry, directory),
            "upn": entry.get("user_principal_name") or "—",
            "type": entry.get("type") or ", ".join(sorted(p["types"])) or "unknown",
            "stores": ", ".join(sorted(p["stores"])),
            "access": "; ".join(sorted(p["access"])),
            "members": [{"name": m.get("display_name") or "unknown",
                         "upn": m.get("user_principal_name") or "—",
                         "type": m.get("type") or "unknown", "id": m.get("id")}
                        for m in as_list(entry.get("members")) if isinstance(m, dict)],
            "members_cut": bool(entry.get("members_cut"))})
    error = as_dict(directory.get("error"))
    return {"ran": tally.ran, "controls": tally.controls, "stores": stores,
            "unread": unread, "screening": screening,
            "directory_error": error or None,
            "directory_read": bool(directory.get("resolved")),
            "permission": directory.get("permission") or "Directory.Read.All",
            "not_applicable": tally.statuses[Status.NOT_APPLICABLE.value]}


def principal_name(entry: Mapping[str, Any], directory: Mapping[str, Any]) -> str:
    """A principal's display name, or why it is unknown (never the id alone, silently)."""
    if entry.get("found") is False:
        return "not found in the directory (deleted, or of another tenant)"
    if entry.get("display_name"):
        return str(entry["display_name"])
    if directory.get("error"):
        return "unknown: Microsoft Graph could not be read (see below)"
    if not directory.get("resolved"):
        return "unknown: names were not read (an inventory collected without them)"
    return "unknown: Microsoft Graph returned no name"


def _regions(candidate: Mapping[str, Any]) -> str:
    regions: list[str] = []
    for raw in as_list(candidate.get("applied_parameters")):
        for value in as_dict(raw).values():
            for region in as_list(value):
                if str(region) not in regions:
                    regions.append(str(region))
    return ", ".join(regions) or "—"


def residency_section(result: ScanResult, names: Mapping[str, str]) -> dict[str, Any]:
    tally = Tally()
    rows = []
    for finding in map(tally.add, findings_of(result, "residency", "policy")):
        subscription = names.get((finding.subscription_id or "").lower()) \
            or finding.subscription_id or where(finding.resource_id, names)
        base = {"subscription": subscription, "policy": label_of(result, finding),
                "verdict": STATUS_WORDS[finding.status.value]}
        candidates = [as_dict(c) for c in as_list(finding.evidence.get("candidates"))]
        if not candidates:
            rows.append({**base, "assignment": "none found", "at": "—", "enforcement": "—",
                         "regions": "—", "notes": finding.reason})
            continue
        for candidate in candidates:
            why_not = "; ".join(str(w) for w in as_list(candidate.get("why_not")))
            rows.append({
                **base,
                "assignment": candidate.get("display_name") or name_of(candidate.get("assignment")),
                "at": where(candidate.get("scope"), names),
                "enforcement": candidate.get("enforcement_mode") or "—",
                "regions": _regions(candidate),
                "notes": why_not or ("in force" if candidate.get("counts") else ""),
            })
    located: dict[str, Tally] = {}
    for finding in findings_of(result, "residency", "locations"):
        located.setdefault(finding.check_id, Tally()).add(tally.add(finding))
    locations = [{"check": check_id, "title": checked.title, "counts": checked.counts()}
                 for check_id, checked in located.items() if checked.ran]
    return {"ran": tally.ran, "controls": tally.controls, "rows": rows,
            "locations": locations}


def _destinations(evidence: Mapping[str, Any]) -> str:
    out = []
    for raw in as_list(evidence.get("settings")):
        setting = as_dict(raw)
        targets = [f"workspace {name_of(setting['workspace_id'])}"
                   if setting.get("workspace_id") else "",
                   f"storage {name_of(setting['storage_account_id'])}"
                   if setting.get("storage_account_id") else "",
                   "event hub" if setting.get("event_hub_authorization_rule_id") else ""]
        logs = ", ".join(str(c) for c in as_list(setting.get("enabled_logs"))) or "no logs"
        out.append(f"{setting.get('name') or '?'} → {', '.join(t for t in targets if t) or '—'}"
                   f" ({logs})")
    return "; ".join(out) or "no diagnostic setting"


def logging_section(result: ScanResult, names: Mapping[str, str]) -> dict[str, Any]:
    workspaces: dict[str, dict[str, Any]] = {}
    used = Tally()

    def workspace(finding: Finding) -> dict[str, Any]:
        used.add(finding)
        return workspaces.setdefault(finding.resource_id.lower(), {
            "name": name_of(finding.resource_id),
            "subscription": names.get((finding.subscription_id or "").lower(),
                                      finding.subscription_id or "—"),
            "retention": "—", "retention_verdict": "—", "sentinel": "—",
            "rules": "—", "rules_verdict": "—"})

    for finding in findings_of(result, "logging", "retention"):
        row = workspace(finding)
        days = finding.evidence.get("retention_in_days")
        row["retention"] = f"{days} days" if days is not None else "unknown"
        row["retention_verdict"] = STATUS_WORDS[finding.status.value]
    for finding in findings_of(result, "logging", "sentinel"):
        row = workspace(finding)
        onboarded = finding.evidence.get("onboarded")
        row["sentinel"] = yes_no(onboarded) if finding.status is not Status.UNKNOWN \
            else "unknown"
    for finding in findings_of(result, "logging", "rules"):
        row = workspace(finding)
        enabled = [str(r) for r in as_list(finding.evidence.get("enabled_scheduled_or_nrt"))]
        total = len(as_list(finding.evidence.get("rules")))
        row["rules"] = (f"{len(enabled)} of {total}: " + ", ".join(enabled)) if enabled \
            else f"none enabled ({total} rule{'s' if total != 1 else ''} seen)"
        row["rules_verdict"] = STATUS_WORDS[finding.status.value]

    def routed(part: str) -> list[dict[str, str]]:
        rows = []
        for finding in map(used.add, findings_of(result, "logging", part)):
            rows.append({"target": short_resource(finding.resource_id, names),
                         "verdict": STATUS_WORDS[finding.status.value],
                         "destinations": _destinations(finding.evidence)
                         if finding.status is not Status.UNKNOWN else finding.reason})
        return rows

    activity = routed("activity")
    vaults = routed("vault_audit")
    policies = []
    for finding in map(used.add, findings_of(result, "logging", "policy")):
        counting = [as_dict(c).get("display_name") or name_of(as_dict(c).get("assignment"))
                    for c in as_list(finding.evidence.get("candidates"))
                    if as_dict(c).get("counts")]
        policies.append({"target": short_resource(finding.resource_id, names),
                         "verdict": STATUS_WORDS[finding.status.value],
                         "assignments": ", ".join(str(c) for c in counting) or "none"})
    diagnostics = Tally()
    for finding in findings_of(result, "logging", "diagnostics"):
        diagnostics.add(used.add(finding))
    return {"ran": used.ran, "controls": used.controls,
            "workspaces": sorted(workspaces.values(), key=lambda w: (w["subscription"],
                                                                      w["name"].lower())),
            "activity": activity, "vaults": vaults, "policies": policies,
            "diagnostics": diagnostics.counts() if diagnostics.ran else None}


def identity_section(result: ScanResult) -> dict[str, Any]:
    tally = Tally()
    rows = []
    for finding in map(tally.add, findings_of(result, "identity")):
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
            "steps": "; ".join(f"step {r.step}: {result.framework.step_title(r.step)}"
                               for r in {r.step: r for r in declared(result, "identity")}
                               .values())}


ATTENTION = (Status.FAIL, Status.UNKNOWN)


def open_rows(result: ScanResult, step: str) -> Iterator[dict[str, str]]:
    """The open findings of `step`: most severe first, fail before unknown, then report
    order. One filtered read of the store per severity and status, so the rows are
    written as they are read, never all held."""
    for severity in Severity:
        for status in ATTENTION:
            for f in result.findings.select(steps=(step,), severities=(severity,),
                                            statuses=(status,)):
                yield {"severity": f.severity.value, "verdict": STATUS_WORDS[f.status.value],
                       "check": f.check_id, "title": f.title, "resource": f.resource_id,
                       "reason": f.reason}


def open_section(result: ScanResult) -> dict[str, Any]:
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
            "rows": open_rows(result, step),
        })
    return {"steps": steps, "total": sum(s["fail"] + s["unknown"] for s in steps)}

