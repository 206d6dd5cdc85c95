"""Real Pelican builds of the tests' fixture blog and of small sites made here, asserted on the files written."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest

from shared.pagekey import normalise_page_key
from deploy.site import SiteBuildError, build_site
from tests.blogs import FIXTURE_PAGES


class PageScan(HTMLParser):
    """Collects what a reader's browser would load and the counter placeholders of one page."""

    def __init__(self):
        super().__init__()
        self.placeholders: list[dict] = []
        self.scripts: list[dict] = []
        self.stylesheets: list[str] = []
        self.inline_styles = 0
        self.inline_scripts = 0
        self.landmarks: set[str] = set()
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "style" in attributes:
            self.inline_styles += 1
        if tag in ("header", "main", "footer", "nav"):
            self.landmarks.add(tag)
        if tag == "style":
            self.inline_styles += 1
        if tag == "script":
            self.scripts.append(attributes)
            # A data block (JSON-LD) is not run, so the CSP's script-src does not apply to it.
            runs = attributes.get("type", "text/javascript") in ("text/javascript", "module")
            self._in_script = "src" not in attributes and runs
        if tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheets.append(attributes["href"])
        if "visitor-counter" in (attributes.get("class") or "").split():
            self.placeholders.append(attributes)

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def scan(path: Path) -> PageScan:
    parser = PageScan()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def expected_key(output: Path, html_file: Path) -> str:
    relative = html_file.relative_to(output).as_posix()
    return normalise_page_key("/" + relative)


def counted_pages(output: Path) -> list[Path]:
    """The pages that show a count: posts, pages and the home page (not tags, archives, 404)."""
    pages = [output / "index.html", *output.glob("posts/*/index.html"), *(output / page for page in FIXTURE_PAGES)]
    return sorted(pages)


def counter_scripts(page: PageScan) -> list[dict]:
    return [s for s in page.scripts if "/counter." in s.get("src", "")]


def test_every_counted_page_has_exactly_one_placeholder_with_its_key(built_site):
    pages = counted_pages(built_site)
    assert len(pages) >= 7, "the fixture blog should have posts, pages and the home page"
    for page in pages:
        placeholders = scan(page).placeholders
        assert len(placeholders) == 1, page
        assert placeholders[0]["data-page-key"] == expected_key(built_site, page)
        assert placeholders[0]["data-api"] == "/api/hits"


def test_listing_pages_have_no_counter_and_no_counter_script(built_site):
    counted = set(counted_pages(built_site))
    listings = [p for p in built_site.rglob("*.html") if p not in counted]
    assert len(listings) >= 15, "tags, categories, archives and the 404 page"
    for page in listings:
        parsed = scan(page)
        assert parsed.placeholders == [] and counter_scripts(parsed) == [], page


def test_manifest_lists_exactly_the_built_pages(built_site):
    manifest = json.loads((built_site / "counter-pages.json").read_text())
    assert manifest == sorted(manifest)
    assert set(manifest) == {expected_key(built_site, page) for page in counted_pages(built_site)}
    assert "/posts/counting-visitors-without-cookies/" in manifest
    assert "/about/" in manifest and "/" in manifest


def test_only_the_first_index_page_shows_the_site_total(tmp_path, fixture_blog):
    output = build_site("pelicanconf.py", tmp_path / "out", overrides={"DEFAULT_PAGINATION": 2}, content_path=fixture_blog)
    first = scan(output / "index.html")
    second = scan(output / "page" / "2" / "index.html")
    assert first.placeholders[0]["data-page-key"] == "/"
    assert first.placeholders[0]["data-show"] == "site", "the home page shows the site total"
    assert second.placeholders == [] and counter_scripts(second) == []
    assert "/page/2/" not in json.loads((output / "counter-pages.json").read_text())


def test_404_page_has_no_counter_and_absolute_asset_urls(built_site):
    page = scan(built_site / "404.html")
    assert page.placeholders == [] and counter_scripts(page) == []
    # Served for any missing path, so every URL on it must be absolute.
    assert all(href.startswith("/") for href in page.stylesheets)


def test_script_is_content_hashed_deferred_and_within_budget(built_site):
    scripts = sorted((built_site / "js").glob("counter.*.js"))
    assert len(scripts) == 1
    script = scripts[0]
    body = script.read_bytes()
    assert script.name == f"counter.{hashlib.sha256(body).hexdigest()[:10]}.js"
    assert len(gzip.compress(body, compresslevel=9)) < 1024, "counter.js must stay under 1 KB gzipped"
    tags = counter_scripts(scan(built_site / "posts" / "why-s3-and-cloudfront" / "index.html"))
    assert tags == [{"defer": None, "src": f"/js/{script.name}"}]


