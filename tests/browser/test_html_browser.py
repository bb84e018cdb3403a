"""The HTML report in a real browser: headless Chromium at 1280x800.

The demo tenant's report (written by the CLI) must draw its charts, fill its table and
filter it by status, step, severity and text; a 50,000-finding report must open and
filter within a few seconds. Screenshots go under pytest's tmp dir; the docs screenshot
(docs/screenshots/html-report.png) is written when it is missing or when
CJIS_SCAN_UPDATE_SCREENSHOTS=1, so a test run does not dirty the work tree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from scanner.reporters.html_report import FILENAME, PAGE_SIZE, write_html
from tests.browser.cdp import Browser
from tests.reporters.test_html import large_result

ROOT = Path(__file__).resolve().parents[2]
DOCS_SCREENSHOT = ROOT / "docs" / "screenshots" / "html-report.png"
DOCS_FINDINGS_SCREENSHOT = ROOT / "docs" / "screenshots" / "html-report-findings.png"

OPEN_LIMIT = 15.0
"""Seconds for the 50,000-finding report to load and draw its first page."""
FILTER_LIMIT = 2.0
"""Seconds for one filter over 50,000 findings, the CDP round trip included."""

READY = "document.body.dataset.ready === '1'"
COUNTS = """(() => {
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const steps = Object.fromEntries(data.rules.map((r, i) => [i, r[3]]));
  const count = (pred) => data.findings.filter(pred).length;
  return {
    total: data.findings.length,
    fail: count(f => f[1] === 'fail'),
    step2: count(f => steps[f[0]] === '2'),
    step2fail: count(f => steps[f[0]] === '2' && f[1] === 'fail'),
    critical: count(f => f[2] === 'critical'),
  };
})()"""
ROWS = """(() => [...document.querySelectorAll('#rows tr.row')].map(tr => ({
  status: tr.dataset.status, step: tr.dataset.step,
  text: tr.textContent})))()"""


def set_filter(browser: Browser, control: str, value: str) -> float:
    """Set one filter control as a user would and return the wall-clock seconds taken."""
    started = time.perf_counter()
    browser.evaluate(f"""(() => {{
      const c = document.getElementById({control!r});
      c.value = {value!r};
      if (c.tagName === 'SELECT') {{ c.dispatchEvent(new Event('change', {{bubbles: true}})); }}
      else {{ document.getElementById('filters').requestSubmit(); }}
    }})()""")
    return time.perf_counter() - started


def matches(browser: Browser) -> int:
    return int(browser.evaluate("Number(document.body.dataset.matches)"))


def no_page_errors(browser: Browser) -> None:
    thrown = browser.events_named("Runtime.exceptionThrown")
    assert not thrown, thrown[0]["params"]["exceptionDetails"]
    urls = [e["params"]["request"]["url"] for e in browser.events_named(
        "Network.requestWillBeSent")]
    fetched = [u for u in urls if not u.startswith(("file:", "data:", "about:"))]
    assert not fetched, f"the report fetched {fetched}"
    logs = [e["params"] for e in browser.events_named("Runtime.consoleAPICalled")
            if e["params"].get("type") == "error"]
    assert not logs, logs


def save_screenshot(browser: Browser, path: Path, docs_copy: Path) -> None:
    browser.screenshot(path)
    assert path.read_bytes().startswith(b"\x89PNG")
    if not docs_copy.exists() or os.environ.get("CJIS_SCAN_UPDATE_SCREENSHOTS") == "1":
        docs_copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, docs_copy)


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo tenant's HTML report, written by the CLI in a subprocess."""
    out = tmp_path_factory.mktemp("demo-html")
    run = subprocess.run(
        [sys.executable, "-c", "from scanner.cli import main; main()", "scan", "--demo",
         "--format", "html", "--output", str(out), "--quiet"],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    path = out / FILENAME
    assert path.is_file(), f"exit {run.returncode}: {run.stdout}{run.stderr}"
    return path


@pytest.fixture(scope="module")
def big_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big-html") / FILENAME
    with path.open("w", encoding="utf-8", newline="\n") as stream:
        write_html(large_result(), stream)
    return path


def test_demo_report_draws_charts_table_and_filters(browser: Browser, demo_report: Path,
                                                    tmp_path: Path) -> None:
    browser.events.clear()
    browser.open(demo_report.as_uri())
    browser.wait_until(READY)
    no_page_errors(browser)
    counts: dict[str, int] = browser.evaluate(COUNTS)
    assert counts["total"] > 100 and counts["fail"] > 0

    # Charts: the donut's arcs and the step bars are drawn with a size and a colour.
    charts: dict[str, Any] = browser.evaluate("""(() => {
      const seen = el => {
        const b = el.getBoundingClientRect();
        return b.width > 0 && b.height > 0;
      };
      const arcs = [...document.querySelectorAll('svg.donut circle.seg')];
      const bars = [...document.querySelectorAll('.step-row svg rect.seg')];
      return {
        arcs: arcs.filter(seen).length,
        arcColours: new Set(arcs.map(a => getComputedStyle(a).stroke)).size,
        bars: bars.filter(seen).length,
        stepRows: document.querySelectorAll('.step-row').length,
        severityBars: [...document.querySelectorAll('rect.sevbar')].filter(seen).length,
      };
    })()""")
    assert charts["arcs"] >= 3 and charts["arcColours"] == charts["arcs"]
    assert charts["stepRows"] >= 5 and charts["bars"] >= charts["stepRows"]
    assert charts["severityBars"] >= 1

    # The table: the first page of rows, fail rows first by default.
    rows = browser.evaluate(ROWS)
    assert len(rows) == min(counts["total"], PAGE_SIZE)
    assert rows[0]["status"] == "fail"

    # Status = fail leaves only (and all) the failing findings.
    set_filter(browser, "f-status", "fail")
    rows = browser.evaluate(ROWS)
    assert {r["status"] for r in rows} == {"fail"}
    assert matches(browser) == counts["fail"]
    assert len(rows) == min(counts["fail"], PAGE_SIZE)

    # Step 2 alone, then step 2 and fail together.
    set_filter(browser, "f-status", "")
    set_filter(browser, "f-step", "2")
    rows = browser.evaluate(ROWS)
    assert {r["step"] for r in rows} == {"2"} and len(rows) == min(counts["step2"], PAGE_SIZE)
    set_filter(browser, "f-status", "fail")
    rows = browser.evaluate(ROWS)
    assert {(r["step"], r["status"]) for r in rows} == {("2", "fail")}
    assert len(rows) == min(counts["step2fail"], PAGE_SIZE)

    # Text search narrows to the rows that mention it.
    set_filter(browser, "f-text", "legacy")
    rows = browser.evaluate(ROWS)
    assert rows and all("legacy" in r["text"].lower() for r in rows)
    assert matches(browser) < counts["step2fail"]

    # Opening a row shows its reason, evidence (JSON) and remediation with a docs link.
    detail: dict[str, Any] = browser.evaluate("""(() => {
      document.querySelector('#rows tr.row').click();
      const d = document.querySelector('#rows tr.detail');
      const link = d.querySelector('a');
      return {evidence: d.querySelector('pre.evidence').textContent,
              href: link && link.href, rel: link && link.rel,
              headings: [...d.querySelectorAll('h3')].map(h => h.textContent)};
    })()""")
    assert detail["headings"][:3] == ["Reason", "Finding", "Remediation"]
    assert "Evidence" in detail["headings"]
    assert isinstance(json.loads(detail["evidence"]), dict)
    assert detail["href"].startswith("https://") and "noopener" in detail["rel"]

    # A click on a chart filters too: the "Fail" legend entry, then step 2's bar.
    browser.evaluate("document.getElementById('filters').reset()")
    browser.wait_until("Number(document.body.dataset.matches) === "
                       f"{counts['total']}")
    browser.evaluate("document.querySelector('.legend-item[data-status=fail]').click()")
    assert matches(browser) == counts["fail"]
    browser.evaluate("document.querySelector('.step-row[data-step=\"2\"]').click()")
    assert matches(browser) == counts["step2fail"]
    no_page_errors(browser)

    # Screenshots: the top of the page (masthead, scan, charts) and the failing findings
    # with one opened.
    browser.evaluate("document.getElementById('filters').reset()")
    browser.wait_until(f"Number(document.body.dataset.matches) === {counts['total']}")
    browser.evaluate("window.scrollTo(0, 0)")
    save_screenshot(browser, tmp_path / "html-report.png", DOCS_SCREENSHOT)
    set_filter(browser, "f-status", "fail")
    browser.evaluate("""(() => {
      document.querySelector('#rows tr.row').click();
      document.getElementById('findings').scrollIntoView();
    })()""")
    save_screenshot(browser, tmp_path / "html-report-findings.png", DOCS_FINDINGS_SCREENSHOT)


def test_fifty_thousand_findings_open_and_filter(browser: Browser, big_report: Path,
                                                 record_property: Any) -> None:
    browser.events.clear()
    started = time.perf_counter()
    browser.open(big_report.as_uri(), timeout=60)
    browser.wait_until(READY, timeout=60)
    opened = time.perf_counter() - started
    no_page_errors(browser)
    counts: dict[str, int] = browser.evaluate(COUNTS)
    assert counts["total"] == 50_001
    assert len(browser.evaluate(ROWS)) == PAGE_SIZE

    # "Show more" draws the next page only.
    browser.evaluate("document.getElementById('show-more').click()")
    assert len(browser.evaluate(ROWS)) == 2 * PAGE_SIZE

    timings = {"open": opened}
    timings["status=fail"] = set_filter(browser, "f-status", "fail")
    assert matches(browser) == counts["fail"]
    assert {r["status"] for r in browser.evaluate(ROWS)} == {"fail"}
    timings["step=2"] = set_filter(browser, "f-step", "2")
    assert matches(browser) == counts["step2fail"]
    timings["severity=critical"] = set_filter(browser, "f-severity", "critical")
    browser.evaluate("document.getElementById('filters').reset()")
    browser.wait_until("Number(document.body.dataset.matches) === 50001")
    timings["text (first search builds the index)"] = set_filter(browser, "f-text", "st000042")
    assert matches(browser) == 1
    assert "st000042" in browser.evaluate(ROWS)[0]["text"]
    timings["sort=severity"] = set_filter(browser, "f-sort", "severity")
    browser.evaluate("document.getElementById('filters').reset()")
    browser.wait_until("Number(document.body.dataset.matches) === 50001")
    timings["all again"] = set_filter(browser, "f-status", "")
    no_page_errors(browser)

    size = big_report.stat().st_size
    record_property("browser_50k_bytes", size)
    for name, seconds in timings.items():
        record_property(f"browser_50k_{name}", round(seconds, 3))
    print(f"\n50,001 findings, {size / 1e6:.1f} MB: "
          + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in timings.items()))
    assert opened < OPEN_LIMIT, timings
    slow = {k: v for k, v in timings.items() if k != "open" and v > FILTER_LIMIT}
    assert not slow, timings
