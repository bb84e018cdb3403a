"""The HSM platform of each vault HSM key, from the Key Vault data plane (opt-in).

`--key-vault-data-plane` (config file `key_vault_data_plane = true`): for each key with an
`-HSM` key type (`RSA-HSM`, `EC-HSM`, `oct-HSM`) in a vault the inventory lists, one
`GET https://<vault>.<the cloud's Key Vault suffix>/keys/<name>?api-version=7.5` (the
latest version: Get Key, data plane 7.5), with a token for the Key Vault resource
(`Cloud.keyvault_scope`). Its `attributes.hsmPlatform` (KeyAttributes, 7.5+) says which
HSM platform holds the key, so `scanner.fips` decides its FIPS 140 level ("About keys",
https://learn.microsoft.com/azure/key-vault/keys/about-keys). The ARM key body has no
such field (Microsoft.KeyVault 2024-11-01 Key / KeyAttributes).

That one GET is the only data-plane read the guard allows (scanner/azure/allowlist.py
KEY_VAULT_KEY_GET): no versions, secrets, certificates, export or release. It returns the
key's public part and attributes, never private material.

Fail closed: a 403 (no data-plane role or access-policy `get`; `ForbiddenByFirewall` from
the vault's firewall), a connection or DNS failure (a private vault), a body without
`attributes.hsmPlatform` or with a value Microsoft does not document leave the key's
level undetermined with that reason (`VaultKey.hsm_platform_unread`) and record a
collection error under `key_vault_data_plane`. A refusal or network failure stops that
vault's reads (every other key would fail the same way); the other vaults carry on.
Reads are sequential: a tenant has few HSM keys, and this keeps the read budget simple.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

from scanner.azure.allowlist import KEY_VAULT_API_VERSION
from scanner.fips import BY_PLATFORM
from scanner.input_files import loads_json
from scanner.inventory import CollectionError, Inventory, KeyVault, VaultKey

COLLECTOR = "key_vault_data_plane"
ROLE = "Key Vault Reader"
"""Built-in role 21090545-7ca7-4776-b22c-e363652d74d2: "Read metadata of key vaults and its
certificates, keys, and secrets. Cannot read sensitive values such as secret contents or key
material" (Learn, Azure built-in roles for Security); RBAC vaults only."""
REMEDY = (f"assign the scanner's identity {ROLE} on the vault (Azure RBAC vaults: it reads "
          "key metadata) or the key permission `get` (access-policy vaults), and let it "
          "reach <vault>.vault.azure.net (the vault's firewall or private endpoint)")
FIREWALL_REMEDY = ("the vault's firewall refused the scanner's address: scan from an "
                   "allowed network or private endpoint, or add the address to the vault's "
                   "IP rules")
NETWORK_REMEDY = ("the vault's data plane could not be reached (a private vault, DNS, a "
                  "proxy): scan from a network that resolves and reaches it")


def hsm_keys(inventory: Inventory) -> list[tuple[KeyVault, list[VaultKey]]]:
    """(vault, its `-HSM` keys) for every listed vault that has one, in inventory order."""
    vaults = {v.id: v for v in inventory.key_vaults}
    by_vault: dict[str, list[VaultKey]] = {}
    for key in inventory.vault_keys:
        if key.vault_id in vaults and str(key.kty or "").upper().endswith("-HSM"):
            by_vault.setdefault(key.vault_id, []).append(key)
    return [(vaults[vault_id], keys) for vault_id, keys in by_vault.items()]


def vault_base_url(vault_uri: str | None, name: str, suffix: str) -> str:
    """The vault's data-plane root: its `vaultUri` as ARM gives it, else `https://<name>.<suffix>`
    (a URI off the cloud's vault hosts is then refused by the guard, recorded, never sent)."""
    uri = (vault_uri or "").strip()
    if uri:
        parts = urlsplit(uri)
        return f"{parts.scheme}://{parts.netloc}"
    return f"https://{name}.{suffix}"


def get_key(reader: Any, name: str) -> dict[str, Any]:
    """GET the latest version of key `name` (the one data-plane read, KEY_VAULT_KEY_GET)."""
    body: dict[str, Any] = reader.get(f"/keys/{quote(name, safe='')}",
                                      api_version=KEY_VAULT_API_VERSION)
    return body


