"""The read-only guard: only reads leave the process."""

from __future__ import annotations

import pytest
from azure.core.rest import HttpRequest

from scanner.azure.guard import is_allowed_read
from scanner.errors import ReadOnlyViolation
from tests.conftest import ARM, factory_for, response


@pytest.mark.parametrize("method, path, allowed", [
    ("GET", "/subscriptions/x/providers/Microsoft.Storage/storageAccounts", True),
    ("POST", "/providers/Microsoft.ResourceGraph/resources", True),
    ("POST", "/subscriptions/x/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/s/"
             "listKeys", False),
    ("GET", "/subscriptions/x/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/s/"
            "ListAccountSas", False),
    ("PUT", "/subscriptions/x/resourceGroups/g", False),
    ("PATCH", "/subscriptions/x/resourceGroups/g", False),
    ("DELETE", "/subscriptions/x/resourceGroups/g", False),
    ("POST", "/subscriptions/x/providers/Microsoft.Compute/virtualMachines/v/start", False),
    ("GET", "/subscriptions/x/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v/secrets/s",
     False),
])
def test_guard_allows_only_reads(method: str, path: str, allowed: bool) -> None:
    assert is_allowed_read(method, ARM + path) is allowed


def test_guard_raises_before_a_write_leaves_the_process() -> None:
    """A PUT through a real SDK client never reaches the transport."""
    from azure.mgmt.resource.resources import ResourceManagementClient

    factory = factory_for([response("/subscriptions/s/resourcegroups/g", {}, method="PUT")])
    client = factory.mgmt(ResourceManagementClient, "s")
    with pytest.raises(ReadOnlyViolation, match="only reads"):
        client.resource_groups.create_or_update("g", {"location": "eastus"})
    assert factory.transport.log.entries == []  # type: ignore[attr-defined]


def test_guard_refuses_list_keys_through_the_sdk() -> None:
    from azure.mgmt.storage import StorageManagementClient

    factory = factory_for([])
    client = factory.mgmt(StorageManagementClient, "s")
    with pytest.raises(ReadOnlyViolation):
        client.storage_accounts.list_keys("g", "account")
    with pytest.raises(ReadOnlyViolation):
        client._client.send_request(HttpRequest("DELETE", f"{ARM}/subscriptions/s"))
