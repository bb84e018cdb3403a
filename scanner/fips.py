"""The FIPS 140 level of a key, decided where Azure says it, never given as two options.

Declared once for the SSP evidence (checks/ssp.py) and the audit packet
(scanner/reporters/packet/fips.py). What Microsoft documents:

- Managed HSM ("About keys in Managed HSM",
  https://learn.microsoft.com/azure/key-vault/managed-hsm/about-keys): every key is
  HSM-protected by FIPS 140-3 Level 3 validated hardware; a single protection tier, no
  HSM platforms to choose between. The store decides the level.
- Vaults ("About keys", https://learn.microsoft.com/azure/key-vault/keys/about-keys): an
  HSM-protected key (`-HSM` key type, Premium vault) is on FIPS 140-2 Level 2 HSMs when its
  version's `hsmPlatform` is `1` and on FIPS 140-3 Level 3 HSMs when it is `2`; a
  software-protected key is FIPS 140-2 Level 1 software.

`hsmPlatform` is a key attribute of the Key Vault data plane (REST 7.5+, `attributes.
hsmPlatform` of GET /keys/{name}; "About keys": platform `2` protects key versions with
FIPS 140-3 Level 3 HSMs, platform `1` with FIPS 140-2 Level 2 ones; Microsoft documents no
other value, so any other, `0` included, decides nothing). The management-plane Key body
the scanner reads (Keys_Get / Keys_List, Microsoft.KeyVault 2024-11-01 and 2026-05-15:
`attributes` = enabled, nbf, exp, created, updated, recoveryLevel, exportable; `kty`,
`keySize`, `keyOps`, `curveName`, `keyUri(WithVersion)`, `rotationPolicy`,
`release_policy`) has no `hsmPlatform` and nothing
that implies it (`kty` is `RSA-HSM` on both platforms). The data-plane read is opt-in
(`--key-vault-data-plane`, scanner/collectors/key_vault_data_plane.py); without it, or
when it fails (a role, the vault's firewall, a private vault, a body without the value or
with one Microsoft does not document), a vault's HSM key is "undetermined" with that
reason and the packet's attestation checklist asks a person for it.
"""

from __future__ import annotations

MANAGED_HSM_KEYS_DOC = "https://learn.microsoft.com/azure/key-vault/managed-hsm/about-keys"
VAULT_KEYS_DOC = "https://learn.microsoft.com/azure/key-vault/keys/about-keys"
REFERENCES = {
    "managed_hsm": f"every key FIPS 140-3 Level 3, one protection tier ({MANAGED_HSM_KEYS_DOC})",
    "vault": f"HSM keys by hsmPlatform: 1 FIPS 140-2 Level 2, 2 FIPS 140-3 Level 3; "
             f"software keys FIPS 140-2 Level 1 ({VAULT_KEYS_DOC}); hsmPlatform is a "
             "data-plane key attribute, not in the management-plane key body",
}
"""Where each level comes from, for the evidence."""
MANAGED_HSM = "FIPS 140-3 Level 3 (Managed HSM)"
BY_PLATFORM = {"1": "FIPS 140-2 Level 2 (hsmPlatform 1)",
               "2": "FIPS 140-3 Level 3 (hsmPlatform 2)"}
"""The documented `hsmPlatform` values ("About keys"), and nothing else."""
SOFTWARE = "FIPS 140-2 Level 1 (software-protected key)"
NOT_READ = "unknown (key type not read)"
UNDETERMINED = ("undetermined: hsmPlatform is not returned by the management plane "
                "(a data-plane key attribute; the ARM key body carries nothing that tells the "
                "HSM platform; see the attestation checklist)")
UNREAD = "undetermined: hsmPlatform could not be read from the Key Vault data plane ({why}; " \
         "see the attestation checklist)"
UNDOCUMENTED = ("undetermined: hsmPlatform {value!r} is not a value Microsoft documents "
                "(see the attestation checklist)")


def in_managed_hsm(store_kind: str | None) -> bool:
    """True for the store kinds the evidence writes for a Managed HSM (`managed_hsm`,
    `managed HSM`)."""
    return (store_kind or "").lower().replace("_", " ") == "managed hsm"


def needs_platform(store_kind: str | None, kty: str | None, hsm_platform: object = None) -> bool:
    """True for an HSM-protected vault key whose `hsmPlatform` the evidence lacks."""
    return (not in_managed_hsm(store_kind) and str(kty or "").upper().endswith("-HSM")
            and str(hsm_platform) not in BY_PLATFORM)


def fips_level(store_kind: str | None, kty: str | None, hsm_platform: object = None,
               unread: str | None = None) -> str:
    """The FIPS 140 level of a key in a store of `store_kind`, or why it is not known
    (`unread`: why the data-plane read of its `hsmPlatform` failed)."""
    if in_managed_hsm(store_kind):
        return MANAGED_HSM
    if not kty:
        return NOT_READ
    if not kty.upper().endswith("-HSM"):
        return SOFTWARE
    if str(hsm_platform) in BY_PLATFORM:
        return BY_PLATFORM[str(hsm_platform)]
    if unread:
        return UNREAD.format(why=unread)
    if hsm_platform is not None:
        return UNDOCUMENTED.format(value=str(hsm_platform)[:40])
    return UNDETERMINED
