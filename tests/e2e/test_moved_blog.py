"""The moved-in blog (tests/fixtures/movedblog) served by the whole local stack, under the site's
strict Content-Security-Policy, read by a real Chromium: nothing the author wrote is dropped, and
no page scrolls sideways on a phone."""

from __future__ import annotations

import pytest

from devstack.stack import DevStack
from tests.blogs import MOVED_BLOG, moved_blog_settings

pytestmark = pytest.mark.e2e

# Registered before any page script runs: every CSP report of the page, with what was blocked.
VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", event => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI || "inline"} ${event.sample || ""}`);
});
"""
PAGES = [
    "/", "/about/", "/posts/inline-html/", "/posts/twenty-formulas/", "/posts/fitting-a-line/",
    "/posts/embedded-notebook/", "/posts/liquid-tags/", "/posts/footnotes/", "/posts/wide-things/",
    "/tags/averyveryverylongtagnamethatdoesnotbreakanywhereatallreally/", "/archives/",
]


@pytest.fixture(scope="module")
def moved_stack(tmp_path_factory):
    output = tmp_path_factory.mktemp("e2e-moved") / "output"
    with DevStack(port=0, output_dir=output, content_path=MOVED_BLOG, overrides=moved_blog_settings()) as running:
        yield running


def open_page(context, url: str):
    page = context.new_page()
    page.add_init_script(VIOLATIONS)
    response = page.goto(url)
    assert response.status == 200, url
    page.wait_for_load_state("load")
    return page


def test_no_page_has_content_blocked_by_the_csp(moved_stack, context):
    for path in PAGES:
        page = open_page(context, moved_stack.url + path)
        assert page.evaluate("window.__violations") == [], path
        page.close()


def test_the_authors_styles_and_script_apply(moved_stack, context):
    page = open_page(context, moved_stack.url + "/posts/inline-html/")
    padded = page.locator("p.padded")
    assert padded.evaluate("e => getComputedStyle(e).paddingLeft") == "37px"
    assert padded.evaluate("e => getComputedStyle(e).borderLeftColor") == "rgb(200, 0, 0)"
    assert page.locator(".callout").evaluate("e => getComputedStyle(e).outlineStyle") == "dashed"
    assert page.locator("#script-target").inner_text() == "the inline script ran"
    about = open_page(context, moved_stack.url + "/about/")
    box = about.locator(".prose > div").first
    assert box.evaluate("e => getComputedStyle(e).paddingTop") == "24px"
    assert box.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(240, 240, 255)"


def test_maths_is_laid_out_as_mathml(moved_stack, context):
    page = open_page(context, moved_stack.url + "/posts/twenty-formulas/")
    assert page.locator(".prose math").count() == 18
    fraction = page.locator('.prose math[display="block"] mfrac').first
    box = fraction.bounding_box()
    assert box and box["height"] > 20  # stacked numerator over denominator, not a line of TeX


def test_no_page_scrolls_sideways_at_360_px(moved_stack, browser):
    phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    widths = {}
    for path in PAGES:
        page = open_page(phone, moved_stack.url + path)
        widths[path] = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    phone.close()
    assert widths == dict.fromkeys(PAGES, 0)


def test_copy_button_never_covers_code(moved_stack, context):
    page = open_page(context, moved_stack.url + "/posts/wide-things/")
    block = page.locator(".prose .highlight").first
    button = block.locator(".copy-code")
    button.wait_for()
    button_box = button.bounding_box()
    first_line = block.locator("pre code span").first.bounding_box()
    assert button_box["y"] + button_box["height"] <= first_line["y"]


# WCAG contrast of an element's text against the first opaque background behind it.
CONTRAST = """
element => {
  const rgb = value => value.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const [R, G, B] = [r, g, b].map(c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  let node = element, background = null;
  while (node && node.nodeType === 1) {
    const colour = getComputedStyle(node).backgroundColor;
    if (colour && rgb(colour).length === 3 || (rgb(colour)[3] ?? 0) > 0.9) { background = rgb(colour).slice(0, 3); break; }
    node = node.parentElement;
  }
  background = background || [255, 255, 255];
  const [a, b] = [luminance(rgb(getComputedStyle(element).color)), luminance(background)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}
"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_notebook_code_and_outputs_are_readable_in_both_colour_schemes(moved_stack, browser, scheme):
    reader = browser.new_context(color_scheme=scheme)
    page = open_page(reader, moved_stack.url + "/posts/fitting-a-line/")
    for selector in (".notebook .output_area pre", ".notebook .highlight pre", ".notebook .text_cell_render p"):
        ratio = page.locator(selector).first.evaluate(CONTRAST)
        assert ratio >= 4.5, (scheme, selector, ratio)
    reader.close()
