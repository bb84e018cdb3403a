"""Long scans: tokens expire mid-scan; many vaults with keys never deadlock the pool."""

from __future__ import annotations

import threading
import time
from typing import Any

from azure.core.credentials import AccessToken

from scanner.azure.clients import ClientFactory
from scanner.azure.clouds import get_cloud
from scanner.azure.throttle import ReadBudget
from scanner.collectors.runner import collect
from scanner.replay import CassetteTransport, demo_cassette
from tests.collectors.tenant import SUB, example, tenant
from tests.conftest import response


class ShortLivedCredential:
    """Every token it hands out has already expired: each request must fetch a new one."""

    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        with self.lock:
            self.calls += 1
            return AccessToken(f"token-{self.calls}", int(time.time()) - 1)


def test_tokens_that_expire_mid_scan_are_refreshed() -> None:
    transport = CassetteTransport.from_file(demo_cassette())
    credential = ShortLivedCredential()
    factory = ClientFactory(get_cloud("commercial"), credential,  # type: ignore[arg-type]
                            transport, ReadBudget(enabled=False))
    inventory = collect(factory, concurrency=8, kinds=["regions", "storage_accounts",
                                                       "key_vaults", "workspaces"])
    assert inventory.errors == []
    requests = len(transport.log.entries)
    assert requests > 10 and credential.calls >= requests


def vault_tenant(vaults: int, keys_per_vault: int = 2) -> list[Any]:
    template = example("keyvault/vaults_list_by_subscription.json")["value"][0]
    key_get = example("keyvault/key_get.json")
    key_listed = example("keyvault/keys_list.json")["value"][0]
    bodies, extra = [], []
    for n in range(vaults):
        vault_id = (f"/subscriptions/{SUB}/resourceGroups/rg-keys/providers/"
                    f"Microsoft.KeyVault/vaults/kv-{n:04d}")
        bodies.append(dict(template, id=vault_id, name=f"kv-{n:04d}"))
        keys = [dict(key_listed, id=f"{vault_id}/keys/k{k}", name=f"k{k}")
                for k in range(keys_per_vault)]
        extra.append(response(f"{vault_id}/keys", {"value": keys}))
        for key in keys:
            extra.append(response(f"{vault_id}/keys/{key['name']}",
                                  dict(key_get, id=key["id"], name=key["name"])))
    return tenant(lists={"key_vaults": {"value": bodies}}) + extra


def test_a_thousand_vaults_with_keys_complete_without_deadlock() -> None:
    from tests.conftest import factory_for

    done: dict[str, Any] = {}

    def run() -> None:
        factory = factory_for(vault_tenant(1000))
        done["inventory"] = collect(factory, concurrency=4,
                                    kinds=["key_vaults", "regions"])
        done["requests"] = len(factory.transport.log.entries)  # type: ignore[attr-defined]

    worker = threading.Thread(target=run, daemon=True)
    started = time.perf_counter()
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "collection of 1,000 vaults did not finish: deadlock?"
    inventory = done["inventory"]
    assert len(inventory.key_vaults) == 1000 and len(inventory.vault_keys) == 2000
    # Linear in the vaults: 1 subscription list + 1 regions + 1 vault list + per vault one
    # keys list and one GET per key.
    assert done["requests"] == 3 + 1000 * 3
    assert time.perf_counter() - started < 120
