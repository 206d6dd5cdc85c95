"""The theme on a blog of several hundred posts and pages: small pages, and an edit that touches
only the files that show what changed (publish uploads and invalidates exactly those)."""

from __future__ import annotations

import hashlib
import random
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.theme.conftest import IDENTITY, SITEURL, build, words

pytestmark = pytest.mark.slow

POSTS = 700
PAGES = 700
PAGE_BUDGET = 30 * 1024  # bytes of HTML before compression
TAGS = [f"topic-{n}" for n in range(40)]
CATEGORIES = ["Engineering", "Operations", "Security", "Notes", "Tutorials", "Design"]
# Built as publish builds it: absolute URLs (longer pages than a local build) and feeds.
PUBLISHED = {"settings_file": "publishconf.py", "SITEURL": SITEURL, "FEED_DOMAIN": SITEURL, **IDENTITY}
CODE = "```python\ndef publish(site):\n    for key, body in site.items():\n        upload(key, body)\n```\n"


def write_large_blog(root: Path) -> Path:
    rng = random.Random(15)
    content = root / "content"
    (content / "posts").mkdir(parents=True)
    (content / "pages").mkdir()
    date = datetime(2019, 1, 1, 9, 0)
    for n in range(1, POSTS + 1):
        date += timedelta(days=rng.randint(1, 5))
        tags = ", ".join(sorted(rng.sample(TAGS, rng.randint(1, 4))))
        (content / "posts" / f"post-{n:04d}.md").write_text(
            f"Title: Post number {n} about {rng.choice(TAGS)}\nDate: {date:%Y-%m-%d %H:%M}\n"
            f"Category: {rng.choice(CATEGORIES)}\nTags: {tags}\nSlug: post-{n:04d}\n"
            f"Summary: {words(30)}\n\n{words(350)}\n\n## A section\n\n{CODE}\n{words(350)}\n",
            encoding="utf-8",
        )
    for n in range(1, PAGES + 1):
        # The first page is in the menu, under a label of its own (the README's advice).
        menu = "menu_order: 1\nmenu_label: Reference\n" if n == 1 else ""
        (content / "pages" / f"page-{n:04d}.md").write_text(
            f"Title: Reference page {n}\nSlug: ref-{n:04d}\n{menu}\n{words(250)}\n", encoding="utf-8"
        )
    return content


def html_digests(output: Path) -> dict[str, str]:
    return {
        path.relative_to(output).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in output.rglob("*.html")
    }


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def retitle(source: Path, old: str, new: str) -> None:
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace(f"Title: {old}", f"Title: {new}", 1), encoding="utf-8")


@pytest.fixture(scope="module")
def large_blog(tmp_path_factory):
    root = tmp_path_factory.mktemp("large-blog")
    content = write_large_blog(root)
    output = build(content, root / "first", **PUBLISHED)
    return content, output, html_digests(output)


def test_every_page_stays_under_30_kb(large_blog):
    _, output, digests = large_blog
    assert len(digests) > POSTS + PAGES
    sizes = {name: (output / name).stat().st_size for name in digests}
    largest = max(sizes, key=sizes.get)
    assert sizes[largest] < PAGE_BUDGET, (largest, sizes[largest])
    ordered = sorted(sizes.values())
    print(f"\n{len(sizes)} HTML files: largest {largest} {sizes[largest]} B, median {ordered[len(ordered) // 2]} B")


def rebuilt_with_new_title(content: Path, source: Path, output: Path) -> tuple[str, dict[str, str]]:
    """Build again with the title of ``source`` extended; the source is put back afterwards.
    Returns the new title and the digests of the new build."""
    old = source.read_text(encoding="utf-8").splitlines()[0].removeprefix("Title: ")
    new = old + ", revised"
    retitle(source, old, new)
    try:
        return new, html_digests(build(content, output, **PUBLISHED))
    finally:
        retitle(source, new, old)


@pytest.mark.parametrize("page_file", ["page-0350.md", "page-0001.md"], ids=["off-the-menu", "in-the-menu"])
def test_a_page_title_change_rewrites_that_page_only(large_blog, tmp_path, page_file):
    content, _, before = large_blog
    _, after = rebuilt_with_new_title(content, content / "pages" / page_file, tmp_path / "second")
    slug = "ref-" + page_file.removeprefix("page-").removesuffix(".md")
    assert changed(before, after) == [f"{slug}/index.html"]


