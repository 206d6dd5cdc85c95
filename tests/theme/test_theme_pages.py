"""What a reader and a search engine get from the theme, on real builds of a small fixture blog."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.theme.conftest import IDENTITY, PROJECT_ROOT, SITEURL, build, write_content


class Page(HTMLParser):
    """The parts of one page the tests look at: links by area, meta tags, JSON-LD, visible text."""

    def __init__(self, html: str):
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.nav: list[tuple[str, dict]] = []
        self.json_ld: list[dict] = []
        self.scripts: list[dict] = []
        self.counters: list[dict] = []
        self.text: list[str] = []
        self._stack: list[str] = []
        self._nav_attrs: dict | None = None
        self._in_main_nav = False
        self._in_ld = False
        self._in_body = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self._in_body = self._in_body or tag == "body"
        if tag == "meta":
            key = attributes.get("name") or attributes.get("property")
            if key:
                self.meta[key] = attributes.get("content", "")
        if tag == "link" and "rel" in attributes:
            self.links[attributes["rel"]] = attributes.get("href", "")
        if tag == "nav" and attributes.get("aria-label") == "Main":
            self._in_main_nav = True
        if tag == "a" and self._in_main_nav:
            self._nav_attrs = attributes
        if tag == "script":
            self.scripts.append(attributes)
            self._in_ld = attributes.get("type") == "application/ld+json"
        if "visitor-counter" in (attributes.get("class") or "").split():
            self.counters.append(attributes)

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_main_nav = False
        if tag == "a":
            self._nav_attrs = None
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data):
        if self._in_ld:
            self.json_ld.append(json.loads(data))
        elif self._nav_attrs is not None and data.strip():
            self.nav.append((data.strip(), self._nav_attrs))
        if self._in_body:
            self.text.append(data)

    @property
    def visible_text(self) -> str:
        """The body's text (not the <title>), whitespace collapsed."""
        return " ".join(" ".join(self.text).split())


def page(output: Path, path: str) -> Page:
    return Page((output / path).read_text(encoding="utf-8"))


def test_menu_lists_only_pages_the_author_put_there_in_their_order(site):
    nav = page(site, "imprint/index.html").nav
    assert [title for title, _ in nav] == ["Archives", "Tags", "Now", "About", "Colophon"]
    assert (site / "imprint" / "index.html").is_file(), "a page off the menu is still built"


def test_a_menu_entry_can_have_a_label_of_its_own(site):
    colophon = page(site, "colophon/index.html")
    assert dict(colophon.nav)["Colophon"].get("aria-current") == "page"
    assert "How this site is made" in colophon.visible_text, "the page keeps its full title"
    assert "How this site is made" not in page(site, "about/index.html").visible_text


def test_menu_marks_the_current_page_and_section(site):
    about = dict(page(site, "about/index.html").nav)
    assert about["About"].get("aria-current") == "page"
    assert "aria-current" not in about["Archives"]
    tag = dict(page(site, "tags/python/index.html").nav)
    assert tag["Tags"].get("aria-current") == "true", "a tag page is inside the Tags section"
    assert dict(page(site, "archives/index.html").nav)["Archives"].get("aria-current") == "page"


def test_posts_link_to_their_older_and_newer_neighbours(site):
    middle = (site / "posts" / "diagram-and-code" / "index.html").read_text()
    assert re.search(r'rel="prev" href="https://blog\.example\.org/posts/first/"><span[^>]*>Older</span> The first post', middle)
    assert re.search(r'rel="next" href="https://blog\.example\.org/posts/latest/"><span[^>]*>Newer</span> The latest post', middle)
    newest = (site / "posts" / "latest" / "index.html").read_text()
    assert 'rel="prev"' in newest and 'rel="next"' not in newest
    assert "Not ready yet" not in newest, "a draft is nobody's neighbour"


