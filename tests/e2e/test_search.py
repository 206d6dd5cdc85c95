"""A reader searching the site in a real Chromium, keyboard only, against the local stack (the
bucket served by the local edge under the site's own CSP)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench.sitegen import generate_site
from devstack.stack import DevStack

pytestmark = pytest.mark.e2e

CSP_WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def tab_to_header_search(page) -> None:
    """Tab from the top of the page until the header's search box has the focus."""
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "site-search-query":
            return
    raise AssertionError("the header's search box cannot be reached with Tab")


def search_from_header(page, url: str, words: str) -> None:
    page.goto(url)
    tab_to_header_search(page)
    page.keyboard.type(words)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    expect(page.get_by_role("status")).to_contain_text("match", timeout=15_000)


def result_titles(page) -> list[str]:
    return page.locator(".search-result__title").all_inner_texts()


def title_of(post: Path) -> str:
    return post.read_text(encoding="utf-8").splitlines()[0].removeprefix("Title: ")


def test_a_reader_finds_a_post_by_a_word_of_its_title_with_the_keyboard_only(stack, watched):
    page = watched.page
    page.add_init_script(CSP_WATCH)
    search_from_header(page, f"{stack.url}/posts/why-s3-and-cloudfront/", "cookies")

    assert result_titles(page) == ["Counting visitors without cookies"]
    expect(page.get_by_role("status")).to_have_text("1 post matches “cookies”.")
    result = page.locator(".search-result").first
    assert result.locator("time").inner_text() == "10 February 2026"
    marked = [text.strip(".,;:!?") for text in result.locator("mark").all_inner_texts()]
    assert marked == ["cookies"], "the word found, highlighted"
    # The search page's own box has a name a screen reader announces, and holds the query.
    expect(page.get_by_role("searchbox", name="Words to find in the posts")).to_have_value("cookies")

    # On from the box with Tab: the button, then the result, which Enter opens.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Counting visitors without cookies"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{stack.url}/posts/counting-visitors-without-cookies/")
    assert watched.page_errors == []
    assert page.evaluate("window.__violations") == []


def test_the_index_loads_only_when_the_reader_starts_searching(stack, watched):
    page = watched.page
    page.add_init_script(CSP_WATCH)
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(f"{stack.url}/search/")
    page.wait_for_load_state("networkidle")
    assert not [url for url in fetched if "/pagefind/" in url], "nothing of the index before a query"

    page.get_by_role("searchbox", name="Words to find in the posts").fill("naïve")
    expect(page.get_by_role("status")).to_contain_text("match", timeout=15_000)
    assert "Naïve café notes: déjà vu, 東京, Ελληνικά" in result_titles(page)
    assert any(url.endswith("/pagefind/pagefind.js") for url in fetched)
    assert any(url.endswith("/pagefind/pagefind-worker.js") for url in fetched), "searched off the page's thread"
    assert not [url for url in fetched if "-ui." in url or "highlight" in url], "Pagefind's own UIs are not used"
    assert page.url.endswith("/search/?q=na%C3%AFve"), "the address keeps the query"
    assert page.evaluate("window.__violations") == []

    page.get_by_role("searchbox").fill("xylophone")
    expect(page.get_by_role("status")).to_have_text("No post matches “xylophone”.")
    assert result_titles(page) == []


@pytest.mark.slow
def test_on_a_generated_site_a_post_is_found_and_an_edit_is_searchable_at_once(tmp_path, browser):
    """60 generated posts served as make serve serves them: a post is found by the words of its
    title (More results, with the keyboard, until it shows), and a word added to a post's title
    is found after the preview's rebuild."""
    site = generate_site(tmp_path / "content", 60)
    wanted = site.posts[41]
    words = re.sub(r"[()]", "", title_of(wanted))
    stack = DevStack(port=0, output_dir=tmp_path / "output", content_path=site.content_dir, live=True, say=lambda _: None)
    with stack:
        page = browser.new_page()
        search_from_header(page, f"{stack.url}/", words)
        for _ in range(20):
            if title_of(wanted) in result_titles(page):
                break
            more = page.get_by_role("button", name="More results")
            assert more.is_visible(), (words, result_titles(page))
            more.focus()
            page.keyboard.press("Enter")
            page.wait_for_timeout(200)
        assert title_of(wanted) in result_titles(page)

        edited = site.posts[7]
        text = edited.read_text(encoding="utf-8")
        edited.write_text(text.replace("Title: ", "Title: Quokkas and ", 1), encoding="utf-8")
        assert stack.rebuild().report.ok
        search_from_header(page, f"{stack.url}/", "quokkas")
        assert result_titles(page) == [title_of(edited)]
        page.close()