def test_every_image_reserves_its_space(built_site):
    """An image without width and height moves the text below it when it loads (layout shift)."""
    for page in built_site.rglob("*.html"):
        for tag in re.findall(r"<img [^>]*>", page.read_text()):
            assert re.search(r'\bwidth="\d+"', tag) and re.search(r'\bheight="\d+"', tag), (page, tag)


def test_pages_need_no_inline_code_and_no_other_origin(built_site):
    """The CSP allows only 'self': an inline script or style, or a CDN, would be blocked."""
    for page in built_site.rglob("*.html"):
        parsed = scan(page)
        assert parsed.inline_scripts == 0 and parsed.inline_styles == 0, page
        for url in parsed.stylesheets + [s["src"] for s in parsed.scripts if "src" in s]:
            assert url.startswith("/") and not url.startswith("//"), (page, url)
        assert {"header", "main", "footer", "nav"} <= parsed.landmarks, page
    css = (built_site / "theme" / "css" / "main.css").read_text()
    assert "@import" not in css and "url(http" not in css
    assert "prefers-color-scheme: dark" in css


def test_post_renders_content_code_and_image(built_site):
    html = (built_site / "posts" / "why-s3-and-cloudfront" / "index.html").read_text()
    images = re.findall(r"<img [^>]*>", html)
    assert len(images) == 1 and 'src="/images/topology.svg"' in images[0]
    assert (built_site / "images" / "topology.svg").is_file()
    code = (built_site / "posts" / "counting-visitors-without-cookies" / "index.html").read_text()
    assert 'class="highlight"' in code


def test_disabled_counter_leaves_no_trace(tmp_path, fixture_blog):
    output = build_site(
        "pelicanconf.py", tmp_path / "out", overrides={"VISITOR_COUNTER": {"enabled": False}}, content_path=fixture_blog
    )
    assert not (output / "counter-pages.json").exists()
    assert not list(output.glob("js/counter.*"))
    for page in output.rglob("*.html"):
        parsed = scan(page)
        assert parsed.placeholders == [] and counter_scripts(parsed) == [], page


def write_site(root: Path, posts: dict[str, str]) -> Path:
    content = root / "content"
    content.mkdir(parents=True)
    for name, body in posts.items():
        (content / name).write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return content


def test_unusual_slug_gets_a_valid_key_matching_the_published_path(tmp_path):
    content = write_site(
        tmp_path,
        {
            "odd.md": """
                Title: Naïve café, déjà vu & 100% sure
                Date: 2026-01-02
                Slug: naïve-café & déjà vu

                Body.
                """,
        },
    )
    output = build_site("pelicanconf.py", tmp_path / "out", overrides={"PATH": str(content)})
    pages = [p for p in output.glob("posts/*/index.html")]
    assert len(pages) == 1
    key = scan(pages[0]).placeholders[0]["data-page-key"]
    assert key == "/posts/naïve-café & déjà vu/"
    assert normalise_page_key(key) == key
    assert key in json.loads((output / "counter-pages.json").read_text())


def test_site_url_path_prefix_is_part_of_the_key(tmp_path, fixture_blog):
    output = build_site(
        "pelicanconf.py", tmp_path / "out", overrides={"SITEURL": "https://example.org/blog"}, content_path=fixture_blog
    )
    key = scan(output / "about" / "index.html").placeholders[0]["data-page-key"]
    assert key == "/blog/about/"
    script = counter_scripts(scan(output / "about" / "index.html"))[0]["src"]
    assert re.fullmatch(r"https://example\.org/blog/js/counter\.[0-9a-f]{10}\.js", script)


def test_a_plugin_that_cannot_load_fails_the_build(tmp_path, fixture_blog):
    with pytest.raises(SiteBuildError, match="no_such_plugin"):
        build_site(
            "pelicanconf.py", tmp_path / "out",
            overrides={"PLUGINS": ["visitor_counter", "no_such_plugin"]}, content_path=fixture_blog,
        )


def test_publish_settings_turn_feeds_on_with_absolute_urls(tmp_path, monkeypatch, fixture_blog):
    monkeypatch.setenv("SITEURL", "https://blog.example.com")
    output = build_site("publishconf.py", tmp_path / "out", content_path=fixture_blog)
    feed = (output / "feeds" / "all.atom.xml").read_text()
    assert "https://blog.example.com/posts/why-s3-and-cloudfront/" in feed
    head = (output / "index.html").read_text()
    assert 'href="https://blog.example.com/feeds/all.atom.xml"' in head
