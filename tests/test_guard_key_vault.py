"""The guard on the Key Vault data plane (`--key-vault-data-plane`): one key GET, to the
cloud's vault hosts, with a vault token only; everything else refused."""

from __future__ import annotations

import pytest

from scanner.azure.clouds import CLOUDS, CloudName, get_cloud
from scanner.azure.guard import allowlist_for, token_refusal

COMMERCIAL = get_cloud("commercial")
USGOV = get_cloud("usgov")
VAULT = "https://contoso-kv.vault.azure.net"
KEY = f"{VAULT}/keys/cmk-storage?api-version=7.5"


def refusal(method: str, url: str, cloud: str = "commercial") -> str | None:
    return allowlist_for(get_cloud(cloud)).refusal(method, url)


def test_each_cloud_declares_its_key_vault_suffix_and_scope() -> None:
    assert COMMERCIAL.keyvault_scope == "https://vault.azure.net/.default"
    assert USGOV.keyvault_scope == "https://vault.usgovcloudapi.net/.default"
    assert CLOUDS[CloudName.usgov_dod].keyvault_suffix == "vault.usgovcloudapi.net"


def test_the_one_key_get_is_allowed_on_the_clouds_vault_hosts() -> None:
    assert refusal("GET", KEY) is None
    assert refusal("GET", "https://kv1.vault.usgovcloudapi.net/keys/k?api-version=7.5",
                   "usgov") is None
    assert refusal("GET", "https://KV1.Vault.Azure.Net:443/keys/K?api-version=7.5") is None


@pytest.mark.parametrize("method, url, why", [
    ("GET", f"{VAULT}/secrets/db-password?api-version=7.5", "secrets"),
    ("GET", f"{VAULT}/secrets?api-version=7.5", "secrets"),
    ("POST", f"{VAULT}/keys/cmk-storage/export?api-version=7.5", "not a read"),
    ("GET", f"{VAULT}/keys/cmk-storage/export?api-version=7.5", "not a read cjis-scan"),
    ("POST", f"{VAULT}/keys/cmk-storage/release?api-version=7.5", "not a read"),
    ("GET", f"{VAULT}/keys/cmk-storage/versions?api-version=7.5", "not a read cjis-scan"),
    ("GET", f"{VAULT}/keys/cmk-storage/0123456789abcdef?api-version=7.5",
     "not a read cjis-scan"),
    ("GET", f"{VAULT}/keys?api-version=7.5", "not a read cjis-scan"),
    ("GET", f"{VAULT}/certificates/web?api-version=7.5", "not a read cjis-scan"),
    ("GET", f"{VAULT}/storage/acct?api-version=7.5", "not a read cjis-scan"),
    ("GET", f"{VAULT}/keys/cmk-storage%2Fexport?api-version=7.5", "not a read cjis-scan"),
    ("GET", f"{VAULT}/keys/x/../../secrets/s?api-version=7.5", "canonical"),
    ("POST", KEY, "not a read"),
    ("DELETE", KEY, "not a read"),
    ("PATCH", KEY, "not a read"),
    ("GET", f"{VAULT}/keys/cmk-storage", "api-version"),
    ("GET", f"{VAULT}/keys/cmk-storage?api-version=7.4", "api-version"),
    ("GET", f"{VAULT}/keys/cmk-storage?api-version=7.5&x=1", "api-version"),
    ("GET", "http://contoso-kv.vault.azure.net/keys/k?api-version=7.5", "HTTPS"),
    ("GET", "https://contoso-kv.vault.azure.net:8443/keys/k?api-version=7.5", "not an Azure"),
    ("GET", "https://vault.azure.net/keys/k?api-version=7.5", "not an Azure"),
    ("GET", "https://a.b.vault.azure.net/keys/k?api-version=7.5", "not an Azure"),
    ("GET", "https://kv1.vault.azure.net.evil.example/keys/k?api-version=7.5", "not an Azure"),
    ("GET", "https://kv1-vault.azure.net/keys/k?api-version=7.5", "not an Azure"),
    ("GET", "https://kv1.managedhsm.azure.net/keys/k?api-version=7.5", "not an Azure"),
    ("GET", "https://u:p@kv1.vault.azure.net/keys/k?api-version=7.5", "credentials"),
])
def test_everything_else_on_a_vault_host_is_refused(method: str, url: str, why: str) -> None:
    reason = refusal(method, url)
    assert reason is not None and why in reason, reason


def test_a_vault_host_of_another_cloud_is_refused() -> None:
    assert "not an Azure" in (refusal("GET", KEY, "usgov") or "")
    assert "not an Azure" in (refusal(
        "GET", "https://kv1.vault.usgovcloudapi.net/keys/k?api-version=7.5") or "")


def test_the_vault_read_does_not_open_arm_or_graph() -> None:
    arm = "https://management.azure.com"
    assert refusal("GET", f"{arm}/keys/k?api-version=7.5") is not None
    assert refusal("GET", "https://graph.microsoft.com/keys/k?api-version=7.5") is not None


@pytest.mark.parametrize("scope, url, allowed", [
    ("https://vault.azure.net/.default", KEY, True),
    ("https://management.azure.com/.default", KEY, False),
    ("https://graph.microsoft.com/.default", KEY, False),
    ("https://vault.azure.net/.default", "https://management.azure.com/subscriptions", False),
    ("https://vault.azure.net/.default", "https://graph.microsoft.com/v1.0/users", False),
    ("https://vault.azure.net/.default", "https://evil.example/keys/k", False),
    ("https://vault.usgovcloudapi.net/.default", KEY, False),
    ("https://management.azure.com/.default", "https://management.azure.com/subscriptions",
     True),
    ("https://graph.microsoft.com/.default", "https://management.azure.com/subscriptions",
     False),
])
def test_a_token_goes_only_to_its_own_audience(scope: str, url: str, allowed: bool) -> None:
    assert (token_refusal(COMMERCIAL, scope, url) is None) is allowed


def test_the_reader_refuses_an_arm_token_to_a_vault_before_it_is_sent() -> None:
    """Through the real pipeline: nothing reaches the transport."""
    from scanner.azure.arm import JsonReader
    from scanner.errors import ReadOnlyViolation
    from tests.conftest import factory_for

    factory = factory_for([])
    reader = JsonReader(factory, VAULT, factory.cloud.arm_scope)
    with pytest.raises(ReadOnlyViolation, match="token"):
        reader.get("/keys/cmk-storage", api_version="7.5")
    assert factory.transport.log.entries == []  # type: ignore[attr-defined]
