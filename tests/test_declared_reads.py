"""Each check's declared reads (`kinds`, `needs`, `needs_anywhere`) cover what it consults.

The context of each check's run over the demo records every inventory list it touches
(directly or through the context's indexes); a narrowed scan collects only the declared
ones (scanner.narrowing), so an undeclared read would judge as if its list were empty.
"""

from __future__ import annotations

from typing import Any

import pytest

from scanner.config import ScanConfig
from scanner.context import CheckContext
from scanner.engine import judgements
from scanner.gate import declared_reads
from scanner.inventory import Inventory
from scanner.kinds import all_kinds
from scanner.narrowing import DERIVED_KINDS, followed_lists
from scanner.registry import load_registry
from scanner.sources import Source, load_inventory

LISTS = frozenset({*(k.name for k in all_kinds()), *followed_lists(), "regions"})
"""Inventory fields that are reads (the rest, `subscriptions`, `errors`, are the scan's)."""
FOLLOW_UP_FIELDS = {"diagnostic_targets": "diagnostic_settings"}
"""Inventory fields a follow-up fills besides its own list."""


class _Recorded(dict[str, Any]):
    """The inventory's service lists, recording which kinds are asked for."""

    def __init__(self, items: dict[str, Any], seen: set[str]) -> None:
        super().__init__(items)
        self.seen = seen

    def get(self, key: str, default: Any = None) -> Any:
        self.seen.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.seen.add(key)
        return super().__getitem__(key)


class RecordingInventory:
    """An inventory that records every list read from it."""

    def __init__(self, inventory: Inventory) -> None:
        self._inventory = inventory
        self.seen: set[str] = set()
        self.services = _Recorded(inventory.services, self.seen)

    def __getattr__(self, name: str) -> Any:
        self.seen.add(FOLLOW_UP_FIELDS.get(name, name))
        return getattr(self._inventory, name)


def consulted(check_id: str, inventory: Inventory) -> set[str]:
    """The lists one check's run over `inventory` read (its own context, fresh)."""
    recording = RecordingInventory(inventory)
    ctx = CheckContext(recording, ScanConfig())  # type: ignore[arg-type]
    for _ in judgements(load_registry().checks[check_id], ctx):
        pass
    return recording.seen & LISTS


@pytest.fixture(scope="module")
def demo() -> Inventory:
    return load_inventory(Source(demo=True), "commercial", [], 4)


@pytest.mark.parametrize("check_id", sorted(load_registry().checks))
def test_a_check_declares_every_list_it_consults(check_id: str, demo: Inventory) -> None:
    meta = load_registry().checks[check_id].meta
    declared = set(declared_reads(meta))
    for kind in meta.kinds:  # what a derived kind is built from is read to judge it
        declared |= set(DERIVED_KINDS.get(kind, ()))
    assert consulted(check_id, demo) - declared == set()


def test_the_recorder_sees_reads_through_the_context(demo: Inventory) -> None:
    # key_store_hsm_tier reads the data stores only through ctx.cmk_store_ids.
    seen = consulted("key_store_hsm_tier", demo)
    assert {"key_vaults", "storage_accounts", "sql_servers"} <= seen
    assert "postgresql_flexible_servers" in seen  # a service kind, through ctx.services
