"""Fixtures of the publish tests: AWS credentials for moto, a moto bucket and distribution with
a small site to publish, the counter table, and a blog of the tests' own for real builds."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from shared.counter_table import create_table
from shared.targets import DEFAULT_REGION, PROJECT_ROOT
from tests.publish.helpers import TABLE, Stack, write_site

POST = """Title: {title}
Date: 2026-10-{day:02d} 10:00
Category: {category}
Tags: {tags}
Slug: {slug}
Summary: {title}, in one line.

{body}
"""
FILLER = "A paragraph about static sites, caches and counting readers. " * 12


@pytest.fixture
def stack(tmp_path, aws_env):
    with mock_aws():
        yield Stack(write_site(tmp_path / "output"))


@pytest.fixture
def counter_table(stack):
    dynamodb = boto3.client("dynamodb", region_name=DEFAULT_REGION)
    create_table(dynamodb, TABLE)
    return dynamodb


@pytest.fixture
def blog_content(tmp_path) -> Path:
    """Markdown of a small blog: eight posts in two categories, an about page. One post,
    ``publishing-by-content-hash``, ends with the sentence "Comparing content is cheap.",
    after its summary, so editing it changes that post and the feeds, not the listings."""
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "pages").mkdir()
    slugs = [
        "why-s3-and-cloudfront",
        "counting-visitors-without-cookies",
        "publishing-by-content-hash",
        "cloudfront-functions",
        "dark-mode-and-accessibility",
        "terraform-one-file-per-concern",
        "lambda-cold-starts",
        "dynamodb-atomic-counters",
    ]
    for day, slug in enumerate(slugs, start=1):
        body = FILLER + ("\n\nComparing content is cheap." if slug == "publishing-by-content-hash" else "")
        (content / "posts" / f"2026-10-{day:02d}-{slug}.md").write_text(
            POST.format(
                title=slug.replace("-", " ").capitalize(),
                day=day,
                category="Engineering" if day % 2 else "Notes",
                tags=f"aws, tag{day % 3}",
                slug=slug,
                body=body,
            ),
            encoding="utf-8",
        )
    (content / "pages" / "about.md").write_text("Title: About\nSlug: about\n\nAbout this blog.\n")
    return content


@pytest.fixture
def settings_naming_the_manifest(tmp_path):
    """Write a Pelican settings file: publishconf.py with the visitor_counter plugin's
    ``manifest`` option set to ``manifest`` and the content taken from ``content``."""

    def write(manifest: str, content: Path | None = None) -> Path:
        path = tmp_path / "settings" / "renamedconf.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(
            "import sys\n"
            f"sys.path.insert(0, {str(PROJECT_ROOT)!r})\n"
            f"exec(open({str(PROJECT_ROOT / 'publishconf.py')!r}).read())\n"
            # Relative paths in a settings file are read from its own folder.
            f"THEME = {str(PROJECT_ROOT / 'theme')!r}\n"
            f"PLUGIN_PATHS = [{str(PROJECT_ROOT / 'plugins')!r}]\n"
            f"PATH = {str(content or PROJECT_ROOT / 'content')!r}\n"
            f"VISITOR_COUNTER = dict(VISITOR_COUNTER, manifest={manifest!r})\n",
            encoding="utf-8",
        )
        return path

    return write
