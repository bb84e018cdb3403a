"""The inventory stays lean: repeated strings are shared and so is pydantic's fields set."""

from __future__ import annotations

import tracemalloc

from scanner.collectors import normalize
from scanner.inventory import GenericResource, Inventory, SqlServer

SUB = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"


def _resource(i: int) -> GenericResource:
    return normalize.generic_resource({
        "id": f"/subscriptions/{SUB}/resourceGroups/RG-CJIS-{i % 7}/providers/"
              f"Microsoft.Network/networkSecurityGroups/nsg-{i}",
        "name": f"nsg-{i}", "type": "Microsoft.Network/networkSecurityGroups",
        "location": "East US", "kind": "standard", "sku": {"name": "Basic"},
    }, SUB)


def test_repeated_strings_are_one_object() -> None:
    a, b = _resource(1), _resource(8)  # same group (1 % 7 == 8 % 7)
    for field in ("type", "location", "subscription_id", "resource_group", "kind"):
        assert getattr(a, field) is getattr(b, field), field
    assert a.id != b.id
    assert a.type == "microsoft.network/networksecuritygroups" and a.location == "eastus"


def test_instances_share_one_fields_set_and_copies_still_work() -> None:
    a, b = _resource(1), _resource(2)
    assert a.__pydantic_fields_set__ is b.__pydantic_fields_set__
    assert a.model_fields_set == set(GenericResource.model_fields)
    server = SqlServer(id=f"/subscriptions/{SUB}/resourceGroups/rg/providers/"
                          f"Microsoft.Sql/servers/sql", name="sql", type="Microsoft.Sql/servers",
                       subscription_id=SUB)
    copied = server.model_copy(update={"tde_protector_kind": "azurekeyvault"})
    assert copied.tde_protector_kind == "azurekeyvault" and server.tde_protector_kind is None
    # The shared set is never narrowed or widened by a copy.
    assert server.model_fields_set == set(SqlServer.model_fields)


def test_an_inventory_round_trips_through_json_unchanged() -> None:
    inventory = Inventory(tool_version="t", cloud="commercial", source="test",
                          resources=[_resource(i) for i in range(20)])
    again = Inventory.model_validate_json(inventory.model_dump_json())
    assert again == inventory
    assert again.model_dump_json() == inventory.model_dump_json()


def test_a_generic_resource_costs_under_a_kilobyte() -> None:
    # Measured ~1.8 KB per item before (own fields set, own copies of type / region /
    # subscription / group strings); what is left is the instance dict, id and name.
    count = 5_000
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    items = [_resource(i) for i in range(count)]
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    per_item = sum(s.size_diff for s in after.compare_to(before, "filename")) / count
    assert len(items) == count
    assert per_item < 1_000, f"{per_item:.0f} bytes per generic resource"
