"""HTTP headers for every published object, decided once from one first-match table.

The local edge serves whatever headers publish stores, so this table is also what the browser
sees under ``make serve``.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from typing import Iterable

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"
SHORT = "public, max-age=3600"

# A fingerprinted name carries a hex digest between dots: ``js/counter.0123456789.js``.
_FINGERPRINT = re.compile(r"(?:^|/)[^/]+\.([0-9a-f]{8,64})\.[A-Za-z0-9]+$")


def fingerprint_of(key: str) -> str | None:
    """The hex segment of a name that looks fingerprinted, else None."""
    found = _FINGERPRINT.search(key)
    return found.group(1) if found else None


def is_fingerprinted(key: str, digests: Iterable[str]) -> bool:
    """Whether the build fingerprinted this file: the hex segment of its name is the start of
    one of its own content digests (the visitor_counter plugin names its script
    ``counter.<first 10 hex of sha256>.js``). A name that merely looks hashed, such as
    ``images/chart.20261122.png``, is not: its bytes may change under the same name."""
    fingerprint = fingerprint_of(key)
    return fingerprint is not None and any(d.startswith(fingerprint) for d in digests)


@dataclass(frozen=True)
class HeaderRule:
    pattern: re.Pattern[str]
    cache_control: str
    why: str
    fingerprinted: bool = False  # matches only a file whose name carries its own digest

    def matches(self, key: str, digests: Iterable[str] = ()) -> bool:
        if self.fingerprinted and not is_fingerprinted(key, digests):
            return False
        return self.pattern.search(key) is not None


def _rule(pattern: str, cache_control: str, why: str, fingerprinted: bool = False) -> HeaderRule:
    return HeaderRule(re.compile(pattern, re.IGNORECASE), cache_control, why, fingerprinted)


# First match wins. A fingerprinted file never changes its bytes under its name, so it is
# cacheable forever; pages, feeds and the page manifest must show an edit at once; theme files
# change rarely and keep their names, so browsers hold them for an hour at most.
# Pagefind (plugins/site_search) names each index chunk, fragment and metadata file after a hash
# of its content (``pagefind/index/en_1bc1eee.pf_index``): a changed chunk gets a new name.
# Its engine and entry file keep their names across versions and rebuilds: revalidated.
_SEARCH_CHUNK = r"^pagefind/(?:(?:fragment|index|filter)/|pagefind\.)[a-z0-9-]+_[0-9a-f]{7,}\.pf_[a-z]+$"
_SEARCH_ENGINE = r"^pagefind/(?:pagefind(?:-worker)?\.js|pagefind-entry\.json|wasm\.[a-z0-9-]+\.pagefind)$"

HEADER_RULES: tuple[HeaderRule, ...] = (
    _rule(_FINGERPRINT.pattern, IMMUTABLE, "fingerprinted asset", fingerprinted=True),
    _rule(_SEARCH_CHUNK, IMMUTABLE, "search index chunk named by its content hash"),
    _rule(_SEARCH_ENGINE, REVALIDATE, "search engine"),
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


def rule_for(key: str, digests: Iterable[str] = ()) -> HeaderRule:
    """The first rule for ``key``; ``digests`` are the file's own content digests (hex), without
    which no name counts as fingerprinted."""
    digests = tuple(digests)
    return next(rule for rule in HEADER_RULES if rule.matches(key, digests))


def headers_for(key: str, digests: Iterable[str] = ()) -> Headers:
    """Headers for the object at ``key`` (a slash-separated path relative to the site root)
    whose content has the hex ``digests`` (MD5, SHA-256)."""
    return Headers(content_type_for(key), rule_for(key, digests).cache_control)
