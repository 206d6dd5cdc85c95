"""The incremental build writes what a full build writes, byte for byte, after any edit.

Random sequences of what authors do (edit a body, a title, a summary, a date, tags, the category,
the slug; publish a draft or hold a post back; date one in the future; add, delete or rename a
post; add or remove an image a post shows; move a page in the menu) are applied to a small site,
and after every step the whole output of the incremental build is compared with a build of the
same content into an empty folder. Feeds and pagination are on, so listings shift.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.sitegen import generate_site
from deploy.site import run_build
from sitebuild.cache import cache_root_for
from sitebuild.incremental import RECORD_FILE
from tests.blogs import FIXTURE_BLOG

SITE_URL = "https://example.org"
OVERRIDES = {
    "SITEURL": SITE_URL, "FEED_DOMAIN": SITE_URL, "FEED_ALL_ATOM": "feeds/all.atom.xml",
    "CATEGORY_FEED_ATOM": "feeds/{slug}.atom.xml", "DEFAULT_PAGINATION": 3,
}
WORDS = ["harbour", "tide", "lantern", "copper", "meadow", "signal", "orchard", "ferry", "quartz"]
TAGS = ["aws", "s3", "python", "notes", "dns"]
CATEGORIES = ["Engineering", "Notes", "Design"]
IMAGE = '<svg xmlns="http://www.w3.org/2000/svg" width="{n}" height="10"><rect width="{n}" height="10"/></svg>'
STEPS_RUN = {"steps": 0}


def build(content: Path, output: Path):
    with contextlib.redirect_stdout(io.StringIO()):
        return run_build("pelicanconf.py", output, {**OVERRIDES, "PATH": str(content)})


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def assert_same_tree(incremental: Path, full: Path, step: str) -> None:
    ours, theirs = files(incremental), files(full)
    assert sorted(ours) == sorted(theirs), f"after {step}: files differ: only incremental {sorted(set(ours) - set(theirs))}, only full {sorted(set(theirs) - set(ours))}"
    different = [name for name in ours if ours[name] != theirs[name]]
    assert not different, f"after {step}: {len(different)} files differ, first {different[0]}:\n{_first_difference(ours[different[0]], theirs[different[0]])}"


def _first_difference(a: bytes, b: bytes) -> str:
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"incremental: {a[max(0, at - 120):at + 120]!r}\nfull:        {b[max(0, at - 120):at + 120]!r}"


@dataclass
class Site:
    """A content folder under edit, its incremental output, and the full build's folder."""

    content: Path
    work: Path
    counter: int = 0
    log: list[str] = field(default_factory=list)

    @property
    def output(self) -> Path:
        return self.work / "incremental"

    def posts(self) -> list[Path]:
        return sorted((self.content / "posts").glob("*.md"))

    def pages(self) -> list[Path]:
        return sorted((self.content / "pages").glob("*.md"))

    def fresh(self, word: str) -> str:
        self.counter += 1
        return f"{word}-{self.counter}"

    def check(self, step: str) -> None:
        """Build incrementally, then into an empty folder, and compare every file."""
        self.log.append(step)
        report = build(self.content, self.output)
        full = self.work / "full"
        shutil.rmtree(full, ignore_errors=True)
        # Its own content cache and compiled templates stay (Pelican's and Jinja's, each checked
        # by content); its record goes, so it renders every output into the empty folder.
        for record in cache_root_for(full).glob(f"*/{RECORD_FILE}"):
            record.unlink()
        reference = build(self.content, full)
        assert [str(p) for p in report.errors] == [str(p) for p in reference.errors], step
        assert_same_tree(self.output, full, " -> ".join(self.log[-6:]))
        STEPS_RUN["steps"] += 1


def read_post(path: Path) -> tuple[dict[str, str], str]:
    header, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    fields = {}
    for line in header.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields, body


def write_post(path: Path, fields: dict[str, str], body: str) -> None:
    header = "\n".join(f"{key}: {value}" for key, value in fields.items())
    path.write_text(f"{header}\n\n{body}", encoding="utf-8")


def edit_fields(path: Path, **changes: str | None) -> None:
    fields, body = read_post(path)
    for key, value in changes.items():
        if value is None:
            fields.pop(key, None)
        else:
            fields[key] = value
    write_post(path, fields, body)


# --- the edits -----------------------------------------------------------------------------------
# Each takes the site and hypothesis' data, and returns what it did (for the failure message).


def pick(data, items: list, label: str):
    return data.draw(st.sampled_from(items), label=label)


def edit_body(site: Site, data) -> str:
    post = pick(data, site.posts(), "post")
    fields, body = read_post(post)
    write_post(post, fields, body.rstrip("\n") + f"\n\nA {pick(data, WORDS, 'word')} sentence added.\n")
    return f"body {post.name}"


def edit_title(site: Site, data) -> str:
    post = pick(data, site.posts(), "post")
    edit_fields(post, Title=f"{pick(data, WORDS, 'word').title()} {site.fresh('notes')}")
    return f"title {post.name}"


def edit_summary(site: Site, data) -> str:
    post = pick(data, site.posts(), "post")
    summary = data.draw(st.sampled_from([None, "A short summary.", f"About {pick(data, WORDS, 'word')}."]), label="summary")
    edit_fields(post, Summary=summary)
    return f"summary {post.name} = {summary}"


