"""Checks for the keys used as customer-managed keys (CMK), in vaults and Managed HSMs.

Both stores' keys are read through ARM (Keys_List / Keys_Get, ManagedHsmKeys_List /
ManagedHsmKeys_Get: `kty`, attributes, rotation policy; Reader is enough), so a key in a
Managed HSM is judged on what Azure says of it like a vault key, and is `unknown` only when
its store's key list could not be read (the engine answers from `needs`) or the key is not
in it.
"""

from __future__ import annotations

from typing import Any

from checks.keychain import MANAGED_HSM_KEY_TYPE_BUILTIN, key_type_gap
from scanner.context import CheckContext, CmkKey
from scanner.findings import Remediation, Status, Verdict
from scanner.fips import VAULT_KEYS_DOC as KEY_TYPES_DOC
from scanner.kinds.core import KEY_LISTS
from scanner.registry import check

ROTATION_DOC = "https://learn.microsoft.com/azure/key-vault/keys/how-to-configure-key-rotation"
HSM_BACKED_BUILTIN = "587c79fe-dd04-4a5e-9d0b-f89598c7261b"
"""Built-in "Keys should be backed by a hardware security module (HSM)" (vault keys)."""
ROTATION_POLICY_BUILTIN = "d8cf8476-a2ec-4916-896e-992351803c44"
"""Built-in "Keys should have a rotation policy ensuring that their rotation is scheduled
within the specified number of days after creation": a key complies only when its rotation
policy has a lifetime action of type Rotate; an expiry date does not rotate anything.
Azure publishes no Managed HSM counterpart: a Managed HSM key's rotation policy (the same
`lifetimeActions` in ManagedHsmKeys_Get) is judged the same way."""
KEY_READS = tuple(KEY_LISTS.values())
"""The key lists the key checks need (an error there makes the key `unknown`)."""


def _key_evidence(key: CmkKey) -> dict[str, Any]:
    evidence: dict[str, Any] = {"key_uri": key.key_uri, "store_id": key.store_id,
                                "store_kind": key.store_kind, "used_by": key.used_by}
    if key.key is not None:
        evidence["kty"] = key.key.kty
        evidence["expires"] = key.key.expires.isoformat() if key.key.expires else None
        evidence["rotation_policy"] = (key.key.rotation_policy.model_dump()
                                       if key.key.rotation_policy else None)
    return evidence


def _key_not_read(key: CmkKey, evidence: dict[str, Any]) -> Verdict:
    """Unknown for a CMK whose metadata was not collected, saying why."""
    if key.store_id is None:
        reason = (f"the vault or Managed HSM holding {key.key_uri} is not in the inventory "
                  "(outside the scanned subscriptions, or its list could not be read)")
    else:
        store = "Managed HSM" if key.store_kind == "managed_hsm" else "vault"
        reason = (f"key {key.name} was not found in the keys read from {store} "
                  f"{key.store_id}, so its metadata was not read")
    return Verdict(status=Status.UNKNOWN, reason=reason, evidence=evidence)


@check(
    id="cmk_key_hsm_backed",
    title="Keys used as customer-managed keys are HSM-backed",
    kinds="cmk_keys",
    severity="critical",
    rationale=(
        "An RSA or EC key in a vault is software-protected even in a Premium vault; only "
        "-HSM key types are generated and kept in FIPS validated hardware, as CJIS expects "
        "of the key protecting CJI (SC-12, SC-13). Vault keys are judged as built-in "
        f"{HSM_BACKED_BUILTIN} ('Keys should be backed by a hardware security module') and "
        f"Managed HSM keys as built-in {MANAGED_HSM_KEY_TYPE_BUILTIN} ('Azure Key Vault "
        "Managed HSM keys should be the specified cryptographic type': RSA-HSM, EC-HSM, "
        "oct-HSM) judge them, on the key type Azure reports."
    ),
    remediation=Remediation(
        summary=(
            "Create a new RSA-HSM key in a Premium vault (or a key in a Managed HSM) and point "
            "every data store using the software key at it; a key's type cannot be changed."
        ),
        cli="az keyvault key create --vault-name <premium-vault> --name <key> --kty RSA-HSM "
            "--size 3072",
        docs=KEY_TYPES_DOC,
    ),
    needs=KEY_READS,
)
def cmk_key_hsm_backed(key: CmkKey, ctx: CheckContext) -> Verdict:
    """Pass for RSA-HSM / EC-HSM / oct-HSM keys (in a vault or a Managed HSM); fail for
    the software types."""
    evidence = _key_evidence(key)
    if key.key is None:
        return _key_not_read(key, evidence)
    kty = key.key.kty
    if kty is None:
        return Verdict(status=Status.UNKNOWN, reason=f"Azure did not report the type of key "
                       f"{key.name}", evidence=evidence)
    in_hsm = key.store_kind == "managed_hsm"
    gap = key_type_gap(kty, in_hsm)
    if gap:
        return Verdict(status=Status.FAIL, reason=f"key type {gap}", evidence=evidence)
    where = " in a Managed HSM (FIPS 140-3 Level 3)" if in_hsm else ""
    return Verdict(status=Status.PASS, reason=f"key type is {kty}{where}", evidence=evidence)


@check(
    id="cmk_key_rotation_policy",
    title="Keys used as customer-managed keys have a rotation policy that rotates them",
    kinds="cmk_keys",
    severity="high",
    rationale=(
        "CJIS key management (SC-12) expects keys to have a defined cryptoperiod. Only a "
        "rotation policy whose lifetime actions include Rotate creates new key versions; "
        "an expiry date alone stops the key (and the store using it) instead of rotating it. "
        "Judged as Microsoft's built-in policy 'Keys should have a rotation policy ensuring "
        f"that their rotation is scheduled' ({ROTATION_POLICY_BUILTIN}) judges it, for vault "
        "and Managed HSM keys alike."
    ),
    remediation=Remediation(
        summary=(
            "Set a rotation policy on the key (Keys > <key> > Rotation policy) with a Rotate "
            "action, e.g. 18 months after creation, and an expiry."
        ),
        cli="az keyvault key rotation-policy update --vault-name <vault> --name <key> "
            "--value <rotation-policy.json>   # a Managed HSM: --hsm-name <hsm>",
        docs=ROTATION_DOC,
    ),
    needs=KEY_READS,
)
def cmk_key_rotation_policy(key: CmkKey, ctx: CheckContext) -> Verdict:
    """Pass only when the key's rotation policy schedules a Rotate action (d8cf8476-...)."""
    evidence = _key_evidence(key)
    if key.key is None:
        return _key_not_read(key, evidence)
    policy = key.key.rotation_policy
    if policy is not None and policy.rotate_after:
        return Verdict(status=Status.PASS,
                       reason=f"rotation policy rotates the key after {policy.rotate_after}",
                       evidence=evidence)
    expiry = []
    if key.key.expires is not None:
        expiry.append(f"the key expires on {key.key.expires.date().isoformat()}")
    if policy is not None and policy.expiry_time:
        expiry.append(f"its rotation policy sets an expiry of {policy.expiry_time}")
    if expiry:
        return Verdict(status=Status.FAIL,
                       reason=f"key {key.name} has no rotation policy with a Rotate action: "
                              f"{' and '.join(expiry)}, but an expiry date alone is not "
                              f"rotation (built-in {ROTATION_POLICY_BUILTIN})",
                       evidence=evidence)
    return Verdict(status=Status.FAIL,
                   reason=f"key {key.name} has no rotation policy with a Rotate action "
                          f"(built-in {ROTATION_POLICY_BUILTIN})",
                   evidence=evidence)
