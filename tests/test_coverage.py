"""Coverage: every resource type present is reported with what judged it; nothing silent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scanner.collectors.runner import collect
from scanner.config import ScanConfig
from scanner.coverage import JUDGED, NO_DATA, NOT_ASSESSABLE_STATE, NOT_ASSESSED
from scanner.inventory import Inventory
from scanner.replay import CassetteTransport, demo_cassette
from scanner.scan import run_judgement
from tests.cli.test_scan_cli import cli
from tests.conftest import factory_for


@pytest.fixture(scope="module")
def demo_inventory() -> Inventory:
    factory = factory_for([])
    factory.transport = CassetteTransport.from_file(demo_cassette())  # type: ignore[misc]
    return collect(factory, None, 4)


def _rows(inventory: Inventory, **config: object) -> dict[str, object]:
    result = run_judgement(inventory, ScanConfig(**config), datetime.now(UTC), "demo")
    return {row.resource_type: row for row in result.coverage}


def test_every_type_present_is_listed_with_its_count(demo_inventory: Inventory) -> None:
    rows = _rows(demo_inventory)
    present = {r.type for r in demo_inventory.resources}
    assert present <= set(rows)
    assert rows["microsoft.storage/storageaccounts"].count == len(demo_inventory.storage_accounts)


def test_cmk_states(demo_inventory: Inventory) -> None:
    rows = _rows(demo_inventory)
    assert rows["microsoft.storage/storageaccounts"].at_rest == JUDGED
    assert rows["microsoft.dbforpostgresql/flexibleservers"].at_rest == JUDGED
    assert rows["microsoft.web/sites"].at_rest == NOT_ASSESSABLE_STATE
    assert "attest" in rows["microsoft.web/sites"].note
    assert rows["microsoft.healthcareapis/services"].at_rest == NOT_ASSESSED
    assert rows["microsoft.network/networksecuritygroups"].at_rest == NO_DATA
    assert "1" in rows["microsoft.network/networksecuritygroups"].sections


def test_a_store_nothing_selected_judges_is_not_assessed(demo_inventory: Inventory) -> None:
    # Only step 1 selected: no customer-managed-key check ran, so no store is "judged".
    rows = _rows(demo_inventory, steps=["1"])
    assert rows["microsoft.storage/storageaccounts"].at_rest == NOT_ASSESSED
    assert rows["microsoft.storage/storageaccounts"].sections == ("1",)


def test_the_json_report_carries_coverage(tmp_path: Path) -> None:
    assert cli("scan", "--demo", "--format", "json", "--output", str(tmp_path),
               "--quiet").exit_code == 1
    document = json.loads((tmp_path / "cjis-scan-report.json").read_text())
    by_type = {row["resource_type"]: row for row in document["coverage"]}
    assert by_type["microsoft.healthcareapis/services"]["cmk"] == "not_assessed"
    assert by_type["microsoft.web/sites"]["cmk"] == "not_assessable"


def test_the_html_report_lists_each_type_with_its_count_sections_and_cmk_state(
        tmp_path: Path, demo_inventory: Inventory) -> None:
    import html
    import re

    assert cli("scan", "--demo", "--format", "html", "--output", str(tmp_path),
               "--quiet").exit_code == 1
    page = (tmp_path / "cjis-scan-report.html").read_text()
    table = page[page.index('id="coverage-heading"'):]
    table = table[:table.index("</table>")]
    rows = {}
    for row in re.findall(r"<tr class=\"coverage-[a-z_]+\".*?</tr>", table, re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>", " ", c)).split()
                 for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows[cells[0][0]] = (" ".join(cells[1]), " ".join(cells[2]), " ".join(cells[3]))
    accounts = len(demo_inventory.storage_accounts)
    fhir = sum(1 for r in demo_inventory.resources if r.type == "microsoft.healthcareapis/services")
    count, sections, state = rows["microsoft.healthcareapis/services"]
    assert fhir and count == str(fhir) and state.startswith("not assessed")
    assert "2" not in sections.split(", ")  # no customer-managed-key step judged it
    count, sections, state = rows["microsoft.storage/storageaccounts"]
    assert (count, state) == (str(accounts), "judged") and "2" in sections.split(", ")
    assert rows["microsoft.web/sites"][2].startswith("not assessable through ARM: attest")
    assert set(rows) >= {r.type for r in demo_inventory.resources}