def test_a_lone_post_has_no_empty_neighbour_bar(tmp_path):
    content = write_content(tmp_path, posts={"only.md": "Title: Only\nDate: 2026-01-01\nSlug: only\n\nBody.\n"}, pages={})
    html = (build(content, tmp_path / "out") / "posts" / "only" / "index.html").read_text()
    assert "post-nav" not in html


def test_home_shows_the_identity_with_the_name_once(site):
    home = page(site, "index.html")
    text = home.visible_text
    assert text.count(IDENTITY["SITENAME"]) == 1, "the site name is in the header only"
    assert IDENTITY["AUTHOR"] in text and IDENTITY["AUTHOR_BIO"] in text
    html = (site / "index.html").read_text()
    assert re.search(r'<img class="profile__avatar" src="https://blog\.example\.org/images/avatar\.svg" alt="" width="88" height="88">', html)
    for name, url in IDENTITY["SOCIAL"]:
        assert f'<a href="{url}" rel="me">{name}</a>' in html
    assert IDENTITY["FOOTER_TEXT"] in text
    assert "DynamoDB" not in text, "no infrastructure trivia in the footer"


def test_without_an_avatar_the_home_page_shows_initials(local_site, tmp_path):
    content = write_content(tmp_path)
    output = build(content, tmp_path / "out", **{**IDENTITY, "AUTHOR_AVATAR": ""})
    html = (output / "index.html").read_text()
    assert "profile__avatar--initials" in html and ">GH</span>" in html
    assert "<img class=\"profile__avatar\"" not in html


def test_posts_carry_their_own_description_canonical_and_share_tags(site):
    post = page(site, "posts/diagram-and-code/index.html")
    url = f"{SITEURL}/posts/diagram-and-code/"
    assert post.meta["description"] == "How a page view travels from the browser to the bucket."
    assert post.links["canonical"] == url
    assert post.meta["og:url"] == url and post.meta["og:type"] == "article"
    assert post.meta["og:title"] == "A diagram and some code"
    # Its share card (plugins/social_cards, tests/theme/test_social_cards.py); the home page, which
    # has none, shows the avatar.
    assert post.meta["og:image"].startswith(f"{SITEURL}/images/cards/diagram-and-code.")
    assert post.meta["twitter:card"] == "summary_large_image"
    assert page(site, "index.html").meta["og:image"] == f"{SITEURL}/images/avatar.svg"
    other = page(site, "posts/first/index.html")
    assert other.meta["description"] == "Where it all started.", "the summary when there is no description"
    assert page(site, "index.html").meta["description"] == IDENTITY["SITESUBTITLE"]


def test_posts_carry_blogposting_structured_data(site):
    (posting,) = page(site, "posts/diagram-and-code/index.html").json_ld
    assert posting["@type"] == "BlogPosting"
    assert posting["headline"] == "A diagram and some code"
    assert posting["datePublished"].startswith("2026-02-10T09:00:00")
    assert posting["author"] == {"@type": "Person", "name": IDENTITY["AUTHOR"]}
    assert posting["url"] == f"{SITEURL}/posts/diagram-and-code/"


def test_local_builds_have_no_canonical_link_pointing_nowhere(local_site):
    post = page(local_site, "posts/first/index.html")
    assert "canonical" not in post.links and "og:url" not in post.meta


def test_sitemap_and_robots_list_what_should_be_found(site):
    sitemap = (site / "sitemap.xml").read_text()
    locations = set(re.findall(r"<loc>([^<]+)</loc>", sitemap))
    assert {f"{SITEURL}/", f"{SITEURL}/posts/first/", f"{SITEURL}/about/", f"{SITEURL}/imprint/"} <= locations
    assert not any("unfinished" in loc or "404" in loc or "robots" in loc for loc in locations)
    robots = (site / "robots.txt").read_text()
    assert f"Sitemap: {SITEURL}/sitemap.xml" in robots.splitlines()


