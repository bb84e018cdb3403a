"""What a narrowed scan collects: the lists its selected checks declare they read.

A check declares its reads once (`kinds`, `needs`, `needs_anywhere`: scanner.gate); each
read is a kind's list (scanner.kinds), a follow-up's collector (`vault_keys` follows the
vault list: scanner.collectors.followups.FOLLOWUP_READS) or a Microsoft Graph collector.
From them follows every list to read, with the lists they follow, and what the scan
itself reads whatever the checks: the resource list (coverage, boundary warnings), the
resource groups, and the Azure Policy lists the waiver book applies exemptions from.
tests/cli/test_narrowed_collection.py proves each check judges the same narrowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from scanner.collectors.tasks import Reads
from scanner.gate import declared_reads
from scanner.kinds import all_kinds, by_name, key_user_kinds
from scanner.rules import KEY_CHAIN_READS

COVERAGE_READS = ("resources", "resource_groups")
"""Coverage and the boundary warnings read the resource and resource-group lists."""
WAIVER_READS = ("policy_assignments", "policy_exemptions")
"""The waiver book applies the tenant's Azure Policy exemptions to the assignments (and
their initiatives, which follow them: scanner.waivers, scanner.exceptions_ledger)."""

DERIVED_KINDS: dict[str, tuple[str, ...]] = {
    # Built by the context from the stores' CMK references and the key stores.
    "cmk_keys": (*key_user_kinds(), *KEY_CHAIN_READS),
    "tenant": (),
    "subscriptions": (),
}
"""Judged kinds that are no list of their own: what they are made from."""


@cache
def followed_lists() -> dict[str, str]:
    """{follow-up read: the kind whose items it follows} (`vault_keys`: `key_vaults`)."""
    from scanner.collectors.followups import FOLLOWUP_READS

    return {read: kind.name for kind in all_kinds() for name in kind.followups
            for read in FOLLOWUP_READS[name]}


def arm_lists(reads: Iterable[str]) -> Reads:
    """Every read and list a scan with these reads collects (with the scan's own)."""
    kinds = by_name()
    follows = followed_lists()
    wanted: set[str] = set()
    from scanner.collectors.followups import FOLLOWUP_READS

    todo = [*COVERAGE_READS, *WAIVER_READS, *FOLLOWUP_READS["initiatives_of"], *reads]
    while todo:
        read = todo.pop()
        if read in wanted:
            continue
        wanted.add(read)
        todo += DERIVED_KINDS.get(read, ())
        if read in follows:
            todo.append(follows[read])
        kind = kinds.get(read)
        if kind is not None and kind.gated:
            todo.append("resources")  # listed where the resource list shows its type
        if kind is not None and kind.parent:
            todo.append(kind.parent)  # listed per item of its parent
    return Reads(wanted - set(DERIVED_KINDS))


def reads_of(checks: Iterable[Any]) -> set[str]:
    """The declared reads of these checks (scanner.gate.declared_reads), together."""
    return {read for check in checks for read in declared_reads(check.meta)}
