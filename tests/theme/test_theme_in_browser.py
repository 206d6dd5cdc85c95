"""The theme in a real Chromium: screenshots at two sizes in both colour schemes (looked at by a
person; kept in test-artifacts/theme/), no layout shift while the count loads, nothing fetched
from another origin, the reader's theme choice kept and applied before the first paint."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.static_site import serve_site

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "theme"
PAGES = {
    "home": ("/", 200),
    "post": ("/posts/diagram-and-code/", 200),
    "archives": ("/archives/", 200),
    "tag": ("/tags/aws/", 200),
    "404": ("/no-such-page/", 404),
}
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "mobile": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2},
}
LAYOUT_SHIFT = """
window.__cls = 0;
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__cls += entry.value;
}).observe({type: "layout-shift", buffered: true});
"""
# Which theme was on <html> when <body> first existed, i.e. before anything could be painted.
THEME_AT_FIRST_PAINT = """
new MutationObserver((_, observer) => {
  if (document.body) {
    window.__themeBeforeBody = document.documentElement.getAttribute("data-theme");
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""


def shown_theme(page) -> str:
    """The switch's visible state (CSS generated text, so it is right from the first paint)."""
    return page.evaluate(
        "getComputedStyle(document.querySelector('.theme-toggle__state'), '::after').content"
    ).strip('"')


@pytest.fixture(scope="module")
def site_url(local_site):
    with serve_site(local_site) as url:
        yield url


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(VIEWPORTS))
@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_cleanly_and_is_captured(browser, site_url, name, size, scheme):
    path, status = PAGES[name]
    context = browser.new_context(color_scheme=scheme, **VIEWPORTS[size])
    page = context.new_page()
    console, foreign = [], []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}") if message.type in ("error", "warning") else None)
    page.on("request", lambda request: foreign.append(request.url) if not request.url.startswith(site_url) else None)
    page.add_init_script(LAYOUT_SHIFT)
    try:
        response = page.goto(site_url + path)
        assert response.status == status
        if page.locator(".visitor-counter").count():
            page.locator(".visitor-counter.is-loaded").wait_for(timeout=5_000)
        page.wait_for_timeout(200)
        assert page.evaluate("window.__cls") == 0, "the count and the theme switch move nothing"
        assert foreign == [], "no request to another origin"
        assert [line for line in console if "/api/hits" not in line and "404" not in line] == []
        # Nothing wider than the screen: no sideways scrolling on a phone.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == ("rgb(20, 22, 26)" if scheme == "dark" else "rgb(253, 252, 249)")
        if name == "post":
            image = page.locator(".prose img")
            backdrop = image.evaluate("img => getComputedStyle(img).backgroundColor")
            assert (backdrop == "rgb(243, 241, 234)") == (scheme == "dark"), "diagrams readable in the dark"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}-{size}-{scheme}.png"), full_page=True)
    finally:
        context.close()


def test_theme_choice_is_kept_and_applied_before_the_first_paint(browser, site_url):
    context = browser.new_context(color_scheme="light")
    page = context.new_page()
    page.add_init_script(THEME_AT_FIRST_PAINT)
    try:
        page.goto(site_url + "/posts/first/")
        toggle = page.locator(".theme-toggle")
        assert toggle.is_visible() and shown_theme(page) == "Auto"
        assert toggle.get_attribute("aria-label") is None, "its name is its visible text"
        toggle.click()
        assert shown_theme(page) == "Light"
        toggle.click()
        assert shown_theme(page) == "Dark"
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(20, 22, 26)"
        page.goto(site_url + "/about/")
        assert page.evaluate("window.__themeBeforeBody") == "dark", "no flash of the light theme"
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(20, 22, 26)"
        page.locator(".theme-toggle").click()
        assert page.evaluate("document.documentElement.getAttribute('data-theme')") == "auto"
    finally:
        context.close()


def test_copy_button_copies_the_code(browser, site_url):
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url)
    page = context.new_page()
    try:
        page.goto(site_url + "/posts/diagram-and-code/")
        button = page.locator(".highlight .copy-code")
        assert button.count() == 1
        button.click()
        page.locator(".copy-code", has_text="Copied").wait_for(timeout=2_000)
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("def handler(event, context):") and copied.rstrip().endswith('"42"}')
    finally:
        context.close()


def test_contents_take_the_reader_to_a_section_and_fold_away(browser, site_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(site_url + "/posts/diagram-and-code/")
        page.locator(".toc a", has_text="What comes next").click()
        assert page.url.endswith("#what-comes-next")
        top = page.locator("#what-comes-next").evaluate("h => h.getBoundingClientRect().top")
        assert 0 <= top < 844 / 2, "the section's heading is near the top of the screen"
        page.evaluate("window.scrollTo(0, 0)")
        page.locator(".toc summary").click()
        assert not page.locator(".toc a").first.is_visible(), "a reader can fold the contents away"
    finally:
        context.close()
