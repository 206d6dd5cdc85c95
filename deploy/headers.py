"""HTTP headers for every published object, decided once from one first-match table.

The local edge serves whatever headers publish stores, so this table is also what the browser
sees under ``make serve``.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"
SHORT = "public, max-age=3600"

# A content-hashed name carries a hex digest between dots: ``js/counter.0123456789.js``.
_HASHED = r"(^|/)[^/]+\.[0-9a-f]{8,}\.[A-Za-z0-9]+$"


@dataclass(frozen=True)
class HeaderRule:
    pattern: re.Pattern[str]
    cache_control: str
    why: str

    def matches(self, key: str) -> bool:
        return self.pattern.search(key) is not None


def _rule(pattern: str, cache_control: str, why: str) -> HeaderRule:
    return HeaderRule(re.compile(pattern, re.IGNORECASE), cache_control, why)


# First match wins. A hashed name never changes its bytes, so it is cacheable forever; pages,
# feeds and the page manifest must show an edit at once; theme files change rarely and keep
# their names, so browsers hold them for an hour at most.
HEADER_RULES: tuple[HeaderRule, ...] = (
    _rule(_HASHED, IMMUTABLE, "content-hashed asset"),
    _rule(r"\.html?$", REVALIDATE, "page"),
    _rule(r"\.(xml|atom|rss)$", REVALIDATE, "feed"),
    _rule(r"\.(json|webmanifest|txt)$", REVALIDATE, "data"),
    _rule(r".", SHORT, "asset"),
)

# Deterministic across machines: the system mime.types file is not read.
_MIME = mimetypes.MimeTypes(filenames=())
_CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".xml": "application/xml",
    ".txt": "text/plain",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".pdf": "application/pdf",
}
# Pelican names feeds ``all.atom.xml`` / ``all.rss.xml``: the inner suffix says which feed.
_FEED_TYPES = {".atom.xml": "application/atom+xml", ".rss.xml": "application/rss+xml"}
_TEXT_APPLICATION = {"application/json", "application/xml", "application/manifest+json"}


@dataclass(frozen=True)
class Headers:
    content_type: str
    cache_control: str


def content_type_for(key: str) -> str:
    lower = key.lower()
    for suffix, feed_type in _FEED_TYPES.items():
        if lower.endswith(suffix):
            return _with_charset(feed_type)
    dot = lower.rfind(".")
    suffix = lower[dot:] if dot > lower.rfind("/") else ""
    mime = _CONTENT_TYPES.get(suffix) or _MIME.guess_type(key, strict=False)[0]
    return _with_charset(mime or "application/octet-stream")


def _with_charset(mime: str) -> str:
    is_text = (
        mime.startswith("text/") or mime in _TEXT_APPLICATION or mime.endswith("+xml")
    )
    return f"{mime}; charset=utf-8" if is_text else mime


def rule_for(key: str) -> HeaderRule:
    return next(rule for rule in HEADER_RULES if rule.matches(key))


def headers_for(key: str) -> Headers:
    """Headers for the object at ``key`` (a slash-separated path relative to the site root)."""
    return Headers(content_type_for(key), rule_for(key).cache_control)
