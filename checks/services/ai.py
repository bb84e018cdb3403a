"""Azure AI services (and Azure OpenAI), AI Search and Machine Learning: customer-managed
keys and public network access."""

from __future__ import annotations

from typing import Any

from checks.keychain import judge_key_uri
from checks.services.common import CMK, MICROSOFT_MANAGED, PNA_DEFAULT_ENABLED, PUBLIC_NETWORK
from checks.services.databases import CJI_AT_REST
from scanner.context import CheckContext, parse_key_uri
from scanner.findings import Status, Verdict
from scanner.inventory import KeyVault, ServiceResource
from scanner.registry import check
from scanner.rules import KEY_CHAIN_READS, Condition, equals, not_one_of, rule

AI_CMK_DOC = "https://learn.microsoft.com/azure/ai-services/encryption/cognitive-services-encryption-keys-portal"
AI_NETWORK_DOC = "https://learn.microsoft.com/azure/ai-services/cognitive-services-virtual-networks"
SEARCH_CMK_DOC = "https://learn.microsoft.com/azure/search/search-security-manage-encryption-keys"
SEARCH_NETWORK_DOC = "https://learn.microsoft.com/azure/search/service-create-private-endpoint"
ML_CMK_DOC = "https://learn.microsoft.com/azure/machine-learning/how-to-setup-customer-managed-keys"
ML_NETWORK_DOC = "https://learn.microsoft.com/azure/machine-learning/how-to-configure-private-link"

EXCLUDED_KINDS = ("CognitiveServices", "ContentSafety", "ImmersiveReader", "HealthInsights",
                  "LUIS.Authoring", "LUIS", "QnAMaker", "QnAMaker.V2", "AIServices",
                  "MetricsAdvisor", "SpeechTranslation", "Internal.AllInOne",
                  "ConversationalLanguageUnderstanding", "knowledge",
                  "TranscriptionIntelligence", "HealthDecisionSupport")
"""The default of the built-in 67121cc7's `excludedKinds` parameter (v2.2.0): kinds it
does not judge."""

# --- Azure AI services / Azure OpenAI (CMK-CATALOGUE row 19) -------------------------------

rule(
    id="cognitive_account_cmk_encryption",
    title="Azure AI services accounts encrypt data with a customer-managed key",
    kinds="cognitive_accounts", severity="critical", tags=(CMK,),
    policy="67121cc7-ff39-4ab8-b7e3-95b84dab487d",
    rationale=CJI_AT_REST + " Scoped as the built-in with its default excludedKinds "
              f"parameter ({', '.join(EXCLUDED_KINDS)}): those kinds are not_applicable, "
              "every other kind (OpenAI, Face, Speech, ...) must use encryption.keySource "
              "Microsoft.KeyVault.",
    applies=[not_one_of("kind", EXCLUDED_KINDS, absent=Status.PASS,
                        absent_reason="an account without kind is not excluded (the built-in "
                                      "compares kind notIn excludedKinds)")],
    passes=[equals("cmk_key_source", "Microsoft.KeyVault", absent_reason=MICROSOFT_MANAGED)],
    key_chain=True,
    remediation={"summary": "Give the account a managed identity with key access and set its "
                            "encryption to a key in a Premium vault or Managed HSM.",
                 "cli": "az cognitiveservices account update --resource-group <rg> --name "
                        "<account> --encryption '{\"keySource\": \"Microsoft.KeyVault\", "
                        "\"keyVaultProperties\": {\"keyName\": \"<key>\", \"keyVersion\": "
                        "\"<version>\", \"keyVaultUri\": \"<vault-uri>\"}}'",
                 "docs": AI_CMK_DOC},
)

rule(
    id="cognitive_account_public_network_disabled",
    title="Azure AI services accounts restrict network access",
    kinds="cognitive_accounts", severity="high", tags=(PUBLIC_NETWORK,),
    policy="037eea7a-bd0a-46c5-9a66-03aea78705d3",
    rationale="An AI endpoint that CJI is sent to, open to every network, widens the boundary "
              "CJIS SC-7 asks to keep narrow. As the built-in: public network access "
              "Disabled, or network ACLs that deny by default.",
    any_of=[[equals("public_network_access", "Disabled", absent_reason=PNA_DEFAULT_ENABLED),
             equals("network_default_action", "Deny",
                    absent_reason="without networkAcls every network is allowed")]],
    remediation={"summary": "Disable public network access (private endpoints), or deny by "
                            "default and allow only the agency's networks.",
                 "cli": "az cognitiveservices account update --resource-group <rg> --name "
                        "<account> --custom-domain <name> --public-network-access Disabled",
                 "docs": AI_NETWORK_DOC},
)

# --- AI Search (CMK-CATALOGUE row 20) ------------------------------------------------------

rule(
    id="search_service_cmk_encryption",
    title="AI Search services enforce customer-managed keys on their content",
    kinds="search_services", severity="critical", tags=(CMK,),
    policy="76a56461-9dc0-40f0-82f5-2453283afa2f",
    rationale=CJI_AT_REST + " As the built-in: encryptionWithCmk.enforcement Enabled and "
              "encryptionComplianceStatus Compliant (every index and synonym map uses a "
              "customer key). The keys themselves are named per index on the data plane, "
              "so their vault tier and key type are not judged here (attest them).",
    passes=[equals("cmk_enforcement", "Enabled",
                   absent_reason="Azure omits encryptionWithCmk unless enforcement was set, "
                                 "and then indexes may use Microsoft-managed keys"),
            Condition("cmk_compliance", lambda v: str(v).lower() == "compliant",
                      "encryptionWithCmk.encryptionComplianceStatus is Compliant (the index "
                      "keys are named on the data plane: attest their vault tier and type)",
                      absent_reason="Azure did not report whether every index complies")],
    remediation={"summary": "Encrypt every index and synonym map with a Premium-vault or "
                            "Managed HSM key, then enforce CMK on the service.",
                 "cli": "az search service update --resource-group <rg> --name <service> "
                        "--set encryptionWithCmk.enforcement=Enabled",
                 "docs": SEARCH_CMK_DOC},
)