def edit_date(site: Site, data) -> str:
    post = pick(data, site.posts(), "post")
    day = data.draw(st.dates(min_value=datetime.date(2015, 1, 1), max_value=datetime.date(2017, 12, 31)), label="date")
    edit_fields(post, Date=f"{day:%Y-%m-%d} {data.draw(st.integers(0, 23), label='hour'):02d}:00")
    return f"date {post.name} {day}"


def edit_future(site: Site, data) -> str:
    post = pick(data, site.posts(), "post")
    edit_fields(post, Date="2999-01-01 10:00")
    return f"future {post.name}"


def edit_tags(site: Site, data) -> str:
    post = pick(data, site.posts(), "post")
    tags = data.draw(st.lists(st.sampled_from(TAGS), max_size=3, unique=True), label="tags")
    edit_fields(post, Tags=", ".join(tags) if tags else None)
    return f"tags {post.name} {tags}"


def edit_category(site: Site, data) -> str:
    post = pick(data, site.posts(), "post")
    edit_fields(post, Category=pick(data, CATEGORIES, "category"))
    return f"category {post.name}"


def edit_slug(site: Site, data) -> str:
    post = pick(data, site.posts(), "post")
    edit_fields(post, Slug=site.fresh(pick(data, WORDS, "word")))
    return f"slug {post.name}"


def edit_status(site: Site, data) -> str:
    post = pick(data, site.posts(), "post")
    fields, _ = read_post(post)
    edit_fields(post, Status=None if fields.get("Status") == "draft" else "draft")
    return f"status {post.name}"


def add_post(site: Site, data) -> str:
    name = site.fresh("added")
    write_post(site.content / "posts" / f"{name}.md", {
        "Title": f"Added {name}", "Date": f"2016-0{data.draw(st.integers(1, 9), label='month')}-10 12:00",
        "Category": pick(data, CATEGORIES, "category"), "Tags": pick(data, TAGS, "tag"), "Slug": name,
    }, f"New post about {pick(data, WORDS, 'word')}.\n")
    return f"add {name}"


def delete_post(site: Site, data) -> str:
    post = pick(data, site.posts()[1:], "post")  # the first post stays: a feed is never empty
    post.unlink()
    return f"delete {post.name}"


def rename_post(site: Site, data) -> str:
    post = pick(data, site.posts()[1:], "post")
    target = post.with_name(f"{site.fresh('renamed')}.md")
    post.rename(target)
    return f"rename {post.name} -> {target.name}"


def toggle_image(site: Site, data) -> str:
    """A post shows images/figure.svg; the image comes and goes, and changes."""
    image = site.content / "images" / "figure.svg"
    post = pick(data, site.posts(), "post")
    fields, body = read_post(post)
    if "figure.svg" not in body:
        write_post(post, fields, body + "\n![Figure]({static}/images/figure.svg)\n")
    if image.exists() and data.draw(st.booleans(), label="remove"):
        image.unlink()
        return f"image removed, shown by {post.name}"
    image.parent.mkdir(exist_ok=True)
    image.write_text(IMAGE.format(n=data.draw(st.integers(1, 99), label="width")))
    return f"image written, shown by {post.name}"


def menu_order(site: Site, data) -> str:
    page = pick(data, site.pages(), "page")
    order = data.draw(st.sampled_from([None, "1", "2", "5"]), label="order")
    edit_fields(page, menu_order=order)
    return f"menu_order {page.name} = {order}"


EDITS = [
    edit_body, edit_title, edit_summary, edit_date, edit_future, edit_tags, edit_category, edit_slug,
    edit_status, add_post, delete_post, rename_post, toggle_image, menu_order,
]


def run_edits(site: Site, data, steps: int) -> None:
    site.check("first build")
    for _ in range(steps):
        edit = pick(data, EDITS, "edit")
        if edit in (delete_post, rename_post) and len(site.posts()) < 3:
            edit = add_post
        site.check(edit(site, data))
    # And against a build that shares nothing with the last one (no content cache either).
    cold = site.work / "cold"
    build(site.content, cold)
    assert_same_tree(site.output, cold, "a build with no cache at all")


def generated_site(root: Path) -> Site:
    generate_site(root / "content", posts=8, seed=7)
    (root / "content" / "pages" / "colophon.md").write_text("Title: Colophon\nSlug: colophon\n\nHow it is made.\n")
    return Site(root / "content", root)


def fixture_site(root: Path) -> Site:
    shutil.copytree(FIXTURE_BLOG, root / "content")
    return Site(root / "content", root)


@settings(max_examples=1, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_incremental_output_equals_a_full_build_after_random_edits(data):
    with tempfile.TemporaryDirectory(prefix="incremental-") as root:
        run_edits(generated_site(Path(root)), data, steps=12)


@settings(max_examples=1, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_incremental_output_equals_a_full_build_on_the_fixture_blog(data):
    with tempfile.TemporaryDirectory(prefix="incremental-fixture-") as root:
        run_edits(fixture_site(Path(root)), data, steps=6)


# Each step is two builds with every plugin (the search index included): ~2-5 s here.
@pytest.mark.slow
@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_incremental_output_equals_a_full_build_over_long_edit_sequences(data):
    with tempfile.TemporaryDirectory(prefix="incremental-long-") as root:
        make = generated_site if data.draw(st.booleans(), label="generated") else fixture_site
        run_edits(make(Path(root)), data, steps=20)


def teardown_module(_module):
    print(f"\nincremental vs full: {STEPS_RUN['steps']} steps compared")
