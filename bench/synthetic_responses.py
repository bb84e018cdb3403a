"""The synthetic tenant's follow-up responses: diagnostic settings, keys, TDE protectors,
workspace tables, Sentinel, initiatives and definitions, Resource Graph pages (a mixin of
`bench.synthetic.SyntheticTenant`)."""

from __future__ import annotations

from typing import Any

from bench.synthetic_plan import (
    _BUILTIN_DEFINITIONS,
    AAD_PATH,
    ALLOWED_LOCATIONS,
    ARM,
    BASELINE_SET,
    DIAGNOSTIC_KINDS,
    GRAPH_PATH,
    GRAPH_QUOTA,
    GRAPH_WINDOW_SECONDS,
    PAGE_SIZE,
    _dumps,
    _graph_entries,
    _token,
)
from fixtures.core.databases import encryption_protector
from fixtures.core.key_stores import key as key_body
from fixtures.core.key_stores import listed_key
from fixtures.core.monitoring import (
    diagnostic_setting,
    sentinel_alert_rule,
    sentinel_onboarding_state,
)
from fixtures.core.tenancy import resource_graph_page
from fixtures.monitor_bodies import aad_diagnostic_settings, workspace_tables
from fixtures.policy_bodies import BASELINE_REFS, baseline_initiative
from scanner.kinds import by_name
from scanner.replay import Interaction
from scanner.resource_types import STORAGE_SERVICES


