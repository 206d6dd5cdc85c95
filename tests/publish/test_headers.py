"""The header table: what a browser (and CloudFront) is told about each kind of file."""

from __future__ import annotations

import pytest

from deploy.headers import HEADER_RULES, IMMUTABLE, REVALIDATE, SHORT, headers_for, rule_for

CASES = [
    # key, content type, cache control
    ("js/counter.0123456789.js", "text/javascript; charset=utf-8", IMMUTABLE),
    ("theme/css/main.3f2a9c01.css", "text/css; charset=utf-8", IMMUTABLE),
    ("images/logo.deadbeefcafe.png", "image/png", IMMUTABLE),
    ("index.html", "text/html; charset=utf-8", REVALIDATE),
    ("posts/hello/index.html", "text/html; charset=utf-8", REVALIDATE),
    ("posts/v1.2/index.html", "text/html; charset=utf-8", REVALIDATE),
    ("404.html", "text/html; charset=utf-8", REVALIDATE),
    ("feeds/all.atom.xml", "application/atom+xml; charset=utf-8", REVALIDATE),
    ("feeds/all.rss.xml", "application/rss+xml; charset=utf-8", REVALIDATE),
    ("sitemap.xml", "application/xml; charset=utf-8", REVALIDATE),
    ("counter-pages.json", "application/json; charset=utf-8", REVALIDATE),
    ("robots.txt", "text/plain; charset=utf-8", REVALIDATE),
    ("theme/css/main.css", "text/css; charset=utf-8", SHORT),
    ("theme/css/main.abc.css", "text/css; charset=utf-8", SHORT),  # too short to be a hash
    ("images/topology.svg", "image/svg+xml; charset=utf-8", SHORT),
    ("images/photo.PNG", "image/png", SHORT),
    ("images/photo.jpg", "image/jpeg", SHORT),
    ("theme/fonts/inter.woff2", "font/woff2", SHORT),
    ("favicon.ico", "image/x-icon", SHORT),
    ("talks/slides.pdf", "application/pdf", SHORT),
    ("downloads/archive.unknownext", "application/octet-stream", SHORT),
    ("LICENSE", "application/octet-stream", SHORT),
]


@pytest.mark.parametrize("key, content_type, cache_control", CASES)
def test_headers_for(key, content_type, cache_control):
    headers = headers_for(key)
    assert (headers.content_type, headers.cache_control) == (content_type, cache_control)


def test_every_rule_in_the_table_is_reachable():
    used = {rule_for(key).why for key, _, _ in CASES}
    assert used == {rule.why for rule in HEADER_RULES}