rule(
    id="search_service_public_network_disabled",
    title="AI Search services disable public network access",
    kinds="search_services", severity="high", tags=(PUBLIC_NETWORK,),
    policy="ee980b6d-0eca-4501-8d54-f6290fd512c3",
    rationale="A search index of CJI reachable from the internet widens the boundary CJIS "
              "SC-7 asks to keep narrow; private endpoints keep queries inside the agency's "
              "network.",
    passes=[equals("public_network_access", "Disabled", absent_reason=PNA_DEFAULT_ENABLED)],
    remediation={"summary": "Create a private endpoint, then disable public network access.",
                 "cli": "az search service update --resource-group <rg> --name <service> "
                        "--public-network-access Disabled",
                 "docs": SEARCH_NETWORK_DOC},
)

# --- Machine Learning (CMK-CATALOGUE row 21) -----------------------------------------------


def _ml_key(workspace: ServiceResource, ctx: CheckContext) -> tuple[str | None, KeyVault | None]:
    """The workspace's key URI and, when `keyVaultArmId` names a scanned vault, that vault
    (a `keyIdentifier` that is a bare key name is joined to the vault's URI)."""
    key = workspace.get("cmk_key_uri")
    store = ctx.key_stores_by_id.get(str(workspace.get("cmk_vault_id") or "").lower())
    vault = store if isinstance(store, KeyVault) else None
    if key and not parse_key_uri(str(key)) and vault is not None and vault.vault_uri:
        key = f"{vault.vault_uri.rstrip('/')}/keys/{key}"
    return (str(key) if key else None), vault


@check(id="ml_workspace_cmk_encryption",
       title="Machine Learning workspaces encrypt data with a customer-managed key",
       kinds="ml_workspaces", severity="critical", tags=(CMK,),
       rationale=CJI_AT_REST + " Judged as built-in Azure Policy "
                 "ba769a63-b8cc-4b2d-abf6-ac33c7204be8: workspaces of kind project are out "
                 "of its scope (they use their hub's key); every other workspace must have "
                 "encryption.status enabled. Its key (keyIdentifier, in the vault "
                 "keyVaultArmId names) must then be HSM-backed in a Premium vault or Managed "
                 "HSM with purge protection.",
       remediation={"summary": "Customer-managed keys are set when the workspace is created: "
                               "create one with encryption on a Premium-vault or Managed HSM "
                               "key and move the assets.",
                    "cli": "az ml workspace create --resource-group <rg> --name <workspace> "
                           "--customer-managed-key <key-uri>",
                    "docs": ML_CMK_DOC},
       needs=("ml_workspaces",), needs_anywhere=KEY_CHAIN_READS)
def ml_workspace_cmk_encryption(workspace: ServiceResource, ctx: CheckContext) -> Verdict:
    status = workspace.get("cmk_status")
    evidence: dict[str, Any] = {"kind": workspace.kind, "encryption_status": status,
                                "key_vault_id": workspace.get("cmk_vault_id")}
    if (workspace.kind or "").lower() == "project":
        return Verdict(status=Status.NOT_APPLICABLE,
                       reason="a project workspace uses its hub's key (out of the built-in "
                              "ba769a63's scope)", evidence=evidence)
    if str(status or "").lower() != "enabled":
        shown = f"not reported: {MICROSOFT_MANAGED}" if status is None else status
        return Verdict(status=Status.FAIL,
                       reason=f"encryption.status is {shown} (built-in Azure Policy "
                              "ba769a63-b8cc-4b2d-abf6-ac33c7204be8)", evidence=evidence)
    uri, vault = _ml_key(workspace, ctx)
    chain = judge_key_uri(uri, ctx, store=vault)
    if chain is not None:
        return Verdict(status=chain.status, reason=chain.reason,
                       evidence={**evidence, **chain.evidence})
    return Verdict(status=Status.PASS,
                   reason=f"encryption.status is Enabled with {uri}, HSM-backed in a protected "
                          "store (built-in Azure Policy ba769a63-b8cc-4b2d-abf6-ac33c7204be8)",
                   evidence={**evidence, "key_uri": uri})


rule(
    id="ml_workspace_public_network_disabled",
    title="Machine Learning workspaces disable public network access",
    kinds="ml_workspaces", severity="high", tags=(PUBLIC_NETWORK,),
    policy="438c38d2-3772-465a-a9cc-7a6666a275ce",
    rationale="A workspace training on or serving CJI reachable from the internet widens the "
              "boundary CJIS SC-7 asks to keep narrow.",
    passes=[equals("public_network_access", "Disabled", absent_reason=PNA_DEFAULT_ENABLED)],
    remediation={"summary": "Add a private endpoint, then disable public network access.",
                 "cli": "az ml workspace update --resource-group <rg> --name <workspace> "
                        "--public-network-access Disabled",
                 "docs": ML_NETWORK_DOC},
)
