"""AI services: Azure AI services / Azure OpenAI accounts, AI Search, Machine Learning.

CMK-CATALOGUE rows 19, 20 and 21. Every Foundry tool and Azure OpenAI is a
`Microsoft.CognitiveServices/accounts` of some `kind`. AI Search keeps its keys per index
(data plane): ARM shows only whether CMK is enforced and complied with. A Machine
Learning workspace names its key by URI (`keyIdentifier`) and its vault by ARM id.
"""

from __future__ import annotations

from scanner.kinds.base import KeyRef, Kind

_COGNITIVE_KEY = "properties.encryption.keyVaultProperties"
_ML_KEY = "properties.encryption.keyVaultProperties"

KINDS = (
    Kind("cognitive_accounts", "Microsoft.CognitiveServices/accounts", "2025-06-01",
         "Azure AI services / Azure OpenAI account", gated=True,
         fields={"cmk_key_source": "properties.encryption.keySource",
                 "cmk_vault_uri": f"{_COGNITIVE_KEY}.keyVaultUri",
                 "cmk_key_name": f"{_COGNITIVE_KEY}.keyName",
                 "cmk_key_version": f"{_COGNITIVE_KEY}.keyVersion",
                 "public_network_access": "properties.publicNetworkAccess",
                 "network_default_action": "properties.networkAcls.defaultAction"},
         key=KeyRef(vault="cmk_vault_uri", name="cmk_key_name", version="cmk_key_version"),
         logs="", example="azure-examples/cognitiveservices/accounts_list_by_subscription.json"),
    Kind("search_services", "Microsoft.Search/searchServices", "2025-05-01",
         "AI Search service", gated=True,
         fields={"cmk_enforcement": "properties.encryptionWithCmk.enforcement",
                 "cmk_compliance": "properties.encryptionWithCmk.encryptionComplianceStatus",
                 "public_network_access": "properties.publicNetworkAccess"},
         logs="", example="azure-examples/search/search_services_list_by_subscription.json"),
    Kind("ml_workspaces", "Microsoft.MachineLearningServices/workspaces", "2025-09-01",
         "Machine Learning workspace", gated=True,
         fields={"cmk_status": "properties.encryption.status",
                 "cmk_key_uri": f"{_ML_KEY}.keyIdentifier",
                 "cmk_vault_id": f"{_ML_KEY}.keyVaultArmId",
                 "public_network_access": "properties.publicNetworkAccess"},
         key=KeyRef(uri="cmk_key_uri"), logs="",
         example="azure-examples/machinelearning/workspace_get_cmk.json"),
)
