"""Azure Automation accounts (CMK-CATALOGUE row 26).

The RP keeps `sku` under `properties`; `publicNetworkAccess` is a boolean. The published
GET stands in for the list (31 KB, not vendored): the list returns the same resource.
"""

from __future__ import annotations

from scanner.kinds.base import KeyRef, Kind

_KEY = "properties.encryption.keyVaultProperties"

KINDS = (
    Kind("automation_accounts", "Microsoft.Automation/automationAccounts", "2024-10-23",
         "Automation account", gated=True,
         fields={"cmk_key_source": "properties.encryption.keySource",
                 "cmk_vault_uri": f"{_KEY}.keyvaultUri",
                 "cmk_key_name": f"{_KEY}.keyName",
                 "cmk_key_version": f"{_KEY}.keyVersion",
                 "public_network_access": "properties.publicNetworkAccess"},
         key=KeyRef(vault="cmk_vault_uri", name="cmk_key_name", version="cmk_key_version"),
         logs="", example="azure-examples/automation/automation_account_get.json"),
)
