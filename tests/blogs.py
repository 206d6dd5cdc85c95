"""The tests' own blogs: the fixture blog in tests/fixtures/blog, and small blogs written on the
spot. Nothing here reads content/, which belongs to the author."""

from __future__ import annotations

import textwrap
from pathlib import Path

# Posts and pages an author could write, awkward ones included: non-ASCII titles, slugs and tags,
# a slug with spaces, raw HTML, a draft, a post dated in the future, a page in the menu and one
# that is not. Its images all give their size (a plain image is the content check's business).
FIXTURE_BLOG = Path(__file__).resolve().parent / "fixtures" / "blog"
# The fixture blog's pages, by the path the build writes each one to.
FIXTURE_PAGES = ("about/index.html", "colophon/index.html")


def write_blog(content: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (path under ``content`` -> text, dedented) and return ``content``."""
    for name, text in files.items():
        path = content / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return content


# A blog moved in from elsewhere, as its author wrote it: PyPI plugins (liquid tags, footnotes,
# series), TeX, a notebook post and a notebook embedded in a post, inline styles and scripts,
# wide tables, long words and URLs. Built with MOVED_BLOG_SETTINGS over pelicanconf.py.
MOVED_BLOG = Path(__file__).resolve().parent / "fixtures" / "movedblog"
AUTHOR_PLUGINS = ["pelican.plugins.liquid_tags", "pelican.plugins.simple_footnotes", "pelican.plugins.series"]


def moved_blog_settings() -> dict:
    from pelicanconf import PLUGINS

    return {
        "PLUGINS": [*PLUGINS, *AUTHOR_PLUGINS],
        "LIQUID_TAGS": ["img"],
    }
