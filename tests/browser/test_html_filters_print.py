"""The HTML report's check and resource-group filters, its roll-up by check, remediation
commands filled with the finding's names and a portal link, and its print view.

The docs screenshots (docs/screenshots/html-print.png, packet-sections.png) are written
when missing or when CJIS_SCAN_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from tests.browser.cdp import Browser
from tests.browser.test_html_browser import (
    READY,
    ROOT,
    demo_report,  # noqa: F401 - a fixture
    matches,
    no_page_errors,
    set_filter,
)

PRINT_SCREENSHOT = ROOT / "docs" / "screenshots" / "html-print.png"
PACKET_SCREENSHOT = ROOT / "docs" / "screenshots" / "packet-sections.png"
ADMINS_SCREENSHOT = ROOT / "docs" / "screenshots" / "packet-key-administrators.png"
ROLLUP = """(() => [...document.querySelectorAll('#by-check tr')].map(tr =>
  [...tr.children].map(td => td.textContent)))()"""


def _update(path: Path) -> bool:
    return not path.exists() or os.environ.get("CJIS_SCAN_UPDATE_SCREENSHOTS") == "1"


def test_filters_by_check_and_resource_group_and_rolls_up_by_check(
        browser: Browser, demo_report: Path) -> None:  # noqa: F811
    browser.events.clear()
    browser.open(demo_report.as_uri())
    browser.wait_until(READY)
    rollup = browser.evaluate(ROLLUP)
    cmk = next(r for r in rollup if r[0] == "storage_account_cmk_encryption")
    assert cmk[1] == "2"  # two failing storage accounts in the demo
    set_filter(browser, "f-check", "storage_account_cmk_encryption")
    by_check = matches(browser)
    assert by_check == sum(int(c) for c in cmk[1:] if c != "·")
    groups = browser.evaluate("[...document.getElementById('f-group').options].map(o => o.value)")
    assert "rg-cjis-data" in groups
    set_filter(browser, "f-group", "rg-cjis-data")
    both = matches(browser)
    assert 0 < both <= by_check
    rows = browser.evaluate("[...document.querySelectorAll('#rows tr.row')].map(r => r.title"
                            " || r.querySelector('.cell-res').title)")
    assert all("/resourcegroups/rg-cjis-data/" in r.lower() for r in rows)
    assert "check=storage_account_cmk_encryption" in browser.evaluate("location.hash")
    no_page_errors(browser)


def test_remediation_is_filled_with_the_finding_s_names_and_links_the_portal(
        browser: Browser, demo_report: Path) -> None:  # noqa: F811
    browser.open(demo_report.as_uri())
    browser.wait_until(READY)
    set_filter(browser, "f-check", "storage_account_https_only")
    set_filter(browser, "f-status", "fail")
    browser.evaluate("document.querySelector('#rows tr.row').click()")
    detail = browser.evaluate("""(() => {
      const d = document.querySelector('tr.detail');
      const a = d.querySelector('.portal a');
      return {cli: d.querySelector('pre.cli').textContent, portal: a && a.href,
              resource: document.querySelector('#rows tr.row .cell-res').title};
    })()""")
    name = detail["resource"].rstrip("/").rsplit("/", 1)[-1]
    group = detail["resource"].split("/")[4]
    assert f"--name {name}" in detail["cli"] and f"--resource-group {group}" in detail["cli"]
    assert "<account>" not in detail["cli"] and "<rg>" not in detail["cli"]
    assert detail["portal"].startswith("https://portal.azure.com/#@")
    assert detail["portal"].lower().endswith(detail["resource"].lower())


def test_the_print_view_shows_the_tenant_and_whole_cells(browser: Browser,
                                                         demo_report: Path,  # noqa: F811
                                                         tmp_path: Path) -> None:
    browser.open(demo_report.as_uri())
    browser.wait_until(READY)
    browser.call("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        state = browser.evaluate("""(() => {
          const header = document.querySelector('.print-header');
          const cell = document.querySelector('#rows .cell-reason span');
          const style = getComputedStyle(cell);
          return {header: getComputedStyle(header).display, text: header.textContent,
                  filters: getComputedStyle(document.getElementById('filters')).display,
                  overflow: style.overflow, clamp: style.webkitLineClamp,
                  whiteSpace: getComputedStyle(document.querySelector('#rows td')).whiteSpace};
        })()""")
        assert state["header"] == "block" and "tenant 3b7e9c1d" in state["text"]
        assert state["filters"] == "none"
        assert state["overflow"] == "visible" and state["clamp"] in ("none", "", "unset")
        assert state["whiteSpace"] == "normal"
        set_filter(browser, "f-step", "2")
        browser.evaluate("document.getElementById('findings').scrollIntoView()")
        shot = browser.screenshot(tmp_path / "print.png")
        pdf = browser.call("Page.printToPDF", {"printBackground": True})["data"]
        assert base64.b64decode(pdf)[:4] == b"%PDF"
        if _update(PRINT_SCREENSHOT):
            PRINT_SCREENSHOT.write_bytes(shot.read_bytes())
    finally:
        browser.call("Emulation.setEmulatedMedia", {"media": ""})


def test_packet_sections_screenshot(browser: Browser, tmp_path: Path) -> None:
    from tests.cli.test_scan_cli import cli

    assert cli("scan", "--demo", "-q", "--format", "packet", "-o", str(tmp_path)).exit_code == 1
    page = tmp_path / "cjis-scan-audit-packet.html"
    browser.open(page.as_uri())
    for number, target in (("9.", PACKET_SCREENSHOT), ("3.", ADMINS_SCREENSHOT)):
        found = browser.evaluate(f"""(() => {{
          const h = [...document.querySelectorAll('h2')]
            .find(e => e.textContent.startsWith({number!r}));
          if (h) {{ h.scrollIntoView(); }}
          return Boolean(h);
        }})()""")
        assert found, number
        shot = browser.screenshot(tmp_path / f"packet-{number}png")
        assert shot.stat().st_size > 10_000
        if _update(target):
            target.write_bytes(shot.read_bytes())
