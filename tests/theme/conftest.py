"""Fixtures of the theme's tests: real Pelican builds of small sites written here (never content/)."""

from __future__ import annotations

import contextlib
import io
import textwrap
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SITEURL = "https://blog.example.org"

AVATAR_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="88" height="88" viewBox="0 0 88 88">'
    '<rect width="88" height="88" fill="#0b5cad"/><circle cx="44" cy="34" r="16" fill="#fff"/>'
    '<path d="M14 88c4-22 18-30 30-30s26 8 30 30z" fill="#fff"/></svg>'
)
# Dark strokes on a transparent background: unreadable on a dark page without a backdrop.
DIAGRAM_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="200" viewBox="0 0 640 200">'
    '<g fill="none" stroke="#1f2328" stroke-width="3"><rect x="20" y="60" width="160" height="80" rx="8"/>'
    '<rect x="240" y="60" width="160" height="80" rx="8"/><rect x="460" y="60" width="160" height="80" rx="8"/>'
    '<path d="M180 100h60M400 100h60"/></g><g font-family="sans-serif" font-size="22" fill="#1f2328" '
    'text-anchor="middle"><text x="100" y="108">Browser</text><text x="320" y="108">CloudFront</text>'
    '<text x="540" y="108">S3</text></g></svg>'
)
PROSE = (
    "Static sites are cheap to serve and hard to break. The build turns Markdown into HTML once, "
    "and the CDN keeps a copy close to every reader. "
)


def words(count: int) -> str:
    """Plain prose of about ``count`` words, in paragraphs."""
    sentence = PROSE.split()
    body = [sentence[i % len(sentence)] for i in range(count)]
    return "\n\n".join(" ".join(body[i:i + 60]) for i in range(0, count, 60))


POSTS = {
    "2025-06-01-first.md": """
        Title: The first post
        Date: 2025-06-01 09:00
        Category: Notes
        Tags: aws, pelican
        Slug: first
        Summary: Where it all started.

        {short}
        """,
    "2026-02-10-diagram.md": """
        Title: A diagram and some code
        Date: 2026-02-10 09:00
        Category: Engineering
        Tags: aws, python
        Slug: diagram-and-code
        Summary: A post with a picture and a code block.
        Description: How a page view travels from the browser to the bucket.

        {short}

        ## How a view travels

        ![How a page view travels]({{static}}/images/diagram.svg){{: width="640" height="200"}}

        ## The handler

        ```python
        def handler(event, context):
            # One view, counted atomically.
            return {{"statusCode": 200, "body": "42"}}
        ```

        ## What it costs & why

        {long}

        ## What comes next

        More soon.
        """,
    "2026-03-20-latest.md": """
        Title: The latest post
        Date: 2026-03-20 09:00
        Category: Engineering
        Tags: python
        Slug: latest
        Summary: The newest one.

        {short}
        """,
    "2026-04-01-unfinished.md": """
        Title: Not ready yet
        Date: 2026-04-01 09:00
        Category: Notes
        Status: draft
        Slug: unfinished
        Summary: Work in progress.

        {short}
        """,
}
PAGES = {
    "about.md": "Title: About\nSlug: about\nmenu_order: 1\n\n{short}\n",
    "colophon.md": "Title: How this site is made\nSlug: colophon\nmenu_order: 2\nmenu_label: Colophon\n\n{short}\n",
    "imprint.md": "Title: Imprint\nSlug: imprint\n\n{short}\n",
    "now.md": "Title: Now\nSlug: now\nmenu_order: 0\n\n{short}\n",
}
IDENTITY = {
    "AUTHOR": "Grace Hopper",
    "SITENAME": "Harbour Log",
    "SITESUBTITLE": "Notes from the edge",
    "AUTHOR_BIO": "Writes compilers by day and small serverless things by night.",
    "AUTHOR_AVATAR": "images/avatar.svg",
    "SOCIAL": (("GitHub", "https://github.com/example"), ("Mastodon", "https://mastodon.example/@me")),
    "FOOTER_TEXT": "Made with care in a small harbour.",
}


def write_content(root: Path, posts: dict[str, str] = POSTS, pages: dict[str, str] = PAGES) -> Path:
    """Posts, pages and images under ``root``; returns the content folder."""
    content = root / "content"
    for folder in ("posts", "pages", "images"):
        (content / folder).mkdir(parents=True, exist_ok=True)
    fill = {"short": words(80), "long": words(600)}
    for name, text in posts.items():
        (content / "posts" / name).write_text(textwrap.dedent(text).lstrip().format(**fill), encoding="utf-8")
    for name, text in pages.items():
        (content / "pages" / name).write_text(text.format(**fill), encoding="utf-8")
    (content / "images" / "avatar.svg").write_text(AVATAR_SVG, encoding="utf-8")
    (content / "images" / "diagram.svg").write_text(DIAGRAM_SVG, encoding="utf-8")
    return content


def build(content: Path, output: Path, settings_file: str = "pelicanconf.py", **overrides) -> Path:
    """A real Pelican build of ``content`` with the project's settings, theme and plugins."""
    from pelican import Pelican
    from pelican.settings import read_settings

    override = {"PATH": str(content), "OUTPUT_PATH": str(output), **overrides}
    settings = read_settings(str(PROJECT_ROOT / settings_file), override=override)
    with contextlib.redirect_stdout(io.StringIO()):  # Pelican's "Done: processed ..." line
        Pelican(settings).run()
    return output


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The fixture blog built as published: absolute SITEURL, identity settings. Read only."""
    root = tmp_path_factory.mktemp("theme-site")
    return build(write_content(root), root / "output", SITEURL=SITEURL, **IDENTITY)


@pytest.fixture(scope="session")
def local_site(tmp_path_factory) -> Path:
    """The same blog built as ``make serve`` builds it (SITEURL empty). Read only."""
    root = tmp_path_factory.mktemp("theme-local")
    return build(write_content(root), root / "output", **IDENTITY)
