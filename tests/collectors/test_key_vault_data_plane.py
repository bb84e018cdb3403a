"""The opt-in Key Vault data-plane read of each vault HSM key's hsmPlatform
(scanner/collectors/key_vault_data_plane.py): decided per documented value, undetermined
with the reason for every failure, replayed from a cassette (no socket)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ServiceRequestError

from scanner import fips
from scanner.azure.clients import ClientFactory
from scanner.azure.clouds import get_cloud
from scanner.azure.credentials import StandInCredential
from scanner.azure.throttle import ReadBudget
from scanner.collectors.key_vault_data_plane import COLLECTOR, ROLE, read_hsm_platforms
from scanner.inventory import Inventory, KeyVault, VaultKey
from scanner.replay import CassetteTransport
from tests.conftest import response

EXAMPLE = Path(__file__).parents[2] / "fixtures/azure-examples/keyvault/dataplane_key_get.json"
SUB = "/subscriptions/9d2e0c4e-8f5a-4d3b-9c6e-2a1b7c8d8d9f/resourcegroups/rg-cjis"
KV_ID = f"{SUB}/providers/microsoft.keyvault/vaults/kv-cjis"
KV2_ID = f"{SUB}/providers/microsoft.keyvault/vaults/kv-two"
KV = "https://kv-cjis.vault.azure.net"
KV2 = "https://kv-two.vault.azure.net"
Q = "?api-version=7.5"


def published_body() -> dict[str, Any]:
    """The 200 body of the published GetKey example (7.5), as is."""
    body: dict[str, Any] = json.loads(EXAMPLE.read_text())["responses"]["200"]["body"]
    return body


def hsm_body(vault: str, name: str, platform: object) -> dict[str, Any]:
    """The published body, made the HSM key `name` of `vault` with `hsmPlatform`."""
    body = copy.deepcopy(published_body())
    body["key"]["kty"] = "RSA-HSM"
    body["key"]["kid"] = f"{vault}/keys/{name}/78deebed173b48e48f55abf87ed4cf71"
    if platform is not None:
        body["attributes"]["hsmPlatform"] = platform
    return body


def vault(vault_id: str, uri: str) -> KeyVault:
    return KeyVault(id=vault_id, name=vault_id.rsplit("/", 1)[1], location="eastus",
                    subscription_id="9d2e0c4e-8f5a-4d3b-9c6e-2a1b7c8d8d9f",
                    resource_group="rg-cjis", sku_name="premium", vault_uri=uri + "/",
                    type="Microsoft.KeyVault/vaults")


def key(vault_id: str, name: str, kty: str = "RSA-HSM") -> VaultKey:
    return VaultKey(id=f"{vault_id}/keys/{name}", vault_id=vault_id, name=name, kty=kty)


def inventory(*keys: VaultKey) -> Inventory:
    return Inventory(key_vaults=[vault(KV_ID, KV), vault(KV2_ID, KV2)], vault_keys=list(keys))


def factory(interactions: list[Any], transport: Any = None) -> ClientFactory:
    return ClientFactory(get_cloud("commercial"), StandInCredential(),
                         transport or CassetteTransport(interactions), ReadBudget(enabled=False),
                         retry_backoff=0)


def level(inv: Inventory, name: str) -> str:
    found = next(k for k in inv.vault_keys if k.name == name)
    return fips.fips_level("premium vault", found.kty, found.hsm_platform,
                           found.hsm_platform_unread)


@pytest.mark.parametrize("platform, expected", [
    ("2", "FIPS 140-3 Level 3 (hsmPlatform 2)"),
    ("1", "FIPS 140-2 Level 2 (hsmPlatform 1)"),
])
def test_each_documented_hsm_platform_decides_the_level(platform: str, expected: str) -> None:
    made = factory([response(f"{KV}/keys/cmk{Q}", hsm_body(KV, "cmk", platform))])
    read = read_hsm_platforms(made, inventory(key(KV_ID, "cmk")))
    assert level(read, "cmk") == expected
    assert read.errors == []


def test_only_hsm_keys_of_listed_vaults_are_read_and_software_keys_stay_software() -> None:
    made = factory([response(f"{KV}/keys/cmk{Q}", hsm_body(KV, "cmk", "2"))])
    orphan = VaultKey(id=f"{SUB}/providers/microsoft.keyvault/vaults/gone/keys/k",
                      vault_id=f"{SUB}/providers/microsoft.keyvault/vaults/gone", name="k",
                      kty="RSA-HSM")
    read = read_hsm_platforms(made, inventory(key(KV_ID, "cmk"), key(KV_ID, "soft", "RSA"),
                                              orphan))
    assert [e.collector for e in read.errors] == []  # the cassette served exactly one read
    assert level(read, "soft") == fips.SOFTWARE
    assert level(read, "k") == fips.UNDETERMINED


FORBIDDEN_RBAC = {"error": {"code": "Forbidden", "message": "Caller is not authorized to "
                            "perform action on resource.", "innererror": {
                                "code": "ForbiddenByRbac"}}}
FORBIDDEN_FIREWALL = {"error": {"code": "Forbidden", "message": "Client address is not "
                                "authorized and caller is not a trusted service.",
                                "innererror": {"code": "ForbiddenByFirewall"}}}


def test_a_missing_role_leaves_the_vault_undetermined_and_the_next_vault_is_read() -> None:
    made = factory([response(f"{KV}/keys/a{Q}", FORBIDDEN_RBAC, status=403),
                    response(f"{KV2}/keys/c{Q}", hsm_body(KV2, "c", "2"))])
    read = read_hsm_platforms(made, inventory(key(KV_ID, "a"), key(KV_ID, "b"),
                                              key(KV2_ID, "c")))
    assert ROLE in level(read, "a") and level(read, "a").startswith("undetermined")
    assert level(read, "b") == level(read, "a")  # not read again: it would fail the same way
    assert level(read, "c") == "FIPS 140-3 Level 3 (hsmPlatform 2)"
    [error] = read.errors
    assert (error.collector, error.status, error.scope) == (COLLECTOR, 403, f"{KV_ID}/keys/a")
    assert error.remedy is not None and ROLE in error.remedy


def test_a_firewall_refusal_is_named_as_such() -> None:
    made = factory([response(f"{KV}/keys/a{Q}", FORBIDDEN_FIREWALL, status=403)])
    read = read_hsm_platforms(made, inventory(key(KV_ID, "a")))
    assert "firewall" in level(read, "a") and level(read, "a").startswith("undetermined")
    assert read.errors[0].code == "ForbiddenByFirewall"
    assert "firewall" in (read.errors[0].remedy or "")


class Unreachable(CassetteTransport):
    """A private vault: the name does not resolve from the scanner's network."""

    def send(self, request: Any, **kwargs: Any) -> Any:
        raise ServiceRequestError(f"Failed to resolve '{request.url.split('/')[2]}'")


