"""Fixtures of the content check's tests: blogs written on the spot, checked by a real build."""

from __future__ import annotations

from pathlib import Path

import pytest

from contentcheck.check import CheckReport, check_site
from tests.blogs import write_blog
from tests.contentcheck.helpers import png

GOOD_POST = """
    Title: A good post
    Date: 2026-01-01 09:00
    Slug: good

    Nothing wrong here.
    """


@pytest.fixture
def checked(tmp_path):
    """Write a blog (path under content/ -> text; a good post is always there), run the check on
    it and return the report; ``redirects`` is the redirects table's text, ``csp`` the CSP
    additions' text (csp.json), if any."""

    def check(files: dict[str, str | bytes], redirects: str | None = None, csp: str | None = None, **overrides) -> CheckReport:
        content = write_blog(tmp_path / "content", {"posts/good.md": GOOD_POST, **files})
        table = tmp_path / "redirects.json"
        if redirects is not None:
            table.write_text(redirects, encoding="utf-8")
        additions = tmp_path / "csp.json"
        if csp is not None:
            additions.write_text(csp, encoding="utf-8")
        return check_site("pelicanconf.py", overrides=overrides or None, content_path=content,
                          redirects_file=table, csp_file=additions)

    return check


@pytest.fixture
def aws_credentials(monkeypatch):
    """Credentials moto accepts, nothing pointing anywhere real."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "SITE_BUCKET", "DISTRIBUTION_ID", "COUNTER_TABLE", "SITEURL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def own_content(tmp_path) -> Path:
    """What a new author writes after deleting the sample posts: two posts, one with a plain
    image (no size), and nothing else."""
    return write_blog(tmp_path / "my-content", {
        "posts/first-week.md": """
            Title: My first week with a static blog
            Date: 2026-11-02 08:30
            Tags: meta
            Slug: first-week

            Hello! This is mine now.

            ![My desk](/images/desk.png)
            """,
        "posts/second.md": """
            Title: Second thoughts
            Date: 2026-11-09 19:00
            Slug: second-thoughts

            Back to [the first week](/posts/first-week/), a week later.
            """,
        "images/desk.png": png(120, 80),
    })
