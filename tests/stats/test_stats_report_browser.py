"""The HTML report in a real Chromium: it draws its chart and tables from the file alone (no
request leaves the page, no script), fits a phone's width, and leaves a screenshot in
test-artifacts/stats/report.png to look at."""

from __future__ import annotations

import pytest

from shared.targets import PROJECT_ROOT
from devstack.browser import launch_chromium
from stats.cli import StatsRequest, run_stats
from tests.stats.conftest import TODAY

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "stats"


@pytest.mark.e2e
@pytest.mark.slow
def test_the_report_renders_alone_in_chromium(simulated_table, tmp_path, capsys):
    from playwright.sync_api import sync_playwright

    report = tmp_path / "report.html"
    assert run_stats(StatsRequest(today=TODAY, format="html", html_path=report)) == 0
    capsys.readouterr()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            for name, width in (("report.png", 1000), ("report-phone.png", 390)):
                page = browser.new_page(viewport={"width": width, "height": 900}, java_script_enabled=False)
                requests, errors = [], []
                page.on("request", lambda request: requests.append(request.url))
                page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
                page.goto(report.as_uri())
                bars = page.locator("svg rect")
                assert bars.count() == 30
                assert bars.nth(29).bounding_box()["height"] > 0  # today's bar is drawn
                assert page.locator("table").first.locator("tbody tr").count() >= 4
                assert requests == [report.as_uri()] and errors == []
                for part in ("svg", "table"):  # nothing wider than the screen
                    box = page.locator(part).first.bounding_box()
                    assert box["x"] >= 0 and box["x"] + box["width"] <= width, (name, part, box)
                page.screenshot(path=str(ARTIFACTS / name), full_page=True)
                page.close()
        finally:
            browser.close()
