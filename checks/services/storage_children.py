"""Storage encryption scopes: customer-managed keys (built-in b5ec538c)."""

from __future__ import annotations

from checks.services.common import CMK_SERVICE
from scanner.rules import equals, rule

rule(
    id="storage_encryption_scope_cmk_encryption",
    title="Storage account encryption scopes use customer-managed keys",
    kinds="storage_encryption_scopes", severity="high", tags=(CMK_SERVICE,),
    policy="b5ec538c-daa0-4006-8596-35468b9148e8",
    rationale="An encryption scope encrypts the blobs written to it with its own key: a "
              "scope on Microsoft.Storage keys keeps CJI under a Microsoft-managed key even "
              "in an account whose own key is the agency's (CJIS 6.0 step 2).",
    passes=[equals("source", "Microsoft.KeyVault",
                   absent_reason="Azure always reports a scope's source; an absent one "
                                 "cannot be judged as customer-managed")],
    key_chain=True,
    remediation={"summary": "Create the scope on a key in a Premium vault or Managed HSM and "
                            "move the data written under the Microsoft-managed scope.",
                 "cli": "az storage account encryption-scope create --account-name "
                        "<account> --resource-group <rg> --name <scope> --key-source "
                        "Microsoft.KeyVault --key-uri <key-uri>",
                 "docs": "https://learn.microsoft.com/azure/storage/blobs/"
                         "encryption-scope-manage"},
)
