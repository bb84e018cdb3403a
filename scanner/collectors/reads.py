"""The reads the collectors make, as templates for the read-only guard's allow-list.

Derived from the declarations: every kind's list and detail reads (`scanner.kinds`), the
follow-up reads (`followups.READ_TEMPLATES`) and the Graph paths (`entra`). Registered
with the plumbing (`scanner.azure.allowlist.declare_reads`) when the collectors are
imported, so the guard takes them as data without importing a collector.
"""

from __future__ import annotations

from scanner import directory
from scanner.azure.allowlist import declare_reads
from scanner.collectors import aad_diagnostics, entra, followups
from scanner.kinds import all_kinds, by_name


def declared_templates() -> tuple[list[str], list[str]]:
    """(ARM GET templates, Microsoft Graph GET templates) of every read the scanner makes."""
    kind_by_name = by_name()
    # The runner's own reads: the subscription list, each subscription, its regions.
    arm = ["/subscriptions", "/subscriptions/{subscription}",
           "/subscriptions/{subscription}/locations"]
    arm += [f"/subscriptions/{{subscription}}{kind.path}" for kind in all_kinds()
            if not kind.parent]
    arm += [f"{followups.GROUP_SCOPE}/{kind_by_name[kind.parent].arm_type}/{{name}}{kind.path}"
            for kind in all_kinds() if kind.parent]
    arm += [f"{followups.GROUP_SCOPE}/{kind.arm_type}/{{name}}{detail.path}"
            for kind in all_kinds() for detail in kind.details]
    arm += followups.READ_TEMPLATES
    arm += aad_diagnostics.READ_TEMPLATES  # Entra ID's diagnostic settings, nothing else
    graph = [path.split("?", 1)[0]
             for path in (*entra.PATHS.values(), *entra.APP_PROTECTION_PATHS)]
    graph += directory.READ_TEMPLATES  # key administrators by name (the audit packet)
    return arm, graph


declare_reads(declared_templates)
