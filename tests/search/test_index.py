"""The search index the build writes: what a reader can find, and what a rebuild rewrites."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from deploy.headers import IMMUTABLE, REVALIDATE, headers_for
from deploy.site import build_site
from tests.search.conftest import PUBLISHED, bundle_state, fragments



def built_pages(output: Path) -> set[str]:
    """URL paths of the posts and pages the build wrote (pretty URLs: one folder each)."""
    return {
        "/" + path.parent.relative_to(output).as_posix() + "/"
        for pattern in ("posts/*/index.html", "about/index.html", "colophon/index.html")
        for path in output.glob(pattern)
    }


def titles_in(content: Path, *, published: bool) -> set[str]:
    """The Title: of each post and page of ``content``, published ones or the others."""
    titles = set()
    for source in content.rglob("*.md"):
        header = source.read_text(encoding="utf-8").split("\n\n", 1)[0]
        held_back = "Status: draft" in header or "Date: 2999" in header
        if held_back != published:
            titles.add(next(line for line in header.splitlines() if line.startswith("Title: "))[7:])
    return titles


def test_a_publish_build_indexes_every_published_post_and_page_and_nothing_else(published_site, fixture_blog):
    indexed = fragments(published_site)
    assert set(indexed) == built_pages(published_site) and len(indexed) == 10
    assert {f["meta"]["title"] for f in indexed.values()} == titles_in(fixture_blog, published=True)
    texts = " ".join(f["content"] for f in indexed.values())
    assert "Work in progress" not in texts, "a draft is never indexed"
    assert "Not yet." not in texts, "nor a post dated in the future"


def test_a_preview_build_writes_drafts_but_does_not_index_them(built_site):
    assert (built_site / "drafts" / "unfinished.html").is_file(), "the preview shows the draft"
    indexed = fragments(built_site)
    assert not [url for url in indexed if "unfinished" in url or "future" in url]
    assert set(indexed) == built_pages(built_site)


def test_a_result_has_the_posts_title_date_and_writing_but_not_the_page_around_it(published_site):
    fragment = fragments(published_site)["/posts/counting-visitors-without-cookies/"]
    assert fragment["meta"]["date_label"] == "10 February 2026"
    assert fragment["meta"]["date"].startswith("2026-02-10T")
    assert "atomic ADD" in fragment["content"]
    # Not the neighbours' titles (post footer), the menu, the counter's label or the meta line.
    for outside in ("Publishing by content hash", "Why S3 and CloudFront", "Archives", "Views", "min read"):
        assert outside not in fragment["content"], outside


def test_only_what_the_search_page_loads_is_published(published_site):
    names = set(bundle_state(published_site))
    assert {"pagefind.js", "pagefind-worker.js", "pagefind-entry.json", "wasm.en.pagefind"} <= names
    assert not [n for n in names if "-ui." in n or "highlight" in n or "playground" in n]
    assert not list(published_site.glob("pagefind/pagefind-*ui*"))


def test_index_chunks_are_cached_for_good_and_the_engine_revalidated(published_site):
    for name in bundle_state(published_site):
        key = f"pagefind/{name}"
        engine = name in ("pagefind.js", "pagefind-worker.js", "pagefind-entry.json") or name.endswith(".pagefind")
        expected = REVALIDATE if engine else IMMUTABLE
        assert headers_for(key).cache_control == expected, key


def test_a_one_post_edit_rewrites_only_the_chunks_holding_what_changed(tmp_path, fixture_blog):
    content = tmp_path / "content"
    shutil.copytree(fixture_blog, content)
    output = tmp_path / "output"
    overrides = {**PUBLISHED, "DELETE_OUTPUT_DIRECTORY": False}
    build_site("publishconf.py", output, overrides, content_path=content)
    before = bundle_state(output)
    post = content / "posts" / "2026-03-15-publishing-by-content-hash.md"
    post.write_text(post.read_text(encoding="utf-8") + "\nA new word: quokka.\n", encoding="utf-8")
    build_site("publishconf.py", output, overrides, content_path=content)
    after = bundle_state(output)

    changed = sorted(n for n in before.keys() & after.keys() if before[n] != after[n])
    added, removed = sorted(after.keys() - before.keys()), sorted(before.keys() - after.keys())
    # Content-named files never change under their name: an edit gives new names.
    assert changed == ["pagefind-entry.json"], changed
    assert len([n for n in added if n.startswith("fragment/")]) == 1, "the edited post's fragment"
    assert len(added) == len(removed) and len(added) < len(before) / 2, (added, removed)
    assert "quokka" in fragments(output)["/posts/publishing-by-content-hash/"]["content"]
    unchanged = before.keys() & after.keys() - {"pagefind-entry.json"}
    assert all(before[n][1] == after[n][1] for n in unchanged), "unchanged files are not rewritten"


def test_search_off_means_no_index_and_no_search_box(tmp_path, fixture_blog):
    output = build_site(
        "pelicanconf.py", tmp_path / "output", {"SITE_SEARCH": {"enabled": False}}, content_path=fixture_blog
    )
    assert not (output / "pagefind").exists()
    assert 'role="search"' not in (output / "index.html").read_text(encoding="utf-8")
    assert not list(output.glob("js/search.*.js"))


@pytest.mark.parametrize("page", ["index.html", "posts/a-theme-that-respects-the-reader/index.html", "archives/index.html"])
def test_every_page_has_a_labelled_search_box_that_needs_no_script(published_site, page):
    html = (published_site / page).read_text(encoding="utf-8")
    assert '<form class="site-search" role="search" action="https://blog.example.org/search/" method="get">' in html
    assert '<label class="visually-hidden" for="site-search-query">' in html
    assert "js/search." not in html, "the search script loads on the search page only"
