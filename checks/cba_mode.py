"""Certificate-based authentication's mode: whether Entra CBA is multi-factor (and so
phishing-resistant) from its authentication mode configuration (Microsoft Graph v1.0
x509CertificateAuthenticationModeConfiguration: default mode and per-certificate rules)."""

from __future__ import annotations

from typing import Any

from scanner.entra_models import AuthenticationMethodConfiguration

CBA_MODES_DOC = ("https://learn.microsoft.com/graph/api/resources/"
                 "x509certificateauthenticationmodeconfiguration")
SINGLE_FACTOR = "x509CertificateSingleFactor"
MULTI_FACTOR = "x509CertificateMultiFactor"


def cba_mode(x509: AuthenticationMethodConfiguration | None) -> dict[str, Any]:
    """Default mode, multi-factor rules, and whether CBA is multi-factor (None: only by rule)."""
    config = x509.authentication_mode_configuration if x509 is not None else None
    default = (config.x509_certificate_authentication_default_mode if config else None) \
        or SINGLE_FACTOR  # the documented default
    rules = config.rules if config else []
    multi = [r.identifier or r.issuer_subject_identifier or r.policy_oid_identifier or "?"
             for r in rules if r.x509_certificate_authentication_mode == MULTI_FACTOR]
    single = [r.identifier or r.issuer_subject_identifier or r.policy_oid_identifier or "?"
              for r in rules if r.x509_certificate_authentication_mode == SINGLE_FACTOR]
    is_multi: bool | None = default == MULTI_FACTOR or (None if multi else False)
    return {"default_mode": default, "mode_reported": config is not None,
            "multi_factor_rules": multi, "single_factor_rules": single,
            "multi_factor": is_multi}
