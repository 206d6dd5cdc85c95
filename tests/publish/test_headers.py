"""The header table: what a browser (and CloudFront) is told about each kind of file."""

from __future__ import annotations

import hashlib

import pytest

from deploy.headers import HEADER_RULES, IMMUTABLE, REVALIDATE, SHORT, headers_for, rule_for
from plugins.visitor_counter.keys import script_name


def digests(content: bytes) -> tuple[str, str]:
    return hashlib.md5(content, usedforsecurity=False).hexdigest(), hashlib.sha256(content).hexdigest()


SCRIPT = b"document.querySelectorAll('.visitor-counter')"
CSS = b"body { color: #222 }"
LOGO = b"\x89PNG\r\n\x1a\n logo"

CASES = [
    # key, content, content type, cache control
    # Fingerprinted by the build: the name carries the start of the file's own digest.
    (script_name(SCRIPT, "js"), SCRIPT, "text/javascript; charset=utf-8", IMMUTABLE),
    (f"theme/css/main.{digests(CSS)[1][:8]}.css", CSS, "text/css; charset=utf-8", IMMUTABLE),
    (f"images/logo.{digests(LOGO)[0][:12]}.png", LOGO, "image/png", IMMUTABLE),
    # Names that only look fingerprinted: their bytes may change under the same name.
    ("js/counter.0123456789.js", SCRIPT, "text/javascript; charset=utf-8", SHORT),
    ("images/chart.20261122.png", LOGO, "image/png", SHORT),
    ("images/chart.20261122.png", b"", "image/png", SHORT),
    ("index.html", b"<p>", "text/html; charset=utf-8", REVALIDATE),
    ("posts/hello/index.html", b"<p>", "text/html; charset=utf-8", REVALIDATE),
    ("posts/v1.2/index.html", b"<p>", "text/html; charset=utf-8", REVALIDATE),
    ("404.html", b"<p>", "text/html; charset=utf-8", REVALIDATE),
    ("feeds/all.atom.xml", b"<feed/>", "application/atom+xml; charset=utf-8", REVALIDATE),
    ("feeds/all.rss.xml", b"<rss/>", "application/rss+xml; charset=utf-8", REVALIDATE),
    ("sitemap.xml", b"<urlset/>", "application/xml; charset=utf-8", REVALIDATE),
    ("counter-pages.json", b"[]", "application/json; charset=utf-8", REVALIDATE),
    ("robots.txt", b"", "text/plain; charset=utf-8", REVALIDATE),
    ("theme/css/main.css", CSS, "text/css; charset=utf-8", SHORT),
    ("theme/css/main.abc.css", CSS, "text/css; charset=utf-8", SHORT),  # too short to be a hash
    ("images/topology.svg", b"<svg/>", "image/svg+xml; charset=utf-8", SHORT),
    ("images/photo.PNG", LOGO, "image/png", SHORT),
    ("images/photo.jpg", b"", "image/jpeg", SHORT),
    ("theme/fonts/inter.woff2", b"", "font/woff2", SHORT),
    ("favicon.ico", b"", "image/x-icon", SHORT),
    ("talks/slides.pdf", b"", "application/pdf", SHORT),
    ("downloads/archive.unknownext", b"", "application/octet-stream", SHORT),
    ("LICENSE", b"", "application/octet-stream", SHORT),
    # The search index (plugins/site_search): Pagefind names its chunks after their content; its
    # engine and entry file keep their names across builds, so a reader revalidates them.
    ("pagefind/index/en_1bc1eee.pf_index", b"", "application/octet-stream", IMMUTABLE),
    ("pagefind/fragment/en_2a3b4c5d.pf_fragment", b"", "application/octet-stream", IMMUTABLE),
    ("pagefind/pagefind.js", b"", "text/javascript; charset=utf-8", REVALIDATE),
    ("pagefind/pagefind-entry.json", b"{}", "application/json; charset=utf-8", REVALIDATE),
    ("pagefind/wasm.en.pagefind", b"", "application/octet-stream", REVALIDATE),
    ("pagefind/index/notahash.pf_index", b"", "application/octet-stream", SHORT),
]


@pytest.mark.parametrize("key, content, content_type, cache_control", CASES)
def test_headers_for(key, content, content_type, cache_control):
    headers = headers_for(key, digests(content))
    assert (headers.content_type, headers.cache_control) == (content_type, cache_control)


def test_without_its_content_no_name_counts_as_fingerprinted():
    assert headers_for(script_name(SCRIPT, "js")).cache_control == SHORT


def test_every_rule_in_the_table_is_reachable():
    used = {rule_for(key, digests(content)).why for key, content, _, _ in CASES}
    assert used == {rule.why for rule in HEADER_RULES}
