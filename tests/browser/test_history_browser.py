"""The HTML report's History section in a real browser (headless Chromium).

Eight daily runs of the demo tenant, its failing findings fixed a few at a time (and a
regression on the way), recorded into a history; the last run's report must draw the
trend (a line per step, new/resolved bars per run) and list the changes. The docs
screenshot (docs/screenshots/html-history-trend.png) is written when missing or when
CJIS_SCAN_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import base64
import os
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scanner.config import ScanConfig
from scanner.engine import Scoreboard
from scanner.findings import Finding, Status
from scanner.history.scanhook import attach_history
from scanner.report import FindingStore, ScanResult
from scanner.reporters.html_report import FILENAME, write_html
from scanner.scan import run_judgement
from scanner.sources import Source, load_inventory
from tests.browser.cdp import Browser

ROOT = Path(__file__).resolve().parents[2]
DOCS_SCREENSHOT = ROOT / "docs" / "screenshots" / "html-history-trend.png"
RUNS = 8


def with_findings(template: ScanResult, findings: list[Finding], day: int) -> ScanResult:
    board = Scoreboard()
    board.extend(findings)
    started = datetime(2026, 11, 20, 6, 17, tzinfo=UTC) + timedelta(days=day)
    meta = replace(template.meta, started_at=started, finished_at=started + timedelta(
        seconds=40))
    return ScanResult(meta=meta, framework=template.framework,
                      findings=FindingStore(template.framework, findings), scoreboard=board,
                      errors=template.errors)


@pytest.fixture(scope="module")
def history_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("history-html")
    inventory = load_inventory(Source(demo=True), "commercial", [], 4)
    template = run_judgement(inventory, ScanConfig(), datetime.now(UTC), "demo")
    findings = list(template.findings)
    failing = [i for i, f in enumerate(findings) if f.status is Status.FAIL]
    passing = [i for i, f in enumerate(findings) if f.status is Status.PASS]
    target = str(tmp / "history.sqlite")
    result = template
    for day in range(RUNS):
        current = list(findings)
        for i in failing[: day * 5]:  # five more fixed each day
            current[i] = current[i]._replace(status=Status.PASS, reason="fixed")
        if day in (3, 4):  # a regression that is fixed again
            for i in passing[:6]:
                current[i] = current[i]._replace(status=Status.FAIL, reason="drifted")
        result = with_findings(template, current, day)
        attach_history(result, target, None, exit_code=1)
    path = tmp / FILENAME
    with path.open("w", encoding="utf-8") as stream:
        write_html(result, stream)
    return path


def test_the_trend_is_drawn_and_the_changes_listed(browser: Browser,
                                                   history_report: Path) -> None:
    browser.open(history_report.as_uri())
    browser.wait_until("document.body.dataset.ready === '1'")
    drawn = browser.evaluate("""(() => {
      const svg = document.querySelector('section.history svg.trend');
      const box = svg.getBoundingClientRect();
      return {width: box.width, height: box.height,
              lines: svg.querySelectorAll('g.trend-step polyline').length,
              runs: svg.querySelectorAll('g.trend-run').length,
              lists: [...document.querySelectorAll('section.history details summary')]
                .map(s => s.textContent.trim())};
    })()""")
    assert drawn["width"] > 600 and drawn["height"] > 150
    assert drawn["lines"] >= 6 and drawn["runs"] == RUNS
    assert any(text.startswith("Resolved: 5") for text in drawn["lists"]), drawn["lists"]
    thrown = browser.events_named("Runtime.exceptionThrown")
    assert not thrown
    box = browser.evaluate("""(() => {
      const s = document.querySelector('section.history');
      s.scrollIntoView();
      const r = s.getBoundingClientRect();
      return {x: r.x, y: r.y + window.scrollY, width: r.width,
              height: Math.min(r.height, 760)};
    })()""")
    data = browser.call("Page.captureScreenshot", {"format": "png", "clip": {
        **box, "scale": 1}, "captureBeyondViewport": True})["data"]
    shot = history_report.parent / "history.png"
    shot.write_bytes(base64.b64decode(data))
    assert shot.read_bytes().startswith(b"\x89PNG")
    if not DOCS_SCREENSHOT.exists() or os.environ.get("CJIS_SCAN_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(shot, DOCS_SCREENSHOT)