def test_drafts_and_the_404_page_are_marked_noindex(site):
    draft = page(site, "drafts/unfinished.html")
    assert draft.meta.get("robots") == "noindex"
    assert "Draft" in draft.visible_text
    assert draft.counters == [], "a draft preview counts nothing"
    assert page(site, "404.html").meta.get("robots") == "noindex"
    for published in ("index.html", "posts/first/index.html", "about/index.html", "tags/aws/index.html"):
        assert "robots" not in page(site, published).meta, published


def test_posts_show_reading_time(site):
    # 80 + 600 words of prose plus a code block: a bit over three minutes at 220 words a minute.
    assert "4 min read" in page(site, "posts/diagram-and-code/index.html").visible_text
    assert "1 min read" in page(site, "posts/first/index.html").visible_text


def test_long_posts_open_with_a_table_of_contents_of_their_sections(site):
    html = (site / "posts" / "diagram-and-code" / "index.html").read_text()
    toc = re.search(r'<details class="toc" open>\s*<summary>Contents</summary>(.*?)</details>', html, re.S)
    assert toc, "four sections: a table of contents"
    entries = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', toc.group(1))
    assert [text for _, text in entries] == ["How a view travels", "The handler", "What it costs &amp; why", "What comes next"]
    for anchor, _ in entries:
        assert f'<h2 id="{anchor}">' in html, f"#{anchor} leads to its heading"
    assert html.index('class="toc"') < html.index('class="prose"'), "above the text"
    assert 'class="toc"' not in (site / "posts" / "first" / "index.html").read_text(), "a short post has none"


def test_a_post_can_ask_for_its_table_of_contents_or_refuse_it(tmp_path):
    sections = "\n\n".join(f"## Part {n}\n\nText." for n in range(1, 6))
    posts = {
        "long.md": f"Title: Long\nDate: 2026-01-01\nSlug: long\ntoc: no\n\n{sections}\n",
        "short.md": "Title: Short\nDate: 2026-01-02\nSlug: short\ntoc: yes\n\n## Only part\n\nText.\n",
        "plain.md": f"Title: Plain\nDate: 2026-01-03\nSlug: plain\n\n{sections}\n",
    }
    output = build(write_content(tmp_path, posts=posts, pages={}), tmp_path / "out", TOC_MIN_HEADINGS=6)
    assert 'class="toc"' not in (output / "posts" / "long" / "index.html").read_text()
    assert '<a href="#only-part">Only part</a>' in (output / "posts" / "short" / "index.html").read_text()
    assert 'class="toc"' not in (output / "posts" / "plain" / "index.html").read_text(), "5 sections, 6 wanted"


def test_archives_group_posts_by_year_with_a_page_per_year(site):
    archives = (site / "archives" / "index.html").read_text()
    years = re.findall(r'<h2><a href="https://blog\.example\.org/archives/(\d{4})/">\1</a>', archives)
    assert years == ["2026", "2025"]
    assert archives.index("The latest post") < archives.index("The first post")
    year = page(site, "archives/2026/index.html").visible_text
    assert "The latest post" in year and "The first post" not in year and "2 posts" in year


MONTH_PAGES = {"MONTH_ARCHIVE_URL": "archives/{date:%Y}/{date:%m}/", "MONTH_ARCHIVE_SAVE_AS": "archives/{date:%Y}/{date:%m}/index.html"}


def test_a_busy_year_lists_its_months_when_month_pages_are_on(tmp_path):
    output = build(write_content(tmp_path), tmp_path / "out", YEAR_ARCHIVE_INLINE_MAX=1, **MONTH_PAGES)
    year = (output / "archives" / "2026" / "index.html").read_text()
    text = Page(year).visible_text
    assert "March 1 post" in text and "February 1 post" in text
    assert "The latest post" not in text, "the posts are on the month pages"
    assert 'href="/archives/2026/03/"' in year
    march = page(output, "archives/2026/03/index.html").visible_text
    assert "Posts from March 2026" in march and "The latest post" in march and "A diagram and some code" not in march
    assert "The first post" in page(output, "archives/2025/index.html").visible_text, "a quiet year lists its posts"


