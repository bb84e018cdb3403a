"""Managed HSM keys read through ARM (issue 10 item 8), c39ba22d, and the FIPS level (issue 14
item 12): pass, fail and unknown from the published bodies (ManagedHsmKeys_Get,
ManagedHsms_ListBySubscription, GetKeyRotationPolicy) and the published built-in rules."""

from __future__ import annotations

from typing import Any

import pytest

from fixtures.examples import builtin_policy_definition, example
from scanner.collectors import normalize
from scanner.findings import Status
from scanner.fips import MANAGED_HSM, UNDETERMINED
from scanner.inventory import CollectionError, ManagedHsm, StorageAccount, VaultKey
from tests.checks.helpers import SUB, arm_id, inventory, verdicts

HSM = "Microsoft.KeyVault/managedHSMs"
SA = "Microsoft.Storage/storageAccounts"
HSM_ID = arm_id(HSM, "hsm-cjis")
C39 = "c39ba22d-4428-4149-b981-70acb31fc383"
KEY_TYPES = "1fd3b2cc-9904-40fa-b8da-050c02612da9"


def published_hsm(**props: Any) -> ManagedHsm:
    """The ManagedHsms_ListBySubscription item, re-homed as hsm-cjis; `props` override
    (None deletes) its properties."""
    body = example("keyvault/managed_hsms_list_by_subscription.json")["value"][0]
    body.update(id=HSM_ID, name="hsm-cjis")
    body["properties"]["hsmUri"] = "https://hsm-cjis.managedhsm.azure.net"
    for name, value in props.items():
        if value is None:
            body["properties"].pop(name, None)
        else:
            body["properties"][name] = value
    return normalize.managed_hsm(body, SUB)


def published_key(name: str, kty: str | None = None, rotation: str | None = None,
                  **attributes: Any) -> VaultKey:
    """The ManagedHsmKeys_Get example (kty RSA, no rotation policy) as a key of hsm-cjis;
    `kty` replaces its type, `rotation="published"` adds the published rotation policy
    (Rotate after P90D) and `rotation="notify-only"` only its Notify action."""
    body = example("keyvault/managed_hsm_key_get.json")
    body.update(id=f"{HSM_ID}/keys/{name}", name=name)
    props = body["properties"]
    if kty is not None:
        props["kty"] = kty
    if rotation is not None:
        policy = example("keyvault/dataplane_key_rotation_policy_get.json")
        if rotation == "notify-only":
            policy["lifetimeActions"] = [a for a in policy["lifetimeActions"]
                                         if a["action"]["type"] == "Notify"]
        props["rotationPolicy"] = policy
    props["attributes"].update(attributes)
    return normalize.vault_key(body, HSM_ID)


def account(name: str, key: str) -> StorageAccount:
    """A storage account whose CMK is `key` in hsm-cjis."""
    return StorageAccount(id=arm_id(SA, name), name=name, type=SA, location="eastus",
                          subscription_id=SUB, resource_group="rg-cjis",
                          sku_name="Standard_LRS", key_source="Microsoft.Keyvault",
                          key_vault_uri="https://hsm-cjis.managedhsm.azure.net/", key_name=key)


def key_id(name: str) -> str:
    return f"{HSM_ID}/keys/{name}"


KEYS = [published_key("pass-rsa-hsm", "RSA-HSM", rotation="published"),
        published_key("fail-rsa-as-published"),
        published_key("fail-expiry-only", "RSA-HSM", exp=1830297600),
        published_key("fail-notify-only", "EC-HSM", rotation="notify-only")]
NAMES = [k.name for k in KEYS] + ["unknown-not-listed"]


def hsm_inventory(**extra: Any) -> Any:
    lists: dict[str, Any] = {"managed_hsms": [published_hsm(enablePurgeProtection=True)],
                             "managed_hsm_keys": KEYS,
                             "storage_accounts": [account(f"sa-{n}", n) for n in NAMES]}
    lists.update(extra)
    return inventory(**lists)


def by_status(check_id: str, inv: Any) -> dict[Status, set[str]]:
    found: dict[Status, set[str]] = {}
    for rid, verdict in verdicts(check_id, inv).items():
        found.setdefault(verdict.status, set()).add(rid)
    return found


def forbidden(scope: str = HSM_ID) -> CollectionError:
    return CollectionError(scope=scope, collector="managed_hsm_keys", status=403,
                           code="AuthorizationFailed", message="forbidden",
                           remedy="Reader on the Managed HSM "
                                  "(Microsoft.KeyVault/managedHSMs/keys/read)")


