"""The synthetic tenant's response bodies: each resource as its list (or Resource Graph)
returns it, from Microsoft's published bodies and the seeded plan (a mixin of
`bench.synthetic.SyntheticTenant`)."""

from __future__ import annotations

import json
from typing import Any

from bench.synthetic_plan import (
    ACTIVITY_CATEGORIES,
    ALLOWED_LOCATIONS,
    BASELINE_SET,
    KEY_ROLES,
    LIST_KIND,
    MG_SCOPE,
    PAIRED,
    SERVICE_KIND,
    SERVICE_SAMPLES,
    US,
    Record,
    SubscriptionPlan,
    _guid,
)
from fixtures.core import DELETE
from fixtures.core.compute import (
    confidential,
    disk,
    disk_encryption_set,
    trusted_launch,
    virtual_machine,
)
from fixtures.core.databases import cosmos_account, sql_server
from fixtures.core.key_stores import access_policy, managed_hsm
from fixtures.core.key_stores import vault as vault_body
from fixtures.core.monitoring import activity_log_setting, log_analytics_workspace
from fixtures.core.policy import naming_assignment, policy_assignment, policy_exemption
from fixtures.core.storage import StorageKey, storage_account
from fixtures.core.tenancy import resource_group, role_assignment
from fixtures.services import GOOD_KEY, GOOD_VAULT, WEAK_KEY, WEAK_VAULT, render
from scanner.kinds import by_name


