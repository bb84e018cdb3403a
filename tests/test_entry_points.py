"""A third-party check, installed as a throwaway package, loads through the entry point."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import scanner.registry as registry_module
from scanner.config import ScanConfig
from scanner.context import CheckContext
from scanner.engine import judgements
from scanner.findings import Status
from tests.checks.helpers import inventory

PLUGIN = '''
from scanner.findings import Status, Verdict
from scanner.registry import check


@check(id="storage_account_agency_tag", title="Storage accounts carry the agency tag",
       kinds="storage_accounts", severity="low",
       rationale="The agency tags every CJI store so its owner can be found.",
       remediation={"summary": "Add the agency tag.",
                    "cli": "az tag update --resource-id <id> --operation merge --tags agency=x",
                    "docs": "https://learn.microsoft.com/azure/azure-resource-manager/"
                            "management/tag-resources"})
def storage_account_agency_tag(account, ctx):
    """Pass when the account has an `agency` tag."""
    ok = "agency" in account.tags
    return Verdict(status=Status.PASS if ok else Status.FAIL,
                   reason="tagged" if ok else "no agency tag", evidence={"tags": account.tags})
'''


@pytest.fixture
def plugin_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package `agency_checks` with dist-info declaring a `cjis_scan.checks` entry point."""
    (tmp_path / "agency_checks.py").write_text(PLUGIN)
    dist = tmp_path / "agency_checks-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: agency-checks\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[cjis_scan.checks]\nagency = agency_checks\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry_module, "_entry_points_loaded", False)
    yield tmp_path
    registry_module._DEFAULT.checks.pop("storage_account_agency_tag", None)
    sys.modules.pop("agency_checks", None)


def test_third_party_check_registers_and_runs(plugin_on_path: Path) -> None:
    from scanner.inventory import StorageAccount
    from tests.checks.helpers import SUB, arm_id

    registry = registry_module.load_registry()
    plugin = registry.checks["storage_account_agency_tag"]
    assert plugin.func.__module__ == "agency_checks"

    def account(name: str, tags: dict[str, str]) -> StorageAccount:
        return StorageAccount(id=arm_id("Microsoft.Storage/storageAccounts", name), name=name,
                              type="Microsoft.Storage/storageAccounts", location="eastus",
                              subscription_id=SUB, tags=tags)

    inv = inventory(storage_accounts=[account("pass-tagged", {"agency": "hcso"}),
                                      account("fail-untagged", {})])
    verdicts = {j.resource.name: j.verdict.status
                for j in judgements(plugin, CheckContext(inv, ScanConfig()))}
    assert verdicts == {"pass-tagged": Status.PASS, "fail-untagged": Status.FAIL}