def test_a_post_title_change_rewrites_the_post_its_neighbours_and_its_listings(large_blog, tmp_path):
    content, _, before = large_blog
    source = content / "posts" / "post-0350.md"
    new, after = rebuilt_with_new_title(content, source, tmp_path / "second")
    rewritten = changed(before, after)
    for name in rewritten:
        assert new in (tmp_path / "second" / name).read_text(encoding="utf-8"), f"{name} changed but does not show the title"
    assert {"posts/post-0350/index.html", "posts/post-0349/index.html", "posts/post-0351/index.html"} <= set(rewritten)
    # The post, its two neighbours (their older/newer links), the home page that lists it, its
    # year's and its month's archives, its category's page and one page per tag: nothing else.
    tags = next(line for line in source.read_text(encoding="utf-8").splitlines() if line.startswith("Tags: "))
    assert len(rewritten) == 7 + len(tags.removeprefix("Tags: ").split(", ")), rewritten
    print(f"\none post's title change rewrote {len(rewritten)} HTML files: {rewritten}")


def titles_one_click_from_the_archives(output: Path) -> dict[str, set[str]]:
    """Each page the archives page links to (a year's or a month's) -> the post titles it lists
    with their dates, from the output's HTML as a reader's browser gets it."""
    archives = (output / "archives" / "index.html").read_text(encoding="utf-8")
    linked = re.findall(rf'<a href="{re.escape(SITEURL)}/(archives/[^"]+)"', archives)
    listed = {}
    for url in linked:
        html = (output / url / "index.html").read_text(encoding="utf-8")
        listed[url] = set(re.findall(r'<li><time datetime="[^"]+">[^<]+</time> <a href="[^"]+">([^<]+)</a></li>', html))
    return listed


def titles_of(content: Path) -> set[str]:
    return {
        path.read_text(encoding="utf-8").splitlines()[0].removeprefix("Title: ")
        for path in (content / "posts").glob("*.md")
    }


def test_every_post_is_listed_with_its_date_one_click_from_the_archives(large_blog):
    content, output, _ = large_blog
    listed = titles_one_click_from_the_archives(output)
    assert listed, "the archives link to pages of their own past ARCHIVES_INLINE_MAX"
    every = set().union(*listed.values())
    assert every == titles_of(content)
    print(f"\n{len(every)} posts listed on {len(listed)} pages linked from the archives")


def test_a_year_of_daily_posts_stays_under_30_kb_a_page_with_month_pages(tmp_path):
    """Daily writing puts 365 posts in a year: its page lists months, each month its posts, and
    the archives page links that year's months, so every title is still one click away."""
    from tests.theme.test_theme_pages import MONTH_PAGES

    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    first = datetime(2025, 1, 1, 8, 0)
    for n in range(420):
        (content / "posts" / f"day-{n:03d}.md").write_text(
            f"Title: Notes for day {n} of writing every single day\nDate: {first + timedelta(days=n):%Y-%m-%d %H:%M}\n"
            f"Category: Notes\nTags: daily\nSlug: day-{n:03d}\nSummary: {words(20)}\n\n{words(120)}\n",
            encoding="utf-8",
        )
    output = build(content, tmp_path / "out", **PUBLISHED, **MONTH_PAGES)
    sizes = {path.relative_to(output).as_posix(): path.stat().st_size for path in output.rglob("*.html")}
    largest = max(sizes, key=sizes.get)
    assert sizes[largest] < PAGE_BUDGET, (largest, sizes[largest])
    year = (output / "archives" / "2025" / "index.html").read_text(encoding="utf-8")
    assert "365 posts" in year and "31 posts" in year and "Notes for day 0 " not in year
    listed = titles_one_click_from_the_archives(output)
    assert "archives/2025/01/" in listed and "archives/2026/" in listed, "2025's months, 2026 (55 posts) whole"
    assert set().union(*listed.values()) == titles_of(content)
    print(f"\n420 daily posts: largest {largest} {sizes[largest]} B, year page {sizes['archives/2025/index.html']} B")
