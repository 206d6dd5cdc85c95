"""A reader's browser against the whole local stack: bucket -> edge -> /api/* -> handler -> DynamoDB."""

from __future__ import annotations

import http.client
import json
import re
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.config import Config

pytestmark = pytest.mark.e2e

COUNT = re.compile(r"^\d[\d,.\u202f\u00a0]*$")
CLS_OBSERVER = """
window.__cls = 0;
window.__shifted = [];
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) {
    if (entry.hadRecentInput) continue;
    window.__cls += entry.value;
    for (const source of entry.sources || []) {
      const node = source.node;
      window.__shifted.push(node && node.nodeType === 1 ? node.tagName + "." + node.className : String(node));
    }
  }
}).observe({type: "layout-shift", buffered: true});
"""


def shown_count(page) -> int:
    value = page.locator(".visitor-counter.is-loaded .visitor-counter__value")
    value.wait_for(timeout=10_000)
    text = value.inner_text().strip()
    assert COUNT.match(text), text
    return int(re.sub(r"\D", "", text))


def api_get(stack, key: str) -> dict:
    with urllib.request.urlopen(f"{stack.url}/api/hits?path={urllib.parse.quote(key)}") as response:
        return json.load(response)


def test_each_view_counts_once_per_page_and_the_site_total_rises(stack, watched):
    page = watched.page
    page.goto(f"{stack.url}/posts/counting-visitors-without-cookies/")
    first = shown_count(page)
    assert first >= 1
    page.reload()
    assert shown_count(page) == first + 1

    page.goto(f"{stack.url}/posts/publishing-by-content-hash/")
    other = shown_count(page)
    assert other == api_get(stack, "/posts/publishing-by-content-hash/")["views"]
    assert api_get(stack, "/posts/counting-visitors-without-cookies/")["views"] == first + 1

    page.goto(f"{stack.url}/")
    site_before = shown_count(page)
    page.goto(f"{stack.url}/about/")
    shown_count(page)
    page.goto(f"{stack.url}/")
    assert shown_count(page) == site_before + 2, "the home page shows the site total: about + home"
    assert watched.page_errors == []


def test_count_appears_without_layout_shift_and_one_api_request_per_view(stack, watched, artifacts):
    page = watched.page
    page.add_init_script(CLS_OBSERVER)
    page.goto(f"{stack.url}/posts/why-s3-and-cloudfront/")
    count = shown_count(page)
    page.wait_for_timeout(300)  # let any late shift be observed
    assert page.evaluate("window.__cls") == 0, page.evaluate("window.__shifted")
    assert watched.api_requests == [f"POST {stack.url}/api/hits"]
    page.screenshot(path=str(artifacts / "post-with-count.png"))
    assert watched.console == [], "a normal view logs nothing (CSP violations, missing files)"
    assert count >= 1
    page.reload()
    shown_count(page)
    assert len(watched.api_requests) == 2


def test_api_failure_leaves_a_neutral_placeholder_and_no_script_error(stack, watched, monkeypatch):
    from counter_lambda import handler as counter_handler

    # DynamoDB unreachable: the real handler answers 503 through the real edge.
    dead = boto3.client(
        "dynamodb", endpoint_url="http://127.0.0.1:9", region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=1),
    )
    counter_handler.configure(client=dead)
    try:
        page = watched.page
        response = page.goto(f"{stack.url}/posts/pretty-urls-with-cloudfront-functions/")
        assert response.status == 200
        api = page.wait_for_event("response", lambda r: "/api/hits" in r.url, timeout=10_000)
        assert api.status == 503
        page.wait_for_timeout(300)
        placeholder = page.locator(".visitor-counter")
        assert placeholder.inner_text().strip().endswith("\u2014")
        assert "is-loaded" not in placeholder.get_attribute("class")
        assert page.locator("article h1").inner_text() == "Pretty URLs with a CloudFront Function"
    finally:
        counter_handler.configure(client=stack.dynamodb)
    assert watched.page_errors == []
    assert watched.script_console_lines(f"{stack.url}/api/hits") == []


@pytest.mark.parametrize("context", [{"java_script_enabled": False}], indirect=True)
def test_page_is_fully_readable_without_javascript(stack, watched):
    page = watched.page
    page.goto(f"{stack.url}/posts/counting-visitors-without-cookies/")
    assert page.locator("article h1").is_visible()
    assert "atomic" in page.locator(".prose").inner_text()
    assert page.locator("nav[aria-label=Main] a", has_text="About").is_visible()
    assert page.locator(".visitor-counter__value").inner_text() == "\u2014"
    assert watched.api_requests == []


def test_unknown_path_shows_the_themes_404_page(stack, watched):
    page = watched.page
    response = page.goto(f"{stack.url}/posts/no-such-post/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    assert page.locator("link[rel=stylesheet]").count() == 1
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui")


def test_fifty_concurrent_hits_through_the_edge_count_exactly_fifty(stack):
    key = "/posts/a-theme-that-respects-the-reader/"
    before = api_get(stack, key)["views"]

    def hit(reader):
        # fifty readers, each from a loopback address of its own: one address adds at most a
        # few views a day (counter.CLIENT_LIMITS)
        host, port = urllib.parse.urlsplit(stack.url).netloc.rsplit(":", 1)
        connection = http.client.HTTPConnection(host, int(port), timeout=30, source_address=(f"127.0.3.{reader + 1}", 0))
        try:
            connection.request("POST", "/api/hits", body=json.dumps({"path": key}),
                               headers={"Content-Type": "application/json", "User-Agent": "Mozilla/5.0 (X11; Linux) e2e"})
            return connection.getresponse().status
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(hit, range(50)))
    assert statuses == [200] * 50
    assert api_get(stack, key)["views"] == before + 50