class TenantBodies:
    """Bodies of the resources, policy, role assignments and Activity Log settings."""

    def resource_group(self, plan: SubscriptionPlan, g: int) -> dict[str, Any]:
        name, location = plan.groups[g]
        return resource_group(subscription=plan.id, name=name, location=location)

    def generic(self, plan: SubscriptionPlan, kind: str, n: int) -> dict[str, Any]:
        """The item of the generic resources list (like fixtures/demo/tenant.py's
        Tenant.resource)."""
        if kind not in LIST_KIND:
            record = plan.records[kind][n]
            return {"id": plan.rid(kind, n), "name": plan.name(kind, n),
                    "type": plan.arm_type(kind, record), "location": record[1], "tags": {}}
        body = self.body(plan, kind, n)
        generic: dict[str, Any] = {k: body[k] for k in ("id", "name", "type", "location")
                                   if k in body}
        generic["tags"] = body.get("tags") or {}
        for key in ("kind", "sku", "managedBy"):
            if key in body:
                generic[key] = body[key]
        return generic

    def row(self, plan: SubscriptionPlan, kind: str, n: int) -> dict[str, Any]:
        """The Resource Graph row of a resource (or, kind `group`, a resource group)."""
        if kind == "group":
            body = self.resource_group(plan, n)
            row_type = "microsoft.resources/subscriptions/resourcegroups"
        else:
            body = self.body(plan, kind, n) if kind in LIST_KIND else self.generic(plan, kind, n)
            row_type = body["type"].lower()
        row: dict[str, Any] = {k: body[k] for k in ("id", "name", "location", "kind", "sku",
                                                    "managedBy", "tags", "properties")
                               if k in body}
        parts = body["id"].split("/")
        row.update(type=row_type, subscriptionId=parts[2],
                   resourceGroup=parts[4].lower() if len(parts) > 4 else "")
        return row

    def _scopes(self, i: int, n: int) -> tuple[str, Any, str]:
        """A storage account's encryption scopes (the synthetic accounts have none)."""
        plan = self.plans[i]
        child = by_name()["storage_encryption_scopes"]
        return f"{plan.rid('storage', n)}{child.path}", {"value": []}, child.api_version

    def _svcdetail(self, i: int, kind: str, n: int, d: int) -> tuple[str, Any, str]:
        plan = self.plans[i]
        declared = SERVICE_KIND[kind]
        detail = declared.details[d]
        sample = SERVICE_SAMPLES[declared.name][plan.records[kind][n][3][0]]
        body = self._rehome(plan, sample.details[detail.name])
        return (f"{plan.rid(kind, n)}{detail.path}", body,
                detail.api_version or declared.api_version)

    def service_body(self, plan: SubscriptionPlan, kind: str, n: int) -> dict[str, Any]:
        """A service kind's item: one of its demo samples, re-homed, its demo keys pointed
        at this subscription's first vault (a key there, or a vault URI)."""
        sample_index, _ = plan.records[kind][n][3]
        declared = SERVICE_KIND[kind]
        sample = SERVICE_SAMPLES[declared.name][sample_index]
        body = self._rehome(plan, render(sample, declared.arm_type))
        record = plan.records[kind][n]
        body.update(id=plan.rid(kind, n), name=plan.name(kind, n), location=record[1])
        return body

    def _rehome(self, plan: SubscriptionPlan, body: dict[str, Any]) -> dict[str, Any]:
        """`body` with the demo's key and vault URIs pointed at this subscription's."""
        text = json.dumps(body)
        vault = self.vault_uri(plan, 0)
        key = self.key_url(plan, 0, 0).rsplit("/", 1)[0]
        for old, new in ((GOOD_KEY, key), (WEAK_KEY, key), (GOOD_VAULT, vault),
                         (WEAK_VAULT, vault), (GOOD_VAULT.rstrip("/"), vault.rstrip("/")),
                         (WEAK_VAULT.rstrip("/"), vault.rstrip("/"))):
            text = text.replace(old, new)
        rehomed: dict[str, Any] = json.loads(text)
        return rehomed

    def vault_uri(self, plan: SubscriptionPlan, vault: int) -> str:
        return f"https://{plan.name('vault', vault)}.vault.azure.net/"

    def key_name(self, plan: SubscriptionPlan, vault: int, key: int) -> str:
        return str(plan.records["vault"][vault][3][4][key][0])

    def key_url(self, plan: SubscriptionPlan, vault: int, key: int) -> str:
        name, *_, version = plan.records["vault"][vault][3][4][key]
        return f"{self.vault_uri(plan, vault)}keys/{name}/{version}"

    def workspace_id(self, plan: SubscriptionPlan, record: Record) -> str:
        """The workspace a resource's logs go to: one of its subscription's."""
        return plan.rid("workspace", record[0] % plan.count("workspace"))

    def body(self, plan: SubscriptionPlan, kind: str, n: int) -> dict[str, Any]:
        """The typed list item of resource `n` of `kind` (storage, disk, vault ...)."""
        record = plan.records[kind][n]
        group, location, _, traits = record
        name, rid = plan.name(kind, n), plan.rid(kind, n)
        base = {"id": rid, "name": name, "location": location}
        if kind in SERVICE_KIND:
            return self.service_body(plan, kind, n)
        if kind == "storage":
            sku, cmk, infrastructure, https, tls, private = traits
            key = None
            if cmk:
                vault_uri = self.vault_uri(plan, cmk[0]).rstrip("/")
                key = StorageKey(vault_uri, self.key_name(plan, *cmk), "",
                                 self.key_url(plan, *cmk))
            secondary = PAIRED.get(location) if "GRS" in sku or "GZRS" in sku else None
            return storage_account(
                **base, sku=sku, secondary=secondary, cmk=key, infrastructure=infrastructure,
                supportsHttpsTrafficOnly=https, minimumTlsVersion="TLS1_2" if tls else "TLS1_0",
                allowBlobPublicAccess=not private)
        if kind in ("disk", "snapshot"):
            des, both = traits
            return disk(**base, des_id=None if des is None else plan.rid("des", des),
                        managed_by=plan.rid("vm", n) if kind == "disk" and n < plan.count("vm")
                        else None, snapshot=kind == "snapshot", platform_and_customer=both)
        if kind == "des":
            vault, key, rotate = traits
            return disk_encryption_set(**base, vault_id=plan.rid("vault", vault),
                                       key_url=self.key_url(plan, vault, key), auto_rotate=rotate)
        if kind == "vm":
            security, size = traits
            os_disk = plan.rid("disk", n) if n < plan.count("disk") else None
            profile = {1: trusted_launch, 2: confidential}.get(security)
            return virtual_machine(
                **base, vm_id=_guid(self.seed, plan.index, "vm", n), size=size, admin="cjisadmin",
                os_disk_name=os_disk.rsplit("/", 1)[1] if os_disk else f"{name}-osdisk",
                os_disk_id=os_disk or f"{rid}-osdisk",
                nic_id=plan.rid("nic", n % plan.count("nic")),
                security=profile() if profile else None)
        if kind == "vault":
            sku, purge, rbac, private, _keys = traits
            props: dict[str, Any] = {
                "enableRbacAuthorization": rbac,
                "accessPolicies": [] if rbac else [access_policy(
                    _guid(self.seed, "principal", n % 40), self.tenant_id)]}
            if purge:
                props["enablePurgeProtection"] = True
            if private:
                props["publicNetworkAccess"] = "Disabled"
                props["networkAcls"] = {"bypass": "AzureServices", "defaultAction": "Deny",
                                        "ipRules": [], "virtualNetworkRules": []}
            return vault_body(**base, sku=sku, tenant=self.tenant_id, **props)
        if kind == "hsm":
            return managed_hsm(**base, purge_protection=traits[0], tenant=self.tenant_id,
                               admins=[_guid(self.seed, "principal", 0)])
        if kind == "sql":
            return sql_server(**base, publicNetworkAccess="Disabled" if traits[1] else "Enabled",
                              minimalTlsVersion="1.2" if traits[1] else "1.0")
        if kind == "cosmos":
            cmk, private = traits
            return cosmos_account(
                **base, keyVaultKeyUri=f"{self.vault_uri(plan, cmk[0])}keys/"
                                       f"{self.key_name(plan, *cmk)}" if cmk else DELETE,
                publicNetworkAccess="Disabled" if private else "Enabled")
        if kind == "workspace":
            retention, customer, _rules = traits
            return log_analytics_workspace(**base, retention=retention, customer_id=customer)
        raise KeyError(kind)

    def policy_assignments(self, plan: SubscriptionPlan) -> list[dict[str, Any]]:
        sub_scope = f"/subscriptions/{plan.id}"

        def assignment(scope: str, name: str, display: str, definition: str,
                       parameters: dict[str, Any], **props: Any) -> dict[str, Any]:
            return policy_assignment(scope=scope, name=name, display=display,
                                     definition=definition, parameters=parameters,
                                     assigned_by="CJIS ISO", **props)

        out = [assignment(MG_SCOPE, "cjis-allowed-locations", "CJIS: allowed locations (US only)",
                          ALLOWED_LOCATIONS, {"listOfAllowedLocations": list(dict.fromkeys(US))}),
               assignment(MG_SCOPE, "cjis-baseline", "CJIS 6.0 baseline", BASELINE_SET,
                          {"allowedLocations": list(dict.fromkeys(US))})]
        if "allowed-locations-audit" in plan.assignments:
            out.append(assignment(sub_scope, "allowed-locations-audit",
                                  "Allowed locations (audit only)", ALLOWED_LOCATIONS,
                                  {"listOfAllowedLocations": ["eastus2", "westeurope"]},
                                  enforcementMode="DoNotEnforce"))
        if "EnforceNaming" in plan.assignments:
            out.append(naming_assignment(subscription_scope=sub_scope))
        return out

    def policy_exemptions(self, plan: SubscriptionPlan) -> list[dict[str, Any]]:
        if plan.exemption is None:
            return []
        category, n = plan.exemption
        scope = plan.rid("other", n)
        body = policy_exemption(
            scope=scope, name="residency",
            assignment_id=f"{MG_SCOPE}/providers/Microsoft.Authorization/policyAssignments/"
                          f"cjis-allowed-locations",
            category=category, display="Residency exception", description="Synthetic exemption",
            metadata={"approvedBy": "CJIS ISO"})
        if category == "Waiver":
            body["properties"]["expiresOn"] = "2025-01-31T00:00:00Z"
        return [body]

    def role_assignments(self, plan: SubscriptionPlan) -> list[dict[str, Any]]:
        out = []
        for name, principal, principal_type, role in plan.roles:
            vault = role % plan.count("vault")
            scope = f"/subscriptions/{plan.id}" if role >= 3 else plan.rid("vault", vault)
            out.append(role_assignment(subscription=plan.id, scope=scope, name=name,
                                       principal=principal, principal_type=principal_type,
                                       role=KEY_ROLES[role]))
        return out

    def activity_log(self, plan: SubscriptionPlan) -> list[dict[str, Any]]:
        if plan.activity == 0:
            return []
        full = plan.activity == 1
        return [activity_log_setting(
            subscription=plan.id, workspace_id=plan.rid("workspace", 0) if full else None,
            storage_account_id=plan.rid("storage", 0),
            categories=list(ACTIVITY_CATEGORIES if full else ACTIVITY_CATEGORIES[:2]))]

    # --- follow-ups ----------------------------------------------------------------------------
