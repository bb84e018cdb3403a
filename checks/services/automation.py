"""Azure Automation accounts: customer-managed keys and public network access."""

from __future__ import annotations

from checks.services.common import CMK, MICROSOFT_MANAGED, PUBLIC_NETWORK
from checks.services.databases import CJI_AT_REST
from scanner.rules import equals, is_false, rule

CMK_DOC = "https://learn.microsoft.com/azure/automation/automation-secure-asset-encryption"
NETWORK_DOC = "https://learn.microsoft.com/azure/automation/how-to/private-link-security"

rule(
    id="automation_account_cmk_encryption",
    title="Automation accounts encrypt assets with a customer-managed key",
    kinds="automation_accounts", severity="critical", tags=(CMK,),
    policy="56a5ee18-2ae6-4810-86f7-18e39ce5629b",
    rationale=CJI_AT_REST + " Automation accounts hold credentials, certificates, "
              "connections and encrypted variables of runbooks that touch CJI.",
    passes=[equals("cmk_key_source", "Microsoft.Keyvault", absent_reason=MICROSOFT_MANAGED)],
    key_chain=True,
    remediation={"summary": "Give the account a managed identity with key access and set its "
                            "encryption to a key in a Premium vault or Managed HSM.",
                 "cli": "az automation account update --resource-group <rg> --name <account> "
                        "--set encryption.keySource=Microsoft.Keyvault "
                        "encryption.keyVaultProperties.keyvaultUri=<vault-uri> "
                        "encryption.keyVaultProperties.keyName=<key>",
                 "docs": CMK_DOC},
)

rule(
    id="automation_account_public_network_disabled",
    title="Automation accounts disable public network access",
    kinds="automation_accounts", severity="high", tags=(PUBLIC_NETWORK,),
    policy="955a914f-bf86-4f0e-acd5-e0766b0efcb6",
    rationale="Runbook and webhook endpoints reachable from the internet widen the boundary "
              "CJIS SC-7 asks to keep narrow; private endpoints keep them inside the agency's "
              "network.",
    passes=[is_false("public_network_access",
                     absent_reason="Azure omits publicNetworkAccess when public access is on, "
                                   "its default (the built-in treats a missing value as "
                                   "non-compliant)")],
    remediation={"summary": "Create private endpoints for the account, then set "
                            "publicNetworkAccess to false.",
                 "cli": "az automation account update --resource-group <rg> --name <account> "
                        "--set publicNetworkAccess=false",
                 "docs": NETWORK_DOC},
)
