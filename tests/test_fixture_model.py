"""One fixture model: the core kinds' bodies (storage accounts, disks, snapshots, disk
encryption sets, VMs, key vaults, Managed HSMs, SQL servers, Cosmos DB accounts) are built
from their published examples only by fixtures/core; the demo tenant's sections and the
synthetic tenant call those builders instead of restating the bodies."""

from __future__ import annotations

import ast
from pathlib import Path

from fixtures.core import DELETE, merge_into
from fixtures.core.compute import disk, trusted_launch
from fixtures.core.key_stores import access_policy, vault
from fixtures.core.storage import StorageKey, storage_account

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "fixtures" / "core"


def _json_literals(path: Path) -> set[str]:
    """The string literals of a module that name a published example (`*.json`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.endswith(".json")
    }


def core_examples() -> set[str]:
    return set().union(*(_json_literals(p) for p in CORE.glob("*.py")))


def test_the_core_builders_name_every_core_kinds_example() -> None:
    assert {
        "storage/storage_accounts_list.json",
        "storage/storage_account_get_cmk.json",
        "compute/disks_list.json",
        "compute/snapshots_list.json",
        "compute/disk_encryption_sets_list.json",
        "compute/virtual_machines_list_by_location.json",
        "compute/vm_create_confidential_vm_cmk.json",
        "compute/vm_create_encryption_at_host.json",
        "keyvault/vaults_list_by_subscription.json",
        "keyvault/managed_hsms_list_by_subscription.json",
        "sql_servers_list.json",
        "cosmosdb_database_accounts_list.json",
        "loganalytics/workspaces_list.json",
        "monitor/subscription_diagnostic_settings_list.json",
        "keyvault/keys_list.json",
        "keyvault/key_get.json",
        "keyvault/managed_hsm_keys_list.json",
        "keyvault/managed_hsm_key_get.json",
        "sql_encryption_protector_get.json",
        "sql_encryption_protector_create_service_managed.json",
        "monitor/diagnostic_settings_list.json",
        "role_assignments_list_for_subscription.json",
        "resources/resource_group_get.json",
        "policy_exemptions_list_for_subscription.json",
        "sentinel/onboarding_states_list.json",
        "sentinel/alert_rules_list.json",
        "resourcegraph/resources_query_basic.json",
        "policy/policy_assignments_list.json",
        "policy/policy_assignment_do_not_enforce.json",
        "resources/subscriptions_list.json",
        "resources/locations_list.json",
    } <= core_examples()


def test_neither_tenant_restates_a_core_body() -> None:
    """No module of the synthetic tenant (bench/) or the demo's sections loads a core
    kind's published example itself: only the shared builders do."""
    core = core_examples()
    modules = sorted(ROOT.glob("bench/*.py")) + sorted((ROOT / "fixtures" / "demo").rglob("*.py"))
    restated = {
        p.relative_to(ROOT).as_posix(): sorted(_json_literals(p) & core)
        for p in modules
        if _json_literals(p) & core
    }
    assert restated == {}


def test_the_finder_sees_a_restated_example(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('body = item("compute/disks_list.json")\n', encoding="utf-8")
    assert _json_literals(module) & core_examples() == {"compute/disks_list.json"}


def test_merge_into_updates_in_place_and_deletes() -> None:
    base = {"a": {"b": 1, "c": 2}, "d": 3}
    out = merge_into(base, {"a": {"b": 5, "c": DELETE}, "e": 4})
    assert out is base and base == {"a": {"b": 5}, "d": 3, "e": 4}


def test_storage_builder_sets_the_traits() -> None:
    key = StorageKey("https://kv.vault.azure.net", "k", "", "https://kv.vault.azure.net/keys/k/1")
    cmk = storage_account(
        id="/x/st", name="st", location="eastus", sku="Standard_LRS", secondary=None, cmk=key,
        infrastructure=True, minimumTlsVersion="TLS1_2",
    )
    encryption = cmk["properties"]["encryption"]
    assert encryption["keySource"] == "Microsoft.Keyvault"
    assert encryption["keyvaultproperties"]["keyname"] == "k"
    assert encryption["requireInfrastructureEncryption"] is True
    assert cmk["properties"]["minimumTlsVersion"] == "TLS1_2"
    assert "secondaryLocation" not in cmk["properties"] and "identity" in cmk
    plain = storage_account(
        id="/x/st2", name="st2", location="eastus", sku="Standard_GRS", secondary="westus",
        cmk=None,
    )
    assert plain["properties"]["encryption"]["keySource"] == "Microsoft.Storage"
    assert plain["properties"]["secondaryLocation"] == "westus" and "identity" not in plain
    assert "st2." in plain["properties"]["primaryEndpoints"]["blob"]


def test_compute_and_vault_builders_set_the_traits() -> None:
    customer = disk(id="/x/d", name="d", location="eastus", des_id="/x/des", managed_by="/x/vm")
    assert customer["properties"]["encryption"] == {
        "type": "EncryptionAtRestWithCustomerKey", "diskEncryptionSetId": "/x/des"}
    assert customer["managedBy"] == "/x/vm"
    platform = disk(id="/x/s", name="s", location="eastus", des_id=None, managed_by=None,
                    snapshot=True)
    assert platform["properties"]["encryption"]["type"] == "EncryptionAtRestWithPlatformKey"
    assert "managedBy" not in platform
    assert trusted_launch()["securityType"] == "TrustedLaunch"
    body = vault(id="/x/kv", name="kv", location="eastus", sku="premium", tenant="t",
                 accessPolicies=[access_policy("o", "t")])
    assert body["properties"]["vaultUri"] == "https://kv.vault.azure.net/"
    assert "hsmPoolResourceId" not in body["properties"]
    assert body["properties"]["accessPolicies"][0]["objectId"] == "o"


def _published(literal: str) -> bool:
    return any((ROOT / "fixtures" / root / literal).is_file()
               for root in ("azure-examples", "azure-examples-extra"))


def test_the_tenants_arm_bodies_all_come_from_shared_builders() -> None:
    """Beyond the core kinds: the synthetic tenant and the demo's ARM sections load no
    published example at all; every ARM body comes from fixtures/core, the service samples
    (fixtures/services) or the monitoring and policy bodies (fixtures/*_bodies.py)."""
    modules = sorted(ROOT.glob("bench/*.py")) + sorted((ROOT / "fixtures/demo/arm").glob("*.py"))
    loaded = {p.relative_to(ROOT).as_posix(): sorted(x for x in _json_literals(p) if _published(x))
              for p in modules}
    assert {k: v for k, v in loaded.items() if v} == {}
    assert _published("compute/disks_list.json")  # the finder sees a real example
