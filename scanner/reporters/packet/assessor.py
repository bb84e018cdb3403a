"""The sections an assessor files with the packet beyond the evidence: the boundary and
outcome of the scan, the exceptions in force (waivers and Azure Policy exemptions), the
manual attestation checklist with sign-off fields, and what the scan does not assess."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from scanner.findings import Status
from scanner.report import ScanResult
from scanner.reporters.base import as_utc
from scanner.reporters.console import short_resource
from scanner.reporters.packet.evidence import as_dict, as_list, declared, findings_of

NIST_FAMILIES = {
    "AC": "Access Control", "AT": "Awareness and Training", "AU": "Audit and Accountability",
    "CA": "Assessment, Authorization, and Monitoring", "CM": "Configuration Management",
    "CP": "Contingency Planning", "IA": "Identification and Authentication",
    "IR": "Incident Response", "MA": "Maintenance", "MP": "Media Protection",
    "PE": "Physical and Environmental Protection", "PL": "Planning", "PM": "Program Management",
    "PS": "Personnel Security", "PT": "PII Processing and Transparency",
    "RA": "Risk Assessment", "SA": "System and Services Acquisition",
    "SC": "System and Communications Protection", "SI": "System and Information Integrity",
    "SR": "Supply Chain Risk Management",
}
"""The 20 control families of NIST SP 800-53 Rev. 5 (Table 1), the structure CJIS Security
Policy 6.0 is written in."""


def boundary_section(result: ScanResult) -> dict[str, Any]:
    """What was in scope, how it was selected, when the evidence was read, the outcome."""
    meta = result.meta
    boundary = dict(meta.boundary)
    tags = boundary.get("tags")
    rows = [
        ("Subscriptions", ", ".join(f"{s.get('display_name') or s['subscription_id']} "
                                    f"({s['subscription_id']})" for s in meta.subscriptions)
         or "none"),
        ("Resource groups", ", ".join(map(str, as_list(boundary.get("resource_groups"))))
         or "all"),
        ("Tags", ", ".join(f"{k}={v}" for k, v in as_dict(tags).items()) or "any"),
        ("Steps", ", ".join(map(str, as_list(boundary.get("steps")))) or "all"),
        ("Checks selected", ", ".join(map(str, as_list(boundary.get("checks")))) or "all"),
        ("Checks skipped", ", ".join(map(str, as_list(boundary.get("skip_checks")))) or "none"),
        ("Checks run", str(len(meta.checks_run))),
    ]
    listed = as_dict(boundary.get("findings_listed"))
    if listed:
        rows.append(("Findings listed", ", ".join(f"{k.replace('_', ' ')}: {v}"
                                                  for k, v in listed.items())
                     + " (the scores count every finding)"))
    collected = meta.collected_at
    rows.append(("Evidence collected", as_utc(collected).strftime("%Y-%m-%d %H:%M UTC")
                 if collected else "during the scan"))
    outcome = dict(meta.outcome)
    return {"rows": rows, "outcome": outcome,
            "saved": meta.source.startswith("inventory:")}


def _finding_ref(resource_id: str, names: Mapping[str, str]) -> str:
    return short_resource(resource_id, names)


def exceptions_section(result: ScanResult, names: Mapping[str, str]) -> dict[str, Any]:
    """Every exception applied (with the findings it covers), expired or covering nothing."""
    applied: dict[str, dict[str, Any]] = {}
    for finding in result.findings.select(statuses=(Status.WAIVED,)):
        waiver = as_dict(finding.waiver)
        key = str(waiver.get("id"))
        entry = applied.setdefault(key, {
            "source": "config file" if waiver.get("source") == "config" else "Azure Policy",
            "name": waiver.get("name") or key,
            "approver": waiver.get("approver") or "not recorded",
            "justification": waiver.get("justification") or "—",
            "expires": waiver.get("expires") or "never",
            "ticket": waiver.get("ticket") or waiver.get("category") or "—",
            "covers": []})
        entry["covers"].append(f"{finding.check_id} on {_finding_ref(finding.resource_id, names)}"
                               f" (was {waiver.get('original_status', '?')})")
    ledger = dict(result.meta.exceptions)

    def rows(kind: str) -> list[dict[str, Any]]:
        out = []
        for raw in as_list(ledger.get(kind)):
            record = as_dict(raw)
            out.append({
                "source": "config file" if record.get("source") == "config" else "Azure Policy",
                "name": record.get("name") or (f"{record.get('check')} on "
                                               f"{record.get('resource')}"),
                "approver": record.get("approver") or "not recorded",
                "justification": record.get("justification") or "—",
                "expires": record.get("expires") or "never",
                "ticket": record.get("ticket") or record.get("category") or "—"})
        return out

    return {"applied": list(applied.values()), "expired": rows("expired"),
            "unmatched": rows("unmatched")}


def attestation_section(result: ScanResult, cmk: Mapping[str, Any],
                        names: Mapping[str, str]) -> dict[str, Any]:
    """One item per `manual` finding (and per key whose FIPS level only a person can read),
    each with the fields a person signs."""
    items = []
    for finding in result.findings.select(statuses=(Status.MANUAL,)):
        items.append({"what": finding.title, "check": finding.check_id,
                      "resource": _finding_ref(finding.resource_id, names),
                      "resource_id": finding.resource_id,
                      "attest": re.sub(r"\s+", " ", finding.reason)})
    asked: set[tuple[str, str]] = set()
    for row in as_list(cmk.get("rows")):
        row = as_dict(row)
        key_id = (str(row.get("key_store")), str(row.get("key")))
        if row.get("needs_platform") and key_id not in asked:
            asked.add(key_id)
            vault, key = row.get("key_store") or "?", row.get("key") or "?"
            items.append({
                "what": "FIPS 140 level of an HSM-protected key", "check": "hsmPlatform",
                "resource": f"key {key} in {vault}", "resource_id": str(row.get("key_uri") or ""),
                "attest": f"record the hsmPlatform of its current version (az keyvault key "
                          f"show --vault-name {vault} --name {key} --query "
                          "attributes.hsmPlatform): 1 is FIPS 140-2 Level 2, 2 is FIPS 140-3 "
                          "Level 3"})
    return {"entries": items}


def not_assessed_section(result: ScanResult) -> dict[str, Any]:
    """The policy areas (control families) and Azure resource types the scan did not judge."""
    judged: dict[str, set[str]] = {}
    for requirement in result.framework.requirements:
        for control in requirement.controls:
            judged.setdefault(control.split("-", 1)[0], set()).add(control)
    families = [{"id": fid, "title": title,
                 "controls": ", ".join(sorted(judged.get(fid, set())))}
                for fid, title in NIST_FAMILIES.items()]
    types = as_dict(as_dict(result.meta.not_assessed).get("resource_types"))
    skipped = [r for r in result.framework.requirements
               if not set(r.checks) & set(result.meta.checks_run)]
    return {"not_judged": [f for f in families if not f["controls"]],
            "partly": [f for f in families if f["controls"]],
            "types": sorted(types.items()),
            "skipped": [{"id": r.id, "title": r.title} for r in skipped],
            "identity_declared": bool(declared(result, "identity")),
            "identity_ran": any(True for _ in findings_of(result, "identity"))}