def test_the_published_key_body_maps_kty_and_rotation() -> None:
    key = published_key("k")
    assert (key.kty, key.rotation_policy, key.vault_id) == ("RSA", None, HSM_ID)
    rotated = published_key("k", rotation="published")
    assert rotated.rotation_policy is not None and rotated.rotation_policy.rotate_after == "P90D"


def test_managed_hsm_keys_are_judged_hsm_backed_on_their_type() -> None:
    inv = hsm_inventory()
    assert by_status("cmk_key_hsm_backed", inv) == {
        Status.PASS: {key_id("pass-rsa-hsm"), key_id("fail-expiry-only"),
                      key_id("fail-notify-only")},
        Status.FAIL: {key_id("fail-rsa-as-published")},
        Status.UNKNOWN: {key_id("unknown-not-listed")},
    }
    v = verdicts("cmk_key_hsm_backed", inv)
    assert v[key_id("pass-rsa-hsm")].reason == \
        "key type is RSA-HSM in a Managed HSM (FIPS 140-3 Level 3)"
    assert KEY_TYPES in v[key_id("fail-rsa-as-published")].reason
    assert "not found in the keys read from Managed HSM" in \
        v[key_id("unknown-not-listed")].reason


def test_the_key_type_rule_is_the_published_built_in() -> None:
    # 1fd3b2cc: keyType notIn allowedKeyTypes (default RSA-HSM, EC-HSM, oct-HSM) is
    # non-compliant; the scanner's HSM key types are that list.
    from checks.keychain import HSM_KEY_TYPES, MANAGED_HSM_KEY_TYPE_BUILTIN

    rule = builtin_policy_definition(KEY_TYPES)["properties"]
    assert MANAGED_HSM_KEY_TYPE_BUILTIN == KEY_TYPES
    allowed = rule["parameters"]["allowedKeyTypes"]["defaultValue"]
    assert sorted(t.lower() for t in allowed) == sorted(HSM_KEY_TYPES)
    assert rule["policyRule"]["if"]["allOf"][1]["notIn"] == "[parameters('allowedKeyTypes')]"


def test_managed_hsm_keys_rotation() -> None:
    inv = hsm_inventory()
    assert by_status("cmk_key_rotation_policy", inv) == {
        Status.PASS: {key_id("pass-rsa-hsm")},
        Status.FAIL: {key_id("fail-rsa-as-published"), key_id("fail-expiry-only"),
                      key_id("fail-notify-only")},
        Status.UNKNOWN: {key_id("unknown-not-listed")},
    }
    v = verdicts("cmk_key_rotation_policy", inv)
    assert "P90D" in v[key_id("pass-rsa-hsm")].reason
    expiry = v[key_id("fail-expiry-only")].reason
    assert "2028-01-01" in expiry and "an expiry date alone is not rotation" in expiry
    assert "P2Y" in v[key_id("fail-notify-only")].reason


@pytest.mark.parametrize("check_id", ["cmk_key_hsm_backed", "cmk_key_rotation_policy"])
def test_a_403_on_the_key_list_makes_every_key_of_that_hsm_unknown(check_id: str) -> None:
    inv = hsm_inventory(managed_hsm_keys=[], errors=[forbidden()])
    found = by_status(check_id, inv)
    assert found == {Status.UNKNOWN: {key_id(n) for n in NAMES}}
    reason = verdicts(check_id, inv)[key_id("pass-rsa-hsm")].reason
    assert "could not read managed_hsm_keys" in reason and "HTTP 403" in reason
    assert "Microsoft.KeyVault/managedHSMs/keys/read" in reason


# --- the key chain of a store whose key is in a Managed HSM ------------------------------------


def test_a_store_is_judged_on_its_managed_hsm_key() -> None:
    inv = hsm_inventory()
    found = by_status("storage_account_cmk_encryption", inv)
    assert found == {
        Status.PASS: {arm_id(SA, f"sa-{n}") for n in ("pass-rsa-hsm", "fail-expiry-only",
                                                       "fail-notify-only")},
        Status.FAIL: {arm_id(SA, "sa-fail-rsa-as-published")},
        Status.UNKNOWN: {arm_id(SA, "sa-unknown-not-listed")},
    }
    v = verdicts("storage_account_cmk_encryption", inv)
    assert KEY_TYPES in v[arm_id(SA, "sa-fail-rsa-as-published")].reason
    assert "was not found among the keys read from Managed HSM hsm-cjis" in \
        v[arm_id(SA, "sa-unknown-not-listed")].reason


