"""The widget's cost to a reader: ``counter.js`` bytes (raw and gzipped), requests per page view
and layout shift, from a real Chromium reading pages of the local stack.

One visitor (one browser context) reads several pages in a row. Requests are counted at the
local edge itself, so a script served from the browser's cache does not count and a conditional
revalidation does. The anchor is the same visitor reading the same pages with the counter's
script and API blocked: the page as it would be without the widget. CLS is the sum of
``layout-shift`` entries (without recent input) from navigation until the count is shown.

Run alone: ``python -m bench.widget_budget [--quick] [--views N]``.
"""

from __future__ import annotations

import gzip
import json
import os
import statistics
import tempfile
from collections import Counter
from contextlib import redirect_stdout
from pathlib import Path

from bench.cli import run_alone
from bench.moto_server import local_stack
from bench.table import Row
from devstack.browser import launch_chromium

QUICK = {"views": 4}
FULL = {"views": 8}
GZIP_BUDGET = 1024
SCRIPT_PREFIX = "js/counter."
# Injected before any page script: sums layout shifts the way CLS does (ignoring input-caused ones).
CLS_OBSERVER = """
window.__cls = 0;
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (entry) { if (!entry.hadRecentInput) window.__cls += entry.value; });
}).observe({type: "layout-shift", buffered: true});
"""
SETTLE = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 100))))"


class EdgeCounter:
    """Counts what reaches the edge: API calls, and every object fetched from the bucket."""

    def __init__(self, edge) -> None:
        self.calls: Counter[str] = Counter()
        origin_get, api_handler = edge.origin.get, edge.app.api_handler

        def counted_get(key, *args, **kwargs):
            self.calls["script" if key.startswith(SCRIPT_PREFIX) else "site"] += 1
            return origin_get(key, *args, **kwargs)

        def counted_api(event, context):
            self.calls["api"] += 1
            return api_handler(event, context)

        edge.origin.get = counted_get
        edge.app.api_handler = counted_api

    def take(self) -> Counter[str]:
        taken, self.calls = self.calls, Counter()
        return taken


def _script_sizes(output: Path) -> tuple[str, int, int]:
    script = next((output / "js").glob("counter.*.js"))
    data = script.read_bytes()
    return script.name, len(data), len(gzip.compress(data, compresslevel=9, mtime=0))


def _read_pages(browser, base_url: str, paths: list[str], counter_on: bool) -> list[float]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    try:
        if not counter_on:
            context.route("**/api/**", lambda route: route.abort())
            context.route("**/js/counter.*.js", lambda route: route.abort())
        context.add_init_script(CLS_OBSERVER)
        page = context.new_page()
        shifts = []
        for path in paths:
            page.goto(base_url + path, wait_until="load")
            if counter_on:
                page.wait_for_selector(".visitor-counter.is-loaded", timeout=10_000)
            page.evaluate(SETTLE)
            shifts.append(page.evaluate("window.__cls"))
        return shifts
    finally:
        context.close()


def run(views: int) -> list[Row]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-widget-") as scratch:
        output = Path(scratch) / "output"
        with local_stack(output) as (_, stack), sync_playwright() as playwright:
            name, raw, gzipped = _script_sizes(output)
            keys = json.loads((output / "counter-pages.json").read_text(encoding="utf-8"))
            # A reader's path through the site: the home page, then posts and other pages.
            paths = (["/"] + sorted(k for k in keys if k != "/"))[:views]
            edge = EdgeCounter(stack.edge)
            browser = launch_chromium(playwright)
            try:
                with open(os.devnull, "w") as devnull, redirect_stdout(devnull):  # handler logs
                    anchor_shifts = _read_pages(browser, stack.url, paths, counter_on=False)
                    anchor_calls = edge.take()
                    shifts = _read_pages(browser, stack.url, paths, counter_on=True)
                    calls = edge.take()
            finally:
                browser.close()

    n = len(paths)
    widget_requests = calls["api"] + calls["script"]
    with_widget = sum(calls.values()) / n
    without = sum(anchor_calls.values()) / n
    cls, anchor_cls = max(shifts), max(anchor_shifts)
    return [
        Row(
            "Widget: counter.js size",
            f"{gzipped:,} B gzipped ({raw:,} B raw, {name})",
            f"budget: {GZIP_BUDGET:,} B gzipped",
            gzipped / GZIP_BUDGET,
            "≤ 1 KiB gzipped",
            gzipped <= GZIP_BUDGET,
        ),
        Row(
            f"Widget: requests per page view ({n} pages, one visitor)",
            f"{widget_requests / n:.2f} widget requests/view ({calls['api']} API + "
            f"{calls['script']} script fetch); {with_widget:.2f} in all",
            f"counter blocked: {without:.2f} requests/view in all",
            with_widget / without,
            "1 API request per view, script fetched once",
            calls["api"] == n and calls["script"] <= 1 and anchor_calls["api"] == 0,
        ),
        Row(
            f"Widget: CLS (worst of {n} pages)",
            f"{cls:.4f} (mean {statistics.mean(shifts):.4f})",
            f"counter blocked: {anchor_cls:.4f}",
            cls / anchor_cls if anchor_cls else None,
            "0",
            cls == 0,
        ),
    ]


if __name__ == "__main__":
    run_alone(run, QUICK, FULL, __doc__)
