"""Fixtures of the search tests: the fixture blog built as make publish and make serve build it,
and a reader for the index Pagefind wrote (its fragments are what a result shows)."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from deploy.site import build_site

SITEURL = "https://blog.example.org"
PUBLISHED = {"SITEURL": SITEURL, "FEED_DOMAIN": SITEURL}
# Pagefind's files start with this signature once gunzipped.
SIGNATURE = b"pagefind_dcd"


def fragments(output: Path) -> dict[str, dict]:
    """Every page in the search index: its URL -> the fragment a result is shown from (title,
    date, the text the excerpt is cut from)."""
    found = {}
    for path in (output / "pagefind" / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(path.read_bytes())
        assert data.startswith(SIGNATURE), path
        fragment = json.loads(data[len(SIGNATURE):])
        found[fragment["url"]] = fragment
    return found


def bundle_state(output: Path) -> dict[str, tuple[str, int]]:
    """The search bundle's files: name -> (sha256, mtime in ns)."""
    bundle = output / "pagefind"
    return {
        path.relative_to(bundle).as_posix(): (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
        for path in bundle.rglob("*")
        if path.is_file()
    }


@pytest.fixture(scope="module")
def published_site(tmp_path_factory, fixture_blog) -> Path:
    """The fixture blog built as make publish builds it (publishconf.py). Read only."""
    output = tmp_path_factory.mktemp("search-published") / "output"
    return build_site("publishconf.py", output, PUBLISHED, content_path=fixture_blog)
