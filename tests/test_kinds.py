"""A resource kind is declared once (scanner.kinds); everything else derives from it."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import pytest

from scanner.collectors import followups
from scanner.collectors.resource_graph import GRAPH_KINDS, TYPED
from scanner.collectors.specs import CHILDREN, GATED, LIST_PATHS, MAPPER_MODULES, SPECS, mapper_of
from scanner.engine import _LIST_KINDS
from scanner.inventory import Inventory, ServiceResource
from scanner.kinds import all_kinds, by_name, service_kinds
from scanner.registry import NOT_LISTED_KINDS, RESOURCE_KINDS

ROOT = Path(__file__).resolve().parents[1]
KINDS = all_kinds()
NAMES = {k.name for k in KINDS}


def test_every_list_the_collectors_run_is_a_declared_kind() -> None:
    assert {k.name for k in (*SPECS, *GATED, *CHILDREN)} == NAMES
    assert all(k.parent in NAMES for k in CHILDREN)
    assert set(LIST_PATHS) == NAMES
    # Resource groups and generic resources come from ARM's lists in every source (the
    # census checks the stream against them: issue 10 item 16).
    assert set(GRAPH_KINDS) == {k.name for k in TYPED.values()}
    assert not {"resource_groups", "resources"} & set(GRAPH_KINDS)
    assert all(k.graph for k in TYPED.values())


def test_the_engine_and_the_registry_judge_exactly_the_declared_kinds() -> None:
    assert {k.name for k in KINDS if k.judged} == _LIST_KINDS
    assert RESOURCE_KINDS == NOT_LISTED_KINDS | _LIST_KINDS
    assert not NOT_LISTED_KINDS & NAMES


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_each_kind_maps_into_its_model_and_names_real_follow_ups(kind) -> None:
    if kind.mapper is not None:
        # Named once, in exactly one mapper module.
        (module,) = [m for m in MAPPER_MODULES if hasattr(m, kind.mapper)]
        assert callable(getattr(module, kind.mapper))
        assert kind.model is not ServiceResource
    else:
        assert kind.model is ServiceResource and kind.fields, kind.name
    assert mapper_of(kind) is mapper_of(kind)
    for name in kind.followups:
        assert callable(getattr(followups, name)), name


def test_typed_kinds_have_their_inventory_list_and_service_kinds_share_one() -> None:
    hints = typing.get_type_hints(Inventory)
    for kind in KINDS:
        if kind.model is ServiceResource:
            assert kind.name not in Inventory.model_fields
        else:
            assert hints[kind.name] == list[kind.model], kind.name
    assert hints["services"] == dict[str, list[ServiceResource]]
    assert {k.name for k in service_kinds()} <= NAMES


def test_service_kind_fields_are_json_paths_and_types_are_unique() -> None:
    types = [k.type for k in KINDS if k.arm_type != "*"]
    assert len(types) == len(set(types))
    for kind in service_kinds():
        for name, path in kind.fields.items():
            assert name.isidentifier() and not hasattr(ServiceResource, name), (kind.name, name)
            assert path and " " not in path, (kind.name, path)
        if kind.key is not None:
            named = [kind.key.uri, kind.key.vault, kind.key.name, kind.key.version,
                     kind.key.des]
            # A detail read's fields join the item's (a key named only by a GET or child).
            declared = {*kind.fields, *(f for d in kind.details for f in d.fields)}
            assert all(n in declared for n in named if n), kind.name


def _literal_kind_lists(path: Path) -> list[tuple[int, list[str]]]:
    """Collections of string literals in `path` naming three or more declared kinds."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        elements: list[ast.expr] = []
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            elements = list(node.elts)
        elif isinstance(node, ast.Dict):
            elements = [k for k in node.keys if k is not None]
        names = [e.value for e in elements
                 if isinstance(e, ast.Constant) and isinstance(e.value, str) and e.value in NAMES]
        if len(names) >= 3:
            found.append((node.lineno, names))
    return found


def test_no_list_of_kinds_is_written_out_outside_the_declarations() -> None:
    offenders = {}
    # Tests may pick a few kinds to narrow a collection; production code never restates them.
    for folder in ("scanner", "checks", "bench", "fixtures"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.is_relative_to(ROOT / "scanner" / "kinds") or path == Path(__file__):
                continue
            hits = _literal_kind_lists(path)
            if hits:
                offenders[str(path.relative_to(ROOT))] = hits
    assert offenders == {}


def test_the_meta_test_finds_a_restated_list(tmp_path: Path) -> None:
    restated = tmp_path / "restated.py"
    restated.write_text('KINDS = ("storage_accounts", "managed_disks", "key_vaults")\n')
    assert _literal_kind_lists(restated) == [(1, ["storage_accounts", "managed_disks",
                                                  "key_vaults"])]


def test_kind_lookup_by_name() -> None:
    assert by_name()["storage_accounts"].type == "microsoft.storage/storageaccounts"