def test_a_store_whose_hsm_key_list_was_refused_is_unknown_naming_it() -> None:
    inv = hsm_inventory(managed_hsm_keys=[], errors=[forbidden()])
    found = by_status("storage_account_cmk_encryption", inv)
    assert found == {Status.UNKNOWN: {arm_id(SA, f"sa-{n}") for n in NAMES}}
    reason = verdicts("storage_account_cmk_encryption", inv)[arm_id(SA, "sa-pass-rsa-hsm")].reason
    assert "could not read managed_hsm_keys for " in reason and "hsm-cjis" in reason


@pytest.mark.parametrize(("props", "expected"), [
    ({"enablePurgeProtection": True}, Status.PASS),
    ({"enablePurgeProtection": False}, Status.FAIL),     # as published
    ({"enablePurgeProtection": None}, Status.FAIL),
    ({"enablePurgeProtection": True, "enableSoftDelete": None}, Status.FAIL),
    ({"enablePurgeProtection": True, "enableSoftDelete": False}, Status.FAIL),
], ids=["both-true", "purge-false", "purge-absent", "softdelete-absent", "softdelete-false"])
def test_c39ba22d_on_the_store_and_the_chain(props: dict[str, Any], expected: Status) -> None:
    inv = hsm_inventory(managed_hsms=[published_hsm(**props)])
    store = verdicts("key_store_purge_protection", inv)[HSM_ID]
    assert store.status is expected
    chain = verdicts("storage_account_cmk_encryption", inv)[arm_id(SA, "sa-pass-rsa-hsm")]
    assert chain.status is expected
    if expected is Status.FAIL:
        assert C39 in store.reason and C39 in chain.reason
    if props.get("enableSoftDelete", True) is None:
        assert "enableSoftDelete is absent" in store.reason
        assert "soft-delete-overview" in store.reason  # always on, yet absent is not true


def _rule_fails(rule: dict[str, Any], properties: dict[str, Any]) -> bool:
    """c39ba22d's `anyOf` of `notEquals "true"` conditions over the HSM's properties (an
    absent field is not "true"), as Azure Policy evaluates it."""
    conditions = rule["policyRule"]["if"]["allOf"][1]["anyOf"]
    return any(str(properties.get(c["field"].rsplit("/", 1)[-1])).lower() != c["notEquals"]
               for c in conditions)


@pytest.mark.parametrize("props", [
    {"enablePurgeProtection": True}, {"enablePurgeProtection": False},
    {"enablePurgeProtection": None}, {"enablePurgeProtection": True, "enableSoftDelete": None},
    {"enablePurgeProtection": True, "enableSoftDelete": False}])
def test_purge_protection_agrees_with_the_published_c39ba22d_rule(props: dict[str, Any]) -> None:
    rule = builtin_policy_definition(C39)["properties"]
    body = example("keyvault/managed_hsms_list_by_subscription.json")["value"][0]["properties"]
    for name, value in props.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    inv = hsm_inventory(managed_hsms=[published_hsm(**props)])
    status = verdicts("key_store_purge_protection", inv)[HSM_ID].status
    assert (status is Status.FAIL) == _rule_fails(rule, body)


# --- FIPS level in the SSP evidence (issue 14 item 12) ----------------------------------------


def test_the_fips_level_of_a_managed_hsm_key_is_decided() -> None:
    inv = hsm_inventory()
    verdict = verdicts("tenant_cmk_architecture_evidence", inv)[f"/tenants/{inv.tenant_id}"]
    rows = {row["store"]: row for row in verdict.evidence["stores"]}
    read = rows[arm_id(SA, "sa-pass-rsa-hsm")]
    assert (read["key_store_kind"], read["kty"], read["fips_level"]) == (
        "managed HSM", "RSA-HSM", MANAGED_HSM)
    assert read["rotation"] == "policy (rotate P90D)"  # read through ARM, no longer unknown
    assert rows[arm_id(SA, "sa-fail-expiry-only")]["rotation"].startswith("none (expiry")
    assert rows[arm_id(SA, "sa-unknown-not-listed")]["rotation"] == \
        "unknown (key metadata not read)"
    assert " or " not in read["fips_level"]
    assert "managed-hsm/about-keys" in verdict.evidence["fips_references"]["managed_hsm"]
    assert "data-plane" in verdict.evidence["fips_references"]["vault"]


def test_a_vault_hsm_key_is_undetermined_saying_why() -> None:
    # hsmPlatform is not in the management-plane key body: the published Keys_Get body has
    # no such attribute, and the scanner makes no data-plane read.
    body = example("keyvault/key_get.json")
    assert "hsmPlatform" not in body["properties"]["attributes"]
    assert "hsmPlatform" not in str(example("keyvault/managed_hsm_key_get.json"))
    assert "data-plane" in UNDETERMINED and " or " not in UNDETERMINED