def platform_of(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """(hsmPlatform, None) when the body names a documented platform, else (None, why): an
    undocumented value is kept only in the reason, so nothing downstream can map it."""
    attributes = body.get("attributes")
    value = attributes.get("hsmPlatform") if isinstance(attributes, dict) else None
    if value is None:
        return None, "the key's attributes carry no hsmPlatform"
    if not isinstance(value, str) or value not in BY_PLATFORM:  # the spec: a string
        return None, f"hsmPlatform {value!r:.40} is not a documented value"
    return value, None


def _firewall(exc: HttpResponseError) -> bool:
    """A 403 whose `error.innererror.code` is `ForbiddenByFirewall` (Key Vault's firewall)."""
    try:
        body = loads_json(exc.response.text()) if exc.response is not None else None
    except (ValueError, RecursionError):
        return False
    error = body.get("error") if isinstance(body, dict) else None
    inner = error.get("innererror") if isinstance(error, dict) else None
    return isinstance(inner, dict) and inner.get("code") == "ForbiddenByFirewall"


def _error(key: VaultKey, exc: BaseException | None, why: str | None = None) -> CollectionError:
    """The collection error of one key's read (scope: the key's ARM id)."""
    from scanner.collectors.tasks import Task, collection_error

    task = Task(COLLECTOR, key.id, lambda c: None, REMEDY)
    if exc is None:
        return CollectionError(scope=key.id, collector=COLLECTOR, code="UnexpectedShape",
                               message=f"Key Vault data plane: {why}",
                               remedy="attest the key's HSM platform (the packet's checklist)")
    error = collection_error(task, exc)
    if isinstance(exc, HttpResponseError) and exc.status_code == 403 and _firewall(exc):
        return error.model_copy(update={"code": "ForbiddenByFirewall",
                                        "remedy": FIREWALL_REMEDY})
    if not isinstance(exc, HttpResponseError) or exc.status_code is None:
        return error.model_copy(update={"remedy": NETWORK_REMEDY}) \
            if error.code != "ReadOnlyGuard" else error
    return error


def _reason(error: CollectionError) -> str:
    """The short reason a key's level is undetermined, from its read's error."""
    if error.code == "ForbiddenByFirewall":
        return "the vault's firewall refused the read (ForbiddenByFirewall)"
    if error.status == 403:
        return f"HTTP 403: the scanner has no {ROLE} role or key `get` permission on the vault"
    if error.status is not None:
        return f"HTTP {error.status} {error.code or ''}".strip()
    return f"{error.code}: {error.message}"[:200]


def read_vault(reader: Any, keys: list[VaultKey]) -> tuple[list[VaultKey], list[CollectionError]]:
    """Each key with its `hsm_platform` (or `hsm_platform_unread`), and the errors."""
    from scanner.collectors.tasks import READ_FAILURES

    done: list[VaultKey] = []
    errors: list[CollectionError] = []
    stopped: str | None = None
    for key in keys:
        if stopped is not None:
            done.append(key.model_copy(update={"hsm_platform_unread": stopped}))
            continue
        try:
            body = get_key(reader, key.name)
        except READ_FAILURES as exc:
            error = _error(key, exc)
            errors.append(error)
            why = _reason(error)
            done.append(key.model_copy(update={"hsm_platform_unread": why}))
            if error.status in (401, 403) or isinstance(
                    exc, ServiceRequestError | ServiceResponseError):
                stopped = why  # refused or unreachable: so would every key of the vault be
            continue
        value, unread = platform_of(body)
        if unread is not None:
            errors.append(_error(key, None, unread))
        done.append(key.model_copy(update={"hsm_platform": value,
                                           "hsm_platform_unread": unread}))
    return done, errors


def read_hsm_platforms(factory: Any, inventory: Inventory) -> Inventory:
    """`inventory` with each vault HSM key's `hsmPlatform` read from the data plane (and
    each failed read in `errors`)."""
    from scanner.azure.arm import JsonReader

    cloud = factory.cloud
    updated: dict[str, VaultKey] = {}
    errors: list[CollectionError] = []
    for vault, keys in hsm_keys(inventory):
        reader = JsonReader(factory, vault_base_url(vault.vault_uri, vault.name,
                                                    cloud.keyvault_suffix),
                            cloud.keyvault_scope)
        done, more = read_vault(reader, keys)
        updated.update((k.id, k) for k in done)
        errors += more
    if not updated:
        return inventory
    return inventory.model_copy(update={
        "vault_keys": [updated.get(k.id, k) for k in inventory.vault_keys],
        "errors": [*inventory.errors, *errors]})


UNKNOWN_WITHOUT = ("none: each vault HSM key's FIPS 140 level stays undetermined (the "
                   "packet's attestation item)",)
"""What `doctor` says a refused data-plane read would make unknown: no check's verdict."""


def probe_target(arm: Any, vault_pages: list[Any], suffix: str) -> tuple[str, str, str] | None:
    """(vault id, data-plane root, key name) of the first key of the first premium vault on
    the doctor's first page of vaults (any key of the vault asks for the same role and
    network path as its HSM keys); None when there is none to probe."""
    from scanner.kinds.core import KEYVAULT_API

    for page in vault_pages:
        for item in page.get("value", []) if isinstance(page, dict) else []:
            props = item.get("properties") if isinstance(item, dict) else None
            if not isinstance(props, dict) or not isinstance(props.get("sku"), dict) or str(
                    props["sku"].get("name", "")).lower() != "premium":
                continue
            key = next(iter(arm.list(f"{item['id']}/keys", KEYVAULT_API)), None)
            if isinstance(key, dict) and key.get("name"):
                base = vault_base_url(props.get("vaultUri"), str(item.get("name", "")), suffix)
                return str(item["id"]), base, str(key["name"])
    return None


def read_key(factory: Any, base_url: str, name: str) -> dict[str, Any]:
    """The one data-plane GET of key `name` at `base_url` (for `doctor`)."""
    from scanner.azure.arm import JsonReader

    return get_key(JsonReader(factory, base_url, factory.cloud.keyvault_scope), name)
