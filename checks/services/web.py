"""App Service apps and function apps: HTTPS only, public network access, minimum TLS.

Each property has two built-ins, one for apps and one for function apps, told apart by
the site's `kind` as their `if` does: apps are the sites whose kind does not contain
`functionapp`; function apps those whose kind contains it but neither `workflowapp`
(Logic Apps Standard) nor `azurecontainerapps`. Those two are in neither built-in's scope
and are not_applicable here. No CMK check: see scanner/kinds/services/web.py.
"""

from __future__ import annotations

from typing import Any

from checks.services.common import HTTPS_ONLY, MIN_TLS, PNA_DEFAULT_ENABLED, PUBLIC_NETWORK
from scanner.findings import Status
from scanner.rules import Condition, equals, is_true, rule, tls_at_least

HTTPS_DOC = "https://learn.microsoft.com/azure/app-service/configure-ssl-bindings#enforce-https"
TLS_DOC = "https://learn.microsoft.com/azure/app-service/configure-ssl-bindings#enforce-tls-versions"
NETWORK_DOC = "https://learn.microsoft.com/azure/app-service/overview-access-restrictions"
HTTPS_OFF = ("Azure omits httpsOnly when it is off, its default (the built-in treats a "
             "missing value as non-compliant)")


def _kind_has(text: str, present: bool) -> Condition:
    """The site's kind contains (or, `present=False`, lacks) `text`, as `contains` /
    `notContains` compare (case-insensitively; a missing kind contains nothing)."""
    def test(value: Any) -> bool:
        return (text in str(value).lower()) is present

    return Condition("kind", test, f"kind {'contains' if present else 'does not contain'} "
                     f"{text}", absent=Status.FAIL if present else Status.PASS,
                     absent_reason=None if present else "a site without kind contains nothing")


APPS = (_kind_has("functionapp", False),)
FUNCTIONS = (_kind_has("functionapp", True), _kind_has("workflowapp", False),
             _kind_has("azurecontainerapps", False))
NOT_IN_ASE = Condition("hosting_environment_id", lambda v: False,
                       "the site is not in an App Service Environment", absent=Status.PASS,
                       absent_reason="the site is on the multi-tenant service")
"""The public-network built-ins skip sites in an App Service Environment (isolated in the
agency's virtual network)."""

_WHAT = {"web_app": ("App Service apps", "a4af4a39-4135-47fb-b175-47fbdf85311d",
                     "1b5ef780-c53c-4a64-87f3-bb9c8c8094ba",
                     "f0e6e85b-9b9f-4a4b-b67b-f730d42f1b0b", APPS),
         "function_app": ("Function apps", "6d555dd1-86f2-4f1c-8ed7-5abae7c6cbab",
                          "969ac98b-88a8-449f-883c-2e9adb123127",
                          "f9d614c5-c173-4d56-95a7-b4437057d193", FUNCTIONS)}

for _prefix, (_what, _https, _network, _tls, _scope) in _WHAT.items():
    rule(
        id=f"{_prefix}_https_only", title=f"{_what} are reachable over HTTPS only",
        kinds="web_sites", severity="high", tags=(HTTPS_ONLY,), policy=_https,
        rationale="CJI in transit must be encrypted (CJIS SC-8): a site that answers plain "
                  "HTTP lets a client send CJI and credentials in clear text.",
        applies=_scope, passes=[is_true("https_only", absent_reason=HTTPS_OFF)],
        remediation={"summary": "Turn on HTTPS Only (HTTP requests are redirected to HTTPS).",
                     "cli": "az webapp update --resource-group <rg> --name <site> "
                            "--https-only true",
                     "docs": HTTPS_DOC},
    )
    rule(
        id=f"{_prefix}_public_network_disabled",
        title=f"{_what} disable public network access", kinds="web_sites", severity="high",
        tags=(PUBLIC_NETWORK,), policy=_network,
        rationale="A site serving CJI reachable from the internet widens the boundary CJIS "
                  "SC-7 asks to keep narrow; private endpoints keep it inside the agency's "
                  "network. Sites in an App Service Environment are out of the built-in's "
                  "scope.",
        applies=(*_scope, NOT_IN_ASE),
        passes=[equals("public_network_access", "Disabled", absent_reason=PNA_DEFAULT_ENABLED)],
        remediation={"summary": "Add a private endpoint, then disable public network access.",
                     "cli": "az webapp update --resource-group <rg> --name <site> "
                            "--set publicNetworkAccess=Disabled",
                     "docs": NETWORK_DOC},
    )
    rule(
        id=f"{_prefix}_min_tls_1_2", title=f"{_what} require TLS 1.2 or newer",
        kinds="web_sites", severity="high", tags=(MIN_TLS,), policy=_tls,
        rationale="CJIS SC-8 requires strong transport encryption; TLS 1.0 and 1.1 are "
                  "deprecated. As the built-in: the site's config/web minTlsVersion must be "
                  "1.2 or newer (a missing value is non-compliant).",
        applies=_scope,
        passes=[tls_at_least("min_tls_version", "1.2", label="config/web minTlsVersion")],
        remediation={"summary": "Set the site's minimum inbound TLS version to 1.2.",
                     "cli": "az webapp config set --resource-group <rg> --name <site> "
                            "--min-tls-version 1.2",
                     "docs": TLS_DOC},
    )
