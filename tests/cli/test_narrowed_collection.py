"""A narrowed scan collects only what its checks read, and judges exactly as a full one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scanner.cli_run import collected_kinds
from scanner.config import ScanConfig
from scanner.engine import select
from scanner.framework_files import load_framework
from scanner.registry import load_registry
from scanner.scan import run_judgement
from scanner.sources import Source, load_inventory

CHECKS = sorted(load_framework().check_ids())


def _judged(config: ScanConfig, kinds: set[str] | None) -> list[tuple[str, str, str, object]]:
    inventory = load_inventory(Source(demo=True), "commercial", [], 4, kinds=kinds)
    result = run_judgement(inventory, config, datetime(2026, 6, 1, tzinfo=UTC), "demo")
    return [(f.fingerprint, f.status.value, f.reason, f.waiver) for f in result.findings]


@pytest.fixture(scope="module")
def full() -> dict[str, list[tuple[str, str, str, object]]]:
    findings = _judged(ScanConfig(), None)
    inventory = load_inventory(Source(demo=True), "commercial", [], 4)
    result = run_judgement(inventory, ScanConfig(), datetime(2026, 6, 1, tzinfo=UTC), "demo")
    by_check: dict[str, list[tuple[str, str, str, object]]] = {}
    for finding, row in zip(result.findings, findings, strict=True):
        by_check.setdefault(finding.check_id, []).append(row)
    return by_check


@pytest.mark.parametrize("check_id", CHECKS)
def test_a_narrowed_scan_judges_each_check_as_a_full_one(
        check_id: str, full: dict[str, list[tuple[str, str, str, object]]]) -> None:
    config = ScanConfig(checks=[check_id])
    kinds = collected_kinds(select(load_framework(), load_registry(), config))
    assert _judged(config, kinds) == full[check_id]


def _kinds(**selection: list[str]) -> set[str] | None:
    config = ScanConfig(**selection)
    return collected_kinds(select(load_framework(), load_registry(), config))


def test_an_azure_resource_check_skips_the_graph_reads() -> None:
    kinds = _kinds(checks=["storage_account_https_only"])
    assert kinds is not None and "storage_accounts" in kinds and "entra" not in kinds


def test_an_identity_step_skips_the_arm_lists() -> None:
    assert _kinds(steps=["4"]) == {"entra"}
    assert _kinds(steps=["6"]) == {"entra"}


def test_both_sources_collect_the_graph_reads_and_the_declared_lists() -> None:
    both = _kinds(steps=["2", "4"])
    assert both is not None and "entra" in both and "storage_accounts" in both
    assert "workspaces" not in both  # no step 2 or 4 check reads a workspace
    tenant = _kinds(checks=["tenant_cmk_architecture_evidence", "entra_ca_all_users_mfa"])
    assert tenant is not None and {"entra", "storage_accounts", "vault_keys"} <= tenant


def _reads(kinds: set[str] | None) -> list[str]:
    """The URLs a demo collection of `kinds` reads (None: everything)."""
    from scanner.replay import CassetteTransport

    played: list[str] = []
    original = CassetteTransport.send

    def spy(self: CassetteTransport, request: object, **kwargs: object) -> object:
        played.append(str(getattr(request, "url", "")))
        return original(self, request, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CassetteTransport, "send", spy)
        load_inventory(Source(demo=True), "commercial", [], 2, kinds=kinds)
    return played


def test_one_check_reads_its_own_list_and_the_scans_not_every_list() -> None:
    # issue 14 item 3: `--check storage_account_https_only` lists storage accounts, plus
    # what the scan itself reads (resources for coverage, resource groups, the waiver
    # book's Azure Policy lists): no vault, key, diagnostic setting or service list.
    kinds = _kinds(checks=["storage_account_https_only"])
    assert kinds is not None and "storage_accounts" in kinds
    assert {"key_vaults", "vault_keys", "diagnostic_settings", "regions", "workspaces",
            "postgresql_flexible_servers", "entra"}.isdisjoint(kinds)
    full, narrowed = _reads(None), _reads(kinds)
    assert len(narrowed) * 4 < len(full), (len(narrowed), len(full))
    assert not any("/diagnosticSettings" in url or "/keys" in url or "Microsoft.KeyVault" in url
                   for url in narrowed)
    assert any("Microsoft.Storage/storageAccounts" in url for url in narrowed)


def test_a_graph_only_scan_makes_no_arm_list_read() -> None:
    played = _reads({"entra"})
    assert played and all("graph.microsoft" in url or url.count("/") <= 5 for url in played), played
    assert not any("/providers/" in url for url in played)


def test_the_directory_is_read_only_for_a_check_that_reads_role_assignments() -> None:
    transit = _kinds(steps=["transit"])
    ssp = _kinds(checks=["key_store_administrators"])
    assert transit is not None and "entra_principals" not in transit
    assert ssp is not None and "entra_principals" in ssp