def test_a_large_archive_lists_years_with_counts(tmp_path):
    output = build(write_content(tmp_path), tmp_path / "out", ARCHIVES_INLINE_MAX=2)
    text = page(output, "archives/index.html").visible_text
    assert "2026 2 posts" in text and "2025 1 post" in text
    assert "The latest post" not in text


def test_tag_and_category_pages_say_how_many_posts_and_which(site):
    tags = page(site, "tags/index.html").visible_text
    assert "#aws 2" in tags and "#pelican 1" in tags and "#python 2" in tags
    tag = page(site, "tags/python/index.html").visible_text
    assert "2 posts" in tag and "The latest post" in tag and "A diagram and some code" in tag
    categories = page(site, "categories/index.html").visible_text
    assert "Engineering 2" in categories and "The latest post" in categories


def test_posts_per_page_defaults_to_ten(tmp_path):
    posts = {
        f"p{n:02d}.md": f"Title: Post {n}\nDate: 2026-01-{n:02d}\nSlug: p{n:02d}\nSummary: Number {n}.\n\nBody.\n"
        for n in range(1, 13)
    }
    output = build(write_content(tmp_path, posts=posts, pages={}), tmp_path / "out")
    assert (output / "index.html").read_text().count('class="post-card"') == 10
    second = (output / "page" / "2" / "index.html").read_text()
    assert second.count('class="post-card"') == 2 and "Posts, page 2" in second


def test_counter_only_on_posts_pages_and_the_home_page(site):
    manifest = json.loads((site / "counter-pages.json").read_text())
    assert manifest == ["/", "/about/", "/colophon/", "/imprint/", "/now/", "/posts/diagram-and-code/", "/posts/first/", "/posts/latest/"]
    home = page(site, "index.html").counters
    assert [c["data-show"] for c in home] == ["site"]
    assert [c["data-show"] for c in page(site, "posts/first/index.html").counters] == ["page"]
    for listing in ("tags/index.html", "tags/aws/index.html", "categories/index.html", "archives/index.html", "archives/2026/index.html", "404.html"):
        shown = page(site, listing)
        assert shown.counters == [] and not any("/counter." in s.get("src", "") for s in shown.scripts), listing


def test_theme_script_runs_before_first_paint_from_the_sites_own_origin(site):
    html = (site / "posts" / "first" / "index.html").read_text()
    head = html[: html.index("</head>")]
    tag = re.search(r"<script [^>]*src=\"([^\"]+/theme/js/theme\.js)\"[^>]*>", head)
    assert tag and "defer" not in tag.group(0) and "async" not in tag.group(0), "blocking, so no flash"
    assert head.index("theme.js") < head.index("main.css")
    assert (site / "theme" / "js" / "theme.js").is_file()
    css = (site / "theme" / "css" / "main.css").read_text()
    assert ':root[data-theme="dark"]' in css and "prefers-color-scheme: dark" in css
    assert "--img-backdrop" in css and "@media print" in css


def test_a_failed_build_does_not_stop_later_builds_writing_the_sitemap(tmp_path):
    broken_theme = tmp_path / "theme"
    shutil.copytree(PROJECT_ROOT / "theme", broken_theme)
    index = broken_theme / "templates" / "index.html"
    index.write_text(index.read_text().replace("{% block content %}", "{% block content %}{{ no_such_function() }}", 1))
    content = write_content(tmp_path)
    with pytest.raises(Exception):
        build(content, tmp_path / "broken", THEME=str(broken_theme))
    output = build(content, tmp_path / "out", SITEURL=SITEURL)
    assert f"<loc>{SITEURL}/posts/first/</loc>" in (output / "sitemap.xml").read_text()