def test_a_private_vault_that_does_not_resolve_is_undetermined_not_fatal() -> None:
    read = read_hsm_platforms(factory([], Unreachable([])), inventory(key(KV_ID, "a")))
    assert level(read, "a").startswith("undetermined: hsmPlatform could not be read")
    [error] = read.errors
    assert error.status is None and "network" in (error.remedy or "")


def test_the_published_body_without_hsm_platform_is_undetermined_and_recorded() -> None:
    body = copy.deepcopy(published_body())
    body["key"]["kty"] = "RSA-HSM"
    made = factory([response(f"{KV}/keys/a{Q}", body)])
    read = read_hsm_platforms(made, inventory(key(KV_ID, "a")))
    assert "no hsmPlatform" in level(read, "a") and level(read, "a").startswith("undetermined")
    assert read.errors[0].code == "UnexpectedShape"


@pytest.mark.parametrize("value", ["0", "3", "", 2, "FIPS 140-3"])
def test_an_undocumented_value_is_undetermined_never_guessed(value: object) -> None:
    made = factory([response(f"{KV}/keys/a{Q}", hsm_body(KV, "a", value))])
    read = read_hsm_platforms(made, inventory(key(KV_ID, "a")))
    # The number 2 too: the spec's hsmPlatform is a string, and a body not as Azure
    # documents it decides nothing.
    assert level(read, "a").startswith("undetermined")
    assert "not a documented value" in level(read, "a")
    assert read.errors[0].collector == COLLECTOR


def test_a_vault_uri_off_the_clouds_vault_hosts_is_refused_by_the_guard_not_sent() -> None:
    made = factory([])
    inv = Inventory(key_vaults=[vault(KV_ID, "https://kv-cjis.vault.example.com")],
                    vault_keys=[key(KV_ID, "a")])
    read = read_hsm_platforms(made, inv)
    assert read.errors[0].code == "ReadOnlyGuard"
    assert level(read, "a").startswith("undetermined")
    assert made.transport.log.entries == []  # type: ignore[attr-defined]


def test_without_the_flag_nothing_is_read_and_the_level_stays_undetermined() -> None:
    from scanner.sources import _named

    made = factory([])
    inv = inventory(key(KV_ID, "a"))
    assert _named(made, inv, {"key_vaults"}) is inv
    assert made.transport.log.entries == []  # type: ignore[attr-defined]
    assert level(inv, "a") == fips.UNDETERMINED
    with_flag = _named(factory([response(f"{KV}/keys/a{Q}", hsm_body(KV, "a", "2"))]), inv,
                       {"key_vaults"}, key_vault_data_plane=True)
    assert level(with_flag, "a") == "FIPS 140-3 Level 3 (hsmPlatform 2)"


def test_the_config_file_key_turns_it_on(tmp_path: Path) -> None:
    from scanner.config import load_settings

    for text in ("key_vault_data_plane = true\n", "key-vault-data-plane = true\n"):
        path = tmp_path / "cjis-scan.toml"
        path.write_text(text)
        assert load_settings(path, {})[1].key_vault_data_plane is True
    assert load_settings(None, {})[1].key_vault_data_plane is False
    assert load_settings(None, {}, {"key_vault_data_plane": True})[1].key_vault_data_plane
