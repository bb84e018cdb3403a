"""Unknown paths of the breadth-b service kinds that the generic tests (test_services.py)
do not reach: a failed detail read, a region that cannot be judged, and a body missing
what Azure always reports."""

from __future__ import annotations

from fixtures.services import SAMPLES, render
from scanner.collectors.runner import collect
from scanner.findings import Status
from scanner.inventory import ServiceResource
from scanner.kinds import by_name
from tests.checks.helpers import SUB, inventory, statuses
from tests.checks.test_services import _checks_of, _statuses
from tests.collectors.tenant import SUB as TENANT_SUB
from tests.collectors.tenant import subscription_body, tenant
from tests.conftest import factory_for, response


def _listed_with_failed_detail(kind_name: str) -> dict[tuple[str, str], str]:
    """Collect one published sample of `kind_name` whose detail read answers 403."""
    kind = by_name()[kind_name]
    sample = next(s for s in SAMPLES if s.kind == kind_name)
    body = render(sample, kind.arm_type)
    body["id"] = f"/subscriptions/{TENANT_SUB}/resourceGroups/rg/providers/{kind.arm_type}/x"
    lists = {"resources": {"value": [{k: body[k] for k in ("id", "name", "type", "location")}]},
             kind_name: [response(kind.url(TENANT_SUB), {"value": [body]})]}
    interactions = tenant([subscription_body()], lists)
    for detail in kind.details:
        interactions.append(response(f"{body['id']}{detail.path}", {"error": {
            "code": "AuthorizationFailed", "message": "no read"}}, status=403))
    inv = collect(factory_for(interactions), None, 2)
    return _statuses(inv, _checks_of(kind_name))


def test_a_failed_detail_read_makes_every_check_of_that_item_unknown() -> None:
    for kind_name in ("sql_managed_instances", "recovery_services_vaults", "web_sites"):
        got = _listed_with_failed_detail(kind_name)
        assert got and set(got.values()) == {"unknown"}, (kind_name, got)


def _vault(location: str, **props: object) -> ServiceResource:
    rid = (f"/subscriptions/{SUB}/resourcegroups/rg/providers/"
           f"microsoft.recoveryservices/vaults/v-{location}")
    return ServiceResource(id=rid, name=f"v-{location}", type="microsoft.recoveryservices/vaults",
                           location=location, subscription_id=SUB, props=dict(props))


def test_backup_copies_follow_the_vaults_region_and_are_unknown_without_the_regions() -> None:
    vaults = [_vault("eastus", storage_redundancy="GeoRedundant"),
              _vault("westeurope", storage_redundancy="LocallyRedundant"),
              _vault("eastus2euap", storage_redundancy="GeoRedundant"),
              _vault("westus")]  # redundancy not reported: taken as geo, still the US pair
    check = "recovery_services_vault_backup_copies_in_us"
    got = statuses(check, inventory(services={"recovery_services_vaults": vaults}))
    assert [got[v.id] for v in vaults] == [Status.PASS, Status.FAIL, Status.FAIL, Status.PASS]
    # Without the regions list the built-in region table decides (scanner.regions); a
    # region in neither is unknown, never "not a US region".
    blind = statuses(check, inventory(services={"recovery_services_vaults": vaults}, regions=[]))
    assert [blind[v.id] for v in vaults] == [Status.PASS, Status.FAIL, Status.FAIL, Status.PASS]
    nowhere = _vault("usmoonbase1", storage_redundancy="GeoRedundant")
    unknown = statuses(check, inventory(services={"recovery_services_vaults": [nowhere]},
                                        regions=[]))
    assert unknown == {nowhere.id: Status.UNKNOWN}


def test_a_managed_instance_without_its_public_endpoint_flag_is_unknown() -> None:
    rid = f"/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.sql/managedinstances/mi"
    mi = ServiceResource(id=rid, name="mi", type="microsoft.sql/managedinstances",
                         location="eastus", subscription_id=SUB, props={})
    got = statuses("sql_managed_instance_public_network_disabled",
                   inventory(services={"sql_managed_instances": [mi]}))
    assert got == {rid: Status.UNKNOWN}


def _item(arm_type: str, name: str, **props: object) -> ServiceResource:
    rid = f"/subscriptions/{SUB}/resourcegroups/rg/providers/{arm_type}/{name}".lower()
    return ServiceResource(id=rid, name=name, type=arm_type.lower(), location="eastus",
                           subscription_id=SUB, props=dict(props))


def test_aks_pools_not_reported_are_unknown_and_one_pool_without_the_flag_fails() -> None:
    aks = "Microsoft.ContainerService/managedClusters"
    blind = _item(aks, "blind")
    mixed = _item(aks, "mixed", agent_pools=[
        {"name": "system", "enableEncryptionAtHost": True}, {"name": "user"}])
    got = statuses("aks_cluster_encryption_at_host",
                   inventory(services={"aks_clusters": [blind, mixed]}))
    assert got == {blind.id: Status.UNKNOWN, mixed.id: Status.FAIL}


def test_a_scale_set_on_a_disk_encryption_set_outside_the_scan_is_unknown() -> None:
    des = (f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/"
           "diskEncryptionSets/elsewhere")
    vmss = _item("Microsoft.Compute/virtualMachineScaleSets", "v",
                 os_disk_des=des, data_disks=[{"lun": 0, "managedDisk": {
                     "diskEncryptionSet": {"id": des}}}])
    got = statuses("vm_scale_set_cmk_encryption", inventory(services={"vm_scale_sets": [vmss]}))
    assert got == {vmss.id: Status.UNKNOWN}


def test_aks_kms_enabled_without_a_key_is_unknown() -> None:
    aks = _item("Microsoft.ContainerService/managedClusters", "k",
                kms_enabled=True)
    got = statuses("aks_cluster_kms_encryption", inventory(services={"aks_clusters": [aks]}))
    assert got == {aks.id: Status.UNKNOWN}