class TenantResponses:
    """What each follow-up read answers."""

    def _diag(self, i: int, kind: str, n: int, service: str = "") -> tuple[str, Any, str]:
        plan = self.plans[i]
        record = plan.records[kind][n]
        target = plan.rid(kind, n) + (STORAGE_SERVICES[service] if service
                                      else DIAGNOSTIC_KINDS[kind])
        variant = record[2]
        settings = []
        if variant:
            logs = [{"categoryGroup": "audit" if variant == 2 else "allLogs", "enabled": True}]
            setting = diagnostic_setting(
                target=target, name="to-siem", logs=logs,
                workspace_id=None if variant == 3 else self.workspace_id(plan, record),
                storage_account_id=plan.rid("storage", 0) if variant == 3 else None)
            settings.append(setting)
        return (f"{target}/providers/Microsoft.Insights/diagnosticSettings",
                {"value": settings}, "2021-05-01-preview")

    def _keys(self, i: int, n: int) -> tuple[str, Any, str]:
        plan = self.plans[i]
        vid, location = plan.rid("vault", n), plan.records["vault"][n][1]
        uri = self.vault_uri(plan, n).rstrip("/")
        listed = [listed_key(store_id=vid, store_uri=uri, name=key[0], location=location)
                  for key in plan.records["vault"][n][3][4]]
        return f"{vid}/keys", {"value": listed}, "2025-01-01"

    def _hsmkeys(self, i: int, n: int) -> tuple[str, Any, str]:
        """A Managed HSM's keys (ManagedHsmKeys_List): none, so no GET follows."""
        return f"{self.plans[i].rid('hsm', n)}/keys", {"value": []}, "2026-05-15"

    def _key(self, i: int, n: int, k: int) -> tuple[str, Any, str] | None:
        plan = self.plans[i]
        keys = plan.records["vault"][n][3][4]
        if k >= len(keys):
            return None
        name, kty, rotation, expires, recovery, version = keys[k]
        vid, location = plan.rid("vault", n), plan.records["vault"][n][1]
        return f"{vid}/keys/{name}", key_body(
            store_id=vid, store_uri=self.vault_uri(plan, n), name=name, kty=kty,
            version=version, recovery=recovery, expires=expires, rotation=rotation,
            location=location), "2025-01-01"

    def _tde(self, i: int, n: int) -> tuple[str, Any, str]:
        plan = self.plans[i]
        server = plan.rid("sql", n)
        key = plan.records["sql"][n][3][0]
        return f"{server}/encryptionProtector/current", encryption_protector(
            server_id=server, location=plan.records["sql"][n][1],
            key_uri=self.key_url(plan, *key) if key else None), "2025-01-01"

    def _tables(self, i: int, n: int) -> tuple[str, Any, str]:
        """A workspace's tables (issue 10 item 12): at its retention, AzureActivity kept a
        year in total through long-term retention."""
        plan = self.plans[i]
        wid, days = plan.rid("workspace", n), plan.records["workspace"][n][3][0]
        tables = workspace_tables(wid, days, {"AzureActivity": (days, max(days, 365))})
        return f"{wid}/tables", {"value": tables}, by_name()["workspace_tables"].api_version

    def _aad(self) -> tuple[str, Any, str]:
        """Entra ID's diagnostic settings (issue 11): to the first subscription's workspace."""
        plan = self.plans[0]
        return AAD_PATH, aad_diagnostic_settings(plan.rid("workspace", 0)), "2017-04-01"

    def _onboarding(self, i: int, n: int) -> tuple[str, Any, str]:
        plan = self.plans[i]
        path = f"{plan.rid('workspace', n)}/providers/Microsoft.SecurityInsights"
        states = []
        if plan.records["workspace"][n][3][2] is not None:
            states = [sentinel_onboarding_state(workspace_id=plan.rid("workspace", n))]
        return f"{path}/onboardingStates", {"value": states}, "2025-09-01"

    def _rules(self, i: int, n: int) -> tuple[str, Any, str] | None:
        plan = self.plans[i]
        chosen = plan.records["workspace"][n][3][2]
        if chosen is None:
            return None
        path = f"{plan.rid('workspace', n)}/providers/Microsoft.SecurityInsights"
        rules = [sentinel_alert_rule(workspace_id=plan.rid("workspace", n), index=index,
                                     display=f"CJIS rule {index} ({plan.index:04d}-{n})",
                                     enabled=enabled)
                 for index, enabled in chosen]
        return f"{path}/alertRules", {"value": rules}, "2025-09-01"

    def _policyset(self) -> tuple[str, Any, str]:
        # The demo's baseline initiative without its HSM-keys reference.
        refs = tuple(r for r in BASELINE_REFS if r[0] != "hsmKeys")
        return BASELINE_SET, baseline_initiative(BASELINE_SET, "CJIS 6.0 baseline (synthetic)",
                                                 refs), "2025-01-01"

    # --- issue 10 item 1: the guardrail definitions read for their default effect -----------
    def definitions_read(self) -> list[str]:
        """Built-ins the collector reads: those assigned (directly or in the baseline
        initiative) without an `effect` parameter (scanner.collectors.followups)."""
        from scanner.inventory_policy import EFFECT_READ_DEFINITIONS

        _, baseline, _ = self._policyset()
        refs = [(r["policyDefinitionId"], r["parameters"])
                for r in baseline["properties"]["policyDefinitions"]]
        guids = [ALLOWED_LOCATIONS.rsplit("/", 1)[-1]] + [
            ref.rsplit("/", 1)[-1] for ref, params in refs if "effect" not in params]
        return sorted({g.lower() for g in guids if g.lower() in EFFECT_READ_DEFINITIONS})

    def _policydef(self, guid: str) -> tuple[str, Any, str]:
        from fixtures.examples import builtin_policy_definition

        return f"{_BUILTIN_DEFINITIONS}{guid}", builtin_policy_definition(guid), "2025-01-01"

    def _graph(self, chunk: int, page: int) -> Interaction | None:
        from scanner.collectors.resource_graph import query_request

        if chunk >= len(self.chunks) or page >= self.graph_pages(chunk):
            return None
        start, stop = page * PAGE_SIZE, (page + 1) * PAGE_SIZE
        rows: list[dict[str, Any]] = []
        offset = 0
        for sub in self.chunks[chunk]:
            plan = self.by_id[sub]
            count = plan.row_count()
            if offset + count > start and offset < stop:
                ordered = sorted(_graph_entries(plan), key=lambda e: e[0])
                for _, kind, n in ordered[max(0, start - offset):stop - offset]:
                    rows.append(self.row(plan, kind, n))
            offset += count
            if offset >= stop:
                break
        token = _token("graph", chunk, page) if page else None
        body = resource_graph_page(
            rows=rows, total=self._graph_rows[chunk],
            skip_token=_token("graph", chunk, page + 1)
            if page + 1 < self.graph_pages(chunk) else None)
        request = query_request(list(self.chunks[chunk]), token).serialize()
        # Each page is a query against the user's quota (GRAPH_QUOTA per window): the
        # pages of a stream are read one after another, so the ordinal is the page's.
        ordinal = self._graph_first_page[chunk] + page
        remaining = GRAPH_QUOTA - 1 - ordinal % GRAPH_QUOTA
        return Interaction(
            method="POST", uri=f"{ARM}{GRAPH_PATH}?api-version=2021-03-01",
            request_body=_dumps(request),
            request_headers={"Accept": ["application/json"],
                             "Content-Type": ["application/json"]},
            status=200, reason="OK",
            headers={"Content-Type": ["application/json; charset=utf-8"],
                     "x-ms-user-quota-remaining": [str(remaining)],
                     "x-ms-user-quota-resets-after": [f"00:00:{GRAPH_WINDOW_SECONDS:02d}"]},
            body=_dumps(body))
