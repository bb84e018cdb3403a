"""Service Bus and Event Hubs namespaces, Event Hubs dedicated clusters, IoT Hub:
customer-managed keys, public network access and minimum TLS.

Two checks are functions, not `rule()` data, because the vocabulary has no "applies when
A or B" and no judgement across kinds: the Event Hubs namespace CMK check (Premium or in
a dedicated cluster) and the Event Hubs cluster check (the keys of its namespaces).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from checks.keychain import judge_key_chain
from checks.services.common import (
    CMK,
    MICROSOFT_MANAGED,
    MIN_TLS,
    PNA_DEFAULT_ENABLED,
    PUBLIC_NETWORK,
)
from checks.services.databases import CJI_AT_REST
from scanner.context import CheckContext
from scanner.findings import Status, Verdict
from scanner.gate import rests_on
from scanner.registry import check
from scanner.rules import KEY_CHAIN_READS, Condition, equals, rule, tls_at_least

EXPOSURE = ("A service holding CJI reachable from the internet widens the boundary CJIS "
            "SC-7 asks to keep narrow; private endpoints keep it inside the agency's network.")
TRANSIT = ("CJIS SC-8 requires CJI in transit to be protected with FIPS-validated "
           "cryptography: TLS 1.2 or newer.")
TLS_DEFAULT_CHANGED = ("Azure omits minimumTlsVersion on namespaces that never set it, and "
                       "the default for those changed over time (Learn: transport layer "
                       "security for Service Bus and Event Hubs), so absence is no pass")

SB_CMK_DOC = "https://learn.microsoft.com/azure/service-bus-messaging/configure-customer-managed-key"
SB_NETWORK_DOC = "https://learn.microsoft.com/azure/service-bus-messaging/service-bus-ip-filtering"
SB_TLS_DOC = ("https://learn.microsoft.com/azure/service-bus-messaging/"
              "transport-layer-security-configure-minimum-version")
EH_CMK_DOC = "https://learn.microsoft.com/azure/event-hubs/configure-customer-managed-key"
EH_NETWORK_DOC = "https://learn.microsoft.com/azure/event-hubs/event-hubs-ip-filtering"
EH_TLS_DOC = ("https://learn.microsoft.com/azure/event-hubs/"
              "transport-layer-security-configure-minimum-version")
IOT_CMK_DOC = "https://learn.microsoft.com/azure/iot-hub/iot-hub-customer-managed-keys"
IOT_NETWORK_DOC = "https://learn.microsoft.com/azure/iot-hub/iot-hub-public-network-access"
IOT_TLS_DOC = "https://learn.microsoft.com/azure/iot-hub/iot-hub-tls-support"

KEYVAULT = "Microsoft.KeyVault"
_NAMESPACE_CMK = equals("key_source", KEYVAULT, absent_reason=MICROSOFT_MANAGED)


def cmk_verdict(resource: Any, ctx: CheckContext, conditions: Sequence[Condition],
                policy: str | None) -> Verdict:
    """What a `rule(..., key_chain=True)` with these `passes` concludes, for the checks
    that must decide first, in code, whether the rule applies."""
    evidence: dict[str, Any] = {}
    for condition in conditions:
        status, reason, value = condition.judge(resource)
        evidence[condition.field] = value
        if status is not Status.PASS:
            cite = f" (built-in Azure Policy {policy})" if policy else ""
            return Verdict(status=status, reason=reason + cite, evidence=evidence)
    chain = judge_key_chain(resource, ctx)
    if chain is not None:
        return Verdict(status=chain.status, reason=chain.reason,
                       evidence={**evidence, **chain.evidence})
    cite = f" (built-in Azure Policy {policy})" if policy else ""
    return Verdict(status=Status.PASS,
                   reason=f"encrypted with a customer-managed key whose key chain holds{cite}",
                   evidence=evidence)


# --- Service Bus -----------------------------------------------------------------------

rule(
    id="service_bus_namespace_cmk_encryption",
    title="Service Bus Premium namespaces encrypt data with a customer-managed key",
    kinds="service_bus_namespaces", severity="critical", tags=(CMK,),
    policy="295fc8b1-dc9f-4f53-9c61-3f313ceab40a",
    rationale=CJI_AT_REST + " Service Bus takes a customer-managed key on Premium namespaces "
              "only; the built-in policy judges Premium namespaces alone (a Basic or "
              "Standard namespace is not_applicable here: it cannot hold CJI under step 2).",
    applies=[equals("sku_tier", "Premium", absent=Status.UNKNOWN,
                    absent_reason="Azure did not report the namespace's sku.tier")],
    passes=[_NAMESPACE_CMK],
    key_chain=True,
    remediation={"summary": "Give the namespace a managed identity with access to a key in "
                            "a Premium vault or Managed HSM and set encryption to that key.",
                 "cli": "az servicebus namespace encryption add --resource-group <rg> "
                        "--namespace-name <namespace> --encryption-config "
                        "key-name=<key> key-vault-uri=<vault-uri> "
                        "user-assigned-identity=<identity-id>",
                 "docs": SB_CMK_DOC},
)

rule(
    id="service_bus_namespace_public_network_disabled",
    title="Service Bus namespaces disable public network access",
    kinds="service_bus_namespaces", severity="high", tags=(PUBLIC_NETWORK,),
    policy="cbd11fd3-3002-4907-b6c8-579f0e700e13",
    rationale=EXPOSURE + " (The policy also judges the networkRuleSets child; this check "
                         "judges the namespace's own publicNetworkAccess.)",
    passes=[equals("public_network_access", "Disabled", absent_reason=PNA_DEFAULT_ENABLED)],
    remediation={"summary": "Disable public network access and reach the namespace through "
                            "a private endpoint (Premium).",
                 "cli": "az servicebus namespace update --resource-group <rg> --name "
                        "<namespace> --public-network-access Disabled",
                 "docs": SB_NETWORK_DOC},
)

rule(
    id="service_bus_namespace_min_tls_1_2",
    title="Service Bus namespaces require TLS 1.2 or newer",
    kinds="service_bus_namespaces", severity="high", tags=(MIN_TLS,),
    rationale=TRANSIT + " Azure Policy has no built-in for the Service Bus minimum TLS "
                        "version: judged as Learn documents minimumTlsVersion.",
    passes=[tls_at_least("minimum_tls_version", absent_reason=TLS_DEFAULT_CHANGED)],
    remediation={"summary": "Set the namespace's minimum TLS version to 1.2.",
                 "cli": "az servicebus namespace update --resource-group <rg> --name "
                        "<namespace> --min-tls 1.2",
                 "docs": SB_TLS_DOC},
)

# --- Event Hubs namespaces -------------------------------------------------------------

EH_CMK_POLICY = "a1ad735a-e96f-45d2-a7b2-9a4932cab7ec"


@check(
    id="event_hub_namespace_cmk_encryption",
    title="Event Hubs namespaces in a dedicated cluster or on Premium encrypt data with a "
          "customer-managed key",
    kinds="event_hub_namespaces", severity="critical", tags=(CMK,),
    needs=("event_hub_namespaces",), needs_anywhere=KEY_CHAIN_READS,
    rationale=CJI_AT_REST + " Event Hubs takes a customer-managed key on Premium namespaces "
              "and on namespaces in a dedicated cluster. The built-in policy "
              f"{EH_CMK_POLICY} judges only namespaces with a clusterArmId (it predates "
              "Premium); this check also judges Premium namespaces, which can only turn a "
              "not_applicable into a verdict, never into a pass.",
    remediation={"summary": "Give the namespace a managed identity with access to a key in "
                            "a Premium vault or Managed HSM and set encryption to that key.",
                 "cli": "az eventhubs namespace encryption add --resource-group <rg> "
                        "--namespace-name <namespace> --encryption-config "
                        "key-name=<key> key-vault-uri=<vault-uri> "
                        "user-assigned-identity=<identity-id>",
                 "docs": EH_CMK_DOC},
)
def event_hub_namespace_cmk_encryption(resource: Any, ctx: CheckContext) -> Verdict:
    cluster, tier = resource.get("cluster_arm_id"), resource.sku_tier
    evidence = {"cluster_arm_id": cluster, "sku_tier": tier}
    if not cluster and tier is None:
        return Verdict(status=Status.UNKNOWN, evidence=evidence,
                       reason="Azure reported neither clusterArmId nor sku.tier, so whether "
                              "the namespace can take a customer-managed key is not known")
    if not cluster and tier.lower() != "premium":
        return Verdict(status=Status.NOT_APPLICABLE, evidence=evidence,
                       reason=f"a {tier} namespace outside a dedicated cluster cannot use a "
                              "customer-managed key (built-in Azure Policy "
                              f"{EH_CMK_POLICY} applies to namespaces with a clusterArmId)")
    verdict = cmk_verdict(resource, ctx, [_NAMESPACE_CMK], EH_CMK_POLICY)
    return Verdict(status=verdict.status, reason=verdict.reason,
                   evidence={**evidence, **verdict.evidence})


rule(
    id="event_hub_namespace_public_network_disabled",
    title="Event Hubs namespaces disable public network access",
    kinds="event_hub_namespaces", severity="high", tags=(PUBLIC_NETWORK,),
    policy="0602787f-9896-402a-a6e1-39ee63ee435e",
    rationale=EXPOSURE + " (The policy also judges the networkRuleSets child; this check "
                         "judges the namespace's own publicNetworkAccess.)",
    passes=[equals("public_network_access", "Disabled", absent_reason=PNA_DEFAULT_ENABLED)],
    remediation={"summary": "Disable public network access and reach the namespace through "
                            "a private endpoint.",
                 "cli": "az eventhubs namespace update --resource-group <rg> --name "
                        "<namespace> --public-network-access Disabled",
                 "docs": EH_NETWORK_DOC},
)

rule(
    id="event_hub_namespace_min_tls_1_2",
    title="Event Hubs namespaces require TLS 1.2 or newer",
    kinds="event_hub_namespaces", severity="high", tags=(MIN_TLS,),
    rationale=TRANSIT + " Azure Policy has no built-in for the Event Hubs minimum TLS "
                        "version: judged as Learn documents minimumTlsVersion.",
    passes=[tls_at_least("minimum_tls_version", absent_reason=TLS_DEFAULT_CHANGED)],
    remediation={"summary": "Set the namespace's minimum TLS version to 1.2.",
                 "cli": "az eventhubs namespace update --resource-group <rg> --name "
                        "<namespace> --minimum-tls-version 1.2",
                 "docs": EH_TLS_DOC},
)

# --- Event Hubs dedicated clusters ------------------------------------------------------


@check(
    id="event_hub_cluster_namespaces_cmk_encryption",
    title="Every namespace in an Event Hubs dedicated cluster encrypts with a "
          "customer-managed key",
    kinds="event_hub_clusters", severity="critical", tags=(CMK,),
    needs=("event_hub_clusters", "event_hub_namespaces"),
    rationale=CJI_AT_REST + " A dedicated cluster has no key of its own: the data on it is "
              "its namespaces', each encrypted with the key its namespace names (namespaces "
              "whose clusterArmId is the cluster, judged as built-in Azure Policy "
              f"{EH_CMK_POLICY} judges each of them, with their key chains).",
    remediation={"summary": "Set a customer-managed key (Premium vault or Managed HSM) on "
                            "every namespace in the cluster.",
                 "cli": "az eventhubs namespace encryption add --resource-group <rg> "
                        "--namespace-name <namespace> --encryption-config "
                        "key-name=<key> key-vault-uri=<vault-uri> "
                        "user-assigned-identity=<identity-id>",
                 "docs": EH_CMK_DOC},
    needs_anywhere=("event_hub_namespaces", *KEY_CHAIN_READS),
)
def event_hub_cluster_namespaces_cmk_encryption(resource: Any, ctx: CheckContext) -> Verdict:
    members = [n for n in ctx.resources_of_kind("event_hub_namespaces")
               if str(n.get("cluster_arm_id") or "").lower() == resource.id.lower()]
    # Its members are every namespace listed anywhere: a failed list may hide one.
    rests_on("event_hub_namespaces", means="a namespace of the cluster may not be judged")
    verdicts = {n.id: cmk_verdict(n, ctx, [_NAMESPACE_CMK], EH_CMK_POLICY) for n in members}
    evidence: dict[str, Any] = {"created_at": resource.get("created_at"),
                                "namespaces": {i: v.status.value for i, v in verdicts.items()}}
    failing = {i: v.reason for i, v in verdicts.items() if v.status is Status.FAIL}
    if failing:
        return Verdict(status=Status.FAIL, evidence=evidence,
                       reason="namespaces in the cluster without a sound customer-managed "
                              "key: " + "; ".join(f"{i}: {r}" for i, r in failing.items()))
    unsure = {i: v.reason for i, v in verdicts.items() if v.status is not Status.PASS}
    if unsure:
        return Verdict(status=Status.UNKNOWN, evidence=evidence,
                       reason="the cluster's namespaces cannot all be judged: "
                              + "; ".join(f"{i}: {r}" for i, r in unsure.items()))
    if not members:
        return Verdict(status=Status.NOT_APPLICABLE, evidence=evidence,
                       reason="no namespace in the scanned subscriptions is in this cluster")
    return Verdict(status=Status.PASS, evidence=evidence,
                   reason=f"all {len(members)} namespace(s) in the cluster encrypt with a "
                          "customer-managed key whose key chain holds")


# --- IoT Hub ---------------------------------------------------------------------------

rule(
    id="iot_hub_cmk_encryption",
    title="IoT hubs encrypt data with a customer-managed key",
    kinds="iot_hubs", severity="critical", tags=(CMK,),
    policy="2d7e144b-159c-44fc-95c1-ac3dbf5e6e54",
    rationale=CJI_AT_REST + " The built-in policy is in preview, as IoT Hub's customer-"
              "managed keys are: it requires an encryption.keyVaultProperties entry with a "
              "keyIdentifier.",
    passes=[Condition("cmk_key_ids", lambda v: any(v) if isinstance(v, list) else bool(v),
                      "encryption.keyVaultProperties[*].keyIdentifier names a key",
                      absent_reason="Azure omits encryption when the hub uses its "
                                    "Microsoft-managed key")],
    key_chain=True,
    remediation={"summary": "Customer-managed keys are chosen when the hub is created (in "
                            "the regions that offer them): create a hub with a managed "
                            "identity and a Premium-vault or Managed HSM key, and move the "
                            "devices to it.",
                 "cli": "az iot hub create --resource-group <rg> --name <hub> --sku S1 "
                        "--mi-user-assigned <identity-id>",
                 "docs": IOT_CMK_DOC},
)

rule(
    id="iot_hub_public_network_disabled",
    title="IoT hubs disable public network access",
    kinds="iot_hubs", severity="high", tags=(PUBLIC_NETWORK,),
    policy="2d6830fb-07eb-48e7-8c4d-2a442b35f0fb",
    rationale=EXPOSURE,
    passes=[equals("public_network_access", "Disabled", absent_reason=PNA_DEFAULT_ENABLED)],
    remediation={"summary": "Disable public network access and connect devices and services "
                            "through private endpoints.",
                 "cli": "az iot hub update --resource-group <rg> --name <hub> --set "
                        "properties.publicNetworkAccess=Disabled",
                 "docs": IOT_NETWORK_DOC},
)

rule(
    id="iot_hub_min_tls_1_2",
    title="IoT hubs require TLS 1.2 or newer",
    kinds="iot_hubs", severity="high", tags=(MIN_TLS,),
    rationale=TRANSIT + " Azure Policy has no built-in for IoT Hub's minimum TLS version: "
                        "judged as Learn documents minTlsVersion (1.2 rejects older clients).",
    passes=[tls_at_least("min_tls_version",
                         absent_reason="Azure omits minTlsVersion on hubs created without "
                                       "it, which then accept TLS 1.0 and 1.1 (Learn: TLS "
                                       "support in IoT Hub)")],
    remediation={"summary": "minTlsVersion is set when the hub is created: create a hub "
                            "with minTlsVersion 1.2 and move the devices to it.",
                 "cli": "az deployment group create --resource-group <rg> --template-file "
                        "<hub-with-minTlsVersion-1.2>.json",
                 "docs": IOT_TLS_DOC},
)
